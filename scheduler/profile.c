/*
 * profile.c: the default profile (k8s-behaviour.md §3.1) in upstream order:
 * its names, weights and extension points, which the cycle indexes by plugin
 * number (it runs the plugins itself over arrays of nodes: cycle.c, rank.c,
 * filters.c, fit.c, score.c, spread.c, interpod.c), and the reason texts of
 * its filters.
 *
 * Not modelled, so absent from the table: SchedulingGates, PrioritySort (the
 * queue's order, queue.c), NodePorts, the volume plugins, DefaultPreemption
 * (sched_preempt, called by the queue), DefaultBinder. ImageLocality is kept
 * with its weight 1 although the model has no images, so every node scores 0
 * with it, for the totals to match upstream's plugin list.
 */
#include "scheduler/sched_int.h"

#include <stdio.h>

/* ---- reason texts (upstream's ErrReason* strings) ----------------------------- */
int sched_reason_plugin(uint32_t code)
{
    static const int plugin[R_KINDS] = {
        [R_UNSCHEDULABLE] = P_UNSCHEDULABLE, [R_NODENAME] = P_NODENAME, [R_TAINT] = P_TAINT,
        [R_AFFINITY] = P_NODEAFFINITY,       [R_FIT] = P_FIT,           [R_SPREAD] = P_SPREAD,
        [R_SPREAD_LABEL] = P_SPREAD,         [R_IPA_AFF] = P_INTERPOD,  [R_IPA_ANTI] = P_INTERPOD,
        [R_IPA_EXISTING] = P_INTERPOD};
    uint32_t k = R_KIND(code);
    return k < R_KINDS ? plugin[k] : P_FIT;
}

static void fit_text(uint32_t m, char *out, size_t len)
{
    static const char *const names[] = {"Too many pods", "Insufficient cpu", "Insufficient memory",
                                        "Insufficient nvidia.com/gpu"};
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t b = 0; b < 4 && used < len; b++)
        if (m & (1u << b))
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", names[b]);
}

void sched_reason_text(SimEngine *e, uint32_t code, char *out, size_t len)
{
    switch (R_KIND(code)) {
    case R_UNSCHEDULABLE: snprintf(out, len, "node(s) were unschedulable"); break;
    case R_NODENAME: snprintf(out, len, "node(s) didn't match the requested node name"); break;
    case R_TAINT: {
        const SimNodeGroup *g = sim_nodegroup(e, R_AUX(code) >> 8);
        const SimTaint *t = &g->taints[R_AUX(code) & 0xffu];
        snprintf(out, len, "node(s) had untolerated taint {%s: %s}", t->key, t->value ? t->value : "");
        break;
    }
    case R_AFFINITY: snprintf(out, len, "node(s) didn't match Pod's node affinity/selector"); break;
    case R_FIT: fit_text(R_AUX(code), out, len); break;
    case R_SPREAD: snprintf(out, len, "node(s) didn't match pod topology spread constraints"); break;
    case R_SPREAD_LABEL:
        snprintf(out, len, "node(s) didn't match pod topology spread constraints (missing required label)");
        break;
    case R_IPA_AFF: snprintf(out, len, "node(s) didn't match pod affinity rules"); break;
    case R_IPA_ANTI: snprintf(out, len, "node(s) didn't match pod anti-affinity rules"); break;
    case R_IPA_EXISTING: snprintf(out, len, "node(s) didn't satisfy existing pods anti-affinity rules"); break;
    default: snprintf(out, len, "unknown"); break;
    }
}

/* ---- the table ------------------------------------------------------------------ */
static const SchedPlugin default_plugins[P_COUNT] = {
    [P_UNSCHEDULABLE] = {"NodeUnschedulable", 0, 1, 0},
    [P_NODENAME] = {"NodeName", 0, 1, 0},
    [P_TAINT] = {"TaintToleration", 3, 1, 1},
    [P_NODEAFFINITY] = {"NodeAffinity", 2, 1, 1},
    [P_FIT] = {"NodeResourcesFit", 1, 1, 1},
    [P_SPREAD] = {"PodTopologySpread", 2, 1, 1},
    [P_INTERPOD] = {"InterPodAffinity", 2, 1, 1},
    [P_BALANCED] = {"NodeResourcesBalancedAllocation", 1, 0, 1},
    [P_IMAGE] = {"ImageLocality", 1, 0, 1},
};

const SchedPlugin *sched_default_plugins(size_t *n)
{
    *n = P_COUNT;
    return default_plugins;
}
