/*
 * api_meta.c - addrmand.json (see api_meta.h).
 */
#include "api_meta.h"

#include <stdio.h>
#include <time.h>

#include "addrman.h"
#include "api_jload.h"
#include "api_jw.h"

int api_meta_size_ok(uint64_t n)
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

static const char *check(const json_t *root, api_meta *m)
{
    uint64_t fmt, nb, tb, saved;

    if (!json_is_object(root))
        return "not a JSON object";
    if (api_jnum_u64(json_object_get(root, "format"), API_META_FORMAT,
                     API_META_FORMAT, &fmt) != AM_OK)
        return "\"format\" is not 1";
    if (hex_key(api_jstr(json_object_get(root, "key")), m->key) != 0)
        return "\"key\" is not 32 hex digits";
    if (api_jnum_u64(json_object_get(root, "new_buckets"), 1, AM_MAX_BUCKETS,
                     &nb) || !api_meta_size_ok(nb) ||
        api_jnum_u64(json_object_get(root, "tried_buckets"), 1,
                     AM_MAX_BUCKETS, &tb) || !api_meta_size_ok(tb))
        return "table sizes are not powers of two 1..65536";
    if (api_jnum_u64(json_object_get(root, "next_id"), 1, AM_ID_MAX + 1,
                     &m->next_id) != AM_OK)
        return "\"next_id\" is missing or out of range";
    if (api_jnum_u64(json_object_get(root, "journal"), 0, UINT64_MAX,
                     &m->gen) != AM_OK)
        return "\"journal\" is missing or not an integer";
    m->new_buckets = (uint32_t)nb;
    m->tried_buckets = (uint32_t)tb;
    /* Informative: a bad value is no reason to distrust the rest. */
    if (api_jnum_u64(json_object_get(root, "saved"), 0, INT64_MAX,
                     &saved) != AM_OK)
        saved = 0;
    m->saved = (int64_t)saved;
    return NULL;
}

int api_meta_parse(const char *text, size_t len, api_meta *out, char *why,
                   size_t why_len)
{
    json_t *root;
    int rc = api_jload(text, len, &root, why, why_len);
    const char *bad;

    if (rc != AM_OK)
        return rc;
    bad = check(root, out);
    json_decref(root);
    if (bad != NULL) {
        snprintf(why, why_len, "%s", bad);
        return AM_ERR_MALFORMED;
    }
    return AM_OK;
}

char *api_meta_text(const api_meta *m, size_t *len)
{
    api_jw w;
    char hex[33], *out;

    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", m->key[i]);
    api_jw_init(&w);
    api_jw_object(&w);
    api_jw_ku64(&w, "format", API_META_FORMAT);
    api_jw_kstr(&w, "key", hex);
    api_jw_ku64(&w, "new_buckets", m->new_buckets);
    api_jw_ku64(&w, "tried_buckets", m->tried_buckets);
    api_jw_ku64(&w, "next_id", m->next_id);
    api_jw_ku64(&w, "journal", m->gen);
    api_jw_ki64(&w, "saved", (int64_t)time(NULL));
    api_jw_object_end(&w);
    api_buf_putc(&w.buf, '\n');
    return api_jw_take(&w, &out, len) == AM_OK ? out : NULL;
}
