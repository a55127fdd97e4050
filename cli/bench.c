/*
 * bench.c: `kubesim bench [--json] [--only NAME] [--quick] [--list]`. Runs
 * each registered benchmark and prints one JSON object per line. Figures are
 * measured in this run, on this machine; nothing here is a pass/fail test.
 */
#include "cli/bench.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "sim/json.h"

static const BenchDef benches[] = {
    {"trading_day", "24 h of 3 regions, ~5,000 nodes, ~150,000 pods, HPA, CA, Jobs, traffic: sim s per wall s",
     bench_trading_day, "sim_per_wall wall_seconds peak_rss_mib events"},
    {"fleet_day", "24 h of 10 regions of ~5,000 nodes each (the trading day's, 3x): sim s per wall s, CPU s per "
                  "node-day, peak RSS", bench_fleet_day, "sim_per_wall cpu_s_per_node_day peak_rss_mib nodes"},
    {"week", "the trading day for 7 days, backtests daily: wall s, peak RSS and its ratio to the same script's "
             "1-day run", bench_week, "wall_seconds peak_rss_mib rss_ratio_to_day"},
    {"event_queue", "hold model, 1,000,000 pending events: events popped+pushed per second",
     bench_event_queue, "events_per_s heap_events_per_s speedup"},
    {"ma_cross", "backtest (a): 20 assets x 2000 days x 100 MA pairs, all metrics, 1 thread, vs NumPy",
     bench_ma_cross, "seconds gflops"},
    {"minvar", "backtest (c): 200 assets x 2000 days, window 500: DGEMM-equivalent ratio (DGEMM time for the counted work / kernel time), GFLOP/s done",
     bench_minvar, "gflops dgemm_gflops ratio"},
    {"backtest_queue", "500 queued hour-scale backtests (stated duration or work scale) on 5 shared small "
                       "universes, 40 workers: wall s and peak RSS of the whole run",
     bench_backtest_queue, "wall_seconds peak_rss_mib data_sets"},
    {"schedule", "5,000 nodes, 150,000 pods (a tenth constrained), faithful node sampling: pods/s; and 40,000 "
                 "pods with required anti-affinity to their own app per hostname alone",
     bench_schedule, "pods_per_s seconds bound anti_affinity_pods_per_s"},
    {"autoscaler_loop", "5,000 nodes, 2,000 unschedulable pods: ms per cluster-autoscaler plan; the scale-down "
                        "pass at 5,000 and 20,000 underused nodes with upstream's caps, and without them at "
                        "20,000; quiet loop cost",
     bench_autoscaler_loop, "ms_per_loop scale_up_delta ms_scale_down_pass ms_scale_down_pass_large "
                            "ms_scale_down_pass_large_uncapped"},
    {"sweep", "8 configurations of the built-in scenario by kubesim sweep: configurations/s, speed-up of a "
              "worker per CPU over one",
     bench_sweep, "configs_per_s speedup seconds_1_job seconds_n_jobs cpu_s_per_config critical_cpu_seconds_n_jobs "
                 "speedup_cpu_bound configs_per_s_cpu_bound"},
    {"export", "kubesim export of 3 regions with 1,500 Deployments and HPAs, Jobs, CronJobs, StatefulSets: "
               "objects/s",
     bench_export, "objects_per_s objects bytes"},
    {"import", "kubesim import of that export, in memory: objects read (and Lua written) per second",
     bench_import, "objects_per_s objects lua_bytes"},
    {"replay", "kubesim replay of a 5,000-node trace into a 1280x800 software surface: frames/s (target 60)",
     bench_replay, "frames_per_s frames load_seconds"},
};
#define NBENCH (sizeof benches / sizeof benches[0])

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim bench [--json] [--only NAME] [--quick] [--list]\n\n"
               "Runs the benchmarks and prints one JSON object per line (--json is the\n"
               "default and only format; it is accepted for scripts).\n"
               "  --only NAME  run one benchmark\n"
               "  --quick      smaller sizes (a smoke test; figures are not comparable)\n"
               "  --list       print each benchmark's name and its headline figures (the\n"
               "               keys of its line a working run makes positive), one a line\n\n"
               "benchmarks:\n");
    for (size_t i = 0; i < NBENCH; i++)
        fprintf(f, "  %-14s %s\n", benches[i].name, benches[i].what);
}

/* `--list`: "NAME FIGURE..." per benchmark, for scripts and the test suite. */
static int print_list(void)
{
    for (size_t i = 0; i < NBENCH; i++)
        if (printf("%s%s%s\n", benches[i].name, benches[i].figures ? " " : "",
                   benches[i].figures ? benches[i].figures : "") < 0)
            break;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "kubesim bench: cannot write to standard output: %s\n", strerror(errno));
        clearerr(stdout);
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

#define BENCH_WRITE_FAILED (-2)

/* 0, -1 if the benchmark failed, BENCH_WRITE_FAILED if its line could not be written. */
static int run_one(const BenchDef *b, int quick)
{
    SimMem m;
    sim_mem_init(&m);
    SimJsonScope js;   /* the line's cJSON through m: a failed allocation fails the benchmark */
    sim_json_begin(&js, &m);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "bench", b->name);
    int rc = o ? b->fn(o, quick) : -1;
    char *s = rc == 0 ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (sim_json_end(&js) != SIM_OK && rc == 0) {
        fprintf(stderr, "kubesim bench: %s: out of memory\n", b->name);
        rc = -1;
    }
    if (rc == 0) {
        /* flushed per line so a long run shows progress; a failed write ends it */
        if (s && (printf("%s\n", s) < 0 || fflush(stdout) != 0)) {
            fprintf(stderr, "kubesim bench: cannot write to standard output: %s\n", strerror(errno));
            clearerr(stdout);   /* said here; main need not say it again */
            rc = BENCH_WRITE_FAILED;
        }
    }
    cJSON_free(s);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"only", required_argument, NULL, 'o'},
        {"quick", no_argument, NULL, 'q'}, {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},  {0, 0, 0, 0}};
    const char *only = NULL;
    int quick = 0, list = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'j': break;
        case 'o': only = optarg; break;
        case 'q': quick = 1; break;
        case 'l': list = 1; break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_BAD_INPUT;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kubesim bench: unexpected argument '%s'\n", argv[optind]);
        return CLI_BAD_INPUT;
    }
    if (list)
        return print_list();
    int found = 0, failed = 0;
    for (size_t i = 0; i < NBENCH; i++) {
        if (only && strcmp(only, benches[i].name) != 0)
            continue;
        found = 1;
        int rc = run_one(&benches[i], quick);
        failed |= rc != 0;
        if (rc == BENCH_WRITE_FAILED)
            break;
    }
    if (!found) {
        fprintf(stderr, "kubesim bench: no benchmark named '%s' (see kubesim bench --help)\n", only);
        return CLI_BAD_INPUT;
    }
    return failed ? CLI_BAD_INPUT : CLI_OK;
}
