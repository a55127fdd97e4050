/*
 * summary.c: builds summary.json from sections (summary.h). The engine's
 * own sections read its stats and objects; the modules' sections were
 * registered in the engine, kept sorted by rank. Every cJSON call is checked:
 * a NULL is SIM_ENOMEM and the half-built summary is freed.
 */
#include "sim/summary.h"

#include "sim/sim_int.h"

int sim_summary_add_number(cJSON *o, const char *key, double v)
{
    return cJSON_AddNumberToObject(o, key, v) ? SIM_OK : SIM_ENOMEM;
}

static int add_string(cJSON *o, const char *key, const char *v)
{
    return cJSON_AddStringToObject(o, key, v) ? SIM_OK : SIM_ENOMEM;
}

int sim_summary_add_item(cJSON *o, const char *key, cJSON *item)
{
    if (item == NULL)
        return SIM_ENOMEM;
    if (!cJSON_AddItemToObject(o, key, item)) {
        cJSON_Delete(item);
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* Appends item to arr; on failure item is freed. */
static int append(cJSON *arr, cJSON *item)
{
    if (item == NULL)
        return SIM_ENOMEM;
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

int sim_summary_add_counts(cJSON *o, const char *key, const SimSummaryNum *nums, size_t n)
{
    cJSON *c = cJSON_CreateObject();
    int rc = c ? SIM_OK : SIM_ENOMEM;
    for (size_t i = 0; rc == SIM_OK && i < n; i++)
        rc = sim_summary_add_number(c, nums[i].key, nums[i].value);
    if (rc != SIM_OK) {
        cJSON_Delete(c);
        return rc;
    }
    return sim_summary_add_item(o, key, c);
}

/* ---- the engine's sections -------------------------------------------------- */

/* A cost, or null when it includes a price nobody knows (not $0: an
 * unpriced node group is not free). */
static int add_cost(cJSON *o, const char *key, double v, int known)
{
    if (known)
        return sim_summary_add_number(o, key, v);
    return cJSON_AddNullToObject(o, key) ? SIM_OK : SIM_ENOMEM;
}

static cJSON *group_json(const SimNodeGroup *ng)
{
    cJSON *go = cJSON_CreateObject();
    int rc = go ? add_string(go, "name", ng->name) : SIM_ENOMEM;
    if (rc == SIM_OK)
        rc = sim_summary_add_number(go, "nodes", ng->live_nodes);
    if (rc == SIM_OK)
        rc = add_cost(go, "cost_usd", ng->cost_usd, !ng->price_unknown);
    if (rc != SIM_OK) {
        cJSON_Delete(go);
        return NULL;
    }
    return go;
}

static int region_fields(SimEngine *e, uint32_t i, cJSON *o)
{
    const SimRegion *r = &e->regions.v[i];
    int known = sim_region_cost_known(e, i);
    int rc = add_string(o, "name", r->name);
    if (rc == SIM_OK)
        rc = sim_summary_add_number(o, "nodes_peak", r->nodes_peak);
    if (rc == SIM_OK)
        rc = add_cost(o, "cost_usd", r->cost_usd, known);
    if (rc == SIM_OK)
        rc = add_cost(o, "idle_cost_usd", sim_cost_idle(e, i), known);
    cJSON *groups = rc == SIM_OK ? cJSON_AddArrayToObject(o, "nodegroups") : NULL;
    if (groups == NULL)
        return SIM_ENOMEM;
    for (size_t g = 0; rc == SIM_OK && g < e->groups.n; g++)
        if (e->groups.v[g].region == i)
            rc = append(groups, group_json(&e->groups.v[g]));
    return rc;
}

/* sum[key]: an array of n objects, object i filled by fill(e, i, o). */
typedef int (*ObjectFill)(SimEngine *e, uint32_t i, cJSON *o);
static int object_array(SimEngine *e, cJSON *sum, const char *key, size_t n, ObjectFill fill)
{
    cJSON *arr = cJSON_AddArrayToObject(sum, key);
    int rc = arr ? SIM_OK : SIM_ENOMEM;
    for (size_t i = 0; rc == SIM_OK && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        rc = append(arr, o);
        if (rc == SIM_OK)
            rc = fill(e, (uint32_t)i, o);
    }
    return rc;
}

static int regions_json(SimEngine *e, cJSON *sum)
{
    return object_array(e, sum, "regions", e->regions.n, region_fields);
}

/* What each namespace paid: its pods' shares of their nodes' prices. */
static int namespace_fields(SimEngine *e, uint32_t i, cJSON *o)
{
    int rc = add_string(o, "name", e->namespaces.v[i].name);
    if (rc == SIM_OK)
        rc = add_cost(o, "cost_usd", e->namespaces.v[i].cost_usd, !e->namespaces.v[i].cost_unknown);
    return rc;
}

static int namespaces_json(SimEngine *e, cJSON *sum)
{
    return object_array(e, sum, "namespaces", e->namespaces.n, namespace_fields);
}

static int pods_json(const SimStats *s, cJSON *sum)
{
    SimSummaryNum n[] = {{"created", (double)s->pods_created},
                         {"scheduled", (double)s->pods_scheduled},
                         {"pending_peak", s->pending_peak},
                         {"preempted", (double)s->pods_preempted},
                         {"evicted", (double)s->pods_evicted}};
    return sim_summary_add_counts(sum, "pods", n, sizeof n / sizeof n[0]);
}

static int head_json(SimEngine *e, const SimSummaryInfo *info, cJSON *o)
{
    int rc = add_string(o, "schema", SIM_SUMMARY_SCHEMA);
    if (rc == SIM_OK)
        rc = add_string(o, "scenario", info->scenario);
    if (rc == SIM_OK)
        rc = sim_summary_add_number(o, "seed", (double)e->seed);
    if (rc == SIM_OK)
        rc = sim_summary_add_number(o, "sim_seconds", (double)e->now / (double)SIM_NS_PER_S);
    if (rc == SIM_OK)
        rc = sim_summary_add_number(o, "wall_seconds", info->wall_seconds);
    if (rc == SIM_OK)
        rc = sim_summary_add_number(o, "events", (double)e->stats.events);
    if (rc == SIM_OK)
        rc = add_string(o, "trace_sha256", info->trace_sha256 ? info->trace_sha256 : "");
    if (rc == SIM_OK)
        rc = add_cost(o, "cost_usd", sim_cost_total(e), sim_cost_known(e));
    return rc;
}

static int engine_json(SimEngine *e, const SimSummaryInfo *info, cJSON *o)
{
    int rc = head_json(e, info, o);
    if (rc == SIM_OK)
        rc = regions_json(e, o);
    if (rc == SIM_OK)
        rc = namespaces_json(e, o);
    return rc == SIM_OK ? pods_json(&e->stats, o) : rc;
}

static int quota_json(void *ctx, SimEngine *e, cJSON *o)
{
    (void)ctx;
    SimSummaryNum n[] = {{"rejections", (double)e->stats.quota_rejections}};
    return sim_summary_add_counts(o, "quota", n, 1);
}

/* ---- sections -------------------------------------------------------------- */

static int insert(SimEngine *e, int rank, SimSummaryFn fn, void *ctx)
{
    size_t at = 0;
    while (at < e->nsections && e->sections[at].rank < rank)
        at++;
    if (at < e->nsections && e->sections[at].rank == rank)
        return sim_fail(e, SIM_EINVAL, "summary section rank %d is already taken", rank);
    if (e->nsections == SIM_SUMMARY_MAX_SECTIONS)
        return sim_fail(e, SIM_ESTATE, "too many summary sections");
    memmove(&e->sections[at + 1], &e->sections[at], (e->nsections - at) * sizeof e->sections[0]);
    e->sections[at] = (SimSummarySlot){.rank = rank, .fn = fn, .ctx = ctx};
    e->nsections++;
    return SIM_OK;
}

int sim_summary_section(SimEngine *e, int rank, SimSummaryFn fn, void *ctx)
{
    if (rank <= SIM_SUMMARY_RANK_ENGINE || rank >= SIM_SUMMARY_RANK_EXPECTATIONS || rank == SIM_SUMMARY_RANK_QUOTA)
        return sim_fail(e, SIM_EINVAL, "summary section rank %d is the engine's or out of range", rank);
    return insert(e, rank, fn, ctx);
}

void sim_summary_register_engine(SimEngine *e)
{
    SIM_ASSERT(insert(e, SIM_SUMMARY_RANK_QUOTA, quota_json, NULL) == SIM_OK);
}

static int build(SimEngine *e, SimSummaryInfo *info, cJSON *o)
{
    int rc = engine_json(e, info, o);
    for (size_t i = 0; rc == SIM_OK && i < e->nsections; i++)
        rc = e->sections[i].fn(e->sections[i].ctx, e, o);
    if (rc != SIM_OK)
        return rc;
    cJSON *exp = info->expectations ? info->expectations : cJSON_CreateArray();
    info->expectations = NULL;
    return sim_summary_add_item(o, "expectations", exp);
}

cJSON *sim_summary_build(SimEngine *e, SimSummaryInfo *info)
{
    cJSON *o = cJSON_CreateObject();
    int rc = o ? build(e, info, o) : SIM_ENOMEM;
    cJSON_Delete(info->expectations);
    info->expectations = NULL;
    if (rc != SIM_OK) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
