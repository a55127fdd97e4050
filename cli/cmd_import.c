/*
 * cmd_import.c: `kubesim import PATH... [--out SCENARIO.lua] [--name NAME]
 * [--region NAME] [--start HH:MM] [--duration D]`: reads Kubernetes
 * manifests into a Lua scenario (k8s-export/import*.c). A folder written by
 * `kubesim export` (DIR/REGION/kustomization.yaml) gives one region per
 * folder; any other folder's *.yaml and *.yml files, in name order, and
 * plain files go to --region. What the manifests hold that is not simulated
 * is listed on stderr (and in the scenario's header).
 *
 * Invariant: what import writes, `kubesim validate` accepts. The scenario is
 * written to a temporary file (beside --out, or in the temporary folder for
 * standard output), loaded with every check validate makes, and only then
 * renamed into place or printed; bad input (exit 2) leaves nothing behind.
 * Inputs are capped before they are read: a file over IMPORT_MAX_FILE, or
 * files over IMPORT_MAX_TOTAL together, are refused without reading them
 * whole (so /dev/zero or a 2 GB file costs nothing).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/fileio.h"

#define MAX_FILES 4096
#define IMPORT_MAX_FILE ((size_t)32 << 20)    /* bytes of one file */
#define IMPORT_MAX_TOTAL ((size_t)64 << 20)   /* bytes of all files together */

typedef struct ImportArgs {
    SimMem *m;                  /* every allocation of the command */
    const char *out, *name, *region, *start, *duration, *prices;
    int region_given;           /* --region: the Nodes' region label does not rename it */
    char *paths[MAX_FILES];     /* owned */
    char *regions[MAX_FILES];   /* owned */
    int fixed[MAX_FILES];       /* the region was named (--region): labels do not move objects */
    size_t n;
} ImportArgs;

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim import PATH... [--out SCENARIO.lua] [--name NAME] [--region NAME]\n"
               "                      [--start HH:MM] [--duration D] [--prices FILE]\n\n"
               "Reads Kubernetes manifests (multi-document YAML files, kubectl get -o yaml output; a folder's\n"
               "*.yaml and *.yml in name order)\n"
               "and writes a Lua scenario for kubesim validate and kubesim run. A folder written by\n"
               "kubesim export gives one region per REGION/ folder; other files go to --region.\n"
               "Each file may hold at most 32 MiB, all of them 64 MiB.\n\n"
               "  --out FILE        the scenario (default: standard output)\n"
               "  --name NAME       scenario { name } (default: imported)\n"
               "  --region NAME     the region of plain files (default: an object's kubesim.io/region\n"
               "                    label, as kubesim export writes it, else imported)\n"
               "  --start HH:MM     scenario { start } (default: what an export's kustomization.yaml\n"
               "                    records, else the scenario default)\n"
               "  --duration D      scenario { duration } (default: likewise)\n"
               "  --prices FILE     a CSV instance_type,price_per_hour (USD per node-hour; header line\n"
               "                    optional): each node group of a listed type gets that price; a group\n"
               "                    with no price is written price = \"unknown\" (its cost is reported\n"
               "                    as unknown, not $0)\n\n"
               "exit codes: 0 written, 2 bad input or usage\n");
}

static int add(ImportArgs *a, const char *path, const char *region)
{
    if (a->n == MAX_FILES) {
        fprintf(stderr, "kubesim import: %s: more than %d files\n", path, MAX_FILES);
        return -1;
    }
    a->fixed[a->n] = region == a->region && a->region_given;
    a->paths[a->n] = sim_mem_strdup(a->m, path);
    a->regions[a->n] = sim_mem_strdup(a->m, region);
    if (a->paths[a->n] == NULL || a->regions[a->n] == NULL) {
        sim_mem_strfree(a->m, a->paths[a->n]);
        sim_mem_strfree(a->m, a->regions[a->n]);
        fprintf(stderr, "kubesim import: out of memory\n");
        return -1;
    }
    a->n++;
    return 0;
}

/* *.yaml and *.yml (both are common; kubectl apply -f DIR reads both). */
static int yaml_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A folder's entries, sorted by name (byte order: alphasort's in the C
 * locale, which kubesim never leaves), in *names (n of cap slots, through m). */
typedef struct Entries {
    char **v;
    size_t n, cap;
} Entries;

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void entries_free(SimMem *m, Entries *es)
{
    for (size_t i = 0; i < es->n; i++)
        sim_mem_strfree(m, es->v[i]);
    sim_mem_free(m, es->v, es->cap * sizeof *es->v);
}

/* 0, or -1 with errno set. */
static int entries_read(SimMem *m, const char *dir, Entries *es)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    struct dirent *e;
    int rc = 0;
    errno = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (sim_mem_grow(m, (void **)&es->v, &es->cap, es->n + 1, sizeof *es->v) != SIM_OK ||
            (es->v[es->n] = sim_mem_strdup(m, e->d_name)) == NULL) {
            errno = ENOMEM;
            rc = -1;
        } else {
            es->n++;
        }
    }
    int e2 = errno;
    closedir(d);
    errno = e2;
    if (rc == 0 && e2 != 0)
        rc = -1;
    qsort(es->v, es->n, sizeof *es->v, by_name);
    return rc;
}

/* A folder's *.yaml, or (an export) each REGION/ folder's. */
static int add_dir(ImportArgs *a, const char *dir, const char *region, int depth)
{
    Entries es = {0};
    int rc = 0;
    size_t before = a->n;
    if (entries_read(a->m, dir, &es) != 0) {
        if (errno == ENOMEM)
            fprintf(stderr, "kubesim import: %s: out of memory\n", dir);
        else
            fprintf(stderr, "kubesim import: %s: cannot read the folder: %s\n", dir, strerror(errno));
        entries_free(a->m, &es);
        return -1;
    }
    for (size_t i = 0; i < es.n; i++) {
        const char *name = es.v[i];
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        char kust[4200];
        snprintf(kust, sizeof kust, "%s/kustomization.yaml", p);
        if (rc == 0 && depth == 0 && name[0] != '.' && is_dir(p) && access(kust, F_OK) == 0)
            rc = add_dir(a, p, name, 1);
        else if (rc == 0 && yaml_name(name))
            rc = add(a, p, region);
    }
    entries_free(a->m, &es);
    if (rc == 0 && depth == 0 && a->n == before) {
        fprintf(stderr, "kubesim import: %s: the folder holds no *.yaml or *.yml files (nor REGION/ folders of an export)\n",
                dir);
        return -1;
    }
    return rc;
}

static int parse_args(int argc, char **argv, ImportArgs *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"name", required_argument, NULL, 'n'},
        {"region", required_argument, NULL, 'r'}, {"start", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'}, {"prices", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'n': a->name = optarg; break;
        case 'r': a->region = optarg, a->region_given = 1; break;
        case 's': a->start = optarg; break;
        case 'd': a->duration = optarg; break;
        case 'p': a->prices = optarg; break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind == argc) {
        usage(stderr);
        return -1;
    }
    for (; optind < argc; optind++) {
        int rc = is_dir(argv[optind]) ? add_dir(a, argv[optind], a->region, 0) : add(a, argv[optind], a->region);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- reading, within the caps ------------------------------------------- */

/* The most path may add to *total bytes read so far, and what to call it. */
static size_t room(size_t total, const char **which)
{
    size_t left = IMPORT_MAX_TOTAL - total;
    *which = left < IMPORT_MAX_FILE ? "larger than the 64 MiB limit of all files together"
                                    : "larger than the 32 MiB limit of one file";
    return left < IMPORT_MAX_FILE ? left : IMPORT_MAX_FILE;
}

/* Reads fd whole into a NUL-terminated buffer through m (*len + 1 bytes, to
 * free by that size), at most max bytes; NULL with errno set (EFBIG past max). */
static char *read_fd(SimMem *m, int fd, size_t hint, size_t max, size_t *len)
{
    size_t cap = hint < max ? hint + 1 : max + 1, n = 0;
    char *buf = sim_mem_alloc(m, cap + 1);
    while (buf) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got < 0) {
                int e = errno;
                sim_mem_free(m, buf, cap + 1);
                errno = e;
                return NULL;
            }
            break;
        }
        n += (size_t)got;
        if (n > max) {   /* one byte past the cap is enough to know */
            sim_mem_free(m, buf, cap + 1);
            errno = EFBIG;
            return NULL;
        }
        if (n == cap) {
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = sim_mem_realloc(m, buf, cap + 1, ncap + 1);
            if (nb == NULL)
                sim_mem_free(m, buf, cap + 1);
            buf = nb, cap = ncap;
        }
    }
    if (buf == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    buf = sim_mem_realloc(m, buf, cap + 1, n + 1);   /* a shrink: never fails */
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* One input file, refused with a message that says why: missing, a folder,
 * unreadable, or over a cap (checked on the size before reading when the
 * file has one, and while reading when it does not, as a pipe). */
static char *read_input(SimMem *m, const char *path, size_t *len, size_t *total)
{
    const char *which;
    size_t max = room(*total, &which);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "kubesim import: %s: cannot read it: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char *text = NULL;
    if (S_ISDIR(st.st_mode))
        fprintf(stderr, "kubesim import: %s: is a folder, not a YAML file (only the top folder of an export holds "
                        "REGION/ folders)\n", path);
    else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max)
        fprintf(stderr, "kubesim import: %s: %jd bytes: %s\n", path, (intmax_t)st.st_size, which);
    else if ((text = read_fd(m, fd, S_ISREG(st.st_mode) ? (size_t)st.st_size : 1 << 16, max, len)) == NULL)
        fprintf(stderr, "kubesim import: %s: %s\n", path,
                errno == EFBIG ? which : errno == ENOMEM ? "out of memory" : strerror(errno));
    close(fd);
    if (text)
        *total += *len;
    return text;
}

/* ---- the checks validate makes, for the importer ----------------------- */

static int is_duration(const char *s)
{
    SimTime t;
    return scn_parse_duration(s, &t) == SIM_OK && t >= 0;
}

static int is_clock(const char *s)
{
    SimTime t;
    return scn_parse_clock(s, &t) == SIM_OK;
}

/* The options as the scenario will read them; -1 after a message. */
static int check_flags(const ImportArgs *a)
{
    SimTime t;
    if (a->duration && (scn_parse_duration(a->duration, &t) != SIM_OK || t <= 0)) {
        fprintf(stderr, "kubesim import: --duration '%s': not a positive duration (e.g. 90m, 6h, 1h30m)\n",
                a->duration);
        return -1;
    }
    const char *why;
    if (a->region && !kx_name_valid(a->region, KX_DNS1123_LABEL, &why)) {
        fprintf(stderr, "kubesim import: --region '%s': not a valid region name: %s\n", a->region, why);
        return -1;
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------- */

/* text into a new file made from template tmpl (mkstemp); 0, or -1 with
 * errno set and no file left. */
static int write_tmp(char *tmpl, const char *text, size_t len)
{
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "wb");
    if (f == NULL) {
        int e = errno;
        close(fd);
        unlink(tmpl);
        errno = e;
        return -1;
    }
    int ok = fwrite(text, 1, len, f) == len;
    int e = errno;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        e = errno ? errno : e;
        unlink(tmpl);
        errno = e;
        return -1;
    }
    return 0;
}

/* "TMP:LINE: reason" from scn_load, reported at the manifest that line of
 * the scenario came from (a check the importer itself lacks), or at the
 * scenario's line when no manifest wrote it. */
static void report_invalid(const char *tmp, const char *text, const KxImportOrigin *org, size_t norg,
                           const char *msg)
{
    /* The loader may shorten a long path from the left: find its last part. */
    const char *base = strrchr(tmp, '/') ? strrchr(tmp, '/') + 1 : tmp, *hit = strstr(msg, base);
    size_t n = strlen(base);
    const char *rest = hit && hit[n] == ':' ? hit + n + 1 : msg;
    char *end;
    long line = strtol(rest, &end, 10);
    if (end != rest && *end == ':')
        rest = end + 1 + (end[1] == ' ');
    if (line >= 1 && (size_t)line <= norg && org[line - 1].file) {
        fprintf(stderr, "kubesim import: %s:%d: not valid in a scenario: %s\n", org[line - 1].file,
                org[line - 1].line, rest);
        return;
    }
    const char *at = text;
    for (long l = 1; l < line && at; l++)
        at = (at = strchr(at, '\n')) ? at + 1 : NULL;
    int show = at ? (int)strcspn(at, "\n") : 0;
    fprintf(stderr,
            "kubesim import: the manifests do not make a valid scenario: line %ld of the scenario `%.*s%s`: %s\n",
            line, show > 160 ? 160 : show, at ? at : "", show > 160 ? "..." : "", rest);
}

/* Loads the written scenario and builds its objects with validate's checks;
 * 0 if it passes. */
static int validates(const char *tmp, const char *text, const KxImportOrigin *org, size_t norg)
{
    SimMem m;
    sim_mem_init(&m);
    ScnOptions so = {.path = tmp, .seed = 42, .no_warnings = 1};   /* say_warnings says them, naming no temp file */
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &so, &err);
    if (s == NULL) {
        report_invalid(tmp, text, org, norg, sim_err_msg(&err));
        return -1;
    }
    ScnWorldOptions wo = {.seed = 42};   /* the objects, built as validate and run build them */
    ScnWorld *w = NULL;
    int rc = scn_world_open(&w, s, &wo);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim import: the manifests do not make a valid scenario: %s\n", scn_world_errmsg(w));
    scn_world_close(w);
    scn_free(s);
    return rc == SIM_OK ? 0 : -1;
}

/* The temporary file's template: beside out (so the rename stays on one
 * file system), or in TMPDIR for standard output. */
static int tmp_name(char *buf, size_t n, const char *out)
{
    const char *dir = getenv("TMPDIR");
    int w = out ? snprintf(buf, n, "%s.tmp-XXXXXX", out)
                : snprintf(buf, n, "%s/kubesim-import-XXXXXX", dir && *dir ? dir : "/tmp");
    return w > 0 && (size_t)w < n ? 0 : -1;
}

/* Why out cannot be written, in words: a missing folder is the usual case. */
static void cannot_write(const char *out, int e)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out ? out : ".");
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    if (e == ENOENT && out)
        fprintf(stderr, "kubesim import: cannot write %s: the folder %s does not exist\n", out,
                slash ? dir : ".");
    else
        fprintf(stderr, "kubesim import: cannot write %s: %s\n", out ? out : "a temporary file", strerror(e));
}

/* Is the folder out would go into missing? */
static int parent_missing(const char *out)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        return 0;
    *(slash == dir ? slash + 1 : slash) = '\0';
    struct stat st;
    return stat(dir, &st) != 0 && errno == ENOENT;
}

/* The scenario is loaded with validate's checks from a temporary file in
 * TMPDIR (never beside out: out may be a device such as /dev/stdout), and
 * only then written to out (whole or not at all, sim_file_replace) or to
 * standard output. */
static int write_out(const char *out, const char *text, size_t len, const KxImportOrigin *org, size_t norg)
{
    char tmp[4200];
    if (tmp_name(tmp, sizeof tmp, NULL) != 0 || write_tmp(tmp, text, len) != 0) {
        cannot_write(NULL, errno);
        return CLI_BAD_INPUT;
    }
    int ok = validates(tmp, text, org, norg) == 0;
    unlink(tmp);
    if (!ok)
        return CLI_BAD_INPUT;
    if (out == NULL)
        return cli_write_stdout("import", text, len) == 0 ? CLI_OK : CLI_BAD_INPUT;
    if (parent_missing(out)) {
        cannot_write(out, ENOENT);
        return CLI_BAD_INPUT;
    }
    SimErr err = SIM_ERR_INIT;
    if (sim_file_replace(out, text, len, &err) != SIM_OK) {
        fprintf(stderr, "kubesim import: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

/* Where the scenario's text lists the objects not simulated. */
typedef struct Skipped {
    size_t n;
    const char *text;
    size_t len;
} Skipped;

static void note_skipped(void *ctx, size_t n, const char *text, size_t len)
{
    *(Skipped *)ctx = (Skipped){n, text, len};
}

/* The objects not simulated, on stderr once the scenario is written: a
 * summary line, then the header's list (its "-- " dropped), so nothing is
 * left out silently. */
static void say_skipped(size_t n, const char *text, size_t len)
{
    fprintf(stderr, "kubesim import: %zu object%s not simulated (also listed in the scenario's header):\n", n,
            n == 1 ? " is" : "s are");
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t skip = strncmp(text + at, "-- ", 3) == 0 ? 3 : 0;
        fprintf(stderr, "  %.*s\n", (int)(end - at - skip), text + at + skip);
        at = end + 1;
    }
}

/* The scenario's "-- warning: " comments (two HPAs on one target), on
 * stderr too. */
static void say_warnings(const char *text, size_t len)
{
    static const char tag[] = "-- warning: ";
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (end - at > sizeof tag - 1 && strncmp(text + at, tag, sizeof tag - 1) == 0)
            fprintf(stderr, "kubesim import: warning: %.*s\n", (int)(end - at - (sizeof tag - 1)),
                    text + at + sizeof tag - 1);
        at = end + 1;
    }
}

/* --prices FILE into *t; 0, or -1 after a message (FILE:LINE: why). */
static int read_prices(SimMem *m, const char *path, KxPrices *t)
{
    char *text;
    size_t len;
    SimErr err = SIM_ERR_INIT;
    if (sim_file_read(m, path, SIM_FILE_MAX_JSON, "a prices CSV", &text, &len, &err) != SIM_OK) {
        fprintf(stderr, "kubesim import: --prices %s\n", sim_err_msg(&err));
        return -1;
    }
    int rc = kx_prices_parse(m, path, text, len, t, &err);
    sim_mem_free(m, text, len + 1);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim import: %s\n", sim_err_msg(&err));
    return rc == SIM_OK ? 0 : -1;
}

static int run_import(ImportArgs *a)
{
    SimMem *m = a->m;
    KxImportFile *files = sim_mem_calloc(m, a->n, sizeof *files);
    char **texts = sim_mem_calloc(m, a->n, sizeof *texts);
    SimErr err = SIM_ERR_INIT;
    size_t total = 0;
    KxPrices prices = {0};
    int rc = check_flags(a) == 0 ? CLI_OK : CLI_BAD_INPUT;
    if (rc == CLI_OK && a->prices && read_prices(m, a->prices, &prices) != 0)
        rc = CLI_BAD_INPUT;
    if (files == NULL || texts == NULL) {
        fprintf(stderr, "kubesim import: out of memory\n");
        rc = CLI_BAD_INPUT;
    }
    for (size_t i = 0; i < a->n && rc == CLI_OK; i++) {
        files[i] = (KxImportFile){.path = a->paths[i], .region = a->regions[i], .region_fixed = a->fixed[i]};
        texts[i] = read_input(m, a->paths[i], &files[i].len, &total);
        files[i].text = texts[i];
        if (texts[i] == NULL)
            rc = CLI_BAD_INPUT;
    }
    char *text = NULL;
    size_t len = 0, norg = 0;
    KxImportOrigin *org = NULL;
    Skipped skipped = {0};
    KxImportOptions o = {.name = a->name, .start = a->start, .duration = a->duration,
                         .is_duration = is_duration, .is_clock = is_clock, .origins = &org, .norigins = &norg,
                         .skipped = note_skipped, .skipped_ctx = &skipped,
                         .unnamed_region = a->region_given ? NULL : a->region,
                         .prices = a->prices ? &prices : NULL};
    if (rc == CLI_OK && kx_import(m, files, a->n, &o, &text, &len, &err) != SIM_OK) {
        fprintf(stderr, "kubesim import: %s\n", sim_err_msg(&err));
        rc = CLI_BAD_INPUT;
    }
    if (rc == CLI_OK)
        rc = write_out(a->out, text, len, org, norg);
    if (rc == CLI_OK && skipped.n)
        say_skipped(skipped.n, skipped.text, skipped.len);
    if (rc == CLI_OK)
        say_warnings(text, len);
    if (text)
        sim_mem_free(m, text, len + 1);
    sim_mem_free(m, org, norg * sizeof *org);
    for (size_t i = 0; texts && i < a->n; i++)
        if (texts[i])
            sim_mem_free(m, texts[i], files[i].len + 1);
    sim_mem_free(m, texts, a->n * sizeof *texts);
    sim_mem_free(m, files, a->n * sizeof *files);
    kx_prices_free(m, &prices);
    return rc;
}

int cmd_import(int argc, char **argv)
{
    SimMem m;
    sim_mem_init(&m);
    ImportArgs *a = sim_mem_calloc(&m, 1, sizeof *a);
    if (a == NULL) {
        fprintf(stderr, "kubesim import: out of memory\n");
        return CLI_BAD_INPUT;
    }
    a->m = &m;
    a->region = "imported";
    int r = parse_args(argc, argv, a);
    int rc = r < 0 ? CLI_BAD_INPUT : r > 0 ? CLI_OK : run_import(a);
    for (size_t i = 0; i < a->n; i++) {
        sim_mem_strfree(&m, a->paths[i]);
        sim_mem_strfree(&m, a->regions[i]);
    }
    sim_mem_free(&m, a, sizeof *a);
    return rc;
}
