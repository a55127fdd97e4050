/*
 * alerts.c: Prometheus alert rules from what a scenario declares (kx.h,
 * `kubesim export --alerts`): per region, an SLO rule per served service and
 * declared latency target, a pending-pods rule, and a near-limit rule per
 * declared ResourceQuota. The same set is written as a PrometheusRule
 * (monitoring.coreos.com/v1) in each region's folder and as one plain rules
 * file for Prometheus' rule_files; `kubesim run --alerts-test` evaluates it
 * (alerts_test.c).
 *
 * Invariant: every rule is one selector of plain equality matchers compared
 * with a constant (or used/hard of one quota's series), and its threshold is
 * the number printed in its expr, so the evaluator and Prometheus compare the
 * same two doubles.
 */
#include "k8s-export/alerts_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/policy.h"
#include "workloads/traffic.h"

/* The latency percentiles kubesim samples as series (workloads/traffic_out.c);
 * a target at another percentile has no series to alert on. */
static const struct {
    uint32_t pct_milli;
    const char *label;          /* the series' percentile label */
} sampled[] = {{50000, "50"}, {90000, "90"}, {95000, "95"}, {99000, "99"}};

static const char *percentile_label(uint32_t pct_milli)
{
    for (size_t i = 0; i < sizeof sampled / sizeof sampled[0]; i++)
        if (sampled[i].pct_milli == pct_milli)
            return sampled[i].label;
    return NULL;
}

void kx_prom_duration(SimTime t, char *buf, size_t n)
{
    if (t > 0 && t % (3600 * SIM_NS_PER_S) == 0)
        snprintf(buf, n, "%" PRId64 "h", t / (3600 * SIM_NS_PER_S));
    else if (t > 0 && t % (60 * SIM_NS_PER_S) == 0)
        snprintf(buf, n, "%" PRId64 "m", t / (60 * SIM_NS_PER_S));
    else
        kx_duration(t, buf, n);
}

static KxAlert *add(KxAlerts *a, KxAlertKind kind, uint32_t region, const char *region_name)
{
    if (a->rc != SIM_OK || sim_mem_grow(a->m, (void **)&a->v, &a->cap, a->n + 1, sizeof *a->v) != SIM_OK) {
        a->rc = SIM_ENOMEM;
        return NULL;
    }
    KxAlert *r = &a->v[a->n++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->region = region;
    snprintf(r->region_name, sizeof r->region_name, "%s", region_name);
    return r;
}

static void match(KxAlert *r, const char *key, const char *value)
{
    SIM_ASSERT(r->nmatch < KX_ALERT_MATCH_MAX);
    snprintf(r->match[r->nmatch].key, sizeof r->match[0].key, "%s", key);
    snprintf(r->match[r->nmatch].value, sizeof r->match[0].value, "%s", value);
    r->nmatch++;
}

/* FAMILY{k="v",...} into buf; extra (or NULL) is one more matcher. */
static void selector(const KxAlert *r, const char *extra, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "%s{", r->family);
    for (size_t i = 0; i < r->nmatch && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s=\"%s\"", i ? "," : "", r->match[i].key, r->match[i].value);
    if (extra && k < n)
        k += (size_t)snprintf(buf + k, n - k, ",%s", extra);
    if (k < n)
        snprintf(buf + k, n - k, "}");
}

/* The threshold as the expr prints it, and read back: both sides then
 * compare the very same double. */
static void threshold(KxAlert *r, double v)
{
    snprintf(r->threshold_text, sizeof r->threshold_text, "%.10g", v);
    r->threshold = strtod(r->threshold_text, NULL);
}

static void slo_rule(KxAlerts *a, uint32_t region, const char *rn, const char *service, uint32_t pct,
                     SimTime target)
{
    const char *q = percentile_label(pct);
    char pn[16], sel[KX_ALERT_SEL];
    wl_slo_pct_name(pct, pn, sizeof pn);
    if (q == NULL) {
        a->skipped++;   /* no series at that percentile */
        return;
    }
    KxAlert *r = add(a, KX_ALERT_SLO, region, rn);
    if (r == NULL)
        return;
    r->alert = "KubesimSLOLatencyOverTarget";
    r->severity = "critical";
    r->hold = a->o.slo_for;
    snprintf(r->family, sizeof r->family, "%s", KX_FAM_LATENCY);
    snprintf(r->percentile, sizeof r->percentile, "%s", pn);
    match(r, "region", rn);
    match(r, "service", service);
    match(r, "percentile", q);
    threshold(r, (double)target / 1e9);
    selector(r, NULL, sel, sizeof sel);
    snprintf(r->expr, sizeof r->expr, "%s > %s", sel, r->threshold_text);
    char ft[32];
    kx_prom_duration(r->hold, ft, sizeof ft);
    snprintf(r->summary, sizeof r->summary, "%s in %s: %s latency over its %g ms target for %s", service, rn, pn,
             (double)target / 1e6, ft);
}

/* A p95 in serve.slo overrides slo_p95 (as the simulation reads them). */
static void service_rules(KxAlerts *a, uint32_t region, const char *rn, const WlServe *s)
{
    int p95_listed = 0;
    for (size_t i = 0; i < s->nslo; i++)
        p95_listed |= s->slo[i].pct_milli == 95000;
    if (s->slo_p95 > 0 && !p95_listed)
        slo_rule(a, region, rn, s->service, 95000, s->slo_p95);
    for (size_t i = 0; i < s->nslo; i++)
        slo_rule(a, region, rn, s->service, s->slo[i].pct_milli, s->slo[i].target);
}

/* One rule per (region, service, percentile): several Deployments serving a
 * service in a region are one backend. */
static int seen_service(const KxAlerts *a, size_t from, uint32_t region, const char *service)
{
    for (size_t i = from; i < a->n; i++)
        if (a->v[i].kind == KX_ALERT_SLO && a->v[i].region == region &&
            strcmp(a->v[i].match[1].value, service) == 0)
            return 1;
    return 0;
}

static void slo_rules(KxAlerts *a, SimEngine *e, WlControllers *wl, uint32_t region)
{
    const char *rn = sim_region(e, region)->name;
    size_t from = a->n;
    for (uint32_t i = 0; i < sim_workload_count(e); i++) {
        const SimWorkload *w = sim_workload(e, i);
        WlServe s;
        if (w->region != region || w->kind != SIM_WL_DEPLOYMENT || !wl_traffic_serving(wl, i, &s))
            continue;
        if (!seen_service(a, from, region, s.service))
            service_rules(a, region, rn, &s);
    }
}

static void pending_rule(KxAlerts *a, SimEngine *e, uint32_t region)
{
    const char *rn = sim_region(e, region)->name;
    KxAlert *r = add(a, KX_ALERT_PENDING, region, rn);
    if (r == NULL)
        return;
    char sel[KX_ALERT_SEL], ft[32];
    r->alert = "KubesimPodsPending";
    r->severity = "warning";
    r->hold = a->o.pending_for;
    snprintf(r->family, sizeof r->family, "%s", KX_FAM_PENDING);
    match(r, "region", rn);
    threshold(r, 0);
    selector(r, NULL, sel, sizeof sel);
    snprintf(r->expr, sizeof r->expr, "%s > %s", sel, r->threshold_text);
    kx_prom_duration(r->hold, ft, sizeof ft);
    snprintf(r->summary, sizeof r->summary, "pods pending in %s for %s", rn, ft);
}

/* used / hard per resource of the quota; `ignoring(type)` pairs each used
 * series with its hard one. */
static void quota_rule(KxAlerts *a, SimEngine *e, const SimQuota *q)
{
    const char *rn = sim_region(e, q->region)->name, *ns = sim_namespace(e, q->ns)->name;
    KxAlert *r = add(a, KX_ALERT_QUOTA, q->region, rn);
    if (r == NULL)
        return;
    char used[KX_ALERT_SEL], hard[KX_ALERT_SEL], ft[32];
    r->alert = "KubesimQuotaNearLimit";
    r->severity = "warning";
    r->hold = a->o.quota_for;
    snprintf(r->family, sizeof r->family, "%s", KX_FAM_QUOTA);
    match(r, "region", rn);
    match(r, "namespace", ns);
    match(r, "resourcequota", q->name);
    threshold(r, a->o.quota_ratio);
    selector(r, "type=\"used\"", used, sizeof used);
    selector(r, "type=\"hard\"", hard, sizeof hard);
    snprintf(r->expr, sizeof r->expr, "%s / ignoring(type) %s > %s", used, hard, r->threshold_text);
    kx_prom_duration(r->hold, ft, sizeof ft);
    snprintf(r->summary, sizeof r->summary, "quota %s/%s in %s: a resource over %g%% of its hard limit for %s", ns,
             q->name, rn, a->o.quota_ratio * 100, ft);
}

static void region_rules(KxAlerts *a, SimEngine *e, WlControllers *wl, uint32_t region)
{
    slo_rules(a, e, wl, region);
    pending_rule(a, e, region);
    for (uint32_t i = 0; i < sim_quota_count(e); i++)
        if (sim_quota(e, i)->region == region)
            quota_rule(a, e, sim_quota(e, i));
}

void kx_alert_defaults(KxAlertOptions *o)
{
    memset(o, 0, sizeof *o);
    o->slo_for = KX_ALERT_SLO_FOR;
    o->pending_for = KX_ALERT_PENDING_FOR;
    o->quota_for = KX_ALERT_QUOTA_FOR;
    o->quota_ratio = KX_ALERT_QUOTA_RATIO;
}

int kx_alerts(SimEngine *e, WlControllers *wl, const KxAlertOptions *o, KxAlerts **out)
{
    SimMem *m = sim_mem(e);
    KxAlerts *a = sim_mem_calloc(m, 1, sizeof *a);
    *out = NULL;
    if (a == NULL)
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    a->m = m;
    a->o = *o;
    kx_label_value(o->scenario ? o->scenario : "kubesim", a->scenario, sizeof a->scenario);
    for (uint32_t r = 0; a->rc == SIM_OK && r < sim_region_count(e); r++)
        region_rules(a, e, wl, r);
    if (a->rc != SIM_OK) {
        kx_alerts_free(a);
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    }
    *out = a;
    return SIM_OK;
}

void kx_alerts_free(KxAlerts *a)
{
    if (a == NULL)
        return;
    sim_mem_free(a->m, a->v, a->cap * sizeof *a->v);
    sim_mem_free(a->m, a, sizeof *a);
}

size_t kx_alerts_count(const KxAlerts *a)
{
    return a->n;
}

size_t kx_alerts_skipped(const KxAlerts *a)
{
    return a->skipped;
}

/* ---- YAML ------------------------------------------------------------------ */

static void rule(KxYaml *y, const KxAlert *r)
{
    char ft[32];
    kx_prom_duration(r->hold, ft, sizeof ft);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "alert", r->alert);
    kx_yaml_kv_str(y, "expr", r->expr);
    kx_yaml_kv_str(y, "for", ft);
    kx_yaml_str(y, "labels");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "severity", r->severity);
    /* the selector's own labels again (alerts keep them anyway): two rules
     * of one file must differ in their labels (promtool's lint) */
    for (size_t i = 0; i < r->nmatch; i++)
        if (strcmp(r->match[i].key, "percentile") != 0)
            kx_yaml_kv_str(y, r->match[i].key, r->match[i].value);
    if (r->percentile[0])
        kx_yaml_kv_str(y, "slo_percentile", r->percentile);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "annotations");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "summary", r->summary);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

/* The group of one region (region < 0: every region, a group each). */
void kx_alerts_groups(const KxAlerts *a, KxYaml *y, int64_t region)
{
    kx_yaml_str(y, "groups");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < a->n; i++) {
        const KxAlert *r = &a->v[i];
        if (region >= 0 && r->region != (uint32_t)region)
            continue;
        if (i == 0 || a->v[i - 1].region != r->region) {
            char name[400];
            snprintf(name, sizeof name, "kubesim.%s.%s", a->scenario, r->region_name);
            kx_yaml_map_begin(y);
            kx_yaml_kv_str(y, "name", name);
            kx_yaml_str(y, "rules");
            kx_yaml_seq_begin(y);
        }
        rule(y, r);
        if (i + 1 == a->n || a->v[i + 1].region != r->region) {
            kx_yaml_seq_end(y);
            kx_yaml_map_end(y);
        }
    }
    kx_yaml_seq_end(y);
}

int kx_alerts_rules_file(const KxAlerts *a, KxYaml *y)
{
    kx_yaml_doc_begin(y);
    kx_yaml_map_begin(y);
    kx_alerts_groups(a, y, -1);
    kx_yaml_map_end(y);
    kx_yaml_doc_end(y);
    return SIM_OK;
}

/* ---- the PrometheusRule of a region (export.c's kinds) ------------------- */

static int region_has_rules(const KxAlerts *a, uint32_t region)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].region == region)
            return 1;
    return 0;
}

/* Where the rule object lives: the scenario's "monitoring" namespace when it
 * declares one (where the Prometheus Operator usually runs), else "default",
 * which every cluster has. */
static const char *rule_namespace(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_namespace_count(c->e); i++)
        if (strcmp(sim_namespace(c->e, i)->name, "monitoring") == 0)
            return "monitoring";
    return "default";
}

/* "kubesim-" and the scenario's name as a DNS-1123 label: lower case,
 * anything else '-', at most 63. */
static void rule_name(const char *scenario, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "kubesim-");
    for (const char *p = scenario; *p && k + 1 < n && k < 63; p++)
        buf[k++] = (char)(isalnum((unsigned char)*p) ? tolower((unsigned char)*p) : '-');
    while (k > 0 && buf[k - 1] == '-')
        k--;
    buf[k] = '\0';
}

void kx_emit_prometheusrules(KxCtx *c)
{
    const KxAlerts *a = c->o->alerts;
    if (a == NULL || !region_has_rules(a, c->region))
        return;
    char name[128];
    rule_name(c->scenario, name, sizeof name);
    kx_doc_begin(c, "monitoring.coreos.com/v1", "PrometheusRule");
    kx_meta(c, name, rule_namespace(c), 0);
    kx_yaml_str(c->y, "spec");
    kx_yaml_map_begin(c->y);
    kx_alerts_groups(a, c->y, c->region);
    kx_yaml_map_end(c->y);
    kx_doc_end(c);
}
