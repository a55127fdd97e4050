/*
 * hpa.c: the HorizontalPodAutoscaler's spec (autoscaling/v2) into a KubeHpa
 * (kube.h). `explain hpa` and `import` both read an HPA here, so the two
 * cannot disagree on a field, a default or a limit; the limits are upstream's
 * validation (pkg/apis/autoscaling/validation/validation.go).
 *
 * Invariant: what was written is kept apart from what was defaulted (the
 * has_* flags), so import can write back only what the manifest gave and
 * explain can fill in the controller's defaults.
 */
#include "kube/kube_int.h"

#include <string.h>

#define PATH KUBE_PATH

const char *const kube_hpa_source_names[] = {"Resource", "ContainerResource", "Pods", "Object", "External", NULL};
const char *const kube_hpa_target_names[] = {"Utilization", "Value", "AverageValue", NULL};
const char *const kube_hpa_select_names[] = {"Max", "Min", "Disabled", NULL};

/* A quantity's text as written (a YAML number keeps its text in valuestring:
 * kube_y_json), for writers that copy it back. */
static const char *quantity_text(KubeReader *c, const cJSON *x)
{
    char num[40];
    if (x->valuestring)
        return kube_strdup(c, x->valuestring);
    snprintf(num, sizeof num, "%.15g", x->valuedouble);
    return kube_strdup(c, num);
}

static void target(KubeReader *c, const cJSON *t, const char *path, KubeHpaMetric *m, unsigned allowed)
{
    static const char *const keys[] = {"type", "averageUtilization", "averageValue", "value", NULL};
    static const char *const fields[] = {"averageUtilization", "value", "averageValue"};
    const char *const *types = kube_hpa_target_names;
    char sub[PATH];
    kube_keys(c, t, path, keys);
    if (!kube_required(c, t, "type", path))
        return;
    m->target = (KubeHpaTarget)kube_get_enum(c, t, "type", path, types, 0);
    kube_path(sub, "%s.type", path);
    if (!c->failed && !(allowed & (1u << m->target)))
        kube_fail(c, sub, "a %s target is not allowed for this metric type", types[m->target]);
    for (int k = 0; k < 3 && !c->failed; k++) {
        int given = cJSON_GetObjectItemCaseSensitive(t, fields[k]) != NULL;
        kube_path(sub, "%s.%s", path, fields[k]);
        if (k == (int)m->target && !given)
            kube_fail(c, sub, "is required for a target of type %s", types[m->target]);
        else if (k != (int)m->target && given)
            kube_fail(c, sub, "is not allowed with a target of type %s", types[m->target]);
    }
    if (m->target == KUBE_HPA_UTILIZATION) {
        m->utilization = (int32_t)kube_get_int(c, t, "averageUtilization", path, 0, 1, INT32_MAX);
        return;
    }
    if (c->failed)
        return;
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(t, fields[m->target]);
    kube_path(sub, "%s.%s", path, fields[m->target]);
    m->milli = kube_quantity(c, x, sub, 1);
    if (!c->failed && m->milli <= 0)
        kube_fail(c, sub, "must be positive");
    if (!c->failed)
        m->quantity = quantity_text(c, x);
}

/* MetricIdentifier {name, selector}. */
static void identifier(KubeReader *c, const cJSON *j, const char *path, KubeHpaMetric *m)
{
    static const char *const keys[] = {"name", "selector", NULL};
    char sub[PATH];
    kube_keys(c, j, path, keys);
    kube_label_selector(c, kube_child(c, j, "selector", path, cJSON_Object, sub), sub, &m->selector);
    if (kube_required(c, j, "name", path))
        m->name = kube_get_str(c, j, "name", path);
}

static void resource(KubeReader *c, const cJSON *j, const char *path, KubeHpaMetric *m, int container)
{
    static const char *const keys[] = {"name", "target", NULL};
    static const char *const ckeys[] = {"name", "container", "target", NULL};
    static const char *const res[] = {"cpu", "memory", NULL};
    char sub[PATH];
    kube_keys(c, j, path, container ? ckeys : keys);
    if (container && kube_required(c, j, "container", path))
        m->container = kube_get_str(c, j, "container", path);
    if (!kube_required(c, j, "name", path) || !kube_required(c, j, "target", path))
        return;
    m->name = res[kube_get_enum(c, j, "name", path, res, 0)];
    const cJSON *t = kube_child(c, j, "target", path, cJSON_Object, sub);
    if (t)
        target(c, t, sub, m, 1u << KUBE_HPA_UTILIZATION | 1u << KUBE_HPA_AVERAGE_VALUE);
}

static void described_object(KubeReader *c, const cJSON *j, const char *path)
{
    static const char *const dkeys[] = {"apiVersion", "kind", "name", NULL};
    char sub[PATH];
    const cJSON *d = kube_child(c, j, "describedObject", path, cJSON_Object, sub);
    kube_keys(c, d, sub, dkeys);
    if (d && kube_required(c, d, "kind", sub) && kube_required(c, d, "name", sub)) {
        (void)kube_get_str(c, d, "kind", sub);
        (void)kube_get_str(c, d, "name", sub);
    }
}

/* pods, object and external: {metric, target} (object: and describedObject). */
static void custom(KubeReader *c, const cJSON *j, const char *path, KubeHpaMetric *m)
{
    static const char *const keys[] = {"metric", "target", NULL};
    static const char *const okeys[] = {"metric", "describedObject", "target", NULL};
    char sub[PATH];
    int object = m->source == KUBE_HPA_OBJECT;
    kube_keys(c, j, path, object ? okeys : keys);
    if (!kube_required(c, j, "metric", path) || !kube_required(c, j, "target", path))
        return;
    if (object && kube_required(c, j, "describedObject", path))
        described_object(c, j, path);
    const cJSON *id = kube_child(c, j, "metric", path, cJSON_Object, sub);
    if (id)
        identifier(c, id, sub, m);
    const cJSON *t = kube_child(c, j, "target", path, cJSON_Object, sub);
    unsigned allowed = m->source == KUBE_HPA_PODS ? 1u << KUBE_HPA_AVERAGE_VALUE
                                                  : 1u << KUBE_HPA_VALUE | 1u << KUBE_HPA_AVERAGE_VALUE;
    if (t)
        target(c, t, sub, m, allowed);
}

static void metric(KubeReader *c, const cJSON *j, const char *path, KubeHpaMetric *m)
{
    static const char *const keys[] = {"type", "resource", "containerResource", "pods", "object", "external", NULL};
    const char *const *types = kube_hpa_source_names;
    char sub[PATH];
    kube_keys(c, j, path, keys);
    if (!kube_required(c, j, "type", path))
        return;
    const cJSON *tj = kube_child(c, j, "type", path, cJSON_String, sub);
    if (tj == NULL)
        return;
    int k = 0;
    while (types[k] && strcmp(types[k], tj->valuestring) != 0)
        k++;
    if (types[k] == NULL) {
        kube_fail(c, sub, "unknown metric type \"%s\" (one of Resource, ContainerResource, Pods, Object, External)",
                  tj->valuestring);
        return;
    }
    m->source = (KubeHpaSource)k;
    for (k = 0; k < 5 && !c->failed; k++) {
        int given = cJSON_GetObjectItemCaseSensitive(j, keys[k + 1]) != NULL;
        kube_path(sub, "%s.%s", path, keys[k + 1]);
        if (k == (int)m->source && !given)
            kube_fail(c, sub, "is required for a metric of type %s", types[k]);
        else if (k != (int)m->source && given)
            kube_fail(c, sub, "is not allowed for a metric of type %s", types[m->source]);
    }
    const cJSON *block = kube_child(c, j, keys[m->source + 1], path, cJSON_Object, sub);
    if (block == NULL)
        return;
    if (m->source <= KUBE_HPA_CONTAINER_RESOURCE)
        resource(c, block, sub, m, m->source == KUBE_HPA_CONTAINER_RESOURCE);
    else
        custom(c, block, sub, m);
}

static void metrics(KubeReader *c, const cJSON *spec, const char *path, KubeHpa *h)
{
    char sub[PATH];
    const cJSON *arr = kube_child(c, spec, "metrics", path, cJSON_Array, sub), *x;
    h->nmetrics = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    h->metrics = kube_alloc(c, h->nmetrics * sizeof *h->metrics);
    size_t i = 0;
    cJSON_ArrayForEach(x, (h->metrics ? arr : NULL)) {   /* linear: never cJSON_GetArrayItem(i) */
        char item[PATH];
        if (c->failed)
            break;
        kube_path(item, "%s[%zu]", sub, i);
        metric(c, x, item, &h->metrics[i++]);
    }
}

/* upstream validateScalingPolicy: value > 0 (an int32: no other cap),
 * 0 < periodSeconds <= 1800. */
static void policy(KubeReader *c, const cJSON *j, const char *path, KubeHpaPolicy *p)
{
    static const char *const keys[] = {"type", "value", "periodSeconds", NULL};
    static const char *const types[] = {"Pods", "Percent", NULL};
    kube_keys(c, j, path, keys);
    if (!kube_required(c, j, "type", path) || !kube_required(c, j, "value", path) ||
        !kube_required(c, j, "periodSeconds", path))
        return;
    p->percent = kube_get_enum(c, j, "type", path, types, 0);
    p->value = (int32_t)kube_get_int(c, j, "value", path, 1, 1, INT32_MAX);
    p->period_s = (int32_t)kube_get_int(c, j, "periodSeconds", path, 15, 1, 1800);
}

static void policies(KubeReader *c, const cJSON *j, const char *path, KubeHpaRules *r)
{
    char sub[PATH];
    const cJSON *arr = kube_child(c, j, "policies", path, cJSON_Array, sub), *x;
    if (arr == NULL)
        return;   /* the defaults stay: a given list replaces them wholesale */
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    if (n == 0 || n > KUBE_HPA_MAX_POLICIES)
        kube_fail(c, sub, "expected 1 to %d policies", KUBE_HPA_MAX_POLICIES);
    r->npolicies = c->failed ? 0 : n;
    cJSON_ArrayForEach(x, (c->failed ? NULL : arr)) {
        char item[PATH];
        kube_path(item, "%s[%zu]", sub, i);
        policy(c, x, item, &r->policies[i++]);
    }
}

static void rules(KubeReader *c, const cJSON *j, const char *path, KubeHpaRules *r)
{
    static const char *const keys[] = {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance", NULL};
    char sub[PATH];
    r->given = 1;
    kube_keys(c, j, path, keys);
    r->has_window = kube_child(c, j, "stabilizationWindowSeconds", path, cJSON_Number, sub) != NULL;
    r->window_s = (int32_t)kube_get_int(c, j, "stabilizationWindowSeconds", path, 0, 0, 3600);
    r->has_select = kube_child(c, j, "selectPolicy", path, cJSON_String, sub) != NULL;
    r->select = (KubeHpaSelect)kube_get_enum(c, j, "selectPolicy", path, kube_hpa_select_names, 0);
    const cJSON *tol = cJSON_GetObjectItemCaseSensitive(j, "tolerance");
    kube_path(sub, "%s.tolerance", path);
    r->has_tolerance = tol && !cJSON_IsNull(tol);
    if (r->has_tolerance)   /* a Quantity: "0.05", "50m" or a plain number */
        r->tolerance = cJSON_IsNumber(tol) && tol->valuedouble >= 0 ? tol->valuedouble
                                                                     : (double)kube_quantity(c, tol, sub, 1) / 1000.0;
    policies(c, j, path, r);
}

static void behavior(KubeReader *c, const cJSON *spec, const char *path, KubeHpa *h)
{
    static const char *const keys[] = {"scaleUp", "scaleDown", NULL};
    char sub[PATH], rsub[PATH];
    const cJSON *b = kube_child(c, spec, "behavior", path, cJSON_Object, sub);
    if (b == NULL)
        return;
    h->has_behavior = 1;
    kube_keys(c, b, sub, keys);
    const cJSON *up = kube_child(c, b, "scaleUp", sub, cJSON_Object, rsub);
    if (up)
        rules(c, up, rsub, &h->up);
    const cJSON *down = kube_child(c, b, "scaleDown", sub, cJSON_Object, rsub);
    if (down)
        rules(c, down, rsub, &h->down);
}

static void target_ref(KubeReader *c, const cJSON *spec, const char *path, KubeHpa *h)
{
    static const char *const keys[] = {"apiVersion", "kind", "name", NULL};
    char sub[PATH];
    const cJSON *ref = kube_child(c, spec, "scaleTargetRef", path, cJSON_Object, sub);
    if (ref == NULL)
        return;
    kube_keys(c, ref, sub, keys);
    (void)kube_get_str(c, ref, "apiVersion", sub);
    h->target_kind = kube_get_str(c, ref, "kind", sub);
    h->target_name = kube_get_str(c, ref, "name", sub);
}

/* HPAScaleToZero (alpha, on in kubesim): minReplicas 0 needs a metric that
 * does not come from the pods (Object or External). */
static void scale_to_zero(KubeReader *c, const char *path, const KubeHpa *h)
{
    char sub[PATH];
    int ok = 0;
    for (size_t i = 0; i < h->nmetrics; i++)
        ok |= h->metrics[i].source >= KUBE_HPA_OBJECT;
    kube_path(sub, "%s.minReplicas", path);
    if (!c->failed && h->min == 0 && !ok)
        kube_fail(c, sub, "0 needs an Object or External metric (HPAScaleToZero)");
}

void kube_hpa_spec(KubeReader *c, const cJSON *spec, const char *path, KubeHpa *out)
{
    static const char *const keys[] = {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior", NULL};
    char sub[PATH];
    memset(out, 0, sizeof *out);
    kube_keys(c, spec, path, keys);
    target_ref(c, spec, path, out);
    out->min = (int32_t)kube_get_int(c, spec, "minReplicas", path, 1, 0, INT32_MAX);
    if (kube_required(c, spec, "maxReplicas", path))
        out->max = (int32_t)kube_get_int(c, spec, "maxReplicas", path, 1, 1, INT32_MAX);
    kube_path(sub, "%s.minReplicas", path);
    if (!c->failed && out->min > out->max)
        kube_fail(c, sub, "minReplicas (%d) is greater than maxReplicas (%d)", out->min, out->max);
    metrics(c, spec, path, out);
    behavior(c, spec, path, out);
    scale_to_zero(c, path, out);
}
