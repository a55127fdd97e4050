/*
 * import_hpa.c: HorizontalPodAutoscalers (autoscaling/v2) and the serving
 * traffic the export keeps on Services (kubesim.io/traffic).
 *
 * Simplification: a manifest holds no round trip from users to a cluster, so
 * each site of a flow gets latency 0 ms to every region that serves its
 * service (edit it); a flow written in several regions' exports is declared
 * once.
 */
#include "k8s-export/import_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const targets[][2] = {
    {"averageUtilization", "average_utilization"}, {"averageValue", "average_value"}, {"value", "value"}};

static void target(KxImp *c, const KubeYNode *t)
{
    const char *type = kube_y_str(c->y, t, "type");
    kx_out(c, ", target = { type = ");
    kx_out_str(c, type ? type : "Utilization");
    for (size_t i = 0; i < 3; i++) {
        const KubeYNode *v = kube_y_get(t, targets[i][0]);
        if (v == NULL)
            continue;
        kx_out(c, ", %s = ", targets[i][1]);
        if (i == 0)
            kx_out(c, "%lld", (long long)kx_int(c, v, 1, 1000000));
        else
            kx_out_quantity(c, v, 1);
    }
    kx_out(c, " }");
}

/* A metric's name; an External one with selector {queue: Q} is the queue's series Q/NAME. */
static void metric_name(KxImp *c, const KubeYNode *src)
{
    const char *name = kube_y_str(c->y, src, "metric.name"), *q = kube_y_str(c->y, src, "metric.selector.matchLabels.queue");
    if (name == NULL)
        name = kube_y_str(c->y, src, "name");
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s%s", q ? q : "", q ? "/" : "", name ? name : "");
    kx_out(c, ", name = ");
    kx_out_str(c, buf);
}

static void metric(KxImp *c, const KubeYNode *m)
{
    static const char *const types[][2] = {{"Resource", "resource"}, {"ContainerResource", "containerResource"},
                                           {"Pods", "pods"}, {"Object", "object"}, {"External", "external"}};
    const char *type = kube_y_want(c->y, m, KUBE_Y_MAP) ? kube_y_str(c->y, m, "type") : NULL;
    const KubeYNode *src = NULL;
    for (size_t i = 0; type && i < 5; i++)
        if (strcmp(type, types[i][0]) == 0)
            src = kube_y_map(c->y, m, types[i][1]);
    if (kube_yaml_rc(c->y) != SIM_OK)
        return;
    if (src == NULL) {
        kube_yaml_fail(c->y, NULL, m, "a metric needs type Resource, ContainerResource, Pods, Object or External");
        return;
    }
    kx_out(c, "{ type = ");
    kx_out_str(c, type);
    metric_name(c, src);
    const char *ct = kube_y_str(c->y, src, "container");
    if (ct) {
        kx_out(c, ", container = ");
        kx_out_str(c, ct);
    }
    target(c, kube_y_map(c->y, src, "target"));
    kx_out(c, " }");
}

static void rules(KxImp *c, const char *field, const KubeYNode *r, const KubeYNode *tol)
{
    if (r == NULL && tol == NULL)
        return;
    kx_out(c, " %s = {", field);
    const KubeYNode *w = kube_y_get(r, "stabilizationWindowSeconds"), *ps = kube_y_seq(c->y, r, "policies");
    kx_out(c, " stabilization_window = %lld", w ? (long long)kx_int(c, w, 0, 3600) : (long long)(strcmp(field, "scale_up") ? 300 : 0));
    const char *sp = kube_y_str(c->y, r, "selectPolicy");
    if (sp) {
        kx_out(c, ", select_policy = ");
        kx_out_str(c, sp);
    }
    if (tol) {
        kx_out(c, ", tolerance = ");
        kx_out_number(c, tol);
    }
    if (ps && ps->n) {
        kx_out(c, ", policies = {");
        for (const KubeYNode *p = ps->first; p && kube_y_want(c->y, p, KUBE_Y_MAP); p = p->next) {
            const KubeYNode *v = kube_y_get(p, "value"), *per = kube_y_get(p, "periodSeconds");
            const char *type = kube_y_str(c->y, p, "type");
            kx_out(c, "%s{ type = ", p == ps->first ? " " : ", ");
            kx_out_str(c, type ? type : "Pods");
            kx_out(c, ", value = %lld, period = %lld }", v ? (long long)kx_int(c, v, 1, 1000000000) : 1LL,
                   per ? (long long)kx_int(c, per, 1, 1800) : 60LL);
        }
        kx_out(c, " }");
    }
    kx_out(c, " },");
}

static void behavior(KxImp *c, const KxDoc *d)
{
    const KubeYNode *b = kube_y_map(c->y, d->root, "spec.behavior");
    const KubeYNode *tu = kx_annotation_node(c, d->root, "kubesim.io/scale-up-tolerance");
    const KubeYNode *td = kx_annotation_node(c, d->root, "kubesim.io/scale-down-tolerance");
    if (b == NULL && tu == NULL && td == NULL)
        return;
    kx_out(c, ",\n    behavior = {");
    rules(c, "scale_up", kube_y_map(c->y, b, "scaleUp"), tu);
    rules(c, "scale_down", kube_y_map(c->y, b, "scaleDown"), td);
    kx_out(c, " }");
}

/* The HPA's target is among the imported Deployments (else it scales
 * nothing here). The Deployments' names go into the seen set once, so each
 * HPA's look-up is constant time. */
static int target_found(KxImp *c, const char *name)
{
    if (!kx_seen(c, "deployments indexed", "", ""))
        for (const KxDoc *e = c->docs; e; e = e->next)
            if (e->kind && strcmp(e->kind, "Deployment") == 0)
                (void)kx_seen(c, "deployment", e->name, "");
    return name && kx_has(c, "deployment", name, "");
}

void kx_imp_hpas(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "HorizontalPodAutoscaler")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        const KubeYNode *s = kube_y_map(c->y, d->root, "spec"), *ms = kube_y_seq(c->y, s, "metrics");
        const char *target = kube_y_str(c->y, s, "scaleTargetRef.name");
        if (!target_found(c, target)) {
            kx_out(c, "-- HorizontalPodAutoscaler/");
            kx_out_comment(c, d->name ? d->name : "");
            kx_out(c, ": its target is not in the manifests\n");
            continue;
        }
        const KubeYNode *min = kube_y_get(s, "minReplicas"), *max = kube_y_get(s, "maxReplicas");
        kx_out(c, "hpa { name = ");
        kx_out_str(c, d->name);
        kx_out(c, ", target = ");
        kx_out_str(c, target);
        kx_out(c, ", min = %lld, max = %lld,\n    metrics = {", min ? (long long)kx_int(c, min, 0, 1000000) : 1LL,
               max ? (long long)kx_int(c, max, 1, 1000000) : 1LL);
        for (const KubeYNode *m = ms ? ms->first : NULL; m && kube_yaml_rc(c->y) == SIM_OK; m = m->next) {
            kx_out(c, m == ms->first ? " " : ", ");
            metric(c, m);
        }
        kx_out(c, " }");
        behavior(c, d);
        kx_out(c, " }\n");
    }
}

/* ---- traffic ------------------------------------------------------------ */

static int number_in(KxImp *c, const KxDoc *d, const char *key, const char *text);

static int number(KxImp *c, const KxDoc *d, const char *text)
{
    return number_in(c, d, "kubesim.io/traffic", text);
}

/* A duration of the annotation (a surge's start, ramp, hold or decay). */
static void duration(KxImp *c, const KxDoc *d, const char *text)
{
    if (c->o && c->o->is_duration && !c->o->is_duration(text))
        kube_yaml_fail(c->y, NULL, kx_annotation_node(c, d->root, "kubesim.io/traffic"),
                    "'%s' is not a duration (e.g. 90s, 15m)", text);
    kx_out_str(c, text);
}

/* "28800s" (seconds of the day) as "08:00:00". */
static void clock(KxImp *c, const KxDoc *d, const char *t)
{
    char *end;
    long s = strtol(t, &end, 10);
    if (end == t || (*end != '\0' && strcmp(end, "s") != 0) || s < 0 || s >= 86400) {
        kube_yaml_fail(c->y, NULL, kx_annotation_node(c, d->root, "kubesim.io/traffic"),
                    "daily: '%s' is not a time of day in seconds (0s to 86399s)", t);
        return;
    }
    char buf[16];
    snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", (s / 3600) % 24, (s / 60) % 60, s % 60);
    kx_out_str(c, buf);
}

/* A number of the annotation, written back as a Lua number; anything else
 * fails the import (the text goes into a script, so it is never copied as
 * it is). */
static int number_in(KxImp *c, const KxDoc *d, const char *key, const char *text)
{
    char *end;
    double v = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !isfinite(v) || v < 0) {
        kube_yaml_fail(c->y, NULL, kx_annotation_node(c, d->root, key), "'%s' is not a number (0 or more)", text);
        return 0;
    }
    kx_out(c, "%.17g", v);
    return 1;
}

static void daily(KxImp *c, const KxDoc *d, char *list)
{
    kx_out(c, ", daily = {");
    int first = 1;
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(p, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        kx_out(c, "%s{ ", first ? " " : ", ");
        clock(c, d, p);
        kx_out(c, ", ");
        if (!number(c, d, eq + 1))
            return;
        kx_out(c, " }");
        first = 0;
    }
    kx_out(c, " }");
}

static void surges(KxImp *c, const KxDoc *d, char *list)
{
    static const char *const keys[] = {"start", "ramp", "hold", "decay"};
    kx_out(c, ", surges = {");
    int first = 1;
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        char part[4][32], f[32];
        if (sscanf(p, "%31[^+]+%31[^+]+%31[^+]+%31[^*]*%31s", part[0], part[1], part[2], part[3], f) != 5)
            continue;
        kx_out(c, "%s{ ", first ? " " : ", ");
        for (int k = 0; k < 4; k++) {
            kx_out(c, "%s = ", keys[k]);
            duration(c, d, part[k]);
            kx_out(c, ", ");
        }
        kx_out(c, "factor = ");
        if (!number(c, d, f))
            return;
        kx_out(c, " }");
        first = 0;
    }
    kx_out(c, " }");
}

/* The latency from site to e's region: its kubesim.io/latency item
 * "SITE=MS" (the round trip in milliseconds, as the export writes it), else
 * 0 with a note to edit. */
static void rtt(KxImp *c, const KxDoc *e, const char *site)
{
    const char *lat = kx_annotation(c, e->root, "kubesim.io/latency");
    size_t n = strlen(site);
    for (const char *p = lat; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        if (strncmp(p, site, n) != 0 || p[n] != '=')
            continue;
        char ms[32];
        snprintf(ms, sizeof ms, "%.*s", (int)strcspn(p + n + 1, ","), p + n + 1);
        kx_out(c, ", ms = ");
        if (number_in(c, e, "kubesim.io/latency", ms))
            kx_out(c, " }\n");
        return;
    }
    kx_out(c, ", ms = 0 }   -- not in the manifests: edit\n");
}

/* One line "SITE RATE [daily ...] [surge ...]" of a Service's annotation.
 * Names go through kx_out_str; kx_seen keeps a site, a latency or a flow
 * that several Services imply from being declared twice. */
static void flow(KxImp *c, const KxDoc *d, char *line)
{
    char *save = NULL, *site = strtok_r(line, " ", &save), *rate = strtok_r(NULL, " ", &save);
    if (site == NULL || rate == NULL)
        return;
    if (!kx_check_label(c, kx_annotation_node(c, d->root, "kubesim.io/traffic"), "site", site))
        return;
    if (!kx_seen(c, "site", site, "")) {
        kx_out(c, "site { name = ");
        kx_out_str(c, site);
        kx_out(c, " }\n");
    }
    /* Every region whose Service of that name serves the flow needs a round trip. */
    for (const KxDoc *e = d->same_first; e; e = e->same_next)
        if (!kx_seen(c, "latency", site, e->region)) {
            kx_out(c, "latency { from = ");
            kx_out_str(c, site);
            kx_out(c, ", to = ");
            kx_out_str(c, e->region);
            rtt(c, e, site);
        }
    if (kx_seen(c, "traffic", site, d->name))
        return;
    kx_out(c, "traffic { site = ");
    kx_out_str(c, site);
    kx_out(c, ", service = ");
    kx_out_str(c, d->name);
    kx_out(c, ", rate = ");
    if (!number(c, d, rate))
        return;
    for (char *w = strtok_r(NULL, " ", &save); w && kube_yaml_rc(c->y) == SIM_OK; w = strtok_r(NULL, " ", &save)) {
        char *arg = strtok_r(NULL, " ", &save);
        if (arg && strcmp(w, "daily") == 0)
            daily(c, d, arg);
        else if (arg && strcmp(w, "surge") == 0)
            surges(c, d, arg);
    }
    kx_out(c, " }\n");
}

typedef struct Svc {
    KxDoc *d;
    size_t at;   /* reading order */
} Svc;

static int by_name(const void *a, const void *b)
{
    const Svc *x = a, *y = b;
    int k = strcmp(x->d->name, y->d->name);
    return k ? k : (x->at > y->at) - (x->at < y->at);
}

/* Chains the Services of each name in reading order (same_first, same_next),
 * once: sorting keeps it n log n however many Services share names. */
static void link_services(KxImp *c)
{
    size_t n = 0, cap = 0, at = 0;
    Svc *v = NULL;
    for (KxDoc *d = c->docs; d && kube_yaml_rc(c->y) == SIM_OK; d = d->next, at++) {
        if (!d->kind || strcmp(d->kind, "Service") != 0)
            continue;
        void *p = v;
        if (sim_mem_grow(c->m, &p, &cap, n + 1, sizeof *v) != SIM_OK)
            kube_yaml_nomem(c->y);
        else
            v = p, v[n++] = (Svc){d, at};
    }
    if (kube_yaml_rc(c->y) == SIM_OK && n)
        qsort(v, n, sizeof *v, by_name);
    for (size_t i = 0; kube_yaml_rc(c->y) == SIM_OK && i < n; i++) {
        int first = i == 0 || strcmp(v[i - 1].d->name, v[i].d->name) != 0;
        v[i].d->same_first = first ? v[i].d : v[i - 1].d->same_first;
        v[i].d->same_next = i + 1 < n && strcmp(v[i + 1].d->name, v[i].d->name) == 0 ? v[i + 1].d : NULL;
    }
    sim_mem_free(c->m, v, cap * sizeof *v);
}

void kx_imp_traffic(KxImp *c)
{
    if (!kx_seen(c, "services linked", "", ""))
        link_services(c);
    for (KxDoc *d = NULL; (d = kx_next(c, d, "Service")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        const char *t = kx_annotation(c, d->root, "kubesim.io/traffic");
        if (t == NULL)
            continue;
        char *copy = sim_arena_strdup(&c->a, t);
        if (copy == NULL) {
            kube_yaml_nomem(c->y);
            return;
        }
        for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            flow(c, d, l);
    }
}
