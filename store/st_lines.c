/*
 * st_lines.c - a plain list of addresses, one a line (st_lines.h).
 */
#include "st_lines.h"

#include <string.h>

#include "am_error.h"
#include "netaddr.h"

/* The address part of a line: comment cut off, blanks trimmed.  *alen 0
 * for a line with no address. */
static void line_address(const char *line, size_t len, const char **addr,
                         size_t *alen)
{
    const char *hash = memchr(line, '#', len);
    size_t end = hash ? (size_t)(hash - line) : len, start = 0;

    while (start < end && (line[start] == ' ' || line[start] == '\t'))
        start++;
    while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t' ||
                           line[end - 1] == '\r'))
        end--;
    *addr = line + start;
    *alen = end - start;
}

/* One address of line `lineno` as entry `index`: a record, ignored (Tor
 * v2), or an error of that entry.  AM_OK or AM_ERR_NOMEM. */
static int read_address(const char *text, size_t len, size_t lineno,
                        size_t index, uint64_t services, st_doc *doc,
                        st_merge_result *r)
{
    char buf[ST_LINES_MAX + 1], why[ST_MERGE_MSG_MAX / 2];
    am_addr a;
    int rc;

    if (len > ST_LINES_MAX || memchr(text, '\0', len) != NULL) {
        st_merge_error_add(r, index, ST_ENTRY_BAD_ADDRESS,
                            "line %zu: not an address", lineno);
        return AM_OK;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    rc = am_addr_parse_ex(&a, buf, AM_DEFAULT_PORT, NULL, why, sizeof why);
    if (rc == AM_ERR_TORV2) {
        st_merge_ignore(r, ST_IGN_TOR_V2);
        return AM_OK;
    }
    if (rc != AM_OK) {
        st_merge_error_add(r, index, ST_ENTRY_BAD_ADDRESS,
                            "line %zu: address '%.60s' is not valid: %s",
                            lineno, buf, why);
        return AM_OK;
    }
    st_rec *rec = st_doc_push(doc, index);
    if (rec == NULL)
        return AM_ERR_NOMEM;
    rec->addr = a;
    rec->services = services;
    rec->state = AM_STATE_NEVER_TRIED;
    return AM_OK;
}

int st_lines_read(const char *text, size_t len, uint64_t services,
                   st_doc *doc, st_merge_result *r)
{
    size_t pos = 0, lineno = 0, index = 0;

    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - line) : len - pos, alen;
        const char *addr;

        pos += llen + (nl != NULL);
        lineno++;
        line_address(line, llen, &addr, &alen);
        if (alen == 0)
            continue;
        doc->entries++;
        int rc = read_address(addr, alen, lineno, index++, services, doc, r);
        if (rc != AM_OK)
            return rc;
    }
    return AM_OK;
}
