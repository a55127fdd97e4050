/*
 * ca_up.c: the scale-up half of a cluster-autoscaler loop (k8s-behaviour.md
 * §2.2; upstream core/scaleup/orchestrator, estimator/binpacking_estimator.go,
 * expander/ sources): candidate pods, template nodes, the binpacking estimator and
 * the expander chain. It reads the cluster and changes nothing.
 *
 * Candidate pods are grouped into classes (same workload, requests and zone
 * pin): pods of a class share every filter verdict, so each class is checked
 * once per node group, and the packer places a class's pods with one cursor
 * over the opened nodes (nodes only fill up, so a node a pod of the class did
 * not fit never fits a later one). A loop costs O(pending pods + classes x
 * groups + nodes opened), with no allocation once the scratch has grown.
 *
 * Simplifications (README "Fidelity"), with upstream's behaviour:
 *   - The template is the group's declared shape (upstream: a sanitized copy
 *     of a real node of the group, or the provider's TemplateNodeInfo at size
 *     0); kubesim's nodes of a group are all alike, so they agree.
 *   - Template checks are TaintToleration, NodeAffinity (nodeSelector and
 *     required terms over the template's labels), NodeResourcesFit (cpu,
 *     memory, nvidia.com/gpu, pod count) and spec.nodeName (never a new
 *     node). Hostname-keyed required anti-affinity and DoNotSchedule
 *     hostname spread allow one pod of the workload per new node; zone-keyed
 *     spread and required pod affinity are not simulated on new nodes
 *     (upstream runs every Filter plugin against the template in its
 *     snapshot, so e.g. a zone spread can make it choose another zone).
 *   - Pods that fit on existing nodes are dropped with the scheduler's
 *     filters evaluated against the cluster as it is (upstream
 *     FilterOutSchedulable also counts the pods it has just placed for
 *     spread and affinity; here only for resources).
 *   - The price expander prices pods with GCE's per-resource list prices
 *     (upstream's pricing model) against the group's price_per_hour.
 *   - cores-total / memory-total limits are not modelled.
 */
#include "scheduler/ca_int.h"

#include "sim/trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upstream gce pricing: on-demand list prices per hour, and price.go's
 * constants. */
#define CPU_PRICE_HOUR 0.033174
#define MEM_PRICE_GIB_HOUR 0.004446
#define GPU_PRICE_HOUR 0.700
#define GPU_UNFITNESS 1000.0
#define PRICE_STABILIZATION 1e-6
#define SCORE_EPS 1e-9

/* ---- candidates ------------------------------------------------------------ */
/* Spec-level facts of a workload's pods that decide how many fit one node. */
static int one_per_node(const SimPodSpec *sp)
{
    for (size_t i = 0; i < sp->affinity.nreq_anti; i++)
        if (sp->affinity.req_anti[i].topology_key && strcmp(sp->affinity.req_anti[i].topology_key, LABEL_HOSTNAME) == 0)
            return 1;
    for (size_t i = 0; i < sp->nspread; i++)
        if (sp->spread[i].do_not_schedule && sp->spread[i].topology_key &&
            strcmp(sp->spread[i].topology_key, LABEL_HOSTNAME) == 0)
            return 1;
    return 0;
}

static int is_candidate(const SchedCa *ca, const SimPod *p)
{
    return p->phase == SIM_POD_PENDING && p->unschedulable && p->priority >= ca->cfg.expendable_pods_priority_cutoff &&
           p->nominated_node == SIM_NONE && p->target_node == SIM_NONE;
}

static int same_class(const CaPodClass *c, const SimPod *p)
{
    return c->req.cpu_m == p->req.cpu_m && c->req.mem == p->req.mem && c->req.gpu == p->req.gpu &&
           c->zone_pin == p->zone_pin;
}

static int stamp_next(SchedCa *ca)
{
    size_t need = sim_workload_count(ca->e) + 1, old = ca->capstamp;
    if (CA_GROW(ca, ca->wl_slot, ca->capwl, need) || CA_GROW(ca, ca->wl_stamp, ca->capstamp, need))
        return SIM_ENOMEM;
    memset(ca->wl_stamp + old, 0, (ca->capstamp - old) * sizeof *ca->wl_stamp);
    if (++ca->stamp == 0) {   /* wrapped: forget every stamp */
        memset(ca->wl_stamp, 0, ca->capstamp * sizeof *ca->wl_stamp);
        ca->stamp = 1;
    }
    return SIM_OK;
}

static int class_add(SchedCa *ca, uint32_t pod, const SimPod *p)
{
    uint32_t w = p->wl;
    if (ca->wl_stamp[w] == ca->stamp && same_class(&ca->cls[ca->wl_slot[w]], p)) {
        ca->cls[ca->wl_slot[w]].count++;
        return SIM_OK;
    }
    if (CA_GROW(ca, ca->cls, ca->capcls, ca->ncls + 1))
        return SIM_ENOMEM;
    CaPodClass *c = &ca->cls[ca->ncls];
    memset(c, 0, sizeof *c);
    c->wl = w;
    c->pod = pod;
    c->req = p->req;
    c->count = 1;
    c->zone_pin = p->zone_pin;
    c->one_per_node = (uint8_t)one_per_node(&sim_workload(ca->e, w)->spec);
    ca->wl_stamp[w] = ca->stamp;
    ca->wl_slot[w] = (uint32_t)ca->ncls++;
    return SIM_OK;
}

/* Compacts the region's list of Pending pods and groups the candidates. */
static int collect(SchedCa *ca, CaRegion *rs, SchedCaPlan *p)
{
    if (stamp_next(ca) != SIM_OK)
        return SIM_ENOMEM;
    ca->ncls = 0;
    size_t keep = 0;
    for (size_t i = 0; i < rs->npending; i++) {
        uint32_t pod = rs->pending[i];
        const SimPod *q = sim_pod(ca->e, pod);
        if (q->phase != SIM_POD_PENDING)
            continue;
        rs->pending[keep++] = pod;
        if (!is_candidate(ca, q))
            continue;
        p->candidates++;
        if (class_add(ca, pod, q) != SIM_OK)
            return SIM_ENOMEM;
    }
    rs->npending = keep;
    for (size_t c = 0; c < ca->ncls; c++)
        ca->cls[c].left = ca->cls[c].count;
    return SIM_OK;
}

/* ---- templates ------------------------------------------------------------- */
/* DaemonSets are declared at set-up and never deleted: the list only grows. */
int ca_ds_refresh(SchedCa *ca)
{
    uint32_t n = sim_workload_count(ca->e);
    for (; ca->ds_scanned < n; ca->ds_scanned++) {
        if (sim_workload(ca->e, ca->ds_scanned)->kind != SIM_WL_DAEMONSET)
            continue;
        if (CA_GROW(ca, ca->ds, ca->capds, ca->nds + 1))
            return SIM_ENOMEM;
        ca->ds[ca->nds++] = ca->ds_scanned;
    }
    return SIM_OK;
}

static int taints_tolerated(const SimPodSpec *sp, const SimNodeGroup *g)
{
    for (size_t i = 0; i < g->ntaints; i++)
        if (g->taints[i].effect != SIM_TAINT_PREFER_NO_SCHEDULE &&
            !sim_tolerates(sp->tolerations, sp->ntolerations, &g->taints[i]))
            return 0;
    return 1;
}

/* The template's labels: the group's own first (they win), then the ones
 * every node has (sim_node_label), for a node in zone. */
static int labels_build(SchedCa *ca, uint32_t gid, uint32_t zone)
{
    const SimNodeGroup *g = sim_nodegroup(ca->e, gid);
    if (CA_GROW(ca, ca->tl, ca->captl, g->nlabels + 5))
        return SIM_ENOMEM;
    if (g->nlabels)
        memcpy(ca->tl, g->labels, g->nlabels * sizeof *ca->tl);
    size_t n = g->nlabels;
    snprintf(ca->host, sizeof ca->host, "%s-template", g->name);
    ca->tl[n++] = (SimKV){(char *)LABEL_HOSTNAME, ca->host};
    if (zone != SIM_NONE)
        ca->tl[n++] = (SimKV){(char *)LABEL_ZONE, sim_zone(ca->e, zone)->name};
    ca->tl[n++] = (SimKV){(char *)"topology.kubernetes.io/region", sim_region(ca->e, g->region)->name};
    if (g->instance_type)
        ca->tl[n++] = (SimKV){(char *)"node.kubernetes.io/instance-type", g->instance_type};
    ca->tl[n++] = (SimKV){(char *)"kubesim.io/node-group", g->name};
    ca->ntl = n;
    ca->tl_group = gid;
    ca->tl_zone = zone;
    return SIM_OK;
}

/* nodeSelector AND (required terms ORed; an empty term matches nothing). */
static int labels_admit(const SchedCa *ca, const SimPodSpec *sp)
{
    if (!sim_selector_matches(&sp->node_selector, ca->tl, ca->ntl))
        return 0;
    for (size_t i = 0; i < sp->nnode_required; i++)
        if (sp->node_required[i].nreqs > 0 && sim_selector_matches(&sp->node_required[i], ca->tl, ca->ntl))
            return 1;
    return sp->nnode_required == 0;
}

static uint32_t first_zone(const SimNodeGroup *g)
{
    return g->nzones ? g->zones[0] : SIM_NONE;
}

SimRes ca_template_free(SchedCa *ca, uint32_t gid)
{
    const SimNodeGroup *g = sim_nodegroup(ca->e, gid);
    SimRes f = g->alloc;
    if (ca_ds_refresh(ca) != SIM_OK || labels_build(ca, gid, first_zone(g)) != SIM_OK)
        return f;   /* out of memory: sticky on the engine, the loop reports it */
    for (size_t i = 0; i < ca->nds; i++) {
        const SimWorkload *w = sim_workload(ca->e, ca->ds[i]);
        if (w->region != g->region || w->deleted || !taints_tolerated(&w->spec, g) || !labels_admit(ca, &w->spec))
            continue;
        f.cpu_m -= w->spec.req.cpu_m;
        f.mem -= w->spec.req.mem;
        f.gpu -= w->spec.req.gpu;
        f.pods -= 1;
    }
    return f;
}

static int group_has_zone(const SimNodeGroup *g, uint32_t zone)
{
    for (size_t i = 0; i < g->nzones; i++)
        if (g->zones[i] == zone)
            return 1;
    return 0;
}

static int res_fits(const SimRes *r, int64_t cpu, int64_t mem, int64_t gpu, int64_t pods)
{
    return pods >= 1 && r->cpu_m <= cpu && r->mem <= mem && r->gpu <= gpu;
}

/* Does a pod of class c fit an empty template node of group gid (whose
 * labels for its first zone are in ca->tl)? */
static int class_fits(SchedCa *ca, const CaPodClass *c, uint32_t gid, const SimRes *tf)
{
    const SimNodeGroup *g = sim_nodegroup(ca->e, gid);
    const SimPodSpec *sp = &sim_workload(ca->e, c->wl)->spec;
    if (sp->node_name || !res_fits(&c->req, tf->cpu_m, tf->mem, tf->gpu, tf->pods) || !taints_tolerated(sp, g))
        return 0;
    if (c->zone_pin != SIM_NONE) {
        if (!group_has_zone(g, c->zone_pin))
            return 0;
        if (ca->tl_zone != c->zone_pin && labels_build(ca, gid, c->zone_pin) != SIM_OK)
            return 0;
    } else if (ca->tl_zone != first_zone(g) && labels_build(ca, gid, first_zone(g)) != SIM_OK) {
        return 0;
    }
    return labels_admit(ca, sp);
}

/* ---- the binpacking estimator ----------------------------------------------- */
/* Places up to k pods of class c on the bins, first fit, opening bins of
 * shape tf while fewer than maxbins are open (when may_open). Returns how
 * many it placed. */
static uint32_t pack(SchedCa *ca, size_t *nb, size_t maxbins, const CaPodClass *c, uint32_t k, const SimRes *tf,
                     int may_open)
{
    uint32_t placed = 0;
    size_t j = 0;
    const SimRes *r = &c->req;
    while (placed < k) {
        while (j < *nb && !res_fits(r, ca->bins[j].cpu, ca->bins[j].mem, ca->bins[j].gpu, ca->bins[j].pods))
            j++;
        if (j == *nb) {
            if (!may_open || *nb >= maxbins)
                break;
            ca->bins[(*nb)++] = (CaBin){tf->cpu_m, tf->mem, tf->gpu, tf->pods};
        }
        CaBin *b = &ca->bins[j];
        b->cpu -= r->cpu_m;
        b->mem -= r->mem;
        b->gpu -= r->gpu;
        b->pods--;
        placed++;
        if (c->one_per_node)
            j++;
    }
    return placed;
}

/* Upstream binpacking's size score on a template: cpu and memory requests
 * over the node's. */
static double size_score(const SimRes *r, const SimRes *alloc)
{
    double s = 0;
    if (alloc->cpu_m > 0)
        s += (double)r->cpu_m / (double)alloc->cpu_m;
    if (alloc->mem > 0)
        s += (double)r->mem / (double)alloc->mem;
    return s;
}

/* Decreasing score, then class order: the sort is total, so runs repeat. */
static int order_cmp(const void *a, const void *b)
{
    const CaOrder *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->cls < y->cls ? -1 : x->cls > y->cls;
}

/* The classes that fit group gid, in first-fit-decreasing order, into
 * ca->order; returns their count. */
static size_t fitting_order(SchedCa *ca, uint32_t gid, const SimRes *tf)
{
    const SimNodeGroup *g = sim_nodegroup(ca->e, gid);
    size_t n = 0;
    for (size_t c = 0; c < ca->ncls; c++) {
        if (ca->cls[c].left == 0 || !class_fits(ca, &ca->cls[c], gid, tf))
            continue;
        ca->order[n++] = (CaOrder){size_score(&ca->cls[c].req, &g->alloc), (uint32_t)c};
    }
    qsort(ca->order, n, sizeof *ca->order, order_cmp);
    return n;
}

/* ---- existing nodes ------------------------------------------------------------ */
/* Pods that fit on a Ready node now are dropped (upstream
 * FilterOutSchedulable): the scheduler has not retried them yet, e.g. a
 * node became Ready at this very instant. Each class walks the nodes with
 * one cursor over scratch capacity (resources first, then the scheduler's
 * other filters for its first pod), so the pass is O(nodes + pods) per class. */
static int absorb_existing(SchedCa *ca, uint32_t region)
{
    const SimRegion *r = sim_region(ca->e, region);
    if (r->ready_nodes == 0)
        return SIM_OK;
    if (CA_GROW(ca, ca->free, ca->capfree, 4 * r->nnodes))
        return SIM_ENOMEM;
    for (size_t i = 0; i < r->nnodes; i++) {
        SimRes f = sim_node_free(sim_node(ca->e, r->nodes[i]));
        int64_t *x = &ca->free[4 * i];
        x[0] = f.cpu_m, x[1] = f.mem, x[2] = f.gpu, x[3] = f.pods;
    }
    for (size_t c = 0; c < ca->ncls; c++) {
        CaPodClass *k = &ca->cls[c];
        for (size_t li = 0; li < r->nnodes && k->left > 0; li++) {
            const SimNode *n = sim_node(ca->e, r->nodes[li]);
            int64_t *x = &ca->free[4 * li];
            if (n->state != SIM_NODE_READY || n->unschedulable || !res_fits(&k->req, x[0], x[1], x[2], x[3]))
                continue;
            const char *plugin;
            int ok = sched_filter_node(ca->s, k->pod, r->nodes[li], 1, NULL, 0, &plugin);
            if (ok < 0)
                return ok;
            while (ok && k->left > 0 && res_fits(&k->req, x[0], x[1], x[2], x[3])) {
                x[0] -= k->req.cpu_m, x[1] -= k->req.mem, x[2] -= k->req.gpu, x[3]--;
                k->left--;
                if (k->one_per_node)
                    break;
            }
        }
    }
    return SIM_OK;
}

/* ---- upcoming nodes ---------------------------------------------------------- */
/* Pods that fit on nodes still provisioning are dropped from the candidates
 * (upstream adds upcoming nodes to its snapshot before the estimate): each
 * group's upcoming nodes are empty templates, filled first fit decreasing. */
static int absorb_upcoming(SchedCa *ca, uint32_t region)
{
    uint32_t ng = sim_nodegroup_count(ca->e);
    if (CA_GROW(ca, ca->upcoming, ca->capup, ng))
        return SIM_ENOMEM;
    memset(ca->upcoming, 0, ng * sizeof *ca->upcoming);
    const SimRegion *r = sim_region(ca->e, region);
    uint32_t any = 0;
    for (size_t i = 0; i < r->nnodes; i++) {
        const SimNode *n = sim_node(ca->e, r->nodes[i]);
        if (n->state == SIM_NODE_PROVISIONING) {
            ca->upcoming[n->group]++;
            any++;
        }
    }
    for (uint32_t g = 0; any && g < ng; g++) {
        if (ca->upcoming[g] == 0)
            continue;
        if (CA_GROW(ca, ca->bins, ca->capbins, ca->upcoming[g]))
            return SIM_ENOMEM;
        SimRes tf = ca_template_free(ca, g);
        size_t nb = 0, n = fitting_order(ca, g, &tf);
        for (; nb < ca->upcoming[g]; nb++)
            ca->bins[nb] = (CaBin){tf.cpu_m, tf.mem, tf.gpu, tf.pods};
        for (size_t k = 0; k < n; k++) {
            CaPodClass *c = &ca->cls[ca->order[k].cls];
            c->left -= pack(ca, &nb, nb, c, c->left, &tf, 0);
        }
    }
    return SIM_OK;
}

/* ---- options ----------------------------------------------------------------- */
static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

/* How many nodes group g may still grow by, or 0 with the reason. */
static int32_t headroom(SchedCa *ca, uint32_t gid, const char **why)
{
    const SimNodeGroup *g = sim_nodegroup(ca->e, gid);
    const SimRegion *r = sim_region(ca->e, g->region);
    CaGroupState *gs = ca_group(ca, gid);
    *why = NULL;
    if (gs && gs->backoff_until > sim_now(ca->e))
        *why = "backed off";
    else if ((int64_t)g->live_nodes >= g->max)
        *why = "at max size";
    else if (ca->cfg.max_nodes_total > 0 && (int64_t)r->live_nodes >= ca->cfg.max_nodes_total)
        *why = "max-nodes-total reached";
    if (*why)
        return 0;
    int32_t room = min32(g->max - (int32_t)g->live_nodes, ca->cfg.max_nodes_per_scaleup);
    if (ca->cfg.max_nodes_total > 0)
        room = min32(room, ca->cfg.max_nodes_total - (int32_t)r->live_nodes);
    return room;
}

/* Runs the estimator for one group into o and its sums into x. */
static int option_eval(SchedCa *ca, uint32_t gid, SchedCaOption *o, CaOptSums *x)
{
    memset(x, 0, sizeof *x);
    int32_t room = headroom(ca, gid, &o->excluded);
    if (o->excluded)
        return SIM_OK;
    if (CA_GROW(ca, ca->bins, ca->capbins, (size_t)room))
        return SIM_ENOMEM;
    SimRes tf = ca_template_free(ca, gid);
    size_t nb = 0, n = fitting_order(ca, gid, &tf);
    for (size_t k = 0; k < n; k++) {
        const CaPodClass *c = &ca->cls[ca->order[k].cls];
        uint32_t placed = pack(ca, &nb, (size_t)room, c, c->left, &tf, 1);
        o->pods += placed;
        x->cpu += (int64_t)placed * c->req.cpu_m;
        x->mem += (int64_t)placed * c->req.mem;
        x->gpu += (int64_t)placed * c->req.gpu;
    }
    o->nodes = (int32_t)nb;
    uint64_t left = 0;
    for (size_t k = 0; k < ca->ncls; k++)
        left += ca->cls[k].left;
    if (o->pods == 0)   /* nothing left after the existing and upcoming nodes, or no fit */
        o->excluded = left == 0 ? "the pending pods fit on existing or upcoming nodes"
                                : "no pending pod fits the template";
    return SIM_OK;
}

/* ---- expanders ------------------------------------------------------------- */
/* Upstream SimplePreferredNodeProvider: the preferred node's cores grow
 * with the cluster's size. */
static double preferred_cpu_m(uint32_t nodes)
{
    static const uint32_t upto[] = {2, 6, 20, 60, 200};
    double cores = 1;
    for (size_t i = 0; i < sizeof upto / sizeof upto[0] && nodes > upto[i]; i++)
        cores *= 2;
    return cores * 1000.0;
}

/* A group with no price (price = "unknown") scores +inf: upstream's price
 * expander skips an option whose node it fails to price, so the others win,
 * and when none is priced every option ties and the next expander (or the
 * draw) decides. Pricing it at 0 would make it the cheapest. */
static double price_score(SchedCa *ca, const SimNodeGroup *g, const SchedCaOption *o, const CaOptSums *x)
{
    if (g->price_unknown)
        return HUGE_VAL;
    double node_price = g->price_per_hour * (double)o->nodes;
    double pod_price = (double)x->cpu / 1000.0 * CPU_PRICE_HOUR +
                       (double)x->mem / (double)(INT64_C(1) << 30) * MEM_PRICE_GIB_HOUR +
                       (double)x->gpu * GPU_PRICE_HOUR;
    double pref = preferred_cpu_m(sim_region(ca->e, g->region)->ready_nodes);
    double cpu = g->alloc.cpu_m > 0 ? (double)g->alloc.cpu_m : 1.0;
    double unfit = cpu > pref ? cpu / pref : pref / cpu;
    if (g->alloc.gpu > 0 && x->gpu == 0)
        unfit = GPU_UNFITNESS;   /* gpuUnfitnessOverride: keep GPU nodes for GPU pods */
    double suppressed = (unfit - 1.0) * (1.0 - tanh((double)(o->nodes - 1) / 15.0)) + 1.0;
    return suppressed * (node_price + PRICE_STABILIZATION) / (pod_price + PRICE_STABILIZATION);
}

/* least-waste: wasted CPU fraction + wasted memory fraction of the nodes
 * added (upstream waste.go, on the template's capacity). */
static double waste_score(const SimNodeGroup *g, const SchedCaOption *o, const CaOptSums *x)
{
    double cpu = (double)g->alloc.cpu_m * o->nodes, mem = (double)g->alloc.mem * o->nodes;
    double w = 0;
    if (cpu > 0)
        w += (cpu - (double)x->cpu) / cpu;
    if (mem > 0)
        w += (mem - (double)x->mem) / mem;
    return w;
}

/* The expander's score of an option, oriented so that lower is better. */
static double expander_key(SchedCa *ca, SchedCaExpander xp, const SchedCaOption *o, const CaOptSums *x)
{
    const SimNodeGroup *g = sim_nodegroup(ca->e, o->group);
    switch (xp) {
    case SCHED_CA_LEAST_WASTE: return waste_score(g, o, x);
    case SCHED_CA_PRICE: return price_score(ca, g, o, x);
    case SCHED_CA_PRIORITY: return -(double)g->expander_priority;
    case SCHED_CA_MOST_PODS: return -(double)o->pods;
    case SCHED_CA_LEAST_NODES: return (double)o->nodes;
    case SCHED_CA_RANDOM:
    case SCHED_CA_EXPANDER_COUNT: break;
    }
    return 0;
}

/* The score the plan reports: the expander's own value (priority's value,
 * most-pods' pods), not the oriented key. */
static double expander_score(SchedCa *ca, SchedCaExpander xp, const SchedCaOption *o, const CaOptSums *x)
{
    double k = expander_key(ca, xp, o, x);
    return xp == SCHED_CA_PRIORITY || xp == SCHED_CA_MOST_PODS ? -k : k;
}

/* Keeps, among the live options listed in idx, those with the best key. */
static size_t expander_filter(SchedCa *ca, SchedCaExpander xp, SchedCaPlan *p, uint32_t *idx, size_t n)
{
    if (xp == SCHED_CA_RANDOM || n < 2)
        return n;
    double best = HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        double k = expander_key(ca, xp, &p->options[idx[i]], &ca->sums[idx[i]]);
        best = k < best ? k : best;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (expander_key(ca, xp, &p->options[idx[i]], &ca->sums[idx[i]]) <= best + SCORE_EPS * fabs(best) + SCORE_EPS)
            idx[m++] = idx[i];
    return m;
}

/* The expander chain, then a uniform draw among leftover ties from a stream
 * of its own (seeded by the run's seed, the region and the
 * count of its scale-ups), so
 * planning never moves the numbers the run's streams give. */
static void choose(SchedCa *ca, CaRegion *rs, SchedCaPlan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->noptions; i++)
        if (p->options[i].excluded == NULL)
            ca->live[n++] = (uint32_t)i;
    for (size_t k = 0; k < ca->cfg.nexpanders && n > 1; k++)
        n = expander_filter(ca, ca->cfg.expanders[k], p, ca->live, n);
    if (n == 0)
        return;
    size_t pick = 0;
    if (n > 1) {
        SimRng r;
        sim_rng_seed(&r, sim_seed(ca->e), UINT64_C(0xCA0000000000) + (rs->nscaleups << 16) + p->region);
        pick = (size_t)sim_rng_below(&r, n);
    }
    p->chosen = (int32_t)ca->live[pick];
    p->delta = p->options[ca->live[pick]].nodes;
}

/* ---- the scale-up plan ------------------------------------------------------- */
static int options_fill(SchedCa *ca, CaRegion *rs, SchedCaPlan *p)
{
    uint32_t ng = sim_nodegroup_count(ca->e);
    if (CA_GROW(ca, rs->plan_opts, rs->capopt, ng) || CA_GROW(ca, ca->sums, ca->capsums, ng) ||
        CA_GROW(ca, ca->live, ca->caplive, ng) || CA_GROW(ca, ca->order, ca->caporder, ca->ncls + 1))
        return SIM_ENOMEM;
    p->options = rs->plan_opts;
    for (uint32_t g = 0; g < ng; g++) {
        if (sim_nodegroup(ca->e, g)->region != p->region)
            continue;
        SchedCaOption *o = &p->options[p->noptions];
        *o = (SchedCaOption){.group = g, .nodes = 0, .pods = 0, .score = 0, .excluded = NULL};
        int rc = ca->ncls ? option_eval(ca, g, o, &ca->sums[p->noptions]) : SIM_OK;
        if (rc != SIM_OK)
            return rc;
        /* Nothing left to place: say why rather than blame the template. */
        if (ca->ncls == 0 && (o->excluded = NULL, headroom(ca, g, &o->excluded), o->excluded == NULL))
            o->excluded = p->candidates ? "the pending pods fit on existing or upcoming nodes"
                                        : "no unschedulable pods";
        p->noptions++;
    }
    return SIM_OK;
}

int ca_plan_up(SchedCa *ca, CaRegion *rs, SchedCaPlan *p)
{
    p->chosen = -1;
    p->delta = 0;
    p->candidates = 0;
    p->noptions = 0;
    int rc = collect(ca, rs, p);
    if (rc == SIM_OK && ca->ncls && CA_GROW(ca, ca->order, ca->caporder, ca->ncls))
        rc = SIM_ENOMEM;
    if (rc == SIM_OK && ca->ncls)
        rc = absorb_existing(ca, p->region);
    if (rc == SIM_OK && ca->ncls)
        rc = absorb_upcoming(ca, p->region);
    if (rc == SIM_OK)
        rc = options_fill(ca, rs, p);
    if (rc != SIM_OK)
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
    SchedCaExpander first = ca->cfg.nexpanders ? ca->cfg.expanders[0] : SCHED_CA_LEAST_WASTE;
    for (size_t i = 0; i < p->noptions; i++)
        if (p->options[i].excluded == NULL)
            p->options[i].score = expander_score(ca, first, &p->options[i], &ca->sums[i]);
    choose(ca, rs, p);
    return SIM_OK;
}

/* ---- the loop's reasons in the trace ----------------------------------------- */
/* Upstream's skipped-group reasons (core/scaleup/orchestrator): the group
 * cannot grow whatever the pod. */
static const char *skip_reason(const char *excluded)
{
    if (excluded == NULL)
        return NULL;
    if (strcmp(excluded, "backed off") == 0)
        return "in backoff after failed scale-up";
    if (strcmp(excluded, "at max size") == 0)
        return "max node group size reached";
    if (strcmp(excluded, "max-nodes-total reached") == 0)
        return "max total nodes in cluster reached";
    return NULL;
}

/* Why a pod of class c does not fit an empty template node of group gid, in
 * the scheduler filter's words (the first filter that fails, in upstream's
 * order), or "" when it fits. */
static void class_misfit(SchedCa *ca, const CaPodClass *c, uint32_t gid, char *out, size_t n)
{
    const SimNodeGroup *g = sim_nodegroup(ca->e, gid);
    const SimPodSpec *sp = &sim_workload(ca->e, c->wl)->spec;
    SimRes tf = ca_template_free(ca, gid);
    out[0] = '\0';
    if (sp->node_name) {
        snprintf(out, n, "node(s) didn't match the requested node name");
        return;
    }
    for (size_t i = 0; i < g->ntaints; i++)
        if (g->taints[i].effect != SIM_TAINT_PREFER_NO_SCHEDULE &&
            !sim_tolerates(sp->tolerations, sp->ntolerations, &g->taints[i])) {
            snprintf(out, n, "node(s) had untolerated taint {%s: %s}", g->taints[i].key,
                     g->taints[i].value ? g->taints[i].value : "");
            return;
        }
    uint32_t zone = c->zone_pin != SIM_NONE ? c->zone_pin : first_zone(g);
    if (c->zone_pin != SIM_NONE && !group_has_zone(g, c->zone_pin))
        snprintf(out, n, "node(s) had volume node affinity conflict");
    else if ((ca->tl_group != gid || ca->tl_zone != zone) && labels_build(ca, gid, zone) != SIM_OK)
        return;
    else if (!labels_admit(ca, sp))
        snprintf(out, n, "node(s) didn't match Pod's node affinity/selector");
    else if (tf.pods < 1)
        snprintf(out, n, "Too many pods");
    else if (c->req.cpu_m > tf.cpu_m)
        snprintf(out, n, "Insufficient cpu");
    else if (c->req.mem > tf.mem)
        snprintf(out, n, "Insufficient memory");
    else if (c->req.gpu > tf.gpu)
        snprintf(out, n, "Insufficient nvidia.com/gpu");
}

typedef struct Reason {
    char text[CA_WHY_LEN];
    uint32_t count;
} Reason;

static int reason_cmp(const void *a, const void *b)
{
    return strcmp(((const Reason *)a)->text, ((const Reason *)b)->text);
}

/* Upstream ReasonsMessage: per group its reason, equal reasons counted,
 * "<count> <reason>" strings sorted and joined by ", ". Writes "" when some
 * group could take a pod of the class (it is helped, or could be). */
static void no_scale_up_text(SchedCa *ca, const SchedCaPlan *p, const CaPodClass *c, char *out, size_t n)
{
    Reason r[32];
    size_t nr = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->noptions; i++) {
        char t[CA_WHY_LEN];
        const char *skip = skip_reason(p->options[i].excluded);
        if (skip)
            snprintf(t, sizeof t, "%s", skip);
        else
            class_misfit(ca, c, p->options[i].group, t, sizeof t);
        if (t[0] == '\0')
            return;   /* this group fits it */
        size_t k = 0;
        while (k < nr && strcmp(r[k].text, t) != 0)
            k++;
        if (k == nr && nr < sizeof r / sizeof r[0]) {
            memcpy(r[nr].text, t, sizeof t);
            r[nr++].count = 0;
        }
        if (k < nr)
            r[k].count++;
    }
    qsort(r, nr, sizeof r[0], reason_cmp);
    size_t used = (size_t)snprintf(out, n, "pod didn't trigger scale-up:");
    for (size_t k = 0; k < nr && used < n; k++)
        used += (size_t)snprintf(out + used, n - used, "%s %u %s", k ? "," : "", r[k].count, r[k].text);
}

/* One record for the pod when its text differs from the last one traced. */
static int trace_pod_why(SchedCa *ca, uint32_t pod, const char *text)
{
    size_t old = ca->capwhy;
    if (CA_GROW(ca, ca->why_crc, ca->capwhy, (size_t)pod + 1))
        return SIM_ENOMEM;
    if (ca->capwhy > old)
        memset(ca->why_crc + old, 0, (ca->capwhy - old) * sizeof *ca->why_crc);
    uint32_t crc = sim_crc32(0, text, strlen(text)) | 1u;   /* 0: never traced */
    if (ca->why_crc[pod] == crc)
        return SIM_OK;
    ca->why_crc[pod] = crc;
    sim_trace_rec(ca->e, SCHED_TR_CA_NO_SCALE_UP, (SimTrVal[]){SIM_TRI(pod), SIM_TRS(text)}, 2);
    return SIM_OK;
}

/* The class of a candidate pod in this plan (wl_slot first), or NULL. */
static const CaPodClass *class_of(const SchedCa *ca, const SimPod *q)
{
    if (ca->wl_stamp[q->wl] == ca->stamp && same_class(&ca->cls[ca->wl_slot[q->wl]], q))
        return &ca->cls[ca->wl_slot[q->wl]];
    for (size_t k = 0; k < ca->ncls; k++)
        if (ca->cls[k].wl == q->wl && same_class(&ca->cls[k], q))
            return &ca->cls[k];
    return NULL;
}

/* A class's text, computed at its first pod (CA_WHY_TEXT bytes each). */
static const char *class_text(SchedCa *ca, const SchedCaPlan *p, const CaPodClass *c)
{
    size_t k = (size_t)(c - ca->cls);
    char *t = ca->why_text + k * CA_WHY_TEXT;
    if (ca->why_done[k] != ca->stamp) {
        no_scale_up_text(ca, p, c, t, CA_WHY_TEXT);
        ca->why_done[k] = ca->stamp;
    }
    return t;
}

int ca_trace_no_scale_up(SchedCa *ca, CaRegion *rs, const SchedCaPlan *p)
{
    if (CA_GROW(ca, ca->why_text, ca->capwhytext, ca->ncls * CA_WHY_TEXT) ||
        CA_GROW(ca, ca->why_done, ca->capwhydone, ca->ncls))
        return SIM_ENOMEM;
    memset(ca->why_done, 0, ca->ncls * sizeof *ca->why_done);
    for (size_t i = 0; i < rs->npending; i++) {
        uint32_t pod = rs->pending[i];
        const SimPod *q = sim_pod(ca->e, pod);
        char buf[CA_WHY_TEXT];
        const char *text = buf;
        if (q->phase != SIM_POD_PENDING || !q->unschedulable || q->nominated_node != SIM_NONE ||
            q->target_node != SIM_NONE)
            continue;
        if (q->priority < ca->cfg.expendable_pods_priority_cutoff) {
            snprintf(buf, sizeof buf, "pod is expendable: priority %d is below expendable-pods-priority-cutoff %d",
                     q->priority, ca->cfg.expendable_pods_priority_cutoff);
        } else {
            const CaPodClass *c = class_of(ca, q);
            if (c == NULL || c->left == 0)
                continue;   /* it fits on existing or upcoming nodes */
            text = class_text(ca, p, c);
        }
        if (text[0] && trace_pod_why(ca, pod, text) != SIM_OK)
            return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* Why option o lost: its group's limit, the first class's misfit, or the expander. */
static void lost_text(SchedCa *ca, const SchedCaOption *o, const char *xp, char *out, size_t n)
{
    const char *skip = skip_reason(o->excluded);
    out[0] = '\0';
    if (skip) {
        snprintf(out, n, "%s", skip);
        return;
    }
    if (o->excluded == NULL) {
        snprintf(out, n, "not chosen by %s (+%d for %u pods)", xp, (int)o->nodes, o->pods);
        return;
    }
    for (size_t k = 0; k < ca->ncls && strcmp(o->excluded, "no pending pod fits the template") == 0; k++)
        if (ca->cls[k].left) {
            class_misfit(ca, &ca->cls[k], o->group, out, n);
            break;
        }
    if (out[0] == '\0')
        snprintf(out, n, "%s", o->excluded);
}

void ca_trace_decision(SchedCa *ca, const SchedCaPlan *p)
{
    char xp[128], rej[1024];
    size_t used = 0;
    xp[0] = rej[0] = '\0';
    for (size_t k = 0; k < ca->cfg.nexpanders && used < sizeof xp; k++)
        used += (size_t)snprintf(xp + used, sizeof xp - used, "%s%s", k ? "," : "",
                                 sched_ca_expander_name(ca->cfg.expanders[k]));
    if (ca->cfg.nexpanders == 0)
        snprintf(xp, sizeof xp, "%s", sched_ca_expander_name(SCHED_CA_LEAST_WASTE));
    used = 0;
    for (size_t i = 0; i < p->noptions && used < sizeof rej; i++) {
        if ((int32_t)i == p->chosen)
            continue;
        char t[CA_WHY_LEN];
        lost_text(ca, &p->options[i], xp, t, sizeof t);
        used += (size_t)snprintf(rej + used, sizeof rej - used, "%s%s: %s", used ? "; " : "",
                                 sim_nodegroup(ca->e, p->options[i].group)->name, t);
    }
    const SchedCaOption *o = &p->options[p->chosen];
    sim_trace_rec(ca->e, SCHED_TR_CA_DECISION,
                  (SimTrVal[]){SIM_TRI(p->region), SIM_TRI(o->group), SIM_TRI(p->delta), SIM_TRI(o->pods),
                               SIM_TRS(xp), SIM_TRS(rej)}, 6);
}
