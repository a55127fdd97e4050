/*
 * policy.c: PriorityClasses and PodDisruptionBudgets (k8s-behaviour.md §3.10
 * and §6), and freeing every policy object (quotas and LimitRanges are in
 * admission.c).
 *
 * Invariant: for every PDB, live == the number of live pods (Pending, Bound
 * or Running) it covers, healthy == the number of those that are Running
 * and Ready, and wls lists every workload it selects. lifecycle.c calls the
 * sim_pdb_pod_* hooks on every transition, so disruptionsAllowed is exact at
 * any instant without a scan of all pods (preemption asks for it once per
 * candidate victim).
 *
 * expectedPods follows upstream's disruption controller
 * (getExpectedPodCount): for an integer minAvailable it plays no part
 * (desiredHealthy is the integer); for maxUnavailable and for a percentage
 * it is the owning controllers' scale, Σ spec.replicas of the Deployments and
 * StatefulSets that own covered pods, so a Deployment short of pods (quota,
 * a rollout's surge) is judged against what it should have. A covered pod
 * whose owner has no scale (a Job's, a DaemonSet's, a bare pod) makes
 * upstream's controller fail the budget: disruptionsAllowed 0.
 *
 * Simplifications of upstream:
 *  - healthy = Running and Ready, and a Running pod is Ready unless its node
 *    is NotReady (no readiness probes, no minReadySeconds); there is no
 *    status lag: the budget is
 *    exact at every instant (upstream's controller recomputes it on events).
 *  - Upstream looks for owners among all matching pod objects, terminal
 *    ones too; here among live pods (a Job's finished pods are gone). No
 *    unhealthyPodEvictionPolicy (IfHealthyBudget).
 *  - PriorityClass: the built-in system-cluster-critical/system-node-critical
 *    classes exist once a scenario names them (sim_priorityclass_builtin);
 *    every other class is limited to upstream's user maximum (1e9).
 *    The workload field `priority` is a kubesim shorthand used only when no
 *    class is named: it wins over the globalDefault class, where upstream's
 *    Priority plugin would refuse a pod whose spec.priority differs from its
 *    class's value.
 */
#include "sim/sim_int.h"

#include <stdio.h>
#include <string.h>

#define USER_PRIORITY_MAX 1000000000   /* upstream HighestUserDefinablePriority */

/* ---- PriorityClass ------------------------------------------------------ */
const SimPriorityClass *sim_priorityclass_find(const SimEngine *e, const char *name)
{
    for (size_t i = 0; name && i < e->classes.n; i++)
        if (strcmp(e->classes.v[i].name, name) == 0)
            return &e->classes.v[i];
    return NULL;
}

uint32_t sim_priorityclass_count(const SimEngine *e) { return (uint32_t)e->classes.n; }

const SimPriorityClass *sim_priorityclass(const SimEngine *e, uint32_t id)
{
    SIM_ASSERT(id < e->classes.n);
    return &e->classes.v[id];
}

const SimPriorityClass *sim_priorityclass_builtin(const char *name)
{
    /* upstream: pkg/apis/scheduling SystemPriorityClasses() */
    static const SimPriorityClass builtin[] = {
        {(char *)"system-cluster-critical", 2000000000, 0, 0, 1},
        {(char *)"system-node-critical", 2000001000, 0, 0, 1},
    };
    for (size_t i = 0; name && i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(builtin[i].name, name) == 0)
            return &builtin[i];
    return NULL;
}

const SimPriorityClass *sim_priorityclass_default(const SimEngine *e)
{
    for (size_t i = 0; i < e->classes.n; i++)
        if (e->classes.v[i].global_default)
            return &e->classes.v[i];
    return NULL;
}

static int class_check(SimEngine *e, const SimPriorityClass *pc)
{
    if (e->pods.n > 0)
        return sim_fail(e, SIM_ESTATE, "priority class '%s': classes must be added before the first pod",
                        pc->name ? pc->name : "");
    if (pc->name == NULL || pc->name[0] == '\0')
        return sim_fail(e, SIM_EINVAL, "a priority class needs a name");
    if (sim_priorityclass_find(e, pc->name))
        return sim_fail(e, SIM_EINVAL, "duplicate priority class name '%s'", pc->name);
    const SimPriorityClass *b = sim_priorityclass_builtin(pc->name);
    if (pc->builtin && (b == NULL || b->value != pc->value))
        return sim_fail(e, SIM_EINVAL, "priority class '%s' is not a built-in class of value %d", pc->name,
                        (int)pc->value);
    if (pc->value > USER_PRIORITY_MAX && !pc->builtin)
        return sim_fail(e, SIM_EINVAL, "priority class '%s': maximum allowed value of a user defined "
                        "priority is %d", pc->name, USER_PRIORITY_MAX);
    const SimPriorityClass *d = sim_priorityclass_default(e);
    if (pc->global_default && d)   /* upstream's PriorityClass admission message */
        return sim_fail(e, SIM_EINVAL, "PriorityClass %s is already marked as default. Only one default "
                        "can exist", d->name);
    return SIM_OK;
}

int sim_priorityclass_add(SimEngine *e, const SimPriorityClass *pc, uint32_t *id)
{
    int rc = class_check(e, pc);
    if (rc != SIM_OK)
        return rc;
    char *nm = sim_mem_strdup(e->mem, pc->name);
    uint32_t i = nm ? SIM_VEC_PUSH(e, e->classes) : SIM_NONE;
    if (i == SIM_NONE) {
        sim_mem_strfree(e->mem, nm);
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    }
    e->classes.v[i] = *pc;
    e->classes.v[i].name = nm;
    e->classes.v[i].global_default = pc->global_default != 0;
    e->classes.v[i].preempt_never = pc->preempt_never != 0;
    e->classes.v[i].builtin = pc->builtin != 0;
    *id = i;
    return SIM_OK;
}

const SimPriorityClass *sim_priorityclass_of(const SimEngine *e, uint32_t wl)
{
    const SimPodSpec *spec = &sim_workload(e, wl)->spec;
    if (spec->priority_class)
        return sim_priorityclass_find(e, spec->priority_class);
    return spec->priority != 0 ? NULL : sim_priorityclass_default(e);   /* the shorthand wins */
}

int sim_pod_preempt_never(SimEngine *e, uint32_t pod)
{
    uint32_t wl = sim_pod(e, pod)->wl;
    const SimPriorityClass *pc = sim_priorityclass_of(e, wl);
    return sim_workload(e, wl)->spec.preempt_never || (pc && pc->preempt_never);
}

/* ---- PodDisruptionBudget ------------------------------------------------ */
static int pod_live(const SimPod *p)
{
    return p->phase == SIM_POD_PENDING || p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING;
}

static int covers_wl(const SimPdb *pdb, const SimWorkload *w)
{
    return w->region == pdb->region && w->ns == pdb->ns &&
           sim_selector_matches(&pdb->selector, w->spec.labels, w->spec.nlabels);
}

static int covers(const SimEngine *e, const SimPdb *pdb, const SimPod *p)
{
    return covers_wl(pdb, &e->workloads.v[p->wl]);
}

static int pdb_check(SimEngine *e, const SimPdb *pdb)
{
    if (pdb->name == NULL || pdb->name[0] == '\0')
        return sim_fail(e, SIM_EINVAL, "a pod disruption budget needs a name");
    if (pdb->region >= e->regions.n || pdb->ns >= e->namespaces.n)
        return sim_fail(e, SIM_EINVAL, "pdb '%s': no such region or namespace", pdb->name);
    if (pdb->value < 0 || (pdb->percent && pdb->value > 100))
        return sim_fail(e, SIM_EINVAL, "pdb '%s': %s must be %s", pdb->name,
                        pdb->max_unavailable ? "maxUnavailable" : "minAvailable",
                        pdb->percent ? "between 0% and 100%" : "non-negative");
    for (size_t i = 0; i < e->pdbs.n; i++) {
        const SimPdb *o = &e->pdbs.v[i].pdb;
        if (o->region == pdb->region && o->ns == pdb->ns && strcmp(o->name, pdb->name) == 0)
            return sim_fail(e, SIM_EINVAL, "duplicate pod disruption budget name '%s' in namespace '%s'",
                            pdb->name, e->namespaces.v[pdb->ns].name);
    }
    return SIM_OK;
}

/* Counts the workloads and pods that exist already: a PDB may be added
 * during the run. */
static int pdb_count(SimEngine *e, SimPdbEntry *d)
{
    for (size_t i = 0; i < e->workloads.n; i++) {
        if (!covers_wl(&d->pdb, &e->workloads.v[i]))
            continue;
        if (sim_mem_grow(e->mem, (void **)&d->wls, &d->capwl, d->nwl + 1, sizeof *d->wls) != SIM_OK)
            return SIM_ENOMEM;
        d->wls[d->nwl++] = (uint32_t)i;
    }
    for (size_t i = 0; i < e->pods.n; i++) {
        const SimPod *p = sim_pod(e, (uint32_t)i);
        if (pod_live(p) && covers(e, &d->pdb, p)) {
            d->live++;
            d->healthy += p->phase == SIM_POD_RUNNING && !p->unready;
        }
    }
    return SIM_OK;
}

int sim_pdb_workload_reserve(SimEngine *e, const SimWorkload *w)
{
    for (size_t i = 0; i < e->pdbs.n; i++) {
        SimPdbEntry *d = &e->pdbs.v[i];
        if (covers_wl(&d->pdb, w) &&
            sim_mem_grow(e->mem, (void **)&d->wls, &d->capwl, d->nwl + 1, sizeof *d->wls) != SIM_OK)
            return sim_fail(e, SIM_ENOMEM, "out of memory");
    }
    return SIM_OK;
}

void sim_pdb_workload_added(SimEngine *e, uint32_t wl)
{
    for (size_t i = 0; i < e->pdbs.n; i++) {
        SimPdbEntry *d = &e->pdbs.v[i];
        if (covers_wl(&d->pdb, &e->workloads.v[wl])) {
            SIM_ASSERT(d->nwl < d->capwl);
            d->wls[d->nwl++] = wl;
        }
    }
}

int sim_pdb_add(SimEngine *e, const SimPdb *pdb, uint32_t *id)
{
    int rc = pdb_check(e, pdb);
    if (rc != SIM_OK)
        return rc;
    char *nm = sim_mem_strdup(e->mem, pdb->name);
    uint32_t i = nm ? SIM_VEC_PUSH(e, e->pdbs) : SIM_NONE;
    if (i == SIM_NONE) {
        sim_mem_strfree(e->mem, nm);
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    }
    SimPdbEntry *d = &e->pdbs.v[i];
    d->pdb = *pdb;
    d->pdb.name = nm;
    if (pdb_count(e, d) != SIM_OK) {
        sim_mem_free(e->mem, d->wls, d->capwl * sizeof *d->wls);
        sim_mem_strfree(e->mem, nm);
        e->pdbs.n--;
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    }
    *id = i;
    return SIM_OK;
}

uint32_t sim_pdb_count(const SimEngine *e) { return (uint32_t)e->pdbs.n; }

const SimPdb *sim_pdb(const SimEngine *e, uint32_t id)
{
    SIM_ASSERT(id < e->pdbs.n);
    return &e->pdbs.v[id].pdb;
}

int sim_pdb_covers(const SimEngine *e, uint32_t pdb, uint32_t pod)
{
    return covers(e, sim_pdb(e, pdb), sim_pod(e, pod));
}

/* Upstream's GetScaledValueFromIntOrPercent with roundUp: ceil(pct × n / 100). */
static int32_t percent_up(int32_t pct, int32_t n)
{
    return (int32_t)(((int64_t)pct * n + 99) / 100);
}

static int32_t desired_healthy(const SimPdb *pdb, int32_t expected)
{
    int32_t v = pdb->percent ? percent_up(pdb->value, expected) : pdb->value;
    if (!pdb->max_unavailable)
        return v;
    return expected - v > 0 ? expected - v : 0;
}

/* Upstream's getExpectedScale over the workloads with live covered pods:
 * the sum of their controllers' scale, or -1 when one has none. */
static int32_t expected_scale(const SimEngine *e, const SimPdbEntry *d)
{
    int64_t sum = 0;
    for (size_t i = 0; i < d->nwl; i++) {
        const SimWorkload *w = &e->workloads.v[d->wls[i]];
        if (w->live_pods == 0)
            continue;
        if (w->kind != SIM_WL_DEPLOYMENT && w->kind != SIM_WL_STATEFULSET)
            return -1;
        sum += w->replicas;
    }
    return sum > INT32_MAX ? INT32_MAX : (int32_t)sum;
}

int32_t sim_pdb_disruptions_allowed(SimEngine *e, uint32_t pdb)
{
    SIM_ASSERT(pdb < e->pdbs.n);
    const SimPdbEntry *d = &e->pdbs.v[pdb];
    int32_t expected = d->live;   /* unused by an integer minAvailable */
    if (d->pdb.max_unavailable || d->pdb.percent) {
        if ((expected = expected_scale(e, d)) < 0)
            return 0;   /* upstream: "found no controllers for pod": the budget fails safe */
    }
    int32_t allowed = d->healthy - desired_healthy(&d->pdb, expected);
    return allowed > 0 ? allowed : 0;
}

/* ---- keeping the counts (called by lifecycle.c) -------------------------- */
static void pdb_bump(SimEngine *e, uint32_t pod, int32_t dlive, int32_t dhealthy)
{
    const SimPod *p = sim_pod(e, pod);
    e->workloads.v[p->wl].live_pods += dlive;
    SIM_ASSERT(e->workloads.v[p->wl].live_pods >= 0);
    for (size_t i = 0; i < e->pdbs.n; i++) {
        SimPdbEntry *d = &e->pdbs.v[i];
        if (covers(e, &d->pdb, p)) {
            d->live += dlive;
            d->healthy += dhealthy;
            SIM_ASSERT(d->live >= 0 && d->healthy >= 0 && d->healthy <= d->live);
        }
    }
}

void sim_pdb_pod_created(SimEngine *e, uint32_t pod) { pdb_bump(e, pod, 1, 0); }
/* Healthy means Running and Ready: a pod on a NotReady node is not. */
void sim_pdb_pod_running(SimEngine *e, uint32_t pod) { pdb_bump(e, pod, 0, !sim_pod(e, pod)->unready); }
void sim_pdb_pod_ready(SimEngine *e, uint32_t pod) { pdb_bump(e, pod, 0, sim_pod(e, pod)->unready ? -1 : 1); }

void sim_pdb_pod_terminated(SimEngine *e, uint32_t pod)
{
    const SimPod *p = sim_pod(e, pod);
    pdb_bump(e, pod, -1, p->started_at >= 0 && !p->unready ? -1 : 0);
}

/* ---- freeing ------------------------------------------------------------ */
#define VEC_FREE(m, vec) sim_mem_free((m), (vec).v, (vec).cap * sizeof *(vec).v)

void sim_policy_free(SimEngine *e)
{
    SimMem *m = e->mem;
    for (size_t i = 0; i < e->classes.n; i++)
        sim_mem_strfree(m, e->classes.v[i].name);
    for (size_t i = 0; i < e->pdbs.n; i++) {
        sim_mem_strfree(m, e->pdbs.v[i].pdb.name);
        sim_mem_free(m, e->pdbs.v[i].wls, e->pdbs.v[i].capwl * sizeof *e->pdbs.v[i].wls);
    }
    for (size_t i = 0; i < e->quotas.n; i++)
        sim_mem_strfree(m, e->quotas.v[i].name);
    for (size_t i = 0; i < e->limitranges.n; i++)
        sim_mem_strfree(m, e->limitranges.v[i].name);
    VEC_FREE(m, e->classes);
    VEC_FREE(m, e->pdbs);
    VEC_FREE(m, e->quotas);
    VEC_FREE(m, e->limitranges);
    VEC_FREE(m, e->wladmit);
}
