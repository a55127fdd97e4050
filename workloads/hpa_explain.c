/*
 * hpa_explain.c: `kubesim explain hpa CASE.json`: one HPA sync, every step
 * shown. The case holds the HPA's spec with the autoscaling/v2 field names
 * (or a whole HorizontalPodAutoscaler object), the target's currentReplicas
 * and statusReplicas, its pods as the pod lister and metrics-server see them,
 * the values of Object and External metrics, the HPA's history
 * (recommendations and scale events, each with its age) and the controller's
 * tolerance. The answer comes from the same calculator and normalisation as a
 * run (hpa_calc.c, hpa_norm.c), at time 0 with every age counted back from it.
 *
 * Invariant: nothing is written to out unless the whole case was read and
 * checked; the first problem is reported with its JSON path
 * ("case.json: $.hpa.metrics[0].resource.target.averageUtilization: ...").
 * "description" and "expect" document a case (the test suite checks
 * "expect") and are ignored. A pod may also carry "name" (ignored) and
 * "deleting" (deletionTimestamp set), which the list does not name.
 */
#include "workloads/hpa.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kube/kube.h"
#include "scheduler/explain.h"
#include "sim/arena.h"
#include "sim/json.h"

#define PATH KUBE_PATH

/* A named metric value (a pod's custom metric, an Object metric) or the
 * series of an External metric. */
typedef struct Named {
    const char *name;
    int64_t *vals;
    size_t n;
} Named;

typedef struct Case {
    SimMem *mem;                 /* the caller's: every allocation of the case */
    SimArena arena;
    KubeReader *kr;              /* the sticky first error, "$.path: message" */
    WlHpaSpec spec;
    WlHpaMetric *metrics;
    WlHpaPod *pods;
    Named **pod_metrics;         /* per pod, its custom metrics (NULL-named terminated) */
    Named *objects, *externals;  /* NULL-named terminated */
    WlHpaInput in;
    WlHpaHistory h;
} Case;

/* ---- reading JSON ---------------------------------------------------------- */
/* The case's fields go through the kube reader (kube.h), whose message is the
 * case's error. */
static int failed(const Case *c)
{
    return kube_failed(c->kr);
}

/* A quantity (a string as Kubernetes writes it, or a number) in milli-units:
 * the kube reader's, which parses the text where it is and caps its length and
 * value. */
static int64_t quantity(Case *c, const cJSON *x, const char *path)
{
    return failed(c) ? 0 : kube_quantity(c->kr, x, path, 1);
}

/* Seconds (fractions allowed, 0 to 1e9) as simulated time; present is 0
 * when absent, -1 when null. */
static SimTime get_seconds(Case *c, const cJSON *j, const char *key, const char *path, SimTime deflt, int *present)
{
    char sub[PATH];
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(j, key);
    *present = raw == NULL ? 0 : cJSON_IsNull(raw) ? -1 : 1;
    const cJSON *x = kube_child(c->kr, j, key, path, cJSON_Number, sub);
    if (x == NULL)
        return deflt;
    if (!(x->valuedouble >= 0 && x->valuedouble <= 1e9)) {
        kube_fail(c->kr, sub, "expected a number of seconds from 0 to 1e9");
        return deflt;
    }
    return (SimTime)llround(x->valuedouble * 1e9);
}

/* {NAME: quantity} (series 0: exactly one value), or {NAME: [quantity...]} too. */
static Named *named_map(Case *c, const cJSON *j, const char *path, int series)
{
    size_t n = j ? (size_t)cJSON_GetArraySize(j) : 0;
    Named *out = kube_alloc(c->kr, (n + 1) * sizeof *out);
    size_t k = 0;
    for (const cJSON *x = j ? j->child : NULL; out && x && !failed(c); x = x->next, k++) {
        char sub[PATH];
        kube_path(sub, "%s.%s", path, x->string);
        int list = series && cJSON_IsArray(x);
        size_t nv = list ? (size_t)cJSON_GetArraySize(x) : 1;
        out[k].name = x->string;
        out[k].vals = kube_alloc(c->kr, nv * sizeof *out[k].vals);
        out[k].n = nv;
        if (list && nv == 0)
            kube_fail(c->kr, sub, "expected at least one value");
        if (!list && out[k].vals)
            out[k].vals[0] = quantity(c, x, sub);
        size_t i = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, (list && out[k].vals ? x : NULL)) {   /* linear: never cJSON_GetArrayItem(i) */
            char item[PATH];
            kube_path(item, "%s[%zu]", sub, i);
            out[k].vals[i++] = quantity(c, v, item);
        }
    }
    return out;
}

static const cJSON *object_child(Case *c, const cJSON *j, const char *key, const char *path, char sub[static PATH])
{
    return kube_child(c->kr, j, key, path, cJSON_Object, sub);
}

/* ---- the HPA spec ------------------------------------------------------------ */
static void parse_target(Case *c, const cJSON *t, const char *path, WlHpaMetric *m, unsigned allowed)
{
    static const char *const keys[] = {"type", "averageUtilization", "averageValue", "value", NULL};
    static const char *const types[] = {"Utilization", "Value", "AverageValue", NULL};
    static const char *const fields[] = {"averageUtilization", "value", "averageValue"};
    char sub[PATH];
    kube_keys(c->kr, t, path, keys);
    if (!kube_required(c->kr, t, "type", path))
        return;
    m->target = (WlHpaTarget)kube_get_enum(c->kr, t, "type", path, types, 0);
    kube_path(sub, "%s.type", path);
    if (!failed(c) && !(allowed & (1u << m->target)))
        kube_fail(c->kr, sub, "a %s target is not allowed for this metric type", types[m->target]);
    for (int k = 0; k < 3 && !failed(c); k++) {
        int given = cJSON_GetObjectItemCaseSensitive(t, fields[k]) != NULL;
        kube_path(sub, "%s.%s", path, fields[k]);
        if (k == (int)m->target && !given)
            kube_fail(c->kr, sub, "is required for a target of type %s", types[m->target]);
        else if (k != (int)m->target && given)
            kube_fail(c->kr, sub, "is not allowed with a target of type %s", types[m->target]);
    }
    if (m->target == WL_HPA_UTILIZATION)
        m->utilization = (int32_t)kube_get_int(c->kr, t, "averageUtilization", path, 0, 1, INT32_MAX);
    else if (!failed(c)) {
        kube_path(sub, "%s.%s", path, fields[m->target]);
        m->milli = quantity(c, cJSON_GetObjectItemCaseSensitive(t, fields[m->target]), sub);
        if (!failed(c) && m->milli <= 0)
            kube_fail(c->kr, sub, "must be positive");
    }
}

/* MetricIdentifier {name, selector}: the selector is accepted, not applied. */
static void parse_identifier(Case *c, const cJSON *j, const char *path, WlHpaMetric *m)
{
    static const char *const keys[] = {"name", "selector", NULL};
    static const char *const sel_keys[] = {"matchLabels", "matchExpressions", NULL};
    char sub[PATH];
    kube_keys(c->kr, j, path, keys);
    const cJSON *sel = object_child(c, j, "selector", path, sub);
    if (sel)
        kube_keys(c->kr, sel, sub, sel_keys);
    const cJSON *name = kube_child(c->kr, j, "name", path, cJSON_String, sub);
    if (kube_required(c->kr, j, "name", path))
        m->name = name->valuestring;
}

static void parse_resource(Case *c, const cJSON *j, const char *path, WlHpaMetric *m, int container)
{
    static const char *const keys[] = {"name", "target", NULL};
    static const char *const ckeys[] = {"name", "container", "target", NULL};
    static const char *const res[] = {"cpu", "memory", NULL};
    char sub[PATH];
    kube_keys(c->kr, j, path, container ? ckeys : keys);
    if (container && kube_required(c->kr, j, "container", path))
        (void)kube_child(c->kr, j, "container", path, cJSON_String, sub);
    if (!kube_required(c->kr, j, "name", path) || !kube_required(c->kr, j, "target", path))
        return;
    m->res = (WlHpaRes)kube_get_enum(c->kr, j, "name", path, res, 0);
    m->name = res[m->res];
    const cJSON *t = object_child(c, j, "target", path, sub);
    if (t)
        parse_target(c, t, sub, m, 1u << WL_HPA_UTILIZATION | 1u << WL_HPA_AVERAGE_VALUE);
}

/* pods, object and external: {metric, target} (object: and describedObject). */
static void parse_custom(Case *c, const cJSON *j, const char *path, WlHpaMetric *m)
{
    static const char *const keys[] = {"metric", "target", NULL};
    static const char *const okeys[] = {"metric", "describedObject", "target", NULL};
    static const char *const dkeys[] = {"apiVersion", "kind", "name", NULL};
    char sub[PATH];
    int object = m->source == WL_HPA_OBJECT;
    kube_keys(c->kr, j, path, object ? okeys : keys);
    if (!kube_required(c->kr, j, "metric", path) || !kube_required(c->kr, j, "target", path))
        return;
    if (object && kube_required(c->kr, j, "describedObject", path)) {
        const cJSON *d = object_child(c, j, "describedObject", path, sub);
        kube_keys(c->kr, d, sub, dkeys);
        if (d && kube_required(c->kr, d, "kind", sub) && kube_required(c->kr, d, "name", sub)) {
            char sub2[PATH];
            (void)kube_child(c->kr, d, "kind", sub, cJSON_String, sub2);
            (void)kube_child(c->kr, d, "name", sub, cJSON_String, sub2);
        }
    }
    const cJSON *id = object_child(c, j, "metric", path, sub);
    if (id)
        parse_identifier(c, id, sub, m);
    const cJSON *t = object_child(c, j, "target", path, sub);
    unsigned allowed = m->source == WL_HPA_PODS ? 1u << WL_HPA_AVERAGE_VALUE
                                                : 1u << WL_HPA_VALUE | 1u << WL_HPA_AVERAGE_VALUE;
    if (t)
        parse_target(c, t, sub, m, allowed);
}

static void parse_metric(Case *c, const cJSON *j, const char *path, WlHpaMetric *m)
{
    static const char *const keys[] = {"type", "resource", "containerResource", "pods", "object", "external", NULL};
    static const char *const types[] = {"Resource", "ContainerResource", "Pods", "Object", "External", NULL};
    char sub[PATH];
    kube_keys(c->kr, j, path, keys);
    if (!kube_required(c->kr, j, "type", path))
        return;
    const cJSON *tj = kube_child(c->kr, j, "type", path, cJSON_String, sub);
    if (tj == NULL)
        return;
    int k = 0;
    while (types[k] && strcmp(types[k], tj->valuestring) != 0)
        k++;
    if (types[k] == NULL) {
        kube_fail(c->kr, sub, "unknown metric type \"%s\" (one of Resource, ContainerResource, Pods, Object, "
                      "External)", tj->valuestring);
        return;
    }
    m->source = (WlHpaSource)k;
    for (k = 0; k < 5 && !failed(c); k++) {
        int given = cJSON_GetObjectItemCaseSensitive(j, keys[k + 1]) != NULL;
        kube_path(sub, "%s.%s", path, keys[k + 1]);
        if (k == (int)m->source && !given)
            kube_fail(c->kr, sub, "is required for a metric of type %s", types[k]);
        else if (k != (int)m->source && given)
            kube_fail(c->kr, sub, "is not allowed for a metric of type %s", types[m->source]);
    }
    const cJSON *block = object_child(c, j, keys[m->source + 1], path, sub);
    if (block == NULL)
        return;
    if (m->source <= WL_HPA_CONTAINER_RESOURCE)
        parse_resource(c, block, sub, m, m->source == WL_HPA_CONTAINER_RESOURCE);
    else
        parse_custom(c, block, sub, m);
}

static void parse_metrics(Case *c, const cJSON *spec, const char *path)
{
    static const WlHpaMetric cpu80 = {WL_HPA_RESOURCE, WL_HPA_UTILIZATION, WL_HPA_CPU, "cpu", 80, 0};
    char sub[PATH];
    const cJSON *arr = kube_child(c->kr, spec, "metrics", path, cJSON_Array, sub);
    size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    c->metrics = kube_alloc(c->kr, (n ? n : 1) * sizeof *c->metrics);
    c->spec.metrics = c->metrics;
    c->spec.nmetrics = n ? n : 1;
    if (n == 0 && c->metrics) {   /* the API's default: cpu at 80 % */
        c->metrics[0] = cpu80;
        return;
    }
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, (c->metrics ? arr : NULL)) {
        char item[PATH];
        if (failed(c))
            break;
        kube_path(item, "%s[%zu]", sub, i);
        parse_metric(c, x, item, &c->metrics[i++]);
    }
}

static void parse_policy(Case *c, const cJSON *j, const char *path, WlHpaPolicy *p)
{
    static const char *const keys[] = {"type", "value", "periodSeconds", NULL};
    static const char *const types[] = {"Pods", "Percent", NULL};
    kube_keys(c->kr, j, path, keys);
    if (!kube_required(c->kr, j, "type", path) || !kube_required(c->kr, j, "value", path) || !kube_required(c->kr, j, "periodSeconds", path))
        return;
    p->percent = kube_get_enum(c->kr, j, "type", path, types, 0);
    p->value = (int32_t)kube_get_int(c->kr, j, "value", path, 1, 1, INT32_MAX);
    p->period_s = (int32_t)kube_get_int(c->kr, j, "periodSeconds", path, 15, 1, 1800);
}

static void parse_rules(Case *c, const cJSON *j, const char *path, WlHpaRules *r)
{
    static const char *const keys[] = {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance", NULL};
    static const char *const selects[] = {"Max", "Min", "Disabled", NULL};
    char sub[PATH];
    kube_keys(c->kr, j, path, keys);
    r->window_s = (int32_t)kube_get_int(c->kr, j, "stabilizationWindowSeconds", path, r->window_s, 0, 3600);
    r->select = (WlHpaSelect)kube_get_enum(c->kr, j, "selectPolicy", path, selects, (int)r->select);
    const cJSON *tol = cJSON_GetObjectItemCaseSensitive(j, "tolerance");
    kube_path(sub, "%s.tolerance", path);
    if (tol && !cJSON_IsNull(tol))
        r->tolerance = cJSON_IsNumber(tol) && tol->valuedouble >= 0 ? tol->valuedouble
                                                                     : (double)quantity(c, tol, sub) / 1000.0;
    const cJSON *arr = kube_child(c->kr, j, "policies", path, cJSON_Array, sub);
    if (arr == NULL)
        return;   /* the defaults stay: a given list replaces them wholesale */
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0 || n > WL_HPA_MAX_POLICIES)
        kube_fail(c->kr, sub, "expected 1 to %d policies", WL_HPA_MAX_POLICIES);
    r->npolicies = failed(c) ? r->npolicies : n;
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, (failed(c) ? NULL : arr)) {
        char item[PATH];
        kube_path(item, "%s[%zu]", sub, i);
        parse_policy(c, x, item, &r->policies[i++]);
    }
}

static void parse_behavior(Case *c, const cJSON *spec, const char *path)
{
    static const char *const keys[] = {"scaleUp", "scaleDown", NULL};
    char sub[PATH], rsub[PATH];
    wl_hpa_rules_default_up(&c->spec.up);
    wl_hpa_rules_default_down(&c->spec.down);
    const cJSON *b = object_child(c, spec, "behavior", path, sub);
    if (b == NULL)
        return;
    c->spec.has_behavior = 1;
    kube_keys(c->kr, b, sub, keys);
    const cJSON *up = object_child(c, b, "scaleUp", sub, rsub);
    if (up)
        parse_rules(c, up, rsub, &c->spec.up);
    const cJSON *down = object_child(c, b, "scaleDown", sub, rsub);
    if (down)
        parse_rules(c, down, rsub, &c->spec.down);
}

static void parse_spec(Case *c, const cJSON *spec, const char *path)
{
    static const char *const keys[] = {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior", NULL};
    char sub[PATH];
    kube_keys(c->kr, spec, path, keys);
    c->spec.min = (int32_t)kube_get_int(c->kr, spec, "minReplicas", path, 1, 0, INT32_MAX);
    if (kube_required(c->kr, spec, "maxReplicas", path))
        c->spec.max = (int32_t)kube_get_int(c->kr, spec, "maxReplicas", path, 1, 1, INT32_MAX);
    kube_path(sub, "%s.minReplicas", path);
    if (!failed(c) && c->spec.min > c->spec.max)
        kube_fail(c->kr, sub, "minReplicas (%d) is greater than maxReplicas (%d)", c->spec.min, c->spec.max);
    parse_metrics(c, spec, path);
    parse_behavior(c, spec, path);
    int scale_to_zero_ok = 0;
    for (size_t i = 0; !failed(c) && i < c->spec.nmetrics; i++)
        scale_to_zero_ok |= c->metrics[i].source >= WL_HPA_OBJECT;
    if (!failed(c) && c->spec.min == 0 && !scale_to_zero_ok)
        kube_fail(c->kr, sub, "0 needs an Object or External metric (HPAScaleToZero)");
}

/* The spec itself, or a whole HorizontalPodAutoscaler object. */
static void parse_hpa(Case *c, const cJSON *root)
{
    static const char *const obj_keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    char sub[PATH];
    const cJSON *hpa = object_child(c, root, "hpa", "$", sub);
    if (!kube_required(c->kr, root, "hpa", "$") || hpa == NULL)
        return;
    if (cJSON_GetObjectItemCaseSensitive(hpa, "spec") == NULL) {
        parse_spec(c, hpa, sub);
        return;
    }
    char ssub[PATH];
    kube_keys(c->kr, hpa, sub, obj_keys);
    const cJSON *spec = object_child(c, hpa, "spec", sub, ssub);
    if (spec)
        parse_spec(c, spec, ssub);
}

/* ---- pods ------------------------------------------------------------------ */
static void parse_resources(Case *c, const cJSON *j, const char *key, const char *path, int *has, int64_t *vals)
{
    static const char *const keys[] = {"cpu", "memory", NULL};
    char sub[PATH];
    const cJSON *r = object_child(c, j, key, path, sub);
    if (r == NULL)
        return;
    kube_keys(c->kr, r, sub, keys);
    for (int k = 0; k < WL_HPA_RES_COUNT && !failed(c); k++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(r, keys[k]);
        char q[PATH];
        kube_path(q, "%s.%s", sub, keys[k]);
        if (x && !cJSON_IsNull(x)) {
            has[k] = 1;
            vals[k] = quantity(c, x, q);
        }
    }
}

static void parse_pod(Case *c, const cJSON *j, const char *path, WlHpaPod *p, Named **metrics)
{
    static const char *const keys[] = {"name", "phase", "ready", "deleting", "startedSecondsAgo",
                                       "readyTransitionSecondsAgo", "sampleAgeSeconds", "sampleWindowSeconds",
                                       "requests", "usage", "metrics", NULL};
    static const char *const phases[] = {"Pending", "Running", "Succeeded", "Failed", "Unknown", NULL};
    char sub[PATH];
    int present;
    kube_keys(c->kr, j, path, keys);
    (void)kube_child(c->kr, j, "name", path, cJSON_String, sub);
    p->phase = (WlHpaPhase)kube_get_enum(c->kr, j, "phase", path, phases, WL_HPA_POD_RUNNING);
    const cJSON *ready = kube_child(c->kr, j, "ready", path, KUBE_BOOL_TF, sub);
    const cJSON *ready_raw = cJSON_GetObjectItemCaseSensitive(j, "ready");
    p->ready = ready ? cJSON_IsTrue(ready) : ready_raw ? -1 : p->phase == WL_HPA_POD_RUNNING;
    const cJSON *del = kube_child(c->kr, j, "deleting", path, KUBE_BOOL_TF, sub);
    p->deleting = del && cJSON_IsTrue(del);
    SimTime started = get_seconds(c, j, "startedSecondsAgo", path, SIM_SEC(3600), &present);
    p->has_start = present >= 0;
    p->start = -started;
    p->transition = -get_seconds(c, j, "readyTransitionSecondsAgo", path, started, &present);
    p->sample_t = -get_seconds(c, j, "sampleAgeSeconds", path, 0, &present);
    p->sample_window = get_seconds(c, j, "sampleWindowSeconds", path, SIM_SEC(15), &present);
    parse_resources(c, j, "requests", path, p->has_req, p->req);
    parse_resources(c, j, "usage", path, p->has_usage, p->usage);
    const cJSON *m = object_child(c, j, "metrics", path, sub);
    *metrics = named_map(c, m, sub, 0);
}

static void parse_pods(Case *c, const cJSON *root)
{
    char sub[PATH];
    const cJSON *arr = kube_child(c->kr, root, "pods", "$", cJSON_Array, sub);
    size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    c->pods = kube_alloc(c->kr, (n + 1) * sizeof *c->pods);
    c->pod_metrics = kube_alloc(c->kr, (n + 1) * sizeof *c->pod_metrics);
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, (c->pods && c->pod_metrics ? arr : NULL)) {   /* linear: never cJSON_GetArrayItem(i) */
        char item[PATH];
        if (failed(c))
            break;
        kube_path(item, "$.pods[%zu]", i);
        parse_pod(c, x, item, &c->pods[i], &c->pod_metrics[i]);
        i++;
    }
    c->in.pods = c->pods;
    c->in.npods = n;
}

/* ---- history ---------------------------------------------------------------- */
static void parse_entries(Case *c, const cJSON *h, const char *key, const char *path, int events)
{
    static const char *const keys[] = {"replicas", "ageSeconds", NULL};
    char sub[PATH];
    const cJSON *arr = kube_child(c->kr, h, key, path, cJSON_Array, sub), *x;
    size_t i = 0;
    cJSON_ArrayForEach(x, arr) {
        char item[PATH];
        int present;
        if (failed(c))
            return;
        kube_path(item, "%s[%zu]", sub, i++);
        kube_keys(c->kr, x, item, keys);
        if (!kube_required(c->kr, x, "replicas", item) || !kube_required(c->kr, x, "ageSeconds", item))
            return;
        int32_t r = (int32_t)kube_get_int(c->kr, x, "replicas", item, 0, events ? -INT32_MAX : 0, INT32_MAX);
        SimTime t = -get_seconds(c, x, "ageSeconds", item, 0, &present);
        char rsub[PATH];
        kube_path(rsub, "%s.replicas", item);
        if (!failed(c) && events && r == 0)
            kube_fail(c->kr, rsub, "a scale event changes replicas: not 0");
        int rc = failed(c) ? SIM_OK : events ? wl_hpa_history_add_event(&c->h, r, t)
                                             : wl_hpa_history_add_rec(&c->h, r, t);
        if (rc != SIM_OK)
            kube_fail(c->kr, "$", "out of memory");
    }
}

static void parse_history(Case *c, const cJSON *root)
{
    static const char *const keys[] = {"recommendations", "scaleEvents", NULL};
    char sub[PATH];
    const cJSON *h = object_child(c, root, "history", "$", sub);
    if (h == NULL)
        return;
    kube_keys(c->kr, h, sub, keys);
    parse_entries(c, h, "recommendations", sub, 0);
    parse_entries(c, h, "scaleEvents", sub, 1);
}

/* ---- the whole case ---------------------------------------------------------- */
static int lookup(const Named *v, const char *name, int64_t *out, size_t cap)
{
    for (size_t i = 0; v && v[i].name; i++)
        if (strcmp(v[i].name, name) == 0) {
            size_t n = v[i].n < cap ? v[i].n : cap;
            memcpy(out, v[i].vals, n * sizeof *out);
            return (int)n;
        }
    return 0;
}

static int case_pod_metric(void *ctx, size_t pod, const char *name, int64_t *milli)
{
    Case *c = ctx;
    return lookup(c->pod_metrics[pod], name, milli, 1);
}

static size_t case_value(void *ctx, WlHpaSource src, const char *name, int64_t *milli, size_t cap)
{
    Case *c = ctx;
    return (size_t)lookup(src == WL_HPA_OBJECT ? c->objects : c->externals, name, milli, cap);
}

static void parse_case(Case *c, const cJSON *root)
{
    static const char *const keys[] = {"description", "expect", "hpa", "currentReplicas", "pods", "objectMetrics",
                                       "externalMetrics", "history", "statusReplicas", "tolerance", NULL};
    char sub[PATH];
    kube_keys(c->kr, root, "$", keys);
    parse_hpa(c, root);
    if (kube_required(c->kr, root, "currentReplicas", "$"))
        c->in.spec_replicas = (int32_t)kube_get_int(c->kr, root, "currentReplicas", "$", 0, 0, INT32_MAX);
    c->in.status_replicas = (int32_t)kube_get_int(c->kr, root, "statusReplicas", "$", c->in.spec_replicas, 0, INT32_MAX);
    const cJSON *tol = kube_child(c->kr, root, "tolerance", "$", cJSON_Number, sub);
    c->spec.tolerance = tol ? tol->valuedouble : WL_HPA_TOLERANCE;
    if (tol && !(tol->valuedouble >= 0 && tol->valuedouble < 1e6))
        kube_fail(c->kr, sub, "expected a non-negative number");
    parse_pods(c, root);
    c->objects = named_map(c, object_child(c, root, "objectMetrics", "$", sub), sub, 0);
    c->externals = named_map(c, object_child(c, root, "externalMetrics", "$", sub), sub, 1);
    parse_history(c, root);
    c->in.now = 0;
    c->in.pod_metric = case_pod_metric;
    c->in.value = case_value;
    c->in.ctx = c;
}

/* ---- the answer --------------------------------------------------------------- */
static const char *const source_names[] = {"Resource", "ContainerResource", "Pods", "Object", "External"};
static const char *const target_names[] = {"Utilization", "Value", "AverageValue"};

static void add_num_or_null(cJSON *o, const char *key, int has, double v)
{
    if (has)
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *metric_json(const WlHpaMetric *m, const WlHpaMetricResult *r)
{
    static const char *const held[] = {NULL, "tolerance", "direction"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "metric", m->name);
    cJSON_AddStringToObject(o, "type", source_names[m->source]);
    cJSON_AddStringToObject(o, "target", target_names[m->target]);
    cJSON_AddBoolToObject(o, "valid", r->valid);
    add_num_or_null(o, "proposal", r->valid, r->proposal);
    add_num_or_null(o, "ratio", r->valid, r->ratio);
    add_num_or_null(o, "recomputedRatio", r->valid && r->recomputed, r->new_ratio);
    add_num_or_null(o, "value", r->valid, r->value);
    cJSON_AddNumberToObject(o, "readyPods", r->ready);
    cJSON_AddNumberToObject(o, "unreadyPods", r->unready);
    cJSON_AddNumberToObject(o, "missingPods", r->missing);
    cJSON_AddNumberToObject(o, "ignoredPods", r->ignored);
    if (r->valid && held[r->held])
        cJSON_AddStringToObject(o, "heldAt", held[r->held]);
    else
        cJSON_AddNullToObject(o, "heldAt");
    if (r->valid)
        cJSON_AddNullToObject(o, "error");
    else
        cJSON_AddStringToObject(o, "error", r->error);
    return o;
}

static cJSON *answer_json(const Case *c, const WlHpaDecision *d, const WlHpaMetricResult *per)
{
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "currentReplicas", d->current);
    add_num_or_null(o, "calculatorReplicas", d->has_calc, d->calc);
    add_num_or_null(o, "stabilizedReplicas", d->normalized, d->stabilized);
    cJSON_AddNumberToObject(o, "desiredReplicas", d->desired);
    cJSON_AddStringToObject(o, "limitedBy", wl_hpa_limit_name(d->limited_by));
    cJSON_AddStringToObject(o, "reason", d->reason);
    cJSON_AddBoolToObject(o, "scalingActive", !d->disabled && d->limited_by != WL_HPA_LIMIT_INVALID);
    for (size_t i = 0; i < c->spec.nmetrics; i++)
        sim_json_push(arr, metric_json(&c->metrics[i], &per[i]));
    sim_json_add_item(o, "perMetric", arr);
    return o;
}

static void print_opt(FILE *out, const char *label, const cJSON *v)
{
    if (cJSON_IsNumber(v))
        fprintf(out, "%-20s %.0f\n", label, v->valuedouble);
    else
        fprintf(out, "%-20s -\n", label);
}

/* The same answer as text, for a person. */
static void answer_text(const cJSON *o, FILE *out)
{
    const cJSON *m;
    fprintf(out, "%-20s %.0f\n", "current replicas", cJSON_GetObjectItem(o, "currentReplicas")->valuedouble);
    print_opt(out, "calculator", cJSON_GetObjectItem(o, "calculatorReplicas"));
    print_opt(out, "stabilized", cJSON_GetObjectItem(o, "stabilizedReplicas"));
    fprintf(out, "%-20s %.0f\n", "desired replicas", cJSON_GetObjectItem(o, "desiredReplicas")->valuedouble);
    fprintf(out, "%-20s %s (%s)\n", "limited by", cJSON_GetObjectItem(o, "limitedBy")->valuestring,
            cJSON_GetObjectItem(o, "reason")->valuestring);
    fprintf(out, "\n%-24s %-18s %-13s %8s %10s %5s %7s %7s %7s %8s\n", "METRIC", "TYPE", "TARGET", "VALUE", "RATIO",
            "READY", "UNREADY", "MISSING", "IGNORED", "PROPOSAL");
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(o, "perMetric")) {
        fprintf(out, "%-24s %-18s %-13s ", cJSON_GetObjectItem(m, "metric")->valuestring,
                cJSON_GetObjectItem(m, "type")->valuestring, cJSON_GetObjectItem(m, "target")->valuestring);
        if (!cJSON_IsTrue(cJSON_GetObjectItem(m, "valid"))) {
            fprintf(out, "invalid: %s\n", cJSON_GetObjectItem(m, "error")->valuestring);
            continue;
        }
        const cJSON *re = cJSON_GetObjectItem(m, "recomputedRatio"), *held = cJSON_GetObjectItem(m, "heldAt");
        fprintf(out, "%8.6g %10.6g %5.0f %7.0f %7.0f %7.0f %8.0f", cJSON_GetObjectItem(m, "value")->valuedouble,
                cJSON_GetObjectItem(m, "ratio")->valuedouble, cJSON_GetObjectItem(m, "readyPods")->valuedouble,
                cJSON_GetObjectItem(m, "unreadyPods")->valuedouble, cJSON_GetObjectItem(m, "missingPods")->valuedouble,
                cJSON_GetObjectItem(m, "ignoredPods")->valuedouble, cJSON_GetObjectItem(m, "proposal")->valuedouble);
        if (cJSON_IsNumber(re))
            fprintf(out, "  (recomputed ratio %.6g)", re->valuedouble);
        if (cJSON_IsString(held))
            fprintf(out, "  (held at current: %s)", held->valuestring);
        fputc('\n', out);
    }
}

static int run_case(Case *c, const cJSON *root, cJSON **answer)
{
    parse_case(c, root);
    if (failed(c))
        return SIM_EINVAL;
    WlHpaMetricResult *per = kube_alloc(c->kr, c->spec.nmetrics * sizeof *per);
    WlHpaDecision d;
    if (per == NULL || wl_hpa_decide(&c->spec, &c->in, &c->h, per, &d) != SIM_OK) {
        if (!failed(c))
            kube_fail(c->kr, "$", "out of memory");
        return SIM_ENOMEM;
    }
    *answer = answer_json(c, &d, per);
    return *answer ? SIM_OK : SIM_ENOMEM;
}

int wl_hpa_explain_case(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                        SimErr *err)
{
    Case c;
    memset(&c, 0, sizeof c);
    c.mem = m;
    sim_arena_init(&c.arena, m);
    wl_hpa_history_init(&c.h, m);
    SimJsonScope js;
    sim_json_begin(&js, m);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0), *answer = NULL;
    int rc = (c.kr = kube_reader_new(&c.arena)) == NULL ? SIM_ENOMEM
             : root ? run_case(&c, root, &answer)
                    : kube_fail_json(c.kr, file, text, cJSON_GetErrorPtr());
    if (c.kr == NULL)
        sim_err_set(err, SIM_ENOMEM, "%s: $: out of memory", file);
    else if (rc != SIM_OK)
        sim_err_set(err, rc, root ? "%s: %s" : "%.0s%s", file, kube_errmsg(c.kr));
    rc = sched_explain_print(m, rc, answer, as_json, out, answer_text);
    cJSON_Delete(answer);
    cJSON_Delete(root);
    wl_hpa_history_free(&c.h);
    sim_arena_free(&c.arena);
    sim_json_end(&js);
    return sched_explain_oom(m, rc, file, err);
}
