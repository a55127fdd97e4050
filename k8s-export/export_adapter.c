/*
 * export_adapter.c: what serves an HPA's External metric on a real cluster
 * (`kubesim export --metrics-adapter`). The simulation's per-queue series
 * "QUEUE/METRIC" is, on a cluster, the Prometheus series
 * METRIC{namespace="HPA's namespace", queue="QUEUE"} that the application
 * exports (a gauge of the whole queue's value; several exporters of one queue
 * are read with max, not added up). A metric without a queue is the sum of
 * every queue's series (queue.h): the adapter returns one value per queue
 * and the HPA adds them up; KEDA's single query sums them itself.
 *
 * prometheus-adapter (default): the HPAs stay as they are, and the region
 * gets prometheus-adapter-values.yaml, Helm values of the
 * prometheus-community/prometheus-adapter chart with one rules.external entry
 * per metric name; the adapter adds the HPA's namespace and the selector
 * (queue=QUEUE) to the query itself. Not a manifest: outside the
 * kustomization.
 *
 * keda: KEDA only serves metrics for the HPAs it creates from its own
 * ScaledObjects (a hand-written HPA gets nothing from it), so an HPA with an
 * External metric is written as a ScaledObject instead (keda.sh/v1alpha1):
 * a prometheus trigger per External metric, cpu and memory triggers for its
 * Resource and ContainerResource metrics, min and max, and the behavior under
 * advanced.horizontalPodAutoscalerConfig with the HPA's name, so the HPA KEDA
 * creates is the one the simulation ran. Pods and Object metrics have no KEDA
 * trigger that means the same: such an HPA is refused (exit 2), naming the
 * other adapter.
 */
#include "k8s-export/export_int.h"

#include <stdio.h>
#include <string.h>

#include "workloads/hpa.h"

#define PROMETHEUS_PORT 9090

/* METRIC of "QUEUE/METRIC" (or the whole name), and QUEUE into q (empty: none). */
static const char *split(const char *name, char *q, size_t n)
{
    const char *slash = strrchr(name, '/');
    snprintf(q, n, "%.*s", slash ? (int)(slash - name) : 0, name);
    return slash ? slash + 1 : name;
}

/* A Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
static int prom_name(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == ':'))
            return 0;
    return 1;
}

/* A metric that is no Prometheus name is refused: 0 (c->rc set). */
static int metric_ok(KxCtx *c, const char *hpa, const char *metric)
{
    if (prom_name(metric))
        return 1;
    c->rc = sim_fail(c->e, SIM_EINVAL, "hpa '%s': External metric '%s' is not a Prometheus metric name "
                     "([a-zA-Z_:][a-zA-Z0-9_:]*), so no adapter can serve it", hpa, metric);
    return 0;
}

/* Each External metric of every HPA of the region, in order: fn(c, ctx, hpa
 * name, its namespace, metric, queue) until c->rc fails. */
typedef void (*EachFn)(KxCtx *c, void *ctx, const char *hpa, const char *ns, const char *metric, const char *queue);
static void each_external(KxCtx *c, void *ctx, EachFn fn)
{
    for (size_t i = 0; i < wl_hpa_count(c->wl) && c->rc == SIM_OK; i++) {
        const char *name;
        uint32_t tgt;
        const WlHpaSpec *s;
        if (wl_hpa_info(c->wl, i, &name, &tgt, &s) != SIM_OK || sim_workload(c->e, tgt)->region != c->region)
            continue;
        for (size_t k = 0; k < s->nmetrics && c->rc == SIM_OK; k++) {
            if (s->metrics[k].source != WL_HPA_EXTERNAL)
                continue;
            char q[256];
            const char *metric = split(s->metrics[k].name, q, sizeof q);
            if (!metric_ok(c, name, metric))
                return;
            fn(c, ctx, name, kx_ns_name(c, sim_workload(c->e, tgt)->ns), metric, q);
        }
    }
}

/* ---- prometheus-adapter ---------------------------------------------------- */

typedef struct Values {
    KxBuf *b;
    int pass;                   /* 0: the series in the header; 1: one rule per metric name */
    const char *seen[64];       /* metric names with a rule */
    size_t nseen;
} Values;

static void value_line(KxCtx *c, void *ctx, const char *hpa, const char *ns, const char *metric, const char *queue)
{
    Values *v = ctx;
    if (v->pass == 0) {
        kx_buf_printf(c, v->b, "#   %s{namespace=\"%s\"%s%s%s}   (HorizontalPodAutoscaler %s/%s)\n", metric, ns,
                      *queue ? ",queue=\"" : "", queue, *queue ? "\"" : "", ns, hpa);
        return;
    }
    for (size_t i = 0; i < v->nseen; i++)
        if (strcmp(v->seen[i], metric) == 0)
            return;
    if (v->nseen < sizeof v->seen / sizeof v->seen[0])
        v->seen[v->nseen++] = metric;
    kx_buf_printf(c, v->b,
                  "  - seriesQuery: '%s{namespace!=\"\"}'\n"
                  "    resources:\n"
                  "      overrides:\n"
                  "        namespace: {resource: \"namespace\"}\n"
                  "    name:\n"
                  "      matches: \"^%s$\"\n"
                  "      as: \"%s\"\n"
                  "    metricsQuery: 'max by (queue) (<<.Series>>{<<.LabelMatchers>>})'\n",
                  metric, metric, metric);
}

void kx_emit_adapter_values(KxCtx *c, KxBuf *b)
{
    if (c->o->adapter != KX_ADAPTER_PROMETHEUS)
        return;
    Values v = {.b = b};
    each_external(c, &v, value_line);
    if (c->rc != SIM_OK || b->len == 0)
        return;
    KxBuf series = *b;   /* the header goes first: start over, keep the lines */
    *b = (KxBuf){0};
    kx_buf_printf(c, b,
                  "# Helm values of the prometheus-community/prometheus-adapter chart: the rules that serve\n"
                  "# the External metrics of this folder's HorizontalPodAutoscalers. Not a Kubernetes object\n"
                  "# (kustomization.yaml leaves it out). Set prometheus.url, then:\n"
                  "#   helm upgrade --install prometheus-adapter prometheus-community/prometheus-adapter \\\n"
                  "#     --namespace monitoring --values %s\n"
                  "# The application must export these series to Prometheus, each a gauge of the whole\n"
                  "# queue (several exporters of one queue are read with max; an HPA without a queue\n"
                  "# selector adds up every queue's), with the HPA's namespace\n"
                  "# as the label namespace (a ServiceMonitor or the scrape config adds it) and the queue\n"
                  "# as the label queue:\n%s"
                  "prometheus:\n  url: %s\n  port: %d\nrules:\n  external:\n",
                  KX_ADAPTER_VALUES, series.s ? series.s : "", KX_PROMETHEUS_URL, PROMETHEUS_PORT);
    kx_buf_free(c, &series);
    v.pass = 1;
    each_external(c, &v, value_line);
}

/* ---- KEDA ------------------------------------------------------------------ */

/* A milli-unit target as the decimal number KEDA's threshold parses. */
static void threshold(KxYaml *y, int64_t milli)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%lld.%03lld", (long long)(milli / 1000), (long long)(milli % 1000));
    char *end = buf + strlen(buf);   /* "2.000" is "2", "0.500" is "0.5" */
    while (end[-1] == '0')
        *--end = '\0';
    if (end[-1] == '.')
        end[-1] = '\0';
    kx_yaml_kv_str(y, "threshold", buf);
}

static void prometheus_trigger(KxCtx *c, const WlHpaMetric *m, const char *ns)
{
    KxYaml *y = c->y;
    char q[256], query[700], addr[128];
    const char *metric = split(m->name, q, sizeof q);
    if (*q)
        snprintf(query, sizeof query, "max(%s{namespace=\"%s\",queue=\"%s\"})", metric, ns, q);
    else   /* every queue's series, added up as the HPA adds what the adapter returns */
        snprintf(query, sizeof query, "sum(max by (queue) (%s{namespace=\"%s\"}))", metric, ns);
    snprintf(addr, sizeof addr, "%s:%d", KX_PROMETHEUS_URL, PROMETHEUS_PORT);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "type", "prometheus");
    kx_yaml_kv_str(y, "metricType", m->target == WL_HPA_VALUE ? "Value" : "AverageValue");
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "serverAddress", addr);
    kx_yaml_kv_str(y, "query", query);
    threshold(y, m->milli);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

/* cpu or memory: Utilization (percent) or AverageValue (a quantity). */
static void resource_trigger(KxCtx *c, const WlHpaMetric *m)
{
    KxYaml *y = c->y;
    char v[64];
    int bytes = m->res == WL_HPA_MEMORY && m->milli % 1000 == 0;
    if (m->target == WL_HPA_UTILIZATION)
        snprintf(v, sizeof v, "%d", (int)m->utilization);
    else
        sim_quantity_format(bytes ? m->milli / 1000 : m->milli, !bytes, v, sizeof v);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "type", m->res == WL_HPA_MEMORY ? "memory" : "cpu");
    kx_yaml_kv_str(y, "metricType", m->target == WL_HPA_UTILIZATION ? "Utilization" : "AverageValue");
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "value", v);
    if (m->source == WL_HPA_CONTAINER_RESOURCE)
        kx_yaml_kv_str(y, "containerName", KX_CONTAINER);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

static void triggers(KxCtx *c, const WlHpaSpec *s, const char *ns)
{
    kx_yaml_str(c->y, "triggers");
    kx_yaml_seq_begin(c->y);
    for (size_t i = 0; i < s->nmetrics; i++)
        if (s->metrics[i].source == WL_HPA_EXTERNAL)
            prometheus_trigger(c, &s->metrics[i], ns);
        else
            resource_trigger(c, &s->metrics[i]);
    kx_yaml_seq_end(c->y);
}

static void advanced(KxCtx *c, const char *name, const WlHpaSpec *s)
{
    KxYaml *y = c->y;
    kx_yaml_str(y, "advanced");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "horizontalPodAutoscalerConfig");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", name);   /* the HPA KEDA creates (default keda-hpa-NAME) */
    kx_hpa_behavior(y, s);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

static void scaled_object(KxCtx *c, const char *name, uint32_t tgt, const WlHpaSpec *s)
{
    const SimWorkload *w = sim_workload(c->e, tgt);
    KxYaml *y = c->y;
    kx_hpa_head(c, "keda.sh/v1alpha1", "ScaledObject", name, tgt, s);
    kx_yaml_kv_int(y, "minReplicaCount", s->min);
    kx_yaml_kv_int(y, "maxReplicaCount", s->max);
    advanced(c, name, s);
    triggers(c, s, kx_ns_name(c, w->ns));
    kx_yaml_map_end(y);
    kx_doc_end(c);
}

/* Pods and Object metrics: KEDA has no trigger that reads them as the HPA does. */
static int keda_can(KxCtx *c, const char *name, const WlHpaSpec *s)
{
    for (size_t i = 0; i < s->nmetrics; i++) {
        char q[256];
        if (s->metrics[i].source == WL_HPA_EXTERNAL && !metric_ok(c, name, split(s->metrics[i].name, q, sizeof q)))
            return 0;
        if (s->metrics[i].source == WL_HPA_PODS || s->metrics[i].source == WL_HPA_OBJECT) {
            c->rc = sim_fail(c->e, SIM_EINVAL, "hpa '%s': a %s metric beside an External one has no KEDA trigger "
                             "that means the same; export with --metrics-adapter prometheus-adapter", name,
                             s->metrics[i].source == WL_HPA_PODS ? "Pods" : "Object");
            return 0;
        }
    }
    return 1;
}

void kx_emit_scaledobjects(KxCtx *c)
{
    for (size_t i = 0; i < wl_hpa_count(c->wl) && c->rc == SIM_OK; i++) {
        const char *name;
        uint32_t tgt;
        const WlHpaSpec *s;
        if (wl_hpa_info(c->wl, i, &name, &tgt, &s) != SIM_OK || sim_workload(c->e, tgt)->region != c->region ||
            !kx_hpa_as_keda(c, s))
            continue;
        if (kx_hpa_refused(c, name, s) || !keda_can(c, name, s))
            return;
        scaled_object(c, name, tgt, s);
    }
}
