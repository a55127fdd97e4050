/*
 * import_hpa.c: HorizontalPodAutoscalers (autoscaling/v2, read by the kube
 * reader's kube_hpa_spec, as `explain hpa` reads them) and the serving
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

/* The spec is read by the kube reader (kube_hpa_spec), as `explain hpa`
 * reads one; what follows writes what the manifest gave back as Lua. */
static void target(KxImp *c, const KubeHpaMetric *m)
{
    kx_out(c, ", target = { type = ");
    kx_out_str(c, kube_hpa_target_names[m->target]);
    if (m->target == KUBE_HPA_UTILIZATION) {
        kx_out(c, ", average_utilization = %d", (int)m->utilization);
    } else {
        kx_out(c, ", %s = ", m->target == KUBE_HPA_VALUE ? "value" : "average_value");
        kx_out_str(c, m->quantity ? m->quantity : "");
    }
    kx_out(c, " }");
}

/* The value of the selector's queue label (matchLabels {queue: Q}), or NULL. */
static const char *queue_of(const SimSelector *sel)
{
    for (size_t i = 0; i < sel->nreqs; i++)
        if (strcmp(sel->reqs[i].key, "queue") == 0 && sel->reqs[i].op == SIM_SEL_IN && sel->reqs[i].nvalues == 1)
            return sel->reqs[i].values[0];
    return NULL;
}

/* A metric's name; one with selector {queue: Q} is the queue's series Q/NAME. */
static void metric_name(KxImp *c, const KubeHpaMetric *m)
{
    const char *q = queue_of(&m->selector), *name = m->name ? m->name : "";
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s%s", q ? q : "", q ? "/" : "", name);
    kx_out(c, ", name = ");
    kx_out_str(c, buf);
}

static void metric(KxImp *c, const KubeHpaMetric *m)
{
    kx_out(c, "{ type = ");
    kx_out_str(c, kube_hpa_source_names[m->source]);
    metric_name(c, m);
    if (m->container) {
        kx_out(c, ", container = ");
        kx_out_str(c, m->container);
    }
    target(c, m);
    kx_out(c, " }");
}

/* One direction: the window (defaulted as upstream: 0 up, 300 down), the
 * select policy and policies as given, and the tolerance the export keeps in
 * an annotation (tol) or, failing it, the spec's own (v1.33+). */
static void rules(KxImp *c, const char *field, const KubeHpaRules *r, const KubeYNode *tol)
{
    if (!r->given && tol == NULL)
        return;
    int down = strcmp(field, "scale_up") != 0;
    kx_out(c, " %s = {", field);
    kx_out(c, " stabilization_window = %lld", r->has_window ? (long long)r->window_s : down ? 300LL : 0LL);
    if (r->has_select) {
        kx_out(c, ", select_policy = ");
        kx_out_str(c, kube_hpa_select_names[r->select]);
    }
    if (tol) {
        kx_out(c, ", tolerance = ");
        kx_out_number(c, tol);
    } else if (r->has_tolerance) {
        kx_out(c, ", tolerance = "), kx_out_double(c, r->tolerance);
    }
    if (r->npolicies) {
        kx_out(c, ", policies = {");
        for (size_t i = 0; i < r->npolicies; i++) {
            const KubeHpaPolicy *p = &r->policies[i];
            kx_out(c, "%s{ type = \"%s\", value = %lld, period = %lld }", i ? ", " : " ",
                   p->percent ? "Percent" : "Pods", (long long)p->value, (long long)p->period_s);
        }
        kx_out(c, " }");
    }
    kx_out(c, " },");
}

static void behavior(KxImp *c, const KxDoc *d, const KubeHpa *h)
{
    const KubeYNode *tu = kx_annotation_node(c, d->root, "kubesim.io/scale-up-tolerance");
    const KubeYNode *td = kx_annotation_node(c, d->root, "kubesim.io/scale-down-tolerance");
    if (!h->has_behavior && tu == NULL && td == NULL)
        return;
    kx_out(c, ",\n    behavior = {");
    rules(c, "scale_up", &h->up, tu);
    rules(c, "scale_down", &h->down, td);
    kx_out(c, " }");
}

static void read_spec(KubeReader *r, const cJSON *j, const char *path, void *out)
{
    kube_hpa_spec(r, j, path, out);
}

/* The document's spec through the kube reader into *h: 1, or 0 with the
 * reader's failure on the import's handle at the manifest's line. */
static int read_hpa(KxImp *c, const KxDoc *d, KubeHpa *h)
{
    const KubeYNode *s = kube_y_map(c->y, d->root, "spec");
    if (s == NULL && kube_yaml_rc(c->y) == SIM_OK)
        kube_yaml_fail(c->y, NULL, d->root, "spec is required");
    return s && kx_read(c, s, "spec", read_spec, h);
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

void kx_hpa_decl(KxImp *c, const KxDoc *d, const char *name, const KubeHpa *h)
{
    if (!target_found(c, h->target_name)) {
        kx_out(c, "-- %s/", d->kind);
        kx_out_comment(c, d->name ? d->name : "");
        kx_out(c, ": its target is not in the manifests\n");
        return;
    }
    kx_out(c, "hpa { name = ");
    kx_out_str(c, name);
    kx_out(c, ", target = ");
    kx_out_str(c, h->target_name);
    kx_out(c, ", min = %lld, max = %lld,\n    metrics = {", (long long)h->min, (long long)h->max);
    for (size_t i = 0; i < h->nmetrics; i++) {
        kx_out(c, i ? ", " : " ");
        metric(c, &h->metrics[i]);
    }
    kx_out(c, " }");
    behavior(c, d, h);
    kx_out(c, " }\n");
}

void kx_imp_hpas(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "HorizontalPodAutoscaler")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        KubeHpa h;
        if (!read_hpa(c, d, &h))
            return;
        kx_hpa_decl(c, d, d->name, &h);
    }
    kx_imp_scaledobjects(c);
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
    kx_out_double(c, v);
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
