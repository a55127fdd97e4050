/*
 * world.c: the one place a world is assembled: the engine, the scheduler,
 * the workload controllers, the objects (a loaded scenario's, or a
 * benchmark's synthetic cluster), then what runs on them (the cluster
 * autoscaler, faults and the node lifecycle controller, the metrics
 * samplers, the at/every hooks). run, sweep (through run), validate, export
 * and the benchmarks all build here, so they cannot drift apart in what they
 * create or in the order they create it: the order is part of the trace
 * (listeners registered first hear first; the first autoscaler loop and the
 * hooks at t = 0 see the build done).
 *
 * Owns everything it creates; scn_world_close frees it in reverse order.
 */
#include "scenarios/scn_int.h"

#include <stdio.h>
#include <string.h>

#include "scheduler/ca.h"
#include "scheduler/sched.h"
#include "sim/json.h"
#include "sim/metrics.h"
#include "sim/summary.h"
#include "sim/timings.h"
#include "workloads/apps.h"
#include "workloads/faults.h"
#include "workloads/hpa.h"
#include "workloads/kstate.h"
#include "workloads/queue.h"
#include "workloads/traffic.h"

struct ScnWorld {
    ScnScenario *s;              /* NULL for a populated world */
    ScnWorldOptions opt;
    SimEngine *e;
    SchedScheduler *sched;
    SchedCa *ca;
    WlControllers *wl;
    WlFaults *faults;
    SimTraceWriter *trace;
    SimMetrics *metrics;
    WlKstate *kstate;            /* the kube-state sampler, when asked for */
    SimErr err;                  /* the last failure: scn_world_errmsg */
};

/* A failure the engine described (or a plain out of memory). */
static int fail_engine(ScnWorld *w, int code)
{
    return sim_err_set(&w->err, code, "%s",
                       code == SIM_ENOMEM && w->e == NULL ? "out of memory" : sim_errmsg(w->e));
}

/* ",\"timezone\":...,\"date\":...,\"clock\":{...}" for the trace's header,
 * so a replay shows the scenario's clock from the trace alone. */
static int clock_meta(const ScnScenario *s, char *buf, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    int rc = o ? scn_clock_json(s, s->duration, o) : SIM_ENOMEM;
    if (rc == SIM_OK && (text = cJSON_PrintUnformatted(o)) == NULL)
        rc = SIM_ENOMEM;
    if (rc == SIM_OK && strlen(text) >= n)
        rc = SIM_ENOMEM;   /* thousands of offset changes: not a real zone */
    if (rc == SIM_OK)
        snprintf(buf, n, ",%s", text + 1);   /* the members, without the braces */
    if (rc == SIM_OK)
        buf[strlen(buf) - 1] = '\0';
    cJSON_free(text);
    cJSON_Delete(o);
    return rc;
}

/* summary.json's "timezone", "date" and "clock", when the scenario sets them. */
static int clock_summary(void *ctx, SimEngine *e, cJSON *o)
{
    const ScnScenario *s = ctx;
    (void)e;
    return scn_clock_json(s, s->duration, o);
}

/* The meta's "sets": the --set values the scenario was loaded with, in the
 * order given ("" when none, so a run without them keeps its trace bytes):
 * `explain --from` re-runs with them and refuses other values. */
static int sets_meta(const ScnScenario *s, SimMem *mem, char *buf, size_t n)
{
    buf[0] = '\0';
    if (s->sets.n == 0)
        return SIM_OK;
    SimJsonScope js;
    sim_json_begin(&js, mem);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < s->sets.n; i++) {
        size_t len = strlen(s->sets.v[i].name) + strlen(s->sets.v[i].value) + 2;
        char *kv = sim_mem_alloc(mem, len);
        if (kv)
            snprintf(kv, len, "%s=%s", s->sets.v[i].name, s->sets.v[i].value);
        cJSON *item = kv ? cJSON_CreateString(kv) : NULL;
        if (kv)
            sim_mem_free(mem, kv, len);
        if (item == NULL || !cJSON_AddItemToArray(a, item)) {
            cJSON_Delete(item);
            cJSON_Delete(a);
            a = NULL;
        }
    }
    char *text = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    int rc = sim_json_end(&js) == SIM_OK && text && strlen(text) + 9 < n ? SIM_OK : SIM_ENOMEM;
    if (rc == SIM_OK)
        snprintf(buf, n, ",\"sets\":%s", text);
    cJSON_free(text);
    return rc;
}

static int open_outputs(ScnWorld *w)
{
    const ScnScenario *s = w->s;
    SimMem *mem = w->opt.mem ? w->opt.mem : s->mem;
    char path[4096], meta[16384], clock[7000] = "", sets[8192];
    if (scn_clock_set(s) && clock_meta(s, clock, sizeof clock) != SIM_OK)
        return sim_err_set(&w->err, SIM_ENOMEM, "out of memory");
    if (sets_meta(s, mem, sets, sizeof sets) != SIM_OK)
        return sim_err_set(&w->err, SIM_EINVAL, "the --set values are too long for the trace's header (8 KiB)");
    snprintf(meta, sizeof meta,
             "{\"kubesim\":\"%s\",\"scenario\":\"%s\",\"seed\":%llu,\"duration_ns\":%lld,\"sample_every_ns\":%lld%s%s}",
             KUBESIM_VERSION, s->name, (unsigned long long)w->opt.seed, (long long)s->duration,
             (long long)s->sample_every, clock, sets);
    const char *file = w->opt.summary_only ? NULL : path;
    snprintf(path, sizeof path, "%s/trace.kst", w->opt.dir);
    w->trace = sim_trace_create(mem, sim_trace_schema(w->e), file, meta, &w->err);
    if (w->trace == NULL)
        return SIM_EIO;
    snprintf(path, sizeof path, "%s/metrics.csv", w->opt.dir);
    w->metrics = sim_metrics_open(mem, file, &w->err);
    if (w->metrics == NULL)
        return SIM_EIO;
    if (w->opt.metrics_sink)
        sim_metrics_set_sink(w->metrics, w->opt.metrics_sink, w->opt.metrics_sink_ctx);
    sim_set_trace(w->e, w->trace);
    return SIM_OK;
}

/* The engine, the scheduler and the controllers: the listeners in the order
 * every run has registered them. */
static int create_core(ScnWorld *w, SimMem *mem)
{
    SimTime end = w->opt.end ? w->opt.end : (w->s ? w->s->duration : 0);
    SimConfig cfg = {.seed = w->opt.seed, .end = end, .queue = SIM_EVQ_FAST, .mem = mem};
    if ((w->e = sim_engine_create(&cfg)) == NULL)
        return fail_engine(w, SIM_ENOMEM);
    if (w->s && w->opt.dir) {
        int rc = open_outputs(w);
        if (rc != SIM_OK)
            return rc;
    }
    if ((w->sched = sched_create(w->e)) == NULL)
        return fail_engine(w, SIM_ENOMEM);
    if (w->s == NULL && !(w->opt.parts & SCN_WORLD_CONTROLLERS))
        return SIM_OK;
    if ((w->wl = wl_create(w->e)) == NULL)
        return fail_engine(w, SIM_ENOMEM);
    if (w->opt.throughput)
        wl_backtest_set_throughput(w->wl, w->opt.throughput);
    if (w->s && w->s->cache) {   /* a sweep's runs: the kernels' results are shared too */
        BtMemo *memo = scn_data_cache_memo(w->s->cache);
        if (memo == NULL)
            return fail_engine(w, SIM_ENOMEM);
        wl_backtest_share_memo(w->wl, memo);
    }
    if (w->opt.traffic_mode != WL_TRAFFIC_FLUID && wl_traffic_mode(w->wl, (WlTrafficMode)w->opt.traffic_mode) != SIM_OK)
        return fail_engine(w, SIM_ENOMEM);
    return SIM_OK;
}

/* The cluster autoscaler (the options' flags, else upstream's defaults unless
 * the scenario's autoscaler {} says otherwise), after the objects: its first loop per
 * region runs at t = 0 and the groups exist. */
static int start_autoscaler(ScnWorld *w)
{
    SchedCaConfig cfg;
    if (w->opt.autoscaler)
        cfg = *w->opt.autoscaler;
    else if (w->s)
        scn_autoscaler_config(w->s, &cfg);
    else
        sched_ca_config_default(&cfg);
    if ((w->ca = sched_ca_create(w->sched, &cfg)) == NULL)
        return fail_engine(w, SIM_ENOMEM);
    for (size_t g = 0; w->s && g < w->s->groups.n; g++)
        if (w->s->groups.v[g].scale_down_disabled)
            sched_ca_set_scale_down_disabled(w->ca, (uint32_t)g, 1);
    return SIM_OK;
}

/* The node lifecycle controller and the scripted faults, after the objects:
 * the zones exist and the starting spot nodes draw their interruptions. */
static int start_faults(ScnWorld *w)
{
    if (w->wl == NULL)
        return SIM_OK;
    if ((w->faults = wl_fault_create(w->e, w->wl)) == NULL)
        return fail_engine(w, SIM_ENOMEM);
    if (w->s == NULL)
        return SIM_OK;
    w->s->hooks.faults = w->faults;   /* k.fail */
    w->s->hooks.quiet = (uint8_t)w->opt.quiet;   /* --quiet: k.log too */
    int rc = scn_fault_build(w->s, w->faults);
    return rc == SIM_OK ? SIM_OK : fail_engine(w, rc);
}

/* The kube-state sampler, last: it reads what the others keep. */
static int start_kstate(ScnWorld *w)
{
    w->kstate = wl_kstate_open(w->wl, w->opt.kstate, w->opt.kstate_pods, &w->err);
    if (w->kstate == NULL)
        return SIM_EIO;
    int rc = wl_kstate_attach(w->kstate, w->metrics);
    return rc == SIM_OK ? SIM_OK : fail_engine(w, rc);
}

/* The metrics recorder and every controller's rows, when there is one. */
static int start_metrics(ScnWorld *w)
{
    if (w->metrics == NULL)
        return SIM_OK;
    int rc = sim_metrics_attach(w->e, w->metrics, w->s->sample_every);
    if (rc == SIM_OK)
        rc = wl_queue_add_sampler(w->wl, w->metrics);   /* per-queue rows, if any queue */
    if (rc == SIM_OK)
        rc = wl_apps_add_sampler(w->wl, w->metrics);    /* Deployments' and ReplicaSets' rows */
    if (rc == SIM_OK)
        rc = wl_traffic_metrics(w->wl, w->metrics);     /* per service and region, if any traffic */
    if (rc == SIM_OK)
        rc = wl_hpa_add_sampler(w->wl, w->metrics);     /* per HPA, if any (from t = 0: the first sync is at 15 s) */
    if (rc == SIM_OK && w->opt.kstate && w->wl)
        return start_kstate(w);
    return rc == SIM_OK ? SIM_OK : fail_engine(w, rc);
}

/* The objects, then the calibrated delays on those a calibration names
 * (a name it has and the scenario lacks is not an error: a real cluster
 * runs more than one scenario models). */
static int populate(ScnWorld *w)
{
    int rc = w->s ? scn_build(w->s, w->e, w->wl)
                  : (w->opt.populate ? w->opt.populate(w->opt.ctx, w->e) : SIM_OK);
    if (rc == SIM_OK && w->opt.timings)
        (void)sim_timings_apply(w->e, w->opt.timings);
    return rc == SIM_OK ? SIM_OK : fail_engine(w, rc);
}

static int assemble(ScnWorld *w, SimMem *mem)
{
    int rc = create_core(w, mem);
    if (rc == SIM_OK && w->s && scn_clock_set(w->s) &&
        sim_summary_section(w->e, SCN_SUMMARY_RANK_CLOCK, clock_summary, w->s) != SIM_OK)
        rc = fail_engine(w, SIM_ENOMEM);
    if (rc == SIM_OK)
        rc = populate(w);
    if (rc == SIM_OK && (w->opt.parts & SCN_WORLD_AUTOSCALER))
        rc = start_autoscaler(w);
    if (rc == SIM_OK && (w->opt.parts & SCN_WORLD_FAULTS))
        rc = start_faults(w);
    if (rc == SIM_OK)
        rc = start_metrics(w);
    if (rc == SIM_OK && w->s && (w->opt.parts & SCN_WORLD_HOOKS)) {
        rc = scn_hooks_start(w->s, w->e, w->wl);   /* last: hooks at t = 0 see the set-up done */
        if (rc != SIM_OK)
            rc = fail_engine(w, rc);
    }
    return rc;
}

/* The hook the handle itself is allocated through: the caller's, else the
 * scenario's, else the C library's (a SimMem with no function is stateless
 * apart from its counters, so a fresh one frees what another allocated). */
static SimMem *handle_mem(const ScnWorldOptions *opt, const ScnScenario *s, SimMem *plain)
{
    if (opt->mem || (s && s->mem))
        return opt->mem ? opt->mem : s->mem;
    sim_mem_init(plain);
    return plain;
}

int scn_world_open(ScnWorld **out, ScnScenario *s, const ScnWorldOptions *opt)
{
    SimMem plain;
    ScnWorld *w = sim_mem_calloc(handle_mem(opt, s, &plain), 1, sizeof *w);
    *out = w;
    if (w == NULL)
        return SIM_ENOMEM;
    w->s = s;
    w->opt = *opt;
    return assemble(w, opt->mem ? opt->mem : (s ? s->mem : NULL));
}

const char *scn_world_errmsg(const ScnWorld *w)
{
    return w ? sim_err_msg(&w->err) : "out of memory";
}

SimEngine *scn_world_engine(const ScnWorld *w) { return w->e; }
SchedCa *scn_world_autoscaler(const ScnWorld *w) { return w->ca; }
WlControllers *scn_world_controllers(const ScnWorld *w) { return w->wl; }

int scn_world_finish(ScnWorld *w, char trace_sha256[65])
{
    trace_sha256[0] = '\0';
    if (w->trace == NULL)
        return SIM_OK;
    sim_metrics_final(w->e);
    sim_trace_rec(w->e, SIM_TR_END, (SimTrVal[]){SIM_TRI(sim_stats(w->e)->events)}, 1);
    int rc = sim_trace_close(w->trace, trace_sha256);
    w->trace = NULL;
    int rc2 = sim_metrics_close(w->metrics);
    w->metrics = NULL;
    if (w->kstate && wl_kstate_close(w->kstate) != SIM_OK)
        rc2 = SIM_EIO;
    w->kstate = NULL;
    if (rc != SIM_OK || rc2 != SIM_OK)
        return sim_err_set(&w->err, SIM_EIO, "writing the trace or the metrics failed (disk full?)");
    return SIM_OK;
}

void scn_world_close(ScnWorld *w)
{
    if (w == NULL)
        return;
    if (w->s)
        scn_hooks_stop(w->s);
    if (w->trace)
        sim_trace_abort(w->trace);
    if (w->metrics)
        sim_metrics_abort(w->metrics);
    wl_kstate_abort(w->kstate);
    wl_fault_destroy(w->faults);
    wl_destroy(w->wl);
    sched_ca_destroy(w->ca);
    sched_destroy(w->sched);
    sim_engine_destroy(w->e);
    SimMem plain;
    sim_mem_free(handle_mem(&w->opt, w->s, &plain), w, sizeof *w);
}
