/*
 * run.c: one whole run of a loaded scenario: its world (world.c) with the
 * trace and the metrics written as the run goes, the event loop, then the
 * summary with the expectations. Everything is written into opt->dir; the
 * caller makes that folder appear atomically.
 */
#include "scenarios/scn_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/json.h"
#include "sim/outdir.h"
#include "sim/summary.h"

typedef struct Run {
    ScnScenario *s;
    const ScnRunOptions *opt;
    ScnWorld *w;
    SimEngine *e;
    SimErr *err;                 /* the scenario's: scn_errmsg */
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

/* The world with every part a run simulates, writing into opt->dir. */
static int setup(Run *r)
{
    ScnWorldOptions wo = {.seed = r->opt->seed,
                          .parts = SCN_WORLD_RUN,
                          .dir = r->opt->dir,
                          .quiet = !r->opt->progress,
                          .throughput = r->opt->throughput,
                          .traffic_mode = r->opt->traffic_mode,
                          .kstate = r->opt->kstate,
                          .kstate_pods = r->opt->kstate_pods,
                          .summary_only = r->opt->summary_only,
                          .metrics_sink = r->opt->metrics_sink,
                          .metrics_sink_ctx = r->opt->metrics_sink_ctx,
                          .timings = r->opt->timings};
    int rc = scn_world_open(&r->w, r->s, &wo);
    r->e = r->w ? scn_world_engine(r->w) : NULL;
    return rc == SIM_OK ? SIM_OK : fail(r, rc, scn_world_errmsg(r->w));
}

/* Progress on a terminal only, once a run has taken 2 s (a short run stays
 * quiet), a few times a second: simulated time done, events, wall time
 * elapsed and an estimate of what is left from the pace so far. */
static void progress(Run *r, double *next, double t0)
{
    double now = wall_now();
    if (now < *next)
        return;
    *next = now + 0.25;
    double done = (double)sim_now(r->e) / (double)r->s->duration, el = now - t0;
    fprintf(stderr, "\r%s: %5.1f%% of %.1f h simulated, %llu events, %.0f s elapsed", r->s->name, 100.0 * done,
            (double)r->s->duration / 3.6e12, (unsigned long long)sim_stats(r->e)->events, el);
    if (done > 0.01)
        fprintf(stderr, ", about %.0f s left ", el * (1 - done) / done);
}

static int simulate(Run *r, double t0)
{
    int show = r->opt->progress && isatty(STDERR_FILENO);
    double next = t0 + 2.0;
    int rc;
    uint32_t tick = 0;
    const volatile sig_atomic_t *stop = r->opt->stop;
    while ((rc = sim_step(r->e)) == SIM_OK && scn_hooks_error(r->s) == NULL) {
        if (stop && *stop)
            break;
        if (show && (++tick & 0xfff) == 0)
            progress(r, &next, t0);
    }
    if (show && next > t0 + 2.0)   /* a line was shown */
        fprintf(stderr, "\r%*s\r", 96, "");
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
    int rc = scn_world_finish(r->w, res->trace_sha256);
    return rc == SIM_OK ? SIM_OK : fail(r, rc, scn_world_errmsg(r->w));
}

/* summary.json as text (caller frees it with cJSON_free), or NULL with the
 * error on the scenario (r->err). Built in one cJSON scope on the scenario's allocator, so a
 * failed allocation anywhere in the summary, the expectations or the
 * controllers' sections is an out-of-memory error, never a file lacking keys. */
static char *summary_text(Run *r, ScnRunResult *res, int *rc)
{
    SimJsonScope js;
    sim_json_begin(&js, r->s->mem);
    /* NaN prints as null (cJSON): "not measured" rather than a made-up 0 */
    SimSummaryInfo info = {.scenario = r->s->name,
                           .wall_seconds = r->opt->no_wall_time ? NAN : res->wall_seconds,
                           .trace_sha256 = res->trace_sha256};
    cJSON *sum = sim_summary_build(r->e, &info), *exp = NULL;
    /* the expectations read the summary: never run them on a partial one */
    if (sum == NULL || js.failed)
        *rc = fail(r, SIM_ENOMEM, "out of memory");
    else
        *rc = scn_expectations(r->s, sum, &exp, &res->expectations_failed);
    if (*rc == SIM_OK && !cJSON_ReplaceItemInObject(sum, "expectations", exp))
        cJSON_Delete(exp);
    char *text = *rc == SIM_OK ? cJSON_Print(sum) : NULL;
    cJSON_Delete(sum);
    if (sim_json_end(&js) != SIM_OK && *rc == SIM_OK)
        *rc = fail(r, SIM_ENOMEM, "out of memory");
    if (*rc != SIM_OK) {
        cJSON_free(text);
        text = NULL;
    }
    return text;
}

static int write_summary(Run *r, ScnRunResult *res)
{
    int rc;
    char *text = summary_text(r, res, &rc);
    if (text == NULL)
        return rc;
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", r->opt->dir);
    size_t len = strlen(text);
    text[len] = '\n';   /* cJSON leaves no final newline; its NUL slot holds one */
    rc = sim_write_file(path, text, len + 1, r->err);
    cJSON_free(text);
    return rc;
}

/* SQLite's rule: once an allocation failed, the run's error is out of memory,
 * whatever code noticed it (a trace that could not open its buffer, a hook
 * whose Lua ran out). */
static int oom_rule(Run *r, int rc)
{
    if (rc == SIM_OK || rc == SIM_ENOMEM || !r->s->mem->oom)
        return rc;
    if (strstr(sim_err_msg(r->err), "out of memory") == NULL)
        fail(r, SIM_ENOMEM, "out of memory");
    return SIM_ENOMEM;
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
    scn_world_close(r.w);
    return oom_rule(&r, rc);
}
