/*
 * deployment.c: the Deployment controller, through ReplicaSets (upstream
 * pkg/controller/deployment: sync.go, rolling.go, progress.go and
 * util/deployment_util.go; k8s-behaviour.md §6). Each template revision is a
 * ReplicaSet (replicaset.c); a sync is upstream's syncDeployment: a scaling
 * event scales the ReplicaSets (proportionally during a rollout), otherwise
 * rolloutRolling scales the new ReplicaSet up within maxSurge and the old
 * ones down within maxUnavailable, then the Progressing condition is updated.
 *
 * Invariant: after a sync, every ReplicaSet has spec.replicas live pods
 * unless admission refused some (the sync then retries with backoff), and
 * Σ spec.replicas <= replicas + maxSurge whenever the ReplicaSets were
 * scaled by the rolling update.
 *
 * A sync runs upstream's successive syncs of one instant in a loop: upstream
 * returns after each scaling step and is woken by the ReplicaSet status it
 * changed; no simulated time passes in between, so the end state is the same.
 *
 * Simplifications (README "Fidelity"):
 *  - Ready = Running: the pod's start-up delay is its readiness delay (no
 *    readiness probes); available = Running for >= minReadySeconds (upstream
 *    compares the Ready condition's transition time strictly, at seconds).
 *  - Only the RollingUpdate strategy; revisionHistoryLimit is 10; no
 *    pause, rollback API or Recreate.
 *  - A rollout may change the image, requests, limits, start-up delay and
 *    declared usage, not labels or scheduling constraints. Pods keep their
 *    admitted requests and limits, but a pod of an older ReplicaSet that
 *    binds after a rollout starts with the current template's start-up delay
 *    and reports its declared usage; the scheduler's failure cache may judge
 *    an older ReplicaSet's pod by a newer one's verdict in the same instant.
 *  - Victims of a ReplicaSet's scale-down follow ActivePodsWithRanks with
 *    pod-deletion-cost and restart counts absent; its random UID tie-break
 *    is replaced by "newer pod first". Pods are deleted at once (no
 *    graceful termination), and the ReplicaSet controller's slow-start
 *    batches and burst limit are not modelled.
 */
#include "workloads/wl_int.h"

#include <string.h>

#include "workloads/apps.h"

#define NO_RS SIZE_MAX

/* ---- fenceposts (ResolveFenceposts, MaxSurge, MaxUnavailable) ------------- */
/* GetScaledValueFromIntOrPercent: ceil or floor of pct x total / 100. */
static int32_t scaled(SimIntOrPct v, int32_t def_pct, int32_t total, int round_up)
{
    if (!v.set)
        v = (SimIntOrPct){def_pct, 1, 1};
    if (!v.percent)
        return v.value;
    int64_t x = (int64_t)v.value * total;
    return (int32_t)(round_up ? (x + 99) / 100 : x / 100);
}

void wl_deploy_fenceposts(const SimWorkload *w, int32_t *surge, int32_t *unavailable)
{
    *surge = scaled(w->max_surge, WL_DEFAULT_SURGE_PCT, w->replicas, 1);
    *unavailable = scaled(w->max_unavailable, WL_DEFAULT_UNAVAILABLE_PCT, w->replicas, 0);
    if (*surge == 0 && *unavailable == 0)
        *unavailable = 1;   /* surge might not work because of quota: let one go unavailable */
}

static int32_t max_surge(const SimWorkload *w)
{
    int32_t s, u;
    wl_deploy_fenceposts(w, &s, &u);
    return s;
}

static int32_t max_unavailable(const SimWorkload *w)
{
    int32_t s, u;
    if (w->replicas == 0)
        return 0;
    wl_deploy_fenceposts(w, &s, &u);
    return u > w->replicas ? w->replicas : u;
}

static SimTime deadline(const SimWorkload *w)
{
    return w->progress_deadline > 0 ? w->progress_deadline : WL_DEFAULT_PROGRESS_DEADLINE;
}

/* ---- state ------------------------------------------------------------------ */
WlDeploy *wl_deploy_of(WlControllers *c, uint32_t wl)
{
    for (size_t i = 0; i < c->ndep; i++)
        if (c->dep[i].wl == wl)
            return &c->dep[i];
    return NULL;
}

static const SimWorkload *wl_of(WlControllers *c, const WlDeploy *d)
{
    return sim_workload(c->e, d->wl);
}

/* Schedules the Deployment's rollouts (a rollout already due runs now). */
static int schedule_rollouts(WlControllers *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    for (size_t k = 0; k < w->nrollouts; k++) {
        SimTime at = w->rollouts[k].at > sim_now(c->e) ? w->rollouts[k].at : sim_now(c->e);
        int rc = sim_schedule(c->e, at, c->ev, wl, 0, WL_AUX_ROLLOUT + (uint32_t)k);
        if (rc != SIM_OK)
            return sim_fail(c->e, rc, "out of memory");
    }
    return SIM_OK;
}

int wl_deploy_start(WlControllers *c, uint32_t wl)
{
    if (wl_deploy_of(c, wl) == NULL) {
        if (sim_mem_grow(sim_mem(c->e), (void **)&c->dep, &c->capdep, c->ndep + 1, sizeof *c->dep) != SIM_OK)
            return sim_fail(c->e, SIM_ENOMEM, "out of memory");
        WlDeploy *d = &c->dep[c->ndep++];
        memset(d, 0, sizeof *d);
        d->wl = wl;
        d->cond_status = -1;
    }
    int rc = schedule_rollouts(c, wl);
    return rc == SIM_OK ? wl_queue_reconcile(c, wl, sim_now(c->e)) : rc;
}

void wl_deploy_pod_changed(WlControllers *c, uint32_t pod, int dready)
{
    WlDeploy *d = wl_deploy_of(c, sim_pod(c->e, pod)->wl);
    if (d)
        wl_rs_pod_ready(c, d, pod, dready);
}

void wl_deploy_pod_terminated(WlControllers *c, uint32_t pod)
{
    WlDeploy *d = wl_deploy_of(c, sim_pod(c->e, pod)->wl);
    if (d)
        wl_rs_pod_gone(c, d, pod);
}

void wl_deploy_free(WlControllers *c)
{
    SimMem *m = sim_mem(c->e);
    for (size_t i = 0; i < c->ndep; i++) {
        sim_mem_free(m, c->dep[i].rs, c->dep[i].caprs * sizeof *c->dep[i].rs);
        sim_mem_free(m, c->dep[i].pods, c->dep[i].cappods * sizeof *c->dep[i].pods);
        wl_rs_slots_free(c, &c->dep[i]);
    }
    sim_mem_free(m, c->dep, c->capdep * sizeof *c->dep);
}

/* ---- the ReplicaSets' roles --------------------------------------------------- */
/* The ReplicaSet whose template is the Deployment's, or NO_RS. */
static size_t find_new(WlControllers *c, const WlDeploy *d)
{
    WlTemplate t;
    wl_template_of(&wl_of(c, d)->spec, &t);
    for (size_t i = 0; i < d->nrs; i++)
        if (wl_template_eq(&d->rs[i].t, &t))
            return i;
    return NO_RS;
}

static int32_t sum_replicas(const WlDeploy *d, size_t except)
{
    int32_t n = 0;
    for (size_t i = 0; i < d->nrs; i++)
        n += i == except ? 0 : d->rs[i].replicas;
    return n;
}

static int32_t sum_available(const WlDeploy *d)
{
    int32_t n = 0;
    for (size_t i = 0; i < d->nrs; i++)
        n += d->rs[i].available;
    return n;
}

static uint32_t max_old_revision(const WlDeploy *d, size_t nrs)
{
    uint32_t m = 0;
    for (size_t i = 0; i < d->nrs; i++)
        if (i != nrs && d->rs[i].revision > m)
            m = d->rs[i].revision;
    return m;
}

/* Scales ReplicaSet i with the replica annotations (scaleReplicaSetAndRecordEvent:
 * nothing at all when the size is unchanged). 1 if it scaled. */
static int scale_rs(WlControllers *c, WlDeploy *d, size_t i, int32_t to)
{
    if (d->rs[i].replicas == to)
        return 0;
    wl_rs_set(c, d, i, to, 1);
    return 1;
}

/* ---- the Progressing condition ------------------------------------------------ */
static void set_cond(WlControllers *c, WlDeploy *d, int status, WlProgress reason)
{
    SimTime now = sim_now(c->e);
    if (d->cond_status == status && d->cond_reason == (int)reason)
        return;   /* SetDeploymentCondition keeps the condition as it is */
    if (d->cond_status != status)
        d->cond_transition = now;
    d->cond_status = status;
    d->cond_reason = (int)reason;
    d->cond_update = now;
    sim_trace_rec(c->e, WL_TR_DEPLOY_CONDITION,
                  (SimTrVal[]){SIM_TRI(d->wl), SIM_TRI(status), SIM_TRS(wl_progress_reason(reason))}, 3);
}

const char *wl_progress_reason(WlProgress r)
{
    static const char *const names[] = {"", "NewReplicaSetCreated", "FoundNewReplicaSet", "ReplicaSetUpdated",
                                        "NewReplicaSetAvailable", "ProgressDeadlineExceeded"};
    return (size_t)r < sizeof names / sizeof names[0] ? names[r] : "";
}

/* ---- rolloutRolling ------------------------------------------------------------ */
/* NewRSNewReplicas: the new ReplicaSet grows into the room maxSurge leaves. */
static int32_t new_rs_target(WlControllers *c, const WlDeploy *d, size_t nrs)
{
    const SimWorkload *w = wl_of(c, d);
    int32_t cur = sum_replicas(d, NO_RS), have = nrs == NO_RS ? 0 : d->rs[nrs].replicas;
    int32_t max_total = w->replicas + max_surge(w);
    if (cur >= max_total)
        return have;
    int32_t up = max_total - cur;
    if (up > w->replicas - have)
        up = w->replicas - have;
    return have + up;
}

/* getNewReplicaSet: the ReplicaSet of the current template, created if none
 * (with its first replicas) and given the newest revision. */
static size_t get_new(WlControllers *c, WlDeploy *d, int *changed)
{
    size_t nrs = find_new(c, d);
    uint32_t rev = max_old_revision(d, nrs) + 1;
    if (nrs != NO_RS) {
        if (d->rs[nrs].revision < rev)
            d->rs[nrs].revision = rev;   /* a rollback to an older template */
        if (d->cond_status < 0)
            set_cond(c, d, 1, WL_PROGRESS_FOUND_NEW_RS);
        return nrs;
    }
    int32_t first = new_rs_target(c, d, NO_RS);
    WlTemplate t;
    wl_template_of(&wl_of(c, d)->spec, &t);
    if ((nrs = wl_rs_add(c, d, &t, rev)) == NO_RS)
        return NO_RS;
    wl_rs_set(c, d, nrs, first, 1);
    set_cond(c, d, 1, WL_PROGRESS_NEW_RS_CREATED);
    *changed = 1;
    return nrs;
}

/* reconcileNewReplicaSet. */
static int reconcile_new(WlControllers *c, WlDeploy *d, size_t nrs)
{
    int32_t want = wl_of(c, d)->replicas;
    if (d->rs[nrs].replicas == want)
        return 0;
    if (d->rs[nrs].replicas > want)
        return scale_rs(c, d, nrs, want);
    return scale_rs(c, d, nrs, new_rs_target(c, d, nrs));
}

/* cleanupUnhealthyReplicas: old ReplicaSets, oldest first, lose their
 * unavailable pods first, up to max in all. */
static int32_t cleanup_unhealthy(WlControllers *c, WlDeploy *d, size_t nrs, int32_t max)
{
    int32_t total = 0;
    for (size_t i = 0; i < d->nrs && total < max; i++) {
        WlRs *r = &d->rs[i];
        if (i == nrs || r->replicas == 0 || r->replicas == r->available)
            continue;
        int32_t k = r->replicas - r->available;
        if (k > max - total)
            k = max - total;
        if (k <= 0)
            continue;
        scale_rs(c, d, i, r->replicas - k);
        total += k;
    }
    return total;
}

/* scaleDownOldReplicaSetsForRollingUpdate: oldest first, while more pods
 * are available than minAvailable. */
static int32_t scale_down_old(WlControllers *c, WlDeploy *d, size_t nrs, int32_t min_available)
{
    int32_t avail = sum_available(d);
    if (avail <= min_available)
        return 0;
    int32_t want = avail - min_available, done = 0;
    for (size_t i = 0; i < d->nrs && done < want; i++) {
        if (i == nrs || d->rs[i].replicas == 0)
            continue;
        int32_t k = d->rs[i].replicas < want - done ? d->rs[i].replicas : want - done;
        scale_rs(c, d, i, d->rs[i].replicas - k);
        done += k;
    }
    return done;
}

/* reconcileOldReplicaSets: maxScaledDown = allPods - minAvailable -
 * (new.replicas - new.available). */
static int reconcile_old(WlControllers *c, WlDeploy *d, size_t nrs)
{
    const SimWorkload *w = wl_of(c, d);
    if (sum_replicas(d, nrs) == 0)
        return 0;
    int32_t min_available = w->replicas - max_unavailable(w);
    int32_t new_unavailable = d->rs[nrs].replicas - d->rs[nrs].available;
    int32_t max_down = sum_replicas(d, NO_RS) - min_available - new_unavailable;
    if (max_down <= 0)
        return 0;
    int32_t n = cleanup_unhealthy(c, d, nrs, max_down);
    n += scale_down_old(c, d, nrs, min_available);
    return n > 0;
}

/* DeploymentComplete over a status. */
static int complete(const SimWorkload *w, int32_t updated, int32_t replicas, int32_t available)
{
    return updated == w->replicas && replicas == w->replicas && available == w->replicas;
}

/* cleanupDeployment: of the old ReplicaSets beyond revisionHistoryLimit,
 * the oldest revisions are deleted, skipping any that still has replicas or
 * pods (so fewer may go). */
static void cleanup_history(WlDeploy *d, size_t nrs)
{
    size_t old = d->nrs - (nrs != NO_RS);
    if (old <= WL_REVISION_HISTORY_LIMIT)
        return;
    size_t diff = old - WL_REVISION_HISTORY_LIMIT;
    uint32_t below = 0;   /* revisions already considered are <= below */
    for (size_t k = 0; k < diff; k++) {
        size_t oldest = NO_RS;
        for (size_t i = 0; i < d->nrs; i++)
            if (i != nrs && d->rs[i].revision > below &&
                (oldest == NO_RS || d->rs[i].revision < d->rs[oldest].revision))
                oldest = i;
        if (oldest == NO_RS)
            return;
        below = d->rs[oldest].revision;
        if (d->rs[oldest].replicas != 0 || d->rs[oldest].pods != 0)
            continue;
        memmove(&d->rs[oldest], &d->rs[oldest + 1], (d->nrs - oldest - 1) * sizeof *d->rs);
        d->nrs--;
        d->gen++;
        if (nrs != NO_RS && nrs > oldest)
            nrs--;
    }
}

static int rolling(WlControllers *c, WlDeploy *d, int *changed)
{
    size_t nrs = get_new(c, d, changed);
    if (nrs == NO_RS)
        return SIM_ENOMEM;
    if (reconcile_new(c, d, nrs) || reconcile_old(c, d, nrs)) {
        *changed = 1;
        return SIM_OK;
    }
    if (complete(wl_of(c, d), d->st_updated, d->st_replicas, d->st_available))
        cleanup_history(d, nrs);
    return SIM_OK;
}

/* ---- scaling events (sync.go: isScalingEvent, scale) ----------------------------- */
static int active(const WlDeploy *d, size_t i)
{
    return i != NO_RS && d->rs[i].replicas > 0;
}

static int scaling_event(WlControllers *c, const WlDeploy *d)
{
    int32_t want = wl_of(c, d)->replicas;
    for (size_t i = 0; i < d->nrs; i++)
        if (active(d, i) && d->rs[i].desired_ann >= 0 && d->rs[i].desired_ann != want)
            return 1;
    return 0;
}

/* FindActiveOrLatest: the only active ReplicaSet, or with none active the
 * new one, else the newest; NO_RS when several are active. */
static size_t active_or_latest(const WlDeploy *d, size_t nrs)
{
    size_t found = NO_RS, n = 0;
    for (size_t i = 0; i < d->nrs; i++)
        if (active(d, i)) {
            found = i;
            n++;
        }
    if (n == 1)
        return found;
    if (n > 1 || d->nrs == 0)
        return NO_RS;
    return nrs != NO_RS ? nrs : d->nrs - 1;
}

static int saturated(WlControllers *c, const WlDeploy *d, size_t nrs)
{
    int32_t want = wl_of(c, d)->replicas;
    return nrs != NO_RS && d->rs[nrs].replicas == want && d->rs[nrs].desired_ann == want &&
           d->rs[nrs].available == want;
}

/* getReplicaSetFraction: the ReplicaSet's share of the new maximum, rounded
 * half away from zero (integer.RoundToInt32). */
static int32_t fraction(WlControllers *c, const WlDeploy *d, size_t i)
{
    const SimWorkload *w = wl_of(c, d);
    if (w->replicas == 0)
        return -d->rs[i].replicas;
    int64_t dmax = w->replicas + max_surge(w), before = d->rs[i].max_ann;
    if (before <= 0)
        return 0;
    int64_t num = (int64_t)d->rs[i].replicas * dmax;
    return (int32_t)((2 * num + before) / (2 * before)) - d->rs[i].replicas;
}

static int32_t proportion(WlControllers *c, const WlDeploy *d, size_t i, int32_t to_add, int32_t added)
{
    if (d->rs[i].replicas == 0 || to_add == 0 || to_add == added)
        return 0;
    int32_t f = fraction(c, d, i), allowed = to_add - added;
    if (to_add > 0)
        return f < allowed ? f : allowed;
    return f > allowed ? f : allowed;
}

/* ReplicaSetsBySizeNewer (scaling up) or BySizeOlder (down): larger first;
 * among equals the newer first when growing, the older when shrinking. */
static int size_before(const WlDeploy *d, size_t a, size_t b, int up)
{
    if (d->rs[a].replicas != d->rs[b].replicas)
        return d->rs[a].replicas > d->rs[b].replicas;
    return up ? d->rs[a].id > d->rs[b].id : d->rs[a].id < d->rs[b].id;
}

#define MAX_ACTIVE 64   /* active ReplicaSets scaled proportionally; more are left as they are */

/* The proportional part of scale(): the change of replicas + maxSurge is
 * shared among the active ReplicaSets by their size. */
static void proportional(WlControllers *c, WlDeploy *d, int *changed)
{
    const SimWorkload *w = wl_of(c, d);
    int32_t allowed = w->replicas > 0 ? w->replicas + max_surge(w) : 0;
    int32_t to_add = allowed - sum_replicas(d, NO_RS), added = 0;
    size_t order[MAX_ACTIVE], n = 0;
    for (size_t i = 0; i < d->nrs && n < MAX_ACTIVE; i++)
        if (active(d, i)) {
            size_t j = n++;
            for (; j > 0 && to_add != 0 && size_before(d, i, order[j - 1], to_add > 0); j--)
                order[j] = order[j - 1];
            order[j] = i;
        }
    int32_t size[MAX_ACTIVE];
    for (size_t k = 0; k < n; k++) {
        int32_t p = proportion(c, d, order[k], to_add, added);
        size[k] = d->rs[order[k]].replicas + p;
        added += p;
    }
    if (n > 0 && to_add != 0 && (size[0] += to_add - added) < 0)
        size[0] = 0;   /* leftovers go to the largest */
    for (size_t k = 0; k < n; k++) {
        *changed |= d->rs[order[k]].replicas != size[k];
        wl_rs_set(c, d, order[k], size[k], 1);   /* scaleReplicaSet: annotations even at equal size */
    }
}

static void scale(WlControllers *c, WlDeploy *d, size_t nrs, int *changed)
{
    int32_t want = wl_of(c, d)->replicas;
    size_t one = active_or_latest(d, nrs);
    if (one != NO_RS) {
        *changed |= scale_rs(c, d, one, want);
        return;
    }
    if (saturated(c, d, nrs)) {
        for (size_t i = 0; i < d->nrs; i++)
            if (i != nrs && active(d, i))
                *changed |= scale_rs(c, d, i, 0);
        return;
    }
    proportional(c, d, changed);
}

/* ---- status and progress (syncRolloutStatus) ------------------------------------ */
typedef struct Status {
    int32_t replicas, updated, ready, available;
} Status;

static Status status_of(const WlDeploy *d, size_t nrs)
{
    Status s = {0, 0, 0, 0};
    for (size_t i = 0; i < d->nrs; i++) {
        s.replicas += d->rs[i].pods;
        s.ready += d->rs[i].ready;
        s.available += d->rs[i].available;
    }
    s.updated = nrs != NO_RS ? d->rs[nrs].pods : 0;
    return s;
}

/* DeploymentProgressing: more updated, ready or available pods, or fewer old
 * ones, than at the last sync. */
static int progressed(const WlDeploy *d, const Status *s)
{
    return s->updated > d->st_updated || s->replicas - s->updated < d->st_replicas - d->st_updated ||
           s->ready > d->st_ready || s->available > d->st_available;
}

/* DeploymentTimedOut: no progress reported for progressDeadlineSeconds
 * (strictly past it, as upstream's Before). */
static int timed_out(WlControllers *c, const WlDeploy *d)
{
    if (d->cond_status < 0 || d->cond_reason == WL_PROGRESS_NEW_RS_AVAILABLE)
        return 0;
    if (d->cond_reason == WL_PROGRESS_DEADLINE_EXCEEDED)
        return 1;
    return d->cond_update + deadline(wl_of(c, d)) < sim_now(c->e);
}

static void sync_progress(WlControllers *c, WlDeploy *d, const Status *s)
{
    const SimWorkload *w = wl_of(c, d);
    if (s->replicas == s->updated && d->cond_reason == WL_PROGRESS_NEW_RS_AVAILABLE)
        return;   /* a complete rollout: nothing to estimate */
    if (complete(w, s->updated, s->replicas, s->available)) {
        set_cond(c, d, 1, WL_PROGRESS_NEW_RS_AVAILABLE);
    } else if (progressed(d, s)) {
        if (d->cond_status != 1)
            d->cond_transition = sim_now(c->e);
        if (d->cond_status != 1 || d->cond_reason != WL_PROGRESS_RS_UPDATED)
            sim_trace_rec(c->e, WL_TR_DEPLOY_CONDITION, (SimTrVal[]){SIM_TRI(d->wl), SIM_TRI(1),
                          SIM_TRS(wl_progress_reason(WL_PROGRESS_RS_UPDATED))}, 3);
        d->cond_status = 1;   /* ReplicaSetUpdated, with a fresh lastUpdateTime */
        d->cond_reason = WL_PROGRESS_RS_UPDATED;
        d->cond_update = sim_now(c->e);
    } else if (timed_out(c, d)) {
        set_cond(c, d, 0, WL_PROGRESS_DEADLINE_EXCEEDED);
    }
}

/* requeueStuckDeployment: a rollout in progress is checked again a second
 * after its deadline (upstream adds the second against clock skew). */
static SimTime progress_check_at(WlControllers *c, const WlDeploy *d, const Status *s)
{
    const SimWorkload *w = wl_of(c, d);
    if (d->cond_status < 0 || complete(w, s->updated, s->replicas, s->available) ||
        d->cond_reason == WL_PROGRESS_DEADLINE_EXCEEDED)
        return SIM_TIME_MAX;
    SimTime at = d->cond_update + deadline(w);   /* timed out strictly after it */
    if (at < sim_now(c->e))
        return SIM_TIME_MAX;   /* past it already: only a scaled, completed rollout gets here
                                  (sync_progress estimates nothing then), and a poll would
                                  change nothing; upstream's rate-limited requeue backs off to
                                  1000 s, and the next pod event syncs anyway */
    return at - sim_now(c->e) < SIM_SEC(1) ? at + 1 : at + SIM_SEC(1);
}

static void save_status(WlDeploy *d, const Status *s)
{
    d->st_replicas = s->replicas;
    d->st_updated = s->updated;
    d->st_ready = s->ready;
    d->st_available = s->available;
}

/* ---- the sync ------------------------------------------------------------------- */
/* One of upstream's syncs; *changed if it scaled a ReplicaSet. */
static int sync_once(WlControllers *c, WlDeploy *d, int *changed)
{
    (void)wl_rs_status(c, d);
    if (scaling_event(c, d)) {
        scale(c, d, find_new(c, d), changed);
        *changed = 1;   /* the annotations changed at least: upstream's next sync follows */
        return SIM_OK;
    }
    return rolling(c, d, changed);
}

int wl_deploy_reconcile(WlControllers *c, uint32_t wl)
{
    WlDeploy *d = wl_deploy_of(c, wl);
    if (d == NULL)
        return SIM_OK;   /* declared but never started */
    int rc = SIM_OK;
    for (int round = 0; round < 16; round++) {   /* converges in a few rounds */
        int changed = 0;
        rc = sync_once(c, d, &changed);
        if (rc == SIM_OK)
            rc = wl_rs_sync(c, d);
        if (rc != SIM_OK || !changed)
            break;
    }
    if (rc == SIM_ENOMEM)
        return rc;
    SimTime next = wl_rs_status(c, d);
    Status s = status_of(d, find_new(c, d));
    sync_progress(c, d, &s);
    save_status(d, &s);
    SimTime check = progress_check_at(c, d, &s);
    wl_wake_at(c, wl, next < check ? next : check);
    return rc;
}

/* ---- timers and rollouts ---------------------------------------------------------- */
void wl_wake_at(WlControllers *c, uint32_t wl, SimTime t)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    SimTime now = sim_now(c->e);
    if (t == SIM_TIME_MAX || (w->wake_at >= now && w->wake_at != 0 && w->wake_at <= t))
        return;   /* none needed, or an earlier one is pending: that sync asks again */
    sim_workload_set_wake(c->e, wl, t);
    (void)sim_schedule(c->e, t, c->ev, wl, 0, WL_AUX_WAKE);
}

static void rollout_apply(SimEngine *e, uint32_t wl, const SimRollout *r)
{
    SimPodSpec spec = sim_workload(e, wl)->spec, *sp = &spec;
    if (r->image)
        sp->image = r->image;
    if (r->cpu_m >= 0)
        sp->req.cpu_m = r->cpu_m;
    if (r->mem >= 0)
        sp->req.mem = r->mem;
    if (r->gpu >= 0)
        sp->req.gpu = r->gpu;
    if (r->lim_cpu_m >= 0)
        sp->lim_cpu_m = r->lim_cpu_m;
    if (r->lim_mem >= 0)
        sp->lim_mem = r->lim_mem;
    if (r->startup >= 0)
        sp->startup = r->startup;
    if (r->usage_cpu_m >= 0)
        sp->usage_cpu_m = r->usage_cpu_m;
    if (r->usage_mem >= 0)
        sp->usage_mem = r->usage_mem;
    sim_workload_set_spec(e, wl, &spec);
}

int wl_apps_timer(WlControllers *c, const SimEvent *ev)
{
    const SimWorkload *w = sim_workload(c->e, ev->obj);
    if (ev->aux == WL_AUX_WAKE) {
        if (w->wake_at != ev->t)
            return 0;   /* superseded by an earlier wake-up */
        sim_workload_set_wake(c->e, ev->obj, 0);
        return 1;
    }
    size_t k = ev->aux - WL_AUX_ROLLOUT;
    if (w->kind != SIM_WL_DEPLOYMENT || k >= w->nrollouts)
        return 0;
    rollout_apply(c->e, ev->obj, &w->rollouts[k]);
    return 1;
}

int wl_rollout(WlControllers *c, uint32_t wl, const SimRollout *r)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->kind != SIM_WL_DEPLOYMENT || wl_deploy_of(c, wl) == NULL)
        return sim_fail(c->e, SIM_EINVAL, "workload '%s' is not a started Deployment", w->name);
    rollout_apply(c->e, wl, r);
    sim_workload_set_wake(c->e, wl, sim_now(c->e));   /* a spec change syncs at once, backoff or not */
    return sim_schedule(c->e, sim_now(c->e), c->ev, wl, 0, WL_AUX_WAKE);
}

/* ---- what it shows ----------------------------------------------------------------- */
int wl_deploy_status(WlControllers *c, uint32_t wl, WlDeployStatus *out)
{
    const WlDeploy *d = wl_deploy_of(c, wl);
    if (d == NULL)
        return sim_fail(c->e, SIM_EINVAL, "workload %u is not a started Deployment", wl);
    memset(out, 0, sizeof *out);
    out->replicas = d->st_replicas;
    out->updated = d->st_updated;
    out->ready = d->st_ready;
    out->available = d->st_available;
    int32_t total = sum_replicas(d, NO_RS);
    out->unavailable = total > d->st_available ? total - d->st_available : 0;
    size_t nrs = find_new(c, d);
    out->revision = nrs != NO_RS ? d->rs[nrs].revision : 0;
    out->progressing = d->cond_status;
    out->reason = (WlProgress)d->cond_reason;
    out->last_update = d->cond_update;
    out->last_transition = d->cond_transition;
    return SIM_OK;
}

size_t wl_deploy_replicasets(WlControllers *c, uint32_t wl, WlRsInfo *out, size_t max)
{
    const WlDeploy *d = wl_deploy_of(c, wl);
    if (d == NULL)
        return 0;
    size_t nrs = find_new(c, d);
    for (size_t i = 0; i < d->nrs && i < max; i++) {
        const WlRs *r = &d->rs[i];
        WlRsInfo *o = &out[i];
        o->id = r->id;
        o->revision = r->revision;
        snprintf(o->name, sizeof o->name, "%s-%s", sim_workload(c->e, wl)->name, r->hash);
        o->replicas = r->replicas;
        o->pods = r->pods;
        o->ready = r->ready;
        o->available = r->available;
        o->current = i == nrs;
    }
    return d->nrs;
}

static void sample(void *ctx, SimEngine *e, SimMetrics *mt)
{
    WlControllers *c = ctx;
    for (size_t k = 0; k < c->ndep; k++) {
        WlDeploy *d = &c->dep[k];
        const SimWorkload *w = sim_workload(e, d->wl);
        const char *rn = sim_region(e, w->region)->name;
        (void)wl_rs_status(c, d);
        Status s = status_of(d, find_new(c, d));
        char wn[320];   /* NAMESPACE/NAME when the name is in several namespaces */
        sim_workload_label(e, d->wl, wn, sizeof wn);
        sim_metrics_row(mt, sim_now(e), rn, "deployment", wn, "updated", s.updated);
        sim_metrics_row(mt, sim_now(e), rn, "deployment", wn, "available", s.available);
        for (size_t i = 0; i < d->nrs; i++) {
            char name[360];
            snprintf(name, sizeof name, "%s-%s", wn, d->rs[i].hash);
            sim_metrics_row(mt, sim_now(e), rn, "replicaset", name, "replicas", d->rs[i].replicas);
            sim_metrics_row(mt, sim_now(e), rn, "replicaset", name, "available", d->rs[i].available);
        }
    }
}

int wl_apps_add_sampler(WlControllers *c, SimMetrics *mt)
{
    return sim_metrics_add_sampler(mt, sample, c);
}
