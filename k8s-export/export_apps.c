/*
 * export_apps.c: Deployments (rolling update, minReadySeconds,
 * progressDeadlineSeconds), a Service per serving Deployment, StatefulSets
 * with their headless Service and volume claims, and DaemonSets. Serving
 * characteristics and the queue a worker Deployment takes requests from have
 * no Kubernetes field: they are kubesim.io/ annotations.
 */
#include "k8s-export/export_int.h"

#include <stdio.h>
#include <string.h>

#include "sim/json.h"
#include "workloads/apps.h"
#include "workloads/queue.h"
#include "workloads/traffic.h"

static int in_region(KxCtx *c, uint32_t wl, SimWlKind kind)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    return w->kind == kind && w->region == c->region;
}

static void int_or_pct(KxYaml *y, const char *key, SimIntOrPct v, int32_t deflt_pct)
{
    char buf[16];
    if (v.set && !v.percent) {
        kx_yaml_kv_int(y, key, v.value);
        return;
    }
    snprintf(buf, sizeof buf, "%d%%", (int)(v.set ? v.value : deflt_pct));
    kx_yaml_kv_str(y, key, buf);
}

static void strategy(KxYaml *y, const SimWorkload *w)
{
    kx_yaml_str(y, "strategy");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "type", "RollingUpdate");
    kx_yaml_str(y, "rollingUpdate");
    kx_yaml_map_begin(y);
    int_or_pct(y, "maxSurge", w->max_surge, WL_DEFAULT_SURGE_PCT);
    int_or_pct(y, "maxUnavailable", w->max_unavailable, WL_DEFAULT_UNAVAILABLE_PCT);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

/* The serve.slo targets as "p95=120ms,p99=250ms" (percentile order), when
 * there is one besides p95 (kubesim.io/serve-slo-p95 carries that one, as
 * before, so an older import still reads it); and serve.slo_from, the run
 * time the SLO clock starts at. */
static void slo_annotations(KxYaml *y, const WlServe *s)
{
    char text[WL_SLO_MAX * 48] = "", pct[16], d[32];
    size_t k = 0;
    int other = 0;
    for (size_t i = 0; i < s->nslo; i++)
        other |= s->slo[i].pct_milli != 95000;
    for (size_t i = 0; other && i < s->nslo && k < sizeof text; i++) {
        wl_slo_pct_name(s->slo[i].pct_milli, pct, sizeof pct);
        kx_duration(s->slo[i].target, d, sizeof d);
        k += (size_t)snprintf(text + k, sizeof text - k, "%s%s=%s", i ? "," : "", pct, d);
    }
    if (other)
        kx_yaml_kv_str(y, "kubesim.io/serve-slo", text);
    if (s->slo_from_set)
        kx_kv_duration(y, "kubesim.io/serve-slo-from", s->slo_from);
}

/* spec.replicas, or for a workload an HPA scales none: the HPA owns the
 * count (the HPA documentation's advice), and the initial one is an
 * annotation (initial_replicas). */
static void replicas(KxCtx *c, uint32_t wl)
{
    if (!kx_hpa_scaled(c, wl))
        kx_yaml_kv_int(c->y, "replicas", sim_workload(c->e, wl)->replicas);
}

static void initial_replicas(KxCtx *c, uint32_t wl)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%d", (int)sim_workload(c->e, wl)->replicas);
    kx_yaml_kv_str(c->y, "kubesim.io/initial-replicas", buf);
}

/* What a serving or worker Deployment does in the simulation, and the
 * initial count of one an HPA scales. */
static void deploy_annotations(KxCtx *c, uint32_t wl)
{
    WlServe s;
    int serves = wl_traffic_serving(c->wl, wl, &s);
    const char *queue = wl_queue_of_worker(c->wl, wl);
    int scaled = kx_hpa_scaled(c, wl);
    if (!serves && !queue && !scaled)
        return;
    KxYaml *y = c->y;
    kx_yaml_str(y, "annotations");
    kx_yaml_map_begin(y);
    if (scaled)
        initial_replicas(c, wl);
    if (queue)
        kx_yaml_kv_str(y, "kubesim.io/queue", queue);
    if (serves) {
        kx_yaml_kv_str(y, "kubesim.io/serve-service", s.service);
        kx_kv_double(y, "kubesim.io/serve-capacity", s.capacity);
        kx_kv_double(y, "kubesim.io/serve-cpu-per-request-millicores", s.cpu_per_request_m);
        if (s.service_time > 0)
            kx_kv_duration(y, "kubesim.io/serve-service-time", s.service_time);
        if (s.slo_p95 > 0)
            kx_kv_duration(y, "kubesim.io/serve-slo-p95", s.slo_p95);
        slo_annotations(y, &s);
        kx_kv_duration(y, "kubesim.io/serve-timeout", s.timeout);
    }
    kx_yaml_map_end(y);
}

static void deployment(KxCtx *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    KxYaml *y = c->y;
    kx_doc_begin(c, "apps/v1", "Deployment");
    kx_meta(c, w->name, kx_ns_name(c, w->ns), 1);
    deploy_annotations(c, wl);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    replicas(c, wl);
    kx_pod_selector(c, wl);
    strategy(y, w);
    if (w->min_ready > 0)
        kx_kv_seconds(y, "minReadySeconds", w->min_ready);
    kx_kv_seconds(y, "progressDeadlineSeconds", w->progress_deadline ? w->progress_deadline
                                                                       : WL_DEFAULT_PROGRESS_DEADLINE);
    kx_yaml_kv_int(y, "revisionHistoryLimit", WL_REVISION_HISTORY_LIMIT);
    kx_pod_template(c, wl, KX_POD_SERVICE);
    kx_yaml_map_end(y);
    kx_doc_end(c);
}

void kx_emit_deployments(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_workload_count(c->e); i++)
        if (in_region(c, i, SIM_WL_DEPLOYMENT))
            deployment(c, i);
}

/* The flows of a service, one per line, for a later import:
 * "SITE RATE [daily CLOCK=FACTOR,...] [surge START+RAMP+HOLD+DECAY*FACTOR,...]". */
static void flow_text(const WlFlow *f, const char *site, char *buf, size_t n)
{
    char a[32], b[32], d[32], e[32], num[SIM_NUM_LEN];
    size_t k = (size_t)snprintf(buf, n, "%s %s", site, sim_num(f->rate, num));
    for (size_t i = 0; i < f->ndaily && k < n; i++) {
        kx_duration(f->daily[i].clock, a, sizeof a);
        k += (size_t)snprintf(buf + k, n - k, "%s%s=%s", i ? "," : " daily ", a,
                                sim_num(f->daily[i].factor, num));
    }
    for (size_t i = 0; i < f->nsurges && k < n; i++) {
        const WlSurge *s = &f->surges[i];
        kx_duration(s->start, a, sizeof a);
        kx_duration(s->ramp, b, sizeof b);
        kx_duration(s->hold, d, sizeof d);
        kx_duration(s->decay, e, sizeof e);
        k += (size_t)snprintf(buf + k, n - k, "%s%s+%s+%s+%s*%s", i ? "," : " surge ", a, b, d, e,
                                sim_num(s->factor, num));
    }
}

/* "SITE=MS" (the round trip in milliseconds) of the flow's site to this
 * region, appended to lat once per site. */
static void latency_text(KxCtx *c, const WlFlow *f, const char *site, uint32_t region, char *lat, size_t n)
{
    SimTime rtt;
    char item[160], num[SIM_NUM_LEN];
    if (!wl_traffic_rtt(c->wl, f->site, region, &rtt))
        return;
    snprintf(item, sizeof item, "%s=%s", site, sim_num((double)rtt / 1e6, num));   /* milliseconds, as latency{ms} */
    size_t k = strlen(lat), m = strlen(item);
    for (const char *p = lat; (p = strstr(p, item)) != NULL; p += m)
        if ((p == lat || p[-1] == ',') && (p[m] == ',' || p[m] == '\0'))
            return;   /* this site's already there */
    if (k + m + 2 < n)
        snprintf(lat + k, n - k, "%s%s", k ? "," : "", item);
}

/* The service's flows as kubesim.io/traffic and the sites' round trips to
 * this region as kubesim.io/latency; a flow whose line would take the text
 * past 4 KiB is left out (a simplification: scenarios have a few flows per
 * service). */
static void traffic_annotation(KxCtx *c, const char *service, uint32_t region)
{
    char text[4096] = "", line[1024], lat[1024] = "";
    size_t k = 0;
    for (size_t i = 0; i < wl_traffic_flow_count(c->wl); i++) {
        WlFlow f;
        const char *site;
        if (wl_traffic_flow_get(c->wl, i, &f, &site) != SIM_OK || strcmp(f.service, service) != 0)
            continue;
        flow_text(&f, site, line, sizeof line);
        if (k + strlen(line) + 2 < sizeof text)
            k += (size_t)snprintf(text + k, sizeof text - k, "%s%s", k ? "\n" : "", line);
        latency_text(c, &f, site, region, lat, sizeof lat);
    }
    if (k == 0)
        return;
    kx_yaml_str(c->y, "annotations");
    kx_yaml_map_begin(c->y);
    kx_yaml_kv_str(c->y, "kubesim.io/traffic", text);
    if (lat[0])
        kx_yaml_kv_str(c->y, "kubesim.io/latency", lat);
    kx_yaml_map_end(c->y);
}

/* A ClusterIP Service (or headless for a StatefulSet) over the workload's pods. */
static void service(KxCtx *c, uint32_t wl, const char *name, int headless)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    KxYaml *y = c->y;
    kx_doc_begin(c, "v1", "Service");
    kx_meta(c, name, kx_ns_name(c, w->ns), 1);
    if (!headless)
        traffic_annotation(c, name, w->region);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    if (headless)
        kx_yaml_kv_str(y, "clusterIP", "None");   /* stable per-ordinal DNS names */
    kx_yaml_str(y, "selector");
    kx_pod_match_labels(c, wl);
    kx_yaml_str(y, "ports");
    kx_yaml_seq_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", "http");
    kx_yaml_kv_int(y, "port", headless ? KX_SERVE_PORT : 80);
    if (headless)
        kx_yaml_kv_int(y, "targetPort", KX_SERVE_PORT);
    else
        kx_yaml_kv_str(y, "targetPort", "http");
    kx_yaml_kv_str(y, "protocol", "TCP");
    kx_yaml_map_end(y);
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
    kx_doc_end(c);
}

void kx_emit_services(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_workload_count(c->e); i++) {
        WlServe s;
        if (in_region(c, i, SIM_WL_DEPLOYMENT) && wl_traffic_serving(c->wl, i, &s))
            service(c, i, s.service, 0);
        else if (in_region(c, i, SIM_WL_STATEFULSET))
            service(c, i, sim_workload(c->e, i)->name, 1);
    }
}

static void claim_template(KxCtx *c, const SimWorkload *w)
{
    KxYaml *y = c->y;
    kx_yaml_str(y, "volumeClaimTemplates");
    kx_yaml_seq_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", "data");
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "accessModes");
    kx_yaml_seq_begin(y);
    kx_yaml_str(y, "ReadWriteOnce");
    kx_yaml_seq_end(y);
    kx_yaml_str(y, "resources");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "requests");
    kx_yaml_map_begin(y);
    kx_kv_quantity(y, "storage", w->volume, 0);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_seq_end(y);
}

/* Volumes are kept when the set shrinks or goes, as the simulation keeps them. */
static void retention(KxYaml *y)
{
    kx_yaml_str(y, "persistentVolumeClaimRetentionPolicy");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "whenDeleted", "Retain");
    kx_yaml_kv_str(y, "whenScaled", "Retain");
    kx_yaml_map_end(y);
}

static void statefulset(KxCtx *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    KxYaml *y = c->y;
    kx_doc_begin(c, "apps/v1", "StatefulSet");
    kx_meta(c, w->name, kx_ns_name(c, w->ns), 1);
    if (kx_hpa_scaled(c, wl)) {
        kx_yaml_str(y, "annotations");
        kx_yaml_map_begin(y);
        initial_replicas(c, wl);
        kx_yaml_map_end(y);
    }
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "serviceName", w->name);
    replicas(c, wl);
    kx_yaml_kv_str(y, "podManagementPolicy", "OrderedReady");
    if (w->min_ready > 0)
        kx_kv_seconds(y, "minReadySeconds", w->min_ready);
    kx_pod_selector(c, wl);
    kx_pod_template(c, wl, KX_POD_SERVICE);
    if (w->volume > 0) {
        claim_template(c, w);
        retention(y);
    }
    kx_yaml_map_end(y);
    kx_doc_end(c);
}

void kx_emit_statefulsets(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_workload_count(c->e); i++)
        if (in_region(c, i, SIM_WL_STATEFULSET))
            statefulset(c, i);
}

static void daemonset(KxCtx *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    kx_doc_begin(c, "apps/v1", "DaemonSet");
    kx_meta(c, w->name, kx_ns_name(c, w->ns), 0);
    kx_yaml_str(c->y, "spec");
    kx_yaml_map_begin(c->y);
    kx_pod_selector(c, wl);
    kx_pod_template(c, wl, KX_POD_SERVICE);
    kx_yaml_map_end(c->y);
    kx_doc_end(c);
}

void kx_emit_daemonsets(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_workload_count(c->e); i++)
        if (in_region(c, i, SIM_WL_DAEMONSET))
            daemonset(c, i);
}
