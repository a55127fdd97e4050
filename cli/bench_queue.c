/*
 * bench_queue.c: `kubesim bench --only backtest_queue`: a quarter-end storm of
 * 500 backtest requests through a queue of 40 worker pods, each request an
 * hour-scale backtest stated by its duration (submit.duration) or by a work
 * scale (submit.work_scale) over a small synthetic universe, so that neither
 * giant data sets nor their memory are needed. 500 submit {} lines over 5
 * distinct universes: the data sets are made once each and shared. The
 * figures are the whole run's wall time (load, simulate, write the outputs)
 * and the peak resident memory of the child process that ran it
 * (bench_child.c). --quick runs 50 requests.
 */
#include "cli/bench.h"

#include <stdio.h>

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

int bench_backtest_queue(cJSON *out, int quick)
{
    char fewer[] = "requests=50";
    char *sets[] = {fewer};
    BenchChild r;
    int rc = bench_child_run("backtest_queue", QUEUE_LUA, quick ? sets : NULL, quick ? 1 : 0, &r);
    if (rc == 0 && r.expectations_failed) {
        fprintf(stderr, "bench backtest_queue: not every request completed\n");
        rc = -1;
    }
    if (rc == 0) {
        cJSON_AddNumberToObject(out, "requests", quick ? 50 : 500);
        cJSON_AddNumberToObject(out, "data_sets", (double)r.data_sets);
        cJSON_AddNumberToObject(out, "wall_seconds", r.wall_seconds);
        cJSON_AddNumberToObject(out, "peak_rss_mib", r.peak_rss_mib);
    }
    bench_child_done("backtest_queue", &r);
    return rc;
}
