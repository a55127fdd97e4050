/*
 * test_hooks.c: scenario hooks at(time, fn) and every(period, fn, opts).
 *  - a hook scales a Deployment at its time: the trace records the scale at
 *    that time and the Deployment reaches the new replicas;
 *  - every runs on its period from t = 0, or between start and stop;
 *  - k reads live state (now, replicas, ready, pending, nodes, cost);
 *  - errors: a runtime error, an unknown name or an infinite loop in a hook
 *    fail scn_run with FILE:LINE; hooks declared outside the top level and
 *    bad arguments fail the load with FILE:LINE;
 *  - the same scenario and seed give the same trace.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "workloads/wl.h"
#include "sim/trace.h"

#include "tl.h"
#include "tr.h"

static char tmpdir[] = "/tmp/kubesim-hooks-XXXXXX";

static const char world_src[] =
    "scenario { name = \"hooks\", start = \"09:00\", duration = \"1h\", sample_every = \"60s\" }\n"
    "region { name = \"eu\" }\n"
    "nodegroup { name = \"g\", cpu = \"16\", memory = \"64Gi\", min = 2, max = 4, price = 1.0 }\n"
    "deployment { name = \"web\", replicas = 2, cpu = \"1\", memory = \"1Gi\" }\n";

typedef struct Outcome {
    int rc;
    int failed;                  /* expectations failed */
    SimErr err;
    char dir[700];
    char sha[65];
} Outcome;

/* Loads world_src + body and runs it into a fresh folder. */
static Outcome run_body(const char *body, uint64_t steps)
{
    char src[8192];
    Outcome o = {0};
    snprintf(src, sizeof src, "%s%s", world_src, body);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions opt = {.path = tr_write(tmpdir, "s.lua", src), .lua_steps = steps, .seed = 1};
    ScnScenario *s = scn_load(&m, &opt, &o.err);
    ck_assert_msg(s != NULL, "load: %s", sim_err_msg(&o.err));
    snprintf(o.dir, sizeof o.dir, "%s/runXXXXXX", tmpdir);   /* Check forks: no counter survives */
    ck_assert_ptr_nonnull(mkdtemp(o.dir));
    ScnRunOptions ro = {.seed = 1, .dir = o.dir};
    ScnRunResult res;
    o.rc = scn_run(s, &ro, &res);
    if (o.rc != SIM_OK)
        sim_err_set(&o.err, o.rc, "%s", scn_errmsg(s));
    o.failed = res.expectations_failed;
    memcpy(o.sha, res.trace_sha256, sizeof o.sha);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
    return o;
}

static void expect_ok(const Outcome *o)
{
    ck_assert_msg(o->rc == SIM_OK, "run failed: %s", sim_err_msg(&o->err));
    ck_assert_msg(o->failed == 0, "%d expectation(s) failed (see %s/summary.json)", o->failed, o->dir);
}

static void expect_run_error(const char *body, uint64_t steps, const char *frag)
{
    Outcome o = run_body(body, steps);
    ck_assert_msg(o.rc != SIM_OK, "expected the run to fail: %s", body);
    ck_assert_msg(strstr(sim_err_msg(&o.err), frag) != NULL, "message '%s' lacks '%s'", sim_err_msg(&o.err), frag);
    char path[800];
    snprintf(path, sizeof path, "%s/summary.json", o.dir);
    ck_assert_msg(access(path, F_OK) != 0, "summary.json written despite the error");
}

static void expect_load_error(const char *body, const char *frag)
{
    char src[8192];
    SimErr err = SIM_ERR_INIT;
    snprintf(src, sizeof src, "%s%s", world_src, body);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions opt = {.path = tr_write(tmpdir, "s.lua", src)};
    ScnScenario *s = scn_load(&m, &opt, &err);
    ck_assert_msg(s == NULL, "expected a load error for: %s", body);
    ck_assert_msg(strstr(sim_err_msg(&err), frag) != NULL, "message '%s' lacks '%s'", sim_err_msg(&err), frag);
    ck_assert_int_eq(m.live, 0);
}

/* Scale records of workload 0 ("web") in the trace: their times and targets. */
static int trace_scales(const char *dir, SimTime *t, int64_t *to, int max)
{
    char path[800];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/trace.kst", dir);
    SimMem m;
    sim_mem_init(&m);
    SimTrSchema all;
    ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
    SimTraceReader *r = sim_trace_open(&m, &all, path, &err);
    ck_assert_msg(r != NULL, "%s", sim_err_msg(&err));
    SimTraceRec rec;
    int n = 0;
    while (sim_trace_next(r, &rec) == SIM_OK)
        if (rec.kind == WL_TR_SCALE && rec.v[0].i == 0 && n < max) {
            t[n] = rec.t;
            to[n++] = rec.v[2].i;
        }
    sim_trace_close_reader(r);
    return n;
}

START_TEST(hook_at_scales_deployment_at_its_time)
{
    Outcome o = run_body("at(\"09:10\", function(k) k.scale(\"web\", 5) end)\n"
                         "at(\"30m\", function(k) seen = k.replicas(\"web\"); ready = k.ready(\"web\") end)\n"
                         "expect(\"scaled\", function(r) return seen == 5 and ready == 5, seen end)\n", 0);
    expect_ok(&o);
    SimTime t[4];
    int64_t to[4];
    ck_assert_int_eq(trace_scales(o.dir, t, to, 4), 1);
    ck_assert_int_eq(t[0], SIM_SEC(600));
    ck_assert_int_eq(to[0], 5);
}
END_TEST

START_TEST(hook_every_runs_on_its_period)
{
    Outcome o = run_body("n, times = 0, {}\n"
                         "every(\"5m\", function(k) n = n + 1; times[#times + 1] = k.now() end)\n"
                         "m = 0\n"
                         "every(\"10m\", function(k) m = m + 1 end, { start = \"09:15\", stop = \"09:45\" })\n"
                         "expect(\"n\", function() return n == 13, n end)\n"   /* 0, 5m, ..., 60m */
                         "expect(\"t\", function() return times[1] == 0 and times[2] == 300 and times[13] == 3600 end)\n"
                         "expect(\"m\", function() return m == 3, m end)\n", 0);   /* 15m, 25m, 35m */
    expect_ok(&o);
}
END_TEST

START_TEST(hook_reads_live_state)
{
    Outcome o = run_body("at(\"0s\", function(k) s0 = { k.now(), k.replicas(\"web\"), k.nodes(\"g\"), k.pending(),\n"
                         "  k.pending(\"eu\"), k.cost() } end)\n"
                         "at(\"1h\", function(k) c1 = k.cost() end)\n"
                         "expect(\"t0\", function() return s0[1] == 0 and s0[2] == 2 and s0[3] == 2 and s0[4] == 0\n"
                         "  and s0[5] == 0 and s0[6] == 0 end)\n"
                         "expect(\"cost\", function(r) return math.abs(c1 - 2.0) < 1e-9, c1 end)\n", 0);
    expect_ok(&o);
}
END_TEST

/* k.latency reads a service's last-second p95, k.traffic changes its
 * traffic from now on (0 stops it, 1 restores it), k.submit sends a declared
 * submission again. */
START_TEST(hook_reads_latency_and_changes_traffic_and_submits)
{
    Outcome o = run_body(
        "site { name = \"ny\" }\n"
        "latency { from = \"ny\", to = \"eu\", ms = 5 }\n"
        "deployment { name = \"api\", replicas = 2, cpu = \"1\", memory = \"1Gi\",\n"
        "  serve = { service = \"api\", capacity = 200, service_time = \"20ms\" } }\n"
        "traffic { site = \"ny\", service = \"api\", rate = 100 }\n"
        "queue { name = \"q\", region = \"eu\" }\n"
        "submit { queue = \"q\", name = \"s1\", start = \"59m\", count = 1, strategy = \"momentum\",\n"
        "  universe = { assets = 10, days = 300, seed = 1 } }\n"
        "at(\"10m\", function(k) l1 = k.latency(\"api\", \"eu\"); k.traffic(\"api\", 0) end)\n"
        "at(\"20m\", function(k) l2 = k.latency(\"api\", \"eu\"); k.traffic(\"api\", 1); k.submit(\"s1\", 3) end)\n"
        "at(\"21m\", function(k) q1 = k.queue_length(\"q\") end)\n"
        "at(\"30m\", function(k) l3 = k.latency(\"api\", \"eu\") end)\n"
        "expect(\"latency\", function() return l1 ~= nil and l1 > 20 and l2 == nil and l3 ~= nil end)\n"
        "expect(\"submit\", function() return q1 == 3, tostring(q1) end)\n", 0);
    expect_ok(&o);
    expect_run_error("at(\"1m\", function(k) k.traffic(\"nosuch\", 2) end)\n", 0,
                     "k.traffic: no traffic goes to service 'nosuch'");
    expect_run_error("at(\"1m\", function(k) k.submit(\"nosuch\") end)\n", 0, "k.submit: no submit named 'nosuch'");
}
END_TEST

/* k.latency takes a percentile: in a hook, the last second's; in an
 * expectation (k is its second argument), the run's since the SLO clock
 * started, the figure summary.json's target carries. A bad percentile is an
 * error naming it. */
START_TEST(hook_latency_takes_a_percentile_in_hooks_and_expectations)
{
    Outcome o = run_body(
        "site { name = \"ny\" }\n"
        "latency { from = \"ny\", to = \"eu\", ms = 5 }\n"
        "deployment { name = \"api\", replicas = 2, cpu = \"1\", memory = \"1Gi\",\n"
        "  serve = { service = \"api\", capacity = 200, service_time = \"20ms\", slo = { p99 = \"1s\" } } }\n"
        "traffic { site = \"ny\", service = \"api\", rate = 300 }\n"
        "at(\"10m\", function(k) a = { k.latency(\"api\", \"eu\", \"p50\"), k.latency(\"api\", \"eu\"),\n"
        "  k.latency(\"api\", \"eu\", \"p95\"), k.latency(\"api\", \"eu\", \"p99\"),\n"
        "  k.latency(\"api\", \"eu\", \"p99.9\") } end)\n"
        "expect(\"hook\", function() return a[1] < a[2] and a[2] == a[3] and a[3] < a[4] and a[4] < a[5],\n"
        "  table.concat(a, \" \") end)\n"
        "expect(\"run\", function(r, k) local t = r.slo[1].targets[1]\n"
        "  local v = k.latency(\"api\", \"eu\", \"p99\")\n"
        "  return t.percentile == \"p99\" and math.abs(v - t.latency_ms) < 0.001 and v > a[3], v end)\n", 0);
    expect_ok(&o);
    expect_run_error("at(\"1m\", function(k) k.latency(\"web\", \"eu\", \"q99\") end)\n", 0,
                     "k.latency: 'q99' is not a percentile");
}
END_TEST

/* Batch service levels as expectation targets: a Job's makespan (its start
 * to Complete) read through k.makespan and summary.json's jobs.list, passing
 * and failing on the threshold; an expectation cannot act on the run. */
START_TEST(expect_job_makespan_passes_and_fails)
{
    static const char job[] =
        "job { name = \"batch\", start = \"5m\", completions = 4, parallelism = 2, duration = \"10m\",\n"
        "  cpu = \"1\", memory = \"1Gi\" }\n";
    char body[2048];
    for (int limit = 0; limit < 2; limit++) {
        snprintf(body, sizeof body, "%sexpect(\"fast\", function(r, k) local m = k.makespan(\"batch\")\n"
                 "  local j = r.jobs.list[1]\n"
                 "  return j.name == \"batch\" and j.status == \"Complete\" and j.makespan_seconds == m\n"
                 "    and j.start_seconds == 300 and m >= 1200 and m < %d, m end)\n", job, limit ? 1500 : 1200);
        Outcome o = run_body(body, 0);
        ck_assert_msg(o.rc == SIM_OK, "%s", sim_err_msg(&o.err));
        ck_assert_int_eq(o.failed, limit ? 0 : 1);
    }
    expect_run_error("expect(\"x\", function(r, k) k.scale(\"web\", 3) return true end)\n", 0,
                     "k.scale: an expectation reads the run; it cannot act on it");
    expect_run_error("expect(\"x\", function(r, k) return k.makespan(\"nosuch\") end)\n", 0,
                     "k.makespan: no Job or queue named 'nosuch'");
}
END_TEST

START_TEST(hook_runtime_error_ends_run_with_file_line)
{
    expect_run_error("at(\"10m\", function(k)\n  local x = nil\n  return x.y\nend)\n", 0, "s.lua:7: attempt to index");
    expect_run_error("at(\"10m\", function(k)\n  k.scale(\"api\", 3)\nend)\n", 0,
                     "s.lua:6: k.scale: no workload named 'api'");
    expect_run_error("at(\"10m\", function(k)\n  k.nodes(\"gpu\")\nend)\n", 0, "s.lua:6: k.nodes: no node group named 'gpu'");
    expect_run_error("at(\"10m\", function(k)\n  k.replica(\"web\")\nend)\n", 0,
                     "s.lua:6: k has no function 'replica' (did you mean 'replicas'?)");
    expect_run_error("at(\"10m\", function(k) error({}) end)\n", 0, "s.lua:5: error object is a table value");
    expect_run_error("at(\"10m\", function(k) k.scale(\"web\", -1) end)\n", 0,
                     "s.lua:5: k.scale: -1 replicas is out of range");
}
END_TEST

START_TEST(hook_infinite_loop_hits_instruction_budget)
{
    expect_run_error("every(\"1m\", function(k)\n  while true do end\nend)\n", 1000000,
                     "s.lua:6: instruction budget exceeded");
}
END_TEST

/* Each call gets the whole budget again: many cheap calls never run out. */
START_TEST(hook_budget_is_per_call)
{
    Outcome o = run_body("every(\"1s\", function(k) for i = 1, 200 do end end)\n", 1000000);
    expect_ok(&o);
}
END_TEST

START_TEST(hook_declarations_checked_at_load)
{
    expect_load_error("at(\"25:00\", function() end)\n", "s.lua:5: at: field 'time'");
    expect_load_error("at(\"10m\", 3)\n", "s.lua:5: bad argument #2 to 'at'");
    expect_load_error("every(\"0s\", function() end)\n", "s.lua:5: every: the period must be at least 1s");
    expect_load_error("every(\"5m\", function() end, { start = \"10:00\", stop = \"09:30\" })\n",
                      "s.lua:5: every: field 'stop': is not after start");
    expect_load_error("every(\"5m\", function() end, { strat = \"10:00\" })\n", "did you mean 'start'?");
}
END_TEST

START_TEST(hook_declared_late_is_an_error)
{
    expect_run_error("at(\"10m\", function(k)\n  at(\"20m\", function() end)\nend)\n", 0,
                     "s.lua:6: at: hooks are declared at the top level");
}
END_TEST

START_TEST(hook_runs_are_deterministic)
{
    const char *body = "every(\"7m\", function(k) k.scale(\"web\", math.random(1, 6)) end)\n";
    Outcome a = run_body(body, 0), b = run_body(body, 0);
    expect_ok(&a);
    expect_ok(&b);
    ck_assert_str_eq(a.sha, b.sha);
    SimTime t[16];
    int64_t to[16];
    ck_assert_int_ge(trace_scales(a.dir, t, to, 16), 2);
}
END_TEST

START_TEST(hook_load_oom_sweep_leaks_nothing)
{
    char src[8192];
    snprintf(src, sizeof src, "%sat(\"10m\", function(k) end)\nevery(\"5m\", function(k) end, { start = \"09:30\" })\n",
             world_src);
    tl_load_oom_sweep(tr_write(tmpdir, "oom.lua", src));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hooks");
    TCase *tc = tcase_create("hooks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, hook_at_scales_deployment_at_its_time);
    tcase_add_test(tc, hook_every_runs_on_its_period);
    tcase_add_test(tc, hook_reads_live_state);
    tcase_add_test(tc, hook_reads_latency_and_changes_traffic_and_submits);
    tcase_add_test(tc, hook_latency_takes_a_percentile_in_hooks_and_expectations);
    tcase_add_test(tc, expect_job_makespan_passes_and_fails);
    tcase_add_test(tc, hook_runtime_error_ends_run_with_file_line);
    tcase_add_test(tc, hook_infinite_loop_hits_instruction_budget);
    tcase_add_test(tc, hook_budget_is_per_call);
    tcase_add_test(tc, hook_declarations_checked_at_load);
    tcase_add_test(tc, hook_declared_late_is_an_error);
    tcase_add_test(tc, hook_runs_are_deterministic);
    tcase_add_test(tc, hook_load_oom_sweep_leaks_nothing);
    suite_add_tcase(s, tc);
    return tr_main(s, tmpdir);
}
