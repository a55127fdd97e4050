/*
 * test_queue.c: backtest queues served by worker Deployments (workloads/queue.h,
 * scenarios/api_queue.c), on a real engine with the scheduler placing the
 * workers. Pins FIFO order, one request per worker at a time, durations from
 * the kernel's counted work over the node's throughput, the requeue of a
 * request whose worker ends, the External metrics and worker usage at known
 * times, the summary's backtests section, the memo, and the Lua checks.
 * Durations are computed from bt_cost_predict and bt_sim_duration, never
 * measured: nothing here depends on the wall clock.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scheduler/sched.h"
#include "sim/summary.h"
#include "workloads/hpa.h"
#include "workloads/queue.h"
#include "workloads/wl_metrics.h"

#include "tb.h"
#include "tr.h"
#include "ts.h"
#include "tw.h"

#define GIB (INT64_C(1) << 30)

static char tmpdir[] = "/tmp/kubesim-queue-XXXXXX";

typedef struct World {
    SimMem mem;
    SimEngine *e;
    SchedScheduler *s;
    WlControllers *c;
    SimTraceWriter *tw;
    uint32_t region, ns;
    BtData *data;
    BtParams params;
    BtThroughput tp;
} World;

/* A region, the scheduler, the controllers, a trace, and a 5-asset synthetic
 * universe with an MA grid. The reference core is slowed so that one request
 * takes about 40 s on a speed-1 node (exact figure: duration()). */
static void world_init(World *w, SimTime end)
{
    memset(w, 0, sizeof *w);
    sim_mem_init(&w->mem);
    SimConfig cfg = {.seed = 5, .end = end, .queue = SIM_EVQ_FAST, .mem = &w->mem};
    w->e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(w->e);
    char path[512];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/trace-%d.kst", tmpdir, getpid());
    w->tw = sim_trace_create(&w->mem, sim_trace_schema(w->e), path, "{}", &err);
    ck_assert_msg(w->tw != NULL, "%s", sim_err_msg(&err));
    sim_set_trace(w->e, w->tw);
    ck_assert_int_eq(sim_region_add(w->e, "us-east", &w->region), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w->e, "research", &w->ns), SIM_OK);
    w->s = sched_create(w->e);
    w->c = wl_create(w->e);
    ck_assert_ptr_nonnull(w->c);
    BtCtx bc;
    bt_ctx_init(&bc, &w->mem);
    ck_assert_int_eq(bt_data_synthetic(&bc, 300, 5, 3, &w->data), SIM_OK);
    bt_params_default(&w->params, BT_MA_CROSS);
    w->params.nfast = w->params.nslow = 1;
    w->params.fast[0] = 5;
    w->params.slow[0] = 20;
    bt_throughput_reference(&w->tp);
    BtCost cost = bt_cost_predict(&w->params, 300, 5);
    ck_assert_uint_gt(cost.flops, 0);
    for (int k = 0; k < BT_CLASS_COUNT; k++) {
        w->tp.flops_per_s[k] = (double)cost.flops / 40.0;
        w->tp.bytes_per_s[k] = 1e18;
    }
    wl_backtest_set_throughput(w->c, &w->tp);
}

static void world_free(World *w)
{
    if (w->tw)
        sim_trace_abort(w->tw);
    wl_destroy(w->c);
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
    bt_data_free(w->data);
    ck_assert_int_eq(w->mem.live, 0);
}

/* The simulated seconds of one request of w->params on a node of this speed. */
static SimTime duration(const World *w, const BtParams *p, double speed)
{
    BtNodeSpeed sp = {speed, 0, 1.0};
    return bt_sim_duration(&w->tp, &sp, p->kernel, bt_cost_predict(p, 300, 5));
}

static uint32_t group(World *w, const char *name, double speed, int64_t cpu_m, int nodes)
{
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)name;
    g.region = w->region;
    g.alloc = (SimRes){cpu_m, 8 * GIB, 0, 110};
    g.max = 10;
    g.speed = speed;
    g.gpu_speedup = 1;
    uint32_t id, n;
    ck_assert_int_eq(sim_nodegroup_add(w->e, &g, &id), SIM_OK);
    for (int i = 0; i < nodes; i++)
        ck_assert_int_eq(sim_node_add(w->e, id, 1, &n), SIM_OK);
    return id;
}

static uint32_t queue(World *w, const char *name)
{
    uint32_t q;
    ck_assert_int_eq(wl_queue_add(w->c, name, w->region, &q), SIM_OK);
    return q;
}

/* A worker Deployment of queue q: pods of cpu_m millicores and 1 GiB that
 * start 2 s after binding, with terminationGracePeriodSeconds `grace`
 * (negative: unset, the default 30 s). */
static uint32_t workers_grace(World *w, uint32_t q, const char *name, int32_t replicas, int64_t cpu_m,
                              SimTime grace)
{
    SimWorkload d;
    memset(&d, 0, sizeof d);
    d.name = (char *)name;
    d.kind = SIM_WL_DEPLOYMENT;
    d.ns = w->ns;
    d.region = w->region;
    d.spec.req = (SimRes){cpu_m, GIB, 0, 1};
    d.spec.startup = SIM_SEC(2);
    d.spec.termination_grace = grace;
    d.spec.termination_grace_set = grace >= 0;
    d.replicas = replicas;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &d, &id), SIM_OK);
    ck_assert_int_eq(wl_queue_worker(w->c, q, id), SIM_OK);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

static uint32_t workers(World *w, uint32_t q, const char *name, int32_t replicas, int64_t cpu_m)
{
    return workers_grace(w, q, name, replicas, cpu_m, -1);
}

static void submit(World *w, uint32_t q, const char *name, const BtParams *p, SimTime at, int32_t count,
                   SimTime every)
{
    WlQueueSubmit s = {q, name, w->data, p ? *p : w->params, at, every, count, 0, 0};
    ck_assert_int_eq(wl_queue_submit(w->c, &s), SIM_OK);
}

static void run_to(World *w, SimTime t)
{
    ts_run_to(w->e, t);
}

static void run_all(World *w)
{
    int rc;
    while ((rc = sim_step(w->e)) == SIM_OK) {}
    ck_assert_int_eq(rc, SIM_DONE);
}

static WlQueueStatus status(World *w, uint32_t q)
{
    WlQueueStatus st;
    ck_assert_int_eq(wl_queue_status(w->c, q, &st), SIM_OK);
    return st;
}

/* The live pods of a workload, in creation order. */
static int pods_of(World *w, uint32_t wl, uint32_t *out, int max)
{
    int n = 0;
    for (uint32_t i = 0; i < sim_pod_count(w->e) && n < max; i++) {
        const SimPod *p = sim_pod(w->e, i);
        if (p->wl == wl && p->phase <= SIM_POD_RUNNING)
            out[n++] = i;
    }
    return n;
}

/* ---- the trace's queue records ------------------------------------------------- */
typedef struct QRec {
    int kind;
    SimTime t;
    int64_t submit, pod, duration;
} QRec;

/* Closes the trace and returns its take/done/requeue/fail records in order. */
static int queue_records(World *w, QRec *out, int max)
{
    char sha[65], path[512];
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(sim_trace_close(w->tw, sha), SIM_OK);
    w->tw = NULL;
    sim_set_trace(w->e, NULL);
    snprintf(path, sizeof path, "%s/trace-%d.kst", tmpdir, getpid());
    SimTraceReader *r = sim_trace_open(&w->mem, sim_trace_schema(w->e), path, &err);
    ck_assert_msg(r != NULL, "%s", sim_err_msg(&err));
    SimTraceRec rec;
    int n = 0;
    while (sim_trace_next(r, &rec) == SIM_OK)
        if (rec.kind >= WL_TR_QUEUE_TAKE && rec.kind <= WL_TR_QUEUE_FAIL) {
            ck_assert_int_lt(n, max);
            out[n++] = (QRec){rec.kind, rec.t, rec.v[1].i, rec.v[2].i,
                              rec.kind == WL_TR_QUEUE_TAKE ? rec.v[3].i : 0};
        }
    sim_trace_close_reader(r);
    return n;
}

/* ---- FIFO and one request at a time ------------------------------------------- */

/* Requests of two submissions interleave in time (A at 0, 10, 20 s; B at 5,
 * 15 s); each takes ~40 s, so all wait while the one worker is busy: it
 * takes them in arrival order A B A B A, each the instant the last ends. */
START_TEST(queue_serves_requests_in_arrival_order)
{
    World w;
    world_init(&w, SIM_SEC(3600));
    group(&w, "cpu", 1.0, 4000, 1);
    uint32_t q = queue(&w, "backtests");
    workers(&w, q, "workers", 1, 1000);
    submit(&w, q, "a", NULL, 0, 3, SIM_SEC(10));
    submit(&w, q, "b", NULL, SIM_SEC(5), 2, SIM_SEC(10));
    run_all(&w);
    QRec r[32];
    int n = queue_records(&w, r, 32);
    ck_assert_int_eq(n, 10);
    static const int64_t order[] = {0, 1, 0, 1, 0};
    SimTime d = duration(&w, &w.params, 1.0);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(r[2 * i].kind, WL_TR_QUEUE_TAKE);   /* take, done, take, done: one at a time */
        ck_assert_int_eq(r[2 * i + 1].kind, WL_TR_QUEUE_DONE);
        ck_assert_int_eq(r[2 * i].submit, order[i]);
        ck_assert_int_eq(r[2 * i + 1].submit, order[i]);
        ck_assert_int_eq(r[2 * i + 1].t - r[2 * i].t, d);
        if (i > 0)
            ck_assert_int_eq(r[2 * i].t, r[2 * i - 1].t);     /* the next is taken at once */
    }
    ck_assert_uint_eq(wl_stats(w.c)->backtests_completed, 5);
    world_free(&w);
}
END_TEST

/* Two workers, five requests at once: two busy, three waiting; then two,
 * two, one more as they finish. */
START_TEST(queue_gives_each_worker_one_request_at_a_time)
{
    World w;
    world_init(&w, SIM_SEC(3600));
    group(&w, "cpu", 1.0, 4000, 2);
    uint32_t q = queue(&w, "backtests");
    uint32_t d = workers(&w, q, "workers", 2, 1000);
    submit(&w, q, "five", NULL, SIM_SEC(5), 5, 0);
    run_to(&w, SIM_SEC(5));
    uint32_t pods[4];
    ck_assert_int_eq(pods_of(&w, d, pods, 4), 2);
    SimTime t0 = sim_pod(w.e, pods[0])->started_at, dur = duration(&w, &w.params, 1.0);
    ck_assert_int_eq(sim_pod(w.e, pods[1])->started_at, t0);
    ck_assert_int_le(t0, SIM_SEC(5));   /* Running before the requests arrive */
    WlQueueStatus st = status(&w, q);
    ck_assert_uint_eq(st.length, 3);
    ck_assert_uint_eq(st.busy, 2);
    ck_assert_uint_eq(st.workers, 2);
    ck_assert_uint_eq(wl_queue_busy_with(w.c, pods[0]), 0);
    ck_assert_uint_eq(wl_queue_busy_with(w.c, pods[1]), 0);
    static const uint32_t length[] = {1, 0, 0}, busy[] = {2, 1, 0};
    for (int k = 1; k <= 3; k++) {
        run_to(&w, SIM_SEC(5) + k * dur);
        st = status(&w, q);
        ck_assert_uint_eq(st.length, length[k - 1]);
        ck_assert_uint_eq(st.busy, busy[k - 1]);
        ck_assert_uint_eq(st.completed, k < 3 ? 2u * (uint32_t)k : 5u);
    }
    ck_assert_uint_eq(wl_queue_busy_with(w.c, pods[0]), SIM_NONE);
    QRec r[32];
    int n = queue_records(&w, r, 32);
    for (int p = 0; p < 2; p++) {   /* per pod: take and done alternate */
        int busy_now = 0;
        for (int i = 0; i < n; i++)
            if (r[i].pod == pods[p]) {
                ck_assert_int_eq(r[i].kind, busy_now ? WL_TR_QUEUE_DONE : WL_TR_QUEUE_TAKE);
                busy_now = !busy_now;
            }
    }
    world_free(&w);
}
END_TEST

/* ---- durations from counted work ---------------------------------------------- */

/* One worker on a speed-1 node and one on a speed-4 node (each pod fills its
 * node): each request lasts the counted work over its node's throughput, so
 * the fast worker's is exactly a quarter and finishes first. */
START_TEST(queue_request_lasts_its_counted_work_on_the_node)
{
    World w;
    world_init(&w, SIM_SEC(3600));
    uint32_t slow = group(&w, "slow", 1.0, 2000, 1), fast = group(&w, "fast", 4.0, 2000, 1);
    uint32_t q = queue(&w, "backtests");
    workers(&w, q, "workers", 2, 2000);
    submit(&w, q, "pair", NULL, SIM_SEC(10), 2, 0);
    run_all(&w);
    QRec r[8];
    ck_assert_int_eq(queue_records(&w, r, 8), 4);
    SimTime d1 = duration(&w, &w.params, 1.0), d4 = duration(&w, &w.params, 4.0);
    ck_assert_int_lt(d4, d1);
    ck_assert_int_ge(d1, SIM_SEC(39));   /* the throughput set above: about 40 s */
    ck_assert_int_le(d1, SIM_SEC(41));
    SimTime done_slow = -1, done_fast = -1;
    for (int i = 0; i < 4; i++) {
        uint32_t g = sim_node(w.e, sim_pod(w.e, (uint32_t)r[i].pod)->node)->group;
        ck_assert(g == slow || g == fast);
        if (r[i].kind == WL_TR_QUEUE_TAKE) {
            ck_assert_int_eq(r[i].t, SIM_SEC(10));
            ck_assert_int_eq(r[i].duration, g == fast ? d4 : d1);
        } else {
            *(g == fast ? &done_fast : &done_slow) = r[i].t;
        }
    }
    ck_assert_int_eq(done_fast, SIM_SEC(10) + d4);
    ck_assert_int_eq(done_slow, SIM_SEC(10) + d1);
    world_free(&w);
}
END_TEST

/* A stated duration lasts exactly that on every node (the node's speed does
 * not enter); a work scale multiplies the counted work's duration on the
 * node, so a small data set stands for a large one. */
START_TEST(queue_request_lasts_its_stated_duration_or_scaled_work)
{
    World w;
    world_init(&w, SIM_SEC(4 * 3600));
    uint32_t slow = group(&w, "slow", 1.0, 2000, 1), fast = group(&w, "fast", 4.0, 2000, 1);
    uint32_t q = queue(&w, "backtests");
    workers(&w, q, "workers", 2, 2000);
    WlQueueSubmit stated = {q, "stated", w.data, w.params, SIM_SEC(10), 0, 2, SIM_SEC(25 * 60), 0};
    ck_assert_int_eq(wl_queue_submit(w.c, &stated), SIM_OK);
    WlQueueSubmit scaled = {q, "scaled", w.data, w.params, SIM_SEC(3600), 0, 2, 0, 40};
    ck_assert_int_eq(wl_queue_submit(w.c, &scaled), SIM_OK);
    run_all(&w);
    QRec r[16];
    ck_assert_int_eq(queue_records(&w, r, 16), 8);
    SimTime d1 = duration(&w, &w.params, 1.0), d4 = duration(&w, &w.params, 4.0);
    int takes = 0;
    for (int i = 0; i < 8; i++) {
        if (r[i].kind != WL_TR_QUEUE_TAKE)
            continue;
        takes++;
        uint32_t g = sim_node(w.e, sim_pod(w.e, (uint32_t)r[i].pod)->node)->group;
        ck_assert(g == slow || g == fast);
        if (r[i].t == SIM_SEC(10))
            ck_assert_int_eq(r[i].duration, SIM_SEC(25 * 60));
        else
            ck_assert_int_eq(r[i].duration, 40 * (g == fast ? d4 : d1));
    }
    ck_assert_int_eq(takes, 4);
    world_free(&w);
}
END_TEST

/* ---- requeue --------------------------------------------------------------------- */

/* A worker killed mid-request (terminationGracePeriodSeconds 0) puts it
 * back at the head, ahead of a later arrival and with its arrival time; so
 * does a scale-down to zero. The replacement pods take it again first, and
 * both complete once. */
START_TEST(queue_requeues_the_request_of_a_deleted_worker)
{
    World w;
    world_init(&w, SIM_SEC(7200));
    group(&w, "cpu", 1.0, 4000, 1);
    uint32_t q = queue(&w, "backtests");
    uint32_t d = workers_grace(&w, q, "workers", 1, 1000, 0);
    submit(&w, q, "first", NULL, SIM_SEC(10), 1, 0);
    submit(&w, q, "second", NULL, SIM_SEC(11), 1, 0);
    run_to(&w, SIM_SEC(20));
    uint32_t pods[4];
    ck_assert_int_eq(pods_of(&w, d, pods, 4), 1);
    ck_assert_uint_eq(wl_queue_busy_with(w.c, pods[0]), 0);
    ck_assert_int_eq(sim_pod_delete(w.e, pods[0]), SIM_OK);
    WlQueueStatus st = status(&w, q);
    ck_assert_uint_eq(st.length, 2);
    ck_assert_uint_eq(st.busy, 0);
    ck_assert_uint_eq(st.requeued, 1);
    ck_assert_int_eq(st.oldest_age, SIM_SEC(10));   /* it keeps its arrival at 10 s */
    int64_t age;
    ck_assert_int_eq(wl_value_metric(w.c, "queue_oldest_age_seconds", &age), 1);
    ck_assert_int_eq(age, 10000);
    run_to(&w, SIM_SEC(30));   /* the Deployment's replacement is Running and took it again */
    ck_assert_int_eq(pods_of(&w, d, pods, 4), 1);
    ck_assert_uint_eq(wl_queue_busy_with(w.c, pods[0]), 0);
    ck_assert_int_eq(wl_scale(w.c, d, 0), SIM_OK);   /* scale-down mid-request */
    run_to(&w, SIM_SEC(31));
    st = status(&w, q);
    ck_assert_uint_eq(st.length, 2);
    ck_assert_uint_eq(st.workers, 0);
    ck_assert_uint_eq(st.requeued, 2);
    ck_assert_int_eq(wl_scale(w.c, d, 1), SIM_OK);
    run_all(&w);
    st = status(&w, q);
    ck_assert_uint_eq(st.completed, 2);
    ck_assert_uint_eq(st.length, 0);
    ck_assert_uint_eq(wl_stats(w.c)->backtests_completed, 2);
    QRec r[32];
    int n = queue_records(&w, r, 32);
    static const int kinds[] = {WL_TR_QUEUE_TAKE, WL_TR_QUEUE_REQUEUE, WL_TR_QUEUE_TAKE, WL_TR_QUEUE_REQUEUE,
                                WL_TR_QUEUE_TAKE, WL_TR_QUEUE_DONE, WL_TR_QUEUE_TAKE, WL_TR_QUEUE_DONE};
    static const int64_t subs[] = {0, 0, 0, 0, 0, 0, 1, 1};
    ck_assert_int_eq(n, 8);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(r[i].kind, kinds[i]);
        ck_assert_int_eq(r[i].submit, subs[i]);
    }
    world_free(&w);
}
END_TEST

/* ---- graceful termination ------------------------------------------------------------ */
/* Each request takes about 40 s, longer than the default 30 s grace period.
 * Three busy workers scaled to zero 2 s into their requests, with a 60 s
 * grace period: each drains (takes nothing new, keeps its node's resources)
 * and finishes its request; none is requeued and none waits for a worker
 * that will never come. */
START_TEST(queue_drained_to_zero_workers_completes_every_request)
{
    World w;
    world_init(&w, SIM_SEC(7200));
    SimTime len = duration(&w, &w.params, 1.0);
    ck_assert_int_gt(len, SIM_DEFAULT_TERMINATION_GRACE + SIM_SEC(2));
    uint32_t g = group(&w, "cpu", 1.0, 4000, 1);
    (void)g;
    uint32_t q = queue(&w, "backtests");
    uint32_t d = workers_grace(&w, q, "workers", 3, 1000, SIM_SEC(60));
    submit(&w, q, "long", NULL, SIM_SEC(10), 3, 0);
    submit(&w, q, "later", NULL, SIM_SEC(15), 1, 0);   /* arrives while they are busy */
    run_to(&w, SIM_SEC(12));
    ck_assert_uint_eq(status(&w, q).busy, 3);
    ck_assert_int_eq(wl_scale(w.c, d, 0), SIM_OK);
    run_to(&w, SIM_SEC(16));
    WlQueueStatus st = status(&w, q);
    ck_assert_uint_eq(st.workers, 0);
    ck_assert_uint_eq(st.busy, 3);       /* draining */
    ck_assert_uint_eq(st.length, 1);     /* the later one is not taken by a draining worker */
    ck_assert_uint_eq(st.requeued, 0);
    ck_assert_int_eq(sim_node(w.e, 0)->req.cpu_m, 3000);   /* Terminating pods keep their node */
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    run_to(&w, SIM_SEC(10) + len + SIM_SEC(1));
    st = status(&w, q);
    ck_assert_uint_eq(st.completed, 3);
    ck_assert_uint_eq(st.busy, 0);
    ck_assert_uint_eq(st.requeued, 0);
    ck_assert_int_eq(sim_node(w.e, 0)->req.cpu_m, 0);
    ck_assert_int_eq(wl_scale(w.c, d, 1), SIM_OK);   /* a worker for the one that waited */
    run_all(&w);
    st = status(&w, q);
    ck_assert_uint_eq(st.completed, 4);
    ck_assert_uint_eq(st.requeued, 0);
    ck_assert_uint_eq(st.length, 0);
    world_free(&w);
}
END_TEST

/* The same request with the default 30 s grace period, its worker scaled
 * away 2 s in: 38 s of work left, so the kubelet kills the pod at +30 s and
 * the request goes back then, once, counted in requeued (status and
 * summary.json queues[].requeued). The next worker completes it. */
START_TEST(queue_request_longer_than_the_grace_period_is_requeued_once)
{
    World w;
    world_init(&w, SIM_SEC(7200));
    SimTime len = duration(&w, &w.params, 1.0);
    group(&w, "cpu", 1.0, 4000, 1);
    uint32_t q = queue(&w, "backtests");
    uint32_t d = workers(&w, q, "workers", 1, 1000);
    submit(&w, q, "long", NULL, SIM_SEC(10), 1, 0);
    run_to(&w, SIM_SEC(12));
    ck_assert_int_eq(wl_scale(w.c, d, 0), SIM_OK);
    run_to(&w, SIM_SEC(41));
    WlQueueStatus st = status(&w, q);
    ck_assert_uint_eq(st.busy, 1);
    ck_assert_uint_eq(st.requeued, 0);
    ck_assert_int_eq(sim_node(w.e, 0)->req.cpu_m, 1000);
    run_to(&w, SIM_SEC(42) + 1);
    st = status(&w, q);
    ck_assert_uint_eq(st.busy, 0);
    ck_assert_uint_eq(st.requeued, 1);
    ck_assert_uint_eq(st.length, 1);
    ck_assert_int_eq(st.oldest_age, SIM_SEC(32) + 1);   /* it keeps its arrival at 10 s */
    ck_assert_int_eq(sim_node(w.e, 0)->req.cpu_m, 0);
    ck_assert_int_eq(wl_scale(w.c, d, 1), SIM_OK);
    run_all(&w);
    st = status(&w, q);
    ck_assert_uint_eq(st.completed, 1);
    ck_assert_uint_eq(st.requeued, 1);
    ck_assert_int_gt(len, SIM_SEC(32));
    SimSummaryInfo info = {.scenario = "graceful"};
    cJSON *sum = sim_summary_build(w.e, &info);
    ck_assert_ptr_nonnull(sum);
    const cJSON *q0 = cJSON_GetArrayItem(cJSON_GetObjectItem(sum, "queues"), 0);
    ck_assert_ptr_nonnull(q0);
    ck_assert_str_eq(cJSON_GetObjectItem(q0, "name")->valuestring, "backtests");
    ck_assert_double_eq(cJSON_GetObjectItem(q0, "requeued")->valuedouble, 1);
    ck_assert_double_eq(cJSON_GetObjectItem(q0, "completed")->valuedouble, 1);
    cJSON_Delete(sum);
    QRec r[8];
    int n = queue_records(&w, r, 8);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(r[1].kind, WL_TR_QUEUE_REQUEUE);
    ck_assert_int_eq(r[1].t, SIM_SEC(42));
    ck_assert_int_eq(r[3].kind, WL_TR_QUEUE_DONE);
    world_free(&w);
}
END_TEST

/* An HPA on the queue's length (External, averageValue 1, minReplicas 0, no
 * scale-down window) over workers on a half-speed node, so each request
 * takes about 80 s: two requests at 10 s. Returns the queue's status after
 * `until`; *replicas gets the workers' replica count then. */
static WlQueueStatus hpa_to_zero(SimTime grace, SimTime until, int32_t *replicas)
{
    World w;
    world_init(&w, until);
    group(&w, "slow", 0.5, 4000, 1);
    uint32_t q = queue(&w, "backtests");
    uint32_t d = workers_grace(&w, q, "workers", 1, 1000, grace);
    WlHpaMetric m = {WL_HPA_EXTERNAL, WL_HPA_AVERAGE_VALUE, WL_HPA_CPU, "backtests/queue_length", 0, 1000};
    WlHpaSpec hs = {.min = 0, .max = 2, .metrics = &m, .nmetrics = 1, .has_behavior = 1,
                    .tolerance = WL_HPA_TOLERANCE};
    wl_hpa_rules_default_up(&hs.up);
    wl_hpa_rules_default_down(&hs.down);
    hs.down.window_s = 0;
    ck_assert_int_eq(wl_hpa_add(w.c, "workers", d, &hs), SIM_OK);
    submit(&w, q, "long", NULL, SIM_SEC(10), 2, 0);
    run_all(&w);
    WlQueueStatus st = status(&w, q);
    *replicas = sim_workload(w.e, d)->replicas;
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    world_free(&w);
    return st;
}

/* The loop the issue saw: workers scaled to zero while busy with the last
 * requests. With the default 30 s grace the requests (80 s) are killed and
 * requeued again and again (visible in requeued); with a grace period longer
 * than a request every request completes and the workers end at zero. */
START_TEST(queue_hpa_to_zero_completes_every_request_within_the_grace_period)
{
    int32_t replicas;
    WlQueueStatus st = hpa_to_zero(SIM_SEC(120), SIM_SEC(3600), &replicas);
    ck_assert_uint_eq(st.completed, 2);
    ck_assert_uint_eq(st.requeued, 0);
    ck_assert_uint_eq(st.length, 0);
    ck_assert_int_eq(replicas, 0);
    st = hpa_to_zero(-1, SIM_SEC(3600), &replicas);
    ck_assert_uint_lt(st.completed, 2);
    ck_assert_uint_ge(st.requeued, 10);   /* killed at the end of each grace period, all hour long */
}
END_TEST

/* ---- metrics ------------------------------------------------------------------ */

/* No workers: requests at 100, 110, 120, 130 s wait. The External metrics
 * count them and age the oldest, in milli-units; the plain names sum every
 * queue, "<queue>/..." reads one. */
START_TEST(queue_external_metrics_at_known_times)
{
    World w;
    world_init(&w, SIM_SEC(3600));
    uint32_t a = queue(&w, "a"), b = queue(&w, "b");
    submit(&w, a, "a4", NULL, SIM_SEC(100), 4, SIM_SEC(10));
    submit(&w, b, "b1", NULL, SIM_SEC(50), 1, 0);
    int64_t v;
    run_to(&w, SIM_SEC(40));
    ck_assert_int_eq(wl_value_metric(w.c, "queue_length", &v), 1);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(wl_value_metric(w.c, "a/queue_oldest_age_seconds", &v), 1);
    ck_assert_int_eq(v, 0);
    run_to(&w, SIM_SEC(125));
    ck_assert_int_eq(wl_value_metric(w.c, "a/queue_length", &v), 1);
    ck_assert_int_eq(v, 3000);
    ck_assert_int_eq(wl_value_metric(w.c, "a/queue_oldest_age_seconds", &v), 1);
    ck_assert_int_eq(v, 25000);
    ck_assert_int_eq(wl_value_metric(w.c, "b/queue_oldest_age_seconds", &v), 1);
    ck_assert_int_eq(v, 75000);
    ck_assert_int_eq(wl_value_metric(w.c, "queue_length", &v), 1);
    ck_assert_int_eq(v, 4000);
    ck_assert_int_eq(wl_value_metric(w.c, "queue_oldest_age_seconds", &v), 1);
    ck_assert_int_eq(v, 100000);
    ck_assert_int_eq(wl_value_metric(w.c, "c/queue_length", &v), 0);   /* no such queue: no value */
    run_to(&w, SIM_MS(200500));
    ck_assert_int_eq(wl_value_metric(w.c, "a/queue_length", &v), 1);
    ck_assert_int_eq(v, 4000);
    ck_assert_int_eq(wl_value_metric(w.c, "a/queue_oldest_age_seconds", &v), 1);
    ck_assert_int_eq(v, 100500);
    WlQueueStatus st = status(&w, a);
    ck_assert_uint_eq(st.arrived, 4);
    ck_assert_int_eq(st.oldest_age, SIM_MS(100500));
    world_free(&w);
}
END_TEST

/* What metrics-server would report: the worker's request while busy, 5% of
 * it while idle, averaged over the 15 s window ending at the last multiple
 * of 15 s (and over the part of it the pod ran). */
static int64_t blended(int64_t req, SimTime busy, SimTime win)
{
    int64_t idle = req * WL_QUEUE_IDLE_PERMILLE / 1000;
    return idle + (req - idle) * (busy * 1000000 / win) / 1000000;
}

START_TEST(queue_worker_usage_follows_its_requests)
{
    World w;
    world_init(&w, SIM_SEC(3600));
    group(&w, "cpu", 1.0, 4000, 1);
    uint32_t q = queue(&w, "backtests");
    uint32_t d = workers(&w, q, "workers", 1, 1000);
    submit(&w, q, "one", NULL, SIM_SEC(20), 1, 0);
    run_to(&w, SIM_SEC(14));
    uint32_t pod = SIM_NONE;
    ck_assert_int_eq(pods_of(&w, d, &pod, 1), 1);
    SimTime start = sim_pod(w.e, pod)->started_at, dur = duration(&w, &w.params, 1.0);
    ck_assert_int_eq(start, SIM_SEC(2));
    WlPodUsage u;
    ck_assert_int_eq(wl_pod_usage(w.c, pod, &u), 0);   /* no scrape since it started */
    run_to(&w, SIM_SEC(16));
    ck_assert_int_eq(wl_pod_usage(w.c, pod, &u), 1);   /* idle over [2 s, 15 s] */
    ck_assert_int_eq(u.timestamp, SIM_SEC(15));
    ck_assert_int_eq(u.window, SIM_SEC(13));
    ck_assert_int_eq(u.cpu_m, 50);
    ck_assert_int_eq(u.mem, GIB / 20);
    run_to(&w, SIM_SEC(31));   /* busy from 20 s: 10 of [15 s, 30 s] */
    ck_assert_int_eq(wl_pod_usage(w.c, pod, &u), 1);
    ck_assert_int_eq(u.window, SIM_SEC(15));
    ck_assert_int_eq(u.cpu_m, blended(1000, SIM_SEC(10), SIM_SEC(15)));
    ck_assert_int_eq(u.cpu_m, 683);
    run_to(&w, SIM_SEC(45));   /* busy throughout [30 s, 45 s] */
    ck_assert_int_eq(wl_pod_usage(w.c, pod, &u), 1);
    ck_assert_int_eq(u.cpu_m, 1000);
    ck_assert_int_eq(u.mem, GIB);
    SimTime done = SIM_SEC(20) + dur, end = done - done % SIM_SEC(15) + SIM_SEC(15);
    run_to(&w, end);   /* the window in which it finished */
    ck_assert_int_eq(wl_pod_usage(w.c, pod, &u), 1);
    ck_assert_int_eq(u.cpu_m, blended(1000, done - (end - SIM_SEC(15)), SIM_SEC(15)));
    run_to(&w, end + SIM_SEC(15));   /* idle again */
    ck_assert_int_eq(wl_pod_usage(w.c, pod, &u), 1);
    ck_assert_int_eq(u.cpu_m, 50);
    ck_assert_int_eq(sim_pod_delete(w.e, pod), SIM_OK);
    ck_assert_int_eq(wl_pod_usage(w.c, pod, &u), 0);
    world_free(&w);
}
END_TEST

/* ---- memo and failures ----------------------------------------------------------- */

/* Identical requests, within a submission and across two, share one kernel
 * run; a different grid runs its own. */
START_TEST(queue_identical_requests_share_one_kernel_run)
{
    World w;
    world_init(&w, SIM_SEC(7200));
    group(&w, "cpu", 1.0, 4000, 2);
    uint32_t q = queue(&w, "backtests");
    workers(&w, q, "workers", 4, 1000);
    BtParams other = w.params;
    other.slow[0] = 30;
    submit(&w, q, "x", NULL, SIM_SEC(5), 6, 0);
    submit(&w, q, "y", NULL, SIM_SEC(6), 3, 0);
    submit(&w, q, "z", &other, SIM_SEC(7), 2, 0);
    run_all(&w);
    uint64_t runs, reuses;
    wl_queue_kernel_runs(w.c, &runs, &reuses);
    ck_assert_uint_eq(runs, 2);
    ck_assert_uint_eq(reuses, 1);
    ck_assert_uint_eq(wl_stats(w.c)->backtests_completed, 11);
    cJSON *res = wl_backtest_results(w.c);
    ck_assert_int_eq(cJSON_GetArraySize(res), 3);
    static const char *const names[] = {"x", "y", "z"};
    static const double runs_of[] = {6, 3, 2};
    for (int i = 0; i < 3; i++) {
        const cJSON *o = cJSON_GetArrayItem(res, i);
        ck_assert_str_eq(cJSON_GetObjectItem(o, "name")->valuestring, names[i]);
        ck_assert_str_eq(cJSON_GetObjectItem(o, "queue")->valuestring, "backtests");
        ck_assert_double_eq(cJSON_GetObjectItem(o, "runs")->valuedouble, runs_of[i]);
        ck_assert_ptr_nonnull(cJSON_GetObjectItem(o, "pairs"));
    }
    cJSON_Delete(res);
    world_free(&w);
}
END_TEST

/* A kernel that fails at run time (constant prices: a zero covariance, not
 * positive definite without shrinkage) drops its requests as failed; the
 * worker stays idle and serves the next submission. */
START_TEST(queue_failed_kernel_drops_its_requests)
{
    World w;
    world_init(&w, SIM_SEC(3600));
    group(&w, "cpu", 1.0, 4000, 1);
    uint32_t q = queue(&w, "backtests");
    workers(&w, q, "workers", 1, 1000);
    static double flat[300 * 5];
    for (size_t i = 0; i < 300 * 5; i++)
        flat[i] = 100.0;
    BtCtx bc;
    bt_ctx_init(&bc, &w.mem);
    BtData *data;
    ck_assert_int_eq(bt_data_from_prices(&bc, "flat", 300, 5, flat, NULL, &data), SIM_OK);
    BtParams bad;
    bt_params_default(&bad, BT_MINVAR);
    bad.window = 20;
    ck_assert_int_eq(bt_check(&bc, data, &bad), SIM_OK);
    WlQueueSubmit s = {q, "bad", data, bad, SIM_SEC(5), 0, 3, 0, 0};
    ck_assert_int_eq(wl_queue_submit(w.c, &s), SIM_OK);
    submit(&w, q, "good", NULL, SIM_SEC(6), 1, 0);
    run_all(&w);
    WlQueueStatus st = status(&w, q);
    ck_assert_uint_eq(st.failed, 3);
    ck_assert_uint_eq(st.completed, 1);
    ck_assert_uint_eq(st.length, 0);
    uint64_t runs, reuses;
    wl_queue_kernel_runs(w.c, &runs, &reuses);
    ck_assert_uint_eq(runs, 1);   /* the good one; the memo keeps no failed run */
    cJSON *res = wl_backtest_results(w.c);
    ck_assert_int_eq(cJSON_GetArraySize(res), 1);
    cJSON_Delete(res);
    QRec r[16];
    int n = queue_records(&w, r, 16);
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(r[i].kind, WL_TR_QUEUE_FAIL);
    bt_data_free(data);
    world_free(&w);
}
END_TEST

/* ---- out of memory ------------------------------------------------------------- */
typedef struct OomCase {
    const BtData *data;
    BtParams params;
} OomCase;

static int oom_run(void *ctx, SimMem *m)
{
    const OomCase *oc = ctx;
    TwOpts o = {.seed = 4, .end = SIM_SEC(600), .mem = m, .region = "r", .ns = "ns", .group = "g",
                .alloc = {4000, 8 * GIB, 0, 110}, .nodes = 1};
    TwWorld w;
    int rc = tw_build(&w, &o);
    uint32_t d, q;
    SimWorkload ws;
    memset(&ws, 0, sizeof ws);
    ws.name = (char *)"workers";
    ws.spec.req = (SimRes){1000, GIB, 0, 1};
    ws.replicas = 2;
    WlQueueSubmit sub = {0, "x", oc->data, oc->params, SIM_SEC(1), SIM_SEC(1), 5, 0, 0};
    if (rc || (rc = sim_workload_add(w.e, &ws, &d)) || (rc = wl_queue_add(w.c, "q", w.region, &q)) ||
        (rc = wl_queue_worker(w.c, q, d)) || (rc = wl_start(w.c, d)) || (rc = wl_queue_submit(w.c, &sub)))
        goto out;
    for (int steps = 0; (rc = sim_step(w.e)) == SIM_OK; steps++)
        if (steps == 12 && (rc = sim_pod_delete(w.e, 0)))
            goto out;
    if (rc == SIM_DONE)
        rc = SIM_OK;
out:
    ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "failure reported as %d: %s", rc, w.e ? sim_errmsg(w.e) : "");
    tw_free(&w);
    return rc != SIM_OK;
}

START_TEST(queue_oom_sweep_leaks_nothing)
{
    SimMem dm;
    sim_mem_init(&dm);
    BtCtx bc;
    bt_ctx_init(&bc, &dm);
    BtData *data;
    ck_assert_int_eq(bt_data_synthetic(&bc, 60, 3, 1, &data), SIM_OK);
    OomCase oc = {.data = data};
    bt_params_default(&oc.params, BT_MA_CROSS);
    oc.params.nfast = oc.params.nslow = 1;
    oc.params.fast[0] = 3;
    oc.params.slow[0] = 10;
    ts_oom_sweep(oom_run, &oc, 1, 100000);
    bt_data_free(data);
}
END_TEST

/* ---- scenarios ------------------------------------------------------------------ */
static const char world_lua[] =
    "scenario { name = \"q\", duration = \"2h\", start = \"16:00\" }\n"
    "region { name = \"us-east\" }\n"
    "namespace { name = \"research\" }\n"
    "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 2, max = 2 }\n"
    "queue { name = \"backtests\", region = \"us-east\" }\n";

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

/* A whole run: summary.json counts every completed request and holds one
 * result per submit, equal to running the same kernel directly;
 * metrics.csv has the queue's rows. */
START_TEST(queue_scenario_fills_the_summary_and_metrics)
{
    char src[4096];
    snprintf(src, sizeof src, "%s%s", world_lua,
             "deployment { name = \"workers\", namespace = \"research\", replicas = 2, cpu = \"1\",\n"
             "             memory = \"1Gi\", queue = \"backtests\", termination_grace = \"90s\" }\n"
             "submit { queue = \"backtests\", name = \"grid\", start = \"16:05\", count = 6, every = \"2s\",\n"
             "         strategy = \"ma_cross\", universe = { assets = 4, days = 300, seed = 3 },\n"
             "         params = { fast = { 5 }, slow = { 20 } } }\n"
             "submit { queue = \"backtests\", start = \"16:10\", count = 3, strategy = \"momentum\",\n"
             "         universe = { assets = 6, days = 300, seed = 3 },\n"
             "         params = { lookback = 60, skip = 5, hold = 21, top = 2 } }\n"
             "expect(\"all requests done\", function(r) return r.backtests.completed == 9 end)\n"
             "expect(\"batch levels\", function(r, k) local q = r.queues[1]\n"
             "  return k.makespan(\"backtests\") == q.makespan_seconds and q.makespan_seconds > 300\n"
             "    and k.queue_wait(\"backtests\", \"p95\") == q.wait_p95_seconds\n"
             "    and k.queue_wait(\"backtests\", \"p50\") == q.wait_p50_seconds end)\n");
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "run.lua", src), .seed = 1};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    char dir[512];
    snprintf(dir, sizeof dir, "%s/out", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0755) == 0 || access(dir, F_OK) == 0, 1);
    ScnRunOptions ro = {.seed = 1, .dir = dir};
    ScnRunResult res;
    ck_assert_msg(scn_run(s, &ro, &res) == SIM_OK, "%s", scn_errmsg(s));
    ck_assert_int_eq(res.expectations_failed, 0);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);

    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    cJSON *j = read_json(path);
    const cJSON *bt = cJSON_GetObjectItem(j, "backtests");
    ck_assert_double_eq(cJSON_GetObjectItem(bt, "completed")->valuedouble, 9);
    const cJSON *results = cJSON_GetObjectItem(bt, "results");
    ck_assert_int_eq(cJSON_GetArraySize(results), 2);
    const cJSON *r0 = cJSON_GetArrayItem(results, 0), *r1 = cJSON_GetArrayItem(results, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(r0, "name")->valuestring, "grid");
    ck_assert_str_eq(cJSON_GetObjectItem(r1, "name")->valuestring, "backtests-2");
    ck_assert_str_eq(cJSON_GetObjectItem(r1, "queue")->valuestring, "backtests");
    ck_assert_str_eq(cJSON_GetObjectItem(r1, "strategy")->valuestring, "momentum");
    ck_assert_double_eq(cJSON_GetObjectItem(r0, "runs")->valuedouble, 6);
    ck_assert_double_eq(cJSON_GetObjectItem(r1, "runs")->valuedouble, 3);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(r0, "pairs"));
    const cJSON *q0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "queues"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(q0, "name")->valuestring, "backtests");
    ck_assert_double_eq(cJSON_GetObjectItem(q0, "arrived")->valuedouble, 9);
    ck_assert_double_eq(cJSON_GetObjectItem(q0, "completed")->valuedouble, 9);
    ck_assert_double_eq(cJSON_GetObjectItem(q0, "requeued")->valuedouble, 0);
    /* The queue's batch service levels: the first request arrived at 16:05
     * (300 s), the makespan runs from there to the last completion. */
    const cJSON *q = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "queues"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(q, "name")->valuestring, "backtests");
    double last = cJSON_GetObjectItem(q, "last_completion_seconds")->valuedouble;
    ck_assert_double_eq_tol(cJSON_GetObjectItem(q, "makespan_seconds")->valuedouble, last - 300, 1e-6);
    double w50 = cJSON_GetObjectItem(q, "wait_p50_seconds")->valuedouble;
    double w95 = cJSON_GetObjectItem(q, "wait_p95_seconds")->valuedouble;
    ck_assert(w50 >= 0 && w50 <= w95 && w95 <= cJSON_GetObjectItem(q, "wait_max_seconds")->valuedouble);
    ck_assert(w95 > 0);   /* six requests 2 s apart on two workers: some wait */
    /* The same kernel, run directly on the same synthetic universe. */
    SimMem dm;
    sim_mem_init(&dm);
    BtCtx bc;
    bt_ctx_init(&bc, &dm);
    BtData *data;
    BtResult *direct;
    ck_assert_int_eq(bt_data_synthetic(&bc, 300, 6, 3, &data), SIM_OK);
    BtParams p;
    bt_params_default(&p, BT_MOMENTUM);
    p.lookback = 60;
    p.skip = 5;
    p.hold = 21;
    p.top = 2;
    ck_assert_int_eq(bt_run(&bc, data, &p, &direct), SIM_OK);
    const cJSON *met = cJSON_GetObjectItem(r1, "metrics");
    ck_assert_double_eq(cJSON_GetObjectItem(met, "cum_return")->valuedouble, bt_result_metrics(direct)->cum_return);
    ck_assert_double_eq(cJSON_GetObjectItem(r1, "flops")->valuedouble, (double)bt_result_cost(direct).flops);
    bt_result_free(direct);
    bt_data_free(data);
    ck_assert_int_eq(dm.live, 0);
    cJSON_Delete(j);

    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    int rows = 0, last_completed = -1, requeued_rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, ",us-east,queue,backtests,"))
            rows++;
        const char *c = strstr(line, ",us-east,queue,backtests,completed,");
        if (c)
            last_completed = atoi(c + strlen(",us-east,queue,backtests,completed,"));
        requeued_rows += strstr(line, ",us-east,queue,backtests,requeued,0") != NULL;
    }
    fclose(f);
    ck_assert_int_ge(rows, 5 * 120);   /* five metrics every minute of two hours */
    ck_assert_int_eq(last_completed, 9);
    ck_assert_int_ge(requeued_rows, 120);
}
END_TEST

/* The load fails with a message holding both fragments. */
static void expect_error(const char *decls, const char *frag1, const char *frag2)
{
    char src[4096];
    snprintf(src, sizeof src, "%s%s", world_lua, decls);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "s.lua", src), .seed = 1};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s == NULL, "expected an error for: %s", decls);
    ck_assert_msg(strstr(sim_err_msg(&err), frag1) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag1);
    ck_assert_msg(frag2 == NULL || strstr(sim_err_msg(&err), frag2) != NULL,
                  "message '%s' lacks '%s'", sim_err_msg(&err), frag2);
    ck_assert_int_eq(m.live, 0);
}

#define REQ "strategy = \"ma_cross\", universe = { assets = 3, days = 100 }, params = { fast = {5}, slow = {20} }"

START_TEST(queue_lua_declarations_are_checked)
{
    expect_error("deployment { name = \"w\", queue = \"backtests\", termination_grace = \"1500ms\" }\n",
                 "s.lua:6: deployment 'w': field 'termination_grace': must be whole seconds", NULL);
    expect_error("deployment { name = \"w\", queue = \"backtests\", termination_grace = true }\n",
                 "s.lua:6: deployment 'w': field 'termination_grace': expected a duration", NULL);
    expect_error("submit { queue = \"bactests\", " REQ " }\n",
                 "s.lua:6: submit: field 'queue': no queue named 'bactests' is declared before this line",
                 "(declared: backtests)");
    expect_error("deployment { name = \"w\", queue = \"other\" }\n",
                 "s.lua:6: deployment 'w': field 'queue': no queue named 'other'", NULL);
    expect_error("deployment { name = \"w\", queue = \"late\" }\nqueue { name = \"late\" }\n",
                 "s.lua:6:", "no queue named 'late' is declared before this line");
    expect_error("queue { name = \"q2\", regoin = \"us-east\" }\n",
                 "s.lua:6: unknown field 'regoin' in queue 'q2' (did you mean 'region'?)", NULL);
    expect_error("submit { queue = \"backtests\", cuont = 3, " REQ " }\n",
                 "s.lua:6: unknown field 'cuont' in submit (did you mean 'count'?)", NULL);
    expect_error("submit { queue = \"backtests\", name = \"g\", strategy = \"ma_cross\", universe = {},\n"
                 "  params = { fsat = { 5 } } }\n",
                 "s.lua:6: unknown field 'fsat' in submit 'g': field 'params' (did you mean 'fast'?)", NULL);
    expect_error("queue { name = \"backtests\" }\n", "s.lua:6: queue 'backtests': field 'name': 'backtests' is "
                 "declared twice", NULL);
    expect_error("queue { name = \"Back_Tests\" }\n", "s.lua:6: queue 'Back_Tests': field 'name':",
                 "not a valid queue name");
    expect_error("queue { name = \"q2\", region = \"mars\" }\n", "s.lua:6: queue 'q2': field 'region': no region "
                 "named 'mars'", NULL);
    expect_error("submit { queue = \"backtests\", count = 0, " REQ " }\n",
                 "s.lua:6: submit 'backtests-1': field 'count': 0 is out of range", NULL);
    expect_error("submit { queue = \"backtests\", every = \"soon\", " REQ " }\n",
                 "s.lua:6: submit 'backtests-1': field 'every': \"soon\" is not a duration", NULL);
    expect_error("submit { queue = \"backtests\", universe = {} }\n",
                 "s.lua:6: submit 'backtests-1': field 'strategy': is required", NULL);
    expect_error("submit { queue = \"backtests\", strategy = \"alpha\", universe = {} }\n",
                 "s.lua:6: submit 'backtests-1': field 'strategy': 'alpha' is not one of", NULL);
    expect_error("submit { queue = \"backtests\", strategy = \"ma_cross\" }\n",
                 "s.lua:6: submit 'backtests-1': field 'data': give exactly one of", NULL);
    expect_error("submit { queue = \"backtests\", strategy = \"ma_cross\", data = \"missing.csv\" }\n",
                 "s.lua:6: submit 'backtests-1': field 'data':", "missing.csv");
    expect_error("submit { queue = \"backtests\", strategy = \"ma_cross\", universe = { assets = 2, days = 10 } }\n",
                 "s.lua:6: submit 'backtests-1': field 'params':", "too few rows");
    expect_error("submit { name = \"x\", queue = \"backtests\", " REQ " }\n"
                 "submit { name = \"x\", queue = \"backtests\", " REQ " }\n",
                 "s.lua:7: submit 'x': field 'name': 'x' already names a submit or a workload", NULL);
    expect_error("submit { \"backtests\" }\n", "s.lua:6: submit: fields must be named", NULL);
    expect_error("submit \"backtests\"\n", "s.lua:6: submit: expected a table of fields", NULL);
}
END_TEST

/* A valid declaration loads, and a queue name is only a reference: two
 * deployments may serve one queue. */
START_TEST(queue_lua_valid_declarations_load)
{
    char src[4096];
    snprintf(src, sizeof src, "%s%s", world_lua,
             "queue { name = \"other\" }\n"
             "deployment { name = \"w1\", queue = \"backtests\" }\n"
             "deployment { name = \"w2\", queue = \"backtests\", replicas = 0 }\n"
             "submit { queue = \"other\", start = \"90m\", count = 2, every = \"1m\", " REQ " }\n");
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "ok.lua", src), .seed = 1};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* Issue 19: a sweep's loads share one ScnDataCache: the second load of the
 * same scenario makes no data set (the cache's memory does not grow) and
 * borrows the first's; a summary-only run writes neither trace.kst nor
 * metrics.csv, and its summary.json is byte for byte a full run's. */
START_TEST(queue_data_cache_shares_across_loads_and_summary_only_run)
{
    char src[4096];
    snprintf(src, sizeof src, "%s%s", world_lua,
             "deployment { name = \"workers\", namespace = \"research\", replicas = 2, cpu = \"1\",\n"
             "             memory = \"1Gi\", queue = \"backtests\" }\n"
             "submit { queue = \"backtests\", name = \"a\", start = \"16:05\", count = 2,\n"
             "         strategy = \"ma_cross\", universe = { assets = 4, days = 300, seed = 3 },\n"
             "         params = { fast = { 5 }, slow = { 20 } } }\n"
             "submit { queue = \"backtests\", name = \"b\", start = \"16:05\",\n"
             "         strategy = \"ma_cross\", universe = { assets = 4, days = 300, seed = 4 },\n"
             "         params = { fast = { 5 }, slow = { 20 } } }\n");
    SimMem m, mc;
    sim_mem_init(&m);
    sim_mem_init(&mc);
    ScnDataCache *cache = scn_data_cache_new(&mc);
    ck_assert_ptr_nonnull(cache);
    ScnOptions o = {.path = tr_write(tmpdir, "cache.lua", src), .seed = 1, .data_cache = cache};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *a = scn_load(&m, &o, &err);
    ck_assert_msg(a != NULL, "%s", sim_err_msg(&err));
    int64_t made = mc.live;
    ck_assert_msg(made > (int64_t)(2 * 4 * 300 * sizeof(double)), "the data sets are not in the cache: %lld bytes",
                  (long long)made);
    ScnScenario *b = scn_load(&m, &o, &err);
    ck_assert_msg(b != NULL, "%s", sim_err_msg(&err));
    ck_assert_int_eq(mc.live, made);   /* nothing made again */
    ck_assert_uint_eq(scn_data_sets(a), 2);
    ck_assert_uint_eq(scn_data_sets(b), 2);
    scn_free(a);   /* b still borrows the cache's */
    o.data_cache = NULL;
    ScnScenario *plain = scn_load(&m, &o, &err);
    ck_assert_msg(plain != NULL, "%s", sim_err_msg(&err));
    char full[512], only[512], p1[600], p2[600];
    snprintf(full, sizeof full, "%s/cache-full", tmpdir);
    snprintf(only, sizeof only, "%s/cache-only", tmpdir);
    ck_assert_int_eq(mkdir(full, 0755), 0);
    ck_assert_int_eq(mkdir(only, 0755), 0);
    ScnRunOptions ro = {.seed = 1, .dir = full, .no_wall_time = 1};
    ScnRunResult r1, r2;
    ck_assert_msg(scn_run(plain, &ro, &r1) == SIM_OK, "%s", scn_errmsg(plain));
    ro.dir = only;
    ro.summary_only = 1;
    ck_assert_msg(scn_run(b, &ro, &r2) == SIM_OK, "%s", scn_errmsg(b));
    ck_assert_str_eq(r1.trace_sha256, r2.trace_sha256);
    scn_free(b);
    scn_free(plain);
    scn_data_cache_free(cache);
    ck_assert_int_eq(m.live, 0);
    ck_assert_int_eq(mc.live, 0);
    snprintf(p1, sizeof p1, "%s/summary.json", full);
    snprintf(p2, sizeof p2, "%s/summary.json", only);
    size_t l1, l2;
    char *t1 = tb_read(p1, &l1), *t2 = tb_read(p2, &l2);
    ck_assert(t1 && t2);
    ck_assert_msg(l1 == l2 && memcmp(t1, t2, l1) == 0, "summaries differ");
    free(t1);
    free(t2);
    snprintf(p1, sizeof p1, "%s/trace.kst", full);
    snprintf(p2, sizeof p2, "%s/trace.kst", only);
    ck_assert_int_eq(access(p1, F_OK), 0);
    ck_assert_int_ne(access(p2, F_OK), 0);
    snprintf(p1, sizeof p1, "%s/metrics.csv", full);
    snprintf(p2, sizeof p2, "%s/metrics.csv", only);
    ck_assert_int_eq(access(p1, F_OK), 0);
    ck_assert_int_ne(access(p2, F_OK), 0);
}
END_TEST

/* Requests of the same data share it: three submits and a backtest {} over
 * two distinct universes make two data sets; a stated duration is each
 * request's run time in summary.json; duration and work_scale together are
 * refused. */
START_TEST(queue_lua_duration_and_shared_data)
{
    char src[4096];
    snprintf(src, sizeof src, "%s%s", world_lua,
             "deployment { name = \"workers\", namespace = \"research\", replicas = 2, cpu = \"1\",\n"
             "             memory = \"1Gi\", queue = \"backtests\" }\n"
             "submit { queue = \"backtests\", name = \"long\", start = \"16:05\", count = 3,\n"
             "         strategy = \"ma_cross\", universe = { assets = 4, days = 300, seed = 3 },\n"
             "         params = { fast = { 5 }, slow = { 20 } }, duration = \"25m\" }\n"
             "submit { queue = \"backtests\", name = \"again\", start = \"16:05\",\n"
             "         strategy = \"momentum\", universe = { assets = 4, days = 300, seed = 3 },\n"
             "         params = { lookback = 60, skip = 5, hold = 21, top = 2 }, work_scale = 40 }\n"
             "submit { queue = \"backtests\", name = \"other\", start = \"16:05\",\n"
             "         strategy = \"ma_cross\", universe = { assets = 4, days = 300, seed = 4 },\n"
             "         params = { fast = { 5 }, slow = { 20 } } }\n");
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "dur.lua", src), .seed = 1};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    ck_assert_uint_eq(scn_data_sets(s), 2);   /* seed 3 once, seed 4 once */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/dur", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0755) == 0 || access(dir, F_OK) == 0, 1);
    ScnRunOptions ro = {.seed = 1, .dir = dir};
    ScnRunResult res;
    ck_assert_msg(scn_run(s, &ro, &res) == SIM_OK, "%s", scn_errmsg(s));
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    cJSON *j = read_json(path);
    const cJSON *r, *results = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "backtests"), "results");
    int seen = 0;
    cJSON_ArrayForEach(r, results) {
        if (strcmp(cJSON_GetObjectItem(r, "name")->valuestring, "long") == 0) {
            ck_assert_double_eq(cJSON_GetObjectItem(r, "sim_seconds")->valuedouble, 1500);
            ck_assert_double_eq(cJSON_GetObjectItem(r, "runs")->valuedouble, 3);
            seen++;
        }
    }
    ck_assert_int_eq(seen, 1);
    cJSON_Delete(j);

    snprintf(src, sizeof src, "%s%s", world_lua,
             "submit { queue = \"backtests\", duration = \"25m\", work_scale = 2, " REQ " }\n");
    o.path = tr_write(tmpdir, "both.lua", src);
    ck_assert_ptr_null(scn_load(&m, &o, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "work_scale") && strstr(sim_err_msg(&err), "both.lua:"), "%s",
                  sim_err_msg(&err));
    ck_assert_int_eq(m.live, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("queue");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, queue_serves_requests_in_arrival_order);
    tcase_add_test(tc, queue_gives_each_worker_one_request_at_a_time);
    tcase_add_test(tc, queue_request_lasts_its_counted_work_on_the_node);
    tcase_add_test(tc, queue_request_lasts_its_stated_duration_or_scaled_work);
    tcase_add_test(tc, queue_requeues_the_request_of_a_deleted_worker);
    tcase_add_test(tc, queue_drained_to_zero_workers_completes_every_request);
    tcase_add_test(tc, queue_request_longer_than_the_grace_period_is_requeued_once);
    tcase_add_test(tc, queue_hpa_to_zero_completes_every_request_within_the_grace_period);
    tcase_add_test(tc, queue_external_metrics_at_known_times);
    tcase_add_test(tc, queue_worker_usage_follows_its_requests);
    tcase_add_test(tc, queue_identical_requests_share_one_kernel_run);
    tcase_add_test(tc, queue_failed_kernel_drops_its_requests);
    tcase_add_test(tc, queue_oom_sweep_leaks_nothing);
    tcase_add_test(tc, queue_scenario_fills_the_summary_and_metrics);
    tcase_add_test(tc, queue_lua_declarations_are_checked);
    tcase_add_test(tc, queue_lua_valid_declarations_load);
    tcase_add_test(tc, queue_lua_duration_and_shared_data);
    tcase_add_test(tc, queue_data_cache_shares_across_loads_and_summary_only_run);
    suite_add_tcase(s, tc);
    return tr_main(s, tmpdir);
}
