/*
 * bench_child.c: a scenario run in a forked child for the benchmarks that
 * measure a whole `kubesim run` (trading_day, backtest_queue): the child
 * writes the script into a temporary folder, loads and runs it into
 * DIR/out, and leaves what the parent cannot see (the data sets made, the
 * failed expectations) in DIR/result. The parent measures the wall time and
 * the child's own peak memory (wait4's rusage: this child alone, whatever
 * ran before it).
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

static void child(const char *name, const char *dir, const char *script, char **sets, size_t nsets)
{
    char path[128], out[128];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/scenario.lua", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(script, f) < 0 || fclose(f) != 0 || mkdir(out, 0755) != 0) {
        fprintf(stderr, "bench %s: cannot write into %s: %s\n", name, dir, strerror(errno));
        _exit(1);
    }
    SimMem m;
    sim_mem_init(&m);
    ScnOptions opt = {.path = path, .sets = sets, .nsets = nsets, .seed = 42};
    ScnScenario *s = scn_load(&m, &opt, &err);
    ScnRunResult res;
    ScnRunOptions ro = {.seed = 42, .dir = out, .progress = 0};
    int rc = s ? scn_run(s, &ro, &res) : SIM_EINVAL;
    if (rc != SIM_OK)
        fprintf(stderr, "bench %s: %s\n", name, s ? scn_errmsg(s) : sim_err_msg(&err));
    snprintf(path, sizeof path, "%s/result", dir);
    if (rc == SIM_OK && (f = fopen(path, "w")) != NULL) {
        fprintf(f, "%zu %d\n", scn_data_sets(s), (int)res.expectations_failed);
        fclose(f);
    }
    scn_free(s);
    _exit(rc == SIM_OK ? 0 : 1);
}

int bench_child_run(const char *name, const char *script, char **sets, size_t nsets, BenchChild *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/kubesim-bench-%s-XXXXXX", name);
    if (mkdtemp(r->dir) == NULL) {
        fprintf(stderr, "bench %s: mkdtemp: %s\n", name, strerror(errno));
        r->dir[0] = '\0';
        return -1;
    }
    fflush(NULL);   /* the child must not flush the parent's buffered output again */
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0)
        child(name, r->dir, script, sets, nsets);
    if (pid < 0) {
        fprintf(stderr, "bench %s: fork: %s\n", name, strerror(errno));
        return -1;
    }
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    r->wall_seconds = bench_now() - t0;
    r->peak_rss_mib = (double)ru.ru_maxrss / 1024.0;
    r->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    char path[160];
    snprintf(path, sizeof path, "%s/result", r->dir);
    FILE *f = fopen(path, "r");
    int ok = f && fscanf(f, "%zu %d", &r->data_sets, &r->expectations_failed) == 2;
    if (f)
        fclose(f);
    if (!ok)
        fprintf(stderr, "bench %s: the run left no result in %s\n", name, r->dir);
    return ok ? 0 : -1;
}

void bench_child_done(const char *name, BenchChild *r)
{
    if (r->dir[0] == '\0')
        return;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench %s: could not remove %s\n", name, r->dir);
    r->dir[0] = '\0';
}
