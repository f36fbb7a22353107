/*
 * js_reader.c - one element at a time out of a large JSON array (see
 * js_reader.h).
 */
#include "js_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"
#include "am_parse.h"

#define BLOCK_SIZE ((size_t)64 * 1024)
#define ALIGN 16

typedef struct block {
    struct block *next;
    size_t cap, used;
    unsigned char *data;        /* right after the header */
} block;

struct js_reader {
    const char *text;
    size_t len, pos;
    block *first, *cur;         /* the arena; first is kept across resets */
    int started, done, nomem;
    unsigned flags;             /* JS_STRICT */
    const char *err;            /* what went wrong, at err_pos */
    size_t err_pos;
    js_val root;                /* a document that is not an array */
};

/* ------------------------------------------------------------- arena */

/* The header and its bytes in one allocation (the header's size keeps the
 * bytes aligned as malloc's). */
static block *block_new(size_t cap)
{
    block *b = malloc(sizeof *b + cap);

    if (b == NULL)
        return NULL;
    b->data = (unsigned char *)(b + 1);
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

static void *arena_alloc(js_reader *r, size_t size)
{
    block *b = r->cur;

    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    while (b->used + size > b->cap) {
        if (b->next == NULL) {
            b->next = block_new(size > BLOCK_SIZE ? size : BLOCK_SIZE);
            if (b->next == NULL) {
                r->nomem = 1;
                return NULL;
            }
        }
        b = b->next;
        r->cur = b;
    }
    b->used += size;
    return b->data + b->used - size;
}

/* The reader and its first block in one allocation (a request body needs
 * no other); the block's header starts at an ALIGN boundary. */
#define READER_SIZE \
    ((sizeof(js_reader) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static js_reader *reader_new(const char *text, size_t len,
                                 size_t first_cap, char *why, size_t why_len)
{
    js_reader *r = malloc(READER_SIZE + sizeof(block) + first_cap);
    block *b;

    if (r == NULL) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    memset(r, 0, sizeof *r);
    r->text = text;
    r->len = len;
    b = (block *)((unsigned char *)r + READER_SIZE);
    b->data = (unsigned char *)(b + 1);
    b->next = NULL;
    b->cap = first_cap;
    b->used = 0;
    r->first = r->cur = b;
    return r;
}

/* Forget the previous element; blocks are kept for the next. */
static void arena_reset(js_reader *r)
{
    for (block *b = r->first; b != NULL; b = b->next)
        b->used = 0;
    r->cur = r->first;
}

/* ------------------------------------------------------------ parsing */

static int fail(js_reader *r, const char *what)
{
    if (r->err == NULL) {
        r->err = what;
        r->err_pos = r->pos;
    }
    return -1;
}

static void skip_ws(js_reader *r)
{
    while (r->pos < r->len) {
        char c = r->text[r->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        r->pos++;
    }
}

static int parse_value(js_reader *r, js_val *v, int depth);

#define NUL_REFUSED "strings must not contain \\u0000"

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], need, i;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07;
    else
        return 0;
    if (n < need + 1)
        return 0;
    for (i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need + 1;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A \u escape at r->pos ('u' already passed); the code point. */
static int unicode_escape(js_reader *r, uint32_t *cp)
{
    uint32_t lo;

    if (r->pos + 4 > r->len || hex4(r->text + r->pos, cp) != 0)
        return fail(r, "invalid \\u escape");
    r->pos += 4;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return fail(r, "invalid Unicode: a lone low surrogate");
    if (*cp < 0xD800 || *cp > 0xDBFF)
        return 0;
    if (r->pos + 6 > r->len || r->text[r->pos] != '\\' ||
        r->text[r->pos + 1] != 'u' || hex4(r->text + r->pos + 2, &lo) != 0 ||
        lo < 0xDC00 || lo > 0xDFFF)
        return fail(r, "invalid Unicode: a lone high surrogate");
    r->pos += 6;
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    return 0;
}

static int escape(js_reader *r, char *o, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    uint32_t cp;
    char c = r->text[r->pos++];

    if (c == 'u') {
        if (unicode_escape(r, &cp) != 0)
            return -1;
        *n += put_utf8(o + *n, cp);
        return 0;
    }
    hit = c != '\0' ? strchr(from, c) : NULL;
    if (hit == NULL) {
        r->pos--;
        return fail(r, "invalid escape");
    }
    o[(*n)++] = to[hit - from];
    return 0;
}

static int parse_string_slow(js_reader *r, const char **out,
                             size_t *out_len, int *nul);

/* The string at r->pos ('"') into the arena; *nul: it holds a NUL byte
 * (from \u0000).  Keys, addresses and names are plain ASCII: such a
 * string is found in one pass and copied at once. */
static int parse_string(js_reader *r, const char **out, size_t *out_len,
                        int *nul)
{
    const unsigned char *t = (const unsigned char *)r->text;
    size_t i = r->pos + 1, n;
    char *o;

    while (i < r->len && t[i] != '"' && t[i] != '\\' && t[i] >= 0x20 &&
           t[i] < 0x80)
        i++;
    if (i >= r->len || t[i] != '"')
        return parse_string_slow(r, out, out_len, nul);
    n = i - r->pos - 1;
    o = arena_alloc(r, n + 1);
    if (o == NULL)
        return -1;
    memcpy(o, t + r->pos + 1, n);
    o[n] = '\0';
    *out = o;
    *out_len = n;
    r->pos = i + 1;
    return 0;
}

/* Escapes, control characters and UTF-8 checked byte by byte. */
static int parse_string_slow(js_reader *r, const char **out,
                             size_t *out_len, int *nul)
{
    const char *t = r->text;
    size_t end = r->pos + 1, n = 0;
    char *o;

    while (end < r->len && t[end] != '"')
        end += t[end] == '\\' ? 2 : 1;
    if (end >= r->len)
        return fail(r, "premature end of input in a string");
    /* Escapes never grow: \uXXXX (6) is at most 3 bytes, a pair 4. */
    o = arena_alloc(r, end - r->pos);
    if (o == NULL)
        return -1;
    r->pos++;
    while (t[r->pos] != '"') {
        unsigned char c = (unsigned char)t[r->pos];
        size_t l = 0;

        /* Plain ASCII, the usual case, goes over in runs. */
        while (r->pos + l < end && (unsigned char)t[r->pos + l] >= 0x20 &&
               (unsigned char)t[r->pos + l] < 0x80 && t[r->pos + l] != '\\')
            l++;
        if (l > 0) {
            memcpy(o + n, t + r->pos, l);
            n += l;
            r->pos += l;
            continue;
        }
        if (c == '\\') {
            size_t at = n;

            r->pos++;
            if (escape(r, o, &n) != 0)
                return -1;
            *nul |= o[at] == '\0';
            continue;
        }
        if (c < 0x20)
            return fail(r, "control character in a string");
        l = utf8_len((const unsigned char *)t + r->pos, end - r->pos);
        if (l == 0)
            return fail(r, "invalid UTF-8 in a string");
        memcpy(o + n, t + r->pos, l);
        n += l;
        r->pos += l;
    }
    r->pos++;
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return 0;
}

static size_t digits(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(js_reader *r, js_val *v)
{
    const char *s = r->text;
    size_t i = r->pos, n = r->len, j;

    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if ((j = digits(s, n, i)) > i)
        i = j;
    else
        return fail(r, "invalid number");
    if (i < n && s[i] == '.') {
        if ((j = digits(s, n, i + 1)) == i + 1)
            return fail(r, "invalid number");
        i = j;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((j = digits(s, n, i)) == i)
            return fail(r, "invalid number");
        i = j;
    }
    v->type = JS_NUM;
    v->text = s + r->pos;
    v->len = i - r->pos;
    r->pos = i;
    return 0;
}

static int parse_literal(js_reader *r, js_val *v, const char *word,
                         js_type type)
{
    size_t l = strlen(word);

    if (r->len - r->pos < l || memcmp(r->text + r->pos, word, l) != 0)
        return fail(r, "invalid token");
    r->pos += l;
    v->type = type;
    return 0;
}

/* After a member: ',' (1, more follow) or `close` (0). */
static int member_end(js_reader *r, char close)
{
    skip_ws(r);
    if (r->pos < r->len && r->text[r->pos] == ',') {
        r->pos++;
        return 1;
    }
    if (r->pos < r->len && r->text[r->pos] == close) {
        r->pos++;
        return 0;
    }
    return fail(r, close == ']' ? "',' or ']' expected"
                                : "',' or '}' expected");
}

static int parse_array(js_reader *r, js_val *v, int depth)
{
    const js_val **tail = &v->child;
    int more;

    v->type = JS_ARR;
    r->pos++;
    skip_ws(r);
    if (r->pos < r->len && r->text[r->pos] == ']') {
        r->pos++;
        return 0;
    }
    do {
        js_val *m = arena_alloc(r, sizeof *m);
        if (m == NULL)
            return -1;
        memset(m, 0, sizeof *m);
        if (parse_value(r, m, depth + 1) != 0)
            return -1;
        *tail = m;
        tail = &m->next;
        v->len++;
    } while ((more = member_end(r, ']')) == 1);
    return more;
}

static int parse_member(js_reader *r, js_val *m, int depth)
{
    size_t klen;
    int nul = 0;

    skip_ws(r);
    if (r->pos >= r->len || r->text[r->pos] != '"')
        return fail(r, "a string key expected");
    if (parse_string(r, &m->key, &klen, &nul) != 0)
        return -1;
    if (nul && (r->flags & JS_STRICT))
        return fail(r, NUL_REFUSED);
    if (nul)
        m->key = "";            /* a key with NUL bytes: no name we use */
    skip_ws(r);
    if (r->pos >= r->len || r->text[r->pos] != ':')
        return fail(r, "':' expected");
    r->pos++;
    return parse_value(r, m, depth + 1);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Strict documents: is a key of v repeated?  Small objects pairwise, large
 * ones sorted, so that a body of a million members costs n log n. */
static int has_duplicate_key(js_reader *r, const js_val *v)
{
    const char **keys;
    size_t n = 0;

    if (v->len <= 16) {
        for (const js_val *a = v->child; a != NULL; a = a->next)
            for (const js_val *b = a->next; b != NULL; b = b->next)
                if (strcmp(a->key, b->key) == 0)
                    return 1;
        return 0;
    }
    keys = arena_alloc(r, v->len * sizeof *keys);
    if (keys == NULL)
        return -1;
    for (const js_val *a = v->child; a != NULL; a = a->next)
        keys[n++] = a->key;
    qsort(keys, n, sizeof *keys, key_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            return 1;
    return 0;
}

static int parse_object(js_reader *r, js_val *v, int depth)
{
    const js_val **tail = &v->child;
    int more;

    v->type = JS_OBJ;
    r->pos++;
    skip_ws(r);
    if (r->pos < r->len && r->text[r->pos] == '}') {
        r->pos++;
        return 0;
    }
    do {
        js_val *m = arena_alloc(r, sizeof *m);
        if (m == NULL)
            return -1;
        memset(m, 0, sizeof *m);
        if (parse_member(r, m, depth) != 0)
            return -1;
        *tail = m;
        tail = &m->next;
        v->len++;
    } while ((more = member_end(r, '}')) == 1);
    if (more == 0 && (r->flags & JS_STRICT)) {
        int dup = has_duplicate_key(r, v);
        if (dup != 0)
            return dup < 0 ? -1 : fail(r, "duplicate object key");
    }
    return more;
}

static int parse_value(js_reader *r, js_val *v, int depth)
{
    char c;

    if (depth > JS_MAX_DEPTH)
        return fail(r, "maximum nesting depth reached");
    skip_ws(r);
    if (r->pos >= r->len)
        return fail(r, "unexpected end of input");
    c = r->text[r->pos];
    switch (c) {
    case '{':
        return parse_object(r, v, depth);
    case '[':
        return parse_array(r, v, depth);
    case '"': {
        int nul = 0, rc;

        v->type = JS_STR;
        rc = parse_string(r, &v->text, &v->len, &nul);
        v->nul = (unsigned char)nul;
        if (rc == 0 && nul && (r->flags & JS_STRICT))
            return fail(r, NUL_REFUSED);
        return rc;
    }
    case 't':
        return parse_literal(r, v, "true", JS_TRUE);
    case 'f':
        return parse_literal(r, v, "false", JS_FALSE);
    case 'n':
        return parse_literal(r, v, "null", JS_NULL);
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(r, v);
        return fail(r, "invalid token");
    }
}

/* ------------------------------------------------------------- reader */

static int error_out(js_reader *r, char *why, size_t why_len)
{
    size_t line = 1, col = 0;

    if (r->nomem) {
        snprintf(why, why_len, "out of memory");
        return AM_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->err_pos && i < r->len; i++) {
        col++;
        if (r->text[i] == '\n') {
            line++;
            col = 0;
        }
    }
    snprintf(why, why_len, "not JSON: %s (line %zu, column %zu)",
             r->err ? r->err : "syntax error", line, col);
    return AM_ERR_MALFORMED;
}

void js_close(js_reader *r)
{
    block *b, *next;

    if (r == NULL)
        return;
    for (b = r->first->next; b != NULL; b = next) {     /* first: in r */
        next = b->next;
        free(b);
    }
    free(r);
}

/* The rest of the text as one value into r->root: 0, or -1 (r->err). */
static int parse_document(js_reader *r)
{
    if (parse_value(r, &r->root, 0) != 0)
        return -1;
    skip_ws(r);
    if (r->pos < r->len)
        return fail(r, "end of input expected");
    return 0;
}

/* A document that is not an array: valid JSON (AM_ERR_INVAL) or not. */
static int not_an_array(js_reader *r, char *why, size_t why_len)
{
    if (parse_document(r) != 0)
        return error_out(r, why, why_len);
    snprintf(why, why_len, "not a JSON array");
    return AM_ERR_INVAL;
}

/* A request body is small: its first block is sized to it. */
static size_t first_block_size(size_t len)
{
    return len < BLOCK_SIZE / 8 ? 1024 + 8 * len : BLOCK_SIZE;
}

int js_parse(const char *text, size_t len, unsigned flags,
                 js_reader **out, const js_val **root, char *why,
                 size_t why_len)
{
    js_reader *r = reader_new(text, len, first_block_size(len), why,
                                  why_len);
    int rc;

    *out = NULL;
    *root = NULL;
    if (r == NULL)
        return AM_ERR_NOMEM;
    r->flags = flags;
    r->done = 1;                /* no elements to read */
    if (parse_document(r) == 0) {
        *out = r;
        *root = &r->root;
        return AM_OK;
    }
    rc = error_out(r, why, why_len);
    js_close(r);
    return rc;
}

int js_open(const char *text, size_t len, js_reader **out,
                char *why, size_t why_len)
{
    js_reader *r = reader_new(text, len, BLOCK_SIZE, why, why_len);
    int rc;

    *out = NULL;
    if (r == NULL)
        return AM_ERR_NOMEM;
    skip_ws(r);
    if (r->pos < r->len && r->text[r->pos] == '[') {
        r->pos++;
        *out = r;
        return AM_OK;
    }
    rc = not_an_array(r, why, why_len);
    js_close(r);
    return rc;
}

/* After ']': only whitespace may follow. */
static int finish(js_reader *r, char *why, size_t why_len)
{
    skip_ws(r);
    if (r->pos < r->len) {
        fail(r, "end of input expected");
        return error_out(r, why, why_len);
    }
    r->done = 1;
    return 0;
}

int js_next(js_reader *r, const js_val **v, char *why,
                size_t why_len)
{
    js_val *e;

    if (r->done)
        return 0;
    if (r->err != NULL || r->nomem)
        return error_out(r, why, why_len);
    arena_reset(r);
    skip_ws(r);
    if (r->pos < r->len && r->text[r->pos] == ']' && !r->started) {
        r->pos++;
        return finish(r, why, why_len);
    }
    if (r->started) {
        int more = member_end(r, ']');
        if (more < 0)
            return error_out(r, why, why_len);
        if (more == 0)
            return finish(r, why, why_len);
    }
    r->started = 1;
    e = arena_alloc(r, sizeof *e);
    if (e == NULL)
        return error_out(r, why, why_len);
    memset(e, 0, sizeof *e);
    if (parse_value(r, e, 1) != 0)
        return error_out(r, why, why_len);
    *v = e;
    return 1;
}

/* ---------------------------------------------------------- accessors */

const js_val *js_get(const js_val *obj, const char *key)
{
    const js_val *m, *found = NULL;

    if (obj == NULL || obj->type != JS_OBJ)
        return NULL;
    for (m = obj->child; m != NULL; m = m->next)
        if (m->key[0] == key[0] && strcmp(m->key, key) == 0)
            found = m;
    return found;
}

static int repeated_later(const js_val *m)
{
    for (const js_val *o = m->next; o != NULL; o = o->next)
        if (strcmp(o->key, m->key) == 0)
            return 1;
    return 0;
}

size_t js_size(const js_val *v)
{
    size_t n = 0;

    if (v == NULL)
        return 0;
    if (v->type == JS_ARR)
        return v->len;
    if (v->type != JS_OBJ)
        return 0;
    for (const js_val *m = v->child; m != NULL; m = m->next)
        n += !repeated_later(m);
    return n;
}

const js_val *js_at(const js_val *arr, size_t i)
{
    const js_val *m;

    if (arr == NULL || arr->type != JS_ARR)
        return NULL;
    for (m = arr->child; m != NULL && i > 0; m = m->next)
        i--;
    return m;
}

/* The digits after an optional '-' through the one decimal parser: a
 * fraction or an exponent is no integer (malformed). */
int js_u64(const js_val *v, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t x;
    int neg, rc;

    if (v == NULL || v->type != JS_NUM)
        return AM_ERR_MALFORMED;
    neg = v->text[0] == '-';
    rc = am_parse_u64(v->text + neg, v->len - (size_t)neg, max, &x);
    if (rc != AM_OK)
        return rc;
    if ((neg && x != 0) || x < min)         /* "-0" is 0 */
        return AM_ERR_RANGE;
    *out = x;
    return AM_OK;
}

int js_i64(const js_val *v, int64_t min, int64_t max, int64_t *out)
{
    uint64_t mag, limit;
    int64_t x;
    int neg, rc;

    if (v == NULL || v->type != JS_NUM)
        return AM_ERR_MALFORMED;
    neg = v->text[0] == '-';
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    rc = am_parse_u64(v->text + neg, v->len - (size_t)neg, limit, &mag);
    if (rc != AM_OK)
        return rc;
    x = !neg ? (int64_t)mag : mag == limit ? INT64_MIN : -(int64_t)mag;
    if (x < min || x > max)
        return AM_ERR_RANGE;
    *out = x;
    return AM_OK;
}

const char *js_str(const js_val *v)
{
    if (v == NULL || v->type != JS_STR || v->nul)
        return NULL;
    return v->text;
}
