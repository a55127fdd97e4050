/*
 * profile.c: the default profile (k8s-behaviour.md §3.1) in upstream order,
 * the reason texts of its filters, and the per-node wrappers the table
 * exposes (the cycle itself runs the plugins over arrays of nodes).
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

/* ---- per-node wrappers ------------------------------------------------------------ */
uint32_t sched_cycle_local(const SchedCycle *c, const SimNode *n)
{
    uint32_t id = (uint32_t)(n - sim_node(c->e, 0));
    return sched_local(c->st->s, id);
}

/* Runs one plugin's part of the filter on a node of the cycle's region. */
static int filter_with(const SchedCycle *c, const SimNode *n, char *reason, size_t len, int plugin)
{
    if (c->st == NULL)
        return 1;   /* needs the cycle state */
    uint32_t li = sched_cycle_local(c, n);
    const SchedCycleState *st = c->st;
    const SchedRow *row = &st->rg->rows[li];
    uint32_t code = R_PASS;
    switch (plugin) {
    case P_UNSCHEDULABLE: code = (row->flags & ROW_CORDONED) && !st->w->tol_unsched ? R_UNSCHEDULABLE : R_PASS; break;
    case P_NODENAME: code = st->only_reason == R_NODENAME && li != st->only ? R_NODENAME : R_PASS; break;
    case P_TAINT: code = R_KIND(st->w->cls[row->cls].filter) == R_TAINT ? st->w->cls[row->cls].filter : R_PASS; break;
    case P_NODEAFFINITY: {
        uint32_t node = (uint32_t)(n - sim_node(c->e, 0));
        int ok = st->w->aff_per_node ? sched_node_affinity_matches(c->e, st->spec, node) : st->w->cls[row->cls].aff_ok;
        ok = ok && !(st->only_reason == R_AFFINITY && li != st->only);
        code = ok ? R_PASS : R_AFFINITY;
        break;
    }
    case P_SPREAD: code = sched_spread_filter(st, li, row); break;
    case P_INTERPOD: code = sched_interpod_filter(st, li, row); break;
    default: break;
    }
    if (code != R_PASS)
        sched_reason_text(c->e, code, reason, len);
    else if (len)
        reason[0] = '\0';
    return code == R_PASS;
}

static int f_unsched(const SchedCycle *c, const SimNode *n, char *r, size_t l) { return filter_with(c, n, r, l, P_UNSCHEDULABLE); }
static int f_nodename(const SchedCycle *c, const SimNode *n, char *r, size_t l) { return filter_with(c, n, r, l, P_NODENAME); }
static int f_taint(const SchedCycle *c, const SimNode *n, char *r, size_t l) { return filter_with(c, n, r, l, P_TAINT); }
static int f_nodeaff(const SchedCycle *c, const SimNode *n, char *r, size_t l) { return filter_with(c, n, r, l, P_NODEAFFINITY); }
static int f_spread(const SchedCycle *c, const SimNode *n, char *r, size_t l) { return filter_with(c, n, r, l, P_SPREAD); }
static int f_interpod(const SchedCycle *c, const SimNode *n, char *r, size_t l) { return filter_with(c, n, r, l, P_INTERPOD); }

/* One node's raw score, with PreScore run over that node alone (so a
 * PodTopologySpread weight counts one scored node). */
static int64_t score_with(const SchedCycle *c, const SimNode *n, int plugin)
{
    if (c->st == NULL)
        return 0;
    uint32_t li = sched_cycle_local(c, n);
    SchedScorePrep p;
    if (sched_prescore(c->st, &li, 1, NULL, &p) != SIM_OK)
        return 0;
    return sched_raw_score(c->st, &p, plugin, li);
}

static int64_t s_taint(const SchedCycle *c, const SimNode *n) { return score_with(c, n, P_TAINT); }
static int64_t s_nodeaff(const SchedCycle *c, const SimNode *n) { return score_with(c, n, P_NODEAFFINITY); }
static int64_t s_spread(const SchedCycle *c, const SimNode *n) { return score_with(c, n, P_SPREAD); }
static int64_t s_interpod(const SchedCycle *c, const SimNode *n) { return score_with(c, n, P_INTERPOD); }
static int64_t s_image(const SchedCycle *c, const SimNode *n) { (void)c; (void)n; return 0; }

static void n_taint(const SchedCycle *c, int64_t *s, size_t n) { (void)c; sched_normalize_taint(s, n); }
static void n_nodeaff(const SchedCycle *c, int64_t *s, size_t n) { (void)c; sched_normalize_nodeaff(s, n); }
static void n_spread(const SchedCycle *c, int64_t *s, size_t n) { (void)c; sched_normalize_spread(s, n); }
static void n_interpod(const SchedCycle *c, int64_t *s, size_t n) { (void)c; sched_normalize_interpod(s, n); }

static const SchedPlugin default_plugins[P_COUNT] = {
    [P_UNSCHEDULABLE] = {"NodeUnschedulable", 0, f_unsched, NULL, NULL},
    [P_NODENAME] = {"NodeName", 0, f_nodename, NULL, NULL},
    [P_TAINT] = {"TaintToleration", 3, f_taint, s_taint, n_taint},
    [P_NODEAFFINITY] = {"NodeAffinity", 2, f_nodeaff, s_nodeaff, n_nodeaff},
    [P_FIT] = {"NodeResourcesFit", 1, sched_fit_filter, sched_fit_score_least_allocated, NULL},
    [P_SPREAD] = {"PodTopologySpread", 2, f_spread, s_spread, n_spread},
    [P_INTERPOD] = {"InterPodAffinity", 2, f_interpod, s_interpod, n_interpod},
    [P_BALANCED] = {"NodeResourcesBalancedAllocation", 1, NULL, sched_balanced_score, NULL},
    [P_IMAGE] = {"ImageLocality", 1, NULL, s_image, NULL},
};

const SchedPlugin *sched_default_plugins(size_t *n)
{
    *n = P_COUNT;
    return default_plugins;
}
