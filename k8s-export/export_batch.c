/*
 * export_batch.c: Jobs (parallelism, completions, completionMode,
 * backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished as declared)
 * and CronJobs (schedule, timeZone, concurrencyPolicy,
 * startingDeadlineSeconds, history limits, suspend) with their Job template.
 * A Job that the scenario creates later in the run is written suspended
 * (spec.suspend: true), so `kubectl apply` at the scenario's start creates
 * it without pods; it carries its start as kubesim.io/start (the offset
 * from the scenario's start, which import reads) and kubesim.io/start-at
 * (the time of day on the scenario's clock), and the region's README.md
 * says how to resume it then. The failure injection is kubesim.io/fail-*.
 *
 * The simulation deletes a finished Job (and its pods) only where the
 * scenario says so (ttl_after_finished, or a CronJob's history limits),
 * as upstream does, so ttlSecondsAfterFinished is written exactly when it
 * is declared. A Job whose completions exceed a count/pods quota of its
 * namespace can never finish (its finished pods stay and count): the export
 * warns.
 */
#include "k8s-export/export_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void fail_annotations(KxYaml *y, const SimJobSpec *j)
{
    char buf[16];
    if (j->fail_first > 0) {
        snprintf(buf, sizeof buf, "%d", (int)j->fail_first);
        kx_yaml_kv_str(y, "kubesim.io/fail-first", buf);
    }
    if (j->fail_probability > 0)
        kx_kv_double(y, "kubesim.io/fail-probability", j->fail_probability);
    if (j->fail_first > 0 || j->fail_probability > 0) {
        snprintf(buf, sizeof buf, "%d", (int)(j->fail_exit_code ? j->fail_exit_code : 1));
        kx_yaml_kv_str(y, "kubesim.io/fail-exit-code", buf);
    }
}

/* The time of day a Job starts on the scenario's clock; a start a day or
 * more after the scenario's start says which day ("09:30 day 2"). */
static void start_at(KxCtx *c, SimTime at, char *buf, size_t n)
{
    SimTime t = c->o->start_clock + at;
    int64_t day = t / (SIM_NS_PER_S * 86400) + 1;
    kx_clock(t, buf, n);
    if (at >= SIM_NS_PER_S * 86400 && strlen(buf) + 24 < n)
        snprintf(buf + strlen(buf), n - strlen(buf), " day %" PRId64, day);
}

static void job_annotations(KxCtx *c, const SimWorkload *w)
{
    const SimJobSpec *j = &w->job;
    if (w->start_at == 0 && j->fail_first == 0 && j->fail_probability <= 0)
        return;
    kx_yaml_str(c->y, "annotations");
    kx_yaml_map_begin(c->y);
    if (w->start_at > 0) {
        char at[48];
        start_at(c, w->start_at, at, sizeof at);
        kx_kv_duration(c->y, "kubesim.io/start", w->start_at);
        kx_yaml_kv_str(c->y, "kubesim.io/start-at", at);
    }
    fail_annotations(c->y, j);
    kx_yaml_map_end(c->y);
}

/* A Job's spec (a Job's, or a CronJob's jobTemplate's). */
static void job_spec(KxCtx *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    const SimJobSpec *j = &w->job;
    KxYaml *y = c->y;
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    if (w->kind == SIM_WL_JOB && (w->start_at > 0 || j->suspend))
        kx_yaml_kv_bool(y, "suspend", 1);   /* resumed at its start (README.md), or never */
    kx_yaml_kv_int(y, "parallelism", w->replicas);
    if (!j->work_queue)
        kx_yaml_kv_int(y, "completions", w->completions);
    kx_yaml_kv_str(y, "completionMode", j->mode == SIM_JOB_INDEXED ? "Indexed" : "NonIndexed");
    kx_yaml_kv_int(y, "backoffLimit", j->backoff_set ? j->backoff_limit : 6);
    if (j->active_deadline > 0)
        kx_kv_seconds(y, "activeDeadlineSeconds", j->active_deadline);
    if (j->ttl_set)
        kx_kv_seconds(y, "ttlSecondsAfterFinished", j->ttl);
    kx_pod_template(c, wl, KX_POD_BATCH);
    kx_yaml_map_end(y);
}

/* A duration as people read it: "2h35m", "90s" -> "1m30s". */
static void human(SimTime t, char *buf, size_t n)
{
    int64_t s = (t + SIM_NS_PER_S - 1) / SIM_NS_PER_S, h = s / 3600, m = s / 60 % 60;
    size_t k = 0;
    buf[0] = '\0';
    if (h && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%" PRId64 "h", h);
    if (m && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%" PRId64 "m", m);
    if ((s % 60 || s == 0) && k < n)
        snprintf(buf + k, n - k, "%" PRId64 "s", s % 60);
}

/* The README's line for a Job that starts later. */
static void timed(KxCtx *c, const SimWorkload *w)
{
    char at[48], after[32];
    start_at(c, w->start_at, at, sizeof at);
    human(w->start_at, after, sizeof after);
    const char *ns = kx_ns_name(c, w->ns);
    kx_buf_printf(c, c->timed, "- `%s/%s` at %s (%s after the start): `kubectl -n %s patch job %s --type=merge "
                  "-p '{\"spec\":{\"suspend\":false}}'`\n", ns, w->name, at, after, ns, w->name);
}

/* A count/pods quota of the Job's namespace and region that its finished
 * pods alone would fill: the Job can never complete on a cluster (nor in
 * the simulation), which is worth a warning before anyone applies it. */
static void count_pods_check(KxCtx *c, const SimWorkload *w)
{
    if (w->job.work_queue)
        return;
    for (uint32_t q = 0; q < sim_quota_count(c->e); q++) {
        const SimQuota *qt = sim_quota(c->e, q);
        if (qt->region != w->region || qt->ns != w->ns || !(qt->hard_set & (1u << SIM_QR_COUNT_PODS)) ||
            w->completions <= qt->hard[SIM_QR_COUNT_PODS])
            continue;
        kx_buf_printf(c, c->warns, "- %s: Job %s/%s needs %d completions, but ResourceQuota %s allows %" PRId64
                      " count/pods, and finished pods count until the Job is deleted: it cannot complete%s\n",
                      sim_region(c->e, c->region)->name, kx_ns_name(c, w->ns), w->name, (int)w->completions,
                      qt->name, qt->hard[SIM_QR_COUNT_PODS],
                      qt->scope.nreqs ? " (if the quota's scope covers its pods)" : "");
    }
}

static void job(KxCtx *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    if (w->start_at > 0)
        timed(c, w);
    count_pods_check(c, w);
    kx_doc_begin(c, "batch/v1", "Job");
    kx_meta(c, w->name, kx_ns_name(c, w->ns), 1);
    job_annotations(c, w);
    kx_yaml_map_end(c->y);
    job_spec(c, wl);
    kx_doc_end(c);
}

void kx_emit_jobs(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_workload_count(c->e); i++) {
        const SimWorkload *w = sim_workload(c->e, i);
        if (w->kind == SIM_WL_JOB && w->region == c->region)
            job(c, i);
    }
}

static const char *concurrency(SimConcurrency p)
{
    return p == SIM_CONCURRENCY_FORBID ? "Forbid" : p == SIM_CONCURRENCY_REPLACE ? "Replace" : "Allow";
}

static void cron_spec(KxCtx *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    const SimCronSpec *cr = &w->cron;
    KxYaml *y = c->y;
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "schedule", cr->schedule);
    if (cr->time_zone)
        kx_yaml_kv_str(y, "timeZone", cr->time_zone);
    kx_yaml_kv_str(y, "concurrencyPolicy", concurrency(cr->concurrency));
    if (cr->deadline_set)
        kx_kv_seconds(y, "startingDeadlineSeconds", cr->starting_deadline);
    kx_yaml_kv_int(y, "successfulJobsHistoryLimit", cr->successful_history);
    kx_yaml_kv_int(y, "failedJobsHistoryLimit", cr->failed_history);
    kx_yaml_kv_bool(y, "suspend", cr->suspend);
    kx_yaml_str(y, "jobTemplate");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    kx_labels(c, w->name);
    if (w->job.fail_first > 0 || w->job.fail_probability > 0) {
        kx_yaml_str(y, "annotations");
        kx_yaml_map_begin(y);
        fail_annotations(y, &w->job);
        kx_yaml_map_end(y);
    }
    kx_yaml_map_end(y);
    job_spec(c, wl);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

void kx_emit_cronjobs(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_workload_count(c->e); i++) {
        const SimWorkload *w = sim_workload(c->e, i);
        if (w->kind != SIM_WL_CRONJOB || w->region != c->region)
            continue;
        kx_doc_begin(c, "batch/v1", "CronJob");
        kx_meta(c, w->name, kx_ns_name(c, w->ns), 0);
        cron_spec(c, i);
        kx_doc_end(c);
    }
}
