/*
 * st_meta.c - addrmand.json (see st_meta.h).
 *
 * Read with js_parse (json/js_reader.h): "next_id" and "journal" are u64
 * and must be read exactly; repeated keys keep the last value, as this
 * file has always been read.
 */
#include "st_meta.h"

#include <stdio.h>
#include <time.h>

#include "addrman.h"
#include "js_reader.h"
#include "js_writer.h"

int st_meta_size_ok(uint64_t n)
{
    return n > 0 && n <= AM_MAX_BUCKETS && (n & (n - 1)) == 0;
}

static int hex_key(const char *s, uint8_t key[16])
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < 32; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            return -1;      /* a short string ends here at its NUL */
        if (i % 2 == 0)
            key[i / 2] = (uint8_t)(v << 4);
        else
            key[i / 2] |= (uint8_t)v;
    }
    return s[32] == '\0' ? 0 : -1;
}

static const char *check(const js_val *root, st_meta *m)
{
    uint64_t fmt, nb, tb, saved;

    if (root->type != JS_OBJ)
        return "not a JSON object";
    if (js_u64(js_get(root, "format"), ST_META_FORMAT, ST_META_FORMAT,
               &fmt) != AM_OK)
        return "\"format\" is not 1";
    if (hex_key(js_str(js_get(root, "key")), m->key) != 0)
        return "\"key\" is not 32 hex digits";
    if (js_u64(js_get(root, "new_buckets"), 1, AM_MAX_BUCKETS, &nb) ||
        !st_meta_size_ok(nb) ||
        js_u64(js_get(root, "tried_buckets"), 1, AM_MAX_BUCKETS, &tb) ||
        !st_meta_size_ok(tb))
        return "table sizes are not powers of two 1..65536";
    if (js_u64(js_get(root, "next_id"), 1, AM_ID_MAX + 1,
               &m->next_id) != AM_OK)
        return "\"next_id\" is missing or out of range";
    if (js_u64(js_get(root, "journal"), 0, UINT64_MAX, &m->gen) != AM_OK)
        return "\"journal\" is missing or not an integer";
    m->new_buckets = (uint32_t)nb;
    m->tried_buckets = (uint32_t)tb;
    /* Informative: a bad value is no reason to distrust the rest. */
    if (js_u64(js_get(root, "saved"), 0, INT64_MAX, &saved) != AM_OK)
        saved = 0;
    m->saved = (int64_t)saved;
    return NULL;
}

int st_meta_parse(const char *text, size_t len, st_meta *out, char *why,
                   size_t why_len)
{
    js_reader *doc;
    const js_val *root;
    int rc = js_parse(text, len, 0, &doc, &root, why, why_len);
    const char *bad;

    if (rc != AM_OK)
        return rc;
    bad = check(root, out);
    js_close(doc);
    if (bad != NULL) {
        snprintf(why, why_len, "%s", bad);
        return AM_ERR_MALFORMED;
    }
    return AM_OK;
}

char *st_meta_text(const st_meta *m, size_t *len)
{
    js_w w;
    char hex[33], *out;

    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", m->key[i]);
    js_w_init(&w);
    js_w_object(&w);
    js_w_ku64(&w, "format", ST_META_FORMAT);
    js_w_kstr(&w, "key", hex);
    js_w_ku64(&w, "new_buckets", m->new_buckets);
    js_w_ku64(&w, "tried_buckets", m->tried_buckets);
    js_w_ku64(&w, "next_id", m->next_id);
    js_w_ku64(&w, "journal", m->gen);
    js_w_ki64(&w, "saved", (int64_t)time(NULL));
    js_w_object_end(&w);
    js_buf_putc(&w.buf, '\n');
    return js_w_take(&w, &out, len) == AM_OK ? out : NULL;
}
