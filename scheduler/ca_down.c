/*
 * ca_down.c: the scale-down half of a cluster-autoscaler loop
 * (k8s-behaviour.md §2.3; upstream core/scaledown/eligibility,
 * simulator/removal.go, utils/drain, core/scaledown/actuation): which Ready
 * nodes are unneeded now, and acting on it (timers, bulk deletion of empty
 * nodes, one drain at a time).
 *
 * Nodes are judged in the region's node order, within upstream's caps (see
 * capped()): every non-empty node unneeded in the previous loop, a pool of
 * the others, and no more non-empty unneeded nodes than the count once it is
 * reached. A node that passes every check
 * is taken out of the cluster for the rest of the pass: its pods' moves are
 * charged to their destinations' free capacity (scratch), its covered PDBs
 * lose the disruptions it uses, and no later pod may move onto it, as
 * upstream's removal simulator does with its snapshot.
 *
 * Simplifications (README "Fidelity"), with upstream's behaviour:
 *   - Destinations are checked with the scheduler's filters against the
 *     cluster as it is (sched_filter_node) plus the scratch capacity; pods
 *     moved earlier in the pass do not count for spread or affinity of later
 *     ones, and a pod's own replica still counts in its source domain
 *     (upstream re-runs the filters on an updated snapshot).
 *   - The search for a destination starts at the last node a pod of the same
 *     workload went to (upstream hints work the same way); once a pod of a
 *     workload found no place, later pods of that workload in the pass are
 *     not searched again (capacity only shrinks during a pass).
 *   - Pods owned by any kubesim controller count as replicated (upstream
 *     also blocks pods of unknown custom controllers, off by default).
 *   - Candidates and pool nodes are judged together in node order (upstream
 *     simulates the previous loop's unneeded nodes first, then the pool), so
 *     where the count binds, which pool nodes fill it may differ; where no
 *     cap binds the verdicts are the exhaustive pass's (count 0).
 */
#include "scheduler/ca_int.h"

#include <math.h>
#include <string.h>

#include "sim/policy.h"


#define KUBE_SYSTEM "kube-system"

/* ---- utilisation ---------------------------------------------------------------- */
static double frac(int64_t used, int64_t alloc)
{
    return alloc > 0 ? (double)used / (double)alloc : 0.0;
}

static double node_util(SchedCa *ca, const SimNode *n, int *gpu)
{
    *gpu = sim_nodegroup(ca->e, n->group)->alloc.gpu > 0;
    if (*gpu)
        return frac(n->req.gpu, n->alloc.gpu);
    double c = frac(n->req.cpu_m, n->alloc.cpu_m), m = frac(n->req.mem, n->alloc.mem);
    return c > m ? c : m;
}

double ca_node_utilization(SchedCa *ca, uint32_t node, int *gpu)
{
    return node_util(ca, sim_node(ca->e, node), gpu);
}

/* ---- scratch of a pass ---------------------------------------------------------- */
/* A node's free capacity and gone flag are set up the first time the pass
 * touches it (a pass with the caps on touches the nodes it simulates and the
 * destinations it tries, not every node of the region). */
static int scratch(SchedCa *ca, const SimRegion *r)
{
    size_t n = r->nnodes, nw = sim_workload_count(ca->e) + 1, old = ca->capnoplace, olds = ca->capfstamp,
           oldr = ca->caprmark;
    uint32_t ng = sim_nodegroup_count(ca->e), np = sim_pdb_count(ca->e);
    if (CA_GROW(ca, ca->free, ca->capfree, 4 * n) || CA_GROW(ca, ca->gone, ca->capgone, n) ||
        CA_GROW(ca, ca->fstamp, ca->capfstamp, n) || CA_GROW(ca, ca->rmark, ca->caprmark, n) ||
        CA_GROW(ca, ca->hint, ca->caphint, nw) || CA_GROW(ca, ca->noplace, ca->capnoplace, nw) ||
        CA_GROW(ca, ca->group_left, ca->capgl, ng) || CA_GROW(ca, ca->pdb_left, ca->cappdb, np) ||
        CA_GROW(ca, ca->pdbs, ca->cappdbs, np) || ca_ds_refresh(ca) != SIM_OK)
        return SIM_ENOMEM;
    memset(ca->noplace + old, 0, (ca->capnoplace - old) * sizeof *ca->noplace);
    memset(ca->fstamp + olds, 0, (ca->capfstamp - olds) * sizeof *ca->fstamp);
    memset(ca->rmark + oldr, 0, (ca->caprmark - oldr) * sizeof *ca->rmark);
    if (++ca->pass == 0) {
        memset(ca->noplace, 0, ca->capnoplace * sizeof *ca->noplace);
        memset(ca->fstamp, 0, ca->capfstamp * sizeof *ca->fstamp);
        ca->pass = 1;
    }
    for (size_t i = 0; i < nw; i++)
        ca->hint[i] = SIM_NONE;
    return SIM_OK;
}

/* The scratch of local node li: free cpu, mem, gpu, pods. */
static int64_t *slot(SchedCa *ca, const SimRegion *r, uint32_t li)
{
    int64_t *f = &ca->free[4 * (size_t)li];
    if (ca->fstamp[li] != ca->pass) {
        SimRes x = sim_node_free(sim_node(ca->e, r->nodes[li]));
        f[0] = x.cpu_m;
        f[1] = x.mem;
        f[2] = x.gpu;
        f[3] = x.pods;
        ca->gone[li] = 0;
        ca->fstamp[li] = ca->pass;
    }
    return f;
}

/* The node runs a pod that is not a DaemonSet pod. With no DaemonSet in the
 * engine that is any pod at all, told without reading the pod records: the
 * DaemonSet controller is what sets a pod's target node
 * (sim_pod_set_target_node), and ca_is_daemonset looks at nothing else. */
static int busy(SchedCa *ca, uint32_t node)
{
    if (ca->nds == 0)
        return sim_node(ca->e, node)->pods_head != SIM_NONE;
    return ca_has_movable_pods(ca, node);
}

static void pdbs_of_region(SchedCa *ca, uint32_t region)
{
    ca->npdbs = 0;
    uint32_t np = sim_pdb_count(ca->e);
    for (uint32_t k = 0; k < np; k++)
        if (sim_pdb(ca->e, k)->region == region) {
            ca->pdb_left[ca->npdbs] = INT64_MIN;   /* asked when a pod needs it */
            ca->pdbs[ca->npdbs++] = k;
        }
}

/* Nodes each group may still lose: its size over its minimum, less the
 * node being drained. */
void ca_groups_left(SchedCa *ca, const CaRegion *rs)
{
    uint32_t ng = sim_nodegroup_count(ca->e);
    for (uint32_t g = 0; g < ng; g++) {
        const SimNodeGroup *x = sim_nodegroup(ca->e, g);
        ca->group_left[g] = (int32_t)x->live_nodes - x->min;
    }
    if (rs->draining != SIM_NONE)
        ca->group_left[sim_node(ca->e, rs->draining)->group]--;
}

/* ---- blocking pods (upstream utils/drain) ---------------------------------------- */
static int covered_by_pdb(SchedCa *ca, uint32_t pod)
{
    for (size_t k = 0; k < ca->npdbs; k++)
        if (sim_pdb_covers(ca->e, ca->pdbs[k], pod))
            return 1;
    return 0;
}

/* The drain rules of a non-DaemonSet pod; safe-to-evict "true" overrides
 * the replication, kube-system and local-storage ones. */
static const char *drain_blocker(SchedCa *ca, uint32_t pod, const SimPod *p)
{
    const SimWorkload *w = sim_workload(ca->e, p->wl);
    if (w->spec.safe_to_evict < 0)
        return "NotSafeToEvictAnnotation";
    if (w->spec.safe_to_evict > 0)
        return NULL;
    if (w->kind == SIM_WL_POD)
        return "NotReplicated";
    if (strcmp(sim_namespace(ca->e, p->ns)->name, KUBE_SYSTEM) == 0 && !covered_by_pdb(ca, pod))
        return "UnmovableKubeSystemPod";
    if (w->spec.local_storage)
        return "LocalStorageRequested";
    return NULL;
}

static int undo_push(SchedCa *ca, size_t *nu, CaUndo u)
{
    if (CA_GROW(ca, ca->undo, ca->capundo, *nu + 1))
        return SIM_ENOMEM;
    ca->undo[(*nu)++] = u;
    return SIM_OK;
}

/* Takes one disruption from every PDB covering the pod (upstream
 * RemainingPdbTracker); "NotEnoughPdb" when one has none left. */
static const char *pdb_take(SchedCa *ca, uint32_t pod, size_t *nu, int *rc)
{
    for (size_t k = 0; k < ca->npdbs; k++) {
        if (!sim_pdb_covers(ca->e, ca->pdbs[k], pod))
            continue;
        if (ca->pdb_left[k] == INT64_MIN)
            ca->pdb_left[k] = sim_pdb_disruptions_allowed(ca->e, ca->pdbs[k]);
        if (ca->pdb_left[k] <= 0)
            return "NotEnoughPdb";
        ca->pdb_left[k]--;
        if ((*rc = undo_push(ca, nu, (CaUndo){UNDO_PDB, (uint32_t)k, {0, 0, 0, 0}})) != SIM_OK)
            return NULL;
    }
    return NULL;
}

static void undo_all(SchedCa *ca, size_t nu)
{
    while (nu > 0) {
        const CaUndo *u = &ca->undo[--nu];
        if (u->what == UNDO_PDB) {
            ca->pdb_left[u->idx]++;
            continue;
        }
        int64_t *f = &ca->free[4 * (size_t)u->idx];
        f[0] += u->req.cpu_m;
        f[1] += u->req.mem;
        f[2] += u->req.gpu;
        f[3] += 1;
    }
}

/* ---- where a pod could go ----------------------------------------------------- */
/* The simulation being recorded read node li (its state, room, filters). */
static void note_read(SchedCa *ca, uint32_t li)
{
    CaSim *x = ca->rec;
    if (x == NULL || x->wide || ca->rmark[li] == ca->rstamp)
        return;
    ca->rmark[li] = ca->rstamp;
    if (x->nreads == CA_SIM_READS) {
        x->wide = 1;
        return;
    }
    ca->rec_reads[x->reads + x->nreads++] = li;
}

static int dest_ok(SchedCa *ca, const SimRegion *r, uint32_t li, uint32_t src, const SimPod *p)
{
    if (li == src)
        return 0;
    note_read(ca, li);
    const SimNode *n = sim_node(ca->e, r->nodes[li]);
    if (n->state != SIM_NODE_READY)
        return 0;
    const int64_t *f = slot(ca, r, li);
    if (ca->gone[li])
        return 0;
    return n->state == SIM_NODE_READY && !n->unschedulable && f[3] >= 1 && p->req.cpu_m <= f[0] &&
           p->req.mem <= f[1] && p->req.gpu <= f[2];
}

/* The local index of a node the pod can move to, SIM_NONE, or an error
 * (negative, through *rc). */
static uint32_t find_place(SchedCa *ca, const SimRegion *r, uint32_t src, uint32_t pod, int *rc)
{
    const SimPod *p = sim_pod(ca->e, pod);
    size_t n = r->nnodes;
    if (ca->noplace[p->wl] == ca->pass || n < 2)
        return SIM_NONE;
    uint32_t start = ca->hint[p->wl] != SIM_NONE ? ca->hint[p->wl] : (uint32_t)((src + 1) % n);
    for (size_t k = 0; k < n; k++) {
        uint32_t li = (uint32_t)((start + k) % n);
        if (!dest_ok(ca, r, li, src, p))
            continue;
        const char *plugin;
        int ok = sched_filter_node(ca->s, pod, r->nodes[li], 1, NULL, 0, &plugin);
        if (ok < 0) {
            *rc = ok;
            return SIM_NONE;
        }
        if (ok) {
            ca->hint[p->wl] = li;
            return li;
        }
    }
    ca->noplace[p->wl] = ca->pass;
    return SIM_NONE;
}

static void blocker_add(SchedCaNodeVerdict *v, uint32_t pod, const char *reason)
{
    if (v->nblockers < SCHED_CA_MAX_BLOCKERS)
        v->blockers[v->nblockers++] = (SchedCaBlocker){pod, reason};
}

/* Moves one pod off node src in the scratch; *why is set when it cannot go. */
static int pod_check(SchedCa *ca, const SimRegion *r, uint32_t src, uint32_t pod, const char **why, size_t *nu)
{
    const SimPod *p = sim_pod(ca->e, pod);
    int rc = SIM_OK;
    *why = drain_blocker(ca, pod, p);
    if (*why == NULL)
        *why = pdb_take(ca, pod, nu, &rc);
    if (rc != SIM_OK || *why)
        return rc;
    uint32_t li = find_place(ca, r, src, pod, &rc);
    if (rc != SIM_OK)
        return rc;
    if (li == SIM_NONE) {
        *why = "NoPlaceToMovePods";
        return SIM_OK;
    }
    int64_t *f = slot(ca, r, li);
    f[0] -= p->req.cpu_m;
    f[1] -= p->req.mem;
    f[2] -= p->req.gpu;
    f[3] -= 1;
    return undo_push(ca, nu, (CaUndo){UNDO_MOVE, li, p->req});
}

/* Every non-DaemonSet pod of node li: blockers, then a place for each. All
 * are looked at, so explain can list every blocking pod; the node is
 * NoPlaceToMovePods when that is the only reason, else BlockedByPod. */
static int pods_check(SchedCa *ca, const SimRegion *r, uint32_t li, SchedCaNodeVerdict *v)
{
    size_t nu = 0, nblocked = 0, nomove = 0;
    for (uint32_t pod = sim_node(ca->e, r->nodes[li])->pods_head; pod != SIM_NONE;) {
        const SimPod *p = sim_pod(ca->e, pod);
        uint32_t next = p->node_next;
        const char *why = NULL;
        int rc = ca_is_daemonset(ca->e, p) ? SIM_OK : pod_check(ca, r, li, pod, &why, &nu);
        if (rc != SIM_OK)
            return rc;
        if (why) {
            blocker_add(v, pod, why);
            nblocked++;
            nomove += strcmp(why, "NoPlaceToMovePods") == 0;
        }
        pod = next;
    }
    if (nblocked == 0)
        return SIM_OK;
    undo_all(ca, nu);
    v->unremovable = nomove == nblocked ? "NoPlaceToMovePods" : "BlockedByPod";
    return SIM_OK;
}

/* ---- one node's verdict ------------------------------------------------------------ */
static const char *eligibility(SchedCa *ca, const CaRegion *rs, uint32_t node, const SimNode *n, double util,
                               int gpu, SimTime *flip)
{
    const CaNodeState *ns = ca_node(ca, node);
    double th = gpu ? ca->cfg.scale_down_gpu_utilization_threshold : ca->cfg.scale_down_utilization_threshold;
    if (node == rs->draining)
        return "CurrentlyBeingDeleted";
    if (ca_node_scale_down_disabled(ca, n))
        return "ScaleDownDisabledAnnotation";
    if (util >= th)
        return "NotUnderutilized";
    if (ns && ns->recheck_until > sim_now(ca->e)) {
        if (ns->recheck_until < *flip)
            *flip = ns->recheck_until;
        return "RecentlyUnremovable";
    }
    if (ca->group_left[n->group] <= 0)
        return "NodeGroupMinSizeReached";
    return NULL;
}

/* ---- the caps (upstream's scale-down-non-empty-candidates-count and
 * scale-down-candidates-pool-ratio/-min-count, core/scaledown/legacy
 * UpdateUnneededNodes) ----------------------------------------------------------
 * A non-empty eligible node unneeded in the previous loop is a candidate and
 * is always simulated; of the others only the first max(ceil(ratio x
 * registered nodes), min count) are (the pool), and one of them is taken only
 * while fewer than count non-empty nodes were found unneeded in the pass.
 * Empty nodes are never capped. A count <= 0 turns the caps off, as upstream. */
static void caps_begin(SchedCa *ca, const SimRegion *r, SchedCaPlan *p)
{
    uint32_t registered = 0;
    for (size_t i = 0; i < r->nnodes; i++) {
        SimNodeState st = sim_node(ca->e, r->nodes[i])->state;
        registered += st == SIM_NODE_READY || st == SIM_NODE_NOT_READY;
    }
    double want = ceil(ca->cfg.scale_down_candidates_pool_ratio * (double)registered);
    if (want < (double)ca->cfg.scale_down_candidates_pool_min_count)
        want = (double)ca->cfg.scale_down_candidates_pool_min_count;
    ca->pool_left = want >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)want;
    if (ca->cfg.scale_down_non_empty_candidates_count <= 0)
        ca->pool_left = UINT32_MAX;
    p->pool = ca->pool_left;
    ca->found = 0;
}

/* "NotUnneededOtherReason" (upstream's reason for a node the pass did not
 * simulate) when the caps leave the non-empty node out, else NULL. */
static const char *capped(SchedCa *ca, uint32_t node, SchedCaPlan *p)
{
    if (ca->cfg.scale_down_non_empty_candidates_count <= 0)
        return NULL;
    const CaNodeState *ns = ca_node(ca, node);
    if (ns && ns->since >= 0)
        return NULL;   /* a candidate: unneeded in the previous loop */
    if (ca->pool_left > 0) {
        ca->pool_left--;
        if (ca->found < ca->cfg.scale_down_non_empty_candidates_count)
            return NULL;
    }
    p->capped++;
    return "NotUnneededOtherReason";
}

/* ---- reusing the last pass's simulations -------------------------------------------
 * A pass is a fold over the region's nodes in order: a node's simulation
 * (pods_check) reads the cluster (its pods, their drain rules, the PDBs'
 * budgets, the state, free room and filters of the nodes it tries) and the
 * pass's scratch (free room left, nodes gone, PDB budgets left, the search
 * hints), which only the simulations before it in the pass wrote. So while
 * this pass has simulated exactly the last pass's first k nodes, each reused,
 * the scratch is what it was, and the (k+1)-th simulation, if it is of the
 * same node and nothing it read has changed since it ran, finds what it found
 * then. What it read: the region as a whole (its node count, the engine's
 * workload and PDB counts, each of the region's PDBs' disruptions allowed, any
 * change of no one node: down_glob) and the nodes it listed (its own and
 * every node it tried, each changed when a pod binds to or leaves it or its
 * state changes: CaNodeState.chg). Where a workload's filters read other
 * nodes (topology spread, pod affinity or anti-affinity) or a simulation
 * tried more than CA_SIM_READS nodes, any change of the region counts.
 * Reused simulations leave the scratch alone; at the first simulation that
 * is not reusable the reused ones are run again in order to rebuild the
 * scratch (the same inputs: the same results) and the pass goes on
 * exhaustively. The cheap per-node part (utilisation, eligibility,
 * emptiness, the caps) is judged anew in every pass: it reads timers and the
 * pass's counts. */
static int coupled(SchedCa *ca)
{
    uint32_t nw = sim_workload_count(ca->e);
    for (; ca->coupled_nwl < nw; ca->coupled_nwl++) {
        const SimPodSpec *sp = &sim_workload(ca->e, ca->coupled_nwl)->spec;
        if (sp->nspread || sp->affinity.nreq_affinity || sp->affinity.nreq_anti)
            ca->coupled = 1;
    }
    return ca->coupled;
}

/* Whether the region as a whole is what the last pass saw; records it. */
static int sims_key_same(SchedCa *ca, CaRegion *rs, const SimRegion *r, int *same)
{
    *same = 0;
    uint64_t sum = 0;   /* the drain rules' inputs of every workload (a test may change them) */
    for (uint32_t w = 0, nw = sim_workload_count(ca->e); w < nw; w++) {
        const SimWorkload *x = sim_workload(ca->e, w);
        sum = sum * 1099511628211ULL + ((uint64_t)x->kind << 16 | (uint64_t)(uint8_t)x->spec.safe_to_evict << 8 |
                                        x->spec.local_storage);
    }
    int ok = rs->sims_valid && !ca->cfg.scale_down_exhaustive && rs->sims_glob == rs->down_glob &&
             rs->sims_wlsum == sum &&
             rs->sims_nnodes == r->nnodes && rs->sims_nwl == sim_workload_count(ca->e) &&
             rs->sims_npdb == sim_pdb_count(ca->e);
    if (CA_GROW(ca, rs->sims_pdb, rs->capsimspdb, ca->npdbs))
        return SIM_ENOMEM;
    for (size_t k = 0; k < ca->npdbs; k++) {
        int32_t a = sim_pdb_disruptions_allowed(ca->e, ca->pdbs[k]);
        ok = ok && rs->sims_pdb[k] == a;   /* the same count: the last pass wrote sims_pdb[k] */
        rs->sims_pdb[k] = a;
    }
    rs->sims_glob = rs->down_glob;
    rs->sims_wlsum = sum;
    rs->sims_nnodes = r->nnodes;
    rs->sims_nwl = sim_workload_count(ca->e);
    rs->sims_npdb = sim_pdb_count(ca->e);
    rs->sims_valid = 0;   /* until this pass ends */
    *same = ok;
    return SIM_OK;
}

/* Nothing simulation x read has changed since it ran. */
static int still_valid(SchedCa *ca, const CaRegion *rs, const SimRegion *r, const CaSim *x)
{
    if (x->wide || coupled(ca))
        return x->gen == rs->down_gen;
    for (uint32_t i = 0; i < x->nreads; i++) {
        uint32_t node = r->nodes[rs->reads[x->reads + i]];
        if (node < ca->capns && ca->ns[node].chg > x->gen)
            return 0;
    }
    return 1;
}

/* Marks node li gone for the rest of the pass (it is unneeded). */
static void take_out(SchedCa *ca, const SimRegion *r, uint32_t li)
{
    slot(ca, r, li);
    ca->gone[li] = 1;
}

/* Runs the reused simulations again, in order, to rebuild the scratch they
 * left: the same inputs, the same results. */
static int rebuild(SchedCa *ca, CaRegion *rs, const SimRegion *r)
{
    ca->replaying = 0;
    for (size_t j = 0; j < ca->simk; j++) {
        SchedCaNodeVerdict v;
        memset(&v, 0, sizeof v);
        int rc = pods_check(ca, r, rs->sims[j].li, &v);
        if (rc != SIM_OK)
            return rc;
        if (v.unremovable == NULL)
            take_out(ca, r, rs->sims[j].li);
    }
    return SIM_OK;
}

/* Runs the simulation of node li as the pass's k-th and records it. */
static int run_recorded(SchedCa *ca, CaRegion *rs, const SimRegion *r, uint32_t li, SchedCaNodeVerdict *v)
{
    size_t k = ca->simk;
    uint32_t off = k ? rs->sims[k - 1].reads + rs->sims[k - 1].nreads : 0;
    if (CA_GROW(ca, rs->sims, rs->capsims, k + 1) || CA_GROW(ca, rs->reads, rs->capreads, off + CA_SIM_READS))
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
    CaSim *x = &rs->sims[k];
    memset(x, 0, sizeof *x);
    x->li = li;
    x->gen = rs->down_gen;
    x->reads = off;
    if (++ca->rstamp == 0) {
        memset(ca->rmark, 0, ca->caprmark * sizeof *ca->rmark);
        ca->rstamp = 1;
    }
    ca->rec = x;
    ca->rec_reads = rs->reads;
    note_read(ca, li);
    int rc = pods_check(ca, r, li, v);
    ca->rec = NULL;
    if (rc != SIM_OK)
        return rc;
    x->unremovable = v->unremovable;
    x->nblockers = (uint32_t)v->nblockers;
    memcpy(x->blockers, v->blockers, v->nblockers * sizeof *v->blockers);
    ca->simk++;
    ca->sims_run++;
    if (v->unremovable == NULL)
        take_out(ca, r, li);
    return SIM_OK;
}

/* The simulation of node li in this pass: the last pass's when it is
 * exactly reusable, else run (and recorded). */
static int simulate(SchedCa *ca, CaRegion *rs, const SimRegion *r, uint32_t li, SchedCaNodeVerdict *v)
{
    size_t k = ca->simk;
    if (ca->replaying && k < rs->nsims && rs->sims[k].li == li && still_valid(ca, rs, r, &rs->sims[k])) {
        const CaSim *x = &rs->sims[k];
        v->unremovable = x->unremovable;
        v->nblockers = x->nblockers;
        memcpy(v->blockers, x->blockers, x->nblockers * sizeof *x->blockers);
        ca->simk++;
        ca->sims_reused++;
        return SIM_OK;
    }
    int rc = ca->replaying ? rebuild(ca, rs, r) : SIM_OK;
    return rc != SIM_OK ? rc : run_recorded(ca, rs, r, li, v);
}

static int node_verdict(SchedCa *ca, CaRegion *rs, const SimRegion *r, uint32_t li, const SimNode *n,
                        SchedCaPlan *p)
{
    uint32_t node = r->nodes[li];
    SchedCaNodeVerdict *v = &p->nodes[p->nnodes++];
    int gpu;
    v->node = node;   /* every field but blockers[nblockers..], which no reader looks at */
    v->unneeded = 0;
    v->nblockers = 0;
    v->utilization = node_util(ca, n, &gpu);
    v->unremovable = eligibility(ca, rs, node, n, v->utilization, gpu, &rs->flip_at);
    if (v->unremovable)
        return SIM_OK;
    int b = busy(ca, node);
    if (b && (v->unremovable = capped(ca, node, p)) != NULL)
        return SIM_OK;
    int rc = simulate(ca, rs, r, li, v);   /* takes li out of the pass when it is unneeded */
    if (rc != SIM_OK || v->unremovable)
        return rc;
    v->unneeded = 1;
    ca->found += b;
    ca->group_left[n->group]--;
    return SIM_OK;
}

int ca_plan_down(SchedCa *ca, CaRegion *rs, SchedCaPlan *p)
{
    const SimRegion *r = sim_region(ca->e, p->region);
    p->nnodes = 0;
    p->nodes = NULL;
    if (r->ready_nodes == 0)
        return SIM_OK;
    if (CA_GROW(ca, rs->plan_nodes, rs->capnodes, r->nnodes) || scratch(ca, r) != SIM_OK)
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
    p->nodes = rs->plan_nodes;
    pdbs_of_region(ca, p->region);
    ca_groups_left(ca, rs);
    caps_begin(ca, r, p);
    int same;
    if (sims_key_same(ca, rs, r, &same) != SIM_OK)
        return sim_fail(ca->e, SIM_ENOMEM, "out of memory in the cluster autoscaler");
    ca->replaying = same;
    ca->simk = 0;
    for (size_t li = 0; li < r->nnodes; li++) {
        const SimNode *n = sim_node(ca->e, r->nodes[li]);
        if (n->state != SIM_NODE_READY)
            continue;
        int rc = node_verdict(ca, rs, r, (uint32_t)li, n, p);
        if (rc != SIM_OK)
            return rc;
    }
    rs->nsims = ca->simk;
    rs->sims_valid = 1;
    return SIM_OK;
}
