/*
 * bench_queue.c: `kubesim bench --only backtest_queue`: a quarter-end storm of
 * 500 backtest requests through a queue of 40 worker pods, each request an
 * hour-scale backtest stated by its duration (submit.duration) or by a work
 * scale (submit.work_scale) over a small synthetic universe, so that neither
 * giant data sets nor their memory are needed. 500 submit {} lines over 5
 * distinct universes: the data sets are made once each and shared. The
 * figures are the whole run's wall time (load, simulate, write the outputs)
 * and the peak resident memory of the child process that ran it (wait4: this
 * child alone). --quick runs 50 requests.
 */
#define _DEFAULT_SOURCE   /* wait4 */
#include "cli/bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "sim/fileio.h"

static const char QUEUE_LUA[] =
    "local requests = param('requests', 500, 'backtest requests')\n"
    "scenario { name = 'quarter-end', start = '18:00', duration = '12h', sample_every = '5m' }\n"
    "nodegroup { name = 'batch', cpu = '16', memory = '64Gi', min = 10, max = 10 }\n"
    "queue { name = 'backtests' }\n"
    "deployment { name = 'bt-workers', replicas = 40, cpu = '4', memory = '8Gi', queue = 'backtests' }\n"
    "for i = 1, requests do\n"
    "  local u = { assets = 20, days = 500, seed = i % 5 }\n"
    "  if i % 2 == 0 then\n"
    "    submit { queue = 'backtests', name = 'bt-' .. i, start = '18:05', strategy = 'ma_cross', universe = u,\n"
    "             params = { fast = { 5, 10 }, slow = { 50, 100 } }, duration = '25m' }\n"
    "  else\n"
    "    submit { queue = 'backtests', name = 'bt-' .. i, start = '18:05', strategy = 'momentum', universe = u,\n"
    "             params = { lookback = 60, skip = 5, hold = 21, top = 5 }, work_scale = 2e7 }\n"
    "  end\n"
    "end\n"
    "expect('all done', function(r) return r.backtests.completed == requests end)\n";

/* The child: loads and runs the scenario into DIR/out; exit 0 when every
 * request completed (its message on stderr otherwise). */
static void run_child(const char *dir, int quick)
{
    char path[512], out[512];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/queue.lua", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(QUEUE_LUA, f) < 0 || fclose(f) != 0 || mkdir(out, 0755) != 0) {
        fprintf(stderr, "bench backtest_queue: cannot write into %s: %s\n", dir, strerror(errno));
        _exit(1);
    }
    char fewer[] = "requests=50";
    char *sets[] = {fewer};
    SimMem m;
    sim_mem_init(&m);
    ScnOptions opt = {.path = path, .sets = quick ? sets : NULL, .nsets = quick ? 1 : 0, .seed = 42};
    ScnScenario *s = scn_load(&m, &opt, &err);
    ScnRunResult res;
    ScnRunOptions ro = {.seed = 42, .dir = out, .progress = 0};
    int rc = s ? scn_run(s, &ro, &res) : SIM_EINVAL;
    if (rc != SIM_OK)
        fprintf(stderr, "bench backtest_queue: %s\n", s ? scn_errmsg(s) : sim_err_msg(&err));
    else if (res.expectations_failed)
        fprintf(stderr, "bench backtest_queue: not every request completed\n");
    if (rc == SIM_OK && (f = fopen(path, "w")) != NULL) {   /* the data sets made, for the parent */
        fprintf(f, "%zu\n", scn_data_sets(s));
        fclose(f);
    }
    scn_free(s);
    _exit(rc == SIM_OK && res.expectations_failed == 0 ? 0 : 1);
}

int bench_backtest_queue(cJSON *out, int quick)
{
    char dir[] = "/tmp/kubesim-bench-queue-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("bench backtest_queue: mkdtemp");
        return -1;
    }
    fflush(NULL);   /* the child must not flush the parent's buffered output again */
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0)
        run_child(dir, quick);
    int st = 0, rc = -1;
    struct rusage ru;
    if (pid > 0 && wait4(pid, &st, 0, &ru) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        double wall = bench_now() - t0;
        char path[600];
        unsigned long sets = 0;
        snprintf(path, sizeof path, "%s/queue.lua", dir);
        FILE *f = fopen(path, "r");
        if (f == NULL || fscanf(f, "%lu", &sets) != 1)
            sets = 0;
        if (f)
            fclose(f);
        cJSON_AddNumberToObject(out, "requests", quick ? 50 : 500);
        cJSON_AddNumberToObject(out, "data_sets", (double)sets);
        cJSON_AddNumberToObject(out, "wall_seconds", wall);
        cJSON_AddNumberToObject(out, "peak_rss_mib", (double)ru.ru_maxrss / 1024.0);
        rc = 0;
    } else if (pid < 0) {
        perror("bench backtest_queue: fork");
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench backtest_queue: could not remove %s\n", dir);
    return rc;
}
