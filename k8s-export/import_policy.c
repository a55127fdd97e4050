/*
 * import_policy.c: the cluster's set-up and policy as declarations:
 * namespaces (declared, or named by an object), PriorityClasses (one
 * declaration however many regions hold the class), ResourceQuotas,
 * LimitRanges and PodDisruptionBudgets. PriorityClasses, quotas and PDBs are
 * read by the kube reader (kx_read: kube_priorityclass, kube_quota, kube_pdb)
 * and LimitRanges merged by it (kube_limitrange_merge), as `explain` reads
 * them; what is written keeps the manifest's text where it has one.
 *
 * Invariant: a namespace or class is declared once, at its first document,
 * before any region's objects, so every later reference finds it.
 */
#include "k8s-export/import_int.h"

#include <stdio.h>
#include <string.h>

/* The namespace doc d brings (declares or uses), or NULL. */
static const char *ns_of(const KxDoc *d)
{
    if (d->kind == NULL || strcmp(d->kind, "ConfigMap") == 0 || strcmp(d->kind, "PriorityClass") == 0 ||
        strcmp(d->kind, "NodePool") == 0)
        return NULL;
    const char *ns = strcmp(d->kind, "Namespace") == 0 ? d->name : kx_doc_ns(d);
    return strcmp(ns, "default") == 0 ? NULL : ns;
}

void kx_imp_namespaces(KxImp *c)
{
    for (KxDoc *d = c->docs; d && kube_yaml_rc(c->y) == SIM_OK; d = d->next) {
        const char *ns = ns_of(d);
        if (ns == NULL || kx_seen(c, "namespace", ns, ""))
            continue;
        c->cur = d;
        kx_out(c, "namespace { name = ");
        kx_out_str(c, ns);
        kx_out(c, " }\n");
    }
}

static void read_pc(KubeReader *r, const cJSON *j, const char *path, void *out)
{
    kube_priorityclass(r, j, path, out);
}

/* The class as the kube reader reads it (kube_priorityclass, as explain
 * does); the preemption policy it checked and the description as written. */
static void priorityclass(KxImp *c, const KxDoc *d)
{
    SimPriorityClass pc;
    if (!kx_read(c, d->root, "", read_pc, &pc) || pc.builtin)
        return;   /* built in: the scenario knows it without a declaration */
    c->cur = d;
    kx_out(c, "priorityclass { name = ");
    kx_out_str(c, d->name);
    kx_out(c, ", value = %lld", (long long)pc.value);
    const char *p = kube_y_str(c->y, d->root, "preemptionPolicy");
    /* The export writes a scenario's default class globalDefault: false
     * unless asked (--global-default-priority) and says so here. */
    const char *quiet = kx_annotation(c, d->root, "kubesim.io/global-default");
    if (pc.global_default || (quiet && strcmp(quiet, "true") == 0))
        kx_out(c, ", global_default = true");
    if (p) {
        kx_out(c, ", preemption_policy = ");
        kx_out_str(c, p);
    }
    const char *desc = kube_y_str(c->y, d->root, "description");
    if (desc) {
        kx_out(c, ", description = ");
        kx_out_str(c, desc);
    }
    kx_out(c, " }\n");
}

/* Classes a quota's scope or a pod names without a PriorityClass in the input. */
static void placeholder(KxImp *c, const KxDoc *d, const char *name)
{
    const char *why;
    if (!kx_name_valid(name, KX_DNS1123_SUBDOMAIN, &why)) {
        kube_yaml_fail(c->y, NULL, d->root, "priority class '%s' is not a valid PriorityClass name: %s", name, why);
        return;
    }
    if (sim_priorityclass_builtin(name) || kx_has(c, "class", name, "") || kx_seen(c, "placeholder class", name, ""))
        return;   /* built in, in the input, or named again by a later object */
    c->cur = d;
    kx_out(c, "priorityclass { name = ");
    kx_out_str(c, name);
    kx_out(c, ", value = 0 }   -- named but not in the manifests: edit its value\n");
}

static void scope_classes(KxImp *c, const KxDoc *d, void (*fn)(KxImp *, const KxDoc *, const char *))
{
    const KubeYNode *me = kube_y_seq(c->y, d->root, "spec.scopeSelector.matchExpressions");
    for (const KubeYNode *e = me ? me->first : NULL; e && kube_y_want(c->y, e, KUBE_Y_MAP); e = e->next) {
        const char *scope = kube_y_str(c->y, e, "scopeName");
        const KubeYNode *vals = kube_y_seq(c->y, e, "values");
        if (scope == NULL || strcmp(scope, "PriorityClass") != 0 || vals == NULL)
            continue;
        for (const KubeYNode *v = vals->first; v && kube_y_want(c->y, v, KUBE_Y_SCALAR); v = v->next)
            fn(c, d, v->s);
    }
}

static const KubeYNode *pod_spec(KxImp *c, const KxDoc *d)
{
    const KubeYNode *s = kube_y_map(c->y, d->root, "spec.template.spec");
    return s ? s : kube_y_map(c->y, d->root, "spec.jobTemplate.spec.template.spec");
}

void kx_imp_priorityclasses(KxImp *c)
{
    for (KxDoc *d = c->docs; d && kube_yaml_rc(c->y) == SIM_OK; d = d->next)
        if (d->kind && strcmp(d->kind, "PriorityClass") == 0 && !kx_seen(c, "class", d->name, ""))
            priorityclass(c, d);
    /* The built-in classes (a dump lists them) are there without a declaration. */
    for (KxDoc *d = c->docs; d && kube_yaml_rc(c->y) == SIM_OK; d = d->next) {
        if (d->kind == NULL)
            continue;
        if (strcmp(d->kind, "ResourceQuota") == 0)
            scope_classes(c, d, placeholder);
        const char *pc = kube_y_str(c->y, pod_spec(c, d), "priorityClassName");
        if (pc)
            placeholder(c, d, pc);
    }
}

/* The hard limits in the order written, each value as written (kube_quota
 * has checked every key is a resource kubesim models, and every value). */
static void hard(KxImp *c, const KubeYNode *h)
{
    kx_out(c, ", hard = {");
    for (const KubeYNode *k = h ? h->first : NULL; k; k = k->next) {
        int r = sim_quota_res_parse(k->key);
        int milli = r >= 0 && sim_quota_res_milli((SimQuotaRes)r);
        kx_out(c, k == h->first ? " " : ", ");
        kx_out_key(c, k->key);
        if (milli || strstr(k->key, "memory"))
            kx_out_quantity(c, k, milli);
        else
            kx_out(c, "%lld", (long long)kx_quantity(c, k, 0));
    }
    kx_out(c, h && h->n ? " }" : "}");
}

/* The scope as the scenario's quota takes it: one PriorityClass In (...)
 * expression, its values the classes. kube_quota reads any operator (explain
 * admits with it); a scope kubesim's scenarios cannot say is refused rather
 * than written as something else. */
static void scope(KxImp *c, const KxDoc *d, const SimSelector *sc)
{
    if (sc->nreqs > 1 || (sc->nreqs == 1 && sc->reqs[0].op != SIM_SEL_IN)) {
        kube_yaml_fail(c->y, NULL, kube_y_get(d->root, "spec.scopeSelector"),
                       "a scenario's quota takes one PriorityClass In (...) expression");
        return;
    }
    kx_out(c, ", priority_classes = {");
    for (size_t i = 0; sc->nreqs && i < sc->reqs[0].nvalues; i++) {
        kx_out(c, " ");
        kx_out_str(c, sc->reqs[0].values[i]);
        kx_out(c, ",");
    }
    kx_out(c, " }");
}

typedef struct QuotaRead {
    KubeMeta meta;
    SimQuota q;
} QuotaRead;

static void read_quota(KubeReader *r, const cJSON *j, const char *path, void *out)
{
    QuotaRead *q = out;
    kube_quota(r, j, path, &q->meta, &q->q);
}

/* The quota as the kube reader reads it (kube_quota), as `explain` reads one. */
void kx_imp_quotas(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "ResourceQuota")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        QuotaRead q;
        if (!kx_read(c, d->root, "", read_quota, &q))
            return;
        if (q.q.hard_set == 0) {
            kx_out(c, "-- ResourceQuota/");
            kx_out_comment(c, d->name);
            kx_out(c, " sets no hard limits: nothing to enforce\n");
            continue;
        }
        kx_out_head(c, "quota", d, 1);
        hard(c, kube_y_map(c->y, d->root, "spec.hard"));
        if (kube_y_get(d->root, "spec.scopeSelector"))
            scope(c, d, &q.q.scope);
        kx_out(c, " }\n");
    }
}

/* The Container items of a LimitRange: their values for the kube reader's
 * merge and the nodes they were written in (node[item][field][res]). */
typedef struct LrItems {
    KubeLrItem *v;
    const KubeYNode *(*node)[KUBE_LR_FIELDS][KUBE_LR_RES];
    size_t n;
} LrItems;

static void lr_item(KxImp *c, const KubeYNode *l, KubeLrItem *it, const KubeYNode *node[KUBE_LR_FIELDS][KUBE_LR_RES])
{
    static const char *const fields[] = {"default", "defaultRequest", "min", "max"};
    static const char *const res[] = {"cpu", "memory"};
    for (int f = 0; f < KUBE_LR_FIELDS; f++) {
        const KubeYNode *m = kube_y_map(c->y, l, fields[f]);
        for (int r = 0; r < KUBE_LR_RES; r++) {
            node[f][r] = kube_y_get(m, res[r]);   /* m: a checked map */
            it->given[f][r] = node[f][r] != NULL;
            it->v[f][r] = node[f][r] ? kx_quantity(c, node[f][r], r == KUBE_LR_CPU) : 0;
        }
    }
}

static int lr_items(KxImp *c, const KxDoc *d, LrItems *out)
{
    const KubeYNode *ls = kube_y_seq(c->y, d->root, "spec.limits");
    size_t n = ls ? ls->n : 0;
    out->n = 0;
    out->v = sim_arena_alloc(&c->a, (n ? n : 1) * sizeof *out->v);
    out->node = sim_arena_alloc(&c->a, (n ? n : 1) * sizeof *out->node);
    if (out->v == NULL || out->node == NULL) {
        kube_yaml_nomem(c->y);
        return 0;
    }
    for (const KubeYNode *l = ls ? ls->first : NULL; l && kube_y_want(c->y, l, KUBE_Y_MAP); l = l->next) {
        const char *type = kube_y_str(c->y, l, "type");
        if (type && strcmp(type, "Container") == 0) {
            memset(&out->v[out->n], 0, sizeof out->v[out->n]);
            lr_item(c, l, &out->v[out->n], out->node[out->n]);
            out->n++;
        }
    }
    return kube_yaml_rc(c->y) == SIM_OK;
}

/* One field of the merged LimitRange, each value as its manifest wrote it. */
static void lr_field(KxImp *c, const char *field, const LrItems *it, const KubeLrPick pick[KUBE_LR_RES])
{
    static const char *const res[] = {"cpu", "memory"};
    if (pick[KUBE_LR_CPU].item < 0 && pick[KUBE_LR_MEM].item < 0)
        return;
    kx_out(c, ", %s = {", field);
    for (int r = 0; r < KUBE_LR_RES; r++) {
        if (pick[r].item < 0)
            continue;
        kx_out(c, "%s %s = ", r && pick[0].item >= 0 ? "," : "", res[r]);
        kx_out_quantity(c, it->node[pick[r].item][pick[r].field][r], r == KUBE_LR_CPU);
    }
    kx_out(c, " }");
}

void kx_imp_limitranges(KxImp *c)
{
    static const char *const fields[] = {"default", "default_request", "min", "max"};
    for (KxDoc *d = NULL; (d = kx_next(c, d, "LimitRange")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        LrItems it;
        if (!lr_items(c, d, &it))
            return;
        if (it.n == 0) {
            kx_out(c, "-- LimitRange/");
            kx_out_comment(c, d->name);
            kx_out(c, " has no Container limits: nothing to simulate\n");
            continue;
        }
        KubeLrPick pick[KUBE_LR_FIELDS][KUBE_LR_RES];
        kube_limitrange_merge(it.v, it.n, pick);   /* as the kube reader merges them for explain */
        kx_out_head(c, "limitrange", d, 1);
        for (int f = 0; f < KUBE_LR_FIELDS; f++)
            lr_field(c, fields[f], &it, pick[f]);
        kx_out(c, " }\n");
    }
}

/* A selector as the scenario's pdb takes it: a map of labels when every
 * requirement is one (In with one value), else { match_labels,
 * match_expressions }. */
static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"};

static int single_in(const SimSelReq *r) { return r->op == SIM_SEL_IN && r->nvalues == 1; }

static void labels(KxImp *c, const SimSelector *sel, size_t n)
{
    kx_out(c, "{");
    for (size_t i = 0, k = 0; i < sel->nreqs; i++) {
        if (!single_in(&sel->reqs[i]))
            continue;
        kx_out(c, k++ ? ", " : " ");
        kx_out_key(c, sel->reqs[i].key);
        kx_out_str(c, sel->reqs[i].values[0]);
    }
    kx_out(c, n ? " }" : "}");
}

static void expression(KxImp *c, const SimSelReq *r, int first)
{
    kx_out(c, "%s{ key = ", first ? " " : ", ");
    kx_out_str(c, r->key);
    kx_out(c, ", operator = ");
    kx_out_str(c, ops[r->op]);
    if (r->nvalues) {
        kx_out(c, ", values = {");
        for (size_t v = 0; v < r->nvalues; v++) {
            kx_out(c, v ? ", " : " ");
            kx_out_str(c, r->values[v]);
        }
        kx_out(c, " }");
    }
    kx_out(c, " }");
}

static void selector(KxImp *c, const SimSelector *sel)
{
    size_t plain = 0, k = 0;
    for (size_t i = 0; i < sel->nreqs; i++)
        plain += (size_t)single_in(&sel->reqs[i]);
    if (plain == sel->nreqs) {
        labels(c, sel, plain);
        return;
    }
    kx_out(c, "{ match_labels = ");
    labels(c, sel, plain);
    kx_out(c, ", match_expressions = {");
    for (size_t i = 0; i < sel->nreqs; i++)
        if (!single_in(&sel->reqs[i]))
            expression(c, &sel->reqs[i], k++ == 0);
    kx_out(c, " } }");
}

typedef struct PdbRead {
    KubeMeta meta;
    SimPdb pdb;
} PdbRead;

static void read_pdb(KubeReader *r, const cJSON *j, const char *path, void *out)
{
    PdbRead *p = out;
    kube_pdb(r, j, path, &p->meta, &p->pdb);
}

/* The PDB as the kube reader reads it (kube_pdb: its whole selector, one of
 * minAvailable and maxUnavailable), as `explain` reads one. */
void kx_imp_pdbs(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "PodDisruptionBudget")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        PdbRead p;
        if (!kx_read(c, d->root, "", read_pdb, &p))
            return;
        kx_out_head(c, "pdb", d, 1);
        kx_out(c, ", selector = ");
        selector(c, &p.pdb.selector);
        kx_out(c, ", %s = ", p.pdb.max_unavailable ? "max_unavailable" : "min_available");
        kx_out(c, p.pdb.percent ? "\"%d%%\"" : "%d", (int)p.pdb.value);
        kx_out(c, " }\n");
    }
}
