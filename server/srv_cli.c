/*
 * srv_cli.c - `addrmand import` / `addrmand export` (srv_cli.h).
 *
 * The same pieces as the daemon's start-up (st_store_open, st_store_config,
 * am_new, st_store_load, st_pool_new), then one st_pool call and a close:
 * the file goes through the pool's code paths exactly as over HTTP.
 */
#include "srv_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "am_error.h"
#include "chain.h"
#include "st_btcd.h"
#include "st_coredat.h"
#include "st_floresta.h"
#include "st_lines.h"
#include "st_pool.h"
#include "st_store.h"

#define CLI_FAILED 1
#define CLI_USAGE 2
#define CLI_WHY_MAX 512

typedef enum cli_format {
    CLI_CORE,
    CLI_FLORESTA,
    CLI_BTCD,
    CLI_LINES
} cli_format;

typedef struct cli_args {
    int import;                 /* else export */
    cli_format format;
    int have_format;
    const char *datadir;
    const am_chain *chain;
    const char *file;           /* import only */
} cli_args;

/* The opened directory and what lives on it. */
typedef struct cli_pool {
    st_store *store;
    am_man *core;
    st_pool *pool;
} cli_pool;

static int usage(const char *why)
{
    fprintf(stderr, "addrmand: %s\n"
            "usage: addrmand import --format core|floresta|btcd|lines "
            "[--datadir DIR] [--chain NAME] FILE\n"
            "       addrmand export --format core|floresta "
            "[--datadir DIR] [--chain NAME] > FILE\n", why);
    return CLI_USAGE;
}

int srv_cli_is_command(int argc, char **argv)
{
    return argc > 1 && (strcmp(argv[1], "import") == 0 ||
                        strcmp(argv[1], "export") == 0);
}

static int format_parse(const char *name, int import, cli_format *out)
{
    static const char *const names[] = {"core", "floresta", "btcd", "lines"};

    for (int f = 0; f < (import ? 4 : 2); f++)
        if (strcmp(name, names[f]) == 0) {
            *out = (cli_format)f;
            return 0;
        }
    return -1;
}

/* One option with its value: 1 taken, 0 not this option, -1 bad. */
static int option(int argc, char **argv, int *i, const char *name,
                  const char **value)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static int args_parse(int argc, char **argv, cli_args *a)
{
    const char *env = getenv("ADDRMAND_CHAIN"), *v, *chain;
    int rc;

    memset(a, 0, sizeof *a);
    a->import = strcmp(argv[0], "import") == 0;
    a->datadir = getenv("ADDRMAND_DATADIR");
    if (a->datadir == NULL || a->datadir[0] == '\0')
        a->datadir = "./addrmand-data";
    chain = env != NULL && env[0] != '\0' ? env : "main";
    for (int i = 1; i < argc; i++) {
        if ((rc = option(argc, argv, &i, "--format", &v)) != 0) {
            if (rc < 0 || format_parse(v, a->import, &a->format) != 0)
                return usage("--format: core, floresta, btcd or lines for "
                             "import; core or floresta for export");
            a->have_format = 1;
        } else if ((rc = option(argc, argv, &i, "--datadir", &v)) != 0) {
            if (rc < 0)
                return usage("--datadir needs a directory");
            a->datadir = v;
        } else if ((rc = option(argc, argv, &i, "--chain", &v)) != 0) {
            if (rc < 0)
                return usage("--chain needs a name");
            chain = v;
        } else if (a->import && a->file == NULL &&
                   (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
            a->file = argv[i];
        } else {
            fprintf(stderr, "addrmand: unexpected argument '%s'\n", argv[i]);
            return usage("see the usage");
        }
    }
    if (am_chain_by_name(chain, &a->chain) != AM_OK)
        return usage("--chain: main, testnet4, signet or regtest");
    if (!a->have_format)
        return usage("--format is required");
    if (a->import && a->file == NULL)
        return usage("import needs the FILE to read ('-': stdin)");
    return 0;
}

/* ---- the data directory ---------------------------------------------- */

static void store_log(void *ctx, const char *msg)
{
    fprintf(stderr, "addrmand: %s: %s\n", (const char *)ctx, msg);
}

static void pool_close(cli_pool *p)
{
    st_pool_free(p->pool);
    am_free(p->core);
    st_store_close(p->store);
}

static int pool_open(const cli_args *a, cli_pool *p)
{
    st_pool_config pc;
    st_store_opts o;
    am_config ac;
    char why[CLI_WHY_MAX];
    int rc;

    memset(p, 0, sizeof *p);
    st_store_opts_default(&o);
    o.log = store_log;
    o.log_ctx = (void *)a->datadir;
    rc = st_store_open(a->datadir, &o, &p->store, why, sizeof why);
    if (rc != AM_OK) {
        fprintf(stderr, "addrmand: %s%s\n", why, rc == AM_ERR_EXISTS
                ? ": a server runs on it; stop it first, or use the HTTP API"
                : "");
        return CLI_FAILED;
    }
    am_config_default(&ac);
    ac.allow_local = a->chain->id == AM_CHAIN_REGTEST;
    memset(&pc, 0, sizeof pc);
    if ((rc = st_store_config(p->store, &ac)) != AM_OK ||
        (rc = am_new(&ac, &p->core)) != AM_OK ||
        (rc = st_store_load(p->store, p->core, NULL)) != AM_OK)
        goto fail;
    pc.core = p->core;
    pc.store = p->store;
    if ((rc = st_pool_new(&pc, &p->pool)) == AM_OK)
        return 0;
fail:
    fprintf(stderr, "addrmand: cannot open the pool of %s: %s\n",
            a->datadir, am_strerror(rc));
    pool_close(p);
    return CLI_FAILED;
}

/* ---- import ---------------------------------------------------------- */

static int read_all(const char *name, char **out, size_t *len)
{
    FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap), *grown;

    if (f == NULL || buf == NULL) {
        free(buf);
        return -1;
    }
    for (;;) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap > ST_STORE_MAX_FILE)
            break;
        if ((grown = realloc(buf, cap * 2)) == NULL)
            break;
        buf = grown;
        cap *= 2;
    }
    int bad = ferror(f) || n == cap;
    if (f != stdin)
        fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int read_doc(const cli_args *a, const char *text, size_t len,
                    st_doc *doc, st_merge_result *r)
{
    switch (a->format) {
    case CLI_CORE:
        return st_coredat_read((const uint8_t *)text, len, a->chain, doc, r);
    case CLI_FLORESTA:
        return st_floresta_read(text, len, doc, r);
    case CLI_BTCD:
        return st_btcd_read(text, len, doc, r);
    case CLI_LINES:
        return st_lines_read(text, len, 0, doc, r);
    }
    return AM_ERR_INVAL;
}

static int print_result(const st_merge_result *r)
{
    char *text = NULL;
    size_t len = 0;
    js_w w;

    js_w_init(&w);
    st_merge_result_write(&w, r);
    if (js_w_take(&w, &text, &len) != AM_OK)
        return CLI_FAILED;
    printf("%.*s\n", (int)len, text);
    free(text);
    return 0;
}

/* Merge the parsed document, then save: the answer on stdout. */
static int merge_and_save(const cli_args *a, const st_doc *doc,
                          st_merge_result *r)
{
    cli_pool p;
    size_t peers = 0;
    int rc = pool_open(a, &p);

    if (rc != 0)
        return rc;
    rc = st_pool_merge(p.pool, doc, r);
    if (rc == AM_OK)
        rc = st_pool_save(p.pool, &peers);
    pool_close(&p);
    if (rc != AM_OK) {
        fprintf(stderr, "addrmand: the import into %s failed: %s\n",
                a->datadir, am_strerror(rc));
        return CLI_FAILED;
    }
    fprintf(stderr, "addrmand: %s now holds %zu peers\n", a->datadir, peers);
    return print_result(r);
}

static int cli_import(const cli_args *a)
{
    st_merge_result r;
    st_doc doc;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (read_all(a->file, &text, &len) != 0) {
        fprintf(stderr, "addrmand: cannot read %s\n", a->file);
        return CLI_FAILED;
    }
    st_doc_init(&doc);
    st_merge_result_init(&r);
    rc = read_doc(a, text, len, &doc, &r);
    free(text);
    if (rc == AM_OK) {
        rc = merge_and_save(a, &doc, &r);
    } else {
        fprintf(stderr, "addrmand: %s cannot be read: %s; nothing was "
                "changed\n", a->file, r.unreadable ? r.why : am_strerror(rc));
        rc = CLI_FAILED;
    }
    st_doc_free(&doc);
    st_merge_result_free(&r);
    return rc;
}

/* ---- export ---------------------------------------------------------- */

static int export_bytes(const cli_args *a, st_pool *pool, char **out,
                        size_t *len)
{
    st_coredat_written w;
    int rc;

    switch (a->format) {
    case CLI_CORE:
        rc = st_pool_export_core(pool, a->chain, (uint8_t **)out, len, &w);
        if (rc == AM_OK)
            fprintf(stderr, "addrmand: peers.dat for %s: %zu tried and %zu "
                    "new entries (%zu tried peers written as new), %zu "
                    "left out (their slot was taken), %zu invalid\n",
                    a->chain->name, w.tried, w.new_entries, w.demoted,
                    w.left_out, w.invalid);
        return rc;
    case CLI_FLORESTA:
        return st_pool_export(pool, out, len);
    case CLI_BTCD:
    case CLI_LINES:
        break;
    }
    return AM_ERR_INVAL;
}

static int cli_export(const cli_args *a)
{
    struct stat st;
    cli_pool p;
    char *out = NULL;
    size_t len = 0;
    int rc;

    if (a->format == CLI_CORE && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "addrmand: a peers.dat is binary: redirect stdout "
                "to a file\n");
        return CLI_USAGE;
    }
    /* Opening would create a missing directory: an empty export of a
     * mistyped path would look like success. */
    if (stat(a->datadir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "addrmand: %s is not a data directory\n",
                a->datadir);
        return CLI_FAILED;
    }
    if ((rc = pool_open(a, &p)) != 0)
        return rc;
    rc = export_bytes(a, p.pool, &out, &len);
    pool_close(&p);
    if (rc != AM_OK) {
        fprintf(stderr, "addrmand: cannot export %s: %s\n", a->datadir,
                am_strerror(rc));
        return CLI_FAILED;
    }
    rc = fwrite(out, 1, len, stdout) == len && fflush(stdout) == 0
             ? 0 : CLI_FAILED;
    if (rc != 0)
        fprintf(stderr, "addrmand: cannot write the export to stdout\n");
    free(out);
    return rc;
}

int srv_cli_main(int argc, char **argv)
{
    cli_args a;
    int rc = args_parse(argc, argv, &a);

    if (rc != 0)
        return rc;
    return a.import ? cli_import(&a) : cli_export(&a);
}
