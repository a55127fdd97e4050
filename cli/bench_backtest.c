/*
 * bench_backtest.c: the backtest benchmarks of `kubesim bench`.
 *
 * ma_cross: kernel (a) on 20 synthetic assets x 2000 days x the default 100
 * pairs with every metric, single thread; when NumPy is importable, the NumPy
 * reference (tests/backtest_ref.py) times the same computation on the same
 * data in the same run, and the speed-up is reported.
 * minvar: kernel (c) on 200 assets x 2000 days, window 500, single thread,
 * beside OpenBLAS DGEMM of the specified dsyrk's shape (assets x window
 * times window x assets) measured in the same run, interleaved, both on the
 * thread's CPU clock (so other processes' load does not tilt the ratio).
 * The kernel rolls its covariance and so does fewer flops than the
 * specified computation counts: `ratio` is DGEMM's time for the counted
 * (specified) work over the kernel's time, `gflops` the flops it actually
 * did per second and `flops_ratio` that rate over DGEMM's.
 * Invariant: every figure is the best of several repetitions in this process.
 */
#include "cli/bench.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/sim.h"
#include "workloads/backtest/bt.h"

typedef struct Fixture {
    SimMem m;
    BtCtx c;
    BtData *d;
} Fixture;

static int fixture(Fixture *f, size_t rows, size_t assets)
{
    sim_mem_init(&f->m);
    bt_ctx_init(&f->c, &f->m);
    f->d = NULL;
    if (bt_data_synthetic(&f->c, rows, assets, 7, &f->d) == SIM_OK)
        return 0;
    fprintf(stderr, "bench: %s\n", bt_errmsg(&f->c));
    return -1;
}

/* Best wall time of reps runs; -1 on an error (printed). */
static double best_run(Fixture *f, const BtParams *p, int reps)
{
    double best = 1e300;
    for (int i = 0; i < reps; i++) {
        BtResult *r = NULL;
        double t0 = bench_now();
        int rc = bt_run(&f->c, f->d, p, &r);
        double s = bench_now() - t0;
        bt_result_free(r);
        if (rc != SIM_OK) {
            fprintf(stderr, "bench: %s\n", bt_errmsg(&f->c));
            return -1;
        }
        best = s < best ? s : best;
    }
    return best;
}

/* ---- the NumPy reference ------------------------------------------------- */

/* The reference script: $KUBESIM_SRC/tests/, else the tests/ directory of
 * the source tree this file was compiled from. */
static int ref_script(char *buf, size_t n)
{
    const char *src = getenv("KUBESIM_SRC");
    if (src && *src) {
        snprintf(buf, n, "%s/tests/backtest_ref.py", src);
    } else {
        const char *cli = strstr(__FILE__, "cli/bench_backtest.c");
        int len = cli ? (int)(cli - __FILE__) : 0;
        snprintf(buf, n, "%.*stests/backtest_ref.py", len, __FILE__);
    }
    return access(buf, R_OK) == 0 && strchr(buf, '\'') == NULL ? 0 : -1;
}

/* Debian's python3 first: a PATH python3 may be a pyenv one without NumPy. */
static const char *python_with_numpy(void)
{
    static const char *const cands[] = {"/usr/bin/python3", "python3"};
    char cmd[256];
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0)
            return cands[i];
    }
    return NULL;
}

static int write_csv(const BtData *d, char *path, size_t n)
{
    snprintf(path, n, "/tmp/kubesim-bench-XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL)
        return -1;
    size_t T = bt_data_rows(d), N = bt_data_assets(d);
    const double *P = bt_data_prices(d);
    fprintf(f, "t");
    for (size_t a = 0; a < N; a++)
        fprintf(f, ",%s", bt_data_name(d, a));
    for (size_t t = 0; t < T; t++) {
        fprintf(f, "\n%zu", t);
        for (size_t a = 0; a < N; a++)
            fprintf(f, ",%.17g", P[t * N + a]);
    }
    fprintf(f, "\n");
    int bad = ferror(f) != 0;
    return fclose(f) == 0 && !bad ? 0 : -1;
}

static void grid_arg(char *buf, size_t n, const int *v, int k)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < k && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%d", i ? "," : "", v[i]);
}

/* Seconds the reference takes for the same computation, or -1 when Python,
 * NumPy or the script is missing (the figures are then omitted). */
static double numpy_seconds(const BtData *d, const BtParams *p, int reps)
{
    char script[1024], csv[64], fast[512], slow[512], cmd[4096], out[256] = "";
    const char *py = python_with_numpy();
    if (py == NULL || ref_script(script, sizeof script) != 0 || write_csv(d, csv, sizeof csv))
        return -1;
    grid_arg(fast, sizeof fast, p->fast, p->nfast);
    grid_arg(slow, sizeof slow, p->slow, p->nslow);
    snprintf(cmd, sizeof cmd,
             "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 %s '%s' --data '%s' "
             "--strategy ma_cross --fast %s --slow %s --cost-bps %.17g --time %d",
             py, script, csv, fast, slow, p->cost_bps, reps);
    FILE *f = popen(cmd, "r");
    size_t got = f ? fread(out, 1, sizeof out - 1, f) : 0;
    int st = f ? pclose(f) : -1;
    remove(csv);
    out[got] = '\0';
    cJSON *o = st == 0 ? cJSON_Parse(out) : NULL;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "seconds");
    double v = cJSON_IsNumber(s) ? s->valuedouble : -1;
    cJSON_Delete(o);
    return v;
}

/* ---- ma_cross ------------------------------------------------------------ */

static void quick_grid(BtParams *p)
{
    static const int fast[] = {2, 5, 10, 20}, slow[] = {40, 60, 100, 150};
    p->nfast = p->nslow = 4;
    memcpy(p->fast, fast, sizeof fast);
    memcpy(p->slow, slow, sizeof slow);
}

int bench_ma_cross(cJSON *out, int quick)
{
    Fixture f;
    size_t T = quick ? 500 : 2000, N = quick ? 8 : 20;
    BtParams p;
    bt_params_default(&p, BT_MA_CROSS);
    if (quick)
        quick_grid(&p);
    if (fixture(&f, T, N) != 0)
        return -1;
    double s = best_run(&f, &p, quick ? 2 : 7);
    double np = s > 0 ? numpy_seconds(f.d, &p, quick ? 1 : 5) : -1;
    BtCost cost = bt_cost_predict(&p, T, N);
    bt_data_free(f.d);
    if (s < 0)
        return -1;
    cJSON_AddNumberToObject(out, "assets", (double)N);
    cJSON_AddNumberToObject(out, "days", (double)T);
    cJSON_AddNumberToObject(out, "pairs", (double)p.nfast * p.nslow);
    cJSON_AddNumberToObject(out, "seconds", s);
    if (np > 0) {
        cJSON_AddNumberToObject(out, "numpy_seconds", np);
        cJSON_AddNumberToObject(out, "speedup", np / s);
    }
    cJSON_AddNumberToObject(out, "threads", 1);
    cJSON_AddNumberToObject(out, "gflops", (double)cost.flops / s * 1e-9);
    return 0;
}

/* ---- minvar -------------------------------------------------------------- */

/* CPU seconds of the calling thread: both sides of the race run on it alone
 * (OpenBLAS is held to one thread), and time other processes take from it
 * is not counted. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds of `calls` DGEMMs C = A A^T with A m x k: the dsyrk's shape, as
 * many calls as the kernel has windows. */
static double dgemm_seconds(const double *a, double *c, int m, int k, size_t calls)
{
    double t0 = thread_cpu();
    for (size_t i = 0; i < calls; i++)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, m, m, k, 1.0, a, m, a, m, 0.0, c, m);
    return thread_cpu() - t0;
}

/* One run of the kernel: its thread CPU seconds and the flops it did; -1 on
 * an error (printed). */
static double kernel_seconds(Fixture *f, const BtParams *p, uint64_t *done)
{
    BtResult *r = NULL;
    double t0 = thread_cpu();
    int rc = bt_run(&f->c, f->d, p, &r);
    double s = thread_cpu() - t0;
    if (rc == SIM_OK)
        *done = bt_result_flops_done(r);
    else
        fprintf(stderr, "bench: %s\n", bt_errmsg(&f->c));
    bt_result_free(r);
    return rc == SIM_OK ? s : -1;
}

/* Best kernel and DGEMM times, interleaved so both see the same machine. */
static int race(Fixture *f, const BtParams *p, int reps, double *ks, double *ds, uint64_t *done)
{
    int N = (int)bt_data_assets(f->d), W = p->window;
    size_t an = (size_t)N * (size_t)W, cn = (size_t)N * (size_t)N;
    size_t calls = (bt_data_rows(f->d) - 2 - (size_t)W) / (size_t)p->hold + 1;
    double *a = sim_mem_alloc(&f->m, an * sizeof *a), *c = sim_mem_alloc(&f->m, cn * sizeof *c);
    int rc = (a && c) ? 0 : -1;
    *ks = *ds = 1e300;
    for (size_t i = 0; a && i < an; i++)
        a[i] = (double)(i % 97) * 0.01 - 0.4;
    for (int r = 0; rc == 0 && r < reps; r++) {
        double k = kernel_seconds(f, p, done), d = dgemm_seconds(a, c, N, W, calls);
        rc = k < 0 ? -1 : 0;
        *ks = k < *ks ? k : *ks;
        *ds = d < *ds ? d : *ds;
    }
    *ds = 2.0 * N * (double)N * W * (double)calls / *ds * 1e-9;
    sim_mem_free(&f->m, a, an * sizeof *a);
    sim_mem_free(&f->m, c, cn * sizeof *c);
    return rc;
}

int bench_minvar(cJSON *out, int quick)
{
    Fixture f;
    size_t T = quick ? 400 : 2000, N = quick ? 40 : 200;
    BtParams p;
    bt_params_default(&p, BT_MINVAR);
    p.window = quick ? 100 : 500;
    if (fixture(&f, T, N) != 0)
        return -1;
    int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    double s, d;
    uint64_t done = 0;
    int rc = race(&f, &p, quick ? 2 : 9, &s, &d, &done);
    openblas_set_num_threads(saved);
    bt_data_free(f.d);
    if (rc != 0)
        return -1;
    double counted = (double)bt_cost_predict(&p, T, N).flops / s * 1e-9;
    double g = (double)done / s * 1e-9;
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%dx%zu", N, p.window, N);
    cJSON_AddNumberToObject(out, "assets", (double)N);
    cJSON_AddNumberToObject(out, "days", (double)T);
    cJSON_AddNumberToObject(out, "window", p.window);
    cJSON_AddNumberToObject(out, "gflops", g);
    cJSON_AddNumberToObject(out, "dgemm_gflops", d);
    cJSON_AddNumberToObject(out, "ratio", counted / d);
    cJSON_AddNumberToObject(out, "seconds", s);
    cJSON_AddNumberToObject(out, "counted_gflops", counted);
    cJSON_AddNumberToObject(out, "flops_ratio", g / d);
    cJSON_AddStringToObject(out, "figure",
                            "ratio: DGEMM's seconds for the counted work of the specified "
                            "computation (a centring pass and a dsyrk per window) over the "
                            "kernel's, = counted_gflops / dgemm_gflops; gflops: flops done "
                            "(the covariance rolls) per second; flops_ratio: gflops / "
                            "dgemm_gflops; thread CPU seconds, best of interleaved runs");
    cJSON_AddStringToObject(out, "dgemm_shape", shape);
    cJSON_AddNumberToObject(out, "threads", 1);
    cJSON_AddStringToObject(out, "corename", openblas_get_corename());
    return 0;
}
