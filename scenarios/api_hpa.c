/*
 * api_hpa.c: the hpa declaration of a scenario script, a
 * HorizontalPodAutoscaler (autoscaling/v2) with Lua-style field names:
 *
 *   hpa { name = "web", target = "web",          -- a deployment (or statefulset) declared before
 *         min = 2, max = 20, tolerance = 0.1,    -- min default 1; tolerance: the controller's (0.1)
 *                                                -- min = 0: scenario { feature_gates = { HPAScaleToZero = true } } above
 *         metrics = {                            -- default: cpu at 80 % utilization
 *           { type = "Resource", name = "cpu", target = { type = "Utilization", average_utilization = 70 } },
 *           { type = "Resource", name = "memory", target = { type = "AverageValue", average_value = "1Gi" } },
 *           { type = "Pods", name = "requests_per_second", target = { type = "AverageValue", average_value = "100" } },
 *           { type = "Object", name = "ingress_rps", target = { type = "Value", value = "2k" } },
 *           { type = "External", name = "queue_length", target = { type = "AverageValue", average_value = "5" } } },
 *         behavior = {                           -- unset: the legacy normalisation
 *           scale_up = { stabilization_window = "0s", select_policy = "Max",   -- Max | Min | Disabled
 *                        policies = { { type = "Pods", value = 4, period = "15s" },
 *                                     { type = "Percent", value = 100, period = "15s" } },
 *                        tolerance = 0.05 },
 *           scale_down = { stabilization_window = "5m" } } }   -- missing fields take upstream's defaults
 *
 * ContainerResource takes `container` too (one container per pod: it reads
 * as Resource). Every key is checked with the nearest one suggested; the
 * metric types, target types and their fields are checked as the API
 * server's validation does; min > max, an unknown metric type or a bad
 * target stops loading with the file and line. Declarations live in the
 * scenario's arena; building adds them after the workloads.
 */
#include "scenarios/scn_int.h"
#include "scenarios/scn_keys.h"

#include <stdio.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "workloads/gates.h"
#include "workloads/hpa.h"

typedef struct HpaDecl {
    struct HpaDecl *next;
    const char *name;
    uint32_t ns;                 /* its namespace: its target's */
    uint32_t target;
    WlHpaSpec spec;
} HpaDecl;

struct ScnHpas {
    HpaDecl *head, **end;
};

static const char *const source_names[] = {"Resource", "ContainerResource", "Pods", "Object", "External", NULL};
static const char *const target_names[] = {"Utilization", "Value", "AverageValue", NULL};
static const char *const target_fields[] = {"average_utilization", "value", "average_value"};

static int index_of(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* Item i (1-based) of list field key of d, which is at the top of the
 * stack, pushed as a declaration of its own. */
static void list_item(lua_State *L, const ScnDecl *d, const char *key, lua_Integer i, ScnDecl *item, char *what,
                      size_t n)
{
    int t = lua_geti(L, -1, i);
    if (t != LUA_TTABLE)
        scn_field_error(L, d, key, "item %d: expected a table, got %s", (int)i, lua_typename(L, t));
    scn_field_label(what, n, d, key, i);
    *item = (ScnDecl){what, NULL, lua_gettop(L)};
}

static int64_t positive_quantity(lua_State *L, const ScnDecl *d, const char *key)
{
    int64_t v = scn_opt_quantity(L, d, key, 1, -1);
    if (v <= 0)
        scn_field_error(L, d, key, v == 0 ? "must be positive" : "is required");
    return v;
}

const char *const scn_keys_hpa_target[] = {"type", "average_utilization", "average_value", "value", NULL};
/* ---- metrics ---------------------------------------------------------------- */
static void read_target(lua_State *L, const ScnDecl *t, WlHpaMetric *m)
{
    const char *const *keys = scn_keys_hpa_target;
    scn_check_keys(L, t, keys);
    const char *type = scn_req_string(L, t, "type");
    int k = index_of(target_names, type);
    if (k < 0)
        scn_field_error(L, t, "type", "\"%s\" is not one of Utilization, Value, AverageValue", type);
    m->target = (WlHpaTarget)k;
    int resource = m->source <= WL_HPA_CONTAINER_RESOURCE;
    if ((m->target == WL_HPA_UTILIZATION && !resource) || (m->target == WL_HPA_VALUE && resource) ||
        (m->target == WL_HPA_VALUE && m->source == WL_HPA_PODS))
        scn_field_error(L, t, "type", "a %s metric does not take a %s target (%s)", source_names[m->source], type,
                        resource ? "Utilization or AverageValue" : m->source == WL_HPA_PODS ? "AverageValue"
                                                                                           : "Value or AverageValue");
    for (int f = 0; f < 3; f++) {
        int given = scn_field(L, t, target_fields[f]) != LUA_TNIL;
        lua_pop(L, 1);
        if (given != (f == k))
            scn_field_error(L, t, target_fields[f], given ? "is not allowed with a target of type %s"
                                                          : "is required with a target of type %s", type);
    }
    if (m->target == WL_HPA_UTILIZATION)
        m->utilization = (int32_t)scn_opt_int(L, t, "average_utilization", 0, 1, INT32_MAX);
    else
        m->milli = positive_quantity(L, t, target_fields[k]);
}

const char *const scn_keys_hpa_metric[] = {"type", "name", "container", "target", NULL};
static void read_metric(lua_State *L, ScnScenario *s, const ScnDecl *d, WlHpaMetric *m)
{
    const char *const *keys = scn_keys_hpa_metric;
    char what[256];
    ScnDecl t;
    scn_check_keys(L, d, keys);
    const char *type = scn_req_string(L, d, "type");
    int k = index_of(source_names, type);
    if (k < 0)
        scn_field_error(L, d, "type", "unknown metric type \"%s\" (one of Resource, ContainerResource, Pods, Object, "
                        "External)", type);
    m->source = (WlHpaSource)k;
    const char *name = scn_req_string(L, d, "name");
    if (m->source <= WL_HPA_CONTAINER_RESOURCE) {
        if (strcmp(name, "cpu") != 0 && strcmp(name, "memory") != 0)
            scn_field_error(L, d, "name", "\"%s\": kubesim models the cpu and memory resources", name);
        m->res = strcmp(name, "cpu") == 0 ? WL_HPA_CPU : WL_HPA_MEMORY;
    }
    const char *container = scn_opt_string(L, d, "container", NULL);
    if ((container != NULL) != (m->source == WL_HPA_CONTAINER_RESOURCE))
        scn_field_error(L, d, "container", container ? "only a ContainerResource metric names a container"
                                                     : "is required for a ContainerResource metric");
    m->name = scn_arena_strdup(L, s, name);
    if (!scn_sub_decl(L, d, "target", &t, what, sizeof what))
        scn_field_error(L, d, "target", "is required, e.g. { type = \"Utilization\", average_utilization = 70 }");
    read_target(L, &t, m);
    lua_pop(L, 1);
}

static void read_metrics(lua_State *L, ScnScenario *s, const ScnDecl *d, WlHpaSpec *spec)
{
    char what[256];
    ScnDecl list;
    int given = scn_sub_decl(L, d, "metrics", &list, what, sizeof what);
    if (!given || luaL_len(L, -1) == 0) {
        if (given)
            lua_pop(L, 1);
        WlHpaMetric *m = scn_arena_alloc(L, s, sizeof *m);   /* the API's default: cpu at 80 % */
        *m = (WlHpaMetric){WL_HPA_RESOURCE, WL_HPA_UTILIZATION, WL_HPA_CPU, "cpu", 80, 0};
        spec->metrics = m;
        spec->nmetrics = 1;
        return;
    }
    size_t n = (size_t)luaL_len(L, -1);
    WlHpaMetric *v = scn_arena_alloc(L, s, n * sizeof *v);
    memset(v, 0, n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        char iwhat[300];
        ScnDecl item;
        list_item(L, d, "metrics", (lua_Integer)i + 1, &item, iwhat, sizeof iwhat);
        read_metric(L, s, &item, &v[i]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    spec->metrics = v;
    spec->nmetrics = n;
}

/* ---- behavior ---------------------------------------------------------------- */
/* A duration in whole seconds within [lo, hi]. */
static int32_t whole_seconds(lua_State *L, const ScnDecl *d, const char *key, int32_t deflt, int32_t lo, int32_t hi)
{
    SimTime t = scn_opt_duration(L, d, key, SIM_SEC(deflt));
    if (t % SIM_NS_PER_S != 0 || t < SIM_SEC(lo) || t > SIM_SEC(hi))
        scn_field_error(L, d, key, "must be whole seconds from %ds to %ds", lo, hi);
    return (int32_t)(t / SIM_NS_PER_S);
}

const char *const scn_keys_hpa_policy[] = {"type", "value", "period", NULL};
static void read_policy(lua_State *L, const ScnDecl *d, WlHpaPolicy *p)
{
    const char *const *keys = scn_keys_hpa_policy;
    scn_check_keys(L, d, keys);
    const char *type = scn_req_string(L, d, "type");
    if (strcmp(type, "Pods") != 0 && strcmp(type, "Percent") != 0)
        scn_field_error(L, d, "type", "\"%s\" is not Pods or Percent", type);
    p->percent = strcmp(type, "Percent") == 0;
    for (int k = 1; k <= 2; k++) {
        int missing = scn_field(L, d, keys[k]) == LUA_TNIL;
        lua_pop(L, 1);
        if (missing)
            scn_field_error(L, d, keys[k], "is required");
    }
    p->value = (int32_t)scn_opt_int(L, d, "value", 1, 1, INT32_MAX);
    p->period_s = whole_seconds(L, d, "period", 15, 1, 1800);
}

static void read_policies(lua_State *L, const ScnDecl *d, WlHpaRules *r)
{
    char what[300];
    ScnDecl list;
    if (!scn_sub_decl(L, d, "policies", &list, what, sizeof what))
        return;   /* upstream's default list */
    lua_Integer n = luaL_len(L, -1);
    if (n < 1 || n > WL_HPA_MAX_POLICIES)
        scn_field_error(L, d, "policies", "expected 1 to %d policies", WL_HPA_MAX_POLICIES);
    r->npolicies = (size_t)n;
    for (lua_Integer i = 1; i <= n; i++) {
        char iwhat[340];
        ScnDecl item;
        list_item(L, d, "policies", i, &item, iwhat, sizeof iwhat);
        read_policy(L, &item, &r->policies[i - 1]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

const char *const scn_keys_hpa_rules[] = {"stabilization_window", "select_policy", "policies", "tolerance",
                                          NULL};
static void read_rules(lua_State *L, const ScnDecl *b, const char *key, WlHpaRules *r)
{
    const char *const *keys = scn_keys_hpa_rules;
    static const char *const selects[] = {"Max", "Min", "Disabled", NULL};
    char what[300];
    ScnDecl d;
    if (!scn_sub_decl(L, b, key, &d, what, sizeof what))
        return;
    scn_check_keys(L, &d, keys);
    r->window_s = whole_seconds(L, &d, "stabilization_window", r->window_s, 0, 3600);
    const char *sel = scn_opt_string(L, &d, "select_policy", NULL);
    if (sel && index_of(selects, sel) < 0)
        scn_field_error(L, &d, "select_policy", "\"%s\" is not Max, Min or Disabled", sel);
    r->select = sel ? (WlHpaSelect)index_of(selects, sel) : r->select;
    if (scn_field(L, &d, "tolerance") != LUA_TNIL)
        r->tolerance = scn_opt_number(L, &d, "tolerance", 0, 0, 1e6);
    lua_pop(L, 1);
    read_policies(L, &d, r);
    lua_pop(L, 1);
}

const char *const scn_keys_hpa_behavior[] = {"scale_up", "scale_down", NULL};
static void read_behavior(lua_State *L, const ScnDecl *d, WlHpaSpec *spec)
{
    const char *const *keys = scn_keys_hpa_behavior;
    char what[256];
    ScnDecl b;
    wl_hpa_rules_default_up(&spec->up);
    wl_hpa_rules_default_down(&spec->down);
    if (!scn_sub_decl(L, d, "behavior", &b, what, sizeof what))
        return;
    spec->has_behavior = 1;
    scn_check_keys(L, &b, keys);
    read_rules(L, &b, "scale_up", &spec->up);
    read_rules(L, &b, "scale_down", &spec->down);
    lua_pop(L, 1);
}

/* ---- hpa { ... } ----------------------------------------------------------------- */
static struct ScnHpas *hpas(lua_State *L, ScnScenario *s)
{
    if (s->hpas == NULL) {
        s->hpas = scn_arena_alloc(L, s, sizeof *s->hpas);
        s->hpas->head = NULL;
        s->hpas->end = &s->hpas->head;
    }
    return s->hpas;
}

/* The target: a deployment or statefulset declared earlier, in the HPA's
 * namespace when it names one (scaleTargetRef is namespace-local), else
 * "NAMESPACE/NAME" or a bare name (the only one). The HPA's namespace is
 * its target's; its name is unique there. */
static uint32_t ref_target(lua_State *L, ScnScenario *s, const ScnDecl *d, uint32_t *ns)
{
    unsigned kinds = 1u << SIM_WL_DEPLOYMENT | 1u << SIM_WL_STATEFULSET;
    int has_ns = scn_field(L, d, "namespace") != LUA_TNIL;
    lua_pop(L, 1);
    uint32_t ctx = has_ns ? scn_ref_namespace(L, s, d) : SIM_NONE;
    const char *name = scn_req_string(L, d, "target");
    if (has_ns && strchr(name, '/'))
        scn_field_error(L, d, "target", "'%s': with namespace set, the target is a bare name in it", name);
    uint32_t i = scn_ref_workload(L, s, d, "target", kinds, ctx, "deployment or statefulset");
    if (has_ns && s->workloads.v[i].ns != ctx)
        scn_field_error(L, d, "target", "no deployment or statefulset named '%s' in namespace '%s'", name,
                        s->namespaces.v[ctx]);
    *ns = s->workloads.v[i].ns;
    for (HpaDecl *h = hpas(L, s)->head; h; h = h->next)
        if (h->ns == *ns && strcmp(h->name, d->name) == 0)
            scn_field_error(L, d, "name", "'%s' is declared twice", d->name);
    return i;
}

/* Upstream lets two HPAs select the same pods; its controller then sets
 * ScalingActive False, reason AmbiguousSelector, on both and neither scales
 * on metrics (the run does the same, workloads/hpa.c). Worth a warning. */
static void warn_shared(lua_State *L, ScnScenario *s, const HpaDecl *h)
{
    for (const HpaDecl *o = hpas(L, s)->head; o; o = o->next)
        if (o->target == h->target) {
            char where[200] = "";
            luaL_where(L, 1);
            snprintf(where, sizeof where, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
            fprintf(stderr, "%swarning: hpa '%s' and hpa '%s' both scale %s/%s: as upstream, neither scales on "
                    "its metrics (condition ScalingActive False, reason AmbiguousSelector)\n", where, o->name,
                    h->name, s->namespaces.v[h->ns], s->workloads.v[h->target].name);
            return;
        }
}

/* minReplicas 0 is the alpha gate HPAScaleToZero's (off by default: the API
 * server then requires minReplicas >= 1); with it on, validation wants an
 * Object or External metric. */
static void check_spec(lua_State *L, ScnScenario *s, const ScnDecl *d, const WlHpaSpec *spec)
{
    const char *why;
    int scale_to_zero_ok = 0;
    if (spec->min > spec->max)
        scn_field_error(L, d, "min", "min (%d) is greater than max (%d)", spec->min, spec->max);
    if (spec->min == 0 && !(s->gates & WL_GATE_BIT(WL_GATE_HPA_SCALE_TO_ZERO)))
        scn_field_error(L, d, "min", "0 needs the feature gate HPAScaleToZero (alpha, off by default): turn it on "
                        "above with scenario { feature_gates = { HPAScaleToZero = true } }");
    if (spec->min == 0)
        s->gates_relied |= WL_GATE_BIT(WL_GATE_HPA_SCALE_TO_ZERO);
    for (size_t i = 0; i < spec->nmetrics; i++)
        scale_to_zero_ok |= spec->metrics[i].source >= WL_HPA_OBJECT;
    if (spec->min == 0 && !scale_to_zero_ok)
        scn_field_error(L, d, "min", "0 needs an Object or External metric (HPAScaleToZero)");
    if (wl_hpa_spec_check(spec, &why) != SIM_OK)
        scn_field_error(L, d, "metrics", "%s", why);
}

static int l_hpa(lua_State *L)
{
    static const char *const keys[] = {"name", "namespace", "target", "min", "max", "metrics", "behavior",
                                       "tolerance", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = {"hpa", NULL, 1};
    const char *why;
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "hpa: expected a table of fields, e.g. hpa { name = \"...\", target = \"...\", max = 10 }");
    const char *name = scn_req_string(L, &d, "name");
    if (!kx_name_valid(name, KX_DNS1123_SUBDOMAIN, &why))
        scn_field_error(L, &d, "name", "'%s' is not a valid Kubernetes name: %s", name, why);
    d.name = name;   /* first, so that every later message names it */
    scn_check_keys(L, &d, keys);
    HpaDecl *h = scn_arena_alloc(L, s, sizeof *h);
    memset(h, 0, sizeof *h);
    h->target = ref_target(L, s, &d, &h->ns);
    h->spec.min = (int32_t)scn_opt_int(L, &d, "min", 1, 0, INT32_MAX);
    if (scn_field(L, &d, "max") == LUA_TNIL)
        scn_field_error(L, &d, "max", "is required (the most replicas the HPA may set)");
    lua_pop(L, 1);
    h->spec.max = (int32_t)scn_opt_int(L, &d, "max", 1, 1, INT32_MAX);
    h->spec.tolerance = scn_opt_number(L, &d, "tolerance", WL_HPA_TOLERANCE, 0, 1e6);
    read_metrics(L, s, &d, &h->spec);
    read_behavior(L, &d, &h->spec);
    check_spec(L, s, &d, &h->spec);
    h->name = scn_arena_strdup(L, s, name);
    warn_shared(L, s, h);
    struct ScnHpas *all = hpas(L, s);
    *all->end = h;
    all->end = &h->next;
    return 0;
}

void scn_api_hpa_register(lua_State *L)
{
    lua_register(L, "hpa", l_hpa);
}

int scn_hpa_build(ScnScenario *s, WlControllers *wl)
{
    int rc = SIM_OK;
    for (HpaDecl *h = s->hpas ? s->hpas->head : NULL; rc == SIM_OK && h; h = h->next)
        rc = wl_hpa_add(wl, h->name, h->target, &h->spec);
    return rc;
}
