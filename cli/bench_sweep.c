/*
 * bench_sweep.c: `kubesim bench --only sweep`. A capacity sweep of the
 * built-in scenario (8 configurations: surge x GPU group size) run by the
 * real command, once with one worker and once with a worker per CPU: the
 * configurations per second, and the speed-up the workers give (a sweep is
 * embarrassingly parallel, so it should approach the CPU count).
 */
#include "cli/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/outdir.h"

/* One `kubesim sweep` into a fresh folder under base; its wall seconds, or a
 * negative number when it failed. */
static double timed_sweep(const char *base, int quick, long jobs)
{
    char out[600], jobs_s[24];
    snprintf(out, sizeof out, "%s/sweep-%ld", base, jobs);
    snprintf(jobs_s, sizeof jobs_s, "%ld", jobs);
    char *argv[] = {"sweep", "--vary", quick ? "surge=5" : "surge=4,6,8,10",
                    "--vary", quick ? "gpu-us-east.max=4,8" : "gpu-us-east.max=4,8",
                    "--jobs", jobs_s, "--out", out, "--quiet", NULL};
    double t0 = bench_now();
    int rc = cmd_sweep((int)(sizeof argv / sizeof argv[0]) - 1, argv);
    double t = bench_now() - t0;
    return rc == CLI_BAD_INPUT ? -1 : t;
}

int bench_sweep(cJSON *out, int quick)
{
    char base[] = "/tmp/kubesim-bench-sweep-XXXXXX";
    if (mkdtemp(base) == NULL) {
        perror("kubesim bench: sweep: mkdtemp");
        return -1;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1)
        ncpu = 1;
    int configs = quick ? 2 : 8;
    double one = timed_sweep(base, quick, 1), many = timed_sweep(base, quick, ncpu);
    sim_remove_tree(base);
    if (one < 0 || many < 0) {
        fprintf(stderr, "kubesim bench: sweep: the sweep failed\n");
        return -1;
    }
    cJSON_AddNumberToObject(out, "configs", configs);
    cJSON_AddNumberToObject(out, "jobs", (double)ncpu);
    cJSON_AddNumberToObject(out, "seconds_1_job", one);
    cJSON_AddNumberToObject(out, "seconds_n_jobs", many);
    cJSON_AddNumberToObject(out, "configs_per_s", configs / many);
    cJSON_AddNumberToObject(out, "speedup", one / many);
    return 0;
}
