/*
 * test_jobs.c: the Job and CronJob controllers (k8s-behaviour.md §5), the
 * cron parser and zones behind CronJobs, and their Lua declarations. Each
 * test names the rule it pins; controller tests run a real engine with the
 * scheduler placing the pods and check times exactly (simulated time only:
 * nothing here depends on the wall clock).
 */
#define _DEFAULT_SOURCE   /* timegm: UTC calendar to Unix time, no TZ involved */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scheduler/sched.h"
#include "sim/policy.h"
#include "workloads/wl.h"

#include "tr.h"
#include "ts.h"
#include "tw.h"

#define GIB (INT64_C(1) << 30)
#define D0 WL_DAY0_UNIX

static char tmpdir[] = "/tmp/kubesim-jobs-XXXXXX";

/* Unix time of a UTC calendar time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm);
}

/* ---- a world: one region, four 4-CPU nodes, scheduler and controllers ------ */
typedef TwWorld World;

static World world_seeded(SimTime end, uint64_t seed)
{
    TwOpts o = {.seed = seed, .end = end, .region = "eu-west", .alloc = {4000, 8 * GIB, 0, 110}, .max = 10,
                .nodes = 4};
    return tw_world(&o);
}

static World world(SimTime end)
{
    return world_seeded(end, 11);
}

/* A Job template: 500m / 1 GiB pods, 2 s start-up, `duration` runs. */
static SimWorkload job_template(World *w, const char *name, int32_t parallelism, int32_t completions,
                                SimTime duration)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)name;
    wl.kind = SIM_WL_JOB;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){500, GIB, 0, 1};
    wl.spec.startup = SIM_SEC(2);
    wl.spec.duration = duration;
    wl.replicas = parallelism;
    wl.completions = completions;
    return wl;
}

static uint32_t start(World *w, const SimWorkload *wl)
{
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, wl, &id), SIM_OK);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

/* The pods of workload wl in creation order (at most n). */
static size_t pods_of(SimEngine *e, uint32_t wl, uint32_t *out, size_t n)
{
    size_t k = 0;
    for (uint32_t i = 0; i < sim_pod_count(e); i++)
        if (sim_pod(e, i)->wl == wl) {
            if (k < n)
                out[k] = i;
            k++;
        }
    return k;
}

static int live(const SimPod *p)
{
    return p->phase == SIM_POD_PENDING || p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING;
}

static WlJobStatus status(World *w, uint32_t job)
{
    WlJobStatus st;
    ck_assert_int_eq(wl_job_status(w->c, job, &st), SIM_OK);
    return st;
}

/* ---- Job ------------------------------------------------------------------------- */

/* Failures delay the next pod by 10 s x 2^(n-1), capped at 10 min (the code's
 * MaxJobPodFailureBackOff; the docs say 6 min). */
START_TEST(job_failure_backoff_10s_doubling_capped_10min)
{
    static const int64_t want_s[] = {0, 10, 20, 40, 80, 160, 320, 600, 600, 600};
    for (int32_t n = 0; n < 10; n++)
        ck_assert_int_eq(wl_job_failure_backoff(n), SIM_SEC(want_s[n]));
    /* In a run: the first 8 pods fail (2 s start-up + 10 s run each); each
     * next pod waits out the backoff from the failure before it. */
    World w = world(SIM_SEC(3600));
    SimWorkload t = job_template(&w, "flaky", 1, 1, SIM_SEC(10));
    t.job.backoff_set = 1;
    t.job.backoff_limit = 10;
    t.job.fail_first = 8;
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(3000));
    uint32_t pods[16];
    ck_assert_uint_eq(pods_of(w.e, j, pods, 16), 9);
    SimTime created = 0;
    for (size_t i = 0; i < 9; i++) {
        const SimPod *p = sim_pod(w.e, pods[i]);
        ck_assert_int_eq(p->created_at, created);
        ck_assert_int_eq(p->phase, i < 8 ? SIM_POD_FAILED : SIM_POD_SUCCEEDED);
        ck_assert_int_eq(p->exit_code, i < 8 ? 1 : 0);
        created = p->created_at + SIM_SEC(12) + SIM_SEC(want_s[i + 1]);
    }
    WlJobStatus st = status(&w, j);
    ck_assert_int_eq(st.condition, 1);
    ck_assert_int_eq(st.finish, sim_pod(w.e, pods[8])->ended_at);
    ck_assert_int_eq(st.failures_since_success, 0);
    ck_assert_int_eq(sim_workload(w.e, j)->failed, 8);
    tw_free(&w);
}
END_TEST

/* failed > backoffLimit fails the Job (BackoffLimitExceeded): limit 2 means
 * the third failure ends it, after pods at 0, 22 and 54 s. */
START_TEST(job_backoff_limit_fails_job)
{
    World w = world(SIM_SEC(1000));
    SimWorkload t = job_template(&w, "doomed", 1, 1, SIM_SEC(10));
    t.job.backoff_set = 1;
    t.job.backoff_limit = 2;
    t.job.fail_first = 100;
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(999));
    uint32_t pods[8];
    ck_assert_uint_eq(pods_of(w.e, j, pods, 8), 3);
    ck_assert_int_eq(sim_pod(w.e, pods[0])->created_at, 0);
    ck_assert_int_eq(sim_pod(w.e, pods[1])->created_at, SIM_SEC(22));
    ck_assert_int_eq(sim_pod(w.e, pods[2])->created_at, SIM_SEC(54));
    WlJobStatus st = status(&w, j);
    ck_assert_int_eq(st.condition, 2);
    ck_assert_str_eq(st.reason, "BackoffLimitExceeded");
    ck_assert_int_eq(st.finish, SIM_SEC(66));
    ck_assert_int_eq(sim_workload(w.e, j)->failed, 3);
    ck_assert_int_eq(sim_workload(w.e, j)->finished, 2);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_failed, 1);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, 0);
    tw_free(&w);
}
END_TEST

/* backoffLimit defaults to 6: the seventh failure fails the Job. */
START_TEST(job_backoff_limit_defaults_to_six)
{
    World w = world(SIM_SEC(3600));
    SimWorkload t = job_template(&w, "doomed", 1, 1, SIM_SEC(10));
    t.job.fail_first = 100;
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(3500));
    ck_assert_uint_eq(pods_of(w.e, j, NULL, 0), 7);
    ck_assert_int_eq(sim_workload(w.e, j)->failed, 7);
    ck_assert_str_eq(status(&w, j).reason, "BackoffLimitExceeded");
    ck_assert_int_eq(status(&w, j).finish, SIM_SEC(714));   /* 0, 22, 54, 106, 198, 370, 702 (+12 s) */
    tw_free(&w);
}
END_TEST

/* n counts failures since the last success: after a success, the next
 * failure waits 10 s again, not 20 s. */
START_TEST(job_failure_backoff_resets_after_a_success)
{
    World w = world(SIM_SEC(1000));
    SimWorkload t = job_template(&w, "flaky", 1, 3, SIM_SEC(10));
    t.job.fail_first = 1;
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(35));   /* pod 0 failed at 12 s, pod 1 ran 22-34 s, pod 2 started at 34 s */
    uint32_t pods[8];
    ck_assert_uint_eq(pods_of(w.e, j, pods, 8), 3);
    ck_assert_int_eq(sim_pod(w.e, pods[1])->phase, SIM_POD_SUCCEEDED);
    ck_assert_int_eq(sim_pod(w.e, pods[2])->created_at, SIM_SEC(34));   /* no wait after a success */
    ck_assert_int_eq(sim_pod_fail(w.e, pods[2], 1), SIM_OK);
    ck_assert_int_eq(status(&w, j).failures_since_success, 1);
    ts_run_to(w.e, SIM_SEC(999));
    ck_assert_uint_eq(pods_of(w.e, j, pods, 8), 5);
    ck_assert_int_eq(sim_pod(w.e, pods[3])->created_at, SIM_SEC(45));
    ck_assert_int_eq(status(&w, j).condition, 1);
    tw_free(&w);
}
END_TEST

/* A Job's pod deleted before it succeeded (preemption, eviction) counts as
 * failed, and its replacement waits out the backoff. */
START_TEST(job_deleted_pod_counts_as_failed)
{
    World w = world(SIM_SEC(1000));
    SimWorkload t = job_template(&w, "batch", 1, 1, SIM_SEC(100));
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(20));
    ck_assert_int_eq(sim_pod_delete(w.e, 0), SIM_OK);
    ts_run_to(w.e, SIM_SEC(29));
    ck_assert_int_eq(sim_workload(w.e, j)->failed, 1);
    ck_assert_uint_eq(pods_of(w.e, j, NULL, 0), 1);
    ts_run_to(w.e, SIM_SEC(30));
    uint32_t pods[4];
    ck_assert_uint_eq(pods_of(w.e, j, pods, 4), 2);
    ck_assert_int_eq(sim_pod(w.e, pods[1])->created_at, SIM_SEC(30));
    tw_free(&w);
}
END_TEST

/* Indexed: one pod per incomplete index, lowest first, at most parallelism;
 * a failed index gets a new pod with the same index; complete when every
 * index succeeded. */
START_TEST(job_indexed_one_pod_per_index)
{
    World w = world(SIM_SEC(200));
    SimWorkload t = job_template(&w, "shards", 2, 3, SIM_SEC(10));
    t.job.mode = SIM_JOB_INDEXED;
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(5));
    uint32_t pods[8];
    ck_assert_uint_eq(pods_of(w.e, j, pods, 8), 2);
    ck_assert_int_eq(sim_pod(w.e, pods[0])->completion_index, 0);
    ck_assert_int_eq(sim_pod(w.e, pods[1])->completion_index, 1);
    ck_assert_int_eq(sim_pod_fail(w.e, pods[1], 2), SIM_OK);   /* index 1 crashes at 5 s */
    int rc;
    while ((rc = sim_step(w.e)) == SIM_OK) {   /* never two live pods for one index */
        int seen[3] = {0, 0, 0};
        for (uint32_t i = 0; i < sim_pod_count(w.e); i++) {
            const SimPod *p = sim_pod(w.e, i);
            if (p->wl == j && live(p))
                ck_assert_int_eq(seen[p->completion_index]++, 0);
        }
    }
    ck_assert_int_eq(rc, SIM_DONE);
    ck_assert_uint_eq(pods_of(w.e, j, pods, 8), 4);
    /* Index 0 succeeds at 12 s, which resets the backoff: indexes 1 and 2 start then. */
    ck_assert_int_eq(sim_pod(w.e, pods[1])->phase, SIM_POD_FAILED);
    ck_assert_int_eq(sim_pod(w.e, pods[1])->exit_code, 2);
    ck_assert_int_eq(sim_pod(w.e, pods[2])->completion_index, 1);
    ck_assert_int_eq(sim_pod(w.e, pods[3])->completion_index, 2);
    ck_assert_int_eq(sim_pod(w.e, pods[2])->created_at, SIM_SEC(12));
    ck_assert_int_eq(sim_pod(w.e, pods[3])->created_at, SIM_SEC(12));
    ck_assert_int_eq(sim_pod(w.e, pods[0])->completion_index, 0);
    ck_assert_int_eq(sim_workload(w.e, j)->succeeded, 3);
    ck_assert_int_eq(sim_workload(w.e, j)->failed, 1);
    ck_assert_int_eq(status(&w, j).condition, 1);
    ck_assert_int_eq(status(&w, j).finish, SIM_SEC(24));
    tw_free(&w);
}
END_TEST

/* Work-queue mode (parallelism only): no new pod once one succeeded; the Job
 * completes when the pods still running have ended. */
START_TEST(job_work_queue_mode)
{
    World w = world(SIM_SEC(200));
    SimWorkload t = job_template(&w, "queue", 2, 0, SIM_SEC(10));
    t.job.work_queue = 1;
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(1));
    ck_assert_int_eq(sim_pod_fail(w.e, 1, 1), SIM_OK);   /* Bound, not yet Running: it still fails */
    ts_run_to(w.e, SIM_SEC(199));
    uint32_t pods[8];
    ck_assert_uint_eq(pods_of(w.e, j, pods, 8), 3);
    ck_assert_int_eq(sim_pod(w.e, pods[2])->created_at, SIM_SEC(11));   /* before any success */
    ck_assert_int_eq(sim_pod(w.e, pods[0])->ended_at, SIM_SEC(12));    /* the first success: no more pods */
    ck_assert_int_eq(status(&w, j).condition, 1);
    ck_assert_int_eq(status(&w, j).finish, SIM_SEC(23));              /* when the last one ended */
    ck_assert_int_eq(sim_workload(w.e, j)->succeeded, 2);
    tw_free(&w);
}
END_TEST

/* activeDeadlineSeconds counts from the Job's start: its running pods are
 * deleted and it fails with DeadlineExceeded. */
START_TEST(job_active_deadline_exceeded)
{
    World w = world(SIM_SEC(500));
    SimWorkload t = job_template(&w, "slow", 1, 1, SIM_SEC(100));
    t.start_at = SIM_SEC(50);
    t.job.active_deadline = SIM_SEC(30);
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(80) - 1);
    ck_assert_int_eq(status(&w, j).condition, 0);
    ck_assert_int_eq(status(&w, j).start, SIM_SEC(50));
    ts_run_to(w.e, SIM_SEC(80));
    WlJobStatus st = status(&w, j);
    ck_assert_int_eq(st.condition, 2);
    ck_assert_str_eq(st.reason, "DeadlineExceeded");
    ck_assert_int_eq(st.finish, SIM_SEC(80));
    ck_assert_int_eq(sim_pod(w.e, 0)->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_pod(w.e, 0)->ended_at, SIM_SEC(80));
    ck_assert_int_eq(sim_workload(w.e, j)->active, 0);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_failed, 1);
    tw_free(&w);
}
END_TEST

/* The deadline takes precedence over backoff: it fires while the Job waits
 * to re-create a failed pod. */
START_TEST(job_active_deadline_fires_during_backoff_wait)
{
    World w = world(SIM_SEC(500));
    SimWorkload t = job_template(&w, "flaky", 1, 1, SIM_SEC(10));
    t.job.fail_first = 1;
    t.job.active_deadline = SIM_SEC(15);
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(499));
    ck_assert_uint_eq(pods_of(w.e, j, NULL, 0), 1);   /* the re-creation was due at 22 s */
    ck_assert_str_eq(status(&w, j).reason, "DeadlineExceeded");
    ck_assert_int_eq(status(&w, j).finish, SIM_SEC(15));
    tw_free(&w);
}
END_TEST

/* ttlSecondsAfterFinished deletes the Job that long after it finished (0:
 * at once); unset, it stays. */
START_TEST(job_ttl_after_finished_deletes)
{
    World w = world(SIM_SEC(500));
    SimWorkload t = job_template(&w, "ttl60", 1, 1, SIM_SEC(10));
    t.job.ttl_set = 1;
    t.job.ttl = SIM_SEC(60);
    uint32_t a = start(&w, &t);
    t = job_template(&w, "ttl0", 1, 1, SIM_SEC(10));
    t.job.ttl_set = 1;
    uint32_t b = start(&w, &t);
    t = job_template(&w, "kept", 1, 1, SIM_SEC(10));
    uint32_t k = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(12));
    ck_assert_int_eq(sim_workload(w.e, a)->finished, 1);
    ck_assert_int_eq(sim_workload(w.e, a)->deleted, 0);
    ck_assert_int_eq(sim_workload(w.e, b)->deleted, 1);
    ts_run_to(w.e, SIM_SEC(72) - 1);
    ck_assert_int_eq(sim_workload(w.e, a)->deleted, 0);
    ts_run_to(w.e, SIM_SEC(72));
    ck_assert_int_eq(sim_workload(w.e, a)->deleted, 1);
    ts_run_to(w.e, SIM_SEC(499));
    ck_assert_int_eq(sim_workload(w.e, k)->deleted, 0);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, 3);
    tw_free(&w);
}
END_TEST

/* ---- count/pods (k8s-behaviour.md §4.1; upstream's pod evaluator) ------------------ */
/* A quota of n pod objects (count/pods) on the world's namespace. */
static uint32_t count_pods_quota(World *w, int64_t n)
{
    SimQuota q;
    memset(&q, 0, sizeof q);
    q.name = (char *)"objects";
    q.region = w->region;
    q.ns = w->ns;
    q.hard_set = UINT32_C(1) << SIM_QR_COUNT_PODS;
    q.hard[SIM_QR_COUNT_PODS] = n;
    uint32_t id;
    ck_assert_int_eq(sim_quota_add(w->e, &q, &id), SIM_OK);
    return id;
}

/* count/pods counts every pod object, ended ones too, and a Job's ended pods
 * exist until the Job is deleted: 240 completions under count/pods 100 stop
 * at 100, the controller retrying the refused pod with its API backoff (1 s
 * doubling to 1 min) without counting failures. When the finished pods go
 * (pod GC deletes them with their nodes), the Job goes on at once, and stops
 * again 100 pods later. */
START_TEST(job_stops_at_count_pods_until_its_finished_pods_go)
{
    World w = world(SIM_SEC(20000));
    uint32_t q = count_pods_quota(&w, 100);
    SimWorkload t = job_template(&w, "sweep", 48, 240, SIM_SEC(60));
    t.spec.req = (SimRes){100, 64 << 20, 0, 1};
    uint32_t j = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(1800));
    ck_assert_int_eq(sim_workload(w.e, j)->succeeded, 100);
    ck_assert_int_eq(sim_workload(w.e, j)->active, 0);
    ck_assert_int_eq(sim_workload(w.e, j)->failed, 0);
    ck_assert_int_eq(sim_workload(w.e, j)->finished, 0);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 100);
    uint64_t refused = sim_stats(w.e)->quota_rejections;
    ck_assert_uint_gt(refused, 0);
    ts_run_to(w.e, SIM_SEC(3600));   /* still retrying, once a minute */
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, refused + 30);
    ck_assert_int_eq(sim_workload(w.e, j)->succeeded, 100);
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    /* New nodes come, the old ones go with the pods that ran there. */
    ck_assert_int_eq(sim_step(w.e), SIM_OK);
    SimTime t0 = sim_now(w.e);
    uint32_t nodes = sim_node_count(w.e), id;
    for (uint32_t n = 0; n < nodes; n++)
        ck_assert_int_eq(sim_node_add(w.e, w.group, 1, &id), SIM_OK);
    for (uint32_t n = 0; n < nodes; n++)
        ck_assert_int_eq(sim_node_remove(w.e, n), SIM_OK);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 0);
    ts_run_to(w.e, t0);
    ck_assert_int_eq(sim_workload(w.e, j)->active, 48);   /* woken by the deletions, not the backoff */
    ts_run_to(w.e, SIM_SEC(7200));
    ck_assert_int_eq(sim_workload(w.e, j)->succeeded, 200);
    ck_assert_int_eq(sim_workload(w.e, j)->finished, 0);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 100);
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    tw_free(&w);
}
END_TEST

/* ttlSecondsAfterFinished deletes a Job with its pods, ended ones included:
 * their count/pods goes back, and a Job refused meanwhile is admitted the
 * moment it does. */
START_TEST(job_ttl_gives_back_count_pods)
{
    World w = world(SIM_SEC(1000));
    uint32_t q = count_pods_quota(&w, 100);
    SimWorkload t = job_template(&w, "first", 100, 100, SIM_SEC(60));
    t.spec.req = (SimRes){100, 64 << 20, 0, 1};
    t.job.ttl_set = 1;
    t.job.ttl = SIM_SEC(330);   /* off the refused Job's retry grid (62 s + n x 60 s) */
    uint32_t first = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(10));
    t = job_template(&w, "second", 50, 50, SIM_SEC(60));
    t.spec.req = (SimRes){100, 64 << 20, 0, 1};
    uint32_t second = start(&w, &t);
    ts_run_to(w.e, SIM_SEC(392) - 1);   /* first: Running at 2 s, done at 62 s, deleted at 392 s */
    ck_assert_int_eq(sim_workload(w.e, first)->finished, 1);
    ck_assert_int_eq(sim_workload(w.e, first)->deleted, 0);
    ck_assert_uint_eq(pods_of(w.e, second, NULL, 0), 0);
    ck_assert_uint_gt(sim_admission_refusals(w.e, second), 0);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 100);
    ts_run_to(w.e, SIM_SEC(392));
    ck_assert_int_eq(sim_workload(w.e, first)->deleted, 1);
    uint32_t pods[100];
    ck_assert_uint_eq(pods_of(w.e, first, pods, 100), 100);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(sim_pod(w.e, pods[i])->phase, SIM_POD_DELETED);
    ck_assert_uint_eq(pods_of(w.e, second, pods, 100), 50);
    ck_assert_int_eq(sim_pod(w.e, pods[0])->created_at, SIM_SEC(392));
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 50);
    ts_run_to(w.e, SIM_SEC(999));
    ck_assert_int_eq(sim_workload(w.e, second)->succeeded, 50);
    ck_assert_int_eq(sim_workload(w.e, second)->finished, 1);
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    tw_free(&w);
}
END_TEST

/* A sync creates at most 500 pods (MaxPodCreateDeletePerSync); the next
 * sync, at the same instant, creates more. */
START_TEST(job_at_most_500_pod_creations_per_sync)
{
    World w = world(SIM_SEC(100));
    SimWorkload t = job_template(&w, "wide", 1200, 1200, SIM_SEC(10));
    t.spec.req = (SimRes){1, 1024, 0, 1};
    start(&w, &t);
    uint32_t seen[8], nseen = 0, last = 0;
    while (sim_now(w.e) == 0 && nseen < 8) {
        ck_assert_int_eq(sim_step(w.e), SIM_OK);
        if (sim_pod_count(w.e) != last)
            seen[nseen++] = last = sim_pod_count(w.e);
    }
    ck_assert_uint_eq(nseen, 3);
    ck_assert_uint_eq(seen[0], 500);
    ck_assert_uint_eq(seen[1], 1000);
    ck_assert_uint_eq(seen[2], 1200);
    tw_free(&w);
}
END_TEST

/* fail.probability draws from the seeded workload stream: the same seed gives
 * the same pods failing. */
START_TEST(job_failure_probability_is_seeded)
{
    int32_t failed[2];
    uint64_t pattern[2];
    for (int run = 0; run < 2; run++) {
        World w = world_seeded(SIM_SEC(20000), 5);
        SimWorkload t = job_template(&w, "coin", 4, 40, SIM_SEC(10));
        t.job.backoff_set = 1;
        t.job.backoff_limit = 1000;
        t.job.fail_probability = 0.3;
        t.job.fail_exit_code = 137;
        uint32_t j = start(&w, &t);
        ts_run_to(w.e, SIM_SEC(19999));
        ck_assert_int_eq(status(&w, j).condition, 1);
        failed[run] = sim_workload(w.e, j)->failed;
        pattern[run] = 0;
        for (uint32_t i = 0; i < sim_pod_count(w.e) && i < 64; i++)
            if (sim_pod(w.e, i)->phase == SIM_POD_FAILED) {
                ck_assert_int_eq(sim_pod(w.e, i)->exit_code, 137);
                pattern[run] |= UINT64_C(1) << i;
            }
        tw_free(&w);
    }
    ck_assert_int_eq(failed[0], failed[1]);
    ck_assert_uint_eq(pattern[0], pattern[1]);
    ck_assert_int_gt(failed[0], 2);    /* about 0.3 x 40 / 0.7 */
    ck_assert_int_lt(failed[0], 40);
}
END_TEST

/* ---- cron schedules --------------------------------------------------------------- */
#define BITS(...) bits_of((const int[]){__VA_ARGS__, -1})
static uint64_t bits_of(const int *v)
{
    uint64_t b = 0;
    for (; *v >= 0; v++)
        b |= UINT64_C(1) << *v;
    return b;
}

static WlSchedule parse(const char *text)
{
    WlSchedule s;
    SimErr why = SIM_ERR_INIT;
    ck_assert_msg(wl_schedule_parse(text, &s, &why) == SIM_OK, "%s: %s", text, sim_err_msg(&why));
    return s;
}

START_TEST(cron_parse_lists_ranges_steps_and_names)
{
    WlSchedule s = parse("0,30 9-17/4 1-3 JAN,jun Mon-fri");
    ck_assert_uint_eq(s.minute, BITS(0, 30));
    ck_assert_uint_eq(s.hour, BITS(9, 13, 17));
    ck_assert_uint_eq(s.dom, BITS(1, 2, 3));
    ck_assert_uint_eq(s.month, BITS(1, 6));
    ck_assert_uint_eq(s.dow, BITS(1, 2, 3, 4, 5));
    s = parse("5/20 */6 * * SUN");   /* N/step runs from N to the maximum */
    ck_assert_uint_eq(s.minute, BITS(5, 25, 45));
    ck_assert_uint_eq(s.hour, BITS(0, 6, 12, 18));   /* a step > 1 is not '*' for the day rule */
    ck_assert_uint_eq(s.dom, bits_of((const int[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
                                                   19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, -1}) |
                                 (UINT64_C(1) << 63));
    ck_assert_uint_eq(s.dow, BITS(0));
}
END_TEST

START_TEST(cron_parse_descriptors)
{
    static const char *const pairs[][2] = {{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
                                           {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
                                           {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
                                           {"@hourly", "0 * * * *"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        WlSchedule a = parse(pairs[i][0]), b = parse(pairs[i][1]);
        ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "%s", pairs[i][0]);
    }
    ck_assert_int_eq(parse("@every 1h30m").every, 5400);
}
END_TEST

START_TEST(cron_parse_rejects_bad_expressions)
{
    static const char *const bad[][2] = {
        {"61 * * * *", "above maximum"},         {"* 24 * * *", "above maximum"},
        {"* * 0 * *", "below minimum"},          {"* * * 13 *", "above maximum"},
        {"0 0 * * 7", "above maximum"},          {"5-1 * * * *", "beyond end"},
        {"*/0 * * * *", "positive"},             {"* * * *", "exactly 5 fields"},
        {"* * * * * *", "exactly 5 fields"},     {"a * * * *", "failed to parse"},
        {"1-2-3 * * * *", "hyphens"},            {"1/2/3 * * * *", "slashes"},
        {"CRON_TZ=UTC 0 * * * *", "time_zone"},  {"@fortnightly", "descriptor"},
        {"1,,2 * * * *", "failed to parse"},     {"-1 * * * *", "failed to parse"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        WlSchedule s;
        SimErr why = SIM_ERR_INIT;
        ck_assert_msg(wl_schedule_parse(bad[i][0], &s, &why) == SIM_EINVAL, "%s parsed", bad[i][0]);
        ck_assert_msg(strstr(sim_err_msg(&why), bad[i][1]) != NULL,
                      "%s: '%s' lacks '%s'", bad[i][0], sim_err_msg(&why), bad[i][1]);
    }
}
END_TEST

START_TEST(cron_every_15_minutes)
{
    WlSchedule s = parse("*/15 * * * *");
    ck_assert_int_eq(wl_schedule_next(&s, NULL, D0), D0 + 900);
    ck_assert_int_eq(wl_schedule_next(&s, NULL, D0 + 450), D0 + 900);
    ck_assert_int_eq(wl_schedule_next(&s, NULL, D0 + 900), D0 + 1800);   /* strictly after */
    ck_assert_int_eq(wl_schedule_next(&s, NULL, D0 + 86400 - 60), D0 + 86400);
}
END_TEST

/* Day 0 is Monday 2026-01-05, so weekday schedules resolve. */
START_TEST(cron_day0_is_monday_2026_01_05)
{
    ck_assert_int_eq(D0, utc(2026, 1, 5, 0, 0, 0));
    WlSchedule mon = parse("0 12 * * MON"), sun = parse("0 0 * * 0");
    ck_assert_int_eq(wl_schedule_next(&mon, NULL, D0), D0 + 12 * 3600);
    ck_assert_int_eq(wl_schedule_next(&sun, NULL, D0), utc(2026, 1, 11, 0, 0, 0));
}
END_TEST

/* Day-of-month and day-of-week are ORed when both are restricted (neither is
 * '*'), ANDed otherwise. */
START_TEST(cron_dom_dow_ored)
{
    WlSchedule both = parse("0 0 13 * FRI"), dom = parse("0 0 13 * *"), dow = parse("0 0 * * FRI");
    int64_t t = wl_schedule_next(&both, NULL, D0);
    ck_assert_int_eq(t, utc(2026, 1, 9, 0, 0, 0));   /* Friday the 9th */
    t = wl_schedule_next(&both, NULL, t);
    ck_assert_int_eq(t, utc(2026, 1, 13, 0, 0, 0));  /* Tuesday the 13th */
    t = wl_schedule_next(&both, NULL, t);
    ck_assert_int_eq(t, utc(2026, 1, 16, 0, 0, 0));
    ck_assert_int_eq(wl_schedule_next(&dom, NULL, D0), utc(2026, 1, 13, 0, 0, 0));
    ck_assert_int_eq(wl_schedule_next(&dow, NULL, D0), utc(2026, 1, 9, 0, 0, 0));
    WlSchedule feb30 = parse("0 0 30 2 *");
    ck_assert_int_eq(wl_schedule_next(&feb30, NULL, D0), WL_CRON_NEVER);
}
END_TEST

/* America/New_York from the TZif file: 09:00 local is 14:00 UTC before the
 * switch to DST (2026-03-08) and 13:00 UTC after; 02:30 does not exist on the
 * switch day and is skipped; on the way back (2026-11-01) 01:30 happens twice
 * and, as upstream's cron library does (kubernetes#121594), runs twice. */
START_TEST(cron_time_zone_new_york_dst)
{
    SimMem mem;
    sim_mem_init(&mem);
    WlZone *ny = NULL;
    SimErr why = SIM_ERR_INIT;
    ck_assert_int_eq(wl_zone_load(&mem, "America/New_York", &ny, &why), SIM_OK);
    ck_assert_int_eq(wl_zone_offset(ny, D0), -5 * 3600);
    ck_assert_int_eq(wl_zone_offset(ny, utc(2026, 7, 1, 0, 0, 0)), -4 * 3600);
    WlSchedule nine = parse("0 9 * * *"), gap = parse("30 2 * * *"), dup = parse("30 1 * * *");
    int64_t t = wl_schedule_next(&nine, ny, utc(2026, 3, 7, 0, 0, 0));
    ck_assert_int_eq(t, utc(2026, 3, 7, 14, 0, 0));
    ck_assert_int_eq(wl_schedule_next(&nine, ny, t), utc(2026, 3, 8, 13, 0, 0));
    ck_assert_int_eq(wl_schedule_next(&gap, ny, utc(2026, 3, 7, 8, 0, 0)), utc(2026, 3, 9, 6, 30, 0));
    t = wl_schedule_next(&dup, ny, utc(2026, 10, 31, 12, 0, 0));
    ck_assert_int_eq(t, utc(2026, 11, 1, 5, 30, 0));   /* 01:30 EDT */
    t = wl_schedule_next(&dup, ny, t);
    ck_assert_int_eq(t, utc(2026, 11, 1, 6, 30, 0));   /* 01:30 EST */
    ck_assert_int_eq(wl_schedule_next(&dup, ny, t), utc(2026, 11, 2, 6, 30, 0));
    /* Past the file's last transition (2037) the footer's POSIX rule
     * (EST5EDT,M3.2.0,M11.1.0) decides: DST 2040 starts 2040-03-11 07:00 UTC. */
    ck_assert_int_eq(wl_zone_offset(ny, utc(2040, 3, 11, 6, 59, 59)), -5 * 3600);
    ck_assert_int_eq(wl_zone_offset(ny, utc(2040, 3, 11, 7, 0, 0)), -4 * 3600);
    ck_assert_int_eq(wl_zone_offset(ny, utc(2040, 11, 4, 6, 0, 0)), -5 * 3600);
    t = wl_schedule_next(&nine, ny, utc(2040, 3, 10, 0, 0, 0));
    ck_assert_int_eq(t, utc(2040, 3, 10, 14, 0, 0));
    ck_assert_int_eq(wl_schedule_next(&nine, ny, t), utc(2040, 3, 11, 13, 0, 0));
    wl_zone_free(&mem, ny);
    ck_assert_int_eq(mem.live, 0);
}
END_TEST

/* Where midnight itself is skipped (Havana moves 00:00 to 01:00 on
 * 2026-03-08), a midnight schedule skips that day, as upstream's does: values
 * from Go's time package running the same algorithm on the same zone file. */
START_TEST(cron_time_zone_midnight_gap_havana)
{
    SimMem mem;
    sim_mem_init(&mem);
    WlZone *z = NULL;
    SimErr why = SIM_ERR_INIT;
    ck_assert_int_eq(wl_zone_load(&mem, "America/Havana", &z, &why), SIM_OK);
    WlSchedule daily = parse("0 0 * * *"), yearly = parse("0 0 8 3 *");
    int64_t t = wl_schedule_next(&daily, z, utc(2026, 3, 6, 0, 0, 0));
    ck_assert_int_eq(t, utc(2026, 3, 6, 5, 0, 0));
    t = wl_schedule_next(&daily, z, t);
    ck_assert_int_eq(t, utc(2026, 3, 7, 5, 0, 0));
    ck_assert_int_eq(wl_schedule_next(&daily, z, t), utc(2026, 3, 9, 4, 0, 0));
    ck_assert_int_eq(wl_schedule_next(&yearly, z, D0), utc(2027, 3, 8, 5, 0, 0));
    wl_zone_free(&mem, z);
    ck_assert_int_eq(mem.live, 0);
}
END_TEST

/* A southern zone's footer flips standard and summer time. */
START_TEST(cron_time_zone_sydney_footer_rule)
{
    SimMem mem;
    sim_mem_init(&mem);
    WlZone *z = NULL;
    SimErr why = SIM_ERR_INIT;
    ck_assert_int_eq(wl_zone_load(&mem, "Australia/Sydney", &z, &why), SIM_OK);
    ck_assert_int_eq(wl_zone_offset(z, utc(2026, 1, 15, 0, 0, 0)), 11 * 3600);
    ck_assert_int_eq(wl_zone_offset(z, utc(2040, 1, 1, 12, 0, 0)), 11 * 3600);
    ck_assert_int_eq(wl_zone_offset(z, utc(2040, 7, 1, 12, 0, 0)), 10 * 3600);
    wl_zone_free(&mem, z);
    ck_assert_int_eq(mem.live, 0);
}
END_TEST

START_TEST(cron_unknown_zone_refused)
{
    SimMem mem;
    sim_mem_init(&mem);
    static const char *const bad[] = {"America/New_Yrok", "Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime",
                                      "Local", "", "America", "America/./New_York"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        WlZone *z = NULL;
        SimErr why = SIM_ERR_INIT;
        ck_assert_msg(wl_zone_load(&mem, bad[i], &z, &why) == SIM_EINVAL, "'%s' loaded", bad[i]);
        ck_assert_ptr_null(z);
        ck_assert_msg(strstr(sim_err_msg(&why), "unknown time zone") != NULL, "%s", sim_err_msg(&why));
    }
    WlZone *utc0 = NULL;
    SimErr why = SIM_ERR_INIT;
    ck_assert_int_eq(wl_zone_load(&mem, "UTC", &utc0, &why), SIM_OK);
    ck_assert_int_eq(wl_zone_offset(utc0, D0), 0);
    wl_zone_free(&mem, utc0);
    ck_assert_int_eq(mem.live, 0);
}
END_TEST

/* ---- CronJob ------------------------------------------------------------------------ */
typedef struct CronOpts {
    const char *schedule, *tz;
    SimConcurrency concurrency;
    int deadline_set, suspend;
    SimTime deadline, duration;
    int32_t ok_history, failed_history, fail_first;
} CronOpts;

/* A CronJob created at t = 0 (00:00 UTC on day 0) whose Jobs run one pod. */
static uint32_t cronjob(World *w, const char *name, const CronOpts *o)
{
    SimWorkload cj = job_template(w, name, 1, 1, o->duration ? o->duration : SIM_SEC(60));
    cj.kind = SIM_WL_CRONJOB;
    cj.cron.schedule = o->schedule;
    cj.cron.time_zone = o->tz;
    cj.cron.epoch = D0;
    cj.cron.concurrency = o->concurrency;
    cj.cron.deadline_set = (uint8_t)o->deadline_set;
    cj.cron.starting_deadline = o->deadline;
    cj.cron.suspend = (uint8_t)o->suspend;
    cj.cron.successful_history = o->ok_history ? o->ok_history : 100;
    cj.cron.failed_history = o->failed_history;
    cj.job.fail_first = o->fail_first;
    if (o->fail_first) {
        cj.job.backoff_set = 1;   /* backoffLimit 0: the first failure fails the Job */
    }
    return start(w, &cj);
}

/* The CronJob's existing Jobs' schedule times, minus D0, in seconds. */
static size_t scheds(World *w, uint32_t cj, int64_t *out, size_t n)
{
    const uint32_t *jobs;
    size_t k = wl_cronjob_jobs(w->c, cj, &jobs);
    for (size_t i = 0; i < k && i < n; i++)
        out[i] = status(w, jobs[i]).scheduled_unix - D0;
    return k;
}

/* Each schedule time creates one Job named <cronjob>-<scheduledUnixTime/60>,
 * 100 ms after the schedule time (the controller's requeue). */
START_TEST(cronjob_every_15_minutes_creates_named_jobs)
{
    World w = world(SIM_SEC(7200));
    uint32_t cj = cronjob(&w, "report", &(CronOpts){.schedule = "*/15 * * * *"});
    ts_run_to(w.e, SIM_SEC(3700));
    const uint32_t *jobs;
    ck_assert_uint_eq(wl_cronjob_jobs(w.c, cj, &jobs), 4);
    for (size_t i = 0; i < 4; i++) {
        WlJobStatus st = status(&w, jobs[i]);
        ck_assert_int_eq(st.scheduled_unix, D0 + 900 * (int64_t)(i + 1));
        ck_assert_int_eq(st.start, SIM_SEC(900 * (int64_t)(i + 1)) + SIM_MS(100));
        ck_assert_int_eq(st.condition, 1);
        ck_assert_uint_eq(st.cronjob, cj);
        char name[64];
        snprintf(name, sizeof name, "report-%lld", (long long)((D0 + 900 * (int64_t)(i + 1)) / 60));
        ck_assert_str_eq(sim_workload(w.e, jobs[i])->name, name);
    }
    ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, 4);
    tw_free(&w);
}
END_TEST

/* The schedule is read in the CronJob's time zone: 09:00 New York on day 0
 * is 14:00 UTC. */
START_TEST(cronjob_time_zone_new_york)
{
    World w = world(SIM_SEC(16 * 3600));
    uint32_t cj = cronjob(&w, "open", &(CronOpts){.schedule = "0 9 * * *", .tz = "America/New_York"});
    ts_run_to(w.e, SIM_SEC(15 * 3600));
    const uint32_t *jobs;
    ck_assert_uint_eq(wl_cronjob_jobs(w.c, cj, &jobs), 1);
    ck_assert_int_eq(status(&w, jobs[0]).start, SIM_SEC(14 * 3600) + SIM_MS(100));
    tw_free(&w);
}
END_TEST

/* Forbid: no new Job while one is active (JobAlreadyActive); once it
 * finishes, the most recent missed time still starts (no starting deadline). */
START_TEST(cronjob_forbid_skips_while_active)
{
    World w = world(SIM_SEC(7200));
    uint32_t cj = cronjob(&w, "etl", &(CronOpts){.schedule = "*/10 * * * *", .concurrency = SIM_CONCURRENCY_FORBID,
                                                .duration = SIM_SEC(1500)});
    ts_run_to(w.e, SIM_SEC(2100));
    int64_t s[8];
    ck_assert_uint_eq(scheds(&w, cj, s, 8), 1);   /* 1200 and 1800 were skipped */
    ck_assert_int_eq(s[0], 600);
    ck_assert_int_eq(sim_workload(w.e, cj)->active, 1);
    ts_run_to(w.e, SIM_SEC(2200));   /* the first Job ended at 600.1 + 2 + 1500 s */
    ck_assert_uint_eq(scheds(&w, cj, s, 8), 2);
    ck_assert_int_eq(s[1], 1800);
    const uint32_t *jobs;
    wl_cronjob_jobs(w.c, cj, &jobs);
    ck_assert_int_eq(status(&w, jobs[1]).start, SIM_MS(2102100));
    tw_free(&w);
}
END_TEST

/* Allow: Jobs of successive times run side by side. */
START_TEST(cronjob_allow_runs_concurrently)
{
    World w = world(SIM_SEC(7200));
    uint32_t cj = cronjob(&w, "etl", &(CronOpts){.schedule = "*/10 * * * *", .duration = SIM_SEC(1500)});
    ts_run_to(w.e, SIM_SEC(1900));
    int64_t s[8];
    ck_assert_uint_eq(scheds(&w, cj, s, 8), 3);
    ck_assert_int_eq(sim_workload(w.e, cj)->active, 3);
    tw_free(&w);
}
END_TEST

/* Replace: the active Job (and its pod) is deleted, then the new one created. */
START_TEST(cronjob_replace_deletes_active)
{
    World w = world(SIM_SEC(7200));
    uint32_t cj = cronjob(&w, "etl", &(CronOpts){.schedule = "*/10 * * * *", .concurrency = SIM_CONCURRENCY_REPLACE,
                                                .duration = SIM_SEC(1500)});
    ts_run_to(w.e, SIM_SEC(700));
    const uint32_t *jobs;
    ck_assert_uint_eq(wl_cronjob_jobs(w.c, cj, &jobs), 1);
    uint32_t first = jobs[0], pod = SIM_NONE;
    ck_assert_uint_eq(pods_of(w.e, first, &pod, 1), 1);
    ts_run_to(w.e, SIM_SEC(1200) + SIM_MS(100));
    ck_assert_int_eq(sim_workload(w.e, first)->deleted, 1);
    ck_assert_int_eq(sim_workload(w.e, first)->finished, 0);
    ck_assert_int_eq(sim_pod(w.e, pod)->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_pod(w.e, pod)->ended_at, SIM_SEC(1200) + SIM_MS(100));
    int64_t s[4];
    ck_assert_uint_eq(scheds(&w, cj, s, 4), 1);
    ck_assert_int_eq(s[0], 1200);
    ck_assert_int_eq(sim_workload(w.e, cj)->active, 1);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_failed, 0);
    tw_free(&w);
}
END_TEST

static void resume_at(World *w, uint32_t cj, SimTime t)
{
    ts_run_to(w->e, t);
    ck_assert_int_eq(wl_cronjob_suspend(w->c, cj, 0), SIM_OK);
}

/* Suspended through 15, 30 and 45 min, resumed at 50: only the most recent
 * missed time (45 min) runs, at once; the next at 60 min. */
START_TEST(cronjob_only_most_recent_missed_run)
{
    World w = world(SIM_SEC(7200));
    uint32_t cj = cronjob(&w, "q", &(CronOpts){.schedule = "*/15 * * * *", .suspend = 1});
    ts_run_to(w.e, SIM_SEC(2999));
    ck_assert_uint_eq(scheds(&w, cj, NULL, 0), 0);
    resume_at(&w, cj, SIM_SEC(3000));
    ts_run_to(w.e, SIM_SEC(3001));
    int64_t s[4];
    ck_assert_uint_eq(scheds(&w, cj, s, 4), 1);
    ck_assert_int_eq(s[0], 2700);
    const uint32_t *jobs;
    wl_cronjob_jobs(w.c, cj, &jobs);
    ck_assert_int_eq(status(&w, jobs[0]).start, SIM_SEC(3000));
    ts_run_to(w.e, SIM_SEC(3700));
    ck_assert_uint_eq(scheds(&w, cj, s, 4), 2);
    ck_assert_int_eq(s[1], 3600);
    tw_free(&w);
}
END_TEST

/* startingDeadlineSeconds: a missed time older than the deadline is skipped
 * (200 s: the 45 min run, 300 s late at resume, is dropped); within it, it
 * runs late (600 s); 0 means never (the controller wakes 100 ms late). */
START_TEST(cronjob_starting_deadline_skips)
{
    World w = world(SIM_SEC(7200));
    uint32_t short_dl = cronjob(&w, "short", &(CronOpts){.schedule = "*/15 * * * *", .suspend = 1, .deadline_set = 1,
                                                         .deadline = SIM_SEC(200)});
    uint32_t long_dl = cronjob(&w, "long", &(CronOpts){.schedule = "*/15 * * * *", .suspend = 1, .deadline_set = 1,
                                                       .deadline = SIM_SEC(600)});
    uint32_t zero = cronjob(&w, "zero", &(CronOpts){.schedule = "*/15 * * * *", .deadline_set = 1});
    resume_at(&w, short_dl, SIM_SEC(3000));
    ck_assert_int_eq(wl_cronjob_suspend(w.c, long_dl, 0), SIM_OK);
    ts_run_to(w.e, SIM_SEC(3001));
    int64_t s[4];
    ck_assert_uint_eq(scheds(&w, short_dl, s, 4), 0);
    ck_assert_uint_eq(scheds(&w, long_dl, s, 4), 1);
    ck_assert_int_eq(s[0], 2700);
    ts_run_to(w.e, SIM_SEC(3700));
    ck_assert_uint_eq(scheds(&w, short_dl, s, 4), 1);
    ck_assert_int_eq(s[0], 3600);
    ck_assert_uint_eq(scheds(&w, zero, s, 4), 0);
    tw_free(&w);
}
END_TEST

/* successfulJobsHistoryLimit / failedJobsHistoryLimit: the oldest finished
 * Jobs beyond them are deleted. */
START_TEST(cronjob_history_limits)
{
    World w = world(SIM_SEC(7200));
    uint32_t ok = cronjob(&w, "ok", &(CronOpts){.schedule = "*/10 * * * *", .ok_history = 2});
    uint32_t bad = cronjob(&w, "bad", &(CronOpts){.schedule = "*/10 * * * *", .failed_history = 1, .fail_first = 1});
    ts_run_to(w.e, SIM_SEC(3100));   /* five runs each, the last ended at 3000.1 + 62 s */
    int64_t s[8];
    ck_assert_uint_eq(scheds(&w, ok, s, 8), 2);
    ck_assert_int_eq(s[0], 2400);
    ck_assert_int_eq(s[1], 3000);
    ck_assert_uint_eq(scheds(&w, bad, s, 8), 1);
    ck_assert_int_eq(s[0], 3000);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, 5);
    ck_assert_uint_eq(wl_stats(w.c)->jobs_failed, 5);
    int deleted = 0;
    for (uint32_t i = 0; i < sim_workload_count(w.e); i++)
        deleted += sim_workload(w.e, i)->deleted;
    ck_assert_int_eq(deleted, 3 + 4);
    tw_free(&w);
}
END_TEST

/* A CronJob's history limit deletes its old Jobs with their pods: under
 * count/pods 2, one pod per run, a history of 1 leaves room for every run;
 * a history of 3 keeps the first two Jobs' pods and the third run's pod is
 * refused (its Job never completes). */
START_TEST(cronjob_history_limit_gives_back_count_pods)
{
    for (int32_t keep = 1; keep <= 3; keep += 2) {
        World w = world(SIM_SEC(3100));
        uint32_t q = count_pods_quota(&w, 2);
        uint32_t cj = cronjob(&w, "hourly", &(CronOpts){.schedule = "*/10 * * * *", .ok_history = keep});
        ts_run_to(w.e, SIM_SEC(3100));   /* runs at 600 ... 3000 s, each done 62.1 s later */
        ck_assert_uint_eq(wl_stats(w.c)->jobs_succeeded, keep == 1 ? 5 : 2);
        ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], keep == 1 ? 1 : 2);
        ck_assert_uint_eq(sim_stats(w.e)->quota_rejections > 0, keep == 3);
        ck_assert_int_eq(sim_workload(w.e, cj)->active, keep == 1 ? 0 : 3);   /* unfinished Jobs */
        ck_assert_int_eq(sim_check(w.e), SIM_OK);
        tw_free(&w);
    }
}
END_TEST

/* ---- out of memory --------------------------------------------------------------- */
static int oom_run(void *ctx, SimMem *m)
{
    (void)ctx;
    TwOpts o = {.seed = 4, .end = SIM_SEC(1900), .mem = m, .region = "r", .ns = "ns", .group = "g",
                .alloc = {4000, 8 * GIB, 0, 110}, .nodes = 1};
    TwWorld w;
    int rc = tw_build(&w, &o);
    uint32_t id;
    SimWorkload j;
    memset(&j, 0, sizeof j);
    j.name = (char *)"job";
    j.kind = SIM_WL_JOB;
    j.spec.req = (SimRes){500, GIB, 0, 1};
    j.spec.duration = SIM_SEC(5);
    j.replicas = 2;
    j.completions = 3;
    j.job = (SimJobSpec){.mode = SIM_JOB_INDEXED, .fail_first = 1, .ttl_set = 1, .ttl = SIM_SEC(30)};
    SimWorkload cj = j;
    cj.name = (char *)"cron";
    cj.kind = SIM_WL_CRONJOB;
    cj.cron = (SimCronSpec){.schedule = "*/5 * * * *", .time_zone = "America/New_York", .epoch = D0,
                            .concurrency = SIM_CONCURRENCY_REPLACE, .successful_history = 1, .failed_history = 1};
    if (rc || (rc = sim_workload_add(w.e, &j, &id)) || (rc = wl_start(w.c, id)) ||
        (rc = sim_workload_add(w.e, &cj, &id)) || (rc = wl_start(w.c, id)))
        goto out;
    while ((rc = sim_step(w.e)) == SIM_OK) {
    }
    if (rc == SIM_DONE)
        rc = m->oom ? SIM_ENOMEM : SIM_OK;
out:
    ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "failure reported as %d", rc);
    tw_free(&w);
    return rc != SIM_OK;
}

START_TEST(jobs_oom_sweep_leaks_nothing)
{
    ts_oom_sweep(oom_run, NULL, 1, 100000);
}
END_TEST

/* ---- Lua declarations ------------------------------------------------------------- */
static const char world_lua[] = "region { name = \"r\" }\n"   /* line 1 */
                                "namespace { name = \"team\" }\n";   /* line 2 */

/* Loading fails with a message holding both fragments. */
static void expect_error(const char *decl, const char *frag1, const char *frag2)
{
    char src[2048];
    snprintf(src, sizeof src, "%s%s", world_lua, decl);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "bad.lua", src), .seed = 1};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s == NULL, "expected an error for: %s", decl);
    ck_assert_msg(strstr(sim_err_msg(&err), frag1) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag1);
    if (frag2)
        ck_assert_msg(strstr(sim_err_msg(&err), frag2) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag2);
    ck_assert_int_eq(m.live, 0);
}

START_TEST(lua_bad_cron_refused_with_file_and_line)
{
    expect_error("cronjob { name = \"c\", schedule = \"61 * * * *\", job = { duration = \"1m\" } }\n",
                 "bad.lua:3:", "field 'schedule': \"61 * * * *\": end of range (61) above maximum (59)");
    expect_error("\ncronjob { name = \"c\", schedule = \"* * *\", job = { duration = \"1m\" } }\n", "bad.lua:4:",
                 "exactly 5 fields");
    expect_error("cronjob { name = \"c\", schedule = \"TZ=UTC 0 * * * *\", job = { duration = \"1m\" } }\n",
                 "bad.lua:3:", "time_zone field");
    expect_error("cronjob { name = \"c\", schedule = \"0 0 30 2 *\", job = { duration = \"1m\" } }\n", "bad.lua:3:",
                 "never fires");
}
END_TEST

START_TEST(lua_unknown_zone_refused_with_file_and_line)
{
    expect_error("cronjob { name = \"c\", schedule = \"@daily\", time_zone = \"Europe/Atlantis\",\n"
                 "          job = { duration = \"1m\" } }\n",
                 "bad.lua:3:", "field 'time_zone': unknown time zone Europe/Atlantis");
}
END_TEST

START_TEST(lua_negative_completions_refused_with_file_and_line)
{
    expect_error("job { name = \"j\", completions = -1, duration = \"1m\" }\n", "bad.lua:3:",
                 "job 'j': field 'completions': must not be negative");
    expect_error("cronjob { name = \"c\", schedule = \"@hourly\", job = { completions = -2, duration = \"1m\" } }\n",
                 "bad.lua:3:", "job template of cronjob 'c': field 'completions': must not be negative");
    expect_error("job { name = \"j\", parallelism = -1, duration = \"1m\" }\n", "bad.lua:3:", "must not be negative");
    expect_error("job { name = \"j\", backoff_limit = -1, duration = \"1m\" }\n", "bad.lua:3:", "must not be negative");
}
END_TEST

START_TEST(lua_job_and_cronjob_fields_checked)
{
    expect_error("job { name = \"j\", completion_mode = \"Indexed\", parallelism = 2, duration = \"1m\" }\n",
                 "bad.lua:3:", "Indexed needs completions");
    expect_error("job { name = \"j\", completion_mode = \"Sharded\", duration = \"1m\" }\n", "bad.lua:3:",
                 "not NonIndexed or Indexed");
    expect_error("job { name = \"j\", duration = \"1m\", fail = { probability = 2 } }\n", "bad.lua:3:",
                 "field 'fail': field 'probability'");
    expect_error("job { name = \"j\", duration = \"1m\", fail = { frist = 2 } }\n", "bad.lua:3:",
                 "did you mean 'first'");
    expect_error("job { name = \"j\", duration = \"1m\", active_deadline = \"0s\" }\n", "bad.lua:3:",
                 "must be positive");
    expect_error("cronjob { name = \"c\", schedule = \"@daily\", concurrency_policy = \"Sometimes\", "
                 "job = { duration = \"1m\" } }\n",
                 "bad.lua:3:", "not Allow, Forbid or Replace");
    expect_error("cronjob { name = \"c\", schedule = \"@daily\" }\n", "bad.lua:3:", "field 'job': is required");
    expect_error("cronjob { name = \"c\", schedule = \"@daily\", job = { duration = \"1m\", schedule = 1 } }\n",
                 "bad.lua:3:", "unknown field 'schedule' in job template of cronjob 'c'");
    expect_error("cronjob { name = \"a-very-long-cronjob-name-that-goes-on-and-on-and-on-x\", schedule = \"@daily\", "
                 "job = { duration = \"1m\" } }\n",
                 "bad.lua:3:", "longer than 52");
}
END_TEST

static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    ck_assert_ptr_nonnull(j);
    return j;
}

static double num(const cJSON *j, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(j, a), b);
    ck_assert_ptr_nonnull(x);
    return x->valuedouble;
}

/* Counts the trace's records of one kind (by name) and, optionally, with a
 * given string field value. */
static int count_records(const char *path, const char *kind, const char *value)
{
    SimErr err = SIM_ERR_INIT;
    SimMem mem;
    sim_mem_init(&mem);
    SimTrSchema all;
    ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
    SimTraceReader *r = sim_trace_open(&mem, &all, path, &err);
    ck_assert_msg(r != NULL, "%s", sim_err_msg(&err));
    SimTraceRec rec;
    int n = 0;
    while (sim_trace_next(r, &rec) == SIM_OK) {
        if (strcmp(sim_trschema_get(&all, rec.kind)->name, kind) != 0)
            continue;
        int match = value == NULL;
        for (size_t i = 0; i < rec.n && !match; i++)
            match = rec.v[i].s && strcmp(rec.v[i].s, value) == 0;
        n += match;
    }
    sim_trace_close_reader(r);
    return n;
}

/* The declarations end to end: a work-queue Job, a Job that exceeds its
 * backoff limit, an Indexed Job and a CronJob every 15 minutes, through
 * summary.json, metrics.csv and the trace. */
START_TEST(lua_jobs_and_cronjob_run_end_to_end)
{
    const char *src =
        "scenario { name = \"jobs\", start = \"00:00\", duration = \"2h\", sample_every = \"10m\" }\n"
        "region { name = \"r\" }\n"
        "nodegroup { name = \"g\", cpu = \"16\", memory = \"64Gi\", min = 4 }\n"
        "job { name = \"wq\", parallelism = 3, duration = \"5m\" }\n"
        "job { name = \"flaky\", completions = 2, duration = \"5m\", backoff_limit = 1, fail = { first = 2 } }\n"
        "job { name = \"shards\", completions = 4, parallelism = 2, completion_mode = \"Indexed\", duration = \"5m\",\n"
        "      ttl_after_finished = \"10m\" }\n"
        "cronjob { name = \"q\", schedule = \"*/15 * * * *\", successful_history = 10, concurrency_policy = \"Forbid\",\n"
        "          job = { completions = 2, parallelism = 2, duration = \"1m\", cpu = \"500m\", memory = \"1Gi\" } }\n"
        "expect(\"jobs\", function(r) return r.jobs.succeeded == 9 and r.jobs.failed == 1 end)\n";
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "run.lua", src), .seed = 1};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/out", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0755) == 0 || access(dir, F_OK) == 0, 1);
    ScnRunOptions ro = {.seed = 1, .dir = dir};
    ScnRunResult res;
    ck_assert_msg(scn_run(s, &ro, &res) == SIM_OK, "%s", scn_errmsg(s));
    ck_assert_int_eq(res.expectations_failed, 0);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    cJSON *j = read_json(path);
    ck_assert_double_eq(num(j, "jobs", "succeeded"), 1 + 1 + 7);   /* wq, shards, 7 runs of q */
    ck_assert_double_eq(num(j, "jobs", "failed"), 1);              /* flaky */
    ck_assert_double_eq(num(j, "pods", "created"), 3 + 2 + 4 + 14);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/trace.kst", dir);
    ck_assert_int_eq(count_records(path, "job_end", "BackoffLimitExceeded"), 1);
    ck_assert_int_eq(count_records(path, "job_end", "Complete"), 9);
    ck_assert_int_eq(count_records(path, "cronjob", "SuccessfulCreate"), 7);
    ck_assert_int_eq(count_records(path, "pod_index", NULL), 4);
    ck_assert_int_eq(count_records(path, "workload_delete", "TTLAfterFinished"), 1);
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    int active_rows = 0, failed_rows = 0;
    while (fgets(line, sizeof line, f)) {
        active_rows += strstr(line, ",cronjob,q,active,") != NULL;
        failed_rows += strstr(line, ",job,flaky,failed,") != NULL;
    }
    fclose(f);
    ck_assert_int_gt(active_rows, 0);
    ck_assert_int_gt(failed_rows, 0);
}
END_TEST

static Suite *jobs_suite(void)
{
    Suite *s = suite_create("jobs");
    TCase *job = tcase_create("job");
    tcase_set_timeout(job, 600);
    tcase_add_test(job, job_failure_backoff_10s_doubling_capped_10min);
    tcase_add_test(job, job_backoff_limit_fails_job);
    tcase_add_test(job, job_backoff_limit_defaults_to_six);
    tcase_add_test(job, job_failure_backoff_resets_after_a_success);
    tcase_add_test(job, job_deleted_pod_counts_as_failed);
    tcase_add_test(job, job_indexed_one_pod_per_index);
    tcase_add_test(job, job_work_queue_mode);
    tcase_add_test(job, job_active_deadline_exceeded);
    tcase_add_test(job, job_active_deadline_fires_during_backoff_wait);
    tcase_add_test(job, job_ttl_after_finished_deletes);
    tcase_add_test(job, job_stops_at_count_pods_until_its_finished_pods_go);
    tcase_add_test(job, job_ttl_gives_back_count_pods);
    tcase_add_test(job, job_at_most_500_pod_creations_per_sync);
    tcase_add_test(job, job_failure_probability_is_seeded);
    tcase_add_test(job, jobs_oom_sweep_leaks_nothing);
    suite_add_tcase(s, job);
    TCase *cron = tcase_create("cron");
    tcase_add_test(cron, cron_parse_lists_ranges_steps_and_names);
    tcase_add_test(cron, cron_parse_descriptors);
    tcase_add_test(cron, cron_parse_rejects_bad_expressions);
    tcase_add_test(cron, cron_every_15_minutes);
    tcase_add_test(cron, cron_day0_is_monday_2026_01_05);
    tcase_add_test(cron, cron_dom_dow_ored);
    tcase_add_test(cron, cron_time_zone_new_york_dst);
    tcase_add_test(cron, cron_time_zone_midnight_gap_havana);
    tcase_add_test(cron, cron_time_zone_sydney_footer_rule);
    tcase_add_test(cron, cron_unknown_zone_refused);
    suite_add_tcase(s, cron);
    TCase *cj = tcase_create("cronjob");
    tcase_set_timeout(cj, 600);
    tcase_add_test(cj, cronjob_every_15_minutes_creates_named_jobs);
    tcase_add_test(cj, cronjob_time_zone_new_york);
    tcase_add_test(cj, cronjob_forbid_skips_while_active);
    tcase_add_test(cj, cronjob_allow_runs_concurrently);
    tcase_add_test(cj, cronjob_replace_deletes_active);
    tcase_add_test(cj, cronjob_only_most_recent_missed_run);
    tcase_add_test(cj, cronjob_starting_deadline_skips);
    tcase_add_test(cj, cronjob_history_limits);
    tcase_add_test(cj, cronjob_history_limit_gives_back_count_pods);
    suite_add_tcase(s, cj);
    TCase *lua = tcase_create("lua");
    tcase_set_timeout(lua, 600);
    tcase_add_test(lua, lua_bad_cron_refused_with_file_and_line);
    tcase_add_test(lua, lua_unknown_zone_refused_with_file_and_line);
    tcase_add_test(lua, lua_negative_completions_refused_with_file_and_line);
    tcase_add_test(lua, lua_job_and_cronjob_fields_checked);
    tcase_add_test(lua, lua_jobs_and_cronjob_run_end_to_end);
    suite_add_tcase(s, lua);
    return s;
}

int main(void)
{
    return tr_main(jobs_suite(), tmpdir);
}
