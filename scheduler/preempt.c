/*
 * preempt.c: DefaultPreemption, the PostFilter that runs when a pod fits on no
 * node (k8s-behaviour.md §3.10; upstream pkg/scheduler/framework/preemption/
 * preemption.go and plugins/defaultpreemption/default_preemption.go).
 *
 * A planning pass chooses a node and its victims without changing anything
 * (`kubesim explain schedule` prints it); sched_preempt() runs the same pass
 * and then deletes the victims and nominates the node. Invariant: every victim
 * is a pod bound to the chosen node, not terminated, of strictly lower
 * priority than the preemptor, and the preemptor fits the node's resources
 * once the victims are gone.
 *
 * The pass, as upstream:
 *   1. Potential nodes: the Ready nodes of the pod's region that pass every
 *      Filter except NodeResourcesFit.
 *   2. Starting at a random offset, dry-run each: remove every pod of lower
 *      priority and count the pods nominated to the node with a priority at
 *      least the pod's as if they ran there (upstream
 *      RunFilterPluginsWithNominatedPods); if the pod still does not fit
 *      (pods, cpu, memory, nvidia.com/gpu), the node is out. Otherwise
 *      re-add ("reprieve") the removed pods by descending importance (priority,
 *      then earlier start), the PDB-violating ones first, keeping each that
 *      still lets the pod fit; the others are the victims. Stop once there are
 *      enough candidates: max(10 % of the potential nodes, 100), capped at
 *      their number, and at least one of them without PDB violations.
 *   3. Pick the candidate with the fewest PDB violations, then the lowest
 *      highest-victim priority, the smallest sum of victim priorities, the
 *      fewest victims, the latest start time of the highest-priority victims,
 *      then the first in scan order.
 *   4. Delete the victims, drop the nomination of lower-priority pods
 *      nominated to the node, nominate the node for the pod.
 * A pod with preemptionPolicy Never is not eligible (SIM_DONE, nomination
 * kept); an eligible pod for which no node can be freed loses a stale
 * nomination, as upstream's PostFilter result clears it.
 *
 * Simplifications (README "Fidelity"), each with the upstream behaviour:
 *   - Filters other than NodeResourcesFit are evaluated against the node as it
 *     is, not with the victims removed (upstream reruns every Filter on a copy
 *     of the node without them, so e.g. an anti-affinity conflict with a victim
 *     can be resolved by preemption upstream, never here).
 *   - Lower-priority pods nominated to the chosen node lose their nomination,
 *     as upstream, but are not moved to the active queue for that (upstream
 *     updates them through the API, which requeues them); they are retried
 *     on the queue's next event.
 *   - Victims are deleted at once (upstream: a graceful delete with a
 *     DisruptionTarget condition, so the pod waits out the grace period, and a
 *     pod whose victims are still terminating does not preempt again).
 *   - Potential nodes are all nodes passing the other Filters (upstream: the
 *     nodes whose Filter status was Unschedulable rather than
 *     UnschedulableAndUnresolvable).
 *   - The random offset comes from the scheduler's seeded stream and is drawn
 *     only when at least two potential nodes hold lower-priority pods (with
 *     fewer it cannot change the result), so runs without priorities see the
 *     same random numbers as before preemption existed. Candidates are
 *     examined one after another, so "first" means first in scan order
 *     (upstream checks them in parallel and the order is not fixed).
 *   - Clearing a stale nomination is not traced (the trace has no record for
 *     it); setting one is (pod_nominate).
 *   - A pod that has not started yet counts as starting now (as upstream's
 *     GetPodStartTime). A PDB's disruptionsAllowed is sim_pdb's (see
 *     sim/policy.c for its own simplifications); upstream also skips pods
 *     already listed in a PDB's status.disruptedPods, which kubesim does not
 *     keep.
 */
#include "scheduler/sched_int.h"

#include <stdlib.h>
#include <string.h>

#include "sim/policy.h"

/* Upstream DefaultPreemptionArgs defaults. */
#define MIN_CANDIDATE_NODES_PCT 10
#define MIN_CANDIDATE_NODES_ABS 100
/* minSumPrioritiesScoreFunc adds MaxInt32 + 1 to every priority so that more
 * victims never sum to less than fewer ones. */
#define PRIO_BIAS (INT64_C(2147483647) + 1)

/* A pod that could be removed from the node under test. */
typedef struct Victim {
    uint32_t pod;
    int32_t prio;
    SimTime start;
    int violating;          /* evicting it would break a PDB */
    int chosen;             /* not reprieved: a victim */
} Victim;

/* What the node choice looks at, for one candidate node. */
typedef struct Score {
    int64_t pdb_violations;
    int32_t top_prio;       /* highest victim priority */
    int64_t prio_sum;       /* Σ (priority + PRIO_BIAS) */
    size_t nvictims;
    SimTime top_start;      /* earliest start among the top_prio victims */
} Score;

/* Scratch of one planning pass; every array is owned here and freed by
 * plan_free(). */
typedef struct Plan {
    SchedScheduler *s;
    SimEngine *e;
    SimMem *m;
    SchedRegion *rg;        /* the scheduler's mirror of the pod's region */
    uint32_t pod;
    int never;              /* preemptionPolicy Never: not eligible */
    int32_t prio;
    SimRes req;
    uint32_t *nodes;        /* potential nodes, region order */
    size_t nnodes, capnodes;
    uint32_t *pdbs;         /* PDBs of the pod's region */
    int64_t *allowed;       /* their disruptionsAllowed; INT64_MIN until asked */
    int64_t *left;          /* what is left of it on the node under test */
    size_t npdbs, cappdbs, capallowed, capleft;
    Victim *pot;            /* potential victims of the node under test */
    size_t npot, cappot;
    uint32_t best_node;
    Score best;
    uint32_t *victims;      /* victims on best_node, most important first */
    size_t nvictims, capvictims;
} Plan;

uint32_t sched_preempt_num_candidates(uint32_t nodes)
{
    uint64_t n = (uint64_t)nodes * MIN_CANDIDATE_NODES_PCT / 100;
    if (n < MIN_CANDIDATE_NODES_ABS)
        n = MIN_CANDIDATE_NODES_ABS;
    return n > nodes ? nodes : (uint32_t)n;
}

/* ---- resources ---------------------------------------------------------------- */

static void res_sub(SimRes *a, const SimRes *b)
{
    a->cpu_m -= b->cpu_m;
    a->mem -= b->mem;
    a->gpu -= b->gpu;
    a->pods -= b->pods;
}

static void res_add(SimRes *a, const SimRes *b)
{
    a->cpu_m += b->cpu_m;
    a->mem += b->mem;
    a->gpu += b->gpu;
    a->pods += b->pods;
}

/* NodeResourcesFit's filter with `used` as the node's requests (fit.c). */
static int fits(const SimRes *r, const SimNode *n, const SimRes *used)
{
    if (used->pods + 1 > n->alloc.pods)
        return 0;
    if (r->cpu_m > 0 && r->cpu_m > n->alloc.cpu_m - used->cpu_m)
        return 0;
    if (r->mem > 0 && r->mem > n->alloc.mem - used->mem)
        return 0;
    return !(r->gpu > 0 && r->gpu > n->alloc.gpu - used->gpu);
}

/* ---- scratch ------------------------------------------------------------------ */

static int grow(Plan *pl, void **pp, size_t *cap, size_t need, size_t sz)
{
    if (sim_mem_grow(pl->m, pp, cap, need, sz) != SIM_OK)
        return sim_fail(pl->e, SIM_ENOMEM, "out of memory planning preemption");
    return SIM_OK;
}

static void plan_init(Plan *pl, SchedScheduler *s, uint32_t pod)
{
    memset(pl, 0, sizeof *pl);
    pl->s = s;
    pl->e = sched_engine(s);
    pl->m = sim_mem(pl->e);
    pl->pod = pod;
    pl->best_node = SIM_NONE;
}

static void plan_free(Plan *pl)
{
    sim_mem_free(pl->m, pl->nodes, pl->capnodes * sizeof *pl->nodes);
    sim_mem_free(pl->m, pl->pdbs, pl->cappdbs * sizeof *pl->pdbs);
    sim_mem_free(pl->m, pl->allowed, pl->capallowed * sizeof *pl->allowed);
    sim_mem_free(pl->m, pl->left, pl->capleft * sizeof *pl->left);
    sim_mem_free(pl->m, pl->pot, pl->cappot * sizeof *pl->pot);
    sim_mem_free(pl->m, pl->victims, pl->capvictims * sizeof *pl->victims);
}

/* ---- PDBs ------------------------------------------------------------------- */

static int pdbs_collect(Plan *pl, uint32_t region)
{
    uint32_t n = sim_pdb_count(pl->e);
    for (uint32_t i = 0; i < n; i++) {
        if (sim_pdb(pl->e, i)->region != region)
            continue;
        if (grow(pl, (void **)&pl->pdbs, &pl->cappdbs, pl->npdbs + 1, sizeof *pl->pdbs))
            return SIM_ENOMEM;
        pl->pdbs[pl->npdbs++] = i;
    }
    if (grow(pl, (void **)&pl->allowed, &pl->capallowed, pl->npdbs, sizeof *pl->allowed) ||
        grow(pl, (void **)&pl->left, &pl->capleft, pl->npdbs, sizeof *pl->left))
        return SIM_ENOMEM;
    for (size_t k = 0; k < pl->npdbs; k++)
        pl->allowed[k] = INT64_MIN;   /* asked only when a victim is covered */
    return SIM_OK;
}

/* Does the PDB count the pod as a preemption victim? As upstream's
 * filterPodsWithPDBViolation: a pod without labels matches none, and a PDB
 * with an empty selector matches nothing (for the disruption controller it
 * selects every pod of its namespace). */
static int pdb_counts(Plan *pl, size_t k, uint32_t pod)
{
    if (sim_pdb(pl->e, pl->pdbs[k])->selector.nreqs == 0)
        return 0;
    if (sim_workload(pl->e, sim_pod(pl->e, pod)->wl)->spec.nlabels == 0)
        return 0;
    return sim_pdb_covers(pl->e, pl->pdbs[k], pod);
}

/* Upstream filterPodsWithPDBViolation, on a fresh copy of the budgets per node:
 * in importance order, each potential victim takes one disruption from every
 * PDB covering it and violates when one of them has none left. */
static void pdbs_classify(Plan *pl)
{
    for (size_t k = 0; k < pl->npdbs; k++)
        pl->left[k] = pl->allowed[k];
    for (size_t i = 0; i < pl->npot; i++) {
        Victim *v = &pl->pot[i];
        v->violating = 0;
        for (size_t k = 0; k < pl->npdbs; k++) {
            if (!pdb_counts(pl, k, v->pod))
                continue;
            if (pl->allowed[k] == INT64_MIN)
                pl->left[k] = pl->allowed[k] = sim_pdb_disruptions_allowed(pl->e, pl->pdbs[k]);
            if (--pl->left[k] < 0)
                v->violating = 1;
        }
    }
}

/* ---- victims on one node ------------------------------------------------------ */

/* Upstream GetPodStartTime: status.startTime, or now for a pod not started. */
static SimTime start_time(SimEngine *e, const SimPod *p)
{
    return p->started_at >= 0 ? p->started_at : sim_now(e);
}

/* util.MoreImportantPod: higher priority, then earlier start; the pod id
 * keeps the order total so that runs are reproducible. */
static int victim_cmp(const void *a, const void *b)
{
    const Victim *x = a, *y = b;
    if (x->prio != y->prio)
        return x->prio > y->prio ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->pod < y->pod ? -1 : x->pod > y->pod;
}

/* Gathers the node's pods of lower priority; `used` gets the node's requests
 * without them. */
static int collect_lower(Plan *pl, const SimNode *n, SimRes *used)
{
    *used = n->req;
    pl->npot = 0;
    for (uint32_t id = n->pods_head; id != SIM_NONE; id = sim_pod(pl->e, id)->node_next) {
        const SimPod *p = sim_pod(pl->e, id);
        if (p->priority >= pl->prio)
            continue;
        if (grow(pl, (void **)&pl->pot, &pl->cappot, pl->npot + 1, sizeof *pl->pot))
            return SIM_ENOMEM;
        pl->pot[pl->npot++] = (Victim){id, p->priority, start_time(pl->e, p), 0, 0};
        res_sub(used, &p->req);
    }
    return SIM_OK;
}

/* Upstream RunFilterPluginsWithNominatedPods: pods nominated to the node with
 * a priority at least the preemptor's count as if they ran there. */
static void add_nominated(Plan *pl, uint32_t node, SimRes *used)
{
    for (size_t i = 0; i < pl->rg->nnom; i++) {
        uint32_t q = pl->rg->nominated[i];
        const SimPod *p = sim_pod(pl->e, q);
        if (q != pl->pod && p->nominated_node == node && p->priority >= pl->prio)
            res_add(used, &p->req);
    }
}

static int has_lower(SimEngine *e, const SimNode *n, int32_t prio)
{
    for (uint32_t id = n->pods_head; id != SIM_NONE; id = sim_pod(e, id)->node_next)
        if (sim_pod(e, id)->priority < prio)
            return 1;
    return 0;
}

static void score_add(Score *sc, const Victim *v)
{
    if (sc->nvictims == 0 || v->prio > sc->top_prio) {
        sc->top_prio = v->prio;
        sc->top_start = v->start;
    } else if (v->prio == sc->top_prio && v->start < sc->top_start) {
        sc->top_start = v->start;
    }
    sc->prio_sum += v->prio + PRIO_BIAS;
    sc->pdb_violations += v->violating;
    sc->nvictims++;
}

/* One reprieve round: re-adds the potential victims with violating == pass,
 * in importance order, keeping each that still lets the pod fit. */
static void reprieve(Plan *pl, const SimNode *n, SimRes *used, int pass, Score *sc)
{
    for (size_t i = 0; i < pl->npot; i++) {
        Victim *v = &pl->pot[i];
        if (v->violating != pass)
            continue;
        const SimRes *r = &sim_pod(pl->e, v->pod)->req;
        res_add(used, r);
        if (fits(&pl->req, n, used))
            continue;
        res_sub(used, r);
        v->chosen = 1;
        score_add(sc, v);
    }
}

/* Upstream SelectVictimsOnNode. Returns 1 with the victims marked chosen in
 * pl->pot and their score in *sc when preemption makes room on the node, 0
 * when it cannot, or an error. */
static int select_victims(Plan *pl, uint32_t node, Score *sc)
{
    const SimNode *n = sim_node(pl->e, node);
    SimRes used;
    memset(sc, 0, sizeof *sc);
    if (collect_lower(pl, n, &used) != SIM_OK)
        return SIM_ENOMEM;
    add_nominated(pl, node, &used);
    if (pl->npot == 0 || !fits(&pl->req, n, &used))
        return 0;
    qsort(pl->pot, pl->npot, sizeof *pl->pot, victim_cmp);
    pdbs_classify(pl);
    reprieve(pl, n, &used, 1, sc);
    reprieve(pl, n, &used, 0, sc);
    return sc->nvictims > 0;   /* upstream rejects a node that needs no victim */
}

/* ---- choosing the node -------------------------------------------------------- */

/* pickOneNodeForPreemption's criteria in order; equal scores keep the first. */
static int better(const Score *a, const Score *b)
{
    if (a->pdb_violations != b->pdb_violations)
        return a->pdb_violations < b->pdb_violations;
    if (a->top_prio != b->top_prio)
        return a->top_prio < b->top_prio;
    if (a->prio_sum != b->prio_sum)
        return a->prio_sum < b->prio_sum;
    if (a->nvictims != b->nvictims)
        return a->nvictims < b->nvictims;
    return a->top_start > b->top_start;
}

/* Keeps the node's victims when they beat the best so far, most important
 * first (upstream sorts them so after reprieving both groups). */
static int consider(Plan *pl, uint32_t node, const Score *sc)
{
    if (pl->best_node != SIM_NONE && !better(sc, &pl->best))
        return SIM_OK;
    if (grow(pl, (void **)&pl->victims, &pl->capvictims, sc->nvictims, sizeof *pl->victims))
        return SIM_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < pl->npot; i++)   /* pot is in importance order */
        if (pl->pot[i].chosen)
            pl->victims[k++] = pl->pot[i].pod;
    SIM_ASSERT(k == sc->nvictims);
    pl->nvictims = k;
    pl->best_node = node;
    pl->best = *sc;
    return SIM_OK;
}

/* Is there a Ready node in the region with a pod of lower priority? Checked
 * before any Filter runs: without priorities (the common case) preemption
 * ends here, cheaply, every time an unschedulable pod is retried. */
static int any_lower(Plan *pl, const SimRegion *r)
{
    for (size_t i = 0; i < r->nnodes; i++) {
        const SimNode *n = sim_node(pl->e, r->nodes[i]);
        if (n->state == SIM_NODE_READY && has_lower(pl->e, n, pl->prio))
            return 1;
    }
    return 0;
}

/* Ready nodes of the region passing every Filter but NodeResourcesFit; *with
 * counts those holding a pod of lower priority. */
static int potential_nodes(Plan *pl, const SimRegion *r, uint32_t *with)
{
    char reason[SCHED_REASON_LEN];
    const char *plugin = NULL;
    *with = 0;
    for (size_t i = 0; i < r->nnodes; i++) {
        uint32_t id = r->nodes[i];
        const SimNode *n = sim_node(pl->e, id);
        if (n->state != SIM_NODE_READY)
            continue;
        int ok = sched_filter_node(pl->s, pl->pod, id, 1, reason, sizeof reason, &plugin);
        if (ok < 0)
            return ok;
        if (!ok)
            continue;
        if (grow(pl, (void **)&pl->nodes, &pl->capnodes, pl->nnodes + 1, sizeof *pl->nodes))
            return SIM_ENOMEM;
        pl->nodes[pl->nnodes++] = id;
        *with += (uint32_t)has_lower(pl->e, n, pl->prio);
    }
    return SIM_OK;
}

/* Upstream GetOffsetAndNumCandidates' offset, from the scheduler's stream; a
 * dry run (commit 0) draws from a copy so the stream is left as it was. */
static uint32_t draw_offset(Plan *pl, uint32_t with_lower, int commit)
{
    if (with_lower < 2)
        return 0;
    SimRng *rng = sim_rng(pl->e, SIM_RNG_SCHED);
    SimRng copy = *rng;
    return (uint32_t)sim_rng_below(commit ? rng : &copy, pl->nnodes);
}

/* Upstream DryRunPreemption, one node after the other from the offset. */
static int dry_run(Plan *pl, uint32_t offset)
{
    uint32_t want = sched_preempt_num_candidates((uint32_t)pl->nnodes), clean = 0, dirty = 0;
    for (size_t i = 0; i < pl->nnodes; i++) {
        uint32_t node = pl->nodes[(offset + i) % pl->nnodes];
        Score sc;
        int rc = select_victims(pl, node, &sc);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        if (consider(pl, node, &sc) != SIM_OK)
            return SIM_ENOMEM;
        *(sc.pdb_violations ? &dirty : &clean) += 1;
        if (clean > 0 && clean + dirty >= want)
            break;
    }
    return SIM_OK;
}

/* The whole planning pass: SIM_OK with best_node and victims set, SIM_DONE
 * when the pod may not (pl->never) or cannot preempt, or an error. */
static int plan_run(Plan *pl, int commit)
{
    SimEngine *e = pl->e;
    if (pl->pod >= sim_pod_count(e))
        return sim_fail(e, SIM_EINVAL, "preemption: no pod %u", pl->pod);
    const SimPod *p = sim_pod(e, pl->pod);
    if (p->phase != SIM_POD_PENDING)
        return sim_fail(e, SIM_ESTATE, "preemption: pod %u is not Pending", pl->pod);
    pl->never = sim_pod_preempt_never(e, pl->pod);
    if (pl->never)
        return SIM_DONE;   /* upstream: "not eligible due to preemptionPolicy=Never." */
    pl->prio = p->priority;
    pl->req = p->req;
    uint32_t region = p->region, with_lower = 0;
    const SimRegion *r = sim_region(e, region);
    if (!any_lower(pl, r))
        return SIM_DONE;
    pl->rg = sched_region(pl->s, region);
    if (pl->rg == NULL || sched_region_sync(pl->s, pl->rg) != SIM_OK)
        return sim_fail(e, SIM_ENOMEM, "out of memory planning preemption");
    int rc = potential_nodes(pl, r, &with_lower);
    if (rc != SIM_OK || with_lower == 0)
        return rc != SIM_OK ? rc : SIM_DONE;
    if (pdbs_collect(pl, region) != SIM_OK || dry_run(pl, draw_offset(pl, with_lower, commit)) != SIM_OK)
        return SIM_ENOMEM;
    return pl->best_node == SIM_NONE ? SIM_DONE : SIM_OK;
}

/* ---- public ------------------------------------------------------------------- */

int sched_preempt_plan(SchedScheduler *s, uint32_t pod, uint32_t *node, uint32_t *victims, size_t max,
                       size_t *nvictims)
{
    Plan pl;
    plan_init(&pl, s, pod);
    int rc = plan_run(&pl, 0);
    *node = rc == SIM_OK ? pl.best_node : SIM_NONE;
    *nvictims = rc == SIM_OK ? pl.nvictims : 0;
    if (rc == SIM_OK && victims != NULL)
        memcpy(victims, pl.victims, (pl.nvictims < max ? pl.nvictims : max) * sizeof *victims);
    plan_free(&pl);
    return rc;
}

/* Sets or clears (SIM_NONE) a Pending pod's nomination and tells the
 * scheduler's list of nominated pods, whose resources the filters reserve. */
static void nominate(Plan *pl, uint32_t pod, uint32_t node)
{
    sim_pod_nominate(pl->e, pod, node);
    SchedRegion *rg = sched_region(pl->s, sim_pod(pl->e, pod)->region);
    if (rg != NULL)
        sched_nominated_update(pl->s, rg, pod);
}

/* upstream prepareCandidate: lower-priority pods nominated to the chosen node
 * may no longer fit there, so their nomination goes. Dropping a pod from the
 * region's list moves only entries at or after its index, so index i is
 * looked at again after a removal. */
static void clear_lower_nominated(Plan *pl)
{
    SchedRegion *rg = sched_region(pl->s, sim_pod(pl->e, pl->pod)->region);
    for (size_t i = 0; rg != NULL && i < rg->nnom;) {
        uint32_t q = rg->nominated[i];
        const SimPod *p = sim_pod(pl->e, q);
        if (q != pl->pod && p->nominated_node == pl->best_node && p->priority < pl->prio)
            nominate(pl, q, SIM_NONE);
        else
            i++;
    }
}

/* Deletes the victims and nominates the node. Pod pointers are fetched anew
 * after each deletion: listeners may create pods (a controller replacing the
 * victim), which can move the pod array. */
static int execute(Plan *pl)
{
    SimEngine *e = pl->e;
    for (size_t i = 0; i < pl->nvictims; i++) {
        uint32_t v = pl->victims[i];
        int rc = sim_pod_preempt(e, v, pl->pod, pl->best_node);
        if (rc != SIM_OK)
            return rc;
    }
    clear_lower_nominated(pl);
    nominate(pl, pl->pod, pl->best_node);
    sim_trace_rec(e, SIM_TR_POD_NOMINATE, (SimTrVal[]){SIM_TRI(pl->pod), SIM_TRI(pl->best_node)}, 2);
    return SIM_OK;
}

int sched_preempt(SchedScheduler *s, uint32_t pod)
{
    Plan pl;
    plan_init(&pl, s, pod);
    int rc = plan_run(&pl, 1);
    if (rc == SIM_OK)
        rc = execute(&pl);
    else if (rc == SIM_DONE && !pl.never && sim_pod(pl.e, pod)->nominated_node != SIM_NONE)
        nominate(&pl, pod, SIM_NONE);   /* upstream clears a stale nomination */
    plan_free(&pl);
    return rc;
}
