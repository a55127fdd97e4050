/*
 * export_batch.c: Jobs (parallelism, completions, completionMode,
 * backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished as declared)
 * and CronJobs (schedule, timeZone, concurrencyPolicy,
 * startingDeadlineSeconds, history limits, suspend) with their Job template.
 * A Job that the scenario creates later in the run carries its start time
 * as kubesim.io/start; the failure injection is kubesim.io/fail-*.
 */
#include "k8s-export/export_int.h"

#include <stdio.h>

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

static void job_annotations(KxCtx *c, const SimWorkload *w)
{
    const SimJobSpec *j = &w->job;
    if (w->start_at == 0 && j->fail_first == 0 && j->fail_probability <= 0)
        return;
    kx_yaml_str(c->y, "annotations");
    kx_yaml_map_begin(c->y);
    if (w->start_at > 0)
        kx_kv_duration(c->y, "kubesim.io/start", w->start_at);
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

static void job(KxCtx *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
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
