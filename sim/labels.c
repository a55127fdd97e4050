/*
 * labels.c: node labels and label selectors, as upstream evaluates them
 * (k8s.io/apimachinery labels.Selector, component-helpers NodeSelector):
 * In / NotIn / Exists / DoesNotExist, and Gt / Lt comparing the label as an
 * integer (a value that is not an integer does not match).
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdlib.h>

#define LABEL_HOSTNAME "kubernetes.io/hostname"
#define LABEL_ZONE "topology.kubernetes.io/zone"
#define LABEL_REGION "topology.kubernetes.io/region"
#define LABEL_INSTANCE "node.kubernetes.io/instance-type"
#define LABEL_GROUP "kubesim.io/node-group"

static const char *kv_find(const SimKV *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

const char *sim_node_label(SimEngine *e, uint32_t node, const char *key)
{
    const SimNode *n = &e->nodes.v[node];
    const SimNodeGroup *g = &e->groups.v[n->group];
    const char *v = kv_find(g->labels, g->nlabels, key);
    if (v)
        return v;
    if (strcmp(key, LABEL_HOSTNAME) == 0)
        return n->name;
    if (strcmp(key, LABEL_ZONE) == 0)
        return n->zone == SIM_NONE ? NULL : e->zones.v[n->zone].name;
    if (strcmp(key, LABEL_REGION) == 0)
        return e->regions.v[n->region].name;
    if (strcmp(key, LABEL_INSTANCE) == 0)
        return g->instance_type;
    if (strcmp(key, LABEL_GROUP) == 0)
        return g->name;
    return NULL;
}

static int parse_int(const char *s, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *s != '\0' && *end == '\0';
}

static int value_in(const SimSelReq *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return 1;
    return 0;
}

/* One requirement against a label value (NULL: the label is absent). */
static int req_matches(const SimSelReq *r, const char *v)
{
    long long a, b;
    switch (r->op) {
    case SIM_SEL_IN: return v != NULL && value_in(r, v);
    case SIM_SEL_NOT_IN: return v == NULL || !value_in(r, v);
    case SIM_SEL_EXISTS: return v != NULL;
    case SIM_SEL_DOES_NOT_EXIST: return v == NULL;
    case SIM_SEL_GT:
    case SIM_SEL_LT:
        if (v == NULL || r->nvalues != 1 || !parse_int(v, &a) || !parse_int(r->values[0], &b))
            return 0;
        return r->op == SIM_SEL_GT ? a > b : a < b;
    }
    return 0;
}

int sim_selector_matches(const SimSelector *sel, const SimKV *labels, size_t nlabels)
{
    for (size_t i = 0; i < sel->nreqs; i++)
        if (!req_matches(&sel->reqs[i], kv_find(labels, nlabels, sel->reqs[i].key)))
            return 0;
    return 1;
}

int sim_node_matches(SimEngine *e, uint32_t node, const SimSelector *sel)
{
    for (size_t i = 0; i < sel->nreqs; i++)
        if (!req_matches(&sel->reqs[i], sim_node_label(e, node, sel->reqs[i].key)))
            return 0;
    return 1;
}

/* Upstream v1.Toleration.ToleratesTaint: the effect matches (or the
 * toleration names none), the key matches (or Exists with an empty key), and
 * with Equal the values match. */
int sim_tolerates(const SimToleration *tol, size_t ntol, const SimTaint *taint)
{
    for (size_t i = 0; i < ntol; i++) {
        const SimToleration *t = &tol[i];
        if (t->effect >= 0 && t->effect != (int)taint->effect)
            continue;
        int any_key = t->key == NULL || t->key[0] == '\0';
        if (!any_key && strcmp(t->key, taint->key) != 0)
            continue;
        if (any_key && t->op != SIM_TOL_EXISTS)
            continue;
        if (t->op == SIM_TOL_EXISTS || strcmp(t->value ? t->value : "", taint->value ? taint->value : "") == 0)
            return 1;
    }
    return 0;
}
