/*
 * import_pod.c: a pod template as the pod-template fields of a workload
 * declaration. The template is read by the kube reader (kx_pod_read:
 * kube_pod_template and kube_pod_eviction over the YAML made JSON), so every
 * pod field means here what it means to `explain`: requests by upstream's
 * effective-request formula (kube_effective_request: app containers summed,
 * the largest init container, plus the RuntimeClass overhead), limits as the
 * app containers declare them, placement, tolerations, affinity, spread,
 * and the cluster autoscaler's annotations and local volumes. What is
 * written back in the manifest's own form (a limit given, a toleration's
 * operator, a selector's matchLabels) comes from the reader's KubePodGiven.
 * The export's kubesim.io/ annotations restore the simulation-only settings.
 *
 * Simplification: sidecar init containers (restartPolicy Always, counted with
 * the app containers upstream) are not distinguished: every init container
 * counts as a plain one.
 */
#include "k8s-export/import_int.h"

#include "kube/kube.h"

#include <string.h>

/* The template read by the kube reader, and what the autoscaler reads of it
 * (safe-to-evict, local volumes): the same fields `explain` reads a pod with. */
static void read_template(KubeReader *r, const cJSON *j, const char *path, void *out)
{
    KubePod *p = out;
    kube_pod_template(r, j, path, p);
    kube_pod_eviction(r, j, path, &p->spec);
}

int kx_pod_read(KxImp *c, const KubeYNode *tmpl, KubePod *p)
{
    char path[KUBE_PATH];
    memset(p, 0, sizeof *p);
    if (tmpl == NULL || kube_yaml_rc(c->y) != SIM_OK)
        return 0;
    kube_y_path(tmpl, path, sizeof path);
    return kx_read(c, tmpl, path, read_template, p);
}

static void resources(KxImp *c, const KubePod *p)
{
    const SimPodSpec *s = &p->spec;
    if (s->req.cpu_m)
        kx_out(c, ", cpu = "), kx_out_cpu(c, s->req.cpu_m);
    if (s->req.mem)
        kx_out(c, ", memory = "), kx_out_mem(c, s->req.mem);
    if (s->req.gpu)
        kx_out(c, ", gpu = %lld", (long long)s->req.gpu);
    if (p->given.lim & KUBE_RES_CPU)
        kx_out(c, ", cpu_limit = "), kx_out_cpu(c, s->lim_cpu_m);
    if (p->given.lim & KUBE_RES_MEM)
        kx_out(c, ", memory_limit = "), kx_out_mem(c, s->lim_mem);
}

/* { k = "v", ... } of labels, or of requirements that came from a map. */
static void out_kv(KxImp *c, const SimKV *kv, size_t n)
{
    kx_out(c, "{");
    for (size_t i = 0; i < n; i++) {
        kx_out(c, i ? ", " : " ");
        kx_out_key(c, kv[i].key);
        kx_out_str(c, kv[i].value);
    }
    kx_out(c, n ? " }" : "}");
}

static void out_label_reqs(KxImp *c, const SimSelReq *r, size_t n)
{
    kx_out(c, "{");
    for (size_t i = 0; i < n; i++) {
        kx_out(c, i ? ", " : " ");
        kx_out_key(c, r[i].key);
        kx_out_str(c, r[i].nvalues ? r[i].values[0] : "");
    }
    kx_out(c, n ? " }" : "}");
}

/* matchExpressions (or a node term's requirements) as { key, operator, values }. */
static void out_exprs(KxImp *c, const SimSelReq *r, size_t n)
{
    kx_out(c, "{");
    for (size_t i = 0; i < n; i++) {
        kx_out(c, "%s{ key = ", i ? ", " : " ");
        kx_out_str(c, r[i].key);
        kx_out(c, ", operator = ");
        kx_out_str(c, kube_sel_op_names[r[i].op]);
        if (r[i].nvalues) {
            kx_out(c, ", values = {");
            for (size_t v = 0; v < r[i].nvalues; v++) {
                kx_out(c, v ? ", " : " ");
                kx_out_str(c, r[i].values[v]);
            }
            kx_out(c, " }");
        }
        kx_out(c, " }");
    }
    kx_out(c, n ? " }" : "}");
}

/* A LabelSelector in the form it was written: a map of labels alone, or
 * match_labels and match_expressions. */
static void out_selector(KxImp *c, const SimSelector *sel, const KubeSelGiven *g)
{
    size_t nl = g->nlabels < sel->nreqs ? g->nlabels : sel->nreqs;
    if (nl == sel->nreqs) {
        out_label_reqs(c, sel->reqs, nl);
        return;
    }
    kx_out(c, "{ match_labels = ");
    out_label_reqs(c, sel->reqs, nl);
    kx_out(c, ", match_expressions = ");
    out_exprs(c, sel->reqs + nl, sel->nreqs - nl);
    kx_out(c, " }");
}

static void toleration(KxImp *c, const SimToleration *t, unsigned given)
{
    const char *vals[4] = {t->key, t->op == SIM_TOL_EXISTS ? "Exists" : "Equal", t->value,
                           t->effect >= 0 ? kube_taint_effect_names[t->effect] : ""};
    static const char *const keys[] = {"key", "operator", "value", "effect"};
    int first = 1;
    kx_out(c, "{");
    for (unsigned i = 0; i < 4; i++) {
        if (!(given & (1u << i)))   /* KUBE_TOL_KEY .. KUBE_TOL_EFFECT */
            continue;
        kx_out(c, "%s%s = ", first ? " " : ", ", keys[i]);
        kx_out_str(c, vals[i]);
        first = 0;
    }
    if (given & KUBE_TOL_SECONDS)
        kx_out(c, "%sseconds = %lld", first ? " " : ", ", (long long)t->seconds);
    kx_out(c, " }");
}

static void tolerations(KxImp *c, const KubePod *p)
{
    const SimPodSpec *s = &p->spec;
    if (s->ntolerations == 0)
        return;
    kx_out(c, ",\n    tolerations = {");
    for (size_t i = 0; i < s->ntolerations; i++) {
        kx_out(c, i ? ", " : " ");
        toleration(c, &s->tolerations[i], p->given.tolerations[i]);
    }
    kx_out(c, " }");
}

static void node_affinity(KxImp *c, const KubePod *p)
{
    const SimPodSpec *s = &p->spec;
    kx_out(c, "node = {");
    if (p->given.node_required) {
        kx_out(c, " required = {");
        for (size_t i = 0; i < s->nnode_required; i++) {
            kx_out(c, i ? ", " : " ");
            out_exprs(c, s->node_required[i].reqs, s->node_required[i].nreqs);
        }
        kx_out(c, " }%s", p->given.node_preferred ? "," : "");
    }
    if (p->given.node_preferred) {
        kx_out(c, " preferred = {");
        for (size_t i = 0; i < s->nnode_preferred; i++) {
            const SimWeightedTerm *t = &s->node_preferred[i];
            kx_out(c, "%s{ weight = %lld, match = ", i ? ", " : " ", (long long)t->weight);
            out_exprs(c, t->term.reqs, t->term.nreqs);
            kx_out(c, " }");
        }
        kx_out(c, " }");
    }
    kx_out(c, " }");
}

static void pod_term(KxImp *c, const SimPodAffinityTerm *t, const KubeSelGiven *g, int weighted)
{
    kx_out(c, "{ ");
    if (weighted)
        kx_out(c, "weight = %lld, ", (long long)t->weight);
    kx_out(c, "selector = ");
    out_selector(c, &t->selector, g);
    kx_out(c, ", topology_key = ");
    kx_out_str(c, t->topology_key ? t->topology_key : "");
    kx_out(c, " }");
}

/* One side of pod affinity: its required and preferred terms, as given. */
typedef struct PodSide {
    const SimPodAffinityTerm *req, *pref;
    size_t nreq, npref;
    const KubeSelGiven *req_sel, *pref_sel;
    int has_req, has_pref;
} PodSide;

static void pod_affinity(KxImp *c, const char *name, const PodSide *a)
{
    kx_out(c, "%s = {", name);
    if (a->has_req) {
        kx_out(c, " required = {");
        for (size_t i = 0; i < a->nreq; i++) {
            kx_out(c, i ? ", " : " ");
            pod_term(c, &a->req[i], &a->req_sel[i], 0);
        }
        kx_out(c, " }%s", a->has_pref ? "," : "");
    }
    if (a->has_pref) {
        kx_out(c, " preferred = {");
        for (size_t i = 0; i < a->npref; i++) {
            kx_out(c, i ? ", " : " ");
            pod_term(c, &a->pref[i], &a->pref_sel[i], 1);
        }
        kx_out(c, " }");
    }
    kx_out(c, " }");
}

static void affinity(KxImp *c, const KubePod *p)
{
    const KubePodGiven *g = &p->given;
    const SimPodAffinity *a = &p->spec.affinity;
    if (!g->node_affinity && !g->pod_affinity && !g->pod_anti)
        return;
    kx_out(c, ",\n    affinity = { ");
    if (g->node_affinity)
        node_affinity(c, p);
    if (g->pod_affinity) {
        PodSide s = {a->req_affinity, a->pref_affinity, a->nreq_affinity, a->npref_affinity,
                     g->req_affinity_sel, g->pref_affinity_sel, g->req_affinity, g->pref_affinity};
        kx_out(c, g->node_affinity ? ", " : "");
        pod_affinity(c, "pod", &s);
    }
    if (g->pod_anti) {
        PodSide s = {a->req_anti, a->pref_anti, a->nreq_anti, a->npref_anti,
                     g->req_anti_sel, g->pref_anti_sel, g->req_anti, g->pref_anti};
        kx_out(c, g->node_affinity || g->pod_affinity ? ", " : "");
        pod_affinity(c, "pod_anti", &s);
    }
    kx_out(c, " }");
}

static void spread(KxImp *c, const KubePod *p)
{
    const SimPodSpec *s = &p->spec;
    if (s->nspread == 0)
        return;
    kx_out(c, ",\n    spread = {");
    for (size_t i = 0; i < s->nspread; i++) {
        const SimSpread *sp = &s->spread[i];
        kx_out(c, "%s{ max_skew = %lld, topology_key = ", i ? ", " : " ", (long long)sp->max_skew);
        kx_out_str(c, sp->topology_key ? sp->topology_key : "");
        kx_out(c, ", when_unsatisfiable = ");
        kx_out_str(c, sp->do_not_schedule ? "DoNotSchedule" : "ScheduleAnyway");
        if (p->given.spread_sel[i].given) {
            kx_out(c, ", selector = ");
            out_selector(c, &sp->selector, &p->given.spread_sel[i]);
        }
        if (sp->min_domains)
            kx_out(c, ", min_domains = %lld", (long long)sp->min_domains);
        kx_out(c, " }");
    }
    kx_out(c, " }");
}

/* The simulation-only settings the export keeps in annotations. */
static void annotations(KxImp *c, const KubeYNode *tmpl, int8_t safe)
{
    const char *v;
    const KubeYNode *n;
    if ((n = kx_annotation_node(c, tmpl, "kubesim.io/startup")) != NULL) {
        kx_out(c, ", startup = ");
        kx_out_duration(c, n);
    }
    if ((v = kx_annotation(c, tmpl, "kubesim.io/priority")) != NULL)
        kx_out(c, ", priority = %lld",
               (long long)kx_int(c, kx_annotation_node(c, tmpl, "kubesim.io/priority"), -2147483647, 1000000000));
    const char *uc = kx_annotation(c, tmpl, "kubesim.io/usage-cpu"), *um = kx_annotation(c, tmpl, "kubesim.io/usage-memory");
    if (uc || um) {
        kx_out(c, ", usage = {");
        if (uc) {
            kx_out(c, " cpu = ");
            kx_out_str(c, uc);
        }
        if (um) {
            kx_out(c, "%s memory = ", uc ? "," : "");
            kx_out_str(c, um);
        }
        kx_out(c, " }");
    }
    /* "true" and "false" only, as the kube reader reads it (kube_safe_to_evict). */
    if (safe != 0)
        kx_out(c, ", safe_to_evict = %s", safe > 0 ? "true" : "false");
}

void kx_out_pod(KxImp *c, const KubeYNode *tmpl)
{
    KubePod p;
    if (!kx_pod_read(c, tmpl, &p))
        return;
    const SimPodSpec *s = &p.spec;
    resources(c, &p);
    annotations(c, tmpl, s->safe_to_evict);
    if (s->local_storage)
        kx_out(c, ", local_storage = true");
    if (s->termination_grace_set)
        kx_out(c, ", termination_grace = \"%llds\"", (long long)(s->termination_grace / SIM_NS_PER_S));
    if (s->priority_class) {
        kx_out(c, ", priority_class = ");
        kx_out_str(c, s->priority_class);
    }
    if (p.meta.nlabels) {
        kx_out(c, ",\n    labels = ");
        out_kv(c, p.meta.labels, p.meta.nlabels);
    }
    if (s->node_selector.nreqs) {
        kx_out(c, ",\n    node_selector = ");
        out_label_reqs(c, s->node_selector.reqs, s->node_selector.nreqs);
    }
    tolerations(c, &p);
    affinity(c, &p);
    spread(c, &p);
}
