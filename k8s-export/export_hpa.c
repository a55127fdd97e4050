/*
 * export_hpa.c: HorizontalPodAutoscalers (autoscaling/v2). Resource metrics
 * keep their Utilization or AverageValue targets; an External metric the
 * simulation names "QUEUE/METRIC" (one queue's series, queue.h) is written
 * as a metrics adapter serves it: metric METRIC with the label selector
 * queue=QUEUE. The behavior block is written when the scenario set one, so
 * the legacy path stays the legacy path.
 *
 * minReplicas 0 needs the alpha feature gate HPAScaleToZero on the cluster
 * (kube-apiserver and kube-controller-manager): without it in the export's
 * gates the export is refused, as the API server would reject the object;
 * with it, the HPA carries the annotation kubesim.io/feature-gates naming
 * the gate, so whoever applies the folder sees what the cluster needs.
 */
#include "k8s-export/export_int.h"

#include <stdio.h>
#include <string.h>

#include "workloads/gates.h"
#include "workloads/hpa.h"
#include "workloads/traffic.h"

static const char *const source_keys[] = {"resource", "containerResource", "pods", "object", "external"};
static const char *const source_types[] = {"Resource", "ContainerResource", "Pods", "Object", "External"};

/* A milli-unit value as a quantity: memory in bytes where it is whole. */
static void kv_milli(KxYaml *y, const char *key, const WlHpaMetric *m)
{
    int bytes = m->source <= WL_HPA_CONTAINER_RESOURCE && m->res == WL_HPA_MEMORY && m->milli % 1000 == 0;
    kx_kv_quantity(y, key, bytes ? m->milli / 1000 : m->milli, !bytes);
}

static void target(KxYaml *y, const WlHpaMetric *m)
{
    kx_yaml_str(y, "target");
    kx_yaml_map_begin(y);
    if (m->target == WL_HPA_UTILIZATION) {
        kx_yaml_kv_str(y, "type", "Utilization");
        kx_yaml_kv_int(y, "averageUtilization", m->utilization);
    } else if (m->target == WL_HPA_VALUE) {
        kx_yaml_kv_str(y, "type", "Value");
        kv_milli(y, "value", m);
    } else {
        kx_yaml_kv_str(y, "type", "AverageValue");
        kv_milli(y, "averageValue", m);
    }
    kx_yaml_map_end(y);
}

/* metric: {name, selector}: "QUEUE/METRIC" becomes METRIC with queue=QUEUE. */
static void metric_id(KxYaml *y, const char *name)
{
    const char *slash = strrchr(name, '/');
    kx_yaml_str(y, "metric");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", slash ? slash + 1 : name);
    if (slash) {
        char queue[256];
        snprintf(queue, sizeof queue, "%.*s", (int)(slash - name), name);
        kx_yaml_str(y, "selector");
        kx_yaml_map_begin(y);
        kx_yaml_str(y, "matchLabels");
        kx_yaml_map_begin(y);
        kx_yaml_kv_str(y, "queue", queue);
        kx_yaml_map_end(y);
        kx_yaml_map_end(y);
    }
    kx_yaml_map_end(y);
}

/* The simulation reads an Object metric by name alone; the object it
 * describes is the target's Service when it serves traffic, else the
 * target itself. */
static void described(KxCtx *c, uint32_t tgt)
{
    const SimWorkload *w = sim_workload(c->e, tgt);
    WlServe s;
    int serves = wl_traffic_serving(c->wl, tgt, &s);
    kx_yaml_str(c->y, "describedObject");
    kx_yaml_map_begin(c->y);
    kx_yaml_kv_str(c->y, "apiVersion", serves ? "v1" : "apps/v1");
    kx_yaml_kv_str(c->y, "kind", serves ? "Service" : w->kind == SIM_WL_STATEFULSET ? "StatefulSet" : "Deployment");
    kx_yaml_kv_str(c->y, "name", serves ? s.service : w->name);
    kx_yaml_map_end(c->y);
}

static void metric(KxCtx *c, const WlHpaMetric *m, uint32_t tgt)
{
    KxYaml *y = c->y;
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "type", source_types[m->source]);
    kx_yaml_str(y, source_keys[m->source]);
    kx_yaml_map_begin(y);
    if (m->source <= WL_HPA_CONTAINER_RESOURCE) {
        kx_yaml_kv_str(y, "name", m->res == WL_HPA_MEMORY ? "memory" : "cpu");
        if (m->source == WL_HPA_CONTAINER_RESOURCE)
            kx_yaml_kv_str(y, "container", KX_CONTAINER);
    } else {
        metric_id(y, m->name);
        if (m->source == WL_HPA_OBJECT)
            described(c, tgt);
    }
    target(y, m);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

/* One direction of a behavior ("scaleUp"/"scaleDown" and its map). */
static void rules(KxYaml *y, const char *key, const WlHpaRules *r)
{
    static const char *const selects[] = {"Max", "Min", "Disabled"};
    kx_yaml_str(y, key);
    kx_yaml_map_begin(y);
    kx_yaml_kv_int(y, "stabilizationWindowSeconds", r->window_s);
    kx_yaml_kv_str(y, "selectPolicy", selects[r->select]);
    kx_yaml_str(y, "policies");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < r->npolicies; i++) {
        kx_yaml_map_begin(y);
        kx_yaml_kv_str(y, "type", r->policies[i].percent ? "Percent" : "Pods");
        kx_yaml_kv_int(y, "value", r->policies[i].value);
        kx_yaml_kv_int(y, "periodSeconds", r->policies[i].period_s);
        kx_yaml_map_end(y);
    }
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
}

/* Per-direction tolerances are a 1.33 alpha field, unknown to 1.30-1.32;
 * minReplicas 0 names the gate the cluster needs. */
static void annotations(KxCtx *c, const WlHpaSpec *s)
{
    int tol = s->has_behavior && (s->up.tolerance >= 0 || s->down.tolerance >= 0);
    if (!tol && s->min != 0)
        return;
    kx_yaml_str(c->y, "annotations");
    kx_yaml_map_begin(c->y);
    if (s->min == 0)
        kx_yaml_kv_str(c->y, "kubesim.io/feature-gates", wl_gate_name(WL_GATE_HPA_SCALE_TO_ZERO));
    if (tol && s->up.tolerance >= 0)
        kx_kv_double(c->y, "kubesim.io/scale-up-tolerance", s->up.tolerance);
    if (tol && s->down.tolerance >= 0)
        kx_kv_double(c->y, "kubesim.io/scale-down-tolerance", s->down.tolerance);
    kx_yaml_map_end(c->y);
}

void kx_hpa_head(KxCtx *c, const char *api, const char *kind, const char *name, uint32_t tgt,
                 const WlHpaSpec *s)
{
    const SimWorkload *w = sim_workload(c->e, tgt);
    KxYaml *y = c->y;
    kx_doc_begin(c, api, kind);
    kx_meta(c, name, kx_ns_name(c, w->ns), 1);
    annotations(c, s);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "scaleTargetRef");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "apiVersion", "apps/v1");
    kx_yaml_kv_str(y, "kind", w->kind == SIM_WL_STATEFULSET ? "StatefulSet" : "Deployment");
    kx_yaml_kv_str(y, "name", w->name);
    kx_yaml_map_end(y);
}

void kx_hpa_behavior(KxYaml *y, const WlHpaSpec *s)
{
    if (!s->has_behavior)
        return;
    kx_yaml_str(y, "behavior");
    kx_yaml_map_begin(y);
    rules(y, "scaleUp", &s->up);
    rules(y, "scaleDown", &s->down);
    kx_yaml_map_end(y);
}

static void hpa(KxCtx *c, const char *name, uint32_t tgt, const WlHpaSpec *s)
{
    KxYaml *y = c->y;
    kx_hpa_head(c, "autoscaling/v2", "HorizontalPodAutoscaler", name, tgt, s);
    kx_yaml_kv_int(y, "minReplicas", s->min);
    kx_yaml_kv_int(y, "maxReplicas", s->max);
    kx_yaml_str(y, "metrics");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < s->nmetrics; i++)
        metric(c, &s->metrics[i], tgt);
    kx_yaml_seq_end(y);
    kx_hpa_behavior(y, s);
    kx_yaml_map_end(y);
    kx_doc_end(c);
}

int kx_hpa_has_external(const WlHpaSpec *s)
{
    for (size_t i = 0; i < s->nmetrics; i++)
        if (s->metrics[i].source == WL_HPA_EXTERNAL)
            return 1;
    return 0;
}

int kx_hpa_as_keda(const KxCtx *c, const WlHpaSpec *s)
{
    return c->o->adapter == KX_ADAPTER_KEDA && kx_hpa_has_external(s);
}

int kx_hpa_refused(KxCtx *c, const char *name, const WlHpaSpec *s)
{
    if (s->min != 0 || (c->o->gates & WL_GATE_BIT(WL_GATE_HPA_SCALE_TO_ZERO)))
        return 0;
    c->rc = sim_fail(c->e, SIM_EINVAL, "hpa '%s': minReplicas 0 needs the feature gate HPAScaleToZero, "
                     "which the scenario does not turn on (a real API server rejects the object)", name);
    return 1;
}

int kx_hpa_scaled(KxCtx *c, uint32_t wl)
{
    for (size_t i = 0; i < wl_hpa_count(c->wl); i++) {
        const char *name;
        uint32_t tgt;
        const WlHpaSpec *s;
        if (wl_hpa_info(c->wl, i, &name, &tgt, &s) == SIM_OK && tgt == wl)
            return 1;
    }
    return 0;
}

void kx_emit_hpas(KxCtx *c)
{
    for (size_t i = 0; i < wl_hpa_count(c->wl) && c->rc == SIM_OK; i++) {
        const char *name;
        uint32_t tgt;
        const WlHpaSpec *s;
        if (wl_hpa_info(c->wl, i, &name, &tgt, &s) != SIM_OK || sim_workload(c->e, tgt)->region != c->region ||
            kx_hpa_as_keda(c, s))
            continue;
        if (kx_hpa_refused(c, name, s))
            return;
        hpa(c, name, tgt, s);
    }
}
