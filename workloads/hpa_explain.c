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
#include "workloads/wl_int.h"
#include "workloads/wl_metrics.h"

#define PATH KUBE_PATH

/* A named metric value (a pod's custom metric, an Object metric) or the
 * series of an External metric. */
typedef struct Named {
    const char *name;
    int64_t *vals;
    size_t n;
} Named;

/* What a case says about a pod beyond the calculator's input: its name and
 * why metrics-server may lack its sample (for the answer's reasons only). */
typedef struct PodNote {
    const char *name;            /* NULL: none given */
    int node_ready;              /* nodeReady: 1, 0, or -1 absent */
    SimTime down, back;          /* kubeletUnreachableSecondsAgo, kubeletBackSecondsAgo; -1 absent */
} PodNote;

typedef struct Case {
    SimMem *mem;                 /* the caller's: every allocation of the case */
    SimArena arena;
    KubeReader *kr;              /* the sticky first error, "$.path: message" */
    WlHpaSpec spec;
    WlHpaMetric *metrics;
    WlHpaPod *pods;
    PodNote *notes;              /* per pod */
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
/* The HPA is read by the kube reader (kube_hpa_spec), as `import` reads one;
 * here its fields become the calculator's spec with the controller's
 * defaults for what was not written. */
static void rules_from(const KubeHpaRules *k, WlHpaRules *r)
{
    if (k->has_window)
        r->window_s = k->window_s;
    if (k->has_select)
        r->select = (WlHpaSelect)k->select;
    if (k->has_tolerance)
        r->tolerance = k->tolerance;
    if (k->npolicies == 0)
        return;   /* the defaults stay: a given list replaces them wholesale */
    r->npolicies = k->npolicies;
    for (size_t i = 0; i < k->npolicies; i++)
        r->policies[i] = (WlHpaPolicy){k->policies[i].percent, k->policies[i].value, k->policies[i].period_s};
}

static void spec_from(Case *c, const KubeHpa *k)
{
    static const WlHpaMetric cpu80 = {WL_HPA_RESOURCE, WL_HPA_UTILIZATION, WL_HPA_CPU, "cpu", 80, 0};
    size_t n = k->nmetrics;
    c->metrics = kube_alloc(c->kr, (n ? n : 1) * sizeof *c->metrics);
    if (c->metrics == NULL)
        return;
    c->metrics[0] = cpu80;   /* the API's default when none is given: cpu at 80 % */
    for (size_t i = 0; i < n; i++) {
        const KubeHpaMetric *m = &k->metrics[i];
        int mem = m->name && strcmp(m->name, "memory") == 0;
        c->metrics[i] = (WlHpaMetric){(WlHpaSource)m->source, (WlHpaTarget)m->target,
                                      mem ? WL_HPA_MEMORY : WL_HPA_CPU, m->name, m->utilization, m->milli};
    }
    c->spec.metrics = c->metrics;
    c->spec.nmetrics = n ? n : 1;
    c->spec.min = k->min;
    c->spec.max = k->max;
    c->spec.has_behavior = k->has_behavior;
    wl_hpa_rules_default_up(&c->spec.up);
    wl_hpa_rules_default_down(&c->spec.down);
    rules_from(&k->up, &c->spec.up);
    rules_from(&k->down, &c->spec.down);
}

static void parse_spec(Case *c, const cJSON *spec, const char *path)
{
    KubeHpa k;
    kube_hpa_spec(c->kr, spec, path, &k);
    if (!failed(c))
        spec_from(c, &k);
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

/* nodeReady and the kubelet's outage: only the answer's reasons read them. */
static void parse_note(Case *c, const cJSON *j, const char *path, PodNote *n)
{
    char sub[PATH];
    int present;
    const cJSON *name = kube_child(c->kr, j, "name", path, cJSON_String, sub);
    n->name = name ? name->valuestring : NULL;
    const cJSON *nr = kube_child(c->kr, j, "nodeReady", path, KUBE_BOOL_TF, sub);
    n->node_ready = nr ? cJSON_IsTrue(nr) : -1;
    n->down = get_seconds(c, j, "kubeletUnreachableSecondsAgo", path, -1, &present);
    n->back = get_seconds(c, j, "kubeletBackSecondsAgo", path, -1, &present);
}

static void parse_pod(Case *c, const cJSON *j, const char *path, WlHpaPod *p, Named **metrics, PodNote *note)
{
    static const char *const keys[] = {"name", "phase", "ready", "deleting", "startedSecondsAgo",
                                       "readyTransitionSecondsAgo", "sampleAgeSeconds", "sampleWindowSeconds",
                                       "requests", "usage", "metrics", "nodeReady", "kubeletUnreachableSecondsAgo",
                                       "kubeletBackSecondsAgo", NULL};
    static const char *const phases[] = {"Pending", "Running", "Succeeded", "Failed", "Unknown", NULL};
    char sub[PATH];
    int present;
    kube_keys(c->kr, j, path, keys);
    parse_note(c, j, path, note);
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
    c->notes = kube_alloc(c->kr, (n + 1) * sizeof *c->notes);
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, (c->pods && c->pod_metrics && c->notes ? arr : NULL)) {   /* linear: never cJSON_GetArrayItem(i) */
        char item[PATH];
        if (failed(c))
            break;
        kube_path(item, "$.pods[%zu]", i);
        parse_pod(c, x, item, &c->pods[i], &c->pod_metrics[i], &c->notes[i]);
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

/* otherHpas: the NAMESPACE/NAMEs of other HPAs whose selectors match the
 * same pods (upstream's hpaSelectors); any makes the selector ambiguous. */
static void parse_others(Case *c, const cJSON *root)
{
    char sub[PATH], item[PATH + 16];
    const cJSON *o = kube_child(c->kr, root, "otherHpas", "$", cJSON_Array, sub), *x;
    int i = 0;
    cJSON_ArrayForEach(x, o) {
        snprintf(item, sizeof item, "%s[%d]", sub, i++);
        if (!cJSON_IsString(x) || x->valuestring[0] == '\0')
            kube_fail(c->kr, item, "expected an HPA's name (\"NAMESPACE/NAME\")");
    }
    c->in.ambiguous = o && cJSON_GetArraySize(o) > 0;
}

static void parse_case(Case *c, const cJSON *root)
{
    static const char *const keys[] = {"description", "expect", "hpa", "currentReplicas", "pods", "objectMetrics",
                                       "externalMetrics", "history", "statusReplicas", "tolerance", "otherHpas",
                                       NULL};
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
    parse_others(c, root);
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

/* A missing pod's reason, with what the case says of its kubelet. */
static const char *missing_why(const PodNote *n, char *buf, size_t len)
{
    if (n->down >= 0)
        snprintf(buf, len, "no metrics sample: metrics-server cannot scrape its node's kubelet (unreachable for "
                 "%.0fs%s)", (double)n->down / 1e9, n->node_ready == 0 ? ", node NotReady" : "");
    else if (n->back >= 0)
        snprintf(buf, len, "no metrics sample: its node's kubelet is back since %.0fs and metrics-server needs two "
                 "scrapes for a rate", (double)n->back / 1e9);
    else if (n->node_ready == 0)
        snprintf(buf, len, "no metrics sample: its node is NotReady");
    else
        return "no metrics sample";
    return buf;
}

/* excluded: the pods the metric does not count as ready, each with its
 * group and upstream's reason. */
static cJSON *excluded_json(const Case *c, const WlHpaMetric *m)
{
    static const char *const groups[] = {"ready", "unready", "missing", "ignored"};
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < c->in.npods; i++) {
        const char *why;
        WlHpaGroup g = wl_hpa_pod_group(m, &c->in, i, &why);
        if (g == WL_HPA_GROUP_READY)
            continue;
        char name[32], buf[256];
        snprintf(name, sizeof name, "pods[%zu]", i);
        cJSON *o = sim_json_push(a, cJSON_CreateObject());
        cJSON_AddStringToObject(o, "pod", c->notes[i].name ? c->notes[i].name : name);
        cJSON_AddStringToObject(o, "group", groups[g]);
        cJSON_AddStringToObject(o, "reason", g == WL_HPA_GROUP_MISSING ? missing_why(&c->notes[i], buf, sizeof buf)
                                                                       : why);
    }
    return a;
}

static cJSON *metric_json(const Case *c, const WlHpaMetric *m, const WlHpaMetricResult *r)
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
    sim_json_add_item(o, "excluded", excluded_json(c, m));
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
    cJSON_AddBoolToObject(o, "scalingActive", !d->disabled && d->limited_by != WL_HPA_LIMIT_INVALID &&
                                                  d->limited_by != WL_HPA_LIMIT_AMBIGUOUS);
    for (size_t i = 0; i < c->spec.nmetrics; i++)
        sim_json_push(arr, metric_json(c, &c->metrics[i], &per[i]));
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

/* A metric's pods not counted as ready, one line each. */
static void excluded_text(const cJSON *m, FILE *out)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(m, "excluded"))
        fprintf(out, "  %-22s %-8s %s\n", cJSON_GetObjectItem(x, "pod")->valuestring,
                cJSON_GetObjectItem(x, "group")->valuestring, cJSON_GetObjectItem(x, "reason")->valuestring);
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
            excluded_text(m, out);
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
        excluded_text(m, out);
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

/* ---- the case from a run (`explain hpa --from`) ------------------------------ */
/* Writes what a live sync reads in the form parse_case reads back: every
 * quantity in milli-units ("1500m"), every time as an age from in->now, the
 * behavior in full (defaults filled) when the spec has one, so reading the
 * case gives the calculator the same spec, input and history. */
static void add_milli(cJSON *o, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lldm", (long long)v);
    cJSON_AddStringToObject(o, key, buf);
}

static void add_age(cJSON *o, const char *key, SimTime now, SimTime t)
{
    cJSON_AddNumberToObject(o, key, (double)(now - t) / 1e9);
}

static cJSON *target_json(const WlHpaMetric *m)
{
    static const char *const fields[] = {"averageUtilization", "value", "averageValue"};
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "type", target_names[m->target]);
    if (m->target == WL_HPA_UTILIZATION)
        cJSON_AddNumberToObject(t, fields[m->target], m->utilization);
    else
        add_milli(t, fields[m->target], m->milli);
    return t;
}

static cJSON *spec_metric_json(const SimEngine *e, uint32_t target, const WlHpaMetric *m)
{
    static const char *const keys[] = {"resource", "containerResource", "pods", "object", "external"};
    cJSON *o = cJSON_CreateObject(), *b;
    cJSON_AddStringToObject(o, "type", source_names[m->source]);
    b = cJSON_AddObjectToObject(o, keys[m->source]);
    if (m->source <= WL_HPA_CONTAINER_RESOURCE) {
        cJSON_AddStringToObject(b, "name", m->res == WL_HPA_MEMORY ? "memory" : "cpu");
        if (m->source == WL_HPA_CONTAINER_RESOURCE)
            cJSON_AddStringToObject(b, "container", "app");
    } else {
        cJSON_AddStringToObject(cJSON_AddObjectToObject(b, "metric"), "name", m->name);
    }
    if (m->source == WL_HPA_OBJECT) {   /* looked up by name alone: the object is the target */
        const SimWorkload *w = sim_workload(e, target);
        cJSON *d = cJSON_AddObjectToObject(b, "describedObject");
        cJSON_AddStringToObject(d, "kind", w->kind == SIM_WL_STATEFULSET ? "StatefulSet" : "Deployment");
        cJSON_AddStringToObject(d, "name", w->name);
    }
    sim_json_add_item(b, "target", target_json(m));
    return o;
}

static void rules_json(cJSON *b, const char *key, const WlHpaRules *r)
{
    static const char *const selects[] = {"Max", "Min", "Disabled"};
    cJSON *o = cJSON_AddObjectToObject(b, key);
    cJSON_AddNumberToObject(o, "stabilizationWindowSeconds", r->window_s);
    cJSON_AddStringToObject(o, "selectPolicy", selects[r->select]);
    if (r->tolerance >= 0)
        cJSON_AddNumberToObject(o, "tolerance", r->tolerance);
    cJSON *a = r->npolicies ? cJSON_AddArrayToObject(o, "policies") : NULL;
    for (size_t i = 0; a && i < r->npolicies; i++) {
        cJSON *x = sim_json_push(a, cJSON_CreateObject());
        cJSON_AddStringToObject(x, "type", r->policies[i].percent ? "Percent" : "Pods");
        cJSON_AddNumberToObject(x, "value", r->policies[i].value);
        cJSON_AddNumberToObject(x, "periodSeconds", r->policies[i].period_s);
    }
}

static cJSON *spec_json(const SimEngine *e, uint32_t target, const WlHpaSpec *s)
{
    cJSON *o = cJSON_CreateObject(), *a;
    cJSON_AddNumberToObject(o, "minReplicas", s->min);
    cJSON_AddNumberToObject(o, "maxReplicas", s->max);
    a = cJSON_AddArrayToObject(o, "metrics");
    for (size_t i = 0; i < s->nmetrics; i++)
        sim_json_push(a, spec_metric_json(e, target, &s->metrics[i]));
    if (s->has_behavior) {
        cJSON *b = cJSON_AddObjectToObject(o, "behavior");
        rules_json(b, "scaleUp", &s->up);
        rules_json(b, "scaleDown", &s->down);
    }
    return o;
}

/* requests or usage: cpu in millicores, memory in bytes where whole. */
static void resources_json(cJSON *pod, const char *key, const int *has, const int64_t *v)
{
    if (!has[WL_HPA_CPU] && !has[WL_HPA_MEMORY])
        return;
    cJSON *o = cJSON_AddObjectToObject(pod, key);
    if (has[WL_HPA_CPU])
        add_milli(o, "cpu", v[WL_HPA_CPU]);
    if (has[WL_HPA_MEMORY] && v[WL_HPA_MEMORY] % 1000 == 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)(v[WL_HPA_MEMORY] / 1000));
        cJSON_AddStringToObject(o, "memory", buf);
    } else if (has[WL_HPA_MEMORY])
        add_milli(o, "memory", v[WL_HPA_MEMORY]);
}

/* The Pods metrics the sync would read for pod k. */
static void pod_metrics_json(cJSON *pod, const WlHpaSpec *s, const WlHpaInput *in, size_t k)
{
    cJSON *o = NULL;
    for (size_t i = 0; i < s->nmetrics; i++) {
        int64_t v;
        if (s->metrics[i].source != WL_HPA_PODS || !in->pod_metric(in->ctx, k, s->metrics[i].name, &v))
            continue;
        if (o == NULL)
            o = cJSON_AddObjectToObject(pod, "metrics");
        if (!cJSON_HasObjectItem(o, s->metrics[i].name))
            add_milli(o, s->metrics[i].name, v);
    }
}

/* nodeReady, and the kubelet outage that keeps metrics-server from the pod's
 * sample (wl_pod_unscraped): what explain's reasons name. */
static void node_json(cJSON *o, WlControllers *ctl, const WlHpaInput *in, uint32_t id)
{
    const SimPod *p = sim_pod(ctl->e, id);
    if (p->node == SIM_NONE)
        return;
    cJSON_AddBoolToObject(o, "nodeReady", sim_node(ctl->e, p->node)->state == SIM_NODE_READY);
    WlKubeletOutage out;
    if (!wl_pod_unscraped(ctl, id, &out))
        return;
    if (out.up < 0 || out.up > in->now)
        add_age(o, "kubeletUnreachableSecondsAgo", in->now, out.down);
    else
        add_age(o, "kubeletBackSecondsAgo", in->now, out.up);
}

static cJSON *input_pod_json(WlControllers *ctl, const WlHpaSpec *s, const WlHpaInput *in, size_t k, uint32_t id)
{
    SimEngine *e = ctl->e;
    static const char *const phases[] = {"Pending", "Running", "Succeeded", "Failed", "Unknown"};
    const WlHpaPod *p = &in->pods[k];
    cJSON *o = cJSON_CreateObject();
    char name[256];
    sim_pod_name(e, id, name, sizeof name);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "phase", phases[p->phase]);
    if (p->ready >= 0)
        cJSON_AddBoolToObject(o, "ready", p->ready);
    else
        cJSON_AddNullToObject(o, "ready");
    if (p->deleting)
        cJSON_AddBoolToObject(o, "deleting", 1);
    if (p->has_start) {
        add_age(o, "startedSecondsAgo", in->now, p->start);
        add_age(o, "readyTransitionSecondsAgo", in->now, p->transition);
    } else {
        cJSON_AddNullToObject(o, "startedSecondsAgo");
    }
    resources_json(o, "requests", p->has_req, p->req);
    if (p->has_usage[WL_HPA_CPU] || p->has_usage[WL_HPA_MEMORY]) {
        add_age(o, "sampleAgeSeconds", in->now, p->sample_t);
        cJSON_AddNumberToObject(o, "sampleWindowSeconds", (double)p->sample_window / 1e9);
        resources_json(o, "usage", p->has_usage, p->usage);
    }
    pod_metrics_json(o, s, in, k);
    node_json(o, ctl, in, id);
    return o;
}

/* objectMetrics or externalMetrics: the values the sync would read. */
static void values_json(cJSON *c, const char *key, WlHpaSource src, const WlHpaSpec *s, const WlHpaInput *in)
{
    cJSON *o = NULL;
    for (size_t i = 0; i < s->nmetrics; i++) {
        int64_t v[16];
        size_t n = s->metrics[i].source == src ? in->value(in->ctx, src, s->metrics[i].name, v, 16) : 0;
        if (n == 0)
            continue;
        if (o == NULL)
            o = cJSON_AddObjectToObject(c, key);
        if (cJSON_HasObjectItem(o, s->metrics[i].name))
            continue;
        if (n == 1) {
            add_milli(o, s->metrics[i].name, v[0]);
            continue;
        }
        cJSON *a = cJSON_AddArrayToObject(o, s->metrics[i].name);
        for (size_t k = 0; k < n; k++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lldm", (long long)v[k]);
            sim_json_push(a, cJSON_CreateString(buf));
        }
    }
}

static void history_json(cJSON *c, const WlHpaHistory *h, SimTime now)
{
    cJSON *o = cJSON_AddObjectToObject(c, "history");
    cJSON *recs = cJSON_AddArrayToObject(o, "recommendations"), *ev = cJSON_AddArrayToObject(o, "scaleEvents");
    for (size_t i = 0; i < h->nrecs; i++) {
        cJSON *x = sim_json_push(recs, cJSON_CreateObject());
        cJSON_AddNumberToObject(x, "replicas", h->recs[i].replicas);
        add_age(x, "ageSeconds", now, h->recs[i].t);
    }
    for (int dir = 0; dir < 2; dir++) {   /* outdated events are past every period: left out */
        const WlHpaEvent *v = dir ? h->down : h->up;
        for (size_t i = 0, n = dir ? h->ndown : h->nup; i < n; i++) {
            if (v[i].outdated)
                continue;
            cJSON *x = sim_json_push(ev, cJSON_CreateObject());
            cJSON_AddNumberToObject(x, "replicas", dir ? -v[i].change : v[i].change);
            add_age(x, "ageSeconds", now, v[i].t);
        }
    }
}

/* otherHpas: the other HPAs of the same target, NAMESPACE/NAME. */
static void others_json(cJSON *c, WlControllers *ctl, size_t hpa, uint32_t target)
{
    cJSON *a = NULL;
    for (size_t i = 0; i < wl_hpa_count(ctl); i++) {
        const char *name;
        uint32_t t;
        const WlHpaSpec *s;
        if (i == hpa || wl_hpa_info(ctl, i, &name, &t, &s) != SIM_OK || t != target)
            continue;
        char buf[320];
        const SimEngine *e = ctl->e;
        snprintf(buf, sizeof buf, "%s/%s", sim_namespace(e, sim_workload(e, t)->ns)->name, name);
        if (a == NULL)
            a = cJSON_AddArrayToObject(c, "otherHpas");
        sim_json_push(a, cJSON_CreateString(buf));
    }
}

cJSON *wl_hpa_explain_case_from(WlControllers *ctl, size_t hpa, const WlHpaInput *in)
{
    const char *name;
    uint32_t target;
    const WlHpaSpec *s;
    size_t npods;
    if (wl_hpa_info(ctl, hpa, &name, &target, &s) != SIM_OK)
        return NULL;
    SimEngine *e = ctl->e;
    const uint32_t *ids = wl_hpa_pods(ctl, hpa, &npods);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "description", "written by kubesim explain hpa --from");
    sim_json_add_item(c, "hpa", spec_json(e, target, s));
    cJSON_AddNumberToObject(c, "currentReplicas", in->spec_replicas);
    cJSON_AddNumberToObject(c, "statusReplicas", in->status_replicas);
    cJSON_AddNumberToObject(c, "tolerance", s->tolerance);
    cJSON *pods = cJSON_AddArrayToObject(c, "pods");
    for (size_t k = 0; k < in->npods && k < npods; k++)
        sim_json_push(pods, input_pod_json(ctl, s, in, k, ids[k]));
    values_json(c, "objectMetrics", WL_HPA_OBJECT, s, in);
    values_json(c, "externalMetrics", WL_HPA_EXTERNAL, s, in);
    history_json(c, wl_hpa_history(ctl, hpa), in->now);
    others_json(c, ctl, hpa, target);
    return c;
}
