/*
 * explain_from.c: `kubesim explain schedule --from RUN_DIR --pod NAME --at
 * TIME [--case FILE]`. The run's trace names its scenario and seed; the
 * scenario is simulated again (same seed, same --set values: the run is
 * deterministic) up to TIME, and the case is written from the engine at the
 * moment the run's scheduler placed the pod (a pod bound at TIME: the state
 * its scheduling cycle saw, the pods it bound before this one included), or
 * after every event at TIME when the pod is still pending then. The case
 * goes through `explain schedule` as a file would.
 *
 * Why a rerun rather than the trace alone: the trace holds requests and
 * placements, not labels, taints, tolerations, affinity or spreading, which
 * decide where a pod goes. The scenario file is found as the run found it:
 * --scenario FILE, else the built-in scenario when the trace names it, else
 * scenarios/NAME.lua.
 */
#include "cli/explain_from.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render/rnd.h"
#include "scheduler/explain.h"
#include "sim/fileio.h"
#include "sim/json.h"

typedef struct Snap {
    SimMem *m;
    const char *pod;
    SimTime at;
    char *text;                  /* the case, printed; NULL until taken */
    size_t len;
    char bound[256];             /* the node the run bound the pod to then ("": pending) */
    uint32_t nominated;          /* other pending pods of its region nominated to a node then */
    int oom;
} Snap;

int cli_from_keep(SimMem *m, SimJsonScope *js, cJSON *j, char **text, size_t *len)
{
    char *t = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (sim_json_end(js) != SIM_OK || t == NULL) {
        cJSON_free(t);
        return SIM_ENOMEM;
    }
    if (*text)
        sim_mem_free(m, *text, *len + 1);
    *len = strlen(t);
    *text = sim_mem_alloc(m, *len + 1);
    if (*text)
        memcpy(*text, t, *len + 1);
    else
        *len = 0;
    cJSON_free(t);
    return *text ? SIM_OK : SIM_ENOMEM;
}

static void take(Snap *s, SimEngine *e, uint32_t pod)
{
    SimJsonScope js;
    sim_json_begin(&js, s->m);
    if (cli_from_keep(s->m, &js, sched_explain_case_from(e, pod), &s->text, &s->len) != SIM_OK) {
        s->oom = 1;
        return;
    }
    const SimPod *me = sim_pod(e, pod);
    for (uint32_t i = 0; i < sim_pod_count(e); i++) {
        const SimPod *p = sim_pod(e, i);
        s->nominated += i != pod && p->region == me->region && p->phase == SIM_POD_PENDING &&
                        p->nominated_node != SIM_NONE;
    }
}

static int named(SimEngine *e, uint32_t pod, const char *name)
{
    char buf[256];
    sim_pod_name(e, pod, buf, sizeof buf);
    return strcmp(buf, name) == 0;
}

static void on_bound(void *ctx, SimEngine *e, uint32_t pod)
{
    Snap *s = ctx;
    if (s->text == NULL && !s->oom && sim_now(e) == s->at && named(e, pod, s->pod)) {
        take(s, e, pod);
        sim_node_name(e, sim_pod(e, pod)->node, s->bound, sizeof s->bound);
    }
}

/* The meta's "sets" (the run's --set values) into r. */
static void meta_sets(const cJSON *j, CliFromRun *r)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "sets"), *x;
    size_t used = 0;
    r->has_sets = cJSON_IsArray(a);
    cJSON_ArrayForEach(x, a) {
        size_t len = cJSON_IsString(x) ? strlen(x->valuestring) + 1 : 0;
        if (len == 0 || r->nsets == CLI_FROM_MAX_SETS || used + len > sizeof r->setbuf)
            continue;
        memcpy(r->setbuf + used, x->valuestring, len);
        r->sets[r->nsets++] = r->setbuf + used;
        used += len;
    }
}

/* The trace's scenario name, seed and --set values. */
static int trace_meta(SimMem *m, const SimTrSchema *schema, const char *path, char *scn, size_t n, uint64_t *seed,
                      CliFromRun *run, SimErr *err)
{
    SimTraceReader *r = sim_trace_open(m, schema, path, err);
    if (r == NULL)
        return SIM_EIO;
    SimJsonScope js;
    sim_json_begin(&js, m);
    cJSON *j = cJSON_Parse(sim_trace_meta(r));
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "scenario");
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(j, "seed");
    int ok = cJSON_IsString(name) && cJSON_IsNumber(sd) && sd->valuedouble >= 0;
    if (ok) {
        snprintf(scn, n, "%s", name->valuestring);
        *seed = (uint64_t)sd->valuedouble;
        meta_sets(j, run);
    }
    cJSON_Delete(j);
    sim_json_end(&js);
    sim_trace_close_reader(r);
    return ok ? SIM_OK : sim_err_set(err, SIM_EINVAL, "%s: its header names no scenario and seed", path);
}

static int run_time(SimMem *m, const SimTrSchema *schema, const char *path, const char *at, SimTime *t, SimErr *err)
{
    RndReplay *r = NULL;
    int rc = rnd_replay_open(m, schema, path, &r, err);
    if (rc == SIM_OK)
        rc = rnd_replay_at(r, at, t, err);
    rnd_replay_close(r);
    return rc;
}

/* The pod still pending at the end of the rerun, else why not. */
static int pending(Snap *s, SimEngine *e, const CliExplainFrom *f, SimErr *err)
{
    uint32_t found = SIM_NONE;
    for (uint32_t i = 0; i < sim_pod_count(e); i++)
        if (named(e, i, f->pod))
            found = i;
    if (found == SIM_NONE)
        return sim_err_set(err, SIM_EINVAL, "--pod %s: no such pod at --at %s in %s (pods are named WORKLOAD-N, "
                                            "as kubesim trace dump shows)", f->pod, f->at, f->run);
    const SimPod *p = sim_pod(e, found);
    if (p->phase != SIM_POD_PENDING) {
        char node[256] = "";
        if (p->node != SIM_NONE)
            sim_node_name(e, p->node, node, sizeof node);
        return sim_err_set(err, SIM_EINVAL, "--pod %s: not pending at --at %s: bound at %+.0f s from the start%s%s; "
                                            "explain it --at that time", f->pod, f->at,
                           (double)p->bound_at / 1e9, *node ? " to " : "", node);
    }
    take(s, e, found);
    return SIM_OK;
}

static int rerun(const CliFromRun *r, Snap *s, const CliExplainFrom *f, SimErr *err)
{
    ScnWorld *w = NULL;
    int rc = cli_from_world(r, &w);
    SimEngine *e = w ? scn_world_engine(w) : NULL;
    SimListener l = {.ctx = s, .pod_bound = on_bound};
    if (rc == SIM_OK)
        rc = sim_engine_listen(e, &l);
    while (rc == SIM_OK && s->text == NULL && !s->oom)
        rc = sim_step(e);
    if (rc == SIM_DONE && s->text == NULL)
        rc = pending(s, e, f, err);
    else if (rc != SIM_OK && rc != SIM_DONE)
        sim_err_set(err, rc, "the rerun of the scenario failed: %s", e ? sim_errmsg(e) : scn_world_errmsg(w));
    scn_world_close(w);
    return s->oom ? sim_err_set(err, SIM_ENOMEM, "out of memory") : rc == SIM_DONE ? SIM_OK : rc;
}

/* The total explain gives node (the answer's nodes[].total), or -1. */
static double total_of(const cJSON *ans, const char *node)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(ans, "nodes")) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(x, "total");
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "name")), node) == 0)
            return cJSON_IsNumber(t) ? t->valuedouble : -1;
    }
    return -1;
}

/* The run's own outcome beside explain's: "run": {node, tie} in JSON, a line
 * in text. A tie among the best totals is broken by the scheduler's seeded
 * draw, which explain's world draws anew. */
static int answer(SimMem *m, const Snap *s, const char *file, int as_json, SimErr *err)
{
    cJSON *ans;
    int rc = cli_from_answer(m, sched_explain_case, s->text, s->len, file, &ans, err);
    if (rc != SIM_OK)
        return rc;
    const char *sel = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ans, "selected"));
    int tie = *s->bound && sel && strcmp(sel, s->bound) != 0 && total_of(ans, sel) == total_of(ans, s->bound);
    cJSON *run = cJSON_AddObjectToObject(ans, "run");
    if (*s->bound)
        cJSON_AddStringToObject(run, "node", s->bound);
    else
        cJSON_AddNullToObject(run, "node");
    cJSON_AddBoolToObject(run, "tie", tie);
    cJSON_AddNumberToObject(run, "nominated", s->nominated);
    if (as_json) {
        cli_from_print_json(ans);
    } else {
        rc = sched_explain_case(m, s->text, s->len, file, 0, stdout, err);
        if (rc == SIM_OK && *s->bound)
            printf("the run: bound to %s%s\n", s->bound,
                   tie ? " (the same total as the node selected here: a tie, which the scheduler breaks with its "
                         "seeded draw)" : "");
        else if (rc == SIM_OK)
            printf("the run: still pending after every event at that time\n");
        if (rc == SIM_OK && s->nominated)
            printf("note: %u pending pod(s) of the region were nominated to nodes then (after preemption); the case "
                   "cannot hold them, and the run's scheduler reserves their room for pods of no higher priority\n",
                   s->nominated);
    }
    cJSON_Delete(ans);
    return rc;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run's --set values are the rerun's: a --set here that differs would
 * explain another run, so it is refused (a trace whose meta lists none ran
 * without --set, or before runs recorded them: then --set here is used). */
static int same_sets(const CliExplainFrom *f, CliFromRun *r, SimErr *err)
{
    if (!r->has_sets || f->nsets == 0)
        return SIM_OK;
    char *a[CLI_FROM_MAX_SETS], *b[CLI_FROM_MAX_SETS];
    memcpy(a, f->sets, f->nsets * sizeof *a);
    memcpy(b, r->sets, r->nsets * sizeof *b);
    qsort(a, f->nsets, sizeof *a, by_str);
    qsort(b, r->nsets, sizeof *b, by_str);
    int same = f->nsets == r->nsets;
    for (size_t i = 0; same && i < f->nsets; i++)
        same = strcmp(a[i], b[i]) == 0;
    if (same)
        return SIM_OK;
    char ran[1024] = "";
    for (size_t i = 0; i < r->nsets; i++)
        snprintf(ran + strlen(ran), sizeof ran - strlen(ran), " --set %s", r->sets[i]);
    return sim_err_set(err, SIM_EINVAL, "the run ran with%s; --set here differs and would explain another run: leave "
                                        "--set out (--from re-runs with the run's values)", ran);
}

/* The scenario the run ran: --scenario, the built-in one, or scenarios/NAME.lua,
 * with the run's --set values (the trace's meta), else --set's. */
static ScnScenario *load(SimMem *m, const CliExplainFrom *f, const CliFromRun *r, uint64_t seed, char *path, size_t n,
                         SimErr *err)
{
    const char *name = r->name;
    ScnOptions o = {.sets = f->sets, .nsets = f->nsets, .seed = seed, .no_warnings = 1};
    if (r->has_sets) {
        o.sets = r->sets;
        o.nsets = r->nsets;
    }
    if (f->scenario)
        o.path = f->scenario;
    else if (strcmp(name, "market_open_surge") != 0) {
        snprintf(path, n, "scenarios/%s.lua", name);
        if (access(path, R_OK) != 0) {
            sim_err_set(err, SIM_EIO, "the run's scenario '%s' is not at %s: give its file with --scenario FILE", name,
                        path);
            return NULL;
        }
        o.path = path;
    }
    ScnScenario *s = scn_load(m, &o, err);
    if (s && strcmp(scn_name(s), name) != 0) {
        sim_err_set(err, SIM_EINVAL, "%s is scenario '%s', the run ran '%s'", o.path ? o.path : "the built-in scenario",
                    scn_name(s), name);
        scn_free(s);
        return NULL;
    }
    return s;
}

int cli_from_open(SimMem *m, const CliExplainFrom *f, CliFromRun *r, SimErr *err)
{
    SimTrSchema schema;
    char trace[4200];
    memset(r, 0, sizeof *r);
    snprintf(trace, sizeof trace, "%s/trace.kst", f->run);
    if (access(f->run, F_OK) != 0)
        return sim_err_set(err, SIM_EIO, "%s: no such run folder", f->run);
    int rc = scn_trace_schema(&schema);
    if (rc == SIM_OK)
        rc = trace_meta(m, &schema, trace, r->name, sizeof r->name, &r->seed, r, err);
    if (rc == SIM_OK)
        rc = same_sets(f, r, err);
    if (rc == SIM_OK)
        rc = run_time(m, &schema, trace, f->at, &r->at, err);
    if (rc == SIM_OK)
        r->sc = load(m, f, r, r->seed, r->path, sizeof r->path, err);
    return rc != SIM_OK ? rc : r->sc ? SIM_OK : SIM_EINVAL;
}

void cli_from_close(CliFromRun *r)
{
    scn_free(r->sc);
    r->sc = NULL;
}

int cli_from_world(const CliFromRun *r, ScnWorld **w)
{
    ScnWorldOptions o = {.seed = r->seed, .parts = SCN_WORLD_RUN, .end = r->at > 0 ? r->at : 1, .quiet = 1};
    return scn_world_open(w, r->sc, &o);
}

int cli_from_answer(SimMem *m, CliExplainFn fn, const char *text, size_t len, const char *file, cJSON **ans,
                    SimErr *err)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    *ans = NULL;
    if (f == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    int rc = fn(m, text, len, file, 1, f, err);
    fclose(f);
    *ans = rc == SIM_OK ? cJSON_Parse(out) : NULL;
    free(out);
    if (rc == SIM_OK && *ans == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    return rc;
}

void cli_from_print_json(const cJSON *j)
{
    char *text = cJSON_Print(j);
    printf("%s\n", text ? text : "");
    cJSON_free(text);
}

static int explain_schedule(const CliExplainFrom *f, int as_json, SimErr *err)
{
    SimMem m;
    sim_mem_init(&m);
    CliFromRun r;
    Snap s = {.m = &m, .pod = f->pod};
    int rc = cli_from_open(&m, f, &r, err);
    s.at = r.at;
    if (rc == SIM_OK)
        rc = rerun(&r, &s, f, err);
    if (rc == SIM_OK && f->case_out)
        rc = sim_file_replace(f->case_out, s.text, s.len, err);
    if (rc == SIM_OK)
        rc = answer(&m, &s, f->case_out ? f->case_out : "(the rebuilt case)", as_json, err);
    if (s.text)
        sim_mem_free(&m, s.text, s.len + 1);
    cli_from_close(&r);
    return rc;
}

int cli_explain_from(const CliExplainFrom *f, int as_json, SimErr *err)
{
    if (strcmp(f->decision, "hpa") == 0)
        return cli_explain_from_hpa(f, as_json, err);
    if (strcmp(f->decision, "autoscaler") == 0)
        return cli_explain_from_ca(f, as_json, err);
    return explain_schedule(f, as_json, err);
}
