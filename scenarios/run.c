/*
 * run.c: one whole run of a loaded scenario: the engine, the scheduler and the
 * controllers, the trace and the metrics written as the run goes, then the
 * summary with the expectations. Everything is written into opt->dir; the
 * caller makes that folder appear atomically.
 */
#include "scenarios/scn_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scheduler/ca.h"
#include "scheduler/sched.h"
#include "sim/metrics.h"
#include "sim/outdir.h"
#include "sim/summary.h"
#include "workloads/apps.h"
#include "workloads/faults.h"
#include "workloads/queue.h"
#include "workloads/traffic.h"

typedef struct Run {
    ScnScenario *s;
    const ScnRunOptions *opt;
    SimEngine *e;
    SchedScheduler *sched;
    SchedCa *ca;                 /* the cluster autoscaler, created once the cluster is built */
    WlControllers *wl;
    WlFaults *faults;            /* faults and the node lifecycle controller */
    SimTraceWriter *trace;
    SimMetrics *metrics;
    SimErr *err;
} Run;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(Run *r, int code, const char *msg)
{
    return sim_err_set(r->err, code, "%s", msg);
}

static int open_outputs(Run *r)
{
    char path[4096], meta[1024];
    snprintf(meta, sizeof meta,
             "{\"kubesim\":\"%s\",\"scenario\":\"%s\",\"seed\":%llu,\"duration_ns\":%lld,\"sample_every_ns\":%lld}",
             KUBESIM_VERSION, r->s->name, (unsigned long long)r->opt->seed, (long long)r->s->duration,
             (long long)r->s->sample_every);
    snprintf(path, sizeof path, "%s/trace.kst", r->opt->dir);
    r->trace = sim_trace_create(r->s->mem, sim_trace_schema(r->e), path, meta, r->err);
    if (r->trace == NULL)
        return SIM_EIO;
    snprintf(path, sizeof path, "%s/metrics.csv", r->opt->dir);
    r->metrics = sim_metrics_open(r->s->mem, path, r->err);
    return r->metrics ? SIM_OK : SIM_EIO;
}

/* The cluster autoscaler (on with upstream's defaults unless the scenario's
 * autoscaler {} says otherwise), after the build: its first loop per region
 * runs at t = 0 and the groups exist. */
static int start_autoscaler(Run *r)
{
    SchedCaConfig cfg;
    scn_autoscaler_config(r->s, &cfg);
    r->ca = sched_ca_create(r->sched, &cfg);
    if (r->ca == NULL)
        return SIM_ENOMEM;
    for (size_t g = 0; g < r->s->groups.n; g++)
        if (r->s->groups.v[g].scale_down_disabled)
            sched_ca_set_scale_down_disabled(r->ca, (uint32_t)g, 1);
    return SIM_OK;
}

/* The node lifecycle controller and the scripted faults, after the build:
 * the zones exist and the starting spot nodes draw their interruptions. */
static int start_faults(Run *r)
{
    r->faults = wl_fault_create(r->e, r->wl);
    if (r->faults == NULL)
        return SIM_ENOMEM;
    r->s->hooks.faults = r->faults;   /* k.fail */
    r->s->hooks.quiet = (uint8_t)!r->opt->progress;   /* --quiet: k.log too */
    return scn_fault_build(r->s, r->faults);
}

static int setup(Run *r)
{
    SimConfig cfg = {.seed = r->opt->seed, .end = r->s->duration, .queue = SIM_EVQ_FAST, .mem = r->s->mem};
    r->e = sim_engine_create(&cfg);
    if (r->e == NULL)
        return fail(r, SIM_ENOMEM, "out of memory");
    int rc = open_outputs(r);
    if (rc != SIM_OK)
        return rc;
    sim_set_trace(r->e, r->trace);
    r->sched = sched_create(r->e);
    r->wl = r->sched ? wl_create(r->e) : NULL;
    if (r->wl == NULL)
        return fail(r, SIM_ENOMEM, "out of memory");
    if (r->opt->throughput)
        wl_backtest_set_throughput(r->wl, r->opt->throughput);
    if (r->opt->traffic_mode != WL_TRAFFIC_FLUID &&
        wl_traffic_mode(r->wl, (WlTrafficMode)r->opt->traffic_mode) != SIM_OK)
        return fail(r, SIM_ENOMEM, sim_errmsg(r->e));
    rc = scn_build(r->s, r->e, r->wl);
    if (rc == SIM_OK)
        rc = start_autoscaler(r);
    if (rc == SIM_OK)
        rc = start_faults(r);
    if (rc == SIM_OK)
        rc = sim_metrics_attach(r->e, r->metrics, r->s->sample_every);
    if (rc == SIM_OK)
        rc = wl_queue_add_sampler(r->wl, r->metrics);   /* per-queue rows, if any queue */
    if (rc == SIM_OK)
        rc = wl_apps_add_sampler(r->wl, r->metrics);    /* Deployments' and ReplicaSets' rows */
    if (rc == SIM_OK)
        rc = wl_traffic_metrics(r->wl, r->metrics);   /* per service and region, if any traffic */
    if (rc == SIM_OK)
        rc = scn_hooks_start(r->s, r->e, r->wl);   /* last: hooks at t = 0 see the set-up done */
    return rc == SIM_OK ? SIM_OK : fail(r, rc, sim_errmsg(r->e));
}

/* Progress on a terminal only: percent of simulated time, a few times a second. */
static void progress(Run *r, double *next, double t0)
{
    double now = wall_now();
    if (now < *next)
        return;
    *next = now + 0.25;
    fprintf(stderr, "\r%s: %5.1f%% of %.1f h simulated, %llu events, %.1f s",
            r->s->name, 100.0 * (double)sim_now(r->e) / (double)r->s->duration,
            (double)r->s->duration / 3.6e12, (unsigned long long)sim_stats(r->e)->events, now - t0);
}

static int simulate(Run *r, double t0)
{
    int show = r->opt->progress && isatty(STDERR_FILENO);
    double next = t0 + 0.25;
    int rc;
    uint32_t tick = 0;
    const volatile sig_atomic_t *stop = r->opt->stop;
    while ((rc = sim_step(r->e)) == SIM_OK && scn_hooks_error(r->s) == NULL) {
        if (stop && *stop)
            break;
        if (show && (++tick & 0xfff) == 0)
            progress(r, &next, t0);
    }
    if (show)
        fprintf(stderr, "\r%*s\r", 78, "");
    if (stop && *stop)
        return fail(r, SIM_ESTATE, "stopped");
    if (scn_hooks_error(r->s))   /* a hook failed: the run ends there */
        return fail(r, SIM_EINVAL, scn_hooks_error(r->s));
    if (rc != SIM_DONE)
        return fail(r, rc, sim_errmsg(r->e));
    return SIM_OK;
}

static int finish_files(Run *r, ScnRunResult *res)
{
    sim_metrics_final(r->e);
    sim_trace_rec(r->e, SIM_TR_END, (SimTrVal[]){SIM_TRI(sim_stats(r->e)->events)}, 1);
    int rc = sim_trace_close(r->trace, res->trace_sha256);
    r->trace = NULL;
    int rc2 = sim_metrics_close(r->metrics);
    r->metrics = NULL;
    if (rc != SIM_OK || rc2 != SIM_OK)
        return fail(r, SIM_EIO, "writing the trace or the metrics failed (disk full?)");
    return SIM_OK;
}

static int write_summary(Run *r, ScnRunResult *res)
{
    /* NaN prints as null (cJSON): "not measured" rather than a made-up 0 */
    SimSummaryInfo info = {.scenario = r->s->name,
                           .wall_seconds = r->opt->no_wall_time ? NAN : res->wall_seconds,
                           .trace_sha256 = res->trace_sha256};
    cJSON *sum = sim_summary_build(r->e, &info);
    if (sum == NULL)
        return fail(r, SIM_ENOMEM, "out of memory");
    cJSON *exp = NULL;
    int rc = scn_expectations(r->s, sum, &exp, &res->expectations_failed);
    if (rc == SIM_OK)
        cJSON_ReplaceItemInObject(sum, "expectations", exp);
    char *text = rc == SIM_OK ? cJSON_Print(sum) : NULL;
    cJSON_Delete(sum);
    if (rc != SIM_OK)
        return rc;
    if (text == NULL)
        return fail(r, SIM_ENOMEM, "out of memory");
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", r->opt->dir);
    size_t len = strlen(text);
    text[len] = '\n';   /* cJSON leaves no final newline; its NUL slot holds one */
    rc = sim_write_file(path, text, len + 1, r->err);
    cJSON_free(text);
    return rc;
}

static void teardown(Run *r)
{
    scn_hooks_stop(r->s);
    if (r->trace)
        sim_trace_abort(r->trace);
    if (r->metrics)
        sim_metrics_abort(r->metrics);
    wl_fault_destroy(r->faults);
    wl_destroy(r->wl);
    sched_ca_destroy(r->ca);
    sched_destroy(r->sched);
    sim_engine_destroy(r->e);
}

int scn_run(ScnScenario *s, const ScnRunOptions *opt, ScnRunResult *res)
{
    Run r = {.s = s, .opt = opt, .err = &s->err};
    memset(res, 0, sizeof *res);
    double t0 = wall_now();
    int rc = setup(&r);
    if (rc == SIM_OK)
        rc = simulate(&r, t0);
    if (rc == SIM_OK)
        rc = finish_files(&r, res);
    res->wall_seconds = wall_now() - t0;
    res->events = r.e ? sim_stats(r.e)->events : 0;
    if (rc == SIM_OK)
        rc = write_summary(&r, res);
    teardown(&r);
    return rc;
}
