/*
 * bench.h: the registry of `kubesim bench` benchmarks. Each benchmark fills a
 * cJSON object whose first key is "bench" (its name) and whose other keys are
 * its parameters and measured figures; bench.c prints one object per line.
 * Timings live here, never in pass/fail tests.
 */
#ifndef KUBESIM_CLI_BENCH_H
#define KUBESIM_CLI_BENCH_H

#include <cjson/cJSON.h>

/* Returns 0 on success; on failure writes a message to stderr and returns -1.
 * quick != 0 asks for a smaller size (used by the test suite to smoke-test). */
typedef int (*BenchFn)(cJSON *out, int quick);

typedef struct BenchDef {
    const char *name;
    const char *what;   /* one line for --help */
    BenchFn fn;
    /* Its headline figures, space-separated keys of its JSON line that a
     * working run makes positive and finite (`kubesim bench --list` prints
     * them; the test suite checks them on a --quick run). NULL: none named. */
    const char *figures;
} BenchDef;

/* Wall-clock seconds from a monotonic clock. */
double bench_now(void);

/* A scenario run by a forked child (bench_child.c): its folder (the script,
 * out/ with every output), wall time, the child's own peak memory, and what
 * the run reported. */
typedef struct BenchChild {
    char dir[64];
    double wall_seconds, peak_rss_mib;
    double cpu_seconds;        /* the child's user + system time */
    size_t data_sets;          /* scn_data_sets */
    int expectations_failed;
} BenchChild;

/* Runs script (with the --set values sets) at seed 42 into r->dir/out.
 * 0, or -1 with a message on stderr; call bench_child_done either way. */
int bench_child_run(const char *name, const char *script, char **sets, size_t nsets, BenchChild *r);
/* Removes the run's folder. */
void bench_child_done(const char *name, BenchChild *r);

/* The benchmarks, each in its own bench_*.c file. */
int bench_event_queue(cJSON *out, int quick);
int bench_ma_cross(cJSON *out, int quick);
int bench_minvar(cJSON *out, int quick);
int bench_backtest_queue(cJSON *out, int quick);
int bench_schedule(cJSON *out, int quick);
int bench_autoscaler_loop(cJSON *out, int quick);
int bench_trading_day(cJSON *out, int quick);
int bench_fleet_day(cJSON *out, int quick);
int bench_week(cJSON *out, int quick);
int bench_sweep(cJSON *out, int quick);
int bench_import(cJSON *out, int quick);
int bench_export(cJSON *out, int quick);
int bench_replay(cJSON *out, int quick);

#endif
