/*
 * test_policy.c: cluster policy and admission, each test named for the rule
 * it pins (k8s-behaviour.md §3.10 PriorityClass default, §4 ResourceQuota
 * and LimitRange admission with the controllers' reaction, §6 PDB
 * arithmetic), the Lua declarations of policy objects, and one scenario run
 * end to end where a team's namespace hits its quota.
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
#include "sim/policy.h"
#include "tm.h"
#include "workloads/wl.h"

#include "tl.h"
#include "tr.h"
#include "ts.h"
#include "tw.h"

#define MIB (INT64_C(1) << 20)
#define GIB (INT64_C(1) << 30)

static char tmpdir[] = "/tmp/kubesim-policy-XXXXXX";

/* ---- an engine with one region, two team namespaces, four 4-CPU nodes ---- */
typedef struct World {
    SimEngine *e;
    SchedScheduler *s;
    WlControllers *c;
    uint32_t region, team_a, team_b, group;
} World;

static World world_mem(SimMem *mem)
{
    TwOpts o = {.seed = 5, .end = SIM_SEC(3600), .mem = mem, .ns = "team-a", .alloc = {4000, 8 * GIB, 0, 110},
                .max = 10, .nodes = 4};
    TwWorld t = tw_world(&o);
    World w = {t.e, t.s, t.c, t.region, t.ns, 0, t.group};
    /* tw.h makes one namespace; the second team's comes after */
    ck_assert_int_eq(sim_namespace_add(w.e, "team-b", &w.team_b), SIM_OK);
    return w;
}

static World world(void)
{
    return world_mem(NULL);
}

static void world_free(World *w)
{
    wl_destroy(w->c);
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
}

static SimKV app_api[] = {{(char *)"app", (char *)"api"}};

typedef struct WlOpts {
    const char *name;
    SimWlKind kind;
    uint32_t ns;
    int64_t cpu_m, mem, lim_cpu_m, lim_mem;
    int32_t replicas, completions, priority;
    SimTime duration;
    const char *pc;
    int ttl_zero;                   /* Job: ttlSecondsAfterFinished 0 */
} WlOpts;

/* Declares a workload (not started): labels app=api, 2 s start-up. */
static uint32_t declare(World *w, WlOpts o)
{
    SimWorkload wl;
    memset(&wl, 0, sizeof wl);
    wl.name = (char *)o.name;
    wl.kind = o.kind;
    wl.ns = o.ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){o.cpu_m, o.mem, 0, 1};
    wl.spec.lim_cpu_m = o.lim_cpu_m;
    wl.spec.lim_mem = o.lim_mem;
    wl.spec.startup = SIM_SEC(2);
    wl.spec.duration = o.duration;
    wl.spec.priority = o.priority;
    wl.spec.priority_class = o.pc;
    wl.spec.labels = app_api;
    wl.spec.nlabels = 1;
    wl.replicas = o.replicas;
    wl.completions = o.completions;
    wl.job.ttl_set = (uint8_t)o.ttl_zero;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    return id;
}

static uint32_t start(World *w, WlOpts o)
{
    uint32_t id = declare(w, o);
    ck_assert_int_eq(wl_start(w->c, id), SIM_OK);
    return id;
}

static int live_pods(SimEngine *e, uint32_t wl)
{
    int n = 0;
    for (uint32_t i = 0; i < sim_pod_count(e); i++) {
        const SimPod *p = sim_pod(e, i);
        n += p->wl == wl && (p->phase == SIM_POD_PENDING || p->phase == SIM_POD_BOUND ||
                             p->phase == SIM_POD_RUNNING);
    }
    return n;
}

/* A quota on one namespace; values in millicores, bytes or units. */
static uint32_t add_quota(World *w, const char *name, uint32_t ns, const SimQuotaRes *res, const int64_t *hard,
                          size_t n, const SimSelector *scope)
{
    SimQuota q;
    memset(&q, 0, sizeof q);
    q.name = (char *)name;
    q.region = w->region;
    q.ns = ns;
    for (size_t i = 0; i < n; i++) {
        q.hard[res[i]] = hard[i];
        q.hard_set |= UINT32_C(1) << res[i];
    }
    if (scope)
        q.scope = *scope;
    uint32_t id;
    ck_assert_int_eq(sim_quota_add(w->e, &q, &id), SIM_OK);
    return id;
}

static uint32_t add_class(World *w, const char *name, int32_t value, int deflt, int never)
{
    SimPriorityClass pc = {(char *)name, value, deflt, never, 0};
    uint32_t id;
    ck_assert_int_eq(sim_priorityclass_add(w->e, &pc, &id), SIM_OK);
    return id;
}

static void expect_refused(World *w, uint32_t wl, const char *msg)
{
    uint32_t pod, before = sim_pod_count(w->e);
    ck_assert_int_eq(sim_pod_create(w->e, wl, &pod), SIM_EFORBIDDEN);
    ck_assert_str_eq(sim_errmsg(w->e), msg);
    ck_assert_uint_eq(sim_pod_count(w->e), before);   /* a refused pod never exists */
}

static uint32_t create_ok(World *w, uint32_t wl)
{
    uint32_t pod;
    ck_assert_msg(sim_pod_create(w->e, wl, &pod) == SIM_OK, "%s", sim_errmsg(w->e));
    return pod;
}

/* ---- ResourceQuota (§4) ------------------------------------------------------ */

/* §4.3: used + requested > hard refuses with upstream's exact text; only the
 * exceeded resources are listed, in name order, quantities as Kubernetes
 * prints them. */
START_TEST(quota_exceeded_message_matches_upstream)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_REQUESTS_CPU, SIM_QR_REQUESTS_MEMORY, SIM_QR_COUNT_PODS};
    int64_t hard[] = {1000, 4 * GIB, 10};
    uint32_t q = add_quota(&w, "team-a", w.team_a, res, hard, 3, NULL);
    SimQuotaRes res2[] = {SIM_QR_CPU, SIM_QR_MEMORY};
    int64_t hard2[] = {1500, GIB};
    add_quota(&w, "tight", w.team_b, res2, hard2, 2, NULL);
    uint32_t api = declare(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 500, .mem = 512 * MIB});
    create_ok(&w, api);
    create_ok(&w, api);
    expect_refused(&w, api, "exceeded quota: team-a, requested: requests.cpu=500m, used: requests.cpu=1, "
                            "limited: requests.cpu=1");
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_REQUESTS_CPU], 1000);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_REQUESTS_MEMORY], GIB);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 2);
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 1);

    /* Two resources over at once, named as the quota spells them. */
    uint32_t big = declare(&w, (WlOpts){.name = "big", .ns = w.team_b, .cpu_m = 1000, .mem = 768 * MIB});
    create_ok(&w, big);
    expect_refused(&w, big, "exceeded quota: tight, requested: cpu=1,memory=768Mi, used: cpu=1,memory=768Mi, "
                            "limited: cpu=1500m,memory=1Gi");
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 2);
    world_free(&w);
}
END_TEST

/* §4.3: a quota on requests.cpu (etc.) makes the pod state it. */
START_TEST(quota_requires_requests_when_constrained)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_REQUESTS_CPU, SIM_QR_LIMITS_MEMORY, SIM_QR_REQUESTS_GPU};
    int64_t hard[] = {8000, 8 * GIB, 2};
    add_quota(&w, "compute", w.team_a, res, hard, 3, NULL);
    uint32_t bare = declare(&w, (WlOpts){.name = "bare", .ns = w.team_a});
    expect_refused(&w, bare, "failed quota: compute: must specify limits.memory,requests.cpu");
    uint32_t cpu = declare(&w, (WlOpts){.name = "cpu-only", .ns = w.team_a, .cpu_m = 100});
    expect_refused(&w, cpu, "failed quota: compute: must specify limits.memory");
    /* No GPU asked: extended resources are not in upstream's "must specify" set. */
    uint32_t ok = declare(&w, (WlOpts){.name = "ok", .ns = w.team_a, .cpu_m = 100, .lim_mem = GIB});
    create_ok(&w, ok);
    /* A limit alone is also the request (API defaulting), so it satisfies requests.cpu. */
    uint32_t lim = declare(&w, (WlOpts){.name = "lim", .ns = w.team_a, .lim_cpu_m = 300, .lim_mem = GIB});
    uint32_t pod = create_ok(&w, lim);
    ck_assert_int_eq(sim_pod(w.e, pod)->req.cpu_m, 300);
    ck_assert_int_eq(sim_pod(w.e, pod)->req.mem, GIB);
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 2);
    world_free(&w);
}
END_TEST

/* §4.2: only non-terminal pods count: a deleted pod and a Succeeded pod free
 * their share at once. */
START_TEST(quota_counts_only_non_terminal_pods)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_PODS, SIM_QR_REQUESTS_CPU};
    int64_t hard[] = {2, 2000};
    uint32_t q = add_quota(&w, "pods", w.team_a, res, hard, 2, NULL);
    uint32_t api = declare(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 500});
    uint32_t p0 = create_ok(&w, api);
    create_ok(&w, api);
    expect_refused(&w, api, "exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2");
    ck_assert_int_eq(sim_pod_delete(w.e, p0), SIM_OK);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 1);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_REQUESTS_CPU], 500);
    create_ok(&w, api);
    ck_assert_int_eq(sim_pod_delete(w.e, p0), SIM_OK);   /* deleting twice frees nothing twice */
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 2);
    world_free(&w);

    /* A Job's pods count while they run and stop counting once Succeeded. */
    w = world();
    q = add_quota(&w, "pods", w.team_a, res, hard, 2, NULL);
    uint32_t job = start(&w, (WlOpts){.name = "batch", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 500,
                                      .replicas = 2, .completions = 2, .duration = SIM_SEC(30)});
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 2);
    ts_run_to(w.e, SIM_SEC(40));
    ck_assert_int_eq(sim_workload(w.e, job)->succeeded, 2);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 0);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_REQUESTS_CPU], 0);
    world_free(&w);
}
END_TEST

/* §4.1 and upstream's pod evaluator: `pods` counts the pods not terminal,
 * count/pods every pod object that exists, Succeeded and Failed ones too,
 * until it is deleted; the refusal names the quota and the resource as
 * upstream's message does. */
START_TEST(quota_count_pods_counts_ended_pods_until_deleted)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_COUNT_PODS, SIM_QR_PODS};
    int64_t hard[] = {2, 2};
    uint32_t q = add_quota(&w, "team-a", w.team_a, res, hard, 2, NULL);
    uint32_t job = start(&w, (WlOpts){.name = "batch", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 500,
                                      .replicas = 2, .completions = 2, .duration = SIM_SEC(30)});
    ts_run_to(w.e, SIM_SEC(40));
    ck_assert_int_eq(sim_workload(w.e, job)->succeeded, 2);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 0);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 2);
    uint32_t api = declare(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 500});
    expect_refused(&w, api, "exceeded quota: team-a, requested: count/pods=1, used: count/pods=2, "
                            "limited: count/pods=2");
    uint32_t ended = 0;
    while (sim_pod(w.e, ended)->wl != job)
        ended++;
    ck_assert_int_eq(sim_pod(w.e, ended)->phase, SIM_POD_SUCCEEDED);
    ck_assert_int_eq(sim_pod_delete(w.e, ended), SIM_OK);   /* e.g. by hand: the object goes */
    ck_assert_int_eq(sim_pod(w.e, ended)->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 1);
    ck_assert_int_eq(sim_pod_delete(w.e, ended), SIM_OK);   /* twice frees nothing twice */
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 1);
    create_ok(&w, api);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 1);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 2);
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    world_free(&w);
}
END_TEST

/* A listener that keeps every Running pod busy for 12 s after SIGTERM. */
static SimTime busy_12s(void *ctx, SimEngine *e, uint32_t pod)
{
    (void)ctx;
    (void)e;
    (void)pod;
    return SIM_SEC(12);
}

/* Upstream's pod evaluator (QuotaV1Pod) charges a pod with a
 * deletionTimestamp until deletionTimestamp + grace: a Terminating pod
 * still on its node keeps its quota until it is gone, so a replacement is
 * refused meanwhile (a tight-quota rollout waits for the old pods). */
START_TEST(quota_holds_a_terminating_pod_until_it_is_gone)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_PODS, SIM_QR_REQUESTS_CPU, SIM_QR_COUNT_PODS};
    int64_t hard[] = {1, 1000, 1};
    uint32_t q = add_quota(&w, "one", w.team_a, res, hard, 3, NULL);
    SimListener l = {.pod_stopping = busy_12s};
    ck_assert_int_eq(sim_engine_listen(w.e, &l), SIM_OK);
    uint32_t api = declare(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 500});
    uint32_t p0 = create_ok(&w, api);
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(sim_pod(w.e, p0)->phase, SIM_POD_RUNNING);
    ck_assert_int_eq(sim_pod_delete(w.e, p0), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, p0)->terminating, 1);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 1);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_REQUESTS_CPU], 500);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 1);
    expect_refused(&w, api, "exceeded quota: one, requested: count/pods=1,pods=1, used: count/pods=1,pods=1, "
                            "limited: count/pods=1,pods=1");
    ck_assert_int_eq(sim_check(w.e), SIM_OK);   /* the recount agrees: a Terminating pod is charged */
    ts_run_to(w.e, SIM_SEC(21));
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 1);
    ts_run_to(w.e, SIM_SEC(23));   /* gone at 22 s */
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_PODS], 0);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_REQUESTS_CPU], 0);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 0);
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    create_ok(&w, api);
    world_free(&w);

    /* A Deployment's replacement is refused while the old pod drains, and
     * created the moment it is gone, not after the refusal backoff. */
    w = world();
    add_quota(&w, "one", w.team_a, res, hard, 3, NULL);
    ck_assert_int_eq(sim_engine_listen(w.e, &l), SIM_OK);
    uint32_t dep = start(&w, (WlOpts){.name = "web", .ns = w.team_a, .cpu_m = 500, .replicas = 1});
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(live_pods(w.e, dep), 1);
    uint32_t old = 0;
    while (sim_pod(w.e, old)->wl != dep)
        old++;
    ck_assert_int_eq(sim_pod_delete(w.e, old), SIM_OK);
    ts_run_to(w.e, SIM_SEC(21));
    ck_assert_int_eq(live_pods(w.e, dep), 0);
    ck_assert_uint_gt(sim_admission_refusals(w.e, dep), 0);
    ck_assert_uint_eq(sim_admission_refused_count(w.e), 1);   /* what lets an ended pod wake it */
    ts_run_to(w.e, SIM_SEC(22) + 1);
    ck_assert_int_eq(live_pods(w.e, dep), 1);
    ck_assert_uint_eq(sim_admission_refusals(w.e, dep), 0);
    ck_assert_uint_eq(sim_admission_refused_count(w.e), 0);
    ck_assert_int_eq(sim_pod(w.e, sim_pod_count(w.e) - 1)->created_at, SIM_SEC(22));
    world_free(&w);
}
END_TEST

/* §4.3 scopes: a quota with a PriorityClass scope covers only the pods whose
 * class matches (the class name after the Priority plugin, so the global
 * default's name for pods that name none). */
START_TEST(quota_scope_by_priority_class)
{
    World w = world();
    add_class(&w, "high", 1000, 0, 0);
    add_class(&w, "low", 0, 0, 0);
    char *high[] = {(char *)"high"};
    SimSelReq in = {(char *)"PriorityClass", SIM_SEL_IN, high, 1};
    SimSelector scope_in = {&in, 1};
    SimQuotaRes res[] = {SIM_QR_COUNT_PODS};
    int64_t one[] = {1};
    uint32_t q = add_quota(&w, "high-pods", w.team_a, res, one, 1, &scope_in);
    uint32_t hi = declare(&w, (WlOpts){.name = "hi", .ns = w.team_a, .pc = "high"});
    uint32_t lo = declare(&w, (WlOpts){.name = "lo", .ns = w.team_a, .pc = "low"});
    uint32_t none = declare(&w, (WlOpts){.name = "none", .ns = w.team_a});
    create_ok(&w, hi);
    expect_refused(&w, hi, "exceeded quota: high-pods, requested: count/pods=1, used: count/pods=1, "
                           "limited: count/pods=1");
    for (int i = 0; i < 3; i++) {
        create_ok(&w, lo);
        create_ok(&w, none);
    }
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_PODS], 1);
    world_free(&w);

    /* DoesNotExist covers pods without a class; NotIn covers them too, and
     * the global default's name is the class of pods that name none. */
    w = world();
    add_class(&w, "high", 1000, 0, 0);
    SimSelReq dne = {(char *)"PriorityClass", SIM_SEL_DOES_NOT_EXIST, NULL, 0};
    SimSelector scope_dne = {&dne, 1};
    SimSelReq notin = {(char *)"PriorityClass", SIM_SEL_NOT_IN, high, 1};
    SimSelector scope_notin = {&notin, 1};
    uint32_t qd = add_quota(&w, "classless", w.team_a, res, one, 1, &scope_dne);
    uint32_t qn = add_quota(&w, "not-high", w.team_b, res, one, 1, &scope_notin);
    none = declare(&w, (WlOpts){.name = "none", .ns = w.team_a});
    hi = declare(&w, (WlOpts){.name = "hi", .ns = w.team_a, .pc = "high"});
    uint32_t none_b = declare(&w, (WlOpts){.name = "none-b", .ns = w.team_b});
    create_ok(&w, none);
    create_ok(&w, hi);
    create_ok(&w, hi);
    create_ok(&w, none_b);
    ck_assert_int_eq(sim_quota(w.e, qd)->used[SIM_QR_COUNT_PODS], 1);
    ck_assert_int_eq(sim_quota(w.e, qn)->used[SIM_QR_COUNT_PODS], 1);
    world_free(&w);

    w = world();
    add_class(&w, "standard", 10, 1, 0);
    char *standard[] = {(char *)"standard"};
    SimSelReq in_std = {(char *)"PriorityClass", SIM_SEL_IN, standard, 1};
    SimSelector scope_std = {&in_std, 1};
    q = add_quota(&w, "standard", w.team_a, res, one, 1, &scope_std);
    none = declare(&w, (WlOpts){.name = "none", .ns = w.team_a});
    create_ok(&w, none);
    expect_refused(&w, none, "exceeded quota: standard, requested: count/pods=1, used: count/pods=1, "
                             "limited: count/pods=1");
    world_free(&w);
}
END_TEST

/* A bad scope is refused, and policies are cluster set-up (before pods). */
START_TEST(quota_scope_and_timing_checked)
{
    World w = world();
    SimSelReq bad = {(char *)"BestEffort", SIM_SEL_EXISTS, NULL, 0};
    SimQuota q;
    memset(&q, 0, sizeof q);
    q.name = (char *)"q";
    q.ns = w.team_a;
    q.scope = (SimSelector){&bad, 1};
    uint32_t id;
    ck_assert_int_eq(sim_quota_add(w.e, &q, &id), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(w.e), "scope 'BestEffort' is not modelled"));
    SimSelReq in_empty = {(char *)"PriorityClass", SIM_SEL_IN, NULL, 0};
    q.scope = (SimSelector){&in_empty, 1};
    ck_assert_int_eq(sim_quota_add(w.e, &q, &id), SIM_EINVAL);
    q.scope = (SimSelector){NULL, 0};
    ck_assert_int_eq(sim_quota_add(w.e, &q, &id), SIM_OK);
    ck_assert_int_eq(sim_quota_add(w.e, &q, &id), SIM_EINVAL);   /* same name, same namespace */
    uint32_t api = declare(&w, (WlOpts){.name = "api", .ns = w.team_a});
    create_ok(&w, api);
    q.name = (char *)"late";
    ck_assert_int_eq(sim_quota_add(w.e, &q, &id), SIM_ESTATE);
    SimLimitRange lr = {.name = (char *)"late", .region = w.region, .ns = w.team_a};
    ck_assert_int_eq(sim_limitrange_add(w.e, &lr, &id), SIM_ESTATE);
    SimPriorityClass pc = {(char *)"late", 1, 0, 0, 0};
    ck_assert_int_eq(sim_priorityclass_add(w.e, &pc, &id), SIM_ESTATE);
    world_free(&w);
}
END_TEST

/* The refusal is counted in the stats and traced as quota_reject with the
 * workload, the namespace and upstream's message. */
START_TEST(quota_rejection_is_traced_and_counted)
{
    char path[600], sha[65];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/quota.kst", tmpdir);
    SimMem m;
    sim_mem_init(&m);
    World w = world();
    SimTraceWriter *tw = sim_trace_create(&m, sim_trace_schema(w.e), path, "{}", &err);
    ck_assert_msg(tw != NULL, "%s", sim_err_msg(&err));
    sim_set_trace(w.e, tw);
    SimQuotaRes res[] = {SIM_QR_PODS};
    int64_t one[] = {1};
    add_quota(&w, "one", w.team_b, res, one, 1, NULL);
    uint32_t api = declare(&w, (WlOpts){.name = "api", .ns = w.team_b});
    create_ok(&w, api);
    expect_refused(&w, api, "exceeded quota: one, requested: pods=1, used: pods=1, limited: pods=1");
    ck_assert_int_eq(sim_trace_close(tw, sha), SIM_OK);
    world_free(&w);
    SimTrSchema all;
    ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
    SimTraceReader *r = sim_trace_open(&m, &all, path, &err);
    ck_assert_msg(r != NULL, "%s", sim_err_msg(&err));
    SimTraceRec rec;
    int found = 0;
    while (sim_trace_next(r, &rec) == SIM_OK)
        if (rec.kind == SIM_TR_QUOTA_REJECT) {
            found++;
            ck_assert_int_eq(rec.v[0].i, api);
            ck_assert_int_eq(rec.v[1].i, w.team_b);
            ck_assert_str_eq(rec.v[2].s, "exceeded quota: one, requested: pods=1, used: pods=1, limited: pods=1");
        }
    sim_trace_close_reader(r);
    ck_assert_int_eq(found, 1);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* ---- LimitRange (§4.5) ----------------------------------------------------- */

/* defaultRequest fills missing requests, default fills missing limits; a
 * limit alone becomes the request; the pod's req (and the scheduler's
 * non-zero defaults) carry the result. */
START_TEST(limitrange_defaults_fill_requests_and_limits)
{
    World w = world();
    SimLimitRange lr = {.name = (char *)"defaults", .region = w.region, .ns = w.team_a,
                        .deflt = {500, 512 * MIB}, .deflt_req = {250, 0}};
    uint32_t id;
    ck_assert_int_eq(sim_limitrange_add(w.e, &lr, &id), SIM_OK);
    ck_assert_int_eq(sim_limitrange(w.e, id)->deflt_req.mem, 512 * MIB);   /* defaultRequest from default */
    SimQuotaRes res[] = {SIM_QR_REQUESTS_CPU, SIM_QR_LIMITS_MEMORY};
    int64_t hard[] = {4000, 8 * GIB};
    add_quota(&w, "needs-requests", w.team_a, res, hard, 2, NULL);
    uint32_t bare = declare(&w, (WlOpts){.name = "bare", .ns = w.team_a});
    uint32_t pod = create_ok(&w, bare);   /* the quota's "must specify" is met by the defaults */
    ck_assert_int_eq(sim_pod(w.e, pod)->req.cpu_m, 250);
    ck_assert_int_eq(sim_pod(w.e, pod)->req.mem, 512 * MIB);
    ck_assert_int_eq(sim_pod(w.e, pod)->nz_req.cpu_m, 250);   /* not the 100m non-zero default */
    SimAdmitted a;
    ck_assert_int_eq(sim_admission_resolve(w.e, bare, &a), SIM_OK);
    ck_assert_int_eq(a.lim_cpu_m, 500);
    ck_assert_int_eq(a.lim_mem, 512 * MIB);
    uint32_t lim = declare(&w, (WlOpts){.name = "lim", .ns = w.team_a, .lim_cpu_m = 2000});
    ck_assert_int_eq(sim_admission_resolve(w.e, lim, &a), SIM_OK);
    ck_assert_int_eq(a.req.cpu_m, 2000);   /* API defaulting before LimitRanger */
    ck_assert_int_eq(a.req.mem, 512 * MIB);
    uint32_t req = declare(&w, (WlOpts){.name = "req", .ns = w.team_a, .cpu_m = 100});
    ck_assert_int_eq(sim_admission_resolve(w.e, req, &a), SIM_OK);
    ck_assert_int_eq(a.req.cpu_m, 100);
    ck_assert_int_eq(a.lim_cpu_m, 500);
    /* Other namespaces are untouched. */
    uint32_t other = declare(&w, (WlOpts){.name = "other", .ns = w.team_b});
    pod = create_ok(&w, other);
    ck_assert_int_eq(sim_pod(w.e, pod)->req.cpu_m, 0);
    ck_assert_int_eq(sim_pod(w.e, pod)->nz_req.cpu_m, 100);
    /* A request above the default limit fails validation, as upstream's would. */
    uint32_t over = declare(&w, (WlOpts){.name = "over", .ns = w.team_a, .cpu_m = 1000});
    expect_refused(&w, over, "spec.containers[0].resources.requests[cpu]: Invalid value: \"1\": must be less "
                             "than or equal to cpu limit of 500m");
    world_free(&w);
}
END_TEST

/* min and max are checked after the defaults, with upstream's messages; two
 * failures are joined as upstream's error aggregate. */
START_TEST(limitrange_min_max_refused_with_message)
{
    World w = world();
    SimLimitRange lr = {.name = (char *)"bounds", .region = w.region, .ns = w.team_a,
                        .min = {100, 0}, .max = {2000, GIB}};
    uint32_t id;
    ck_assert_int_eq(sim_limitrange_add(w.e, &lr, &id), SIM_OK);
    uint32_t small = declare(&w, (WlOpts){.name = "small", .ns = w.team_a, .cpu_m = 50, .lim_cpu_m = 500});
    expect_refused(&w, small, "minimum cpu usage per Container is 100m, but request is 50m");
    uint32_t big = declare(&w, (WlOpts){.name = "big", .ns = w.team_a, .cpu_m = 500, .lim_cpu_m = 4000});
    expect_refused(&w, big, "maximum cpu usage per Container is 2, but limit is 4");
    uint32_t both = declare(&w, (WlOpts){.name = "both", .ns = w.team_a, .cpu_m = 50, .lim_cpu_m = 500,
                                         .mem = GIB, .lim_mem = 2 * GIB});
    expect_refused(&w, both, "[minimum cpu usage per Container is 100m, but request is 50m, maximum memory "
                             "usage per Container is 1Gi, but limit is 2Gi]");
    uint32_t fine = declare(&w, (WlOpts){.name = "fine", .ns = w.team_a, .cpu_m = 500, .mem = 256 * MIB});
    uint32_t pod = create_ok(&w, fine);   /* limits defaulted from max */
    SimAdmitted a;
    ck_assert_int_eq(sim_admission_resolve(w.e, fine, &a), SIM_OK);
    ck_assert_int_eq(a.lim_cpu_m, 2000);
    ck_assert_int_eq(a.lim_mem, GIB);
    ck_assert_int_eq(sim_pod(w.e, pod)->req.cpu_m, 500);
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 3);
    /* An inconsistent LimitRange is refused as upstream's validation would. */
    SimLimitRange bad = {.name = (char *)"bad", .region = w.region, .ns = w.team_b, .min = {2000, 0},
                         .max = {1000, 0}};
    world_free(&w);
    w = world();
    ck_assert_int_eq(sim_limitrange_add(w.e, &bad, &id), SIM_EINVAL);
    ck_assert_str_eq(sim_errmsg(w.e), "limit range 'bad': cpu: min value 2 is greater than max value 1");
    world_free(&w);
}
END_TEST

/* ---- PriorityClass (§3.10) ------------------------------------------------- */
START_TEST(priorityclass_global_default_applies)
{
    World w = world();
    add_class(&w, "normal", 100, 1, 0);
    add_class(&w, "batch", 50, 0, 1);
    uint32_t id;
    SimPriorityClass second = {(char *)"second", 5, 1, 0, 0};
    ck_assert_int_eq(sim_priorityclass_add(w.e, &second, &id), SIM_EINVAL);
    ck_assert_str_eq(sim_errmsg(w.e), "PriorityClass normal is already marked as default. Only one default "
                                      "can exist");
    ck_assert_str_eq(sim_priorityclass_default(w.e)->name, "normal");
    uint32_t plain = declare(&w, (WlOpts){.name = "plain", .ns = w.team_a});
    uint32_t batch = declare(&w, (WlOpts){.name = "batch", .ns = w.team_a, .pc = "batch"});
    uint32_t shorthand = declare(&w, (WlOpts){.name = "shorthand", .ns = w.team_a, .priority = 7});
    uint32_t typo = declare(&w, (WlOpts){.name = "typo", .ns = w.team_a, .pc = "bacth"});
    uint32_t p = create_ok(&w, plain);
    ck_assert_int_eq(sim_pod(w.e, p)->priority, 100);
    ck_assert_int_eq(sim_pod_preempt_never(w.e, p), 0);
    p = create_ok(&w, batch);
    ck_assert_int_eq(sim_pod(w.e, p)->priority, 50);
    ck_assert_int_eq(sim_pod_preempt_never(w.e, p), 1);
    ck_assert_int_eq(sim_workload(w.e, batch)->spec.preempt_never, 1);
    p = create_ok(&w, shorthand);
    ck_assert_int_eq(sim_pod(w.e, p)->priority, 7);
    expect_refused(&w, typo, "no PriorityClass with name bacth was found");
    world_free(&w);

    w = world();   /* no default class: priority 0 */
    plain = declare(&w, (WlOpts){.name = "plain", .ns = w.team_a});
    ck_assert_int_eq(sim_pod(w.e, create_ok(&w, plain))->priority, 0);
    SimPriorityClass huge = {(char *)"huge", 1000000001, 0, 0, 0};
    ck_assert_int_eq(sim_priorityclass_add(w.e, &huge, &id), SIM_ESTATE);   /* pods exist already */
    world_free(&w);
}
END_TEST

/* ---- PodDisruptionBudget (§6) ---------------------------------------------- */
static uint32_t add_pdb(World *w, const char *name, uint32_t ns, int max_unavailable, int percent, int32_t v,
                        SimSelReq *req)
{
    SimPdb pdb = {(char *)name, w->region, ns, {req, req ? 1 : 0}, max_unavailable, percent, v};
    uint32_t id;
    ck_assert_int_eq(sim_pdb_add(w->e, &pdb, &id), SIM_OK);
    return id;
}

/* minAvailable "50%" of 5 is ceil(2.5) = 3, maxUnavailable "25%" of 5 is
 * ceil(1.25) = 2 unavailable, so desiredHealthy 3 as well. */
START_TEST(pdb_min_available_percent_rounds_up)
{
    World w = world();
    char *api[] = {(char *)"api"};
    SimSelReq sel = {(char *)"app", SIM_SEL_IN, api, 1};
    uint32_t half = add_pdb(&w, "half", w.team_a, 0, 1, 50, &sel);
    uint32_t quarter = add_pdb(&w, "quarter", w.team_a, 1, 1, 25, &sel);
    uint32_t d = start(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 100, .replicas = 5});
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(sim_workload(w.e, d)->ready, 5);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, half), 2);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, quarter), 2);
    ck_assert_int_eq(wl_scale(w.c, d, 3), SIM_OK);   /* 50% of 3 is 2 (ceil 1.5) */
    ts_run_to(w.e, SIM_SEC(11));
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, half), 1);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, quarter), 1);   /* ceil(0.75) = 1 */
    world_free(&w);
}
END_TEST

/* A pod on a NotReady node is not healthy (its Ready condition is False):
 * the budget shrinks while the node is down and comes back with it. */
START_TEST(pdb_pods_on_a_not_ready_node_are_not_healthy)
{
    World w = world();
    char *api[] = {(char *)"api"};
    SimSelReq sel = {(char *)"app", SIM_SEL_IN, api, 1};
    uint32_t min3 = add_pdb(&w, "min3", w.team_a, 0, 0, 3, &sel);
    uint32_t d = start(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 100, .replicas = 4});
    ts_run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min3), 1);
    uint32_t first = 0;
    while (sim_pod(w.e, first)->wl != d)
        first++;
    uint32_t node = sim_pod(w.e, first)->node;
    int on_node = 0;
    for (uint32_t p = 0; p < sim_pod_count(w.e); p++)
        on_node += sim_pod(w.e, p)->wl == d && sim_pod(w.e, p)->node == node;
    ck_assert_int_eq(sim_node_set_ready(w.e, node, 0), SIM_OK);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min3), 4 - on_node - 3 > 0 ? 4 - on_node - 3 : 0);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min3), 0);
    ck_assert_int_eq(sim_node_set_ready(w.e, node, 1), SIM_OK);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min3), 1);
    world_free(&w);
}
END_TEST

/* disruptionsAllowed = max(0, currentHealthy - desiredHealthy): healthy is
 * Running, maxUnavailable counts from the Deployment's scale; other
 * namespaces and labels are not covered; a PDB added late counts the pods
 * already there. */
/* expectedPods for maxUnavailable and percentages is the controllers' scale
 * (upstream getExpectedScale), not the pods that happen to exist: a
 * Deployment held at 2 of 4 pods by its quota allows no disruption under
 * maxUnavailable 1 or minAvailable 75%, though 2 of 2 live pods are healthy;
 * an integer minAvailable ignores the scale; two Deployments under one PDB
 * add up; a covered Job pod (no scale) fails the budget safe (0), except
 * for an integer minAvailable; a workload declared after the PDB is
 * covered too. */
START_TEST(pdb_expected_pods_is_the_controllers_scale)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_PODS};
    int64_t hard[] = {2};
    add_quota(&w, "pods", w.team_a, res, hard, 1, NULL);
    char *api[] = {(char *)"api"};
    SimSelReq sel = {(char *)"app", SIM_SEL_IN, api, 1};
    uint32_t max1 = add_pdb(&w, "max1", w.team_a, 1, 0, 1, &sel);
    uint32_t pct = add_pdb(&w, "pct", w.team_a, 0, 1, 75, &sel);
    uint32_t min1 = add_pdb(&w, "min1", w.team_a, 0, 0, 1, &sel);
    uint32_t d = start(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 100, .replicas = 4});
    ts_run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(live_pods(w.e, d), 2);   /* the quota holds the other two back */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 0);   /* 2 - (4 - 1) */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, pct), 0);    /* 2 - ceil(3) */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min1), 1);   /* 2 - 1 */
    sim_workload_mut(w.e, d)->replicas = 2;   /* as if scaled down to what runs */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 1);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, pct), 0);    /* 2 - ceil(1.5) */
    world_free(&w);

    w = world();
    max1 = add_pdb(&w, "max1", w.team_a, 1, 0, 1, &sel);
    min1 = add_pdb(&w, "min1", w.team_a, 0, 0, 1, &sel);
    start(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 100, .replicas = 3});
    start(&w, (WlOpts){.name = "api2", .ns = w.team_a, .cpu_m = 100, .replicas = 2});
    ts_run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 1);   /* 5 - (5 - 1) */
    uint32_t job = start(&w, (WlOpts){.name = "batch", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 100,
                                      .replicas = 1, .completions = 1, .duration = SIM_SEC(30)});
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(live_pods(w.e, job), 1);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 0);   /* the Job has no scale */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min1), 5);   /* 6 healthy - 1 */
    ts_run_to(w.e, SIM_SEC(60));
    ck_assert_int_eq(live_pods(w.e, job), 0);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 1);   /* its pod is gone */
    world_free(&w);
}
END_TEST

START_TEST(pdb_disruptions_allowed_example)
{
    World w = world();
    char *api[] = {(char *)"api"}, *db[] = {(char *)"db"};
    SimSelReq sel = {(char *)"app", SIM_SEL_IN, api, 1}, sel_db = {(char *)"app", SIM_SEL_IN, db, 1};
    uint32_t min3 = add_pdb(&w, "min3", w.team_a, 0, 0, 3, &sel);
    uint32_t max1 = add_pdb(&w, "max1", w.team_a, 1, 0, 1, &sel);
    uint32_t other = add_pdb(&w, "db", w.team_a, 0, 0, 0, &sel_db);
    uint32_t d = start(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 100, .replicas = 4});
    start(&w, (WlOpts){.name = "b", .ns = w.team_b, .cpu_m = 100, .replicas = 2});   /* same labels, other ns */
    ts_run_to(w.e, 0);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min3), 0);   /* bound, not Running yet */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 0);
    ts_run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min3), 1);   /* 4 healthy - 3 */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 1);   /* 4 - (4 - 1) */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, other), 0);
    uint32_t first = 0;
    while (sim_pod(w.e, first)->wl != d)
        first++;
    ck_assert(sim_pdb_covers(w.e, min3, first));
    ck_assert(!sim_pdb_covers(w.e, other, first));
    ck_assert_int_eq(sim_pod_delete(w.e, first), SIM_OK);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min3), 0);   /* 3 healthy - 3 */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 0);   /* 3 - (4 - 1): the scale is still 4 */
    ts_run_to(w.e, SIM_SEC(5));   /* the replacement is bound but not Running */
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, max1), 0);   /* 3 - (4 - 1) */
    uint32_t late = add_pdb(&w, "late", w.team_a, 0, 0, 2, &sel);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, late), 1);
    ts_run_to(w.e, SIM_SEC(10));
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, late), 2);
    ck_assert_int_eq(sim_pdb_disruptions_allowed(w.e, min3), 1);
    SimPdb bad = {(char *)"bad", w.region, w.team_a, {NULL, 0}, 0, 1, 150};
    uint32_t id;
    ck_assert_int_eq(sim_pdb_add(w.e, &bad, &id), SIM_EINVAL);
    world_free(&w);
}
END_TEST

/* ---- the controllers' reaction (§4.6) ---------------------------------------- */

/* A refused Deployment stops its sync and retries with per-item backoff (5 ms
 * doubling); when a pod of its namespace ends, it creates at once. The
 * refusal is not a pod failure. */
START_TEST(controller_retries_after_quota_frees)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_PODS};   /* pods: a Succeeded pod gives it back (count/pods would not) */
    int64_t two[] = {2};
    add_quota(&w, "two", w.team_a, res, two, 1, NULL);
    uint32_t job = start(&w, (WlOpts){.name = "job", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 100,
                                      .replicas = 1, .completions = 1, .duration = SIM_SEC(20)});
    uint32_t d = start(&w, (WlOpts){.name = "api", .ns = w.team_a, .cpu_m = 100, .replicas = 3});
    ts_run_to(w.e, 0);
    ck_assert_int_eq(live_pods(w.e, d), 1);
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 1);   /* the sync stopped at its first refusal */
    ck_assert_uint_eq(sim_admission_refusals(w.e, d), 1);
    ck_assert_uint_eq(sim_admission_refused_count(w.e), 1);
    /* Retries at 5, 15, 35, 75, 155, 315 and 635 ms; the next is at 1275 ms. */
    ts_run_to(w.e, SIM_MS(1000));
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 8);
    ts_run_to(w.e, SIM_MS(1274));
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 8);
    ts_run_to(w.e, SIM_MS(1275));
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 9);
    /* The Job's pod succeeds at 2 s + 20 s: the Deployment takes its place then. */
    ts_run_to(w.e, SIM_SEC(22));
    ck_assert_int_eq(sim_workload(w.e, job)->succeeded, 1);
    ck_assert_int_eq(live_pods(w.e, d), 2);
    ck_assert_int_eq(sim_workload(w.e, d)->active, 2);
    ck_assert_int_eq(sim_workload(w.e, d)->failed, 0);
    world_free(&w);
}
END_TEST

/* A Job's pod refused by quota retries 1 s doubling to 1 min, and the
 * refusal never counts as a failure. */
START_TEST(job_retries_refused_pods_with_api_backoff)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_PODS};
    int64_t one[] = {1};
    add_quota(&w, "one", w.team_a, res, one, 1, NULL);
    uint32_t job = start(&w, (WlOpts){.name = "job", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 100,
                                      .replicas = 2, .completions = 2, .duration = SIM_SEC(1000)});
    /* Refusals at 0, then retries at 1, 3, 7, 15, 31, 63 s, then every 60 s (123 s). */
    ts_run_to(w.e, SIM_SEC(100));
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 7);
    ts_run_to(w.e, SIM_SEC(123));
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 8);
    ck_assert_int_eq(sim_workload(w.e, job)->failed, 0);
    ck_assert_int_eq(live_pods(w.e, job), 1);
    world_free(&w);
}
END_TEST

/* count/jobs.batch counts Jobs of the namespace from their start; a refused
 * Job never creates a pod. */
START_TEST(job_quota_count_jobs_batch)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_COUNT_JOBS};
    int64_t one[] = {1};
    uint32_t q = add_quota(&w, "jobs", w.team_a, res, one, 1, NULL);
    uint32_t first = start(&w, (WlOpts){.name = "first", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 100,
                                        .replicas = 1, .completions = 1, .duration = SIM_SEC(5)});
    uint32_t second = start(&w, (WlOpts){.name = "second", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 100,
                                         .replicas = 1, .completions = 1, .duration = SIM_SEC(5)});
    uint32_t other = start(&w, (WlOpts){.name = "other", .kind = SIM_WL_JOB, .ns = w.team_b, .cpu_m = 100,
                                        .replicas = 1, .completions = 1, .duration = SIM_SEC(5)});
    ts_run_to(w.e, 0);
    ck_assert_int_eq(live_pods(w.e, first), 1);
    ck_assert_int_eq(live_pods(w.e, second), 0);
    ck_assert_int_eq(live_pods(w.e, other), 1);
    ck_assert_str_eq(sim_errmsg(w.e), "exceeded quota: jobs, requested: count/jobs.batch=1, used: "
                                      "count/jobs.batch=1, limited: count/jobs.batch=1");
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_JOBS], 1);
    ts_run_to(w.e, SIM_SEC(60));
    ck_assert_int_eq(sim_workload(w.e, first)->succeeded, 1);
    ck_assert_int_eq(sim_workload(w.e, second)->succeeded, 0);   /* a finished Job still counts */
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_JOBS], 1);
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 1);
    ck_assert_int_eq(sim_admit_job(w.e, second), SIM_EFORBIDDEN);   /* the verdict stands, counted once */
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 1);
    world_free(&w);
}
END_TEST

/* A Job deleted after it finished (ttlSecondsAfterFinished 0) gives its
 * count/jobs.batch back: the next Job of the namespace is admitted. */
START_TEST(job_quota_returned_when_the_job_is_deleted)
{
    World w = world();
    SimQuotaRes res[] = {SIM_QR_COUNT_JOBS};
    int64_t one[] = {1};
    uint32_t q = add_quota(&w, "jobs", w.team_a, res, one, 1, NULL);
    uint32_t first = start(&w, (WlOpts){.name = "first", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 100,
                                        .replicas = 1, .completions = 1, .duration = SIM_SEC(5),
                                        .ttl_zero = 1});
    ts_run_to(w.e, SIM_SEC(1));
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_JOBS], 1);
    ts_run_to(w.e, SIM_SEC(60));
    ck_assert(sim_workload(w.e, first)->deleted);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_JOBS], 0);
    uint32_t second = start(&w, (WlOpts){.name = "second", .kind = SIM_WL_JOB, .ns = w.team_a, .cpu_m = 100,
                                         .replicas = 1, .completions = 1, .duration = SIM_SEC(5)});
    ts_run_to(w.e, SIM_SEC(61));
    ck_assert_int_eq(live_pods(w.e, second), 1);
    ck_assert_int_eq(sim_quota(w.e, q)->used[SIM_QR_COUNT_JOBS], 1);
    ck_assert_uint_eq(sim_stats(w.e)->quota_rejections, 0);
    world_free(&w);
}
END_TEST

/* Every allocation of the policy objects and of admission can fail: the
 * engine reports it and leaks nothing. */
static int oom_run(void *ctx, SimMem *m)
{
    (void)ctx;
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(60), .mem = m};
    SimEngine *e = sim_engine_create(&cfg);
    uint32_t r, ns, id, pod;
    int rc = e ? SIM_OK : SIM_ENOMEM;
    if (rc == SIM_OK)
        rc = sim_region_add(e, "r", &r);
    if (rc == SIM_OK)
        rc = sim_namespace_add(e, "ns", &ns);
    SimPriorityClass pc = {(char *)"pc", 1, 1, 0, 0};
    if (rc == SIM_OK)
        rc = sim_priorityclass_add(e, &pc, &id);
    SimQuota q = {.name = (char *)"q", .ns = 0, .hard_set = 1u << SIM_QR_PODS, .hard = {[SIM_QR_PODS] = 5}};
    if (rc == SIM_OK)
        rc = sim_quota_add(e, &q, &id);
    SimLimitRange lr = {.name = (char *)"lr", .deflt = {100, MIB}};
    if (rc == SIM_OK)
        rc = sim_limitrange_add(e, &lr, &id);
    SimPdb pdb = {.name = (char *)"pdb", .value = 1};
    if (rc == SIM_OK)
        rc = sim_pdb_add(e, &pdb, &id);
    SimWorkload wl = {.name = (char *)"w", .kind = SIM_WL_JOB, .replicas = 1, .completions = 1};
    if (rc == SIM_OK)
        rc = sim_workload_add(e, &wl, &id);
    if (rc == SIM_OK)
        rc = sim_admit_job(e, id);
    for (int i = 0; rc == SIM_OK && i < 7; i++)
        rc = sim_pod_create(e, id, &pod);
    ck_assert(rc == SIM_OK || rc == SIM_ENOMEM || rc == SIM_EFORBIDDEN);
    sim_engine_destroy(e);
    return rc == SIM_ENOMEM;   /* the quota refuses the sixth pod even with memory to spare */
}

START_TEST(policy_oom_sweep_leaks_nothing)
{
    ts_oom_sweep(oom_run, NULL, 0, 10000);
}
END_TEST

/* ---- Lua declarations --------------------------------------------------------- */
static const char world_src[] =
    "region { name = \"eu\" }\n"
    "namespace { name = \"team-a\" }\n"
    "nodegroup { name = \"g\", cpu = \"8\", memory = \"32Gi\", min = 2, max = 4 }\n";

/* Loading fails with a message holding frag (and frag2). */
static void expect_load_error(const char *decl, const char *frag, const char *frag2)
{
    char src[4096];
    SimErr err = SIM_ERR_INIT;
    snprintf(src, sizeof src, "%s%s", world_src, decl);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "s.lua", src)};
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s == NULL, "expected an error for: %s", decl);
    ck_assert_msg(strstr(sim_err_msg(&err), frag) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag);
    ck_assert_msg(frag2 == NULL || strstr(sim_err_msg(&err), frag2) != NULL,
                  "message '%s' lacks '%s'", sim_err_msg(&err), frag2);
    ck_assert_int_eq(m.live, 0);
}

START_TEST(lua_policy_declaration_errors_name_file_and_line)
{
    expect_load_error("quota { name = \"q\", namespace = \"team-a\", hrad = { pods = 1 } }\n",
                      "s.lua:4: unknown field 'hrad' in quota 'q' (did you mean 'hard'?)", NULL);
    expect_load_error("quota { name = \"q\", namespace = \"team-a\", hard = { [\"requests.cpus\"] = 1 } }\n",
                      "s.lua:4: unknown field 'requests.cpus' in quota 'q': field 'hard' (did you mean "
                      "'requests.cpu'?)", NULL);
    expect_load_error("\nquota { name = \"q\", namespace = \"team-a\", hard = { [\"requests.memory\"] = \"lots\" } }\n",
                      "s.lua:5: quota 'q': field 'hard': field 'requests.memory': \"lots\" is not a quantity", NULL);
    expect_load_error("quota { name = \"q\", namespace = \"team-b\", hard = { pods = 1 } }\n",
                      "s.lua:4: quota 'q': field 'namespace': no namespace named 'team-b'", NULL);
    expect_load_error("quota { name = \"q\", hard = { pods = 1 }, priority_classes = { \"gold\" } }\n",
                      "s.lua:4: quota 'q': field 'priority_classes': no priorityclass named 'gold' is declared "
                      "before this line", NULL);
    expect_load_error("quota { name = \"q\" }\n", "s.lua:4: quota 'q': field 'hard': is required", NULL);
    expect_load_error("pdb { name = \"p\", selector = { app = \"a\" }, min_available = 1, max_unavailable = 1 }\n",
                      "s.lua:4: pdb 'p':", "exactly one of min_available and max_unavailable");
    expect_load_error("pdb { name = \"p\", selector = { app = \"a\" }, min_available = \"150%\" }\n",
                      "s.lua:4: pdb 'p': field 'min_available': expected a whole number or a percentage", NULL);
    expect_load_error("pdb { name = \"p\", min_available = 1 }\n", "s.lua:4: pdb 'p': field 'selector': is required",
                      NULL);
    expect_load_error("pdb { name = \"p\", selector = { app = \"a\" }, min_avialable = 1 }\n",
                      "s.lua:4: unknown field 'min_avialable' in pdb 'p' (did you mean 'min_available'?)", NULL);
    expect_load_error("priorityclass { name = \"x\", value = 1, preemption_policy = \"Sometimes\" }\n",
                      "s.lua:4: priorityclass 'x': field 'preemption_policy': \"Sometimes\" is not", NULL);
    expect_load_error("priorityclass { name = \"x\" }\n", "s.lua:4: priorityclass 'x': field 'value': is required",
                      NULL);
    expect_load_error("priorityclass { name = \"a\", value = 1, global_default = true }\n"
                      "priorityclass { name = \"b\", value = 2, global_default = true }\n",
                      "s.lua:5: priorityclass 'b': field 'global_default': priorityclass 'a' is already", NULL);
    expect_load_error("priorityclass { name = \"a\", value = 2000000000 }\n", "s.lua:4:", "out of range");
    expect_load_error("deployment { name = \"api\", namespace = \"team-a\", priority_class = \"hgih\" }\n",
                      "s.lua:4: deployment 'api': field 'priority_class': no priorityclass named 'hgih' is "
                      "declared before this line", NULL);
    expect_load_error("limitrange { name = \"lr\", min = { cpu = \"2\" }, max = { cpu = \"1\" } }\n",
                      "s.lua:4: limitrange 'lr': field 'min': cpu: min value 2 is greater than max value 1", NULL);
    expect_load_error("limitrange { name = \"lr\", default = { cpu = \"1\", memroy = \"1Gi\" } }\n",
                      "s.lua:4: unknown field 'memroy' in limitrange 'lr': field 'default' (did you mean "
                      "'memory'?)", NULL);
    expect_load_error("limitrange { name = \"lr\", max = { cpu = 0 } }\n",
                      "s.lua:4: limitrange 'lr': field 'max': field 'cpu': must be positive", NULL);
}
END_TEST

/* The declarations reach the engine: classes, a scoped quota, a LimitRange
 * and a PDB, and the workload's class resolves at admission. */
START_TEST(lua_policy_declarations_build_into_the_engine)
{
    char src[4096];
    SimErr err = SIM_ERR_INIT;
    snprintf(src, sizeof src, "%s%s", world_src,
             "priorityclass { name = \"high\", value = 1000, preemption_policy = \"Never\" }\n"
             "priorityclass { name = \"standard\", value = 10, global_default = true }\n"
             "quota { name = \"team-a\", namespace = \"team-a\", priority_classes = { \"high\" },\n"
             "        hard = { [\"requests.cpu\"] = \"1500m\", [\"requests.memory\"] = \"4Gi\", [\"count/pods\"] = 50,\n"
             "                 [\"requests.nvidia.com/gpu\"] = 2, [\"count/jobs.batch\"] = \"1k\" } }\n"
             "limitrange { name = \"defaults\", namespace = \"team-a\", default = { cpu = \"500m\" },\n"
             "             max = { memory = \"2Gi\" } }\n"
             "pdb { name = \"api\", namespace = \"team-a\", selector = { app = \"api\" }, max_unavailable = \"25%\" }\n"
             "deployment { name = \"api\", namespace = \"team-a\", replicas = 2, priority_class = \"high\" }\n");
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "ok.lua", src)};
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(60), .mem = &m};
    SimEngine *e = sim_engine_create(&cfg);
    WlControllers *wl = wl_create(e);
    ck_assert_int_eq(scn_build(s, e, wl), SIM_OK);
    ck_assert_uint_eq(sim_quota_count(e), 1);
    const SimQuota *q = sim_quota(e, 0);
    ck_assert_int_eq(q->hard[SIM_QR_REQUESTS_CPU], 1500);
    ck_assert_int_eq(q->hard[SIM_QR_REQUESTS_MEMORY], 4 * GIB);
    ck_assert_int_eq(q->hard[SIM_QR_COUNT_PODS], 50);
    ck_assert_int_eq(q->hard[SIM_QR_REQUESTS_GPU], 2);
    ck_assert_int_eq(q->hard[SIM_QR_COUNT_JOBS], 1000);
    ck_assert_uint_eq(q->scope.nreqs, 1);
    const SimLimitRange *lr = sim_limitrange(e, 0);
    ck_assert_int_eq(lr->deflt.mem, 2 * GIB);      /* default from max */
    ck_assert_int_eq(lr->deflt_req.cpu_m, 500);    /* defaultRequest from default */
    ck_assert_int_eq(sim_pdb(e, 0)->max_unavailable, 1);
    ck_assert_int_eq(sim_pdb(e, 0)->percent, 1);
    ck_assert_int_eq(sim_pdb(e, 0)->value, 25);
    ck_assert_str_eq(sim_priorityclass_default(e)->name, "standard");
    while (sim_step(e) == SIM_OK && sim_now(e) == 0) {
    }
    ck_assert_uint_ge(sim_pod_count(e), 2);
    ck_assert_int_eq(sim_pod(e, 0)->priority, 1000);
    ck_assert_int_eq(sim_pod(e, 0)->req.cpu_m, 500);
    ck_assert_int_eq(sim_pod_preempt_never(e, 0), 1);
    ck_assert_int_eq(q->used[SIM_QR_REQUESTS_CPU], 1000);
    wl_destroy(wl);
    sim_engine_destroy(e);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(lua_policy_load_oom_sweep_leaks_nothing)
{
    char src[4096];
    snprintf(src, sizeof src, "%s%s", world_src,
             "priorityclass { name = \"high\", value = 1000 }\n"
             "quota { name = \"q\", namespace = \"team-a\", hard = { pods = 3 }, priority_classes = { \"high\" } }\n"
             "limitrange { name = \"lr\", namespace = \"team-a\", default = { cpu = 1 } }\n"
             "pdb { name = \"p\", namespace = \"team-a\", selector = { app = \"x\", tier = \"y\" }, "
             "min_available = \"50%\" }\n");
    tl_load_oom_sweep(tr_write(tmpdir, "oom.lua", src));
}
END_TEST

/* ---- end to end ------------------------------------------------------------- */
static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* Two teams share a cluster; team-a's namespace is capped at 4 pods and
 * 2 CPUs, so its Deployment of 6 and its batch Job run into the quota while
 * team-b runs unhindered. The summary counts the rejections, and the
 * scenario's own expectation agrees. */
START_TEST(e2e_team_namespace_hits_its_quota)
{
    static const char src[] =
        "scenario { name = \"two-teams\", duration = \"30m\" }\n"
        "region { name = \"eu\", zones = { \"eu-a\", \"eu-b\" } }\n"
        "namespace { name = \"team-a\" }\n"
        "namespace { name = \"team-b\" }\n"
        "nodegroup { name = \"general\", cpu = \"8\", memory = \"32Gi\", min = 4, max = 4 }\n"
        "priorityclass { name = \"batch\", value = 100, preemption_policy = \"Never\" }\n"
        "quota { name = \"team-a\", namespace = \"team-a\",\n"
        "        hard = { [\"requests.cpu\"] = \"2\", [\"requests.memory\"] = \"4Gi\", pods = 4 } }\n"
        "limitrange { name = \"defaults\", namespace = \"team-a\", default_request = { cpu = \"250m\", memory = \"256Mi\" } }\n"
        "pdb { name = \"web\", namespace = \"team-a\", selector = { app = \"web\" }, min_available = \"50%\" }\n"
        "deployment { name = \"web\", namespace = \"team-a\", replicas = 6, cpu = \"500m\", memory = \"512Mi\" }\n"
        "job { name = \"crunch\", namespace = \"team-a\", start = \"5m\", completions = 4, parallelism = 2,\n"
        "      duration = \"3m\", priority_class = \"batch\" }\n"
        "deployment { name = \"shop\", namespace = \"team-b\", replicas = 10, cpu = \"1\", memory = \"1Gi\" }\n"
        "expect(\"team-a hits its quota\", function(r) return r.quota.rejections > 0, r.quota.rejections end)\n";
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = tr_write(tmpdir, "two-teams.lua", src), .seed = 3};
    char dir[600], path[700];
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    snprintf(dir, sizeof dir, "%s/run", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0755) == 0 || access(dir, F_OK) == 0, 1);
    ScnRunOptions ro = {.seed = 3, .dir = dir};
    ScnRunResult res;
    ck_assert_msg(scn_run(s, &ro, &res) == SIM_OK, "%s", scn_errmsg(s));
    ck_assert_int_eq(res.expectations_failed, 0);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    cJSON *sum = read_json(path);
    double rej = cJSON_GetObjectItem(cJSON_GetObjectItem(sum, "quota"), "rejections")->valuedouble;
    ck_assert_msg(rej > 0, "quota.rejections = %g", rej);
    /* 4 web pods fit (2 CPUs / 500m), 2 are refused and keep retrying; the
     * Job's pods (250m by the LimitRange) wait for pod slots: nothing frees
     * them while web holds all 4, so the Job never completes. */
    double created = cJSON_GetObjectItem(cJSON_GetObjectItem(sum, "pods"), "created")->valuedouble;
    ck_assert_int_eq((int)created, 14);   /* 4 web + 10 shop */
    cJSON_Delete(sum);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, quota_exceeded_message_matches_upstream);
    tcase_add_test(tc, quota_requires_requests_when_constrained);
    tcase_add_test(tc, quota_counts_only_non_terminal_pods);
    tcase_add_test(tc, quota_count_pods_counts_ended_pods_until_deleted);
    tcase_add_test(tc, quota_holds_a_terminating_pod_until_it_is_gone);
    tcase_add_test(tc, quota_scope_by_priority_class);
    tcase_add_test(tc, quota_scope_and_timing_checked);
    tcase_add_test(tc, quota_rejection_is_traced_and_counted);
    tcase_add_test(tc, limitrange_defaults_fill_requests_and_limits);
    tcase_add_test(tc, limitrange_min_max_refused_with_message);
    tcase_add_test(tc, priorityclass_global_default_applies);
    tcase_add_test(tc, pdb_min_available_percent_rounds_up);
    tcase_add_test(tc, pdb_pods_on_a_not_ready_node_are_not_healthy);
    tcase_add_test(tc, pdb_disruptions_allowed_example);
    tcase_add_test(tc, pdb_expected_pods_is_the_controllers_scale);
    tcase_add_test(tc, controller_retries_after_quota_frees);
    tcase_add_test(tc, job_retries_refused_pods_with_api_backoff);
    tcase_add_test(tc, job_quota_count_jobs_batch);
    tcase_add_test(tc, job_quota_returned_when_the_job_is_deleted);
    tcase_add_test(tc, policy_oom_sweep_leaks_nothing);
    tcase_add_test(tc, lua_policy_declaration_errors_name_file_and_line);
    tcase_add_test(tc, lua_policy_declarations_build_into_the_engine);
    tcase_add_test(tc, lua_policy_load_oom_sweep_leaks_nothing);
    tcase_add_test(tc, e2e_team_namespace_hits_its_quota);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tr_main(suite(), tmpdir);
}
