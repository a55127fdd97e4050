/*
 * wl.h: the workload controllers (prefix wl_). Each reconciles as an event
 * (its registered event kind) queued when something it owns changes, never by polling
 * every object every tick.
 */
#ifndef KUBESIM_WL_H
#define KUBESIM_WL_H

#include <cjson/cJSON.h>

#include "sim/model.h"
#include "workloads/backtest/bt.h"

typedef struct WlControllers WlControllers;

/* The controllers' trace record kinds (their numbers are the file format's:
 * sim/trace.h). wl_trace_kinds adds them, with those of the queues, the HPA
 * and traffic (queue.h, hpa.h, traffic.h), to a schema table. */
enum {
    WL_TR_SCALE = 15,             /* wl from to: a workload's replicas change */
    WL_TR_JOB_END = 28,           /* wl succeeded reason: a Job finished (1 Complete; 0 Failed with reason
                                     BackoffLimitExceeded or DeadlineExceeded) */
    WL_TR_WL_DELETE = 29,         /* wl reason: a workload deleted (TTLAfterFinished, HistoryLimit, Replace) */
    WL_TR_CRONJOB = 30,           /* wl job scheduled_unix action: a CronJob's decision for a schedule time
                                     (SuccessfulCreate, JobAlreadyActive, MissSchedule, TooManyMissedTimes);
                                     job is -1 when none was created */
    WL_TR_RS_CREATE = 31,         /* wl rs revision name: a Deployment's ReplicaSet rs (the controller's id)
                                     is created, named <deployment>-<pod-template-hash> */
    WL_TR_RS_SCALE = 32,          /* wl rs revision from to: a ReplicaSet's spec.replicas changes */
    WL_TR_DEPLOY_CONDITION = 33,  /* wl status reason: a Deployment's Progressing condition becomes
                                     status (1 True, 0 False) with reason (ProgressDeadlineExceeded...) */
    WL_TR_VOLUME = 34             /* wl ordinal zone: a StatefulSet ordinal's volume is provisioned in zone */
};
int wl_trace_kinds(SimTrSchema *s);   /* SIM_OK or SIM_EINVAL (sim_trschema_add) */

/* The controllers' summary.json sections (ranks: sim/summary.h, the whole
 * table in scenarios/modules.c) and the counters they write. */
enum { WL_SUMMARY_RANK_HPA = 100, WL_SUMMARY_RANK_JOBS = 400, WL_SUMMARY_RANK_BACKTESTS = 600,
       WL_SUMMARY_RANK_SLO = 700 };
typedef struct WlStats {
    uint64_t hpa_scale_ups, hpa_scale_downs;   /* hpa.c */
    uint64_t jobs_succeeded, jobs_failed;      /* job.c */
    uint64_t backtests_completed;              /* backtests.c, queue.c */
} WlStats;
const WlStats *wl_stats(const WlControllers *c);

/* Creates the controllers of engine e (registers their event kind, trace
 * record kinds, summary sections (hpa, jobs, backtests, slo) and pod
 * listener). NULL on out of memory (or a trace kind
 * taken by another module: message on e). */
WlControllers *wl_create(SimEngine *e);
void wl_destroy(WlControllers *c);

/* Starts a declared workload: a Deployment reconciles now, a Job at its
 * start time. */
int wl_start(WlControllers *c, uint32_t wl);

/* Changes a Deployment's desired replicas (scenario hooks, later the HPA). */
int wl_scale(WlControllers *c, uint32_t wl, int32_t replicas);

/* ---- backtests as simulated work ---------------------------------------- */
/* A backtest request served by a Job: each of the Job's pods runs the real
 * kernel when it starts (identical requests share one run through the memo),
 * and runs for the kernel's counted work over its node's throughput. The data
 * is borrowed: it must outlive the controllers. */
typedef struct WlBacktest {
    uint32_t wl;                /* the Job, whose spec.duration is SIM_DURATION_BY_WORK */
    const char *name;
    const BtData *data;
    BtParams params;
    /* How long a run lasts: `duration` when positive (the same on every
     * node), else the kernel's counted work over the node's throughput times
     * `work_scale` when positive (so a small data set stands for a large one),
     * else that work as counted. */
    SimTime duration;
    double work_scale;
} WlBacktest;

int wl_backtest_add(WlControllers *c, const WlBacktest *b);
/* The kernels' results are looked up in (or run into) shared, which outlives
 * the controllers: a sweep's runs share one, so a request every
 * configuration makes runs once (bt_memo_share; the runs' outputs do not
 * change). NULL: the run's own. */
void wl_backtest_share_memo(WlControllers *c, BtMemo *shared);
/* The reference core's rates (default: bt_throughput_reference). */
void wl_backtest_set_throughput(WlControllers *c, const BtThroughput *t);
/* summary.json's backtests.results: one entry per request that completed at
 * least once (name, strategy, data, runs, counted work, simulated seconds and
 * the kernel's metrics). NULL on out of memory; the caller owns it. */
cJSON *wl_backtest_results(WlControllers *c);

/* ---- Jobs and CronJobs (job.c, cronjob.c, cron.c) ------------------------- */
/* Day 0 of every scenario is Monday 2026-01-05; t = 0 is scenario.start on
 * it, in UTC (the scenario clock), so weekdays, months and zones resolve. */
#define WL_DAY0_UNIX INT64_C(1767571200)

/* A Job's status as upstream's controller keeps it. */
typedef struct WlJobStatus {
    int condition;          /* 0 running (or not started), 1 Complete, 2 Failed */
    const char *reason;     /* NULL, "Complete", "BackoffLimitExceeded" or "DeadlineExceeded" */
    SimTime start, finish;  /* status.startTime, completion/failure time; -1 unset */
    int32_t failures_since_success;   /* n of the pod re-creation backoff 10 s x 2^(n-1) */
    uint32_t cronjob;       /* the CronJob that created it, or SIM_NONE */
    int64_t scheduled_unix; /* its CronJob's schedule time (Unix seconds), or 0 */
} WlJobStatus;

/* Fills *out for Job wl. SIM_OK, or SIM_EINVAL when wl is not a Job. */
int wl_job_status(WlControllers *c, uint32_t wl, WlJobStatus *out);
/* The re-creation delay after n consecutive pod failures: 10 s x 2^(n-1),
 * capped at 10 min (upstream's MaxJobPodFailureBackOff); 0 for n = 0. */
SimTime wl_job_failure_backoff(int32_t n);

/* The Jobs of CronJob wl that still exist (not deleted by history limits,
 * TTL or Replace), in creation order; the array is the controller's. */
size_t wl_cronjob_jobs(WlControllers *c, uint32_t wl, const uint32_t **jobs);
/* Suspends or resumes a CronJob (a spec change: it syncs at once). */
int wl_cronjob_suspend(WlControllers *c, uint32_t wl, int suspend);

/* A parsed cron schedule (robfig/cron's ParseStandard, as upstream). */
typedef struct WlSchedule {
    uint64_t minute, hour, dom, month, dow;   /* bit v set: value v matches; bit 63: the field was '*' */
    int64_t every;                            /* @every: seconds; 0 for a cron spec */
} WlSchedule;
#define WL_CRON_NEVER INT64_MIN

/* Parses "0 9 * * 1-5", "@hourly"... SIM_OK, or SIM_EINVAL with the reason
 * in why. */
int wl_schedule_parse(const char *text, WlSchedule *out, SimErr *why);

typedef struct WlZone WlZone;
/* Loads an IANA zone from /usr/share/zoneinfo (its TZif file, read here).
 * name NULL is UTC (*out stays NULL, which every function below takes as
 * UTC). SIM_OK, SIM_EINVAL for an unknown zone or SIM_ENOMEM, the reason in
 * why. The caller frees *out with wl_zone_free. */
int wl_zone_load(SimMem *m, const char *name, WlZone **out, SimErr *why);
void wl_zone_free(SimMem *m, WlZone *z);
/* The zone's UTC offset in seconds at Unix time t. */
int32_t wl_zone_offset(const WlZone *z, int64_t t);
#define WL_ZONE_ABBREV 16
/* The zone's abbreviation at Unix time t ("EDT"; "UTC" for z NULL), owned by z. */
const char *wl_zone_abbrev(const WlZone *z, int64_t t);
/* The Unix time of a wall time (year-month-day, seconds after midnight) in
 * zone z, as Go's time.Date picks it in a daylight-saving gap or overlap
 * (the same arithmetic CronJob schedules use). */
int64_t wl_zone_unix(const WlZone *z, int64_t year, int month, int day, int32_t sec_of_day);
/* The first time the schedule fires strictly after Unix time t (seconds),
 * in zone z; WL_CRON_NEVER when it does not within five years. */
int64_t wl_schedule_next(const WlSchedule *s, const WlZone *z, int64_t t);

#endif
