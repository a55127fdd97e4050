/*
 * csv.c: the price CSV reader. A header row (a label column, then one unique
 * non-empty name per asset), then one row per day (label, then prices).
 *
 * Invariant: the reader either returns a complete, valid BtData or an error
 * that names the file, the 1-based line and the column ("FILE:LINE: column
 * NAME: reason"), with everything it allocated freed. Quoting is limited to
 * stripping one pair of double quotes around a field: price files do not
 * embed commas.
 */
#include "workloads/backtest/bt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fileio.h"
#include "workloads/backtest/bt_int.h"

typedef struct Span {
    const char *s, *e;
} Span;

typedef struct Csv {
    BtCtx *c;
    const char *name;
    const char *p, *end;     /* cursor over the text */
    size_t line;             /* line number of the last line read */
    size_t ncols;            /* header fields, label included */
    char **names;            /* ncols - 1 asset names */
    double *px;              /* rows x (ncols - 1) */
    size_t npx, cap;
} Csv;

/* ---- lexing -------------------------------------------------------------- */

static Span trim(Span f)
{
    while (f.s < f.e && (*f.s == ' ' || *f.s == '\t'))
        f.s++;
    while (f.e > f.s && (f.e[-1] == ' ' || f.e[-1] == '\t' || f.e[-1] == '\r'))
        f.e--;
    if (f.e - f.s >= 2 && *f.s == '"' && f.e[-1] == '"') {
        f.s++;
        f.e--;
    }
    return f;
}

/* The next physical line without its terminator; 0 at the end of the text. */
static int next_line(Csv *cs, Span *ln)
{
    if (cs->p >= cs->end)
        return 0;
    const char *nl = memchr(cs->p, '\n', (size_t)(cs->end - cs->p));
    ln->s = cs->p;
    ln->e = nl ? nl : cs->end;
    cs->p = nl ? nl + 1 : cs->end;
    cs->line++;
    return 1;
}

static int blank(Span ln)
{
    return trim(ln).s == trim(ln).e;
}

/* True when only blank lines remain: trailing blank lines end the table. */
static int rest_blank(const Csv *cs)
{
    for (const char *q = cs->p; q < cs->end; q++)
        if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
            return 0;
    return 1;
}

/* Field i (0-based) of a line and the number of fields, in one pass. */
static size_t split(Span ln, Span *out, size_t max)
{
    size_t n = 0;
    const char *s = ln.s;
    for (const char *q = ln.s;; q++) {
        if (q == ln.e || *q == ',') {
            if (n < max)
                out[n] = (Span){s, q};
            n++;
            s = q + 1;
            if (q == ln.e)
                break;
        }
    }
    return n;
}

static size_t count_fields(Span ln)
{
    size_t n = 1;
    for (const char *q = ln.s; q < ln.e; q++)
        n += *q == ',';
    return n;
}

/* ---- the header ---------------------------------------------------------- */

static int bad(Csv *cs, const char *col, const char *why)
{
    return bt_fail(cs->c, SIM_EINVAL, "%s:%zu: column %s: %s", cs->name, cs->line, col, why);
}

static int check_name(Csv *cs, size_t i)
{
    char col[32];
    snprintf(col, sizeof col, "#%zu", i + 2);
    if (cs->names[i][0] == '\0')
        return bad(cs, col, "empty column name");
    for (size_t j = 0; j < i; j++) {
        if (strcmp(cs->names[j], cs->names[i]) == 0) {
            char why[64];
            snprintf(why, sizeof why, "duplicate column name (also column %zu)", j + 2);
            return bad(cs, cs->names[i], why);
        }
    }
    return SIM_OK;
}

static int store_name(Csv *cs, size_t i, Span f)
{
    size_t len = (size_t)(f.e - f.s);
    cs->names[i] = sim_mem_alloc(cs->c->mem, len + 1);
    if (cs->names[i] == NULL)
        return bt_oom(cs->c);
    memcpy(cs->names[i], f.s, len);
    cs->names[i][len] = '\0';
    return check_name(cs, i);
}

static int header(Csv *cs)
{
    Span ln;
    if (!next_line(cs, &ln) || (blank(ln) && rest_blank(cs))) {
        cs->line = 1;
        return bad(cs, "(none)", "empty file: expected a header row");
    }
    if (ln.e - ln.s >= 3 && memcmp(ln.s, "\xEF\xBB\xBF", 3) == 0)
        ln.s += 3;   /* a UTF-8 byte-order mark is not part of the first name */
    cs->ncols = count_fields(ln);
    if (cs->ncols < 2)
        return bad(cs, "#2", "no asset columns: expected a label column, then one column per asset");
    cs->names = bt_alloc(cs->c, cs->ncols - 1, sizeof *cs->names);
    Span *f = bt_alloc(cs->c, cs->ncols, sizeof *f);
    int rc = (cs->names && f) ? SIM_OK : SIM_ENOMEM;
    if (rc == SIM_OK)
        split(ln, f, cs->ncols);
    for (size_t i = 0; rc == SIM_OK && i + 1 < cs->ncols; i++)
        rc = store_name(cs, i, trim(f[i + 1]));
    bt_free(cs->c->mem, f, cs->ncols, sizeof *f);
    return rc;
}

/* ---- the rows ------------------------------------------------------------ */

static int price(Csv *cs, size_t col, Span f, double *out)
{
    char buf[256];
    const char *nm = cs->names[col];
    f = trim(f);
    size_t len = (size_t)(f.e - f.s);
    if (len == 0)
        return bad(cs, nm, "non-numeric price: empty field");
    if (len >= sizeof buf)
        return bad(cs, nm, "non-numeric price: field too long");
    memcpy(buf, f.s, len);
    buf[len] = '\0';
    char *endp;
    errno = 0;
    double v = strtod(buf, &endp);
    char why[300];
    if (endp != buf + len || !isfinite(v)) {
        snprintf(why, sizeof why, "non-numeric price '%s'", buf);
        return bad(cs, nm, why);
    }
    if (!(v > 0)) {
        snprintf(why, sizeof why, "non-positive price %s", buf);
        return bad(cs, nm, why);
    }
    *out = v;
    return SIM_OK;
}

static int ragged(Csv *cs, size_t n)
{
    char why[96], col[32];
    snprintf(why, sizeof why, "ragged row: %zu fields, the header has %zu", n, cs->ncols);
    if (n < cs->ncols)
        return bad(cs, cs->names[n < 1 ? 0 : n - 1], why);
    snprintf(col, sizeof col, "#%zu", cs->ncols + 1);
    return bad(cs, col, why);
}

static int row(Csv *cs, Span ln, Span *f)
{
    size_t n = split(ln, f, cs->ncols);
    if (n != cs->ncols)
        return ragged(cs, n);
    size_t N = cs->ncols - 1;
    if (sim_mem_grow(cs->c->mem, (void **)&cs->px, &cs->cap, cs->npx + N, sizeof *cs->px) != SIM_OK)
        return bt_oom(cs->c);
    for (size_t a = 0; a < N; a++) {
        int rc = price(cs, a, f[a + 1], &cs->px[cs->npx + a]);
        if (rc != SIM_OK)
            return rc;
    }
    cs->npx += N;
    return SIM_OK;
}

static int rows(Csv *cs)
{
    Span ln;
    Span *f = bt_alloc(cs->c, cs->ncols, sizeof *f);
    if (f == NULL)
        return SIM_ENOMEM;
    int rc = SIM_OK;
    while (rc == SIM_OK && next_line(cs, &ln)) {
        if (blank(ln) && rest_blank(cs))
            break;
        rc = row(cs, ln, f);
    }
    bt_free(cs->c->mem, f, cs->ncols, sizeof *f);
    if (rc == SIM_OK && cs->npx == 0) {
        cs->line = 2;
        rc = bad(cs, cs->names[0], "no data rows after the header");
    }
    return rc;
}

static void csv_free(Csv *cs)
{
    SimMem *m = cs->c->mem;
    if (cs->names) {
        for (size_t i = 0; i + 1 < cs->ncols; i++)
            if (cs->names[i])
                sim_mem_strfree(m, cs->names[i]);
        bt_free(m, cs->names, cs->ncols - 1, sizeof *cs->names);
    }
    if (cs->px)
        sim_mem_free(m, cs->px, cs->cap * sizeof *cs->px);
}

int bt_data_parse_csv(BtCtx *c, const char *name, const char *text, size_t len, BtData **out)
{
    Csv cs = {.c = c, .name = name, .p = text, .end = text + len};
    *out = NULL;
    int rc = header(&cs);
    if (rc == SIM_OK)
        rc = rows(&cs);
    if (rc == SIM_OK) {
        size_t N = cs.ncols - 1;
        rc = bt_data_build(c, name, 2, cs.npx / N, N, cs.px, (const char *const *)cs.names, out);
    }
    csv_free(&cs);
    return rc;
}

/* ---- files --------------------------------------------------------------- */

/* The file is capped (sim/fileio.h), so /dev/zero or an endless FIFO stops
 * with a message instead of filling memory. */
int bt_data_load_csv(BtCtx *c, const char *path, BtData **out)
{
    char *buf = NULL;
    SimErr why = SIM_ERR_INIT;
    size_t len = 0;
    *out = NULL;
    int rc = sim_file_read(c->mem, path, SIM_FILE_MAX_CSV, "a backtest CSV", &buf, &len, &why);
    if (rc != SIM_OK)
        return rc == SIM_ENOMEM ? bt_oom(c) : bt_fail(c, rc, "%s", sim_err_msg(&why));
    rc = bt_data_parse_csv(c, path, buf, len, out);
    sim_mem_free(c->mem, buf, len + 1);
    return rc;
}
