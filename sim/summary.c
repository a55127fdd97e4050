/* summary.c: builds summary.json from the engine's stats and objects. */
#include "sim/summary.h"

#include "sim/json.h"
#include "sim/sim_int.h"

static cJSON *regions_json(SimEngine *e)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < e->regions.n; i++) {
        const SimRegion *r = &e->regions.v[i];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || !cJSON_AddItemToArray(arr, o))
            break;
        cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddNumberToObject(o, "nodes_peak", r->nodes_peak);
        cJSON_AddNumberToObject(o, "cost_usd", r->cost_usd);
        cJSON_AddNumberToObject(o, "idle_cost_usd", sim_cost_idle(e, (uint32_t)i));
        cJSON *groups = cJSON_AddArrayToObject(o, "nodegroups");
        for (size_t g = 0; groups && g < e->groups.n; g++) {
            const SimNodeGroup *ng = &e->groups.v[g];
            cJSON *go = ng->region == i ? cJSON_CreateObject() : NULL;
            if (go == NULL || !cJSON_AddItemToArray(groups, go))
                continue;
            cJSON_AddStringToObject(go, "name", ng->name);
            cJSON_AddNumberToObject(go, "nodes", ng->live_nodes);
            cJSON_AddNumberToObject(go, "cost_usd", ng->cost_usd);
        }
    }
    return arr;
}

/* What each namespace paid: its pods' shares of their nodes' prices. */
static cJSON *namespaces_json(SimEngine *e)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < e->namespaces.n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || !cJSON_AddItemToArray(arr, o))
            break;
        cJSON_AddStringToObject(o, "name", e->namespaces.v[i].name);
        cJSON_AddNumberToObject(o, "cost_usd", e->namespaces.v[i].cost_usd);
    }
    return arr;
}

static cJSON *counts(const char *k1, double v1, const char *k2, double v2)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddNumberToObject(o, k1, v1);
        cJSON_AddNumberToObject(o, k2, v2);
    }
    return o;
}

static cJSON *pods_json(const SimStats *s)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddNumberToObject(o, "created", (double)s->pods_created);
        cJSON_AddNumberToObject(o, "scheduled", (double)s->pods_scheduled);
        cJSON_AddNumberToObject(o, "pending_peak", s->pending_peak);
        cJSON_AddNumberToObject(o, "preempted", (double)s->pods_preempted);
        cJSON_AddNumberToObject(o, "evicted", (double)s->pods_evicted);
    }
    return o;
}

static cJSON *or_empty(cJSON *arr)
{
    return arr ? arr : cJSON_CreateArray();
}

cJSON *sim_summary_build(SimEngine *e, SimSummaryInfo *info)
{
    const SimStats *s = &e->stats;
    cJSON *o = cJSON_CreateObject();
    cJSON *bt = cJSON_CreateObject();
    if (o == NULL || bt == NULL) {
        cJSON_Delete(o);
        cJSON_Delete(bt);
        cJSON_Delete(info->expectations);
        cJSON_Delete(info->slo);
        cJSON_Delete(info->backtest_results);
        return NULL;
    }
    double cost = sim_cost_total(e);
    cJSON_AddStringToObject(o, "schema", SIM_SUMMARY_SCHEMA);
    cJSON_AddStringToObject(o, "scenario", info->scenario);
    cJSON_AddNumberToObject(o, "seed", (double)e->seed);
    cJSON_AddNumberToObject(o, "sim_seconds", (double)e->now / (double)SIM_NS_PER_S);
    cJSON_AddNumberToObject(o, "wall_seconds", info->wall_seconds);
    cJSON_AddNumberToObject(o, "events", (double)s->events);
    cJSON_AddStringToObject(o, "trace_sha256", info->trace_sha256 ? info->trace_sha256 : "");
    cJSON_AddNumberToObject(o, "cost_usd", cost);
    sim_json_add_item(o, "regions", regions_json(e));
    sim_json_add_item(o, "namespaces", namespaces_json(e));
    sim_json_add_item(o, "pods", pods_json(s));
    sim_json_add_item(o, "hpa", counts("scale_ups", (double)s->hpa_scale_ups,
                                           "scale_downs", (double)s->hpa_scale_downs));
    sim_json_add_item(o, "autoscaler", counts("nodes_added", (double)s->nodes_added,
                                                  "nodes_removed", (double)s->nodes_removed));
    cJSON *q = cJSON_CreateObject();
    if (q)
        cJSON_AddNumberToObject(q, "rejections", (double)s->quota_rejections);
    sim_json_add_item(o, "quota", q);
    sim_json_add_item(o, "jobs", counts("succeeded", (double)s->jobs_succeeded,
                                            "failed", (double)s->jobs_failed));
    cJSON *flt = counts("injected", (double)s->faults_injected, "pods_evicted_by_taint",
                        (double)s->pods_evicted_by_taint);
    if (flt)
        cJSON_AddNumberToObject(flt, "spot_interruptions", (double)s->spot_interruptions);
    sim_json_add_item(o, "faults", flt);
    cJSON_AddNumberToObject(bt, "completed", (double)s->backtests_completed);
    sim_json_add_item(bt, "results", or_empty(info->backtest_results));
    sim_json_add_item(o, "backtests", bt);
    sim_json_add_item(o, "slo", or_empty(info->slo));
    sim_json_add_item(o, "expectations", or_empty(info->expectations));
    info->expectations = info->slo = info->backtest_results = NULL;
    return o;
}
