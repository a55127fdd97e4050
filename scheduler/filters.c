/*
 * filters.c: the plugins that judge a node by its labels, taints and spec:
 * NodeUnschedulable, NodeName, TaintToleration (filter and score) and
 * NodeAffinity (filter and score), as upstream's
 * pkg/scheduler/framework/plugins/{nodeunschedulable,nodename,
 * tainttoleration,nodeaffinity}.
 *
 * Labels and taints belong to a node's group (and zone), so the verdicts are
 * computed per node class and cached per workload (index.c); only selectors on
 * kubernetes.io/hostname are evaluated per node.
 */
#include "scheduler/sched_int.h"

/* ---- NodeUnschedulable ------------------------------------------------------- */
/* A pod tolerating node.kubernetes.io/unschedulable:NoSchedule also tolerates
 * spec.unschedulable. */
int sched_tolerates_unschedulable(const SimPodSpec *spec)
{
    SimTaint t = {(char *)TAINT_UNSCHEDULABLE, (char *)"", SIM_TAINT_NO_SCHEDULE};
    return sim_tolerates(spec->tolerations, spec->ntolerations, &t);
}

/* ---- TaintToleration --------------------------------------------------------- */
/* The index of the first NoSchedule or NoExecute taint the pod does not
 * tolerate (upstream FindMatchingUntoleratedTaint), or -1. */
static int first_untolerated(const SimPodSpec *spec, const SimNodeGroup *g)
{
    for (size_t i = 0; i < g->ntaints; i++)
        if (g->taints[i].effect != SIM_TAINT_PREFER_NO_SCHEDULE &&
            !sim_tolerates(spec->tolerations, spec->ntolerations, &g->taints[i]))
            return (int)i;
    return -1;
}

/* Untolerated PreferNoSchedule taints; only tolerations whose effect is
 * PreferNoSchedule or empty count (getAllTolerationPreferNoSchedule). */
static int32_t prefer_count(const SimPodSpec *spec, const SimNodeGroup *g)
{
    int32_t n = 0;
    for (size_t i = 0; i < g->ntaints; i++) {
        if (g->taints[i].effect != SIM_TAINT_PREFER_NO_SCHEDULE)
            continue;
        int ok = 0;
        for (size_t k = 0; k < spec->ntolerations && !ok; k++) {
            const SimToleration *t = &spec->tolerations[k];
            ok = (t->effect < 0 || t->effect == SIM_TAINT_PREFER_NO_SCHEDULE) && sim_tolerates(t, 1, &g->taints[i]);
        }
        n += !ok;
    }
    return n;
}

/* ---- NodeAffinity ---------------------------------------------------------- */
/* A node selector term with no requirements matches nothing (upstream
 * nodeaffinity: an empty NodeSelectorTerm selects no objects). */
static int term_matches(SimEngine *e, uint32_t node, const SimSelector *t)
{
    return t->nreqs > 0 && sim_node_matches(e, node, t);
}

/* nodeSelector AND (required terms ORed). */
int sched_node_affinity_matches(SimEngine *e, const SimPodSpec *spec, uint32_t node)
{
    if (!sim_node_matches(e, node, &spec->node_selector))
        return 0;
    if (spec->nnode_required == 0)
        return 1;
    for (size_t i = 0; i < spec->nnode_required; i++)
        if (term_matches(e, node, &spec->node_required[i]))
            return 1;
    return 0;
}

int64_t sched_node_pref_sum(SimEngine *e, const SimPodSpec *spec, uint32_t node)
{
    int64_t sum = 0;
    for (size_t i = 0; i < spec->nnode_preferred; i++)
        if (term_matches(e, node, &spec->node_preferred[i].term))
            sum += spec->node_preferred[i].weight;
    return sum;
}

uint32_t sched_class_verdict(SimEngine *e, const SimPodSpec *spec, uint32_t node, int per_node_aff,
                             int32_t *tscore, int64_t *pref, uint8_t *aff_ok)
{
    const SimNode *n = sim_node(e, node);
    const SimNodeGroup *g = sim_nodegroup(e, n->group);
    *tscore = prefer_count(spec, g);
    *pref = sched_node_pref_sum(e, spec, node);
    *aff_ok = (uint8_t)(per_node_aff || sched_node_affinity_matches(e, spec, node));
    int t = first_untolerated(spec, g);
    if (t >= 0)
        return R_MAKE(R_TAINT, (n->group << 8) | (uint32_t)t);
    return *aff_ok ? R_PASS : R_AFFINITY;
}

