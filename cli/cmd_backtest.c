/*
 * cmd_backtest.c: `kubesim backtest --data PRICES.csv --strategy S ... --json`:
 * runs one backtest kernel on a CSV of closing prices and prints one JSON
 * object (BACKTEST.md's command-line contract).
 *
 * Invariant: stdout receives either the complete JSON text or nothing; every
 * error goes to stderr (naming file, line and column for bad data) with exit
 * code 2. Floats are printed with 17 significant digits, so they read back
 * bit for bit; a Sharpe ratio with zero volatility is null.
 */
#include "cli/cli.h"

#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "workloads/backtest/bt.h"

/* ---- a JSON text buffer -------------------------------------------------- */

typedef struct Jb {
    SimMem *m;
    char *s;
    size_t len, cap;
    int oom;
} Jb;

static void jb_printf(Jb *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(Jb *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (j->oom || n < 0 || sim_mem_grow(j->m, (void **)&j->s, &j->cap, j->len + (size_t)n + 1, 1)) {
        j->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(j->s + j->len, j->cap - j->len, fmt, ap);
    va_end(ap);
    j->len += (size_t)n;
}

static void jb_num(Jb *j, double v)
{
    if (isfinite(v))
        jb_printf(j, "%.17g", v);
    else
        jb_printf(j, "null");
}

static void jb_str(Jb *j, const char *s)
{
    jb_printf(j, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            jb_printf(j, "\\%c", ch);
        else if (ch < 0x20)
            jb_printf(j, "\\u%04x", ch);
        else
            jb_printf(j, "%c", ch);
    }
    jb_printf(j, "\"");
}

static void jb_key(Jb *j, const char *k)
{
    jb_str(j, k);
    jb_printf(j, ":");
}

/* ---- the JSON of a result ------------------------------------------------ */

static void put_metrics(Jb *j, const BtMetrics *m)
{
    static const char *const keys[] = {"cum_return", "ann_return", "ann_vol", "sharpe",
                                       "max_drawdown", "turnover_total", "turnover_ann"};
    const double v[] = {m->cum_return, m->ann_return, m->ann_vol, m->sharpe,
                        m->max_drawdown, m->turnover_total, m->turnover_ann};
    jb_printf(j, "{");
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        jb_key(j, keys[i]);
        if (i == 3 && m->sharpe_null)
            jb_printf(j, "null");
        else
            jb_num(j, v[i]);
        jb_printf(j, ",");
    }
    jb_printf(j, "\"n_trades\":%lld}", (long long)m->n_trades);
}

static void put_ints(Jb *j, const int *v, int n)
{
    jb_printf(j, "[");
    for (int i = 0; i < n; i++)
        jb_printf(j, "%s%d", i ? "," : "", v[i]);
    jb_printf(j, "]");
}

static void put_head(Jb *j, const BtData *d, const BtResult *r)
{
    const BtParams *p = bt_result_params(r);
    BtCost cost = bt_result_cost(r);
    jb_printf(j, "{\"strategy\":");
    jb_str(j, bt_kernel_name(p->kernel));
    jb_printf(j, ",\"T\":%zu,\"N\":%zu,\"assets\":[", bt_data_rows(d), bt_data_assets(d));
    for (size_t a = 0; a < bt_data_assets(d); a++) {
        jb_printf(j, a ? "," : "");
        jb_str(j, bt_data_name(d, a));
    }
    jb_printf(j, "],\"cost_bps\":");
    jb_num(j, p->cost_bps);
    jb_printf(j, ",\"work\":{\"flops\":%llu,\"bytes\":%llu}", (unsigned long long)cost.flops,
              (unsigned long long)cost.bytes);
}

static void put_pair(Jb *j, const BtData *d, const BtResult *r, size_t k)
{
    int f, s;
    bt_result_pair(r, k, &f, &s);
    jb_printf(j, "%s{\"fast\":%d,\"slow\":%d,\"portfolio\":", k ? "," : "", f, s);
    put_metrics(j, bt_result_ma_portfolio(r, k));
    jb_printf(j, ",\"assets\":{");
    for (size_t a = 0; a < bt_data_assets(d); a++) {
        jb_printf(j, a ? "," : "");
        jb_key(j, bt_data_name(d, a));
        put_metrics(j, bt_result_ma_asset(r, k, a));
    }
    jb_printf(j, "}}");
}

static void put_ma(Jb *j, const BtData *d, const BtResult *r)
{
    const BtParams *p = bt_result_params(r);
    jb_printf(j, ",\"mode\":\"%s\",\"fast\":", p->mode == BT_LONG_SHORT ? "long_short" : "long_flat");
    put_ints(j, p->fast, p->nfast);
    jb_printf(j, ",\"slow\":");
    put_ints(j, p->slow, p->nslow);
    jb_printf(j, ",\"pairs\":[");
    for (size_t k = 0; k < bt_result_npairs(r); k++)
        put_pair(j, d, r, k);
    jb_printf(j, "]");
}

static void put_rebal(Jb *j, const BtRebal *rb)
{
    jb_printf(j, "{\"t\":%lld,", (long long)rb->t);
    if (rb->selected) {
        jb_printf(j, "\"selected\":[");
        for (size_t i = 0; i < rb->nselected; i++)
            jb_printf(j, "%s%d", i ? "," : "", (int)rb->selected[i]);
    } else {
        jb_printf(j, "\"weights\":[");
        for (size_t i = 0; i < rb->nweights; i++) {
            jb_printf(j, i ? "," : "");
            jb_num(j, rb->weights[i]);
        }
    }
    jb_printf(j, "],\"turnover\":");
    jb_num(j, rb->turnover);
    jb_printf(j, "}");
}

static void put_book(Jb *j, const BtResult *r)
{
    const BtParams *p = bt_result_params(r);
    if (p->kernel == BT_MOMENTUM)
        jb_printf(j, ",\"lookback\":%d,\"skip\":%d,\"hold\":%d,\"top\":%d", p->lookback, p->skip,
                  p->hold, p->top);
    else {
        jb_printf(j, ",\"window\":%d,\"hold\":%d,\"shrink\":", p->window, p->hold);
        jb_num(j, p->shrink);
        jb_printf(j, ",\"gamma\":");
        jb_num(j, p->gamma);
    }
    jb_printf(j, ",\"metrics\":");
    put_metrics(j, bt_result_metrics(r));
    jb_printf(j, ",\"rebalances\":[");
    for (size_t i = 0; i < bt_result_nrebal(r); i++) {
        BtRebal rb = bt_result_rebal(r, i);
        jb_printf(j, i ? "," : "");
        put_rebal(j, &rb);
    }
    jb_printf(j, "]");
}

/* ---- the text summary (without --json) ----------------------------------- */

static void text_metrics(const char *what, const BtMetrics *m)
{
    printf("%-24s cum %+9.4f  ann %+8.4f  vol %7.4f  sharpe ", what, m->cum_return, m->ann_return,
           m->ann_vol);
    if (m->sharpe_null)
        printf("   null");
    else
        printf("%+7.3f", m->sharpe);
    printf("  maxdd %6.4f  turnover/yr %8.3f  trades %lld\n", m->max_drawdown, m->turnover_ann,
           (long long)m->n_trades);
}

static void print_text(const BtData *d, const BtResult *r)
{
    char what[64];
    BtCost cost = bt_result_cost(r);
    printf("%s on %s: T=%zu N=%zu, %llu flops, %llu bytes\n", bt_kernel_name(bt_result_kernel(r)),
           bt_data_source(d), bt_data_rows(d), bt_data_assets(d), (unsigned long long)cost.flops,
           (unsigned long long)cost.bytes);
    if (bt_result_kernel(r) != BT_MA_CROSS) {
        text_metrics("strategy", bt_result_metrics(r));
        printf("%zu rebalances (use --json for the details)\n", bt_result_nrebal(r));
        return;
    }
    for (size_t k = 0; k < bt_result_npairs(r); k++) {
        int f, s;
        bt_result_pair(r, k, &f, &s);
        snprintf(what, sizeof what, "%d/%d portfolio", f, s);
        text_metrics(what, bt_result_ma_portfolio(r, k));
    }
}

/* ---- arguments ----------------------------------------------------------- */

typedef struct Args {
    const char *data;
    const char *strategy;
    BtParams p;
    int json;
    int threads;    /* 0: leave OpenBLAS's own setting */
} Args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kubesim backtest --data PRICES.csv --strategy ma_cross|momentum|minvar|meanvar\n"
            "         [--fast LIST --slow LIST] [--mode long_flat|long_short]\n"
            "         [--lookback L --skip K --hold H --top K]\n"
            "         [--window W --hold H --shrink LAMBDA --gamma G]\n"
            "         [--cost-bps B] [--threads N] [--json]\n\n"
            "Runs one backtest kernel (BACKTEST.md) on a CSV of daily closes: a header row\n"
            "(label column, then one column per asset), then one row per day.\n"
            "  --json        print one JSON object (floats with 17 significant digits);\n"
            "                otherwise a short text summary\n"
            "  --fast, --slow  comma-separated MA windows; pairs are fast x slow with fast < slow\n"
            "                (default 2,3,5,8,10,13,15,20,25,30 x 40,50,60,80,100,120,150,180,200,250)\n"
            "  --mode        long_flat (default) or long_short\n"
            "  --lookback, --skip, --hold, --top  momentum (default 126, 0, 21, 1); momentum\n"
            "                selections are listed best first\n"
            "  --window, --hold, --shrink, --gamma  covariance kernels (default 250, 21, 0, 50)\n"
            "  --cost-bps    cost per unit of two-sided turnover (default 5)\n"
            "  --threads N   worker threads for ma_cross and OpenBLAS (results do not change)\n\n"
            "Bad input (file, line and column in the message) exits 2 with nothing on stdout.\n");
}

static int bad_arg(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "kubesim backtest: %s '%s': expected %s\n", opt, val, want);
    return CLI_BAD_INPUT;
}

static int parse_int(const char *opt, const char *s, int lo, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < lo || v > INT_MAX)
        return bad_arg(opt, s, lo > 0 ? "a positive integer" : "a non-negative integer");
    *out = (int)v;
    return CLI_OK;
}

static int parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return bad_arg(opt, s, "a number");
    *out = v;
    return CLI_OK;
}

static int parse_list(const char *opt, const char *s, int *v, int *n)
{
    char buf[1024];
    if (strlen(s) >= sizeof buf)
        return bad_arg(opt, s, "a shorter list");
    strcpy(buf, s);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == BT_MAX_GRID)
            return bad_arg(opt, s, "at most 64 windows");
        if (parse_int(opt, tok, 1, &v[(*n)++]) != CLI_OK)
            return CLI_BAD_INPUT;
    }
    return *n ? CLI_OK : bad_arg(opt, s, "a comma-separated list of positive integers");
}

static int parse_mode(const char *s, BtMode *m)
{
    if (strcmp(s, "long_flat") == 0)
        *m = BT_LONG_FLAT;
    else if (strcmp(s, "long_short") == 0)
        *m = BT_LONG_SHORT;
    else
        return bad_arg("--mode", s, "long_flat or long_short");
    return CLI_OK;
}

static int parse_opt(Args *a, int c, const char *v)
{
    BtParams *p = &a->p;
    switch (c) {
    case 'd': a->data = v; return CLI_OK;
    case 's': a->strategy = v; return CLI_OK;
    case 'f': return parse_list("--fast", v, p->fast, &p->nfast);
    case 'S': return parse_list("--slow", v, p->slow, &p->nslow);
    case 'm': return parse_mode(v, &p->mode);
    case 'L': return parse_int("--lookback", v, 1, &p->lookback);
    case 'k': return parse_int("--skip", v, 0, &p->skip);
    case 'H': return parse_int("--hold", v, 1, &p->hold);
    case 'K': return parse_int("--top", v, 1, &p->top);
    case 'W': return parse_int("--window", v, 2, &p->window);
    case 'l': return parse_double("--shrink", v, &p->shrink);
    case 'g': return parse_double("--gamma", v, &p->gamma);
    case 'c': return parse_double("--cost-bps", v, &p->cost_bps);
    case 't': return parse_int("--threads", v, 1, &a->threads);
    case 'j': a->json = 1; return CLI_OK;
    default: usage(stderr); return CLI_BAD_INPUT;
    }
}

static int parse_args(int argc, char **argv, Args *a)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"strategy", required_argument, NULL, 's'},
        {"fast", required_argument, NULL, 'f'}, {"slow", required_argument, NULL, 'S'},
        {"mode", required_argument, NULL, 'm'}, {"lookback", required_argument, NULL, 'L'},
        {"skip", required_argument, NULL, 'k'}, {"hold", required_argument, NULL, 'H'},
        {"top", required_argument, NULL, 'K'}, {"window", required_argument, NULL, 'W'},
        {"shrink", required_argument, NULL, 'l'}, {"gamma", required_argument, NULL, 'g'},
        {"cost-bps", required_argument, NULL, 'c'}, {"threads", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if (parse_opt(a, c, optarg) != CLI_OK)
            return CLI_BAD_INPUT;
    if (optind < argc) {
        fprintf(stderr, "kubesim backtest: unexpected argument '%s'\n", argv[optind]);
        return CLI_BAD_INPUT;
    }
    if (a->data == NULL || a->strategy == NULL) {
        fprintf(stderr, "kubesim backtest: --data and --strategy are required (see --help)\n");
        return CLI_BAD_INPUT;
    }
    if (bt_kernel_from_name(a->strategy, &a->p.kernel) != SIM_OK)
        return bad_arg("--strategy", a->strategy, "ma_cross, momentum, minvar or meanvar");
    a->p.threads = a->threads > 0 ? a->threads : 1;
    return CLI_OK;
}

/* ---- the command --------------------------------------------------------- */

static int emit(SimMem *m, const BtData *d, const BtResult *r)
{
    Jb j = {.m = m};
    put_head(&j, d, r);
    if (bt_result_kernel(r) == BT_MA_CROSS)
        put_ma(&j, d, r);
    else
        put_book(&j, r);
    jb_printf(&j, "}\n");
    int rc = CLI_OK;
    if (j.oom) {
        fprintf(stderr, "kubesim backtest: out of memory\n");
        rc = CLI_BAD_INPUT;
    } else if (fwrite(j.s, 1, j.len, stdout) != j.len || fflush(stdout) != 0) {
        fprintf(stderr, "kubesim backtest: cannot write the output: %s\n", strerror(errno));
        rc = CLI_BAD_INPUT;
    }
    sim_mem_free(m, j.s, j.cap);
    return rc;
}

int cmd_backtest(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    Args a = {0};
    bt_params_default(&a.p, BT_MA_CROSS);
    if (parse_args(argc, argv, &a) != CLI_OK)
        return CLI_BAD_INPUT;
    if (a.threads > 0)
        openblas_set_num_threads(a.threads);
    SimMem m;
    BtCtx c;
    BtData *d = NULL;
    BtResult *r = NULL;
    sim_mem_init(&m);
    bt_ctx_init(&c, &m);
    int rc = bt_data_load_csv(&c, a.data, &d);
    if (rc == SIM_OK)
        rc = bt_run(&c, d, &a.p, &r);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim backtest: %s\n", bt_errmsg(&c));
    else if (a.json)
        rc = emit(&m, d, r) == CLI_OK ? SIM_OK : SIM_EIO;
    else
        print_text(d, r);
    bt_result_free(r);
    bt_data_free(d);
    return rc == SIM_OK ? CLI_OK : CLI_BAD_INPUT;
}
