/*
 * api_autoscaler.c: the cluster autoscaler's declaration (k8s-behaviour.md
 * §2.1 flags; scheduler/ca.h).
 *
 *   autoscaler { enabled = true, expander = "least-waste",   -- or a chain {"priority", "least-waste"}
 *                scan_interval = "10s", max_nodes_total = 0, max_node_provision_time = "15m",
 *                scale_down = true, scale_down_utilization_threshold = 0.5,
 *                scale_down_gpu_utilization_threshold = 0.5, scale_down_unneeded_time = "10m",
 *                scale_down_unready_time = "20m", scale_down_delay_after_add = "10m",
 *                scale_down_delay_after_failure = "3m", max_empty_bulk_delete = 10,
 *                max_pod_eviction_time = "2m", expendable_pods_priority_cutoff = -10,
 *                scale_down_non_empty_candidates_count = 30, scale_down_candidates_pool_ratio = 0.1,
 *                scale_down_candidates_pool_min_count = 50 }
 *
 * One per scenario, applying to every region (each runs its own loop). A
 * scenario without it runs the autoscaler with upstream's defaults; every
 * field left out keeps its default. Keys are checked with the nearest key
 * suggested, and every error names the file, line and field.
 */
#include "scenarios/scn_int.h"

#include <string.h>

#include "scheduler/ca.h"

struct ScnAutoscaler {
    SchedCaConfig cfg;
};

int scn_opt_bool(lua_State *L, const ScnDecl *d, const char *key, int deflt)
{
    int t = scn_field(L, d, key);
    int v = deflt;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        scn_field_error(L, d, key, "expected true or false, got %s", lua_typename(L, t));
    lua_pop(L, 1);
    return v;
}

static SchedCaExpander expander_of(lua_State *L, const ScnDecl *d, const char *name)
{
    int x = sched_ca_expander_parse(name);
    if (x < 0)
        scn_field_error(L, d, "expander",
                        "unknown expander '%s' (least-waste, price, priority, most-pods, least-nodes, random)", name);
    return (SchedCaExpander)x;
}

/* expander = "name" or a chain {"a", "b"} (upstream --expander=a,b). */
static void read_expanders(lua_State *L, const ScnDecl *d, SchedCaConfig *c)
{
    int t = scn_field(L, d, "expander");
    if (t == LUA_TSTRING) {
        c->expanders[0] = expander_of(L, d, lua_tostring(L, -1));
        c->nexpanders = 1;
    } else if (t == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        if (n < 1 || n > SCHED_CA_MAX_EXPANDERS)
            scn_field_error(L, d, "expander", "expected 1 to %d expander names", SCHED_CA_MAX_EXPANDERS);
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_geti(L, -1, i) != LUA_TSTRING)
                scn_field_error(L, d, "expander", "item %lld is not a string", (long long)i);
            c->expanders[i - 1] = expander_of(L, d, lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        c->nexpanders = (size_t)n;
    } else if (t != LUA_TNIL) {
        scn_field_error(L, d, "expander", "expected a name or a list of names, got %s", lua_typename(L, t));
    }
    lua_pop(L, 1);
}

static SimTime positive_duration(lua_State *L, const ScnDecl *d, const char *key, SimTime deflt, int zero_ok)
{
    SimTime v = scn_opt_duration(L, d, key, deflt);
    if (v < 0 || (v == 0 && !zero_ok))
        scn_field_error(L, d, key, "must be %s", zero_ok ? "zero or more" : "positive");
    return v;
}

static void read_scale_down(lua_State *L, const ScnDecl *d, SchedCaConfig *c)
{
    c->scale_down_enabled = scn_opt_bool(L, d, "scale_down", c->scale_down_enabled);
    c->scale_down_utilization_threshold =
        scn_opt_number(L, d, "scale_down_utilization_threshold", c->scale_down_utilization_threshold, 0, 1);
    c->scale_down_gpu_utilization_threshold =
        scn_opt_number(L, d, "scale_down_gpu_utilization_threshold", c->scale_down_gpu_utilization_threshold, 0, 1);
    c->scale_down_unneeded_time = positive_duration(L, d, "scale_down_unneeded_time", c->scale_down_unneeded_time, 1);
    c->scale_down_unready_time = positive_duration(L, d, "scale_down_unready_time", c->scale_down_unready_time, 1);
    c->scale_down_delay_after_add =
        positive_duration(L, d, "scale_down_delay_after_add", c->scale_down_delay_after_add, 1);
    c->scale_down_delay_after_failure =
        positive_duration(L, d, "scale_down_delay_after_failure", c->scale_down_delay_after_failure, 1);
    c->max_empty_bulk_delete = (int32_t)scn_opt_int(L, d, "max_empty_bulk_delete", c->max_empty_bulk_delete, 1, 100000);
    c->max_pod_eviction_time = positive_duration(L, d, "max_pod_eviction_time", c->max_pod_eviction_time, 1);
    c->scale_down_non_empty_candidates_count = (int32_t)scn_opt_int(
        L, d, "scale_down_non_empty_candidates_count", c->scale_down_non_empty_candidates_count, -10000000, 10000000);
    c->scale_down_candidates_pool_ratio =
        scn_opt_number(L, d, "scale_down_candidates_pool_ratio", c->scale_down_candidates_pool_ratio, 0, 1);
    c->scale_down_candidates_pool_min_count = (int32_t)scn_opt_int(
        L, d, "scale_down_candidates_pool_min_count", c->scale_down_candidates_pool_min_count, 0, 10000000);
}

static int l_autoscaler(lua_State *L)
{
    static const char *const keys[] = {
        "enabled", "expander", "scan_interval", "max_nodes_total", "max_node_provision_time", "scale_down",
        "scale_down_utilization_threshold", "scale_down_gpu_utilization_threshold", "scale_down_unneeded_time",
        "scale_down_unready_time", "scale_down_delay_after_add", "scale_down_delay_after_failure",
        "max_empty_bulk_delete", "max_pod_eviction_time", "expendable_pods_priority_cutoff",
        "scale_down_non_empty_candidates_count", "scale_down_candidates_pool_ratio",
        "scale_down_candidates_pool_min_count", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = {"autoscaler", NULL, 1};
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "autoscaler: expected a table of fields, e.g. autoscaler { expander = \"least-waste\" }");
    if (s->autoscaler)
        luaL_error(L, "autoscaler: declared twice (one per scenario; it applies to every region)");
    scn_check_keys(L, &d, keys);
    struct ScnAutoscaler *a = scn_arena_alloc(L, s, sizeof *a);
    SchedCaConfig *c = &a->cfg;
    sched_ca_config_default(c);
    c->enabled = scn_opt_bool(L, &d, "enabled", 1);
    read_expanders(L, &d, c);
    c->scan_interval = positive_duration(L, &d, "scan_interval", c->scan_interval, 0);
    c->max_nodes_total = (int32_t)scn_opt_int(L, &d, "max_nodes_total", 0, 0, 10000000);
    c->max_node_provision_time = positive_duration(L, &d, "max_node_provision_time", c->max_node_provision_time, 0);
    c->expendable_pods_priority_cutoff = (int32_t)scn_opt_int(L, &d, "expendable_pods_priority_cutoff",
                                                              c->expendable_pods_priority_cutoff, -2147483647,
                                                              2147483647);
    read_scale_down(L, &d, c);
    s->autoscaler = a;
    return 0;
}

void scn_autoscaler_config(const ScnScenario *s, SchedCaConfig *c)
{
    if (s->autoscaler)
        *c = s->autoscaler->cfg;
    else
        sched_ca_config_default(c);
}

void scn_api_autoscaler_register(lua_State *L)
{
    lua_register(L, "autoscaler", l_autoscaler);
}
