/*
 * bench_sweep.c: `kubesim bench --only sweep`. A capacity sweep of the
 * built-in scenario (8 configurations: surge x GPU group size) run by the
 * real command, once with one worker and once with a worker per CPU: the
 * configurations per second, and the speed-up the workers give (a sweep is
 * embarrassingly parallel, so it should approach the CPU count).
 *
 * Wall figures depend on what else the machine runs, so the line also gives
 * CPU seconds: per configuration, the parent's before the runs start (the
 * serial part), the busiest worker's; and the figures the sweep would reach
 * with each process on a core of its own (the critical path: the parent's
 * CPU time plus the busiest worker's), with the load average it ran under.
 */
#define _DEFAULT_SOURCE   /* getloadavg */
#include "cli/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/outdir.h"

/* One `kubesim sweep` into a fresh folder under base; its wall seconds, or a
 * negative number when it failed. */
static double timed_sweep(const char *base, int quick, long jobs, CliSweepCost *cost)
{
    char out[600], jobs_s[24];
    snprintf(out, sizeof out, "%s/sweep-%ld", base, jobs);
    snprintf(jobs_s, sizeof jobs_s, "%ld", jobs);
    char *argv[] = {"sweep", "--vary", quick ? "surge=5" : "surge=4,6,8,10",
                    "--vary", quick ? "gpu-us-east.max=4,8" : "gpu-us-east.max=4,8",
                    "--jobs", jobs_s, "--out", out, "--quiet", NULL};
    double t0 = bench_now();
    int rc = cli_sweep_costed((int)(sizeof argv / sizeof argv[0]) - 1, argv, cost);
    double t = bench_now() - t0;
    return rc == CLI_BAD_INPUT ? -1 : t;
}

/* The CPU-time figures of the two sweeps (c1: one worker, cn: n). */
static void add_cpu(cJSON *out, int configs, const CliSweepCost *c1, const CliSweepCost *cn)
{
    double all1 = c1->parent_cpu + c1->workers_cpu, alln = cn->parent_cpu + cn->workers_cpu;
    double critical = cn->parent_cpu + cn->busiest_worker_cpu;
    double load[1] = {-1};
    cJSON_AddNumberToObject(out, "cpu_seconds_1_job", all1);
    cJSON_AddNumberToObject(out, "cpu_seconds_n_jobs", alln);
    cJSON_AddNumberToObject(out, "cpu_s_per_config", all1 / configs);
    cJSON_AddNumberToObject(out, "parent_setup_cpu_seconds", cn->parent_setup_cpu);
    cJSON_AddNumberToObject(out, "busiest_worker_cpu_seconds", cn->busiest_worker_cpu);
    cJSON_AddNumberToObject(out, "critical_cpu_seconds_n_jobs", critical);
    cJSON_AddNumberToObject(out, "speedup_cpu_bound", critical > 0 ? all1 / critical : 0);
    cJSON_AddNumberToObject(out, "configs_per_s_cpu_bound", critical > 0 ? configs / critical : 0);
    if (getloadavg(load, 1) == 1)
        cJSON_AddNumberToObject(out, "load_average", load[0]);
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
    CliSweepCost c1, cn;
    double one = timed_sweep(base, quick, 1, &c1), many = timed_sweep(base, quick, ncpu, &cn);
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
    add_cpu(out, configs, &c1, &cn);
    return 0;
}
