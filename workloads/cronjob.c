/*
 * cronjob.c: the CronJob controller (k8s-behaviour.md §5.2, upstream
 * pkg/controller/cronjob, controller v2). Each sync finds the most recent
 * unmet schedule time in (lastScheduleTime or creation, now], with the
 * starting deadline raising that lower bound, by upstream's O(1) estimate
 * (mostRecentScheduleTime); only that run is considered, older missed ones
 * are dropped. A run later than scheduled + startingDeadlineSeconds is
 * skipped (MissSchedule); with an active Job, Forbid skips it
 * (JobAlreadyActive), Replace deletes the active Jobs first, Allow just
 * creates. The Job is named <cronjob>-<scheduledUnixTime/60> and copies the
 * CronJob's template. The sync then deletes the oldest finished Jobs beyond
 * the history limits and requeues at the next schedule time + 100 ms. Syncs
 * are events: that timer, a Job of its finishing, a suspend change.
 * Times: the scenario clock is UTC; t = 0 is cron.epoch (scenario.start on
 * Monday 2026-01-05, WL_DAY0_UNIX); the schedule is read in cron.time_zone.
 * Invariant: jobs[] lists the CronJob's Jobs that exist, in creation order,
 * and the CronJob's w->active counts the unfinished ones among them.
 *
 * Simplifications (README "Fidelity"):
 *  - the controller is down only while a region outage holds its region's
 *    control plane (controllers.c holds the sync; on return it finds the
 *    most recent missed run as above) and never late, so runs are missed
 *    only then, while suspended (wl_cronjob_suspend) or through
 *    startingDeadlineSeconds below 100 ms (the controller wakes 100 ms after
 *    the schedule time);
 *  - a Job that admission refuses (count/jobs.batch) is dropped with that run;
 *    upstream's creation is retried with rate-limited backoff until the next
 *    schedule time; a Job name that already exists (two runs in one minute
 *    with @every under 60 s) skips the run (upstream: AlreadyExists, retried);
 *  - a schedule that never fires (e.g. "0 0 30 2 *") is refused at load time
 *    (upstream accepts it and emits InvalidSchedule on every sync);
 *  - no cron TZ= prefix (refused, as upstream's validation does), no
 *    timeZone change at run time.
 */
#include "workloads/wl_int.h"

#include <stdio.h>
#include <string.h>

#define NS SIM_NS_PER_S
#define REQUEUE_DELTA SIM_MS(100)   /* nextScheduleDelta: slack for clock skew */

enum { MISSED_NONE = 0, MISSED_FEW, MISSED_MANY };

static WlCronJob *cron_of(WlControllers *c, uint32_t wl, size_t *k)
{
    for (size_t i = 0; i < c->ncrons; i++)
        if (c->crons[i].wl == wl) {
            if (k)
                *k = i;
            return &c->crons[i];
        }
    return NULL;
}

/* Unix nanoseconds now (times from Go's clock keep their nanoseconds). */
static int64_t now_ns(WlControllers *c, const SimWorkload *w)
{
    return w->cron.epoch * NS + sim_now(c->e);
}

static int64_t floor_sec(int64_t ns)
{
    return ns / NS - (ns % NS < 0);
}

static void trace(WlControllers *c, uint32_t wl, int64_t job, int64_t sched, const char *action)
{
    SimTrVal v[] = {SIM_TRI(wl), SIM_TRI(job), SIM_TRI(sched), SIM_TRS(action)};
    sim_trace_rec(c->e, WL_TR_CRONJOB, v, 4);
}

int wl_cron_start(WlControllers *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    SimErr why = SIM_ERR_INIT;
    if (sim_mem_grow(sim_mem(c->e), (void **)&c->crons, &c->capcrons, c->ncrons + 1, sizeof *c->crons))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    WlCronJob *cj = &c->crons[c->ncrons];
    memset(cj, 0, sizeof *cj);
    /* %.255s: the reasons were cut there when they came in a 256-byte buffer */
    if (wl_schedule_parse(w->cron.schedule ? w->cron.schedule : "", &cj->sched, &why) != SIM_OK)
        return sim_fail(c->e, SIM_EINVAL, "cronjob '%s': schedule: %.255s", w->name, sim_err_msg(&why));
    int rc = wl_zone_load(sim_mem(c->e), w->cron.time_zone, &cj->zone, &why);
    if (rc != SIM_OK)
        return sim_fail(c->e, rc, "cronjob '%s': time_zone: %.255s", w->name, sim_err_msg(&why));
    c->ncrons++;
    cj->wl = wl;
    cj->created_ns = now_ns(c, w);   /* creationTimestamp */
    return wl_queue_reconcile(c, wl, sim_now(c->e));
}

void wl_cron_free(WlControllers *c)
{
    for (size_t i = 0; i < c->ncrons; i++) {
        wl_zone_free(sim_mem(c->e), c->crons[i].zone);
        sim_mem_free(sim_mem(c->e), c->crons[i].jobs, c->crons[i].capjobs * sizeof *c->crons[i].jobs);
    }
    sim_mem_free(sim_mem(c->e), c->crons, c->capcrons * sizeof *c->crons);
}

static int64_t next_after(const WlCronJob *cj, int64_t sec)
{
    return wl_schedule_next(&cj->sched, cj->zone, sec);
}

/* Upstream's mostRecentScheduleTime: 1 with *most (Unix s) the most recent
 * schedule time in (earliest, now], 0 when there is none, -1 when the
 * schedule has no two times a second apart. t1 and t2 are the first two times
 * after earliest; the count of missed runs is estimated from their interval,
 * and the search for the most recent starts one interval before the estimate
 * (so an irregular schedule can yield none, as upstream's does). */
static int most_recent(const WlCronJob *cj, const SimCronSpec *cs, int64_t now, int with_deadline,
                       int64_t *earliest, int64_t *most, int *missed)
{
    int64_t e = cj->has_last ? cj->last * NS : cj->created_ns;
    if (with_deadline && cs->deadline_set && now - cs->starting_deadline > e)
        e = now - cs->starting_deadline;
    *earliest = e;
    *missed = MISSED_NONE;
    int64_t t1 = next_after(cj, floor_sec(e));
    if (t1 == WL_CRON_NEVER)
        return -1;
    if (now < t1 * NS)
        return 0;
    int64_t t2 = next_after(cj, t1);
    if (t2 == WL_CRON_NEVER || t2 - t1 < 1)
        return -1;
    if (now < t2 * NS) {
        *most = t1;
        return 1;
    }
    int64_t between = t2 - t1, n = (now - t1 * NS) / NS / between + 1;
    int found = 0;
    for (int64_t t = next_after(cj, t1 + (n - 2) * between); t != WL_CRON_NEVER && t * NS <= now;
         t = next_after(cj, t)) {
        *most = t;
        found = 1;
    }
    *missed = n > 100 ? MISSED_MANY : MISSED_FEW;
    return found;
}

/* Upstream's nextScheduleTimeDuration: the next schedule time after the most
 * recent one (ignoring the deadline), plus 100 ms. */
static int requeue(WlControllers *c, size_t k)
{
    WlCronJob *cj = &c->crons[k];
    const SimWorkload *w = sim_workload(c->e, cj->wl);
    int64_t now = now_ns(c, w), earliest, most = 0, base;
    int missed, r = most_recent(cj, &w->cron, now, 0, &earliest, &most, &missed);
    if (r < 0)
        base = now;
    else if (r == 0)
        base = missed == MISSED_NONE ? earliest : now;
    else
        base = most * NS;
    int64_t next = next_after(cj, floor_sec(base));
    if (next == WL_CRON_NEVER)
        return SIM_OK;
    SimTime at = next * NS + REQUEUE_DELTA - w->cron.epoch * NS;
    wl_wake_at(c, cj->wl, at > sim_now(c->e) ? at : sim_now(c->e));
    return SIM_OK;
}

/* Is a Job of this schedule time (its name) still active? */
static int active_for(WlControllers *c, const WlCronJob *cj, int64_t sched)
{
    for (size_t i = 0; i < cj->njobs; i++)
        if (!sim_workload(c->e, cj->jobs[i])->finished && c->jobs[cj->jobs[i]].scheduled / 60 == sched / 60)
            return 1;
    return 0;
}

static int replace_active(WlControllers *c, size_t k)
{
    for (size_t i = c->crons[k].njobs; i-- > 0;) {
        uint32_t job = c->crons[k].jobs[i];
        if (sim_workload(c->e, job)->finished)
            continue;
        int rc = wl_job_delete(c, job, "Replace");   /* drops it from jobs[] */
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* Creates the Job of schedule time sched from the CronJob's template. */
static int create_job(WlControllers *c, size_t k, int64_t sched)
{
    uint32_t cw = c->crons[k].wl;
    SimWorkload jw = *sim_workload(c->e, cw);
    char name[320];
    snprintf(name, sizeof name, "%s-%lld", jw.name, (long long)(sched / 60));
    c->crons[k].has_last = 1;
    c->crons[k].last = sched;   /* status.lastScheduleTime */
    if (sim_workload_lookup(c->e, SIM_WL_JOB, jw.ns, name) != SIM_NONE) {
        trace(c, cw, -1, sched, "AlreadyExists");
        return SIM_OK;
    }
    WlCronJob *cj = &c->crons[k];
    if (sim_mem_grow(sim_mem(c->e), (void **)&cj->jobs, &cj->capjobs, cj->njobs + 1, sizeof *cj->jobs))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    jw.name = name;
    jw.kind = SIM_WL_JOB;
    jw.start_at = sim_now(c->e);
    memset(&jw.cron, 0, sizeof jw.cron);
    uint32_t id;
    int rc = sim_workload_add(c->e, &jw, &id);   /* moves the workloads: no pointer into them survives */
    WlJob *j = rc == SIM_OK ? wl_job_state(c, id) : NULL;
    if (j == NULL)
        return rc != SIM_OK ? rc : SIM_ENOMEM;
    j->cron = (uint32_t)k;
    j->scheduled = sched;
    c->crons[k].jobs[c->crons[k].njobs++] = id;
    sim_workload_count_pods(c->e, cw, 1, 0);   /* a CronJob's active counts its unfinished Jobs */
    trace(c, cw, id, sched, "SuccessfulCreate");
    return wl_start(c, id);
}

/* Upstream's syncCronJob after the active list is up to date. */
static int sync(WlControllers *c, size_t k)
{
    const SimWorkload *w = sim_workload(c->e, c->crons[k].wl);
    if (w->cron.suspend)
        return SIM_OK;   /* no requeue: resuming syncs */
    int64_t now = now_ns(c, w), earliest, sched = 0;
    int missed, r = most_recent(&c->crons[k], &w->cron, now, 1, &earliest, &sched, &missed);
    if (r < 0)
        return SIM_OK;   /* InvalidSchedule: upstream waits for a spec change */
    if (r == 0)
        return requeue(c, k);
    if (missed == MISSED_MANY)
        trace(c, c->crons[k].wl, -1, sched, "TooManyMissedTimes");
    if (w->cron.deadline_set && sched * NS + w->cron.starting_deadline < now) {
        trace(c, c->crons[k].wl, -1, sched, "MissSchedule");
        return requeue(c, k);
    }
    if ((c->crons[k].has_last && c->crons[k].last == sched) || active_for(c, &c->crons[k], sched))
        return requeue(c, k);
    if (w->cron.concurrency == SIM_CONCURRENCY_FORBID && w->active > 0) {
        trace(c, c->crons[k].wl, -1, sched, "JobAlreadyActive");
        return requeue(c, k);
    }
    int rc = w->cron.concurrency == SIM_CONCURRENCY_REPLACE ? replace_active(c, k) : SIM_OK;
    if (rc == SIM_OK)
        rc = create_job(c, k, sched);
    return rc == SIM_OK ? requeue(c, k) : rc;
}

/* byJobStartTime: the earlier start, then the smaller name, goes first. */
static int older(WlControllers *c, uint32_t a, uint32_t b)
{
    SimTime sa = c->jobs[a].start, sb = c->jobs[b].start;
    if ((sa < 0) != (sb < 0))
        return sa >= 0;
    if (sa != sb)
        return sa < sb;
    return strcmp(sim_workload(c->e, a)->name, sim_workload(c->e, b)->name) < 0;
}

/* Deletes the oldest finished Jobs with condition cond beyond limit. */
static int prune(WlControllers *c, size_t k, int cond, int32_t limit)
{
    for (;;) {
        int32_t n = 0;
        uint32_t oldest = SIM_NONE;
        for (size_t i = 0; i < c->crons[k].njobs; i++) {
            uint32_t job = c->crons[k].jobs[i];
            if (sim_workload(c->e, job)->finished != cond)
                continue;
            n++;
            if (oldest == SIM_NONE || older(c, job, oldest))
                oldest = job;
        }
        if (n <= limit)
            return SIM_OK;
        int rc = wl_job_delete(c, oldest, "HistoryLimit");
        if (rc != SIM_OK)
            return rc;
    }
}

int wl_cron_reconcile(WlControllers *c, uint32_t wl)
{
    size_t k;
    WlCronJob *cj = cron_of(c, wl, &k);
    if (cj == NULL)
        return SIM_OK;
    int rc = sync(c, k);
    const SimWorkload *w = sim_workload(c->e, wl);
    if (rc == SIM_OK)
        rc = prune(c, k, 1, w->cron.successful_history);
    if (rc == SIM_OK)
        rc = prune(c, k, 2, sim_workload(c->e, wl)->cron.failed_history);
    return rc;
}

int wl_cron_job_finished(WlControllers *c, uint32_t cron, uint32_t job)
{
    (void)job;
    uint32_t wl = c->crons[cron].wl;
    sim_workload_count_pods(c->e, wl, -1, 0);
    return wl_queue_reconcile(c, wl, sim_now(c->e));   /* upstream's job informer enqueues the owner */
}

void wl_cron_job_gone(WlControllers *c, uint32_t cron, uint32_t job)
{
    WlCronJob *cj = &c->crons[cron];
    for (size_t i = 0; i < cj->njobs; i++)
        if (cj->jobs[i] == job) {
            memmove(&cj->jobs[i], &cj->jobs[i + 1], (cj->njobs - i - 1) * sizeof *cj->jobs);
            cj->njobs--;
            if (!sim_workload(c->e, job)->finished)
                sim_workload_count_pods(c->e, cj->wl, -1, 0);
            return;
        }
}

size_t wl_cronjob_jobs(WlControllers *c, uint32_t wl, const uint32_t **jobs)
{
    const WlCronJob *cj = cron_of(c, wl, NULL);
    *jobs = cj ? cj->jobs : NULL;
    return cj ? cj->njobs : 0;
}

int wl_cronjob_suspend(WlControllers *c, uint32_t wl, int suspend)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->kind != SIM_WL_CRONJOB)
        return sim_fail(c->e, SIM_EINVAL, "workload '%s' is not a CronJob", w->name);
    sim_workload_set_suspend(c->e, wl, suspend);
    return wl_queue_reconcile(c, wl, sim_now(c->e));   /* a spec change syncs at once */
}
