/*
 * import_keda.c: KEDA ScaledObjects (keda.sh/v1alpha1), each read as the
 * HorizontalPodAutoscaler KEDA creates from it: the spec is rewritten as an
 * autoscaling/v2 HPA spec and read by the kube reader (kube_hpa_spec), as an
 * HPA manifest is, then declared as one (kx_hpa_decl).
 *
 * The mapping (the reverse of export_adapter.c): scaleTargetRef as it is;
 * minReplicaCount (KEDA's default 0) and maxReplicaCount (default 100);
 * advanced.horizontalPodAutoscalerConfig's behavior, and its name as the
 * HPA's (KEDA's default keda-hpa-NAME); a prometheus trigger whose query
 * reads one metric, `...METRIC{LABELS}...`, as the External metric METRIC
 * with the selector its queue label gives (the simulation's series
 * "QUEUE/METRIC"), its threshold the target (metricType Value or
 * AverageValue); cpu and memory triggers as Resource metrics
 * (ContainerResource with containerName), Utilization or AverageValue.
 *
 * Simplification: KEDA's own activation (scaling 0 to 1 on
 * activationThreshold, cooldownPeriod back to 0) is read as the HPA's
 * minReplicas 0 (HPAScaleToZero); other trigger types and queries that are
 * not one series are left out, each named in a comment.
 */
#include "k8s-export/import_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sim/json.h"

#define MAX_SKIPPED 16

typedef struct Keda {
    KubeHpa h;
    const char *hpa_name;           /* advanced.horizontalPodAutoscalerConfig.name, or NULL */
    const char *skipped[MAX_SKIPPED];   /* each trigger left out: "TYPE (why)", arena text */
    size_t nskipped;
} Keda;

static const char *str_at(const cJSON *j, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static void skip(KubeReader *r, Keda *k, const char *type, const char *why)
{
    char buf[300];
    snprintf(buf, sizeof buf, "%s trigger (%s)", type ? type : "untyped", why);
    if (k->nskipped < MAX_SKIPPED)
        k->skipped[k->nskipped++] = kube_strdup(r, buf);
}

/* A query that reads one series, `...METRIC{k="v",...}...` (one selector,
 * as `max(M{...})` or `sum(max by (queue) (M{...}))`): METRIC into metric,
 * the queue label's value into queue (empty: none, every queue's sum). 1 if
 * the query reads so. */
static int one_series(const char *q, char *metric, size_t mn, char *queue, size_t qn)
{
    static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:";
    const char *brace = strchr(q, '{'), *close = brace ? strchr(brace, '}') : NULL;
    if (brace == NULL || close == NULL || strchr(close + 1, '{'))
        return 0;   /* not exactly one selector */
    const char *p = brace;
    while (p > q && strchr(name_chars, p[-1]) && p[-1] != '\0')
        p--;
    size_t n = (size_t)(brace - p);
    if (n == 0 || n >= mn || (*p >= '0' && *p <= '9'))
        return 0;
    snprintf(metric, mn, "%.*s", (int)n, p);
    queue[0] = '\0';
    const char *l = strstr(brace, "queue=\"");
    if (l && l < close && (l[-1] == '{' || l[-1] == ',' || l[-1] == ' ')) {
        const char *end = strchr(l + 7, '"');
        if (end == NULL || end > close || (size_t)(end - l - 7) >= qn)
            return 0;
        snprintf(queue, qn, "%.*s", (int)(end - l - 7), l + 7);
    }
    return 1;
}

static cJSON *target(const char *type, const char *key, const char *value)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "type", type);
    if (strcmp(type, "Utilization") == 0) {
        double v = 0;
        sscanf(value, "%lf", &v);
        cJSON_AddNumberToObject(t, "averageUtilization", v);
    } else {
        cJSON_AddStringToObject(t, key, value);
    }
    return t;
}

static cJSON *prometheus(KubeReader *r, Keda *k, const cJSON *tr, const cJSON *md)
{
    const char *query = str_at(md, "query"), *thr = str_at(md, "threshold");
    const char *mt = str_at(tr, "metricType") ? str_at(tr, "metricType") : "AverageValue";
    char metric[256], queue[256];
    if (query == NULL || thr == NULL || !one_series(query, metric, sizeof metric, queue, sizeof queue)) {
        skip(r, k, "prometheus", query ? "its query is not one series METRIC{...}" : "no query or threshold");
        return NULL;
    }
    if (strcmp(mt, "Value") != 0 && strcmp(mt, "AverageValue") != 0) {
        skip(r, k, "prometheus", "metricType is neither Value nor AverageValue");
        return NULL;
    }
    cJSON *m = cJSON_CreateObject(), *ext = cJSON_CreateObject(), *id = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "External");
    cJSON_AddStringToObject(id, "name", metric);
    if (queue[0]) {
        cJSON *sel = cJSON_CreateObject(), *ml = cJSON_CreateObject();
        cJSON_AddStringToObject(ml, "queue", queue);
        sim_json_add_item(sel, "matchLabels", ml);
        sim_json_add_item(id, "selector", sel);
    }
    sim_json_add_item(ext, "metric", id);
    sim_json_add_item(ext, "target", target(mt, strcmp(mt, "Value") == 0 ? "value" : "averageValue", thr));
    sim_json_add_item(m, "external", ext);
    return m;
}

static cJSON *resource(KubeReader *r, Keda *k, const char *type, const cJSON *tr, const cJSON *md)
{
    const char *mt = str_at(tr, "metricType") ? str_at(tr, "metricType") : str_at(md, "type");
    const char *v = str_at(md, "value"), *cont = str_at(md, "containerName");
    if (mt == NULL || v == NULL || (strcmp(mt, "Utilization") != 0 && strcmp(mt, "AverageValue") != 0)) {
        skip(r, k, type, "needs metricType Utilization or AverageValue and a value");
        return NULL;
    }
    cJSON *m = cJSON_CreateObject(), *res = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", cont ? "ContainerResource" : "Resource");
    cJSON_AddStringToObject(res, "name", type);
    if (cont)
        cJSON_AddStringToObject(res, "container", cont);
    sim_json_add_item(res, "target", target(mt, "averageValue", v));
    sim_json_add_item(m, cont ? "containerResource" : "resource", res);
    return m;
}

static cJSON *metrics(KubeReader *r, Keda *k, const cJSON *spec)
{
    cJSON *ms = cJSON_CreateArray();
    const cJSON *tr;
    cJSON_ArrayForEach(tr, cJSON_GetObjectItemCaseSensitive(spec, "triggers")) {
        const char *type = str_at(tr, "type");
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(tr, "metadata");
        cJSON *m = NULL;
        if (type && strcmp(type, "prometheus") == 0)
            m = prometheus(r, k, tr, md);
        else if (type && (strcmp(type, "cpu") == 0 || strcmp(type, "memory") == 0))
            m = resource(r, k, type, tr, md);
        else
            skip(r, k, type, "kubesim simulates prometheus queries of one series, cpu and memory");
        if (m)
            sim_json_push(ms, m);
    }
    return ms;
}

static cJSON *number_or(const cJSON *spec, const char *key, double deflt)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(spec, key);
    return cJSON_IsNumber(x) ? cJSON_Duplicate(x, 0) : cJSON_CreateNumber(deflt);
}

/* The HPA spec KEDA would create from ScaledObject spec j. */
static cJSON *as_hpa(KubeReader *r, Keda *k, const cJSON *j)
{
    cJSON *h = cJSON_CreateObject(), *ref = cJSON_CreateObject();
    const cJSON *sr = cJSON_GetObjectItemCaseSensitive(j, "scaleTargetRef");
    static const char *const keys[] = {"apiVersion", "kind", "name"};
    for (size_t i = 0; i < 3; i++)
        if (str_at(sr, keys[i]))
            cJSON_AddStringToObject(ref, keys[i], str_at(sr, keys[i]));
    if (str_at(sr, "kind") == NULL)
        cJSON_AddStringToObject(ref, "kind", "Deployment");
    sim_json_add_item(h, "scaleTargetRef", ref);
    sim_json_add_item(h, "minReplicas", number_or(j, "minReplicaCount", 0));
    sim_json_add_item(h, "maxReplicas", number_or(j, "maxReplicaCount", 100));
    sim_json_add_item(h, "metrics", metrics(r, k, j));
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "advanced"),
                                                        "horizontalPodAutoscalerConfig");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(cfg, "behavior");
    if (b)
        sim_json_add_item(h, "behavior", cJSON_Duplicate(b, 1));
    if (str_at(cfg, "name"))
        k->hpa_name = kube_strdup(r, str_at(cfg, "name"));
    return h;
}

static void read_keda(KubeReader *r, const cJSON *j, const char *path, void *out)
{
    Keda *k = out;
    cJSON *h = as_hpa(r, k, j);
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(h, "metrics")) > 0)   /* else no HPA: declare says so */
        kube_hpa_spec(r, h, path, &k->h);
    cJSON_Delete(h);
}

static void declare(KxImp *c, const KxDoc *d, Keda *k)
{
    for (size_t i = 0; i < k->nskipped; i++) {
        kx_out(c, "-- ScaledObject/");
        kx_out_comment(c, d->name);
        kx_out(c, ": its ");
        kx_out_comment(c, k->skipped[i] ? k->skipped[i] : "");
        kx_out(c, " is not simulated\n");
    }
    if (k->h.nmetrics == 0) {
        kx_out(c, "-- ScaledObject/");
        kx_out_comment(c, d->name);
        kx_out(c, ": no trigger kubesim simulates: no HPA\n");
        return;
    }
    char name[300];
    if (k->hpa_name == NULL)
        snprintf(name, sizeof name, "keda-hpa-%s", d->name);   /* what KEDA names it */
    kx_hpa_decl(c, d, k->hpa_name ? k->hpa_name : name, &k->h);
}

void kx_imp_scaledobjects(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "ScaledObject")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        const KubeYNode *s = kube_y_map(c->y, d->root, "spec");
        if (s == NULL && kube_yaml_rc(c->y) == SIM_OK)
            kube_yaml_fail(c->y, NULL, d->root, "spec is required");
        Keda k = {0};
        if (s == NULL || !kx_read(c, s, "spec", read_keda, &k))
            return;
        declare(c, d, &k);
    }
}
