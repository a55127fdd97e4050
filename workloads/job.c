/*
 * job.c: the Job controller (k8s-behaviour.md §5.1, upstream
 * pkg/controller/job). A Job keeps up to `parallelism` pods active until
 * `completions` pods have succeeded (NonIndexed); until every completion index
 * 0..completions-1 has a succeeded pod (Indexed: one pod per incomplete index,
 * the pod carries its index); or, in work-queue mode (only parallelism set),
 * until one pod has succeeded and none is left running. A failed pod counts
 * toward backoffLimit (the Job fails with BackoffLimitExceeded once failed >
 * backoffLimit) and delays the next pod by 10 s x 2^(n-1), capped at 10 min,
 * after the last of n failures since the last success. activeDeadlineSeconds
 * fails it (DeadlineExceeded, its running pods deleted) that long after its
 * start; ttlSecondsAfterFinished deletes it that long after it finished. Pods
 * are created at most 500 per sync. Each sync is an event: a pod's end queues
 * one, and the backoff, the deadline and the TTL arm one for their time.
 * Invariant: w->active counts the Job's live pods; for an Indexed Job an index
 * is ACTIVE exactly when a live pod carries it, and w->succeeded counts the
 * SUCCEEDED indexes.
 *
 * Simplifications (README "Fidelity"):
 *  - pods fail only through the failure injection (`fail`: the first N pods,
 *    or each with a probability, at the end of their run), sim_pod_fail, or
 *    deletion: as upstream, a Job's pod deleted before it succeeded
 *    (preemption, eviction) counts as failed;
 *  - no podFailurePolicy, backoffLimitPerIndex, suspend, successPolicy,
 *    podReplacementPolicy or restartPolicy OnFailure (pods never restart);
 *  - a sync runs as soon as one of the Job's pods ends (upstream batches pod
 *    events for 1 s) and creates its pods in one go (upstream: slow-start
 *    batches 1, 2, 4, ... within the sync);
 *  - surplus pods are deleted Pending first, then Bound, then Running, newest
 *    first within each, rather than by upstream's full ranking;
 *  - when failed > backoffLimit and the deadline has passed at the same sync,
 *    upstream's order of checks gives BackoffLimitExceeded, as here; the
 *    deadline otherwise fires on its own timer, during a backoff wait too;
 *  - a Job refused by count/jobs.batch never exists and is not retried.
 * Deleting a Job (TTL, a CronJob's history limit or Replace) deletes its
 * pods, live and ended (upstream's garbage collector deletes every pod it
 * owns), so its count/pods and count/jobs.batch go back to the quotas; until
 * then its ended pods hold count/pods, which can stop a Job whose completions
 * exceed it (the controller retries the refused pod with its backoff).
 */
#include "workloads/wl_int.h"

#include <math.h>
#include <string.h>

#include "sim/policy.h"

#define BACKOFF_BASE SIM_SEC(10)     /* DefaultJobPodFailureBackOff */
#define BACKOFF_MAX SIM_SEC(600)     /* MaxJobPodFailureBackOff (the docs say 6 min; the code 10) */
#define MAX_PER_SYNC 500             /* MaxPodCreateDeletePerSync */
#define DEFAULT_BACKOFF_LIMIT 6

enum { IDX_PENDING = 0, IDX_ACTIVE, IDX_SUCCEEDED };

/* ---- state ------------------------------------------------------------------- */
WlJob *wl_job_state(WlControllers *c, uint32_t wl)
{
    if (wl >= c->capjobs) {
        size_t old = c->capjobs;
        if (sim_mem_grow(sim_mem(c->e), (void **)&c->jobs, &c->capjobs, (size_t)wl + 1, sizeof *c->jobs)) {
            sim_fail(c->e, SIM_ENOMEM, "out of memory");
            return NULL;
        }
        memset(&c->jobs[old], 0, (c->capjobs - old) * sizeof *c->jobs);
    }
    WlJob *j = &c->jobs[wl];
    if (!j->inited) {
        j->inited = 1;
        j->start = j->finish = j->last_fail = j->last_success = -1;
        j->cron = SIM_NONE;
    }
    return j;
}

static void job_free_arrays(WlControllers *c, WlJob *j)
{
    sim_mem_free(sim_mem(c->e), j->pods, j->cappods * sizeof *j->pods);
    sim_mem_free(sim_mem(c->e), j->index_state, j->nindex);
    j->pods = NULL;
    j->index_state = NULL;
    j->npods = j->cappods = j->nindex = 0;
}

void wl_job_free(WlControllers *c)
{
    for (size_t i = 0; i < c->capjobs; i++)
        job_free_arrays(c, &c->jobs[i]);
    sim_mem_free(sim_mem(c->e), c->jobs, c->capjobs * sizeof *c->jobs);
}

SimTime wl_job_failure_backoff(int32_t n)
{
    if (n <= 0)
        return 0;
    SimTime d = BACKOFF_BASE;
    for (int32_t i = 1; i < n && d < BACKOFF_MAX; i++)
        d *= 2;
    return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

/* Upstream's getRemainingTime: how long the next pod must still wait. */
static SimTime backoff_remaining(const WlJob *j, SimTime now)
{
    SimTime d = wl_job_failure_backoff(j->fail_streak), elapsed = now - j->last_fail;
    return d < elapsed ? 0 : d - elapsed;
}

/* ---- pod ends ------------------------------------------------------------------- */
static void pod_succeeded(SimEngine *e, WlJob *j, const SimPod *p, SimTime now)
{
    int32_t idx = p->completion_index;
    if (idx >= 0 && (size_t)idx < j->nindex) {
        if (j->index_state[idx] != IDX_SUCCEEDED)
            sim_workload_count_ends(e, p->wl, 1, 0);
        j->index_state[idx] = IDX_SUCCEEDED;
    } else {
        sim_workload_count_ends(e, p->wl, 1, 0);
    }
    j->fail_streak = 0;
    j->last_success = now;
}

static void pod_failed(SimEngine *e, WlJob *j, const SimPod *p, SimTime now)
{
    int32_t idx = p->completion_index;
    sim_workload_count_ends(e, p->wl, 0, 1);
    if (idx >= 0 && (size_t)idx < j->nindex && j->index_state[idx] == IDX_ACTIVE)
        j->index_state[idx] = IDX_PENDING;
    if (now == j->last_success)
        return;   /* upstream counts only failures after the last success */
    j->fail_streak++;
    j->last_fail = now;
}

void wl_job_pod_terminated(WlControllers *c, uint32_t pod)
{
    const SimPod *p = sim_pod(c->e, pod);
    WlJob *j = wl_job_state(c, p->wl);
    const SimWorkload *w = sim_workload(c->e, p->wl);
    if (p->phase == SIM_POD_SUCCEEDED)
        wl_bt_pod_succeeded(c, pod);
    if (j == NULL || w->deleted)
        return;
    if (p->phase == SIM_POD_SUCCEEDED)
        pod_succeeded(c->e, j, p, sim_now(c->e));
    else
        pod_failed(c->e, j, p, sim_now(c->e));   /* Failed, or deleted before it succeeded */
}

/* ---- creating and deleting pods -------------------------------------------------- */
/* The exit code the failure injection gives the Job's next pod. */
static int32_t pod_outcome(WlControllers *c, const SimJobSpec *js, WlJob *j)
{
    int fails = j->created++ < js->fail_first;
    if (!fails && js->fail_probability > 0)
        fails = sim_rng_unit(sim_rng(c->e, SIM_RNG_WORKLOAD)) < js->fail_probability;
    return fails ? (js->fail_exit_code ? js->fail_exit_code : 1) : 0;
}

static int32_t next_pending_index(const WlJob *j, size_t *from)
{
    for (; *from < j->nindex; (*from)++)
        if (j->index_state[*from] == IDX_PENDING)
            return (int32_t)(*from)++;
    return -1;
}

/* Creates one pod (with index idx, or -1) and records it. */
static int create_pod(WlControllers *c, uint32_t wl, int32_t idx)
{
    WlJob *j = &c->jobs[wl];
    if (sim_mem_grow(sim_mem(c->e), (void **)&j->pods, &j->cappods, j->npods + 1, sizeof *j->pods))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    uint32_t pod;
    int rc = sim_pod_create(c->e, wl, &pod);
    if (rc != SIM_OK)
        return rc;
    sim_workload_count_pods(c->e, wl, 1, 0);
    j->pods[j->npods++] = pod;
    if (idx >= 0) {
        j->index_state[idx] = IDX_ACTIVE;
        sim_pod_set_completion_index(c->e, pod, idx);
    }
    int32_t code = pod_outcome(c, &sim_workload(c->e, wl)->job, j);
    if (code != 0)
        sim_pod_set_exit_code(c->e, pod, code);
    return SIM_OK;
}

static int create_pods(WlControllers *c, uint32_t wl, int32_t n)
{
    int indexed = sim_workload(c->e, wl)->job.mode == SIM_JOB_INDEXED;
    size_t from = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t idx = indexed ? next_pending_index(&c->jobs[wl], &from) : -1;
        if (indexed && idx < 0)
            return SIM_OK;
        int rc = create_pod(c, wl, idx);
        if (rc != SIM_OK)
            return rc;   /* a refusal stops the sync (controllers.c retries) */
    }
    return SIM_OK;
}

/* Deletes up to n live pods of the Job, least advanced first, newest first. */
static int delete_pods(WlControllers *c, uint32_t wl, int32_t n)
{
    static const SimPodPhase order[] = {SIM_POD_PENDING, SIM_POD_BOUND, SIM_POD_RUNNING};
    for (size_t k = 0; k < 3; k++)
        for (size_t i = c->jobs[wl].npods; i-- > 0 && n > 0;) {
            uint32_t pod = c->jobs[wl].pods[i];
            if (sim_pod(c->e, pod)->phase != order[k])
                continue;
            int rc = sim_pod_delete(c->e, pod);
            if (rc != SIM_OK)
                return rc;
            n--;
        }
    return SIM_OK;
}

/* Deletes the pod objects of the Job that ended (its cascading deletion). */
static int delete_ended(WlControllers *c, uint32_t wl)
{
    for (size_t i = 0; i < c->jobs[wl].npods; i++) {
        uint32_t pod = c->jobs[wl].pods[i];
        SimPodPhase ph = sim_pod(c->e, pod)->phase;
        if (ph != SIM_POD_SUCCEEDED && ph != SIM_POD_FAILED)
            continue;
        int rc = sim_pod_delete(c->e, pod);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* ---- the sync ------------------------------------------------------------------ */
static int32_t want_active(const SimWorkload *w)
{
    if (w->job.work_queue)
        return w->succeeded > 0 ? w->active : w->replicas;   /* after a success: no new pods */
    int32_t want = w->completions - w->succeeded;
    if (want > w->replicas)
        want = w->replicas;
    return want < 0 ? 0 : want;
}

/* Upstream's manageJob: delete the surplus, or create what is missing once
 * the failure backoff allows it. */
static int manage(WlControllers *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    int32_t want = want_active(w), n = want - w->active;
    if (n < 0)
        return delete_pods(c, wl, -n < MAX_PER_SYNC ? -n : MAX_PER_SYNC);
    if (n == 0)
        return SIM_OK;
    SimTime now = sim_now(c->e), wait = backoff_remaining(&c->jobs[wl], now);
    if (wait > 0) {
        wl_wake_at(c, wl, now + wait);   /* the failure backoff */
        return SIM_OK;
    }
    int rc = create_pods(c, wl, n < MAX_PER_SYNC ? n : MAX_PER_SYNC);
    if (rc == SIM_OK && n > MAX_PER_SYNC)
        rc = wl_queue_reconcile(c, wl, now);   /* the rest in the next sync */
    return rc;
}

static int complete(const SimWorkload *w)
{
    if (w->active > 0)
        return 0;
    return w->job.work_queue ? w->succeeded > 0 : w->succeeded >= w->completions;
}

static const char *failure(const SimWorkload *w, const WlJob *j, SimTime now)
{
    int32_t limit = w->job.backoff_set ? w->job.backoff_limit : DEFAULT_BACKOFF_LIMIT;
    if (w->failed > limit)
        return "BackoffLimitExceeded";
    if (w->job.active_deadline > 0 && now - j->start >= w->job.active_deadline)
        return "DeadlineExceeded";
    return NULL;
}

/* The Job reaches condition cond (1 Complete, 2 Failed). A failed Job's live
 * pods are deleted; its CronJob hears of it; the TTL starts. */
static int finish(WlControllers *c, uint32_t wl, int cond, const char *reason)
{
    WlJob *j = &c->jobs[wl];
    SimTime now = sim_now(c->e);
    sim_workload_set_finished(c->e, wl, cond);
    j->finish = now;
    j->reason = reason;
    if (cond == 1)
        c->stats.jobs_succeeded++;
    else
        c->stats.jobs_failed++;
    sim_trace_rec(c->e, WL_TR_JOB_END, (SimTrVal[]){SIM_TRI(wl), SIM_TRI(cond == 1), SIM_TRS(reason)}, 3);
    int rc = cond == 2 ? delete_pods(c, wl, INT32_MAX) : SIM_OK;
    j = &c->jobs[wl];
    if (rc == SIM_OK && j->cron != SIM_NONE)
        rc = wl_cron_job_finished(c, j->cron, wl);
    if (rc == SIM_OK && sim_workload(c->e, wl)->job.ttl_set)
        wl_wake_at(c, wl, now + sim_workload(c->e, wl)->job.ttl);
    return rc;
}

/* The first sync creates the Job object: admission (count/jobs.batch), then
 * status.startTime. */
static int begin(WlControllers *c, uint32_t wl)
{
    int rc = sim_admit_job(c->e, wl);
    WlJob *j = &c->jobs[wl];
    if (rc == SIM_EFORBIDDEN) {
        j->refused = 1;   /* the Job never exists; nothing resubmits it */
        return j->cron != SIM_NONE ? wl_job_delete(c, wl, "Forbidden") : SIM_OK;
    }
    if (rc != SIM_OK)
        return rc;
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->job.mode == SIM_JOB_INDEXED && w->completions > 0) {
        j->index_state = sim_mem_calloc(sim_mem(c->e), (size_t)w->completions, 1);
        if (j->index_state == NULL)
            return sim_fail(c->e, SIM_ENOMEM, "out of memory");
        j->nindex = (size_t)w->completions;
    }
    j->begun = 1;
    j->start = sim_now(c->e);
    return SIM_OK;
}

/* A finished Job waits for its TTL, then is deleted. */
static int ttl(WlControllers *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    WlJob *j = &c->jobs[wl];
    if (!w->job.ttl_set)
        return SIM_OK;
    if (sim_now(c->e) >= j->finish + w->job.ttl)
        return wl_job_delete(c, wl, "TTLAfterFinished");
    wl_wake_at(c, wl, j->finish + w->job.ttl);
    return SIM_OK;
}

int wl_job_reconcile(WlControllers *c, uint32_t wl)
{
    WlJob *j = wl_job_state(c, wl);
    if (j == NULL)
        return SIM_ENOMEM;
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->deleted || j->refused)
        return SIM_OK;
    if (w->finished)
        return ttl(c, wl);
    int rc = j->begun ? SIM_OK : begin(c, wl);
    if (rc != SIM_OK || c->jobs[wl].refused)
        return rc;
    SimTime now = sim_now(c->e);
    const char *why = failure(sim_workload(c->e, wl), &c->jobs[wl], now);
    if (why != NULL)
        return finish(c, wl, 2, why);
    if ((rc = manage(c, wl)) != SIM_OK)
        return rc;
    w = sim_workload(c->e, wl);
    if (complete(w))
        return finish(c, wl, 1, "Complete");
    if (w->job.active_deadline > 0 && c->jobs[wl].start + w->job.active_deadline > now)
        wl_wake_at(c, wl, c->jobs[wl].start + w->job.active_deadline);
    return SIM_OK;
}

int wl_job_delete(WlControllers *c, uint32_t wl, const char *reason)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->deleted)
        return SIM_OK;
    sim_workload_set_deleted(c->e, wl);   /* first: the pods' ends below no longer count */
    sim_trace_rec(c->e, WL_TR_WL_DELETE, (SimTrVal[]){SIM_TRI(wl), SIM_TRS(reason)}, 2);
    sim_admission_job_deleted(c->e, wl);   /* its count/jobs.batch goes back to the quota */
    int rc = delete_pods(c, wl, INT32_MAX);
    if (rc == SIM_OK)
        rc = delete_ended(c, wl);   /* and their count/pods */
    WlJob *j = &c->jobs[wl];
    uint32_t cron = j->cron;
    job_free_arrays(c, j);
    if (rc == SIM_OK && cron != SIM_NONE)
        wl_cron_job_gone(c, cron, wl);
    return rc;
}

int wl_job_status(WlControllers *c, uint32_t wl, WlJobStatus *out)
{
    memset(out, 0, sizeof *out);
    if (wl >= sim_workload_count(c->e) || sim_workload(c->e, wl)->kind != SIM_WL_JOB)
        return sim_fail(c->e, SIM_EINVAL, "workload %u is not a Job", wl);
    const WlJob *j = wl_job_state(c, wl);
    if (j == NULL)
        return SIM_ENOMEM;
    out->condition = sim_workload(c->e, wl)->finished;
    out->reason = j->reason;
    out->start = j->start;
    out->finish = j->finish;
    out->failures_since_success = j->fail_streak;
    out->cronjob = j->cron == SIM_NONE ? SIM_NONE : c->crons[j->cron].wl;
    out->scheduled_unix = j->scheduled;
    return SIM_OK;
}

static double secs_or_nan(SimTime t)
{
    return t < 0 ? NAN : (double)t / (double)SIM_NS_PER_S;
}

/* One Job's completion: {name, region, status, start_seconds,
 * finish_seconds, makespan_seconds} (null while it runs), plus cronjob
 * when one created it. */
static cJSON *job_json(WlControllers *c, uint32_t wl)
{
    static const char *const status[] = {"running", "Complete", "Failed", "suspended"};
    const SimWorkload *w = sim_workload(c->e, wl);
    WlJobStatus st;
    cJSON *o = cJSON_CreateObject();
    int rc = o ? wl_job_status(c, wl, &st) : SIM_ENOMEM;
    char wn[320], cn[320];   /* NAMESPACE/NAME when the name is in several namespaces */
    sim_workload_label(c->e, wl, wn, sizeof wn);
    if (rc == SIM_OK)
        rc = sim_summary_add_item(o, "name", cJSON_CreateString(wn));
    if (rc == SIM_OK)
        rc = sim_summary_add_item(o, "region", cJSON_CreateString(sim_region(c->e, w->region)->name));
    if (rc == SIM_OK && st.cronjob != SIM_NONE)
        rc = sim_summary_add_item(o, "cronjob", cJSON_CreateString((sim_workload_label(c->e, st.cronjob, cn,
                                                                                        sizeof cn), cn)));
    if (rc == SIM_OK)
        rc = sim_summary_add_item(o, "status", cJSON_CreateString(status[w->job.suspend ? 3
                                                                         : st.condition == 1 || st.condition == 2 ?
                                                                         st.condition : 0]));
    const char *keys[] = {"start_seconds", "finish_seconds", "makespan_seconds"};
    double v[] = {secs_or_nan(st.start), secs_or_nan(st.finish),
                  st.start >= 0 && st.finish >= 0 ? secs_or_nan(st.finish - st.start) : NAN};
    for (size_t i = 0; i < 3 && rc == SIM_OK; i++)
        rc = sim_summary_add_number(o, keys[i], v[i]);
    if (rc != SIM_OK) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* jobs: {succeeded, failed, list[]}: the counts, then every Job's completion. */
int wl_jobs_summary(void *ctx, SimEngine *e, cJSON *summary)
{
    WlControllers *c = ctx;
    SimSummaryNum n[] = {{"succeeded", (double)c->stats.jobs_succeeded}, {"failed", (double)c->stats.jobs_failed}};
    int rc = sim_summary_add_counts(summary, "jobs", n, 2);
    cJSON *arr = rc == SIM_OK ? cJSON_CreateArray() : NULL;
    if (rc == SIM_OK)
        rc = sim_summary_add_item(cJSON_GetObjectItemCaseSensitive(summary, "jobs"), "list", arr);
    for (uint32_t i = 0; rc == SIM_OK && i < sim_workload_count(e); i++) {
        if (sim_workload(e, i)->kind != SIM_WL_JOB)
            continue;
        cJSON *o = job_json(c, i);
        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = SIM_ENOMEM;
        }
    }
    return rc;
}
