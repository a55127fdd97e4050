/*
 * test_scn.c: the Lua scenario bridge. Declarations are checked field by
 * field with errors naming the file and line; the sandbox refuses the usual
 * escapes and stops runaway scripts; params take --set overrides.
 */
#include <check.h>
#include <pthread.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "sim/json.h"

#include "tf.h"
#include "tl.h"
#include "ts.h"
#include "tr.h"

static char tmpdir[] = "/tmp/kubesim-scn-XXXXXX";

static const char world[] =
    "region { name = \"r1\", zones = {\"r1-a\", \"r1-b\"} }\n"
    "namespace { name = \"team\" }\n"
    "nodegroup { name = \"cpu\", region = \"r1\", cpu = \"8\", memory = \"32Gi\", min = 2, max = 4 }\n";

typedef struct Loaded {
    SimMem mem;
    ScnScenario *s;
    SimErr err;
} Loaded;

static void load_opts(Loaded *l, const char *name, const char *src, char *const *sets, size_t nsets,
                      size_t lua_mem, uint64_t steps)
{
    sim_mem_init(&l->mem);
    ScnOptions o = {.path = tr_write(tmpdir, name, src), .sets = sets, .nsets = nsets,
                    .lua_mem = lua_mem, .lua_steps = steps, .seed = 7};
    l->err = (SimErr)SIM_ERR_INIT;
    l->s = scn_load(&l->mem, &o, &l->err);
}

static void load(Loaded *l, const char *src)
{
    load_opts(l, "s.lua", src, NULL, 0, 0, 0);
}

static void unload(Loaded *l)
{
    scn_free(l->s);
    ck_assert_int_eq(l->mem.live, 0);
}

/* The load fails and the message holds every given fragment. */
static void expect_error(const char *src, const char *frag1, const char *frag2)
{
    Loaded l;
    load(&l, src);
    ck_assert_msg(l.s == NULL, "expected an error for: %s", src);
    ck_assert_msg(strstr(sim_err_msg(&l.err), frag1) != NULL, "message '%s' lacks '%s'", sim_err_msg(&l.err), frag1);
    if (frag2)
        ck_assert_msg(strstr(sim_err_msg(&l.err), frag2) != NULL,
                      "message '%s' lacks '%s'", sim_err_msg(&l.err), frag2);
    unload(&l);
}

static char *cat(const char *a, const char *b)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", a, b);
    return buf;
}

START_TEST(scn_default_scenario_loads)
{
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {0};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    ck_assert_str_eq(scn_name(s), "market_open_surge");
    ck_assert(scn_duration(s) == SIM_SEC(10 * 3600));
    ck_assert_uint_ge(scn_param_count(s), 2);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(scn_unknown_field_suggests_nearest)
{
    expect_error(cat(world, "deployment { name = \"quant-api\", namespace = \"team\", replcas = 3 }\n"),
                 "s.lua:4: unknown field 'replcas' in deployment 'quant-api' (did you mean 'replicas'?)", NULL);
}
END_TEST

START_TEST(scn_malformed_quantity_names_field_and_line)
{
    expect_error(cat(world, "\ndeployment { name = \"api\", cpu = \"two\" }\n"),
                 "s.lua:5: deployment 'api': field 'cpu': \"two\" is not a quantity", NULL);
}
END_TEST

START_TEST(scn_negative_quantity_refused)
{
    expect_error(cat(world, "deployment { name = \"api\", memory = \"-1Gi\" }\n"),
                 "s.lua:4:", "field 'memory': \"-1Gi\" must not be negative");
    expect_error(cat(world, "deployment { name = \"api\", cpu = -2 }\n"), "field 'cpu'", "must not be negative");
}
END_TEST

START_TEST(scn_syntax_error_names_file_and_line)
{
    expect_error("region { name = \"r1\" }\n\nlocal x = = 3\n", "s.lua:3:", NULL);
}
END_TEST

START_TEST(scn_runtime_error_names_file_and_line)
{
    expect_error("region { name = \"r1\" }\nlocal t = nil\nlocal y = t.x\n", "s.lua:3:", "attempt to index");
}
END_TEST

START_TEST(scn_wrong_types_and_units_named)
{
    expect_error(cat(world, "deployment { name = \"api\", replicas = \"three\" }\n"),
                 "field 'replicas'", "expected a whole number");
    expect_error(cat(world, "job { name = \"j\", duration = \"10 parsecs\" }\n"),
                 "field 'duration'", "is not a duration");
    expect_error(cat(world, "job { name = \"j\", duration = \"1m\", start = \"25:00\" }\n"),
                 "field 'start'", "not a time of day");
    expect_error(cat(world, "nodegroup { name = \"g\", region = \"r1\", cpu = 4, memory = \"8Gi\", "
                            "taints = {\"a=b:Sometimes\"} }\n"), "field 'taints'", "NoSchedule");
}
END_TEST

START_TEST(scn_references_must_be_declared)
{
    expect_error(cat(world, "deployment { name = \"api\", namespace = \"nope\" }\n"),
                 "field 'namespace'", "no namespace named 'nope'");
    expect_error("region { name = \"a\" }\nregion { name = \"b\" }\n"
                 "nodegroup { name = \"g\", region = \"c\", cpu = 1, memory = \"1Gi\" }\n",
                 "s.lua:3:", "no region named 'c'");
    expect_error("namespace { name = \"x\" }\n", "declares no region", NULL);
}
END_TEST

START_TEST(scn_min_greater_than_max_refused)
{
    expect_error("region { name = \"r\" }\nnodegroup { name = \"g\", cpu = 1, memory = \"1Gi\", min = 5, max = 2 }\n",
                 "s.lua:2:", "min (5) is greater than max (2)");
}
END_TEST

START_TEST(scn_duplicate_and_invalid_names_refused)
{
    expect_error(cat(world, "namespace { name = \"team\" }\n"), "'team' is declared twice", NULL);
    expect_error(cat(world, "namespace { name = \"Team_B\" }\n"), "not a valid Kubernetes name", NULL);
}
END_TEST

START_TEST(scn_param_default_and_set_override)
{
    const char *src = "local n = param(\"replicas\", 3, \"how many\")\n"
                      "local on = param(\"enabled\", false)\n"
                      "region { name = \"r\" }\n"
                      "deployment { name = \"api\", replicas = n }\n";
    Loaded l;
    load(&l, src);
    ck_assert_msg(l.s != NULL, "%s", sim_err_msg(&l.err));
    const char *name, *deflt, *value, *desc;
    scn_param(l.s, 0, &name, &deflt, &value, &desc);
    ck_assert_str_eq(name, "replicas");
    ck_assert_str_eq(deflt, "3");
    ck_assert_str_eq(value, "3");
    ck_assert_str_eq(desc, "how many");
    unload(&l);
    char *sets[] = {"replicas=7", "enabled=true"};
    load_opts(&l, "s.lua", src, sets, 2, 0, 0);
    ck_assert_msg(l.s != NULL, "%s", sim_err_msg(&l.err));
    scn_param(l.s, 0, &name, &deflt, &value, &desc);
    ck_assert_str_eq(value, "7");
    scn_param(l.s, 1, &name, &deflt, &value, &desc);
    ck_assert_str_eq(value, "true");
    unload(&l);
}
END_TEST

START_TEST(scn_set_errors_are_named)
{
    const char *src = "local n = param(\"replicas\", 3)\nregion { name = \"r\" }\n";
    Loaded l;
    char *bad_type[] = {"replicas=lots"};
    load_opts(&l, "s.lua", src, bad_type, 1, 0, 0);
    ck_assert_ptr_null(l.s);
    ck_assert_msg(strstr(sim_err_msg(&l.err), "--set replicas=lots") && strstr(sim_err_msg(&l.err), "takes a number"),
                  "%s", sim_err_msg(&l.err));
    unload(&l);
    char *unknown[] = {"replicsa=3"};
    load_opts(&l, "s.lua", src, unknown, 1, 0, 0);
    ck_assert_ptr_null(l.s);
    ck_assert_msg(strstr(sim_err_msg(&l.err), "has no param 'replicsa'"), "%s", sim_err_msg(&l.err));
    unload(&l);
    char *malformed[] = {"replicas"};
    load_opts(&l, "s.lua", src, malformed, 1, 0, 0);
    ck_assert_ptr_null(l.s);
    ck_assert_msg(strstr(sim_err_msg(&l.err), "expected NAME=VALUE"), "%s", sim_err_msg(&l.err));
    unload(&l);
}
END_TEST

/* Each escape must fail inside the script; the error names what was nil. */
START_TEST(scn_sandbox_refuses_escapes)
{
    static const char *const escapes[] = {
        "io.open('/etc/passwd')", "os.execute('true')", "os.getenv('HOME')", "require('os')",
        "load('return 1')()", "loadfile('/etc/passwd')", "dofile('/etc/passwd')",
        "string.dump(function() end)", "debug.getinfo(1)", "package.loadlib('libc.so.6', 'system')",
        "collectgarbage('stop')", "math.randomseed(1)", "(''):dump()",
    };
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        char src[256];
        snprintf(src, sizeof src, "region { name = \"r\" }\nlocal x = %s\n", escapes[i]);
        Loaded l;
        load(&l, src);
        ck_assert_msg(l.s == NULL, "escape succeeded: %s", escapes[i]);
        ck_assert_msg(strstr(sim_err_msg(&l.err), "s.lua:2:") != NULL, "%s: %s", escapes[i], sim_err_msg(&l.err));
        unload(&l);
    }
}
END_TEST

START_TEST(scn_bytecode_is_refused)
{
    Loaded l;
    load(&l, "\x1bLua\x54\x00 junk");
    ck_assert_ptr_null(l.s);
    ck_assert_msg(strstr(sim_err_msg(&l.err), "binary") || strstr(sim_err_msg(&l.err), "text"),
                  "%s", sim_err_msg(&l.err));
    unload(&l);
}
END_TEST

START_TEST(scn_instruction_budget_stops_infinite_loop)
{
    Loaded l;
    load_opts(&l, "loop.lua", "region { name = \"r\" }\nwhile true do end\n", NULL, 0, 0, 1000000);
    ck_assert_ptr_null(l.s);
    ck_assert_msg(strstr(sim_err_msg(&l.err), "loop.lua:2:") && strstr(sim_err_msg(&l.err), "instruction budget"),
                  "%s", sim_err_msg(&l.err));
    unload(&l);
}
END_TEST

START_TEST(scn_memory_cap_stops_runaway_allocation)
{
    Loaded l;
    load_opts(&l, "mem.lua", "local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n",
              NULL, 0, (size_t)16 << 20, 0);
    ck_assert_ptr_null(l.s);
    ck_assert_msg(strstr(sim_err_msg(&l.err), "mem.lua") && strstr(sim_err_msg(&l.err), "memory limit of 16 MiB"),
                  "%s", sim_err_msg(&l.err));
    unload(&l);
}
END_TEST

START_TEST(scn_math_random_is_seeded)
{
    const char *src = "region { name = \"r\" }\nlocal v = param(\"v\", math.random(1, 1000000))\n";
    Loaded a, b;
    load(&a, src);
    load(&b, src);
    ck_assert_msg(a.s && b.s, "%s %s", sim_err_msg(&a.err), sim_err_msg(&b.err));
    const char *n, *d1, *d2, *v, *desc;
    scn_param(a.s, 0, &n, &d1, &v, &desc);
    scn_param(b.s, 0, &n, &d2, &v, &desc);
    ck_assert_str_eq(d1, d2);
    unload(&a);
    unload(&b);
}
END_TEST

START_TEST(scn_missing_file_is_named)
{
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = "/nonexistent/dir/x.lua"};
    SimErr err = SIM_ERR_INIT;
    ck_assert_ptr_null(scn_load(&m, &o, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "/nonexistent/dir/x.lua: cannot open"), "%s", sim_err_msg(&err));
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(scn_durations_and_clock_times_parse_exactly)
{
    SimTime t;
    ck_assert_int_eq(scn_parse_duration("90s", &t), SIM_OK);
    ck_assert(t == SIM_SEC(90));
    ck_assert_int_eq(scn_parse_duration("1h30m", &t), SIM_OK);
    ck_assert(t == SIM_SEC(5400));
    ck_assert_int_eq(scn_parse_duration("1.5h", &t), SIM_OK);
    ck_assert(t == SIM_SEC(5400));
    ck_assert_int_eq(scn_parse_duration("250ms", &t), SIM_OK);
    ck_assert(t == SIM_MS(250));
    ck_assert_int_eq(scn_parse_duration("42", &t), SIM_OK);
    ck_assert(t == SIM_SEC(42));
    ck_assert_int_eq(scn_parse_duration("2d", &t), SIM_OK);
    ck_assert(t == SIM_SEC(172800));
    ck_assert_int_eq(scn_parse_duration("", &t), SIM_EINVAL);
    ck_assert_int_eq(scn_parse_duration("5 min", &t), SIM_EINVAL);
    ck_assert_int_eq(scn_parse_duration("-5s", &t), SIM_EINVAL);
    ck_assert_int_eq(scn_parse_duration("s", &t), SIM_EINVAL);
    ck_assert_int_eq(scn_parse_clock("09:30", &t), SIM_OK);
    ck_assert(t == SIM_SEC(9 * 3600 + 1800));
    ck_assert_int_eq(scn_parse_clock("23:59:59", &t), SIM_OK);
    ck_assert_int_eq(scn_parse_clock("24:00", &t), SIM_EINVAL);
    ck_assert_int_eq(scn_parse_clock("9h", &t), SIM_EINVAL);
}
END_TEST

START_TEST(scn_job_start_is_relative_to_scenario_start)
{
    Loaded l;
    load(&l, "scenario { start = \"07:00\", duration = \"4h\" }\nregion { name = \"r\" }\n"
             "nodegroup { name = \"g\", cpu = 4, memory = \"8Gi\", min = 1 }\n"
             "job { name = \"j\", start = \"09:30\", duration = \"5m\" }\n");
    ck_assert_msg(l.s != NULL, "%s", sim_err_msg(&l.err));
    SimConfig cfg = {.seed = 1, .end = scn_duration(l.s), .mem = &l.mem};
    SimEngine *e = sim_engine_create(&cfg);
    WlControllers *wl = wl_create(e);
    ck_assert_int_eq(scn_build(l.s, e, wl), SIM_OK);
    ck_assert(sim_workload(e, 0)->start_at == SIM_SEC(9000));
    ck_assert_uint_eq(sim_node_count(e), 1);
    wl_destroy(wl);
    sim_engine_destroy(e);
    unload(&l);
}
END_TEST

/* A whole run with every section summary.json can have: a served
 * Deployment (slo[]) and expectations that read the summary. */
static const char run_oom_src[] =
    "scenario { name = \"oom\", duration = \"2m\", sample_every = \"60s\" }\n"
    "region { name = \"r\", zones = {\"r-a\"} }\n"
    "nodegroup { name = \"g\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 2 }\n"
    "deployment { name = \"api\", replicas = 2, cpu = \"1\", memory = \"1Gi\",\n"
    "  serve = { service = \"api\", capacity = 100, cpu_per_request = \"5m\", service_time = \"20ms\",\n"
    "            slo_p95 = \"200ms\" } }\n"
    "site { name = \"desk\" }\n"
    "latency { from = \"desk\", to = \"r\", ms = 5 }\n"
    "traffic { site = \"desk\", service = \"api\", rate = 20 }\n"
    "expect(\"cheap\", function(r) return r.cost_usd < 100, tostring(r.cost_usd) end)\n"
    "expect(\"served\", function(r) return #r.slo == 1 end)\n";

typedef struct RunOom {
    const char *path, *dir;
    uint64_t in_summary;    /* runs that failed in summary.json's cJSON, after the trace closed */
} RunOom;

/* Loads, then runs with allocation n (counted from the start of the run)
 * failing. A failed run says "out of memory" and leaves no summary.json. */
static int run_oom(void *ctx, SimMem *m)
{
    RunOom *x = ctx;
    uint64_t n = m->fail_at;
    m->fail_at = 0;
    ScnOptions o = {.path = x->path, .seed = 1};
    SimErr err = SIM_ERR_INIT;
    char sum[600];
    ScnScenario *s = scn_load(m, &o, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    m->fail_at = m->count + n;
    snprintf(sum, sizeof sum, "%s/summary.json", x->dir);
    remove(sum);
    ScnRunOptions ro = {.seed = 1, .dir = x->dir, .no_wall_time = 1};
    ScnRunResult res;
    int rc = scn_run(s, &ro, &res);
    if (rc != SIM_OK)
        sim_err_set(&err, rc, "%s", scn_errmsg(s));
    scn_free(s);
    ck_assert_msg(rc == SIM_OK || (rc == SIM_ENOMEM && strstr(sim_err_msg(&err), "out of memory")),
                  "allocation %llu: %d %s", (unsigned long long)n, rc, sim_err_msg(&err));
    /* Lua clears the sticky oom flag (its GC may recover); the count says
     * whether an allocation failed. */
    ck_assert_msg((rc == SIM_OK) == (m->count < m->fail_at), "allocation %llu: rc %d", (unsigned long long)n, rc);
    ck_assert_msg((rc == SIM_OK) == (access(sum, F_OK) == 0), "allocation %llu: rc %d, summary.json %s",
                  (unsigned long long)n, rc, rc ? "written" : "missing");
    x->in_summary += rc != SIM_OK && res.trace_sha256[0] && strcmp(sim_err_msg(&err), "out of memory") == 0;
    return rc != SIM_OK;
}

static int count_items(const cJSON *j)
{
    int n = 1;
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next)
        n += count_items(c);
    return n;
}

/* Out of memory at every allocation of a run, summary.json's building (cJSON
 * through the scenario's SimMem), the expectations and its printing
 * included: an error, no summary.json and no leak every time, and the run at
 * the end. Every item of the summary costs an allocation that fails once. */
START_TEST(scn_run_oom_sweep_reaches_the_summary)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/runoom", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    RunOom x = {tr_write(tmpdir, "runoom.lua", run_oom_src), dir, 0};
    ts_oom_sweep(run_oom, &x, 0, 1000000);
    char path[700];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    size_t len;
    cJSON *sum = cJSON_Parse(tf_slurp(path, &len));
    int items = count_items(sum);
    cJSON_Delete(sum);
    ck_assert_int_gt(items, 50);
    ck_assert_msg(x.in_summary >= (uint64_t)items, "%llu failures in summary.json's %d items",
                  (unsigned long long)x.in_summary, items);
}
END_TEST

/* One whole run of src (a file in tmpdir) on its own SimMem into dir. */
typedef struct ThreadRun {
    const char *path;
    char dir[600];
    SimMem m;
    int rc;
    uint64_t mine;           /* allocations of the string made while both scopes are open */
    SimErr err;
    pthread_barrier_t *go;   /* NULL: alone */
} ThreadRun;

static void *thread_run(void *arg)
{
    ThreadRun *t = arg;
    sim_mem_init(&t->m);
    ScnOptions o = {.path = t->path, .seed = 1};
    /* A scope of the caller's around the whole run, open on both threads at
     * once (the barriers): the run's own scopes nest in it, on its thread. */
    SimJsonScope js;
    sim_json_begin(&js, &t->m);
    if (t->go)
        pthread_barrier_wait(t->go);
    ScnScenario *s = scn_load(&t->m, &o, &t->err);
    ScnRunOptions ro = {.seed = 1, .dir = t->dir, .no_wall_time = 1};
    ScnRunResult res;
    t->rc = s ? scn_run(s, &ro, &res) : SIM_EINVAL;
    if (s && t->rc != SIM_OK)
        sim_err_set(&t->err, t->rc, "%s", scn_errmsg(s));
    scn_free(s);
    if (t->go)
        pthread_barrier_wait(t->go);
    uint64_t before = t->m.count;
    cJSON *mine = cJSON_CreateString("allocated while both scopes are open");
    t->mine = t->m.count - before;
    if (t->go)
        pthread_barrier_wait(t->go);
    cJSON_Delete(mine);
    if (sim_json_end(&js) != SIM_OK && t->rc == SIM_OK)
        t->rc = SIM_ENOMEM;
    return NULL;
}

/* Two runs of different scenarios on two threads at once, each inside a scope
 * of its own that stays open while the other runs: each run frees all it
 * took from its own SimMem, each summary.json (cJSON, whose hooks are
 * process-wide) is the one of the run alone, and a string made while both
 * scopes are open counts in its own thread's SimMem. (Whole runs' counts are
 * not compared: two runs of one scenario in one process may differ by one.) */
START_TEST(scn_two_runs_on_two_threads_count_their_own_allocations)
{
    static const char *const src[2] = {
        run_oom_src,
        "scenario { name = \"other\", duration = \"5m\", sample_every = \"60s\" }\n"
        "region { name = \"r\", zones = {\"r-a\", \"r-b\"} }\n"
        "nodegroup { name = \"g\", cpu = \"4\", memory = \"16Gi\", min = 2, max = 3 }\n"
        "deployment { name = \"w\", replicas = 5, cpu = \"1\", memory = \"1Gi\" }\n"
        "expect(\"five\", function(r) return r.pods.created == 5 end)\n"};
    ThreadRun alone[2], both[2];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "thr%d.lua", i);
        const char *path = tr_write(tmpdir, name, src[i]);
        alone[i] = (ThreadRun){.path = strdup(path)};
        both[i] = (ThreadRun){.path = alone[i].path, .go = &go};
        snprintf(alone[i].dir, sizeof alone[i].dir, "%s/alone%d", tmpdir, i);
        snprintf(both[i].dir, sizeof both[i].dir, "%s/both%d", tmpdir, i);
        ck_assert_int_eq(mkdir(alone[i].dir, 0700), 0);
        ck_assert_int_eq(mkdir(both[i].dir, 0700), 0);
        thread_run(&alone[i]);
        ck_assert_msg(alone[i].rc == SIM_OK, "%s", sim_err_msg(&alone[i].err));
    }
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, thread_run, &both[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(both[i].rc == SIM_OK, "%s", sim_err_msg(&both[i].err));
        ck_assert_uint_eq(both[i].mine, alone[i].mine);
        ck_assert_int_eq(both[i].m.live, 0);
        char a[700], b[700];
        snprintf(a, sizeof a, "%s/summary.json", alone[i].dir);
        snprintf(b, sizeof b, "%s/summary.json", both[i].dir);
        size_t la, lb;
        char *ta = strdup(tf_slurp(a, &la));
        ck_assert_str_eq(tf_slurp(b, &lb), ta);
        free(ta);
        free((char *)alone[i].path);
    }
    pthread_barrier_destroy(&go);
}
END_TEST

START_TEST(scn_load_oom_sweep_leaks_nothing)
{
    const char *src = "local n = param(\"n\", 2)\nregion { name = \"r\", zones = {\"a\", \"b\"} }\n"
                      "nodegroup { name = \"g\", cpu = 4, memory = \"8Gi\", min = 1, labels = {x = \"y\", a = \"b\"},"
                      " taints = {\"k=v:NoSchedule\", \"gpu:NoExecute\"} }\n"
                      "deployment { name = \"d\", replicas = n, tolerations = {\"a:NoSchedule\"},"
                      " affinity = { pod_anti = { required = { { selector = { app = \"d\" },"
                      " topology_key = \"kubernetes.io/hostname\" } } } },"
                      " spread = { { topology_key = \"z\", selector = { app = \"d\" } } } }\n"
                      "expect(\"ok\", function(r) return true end)\n";
    tl_load_oom_sweep(tr_write(tmpdir, "oom.lua", src));
}
END_TEST


static const char podspec_src[] =
    "region { name = \"r\", zones = {\"r-a\", \"r-b\"} }\n"
        "deployment { name = \"api\", replicas = 2,\n"
    "  labels = { app = \"api\", tier = \"web\" },\n"
    "  node_selector = { disk = \"ssd\" },\n"
    "  tolerations = { \"gpu=yes:NoSchedule\", \"spot:NoExecute\", { operator = \"Exists\" },\n"
    "                  { key = \"k\", operator = \"Equal\", value = \"v\", effect = \"NoExecute\", seconds = 30 } },\n"
    "  affinity = {\n"
    "    node = { required = { { { key = \"zone\", operator = \"In\", values = { \"a\", \"b\" } } },\n"
    "                          { { key = \"cores\", operator = \"Gt\", values = { \"8\" } } } },\n"
    "             preferred = { { weight = 30, match = { { key = \"ssd\", operator = \"Exists\" } } } } },\n"
    "    pod = { required = { { selector = { app = \"db\" }, topology_key = \"topology.kubernetes.io/zone\" } } },\n"
    "    pod_anti = { preferred = { { weight = 100, selector = { match_expressions = {\n"
    "        { key = \"app\", operator = \"In\", values = { \"api\" } } } }, topology_key = \"kubernetes.io/hostname\" } } } },\n"
    "  spread = { { max_skew = 2, topology_key = \"topology.kubernetes.io/zone\", selector = { app = \"api\" },\n"
    "               min_domains = 2 } },\n"
    "}\n";

START_TEST(scn_podspec_fields_reach_the_workload)
{
    Loaded l;
    load(&l, podspec_src);
    ck_assert_msg(l.s != NULL, "%s", sim_err_msg(&l.err));
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(60), .mem = &l.mem};
    SimEngine *e = sim_engine_create(&cfg);
    WlControllers *wl = wl_create(e);
    ck_assert_int_eq(scn_build(l.s, e, wl), SIM_OK);
    const SimPodSpec *sp = &sim_workload(e, 0)->spec;
    ck_assert_uint_eq(sp->nlabels, 2);
    ck_assert_str_eq(sp->labels[0].key, "app");   /* sorted by key */
    ck_assert_str_eq(sp->labels[1].value, "web");
    ck_assert_uint_eq(sp->node_selector.nreqs, 1);
    ck_assert_int_eq(sp->node_selector.reqs[0].op, SIM_SEL_IN);
    ck_assert_uint_eq(sp->ntolerations, 4);
    ck_assert_int_eq(sp->tolerations[0].op, SIM_TOL_EQUAL);
    ck_assert_str_eq(sp->tolerations[0].value, "yes");
    ck_assert_int_eq(sp->tolerations[0].effect, SIM_TAINT_NO_SCHEDULE);
    ck_assert_int_eq(sp->tolerations[1].op, SIM_TOL_EXISTS);
    ck_assert_int_eq(sp->tolerations[1].effect, SIM_TAINT_NO_EXECUTE);
    ck_assert_int_eq(sp->tolerations[2].effect, -1);
    ck_assert(sp->tolerations[3].seconds == 30);
    ck_assert_uint_eq(sp->nnode_required, 2);
    ck_assert_uint_eq(sp->node_required[0].reqs[0].nvalues, 2);
    ck_assert_int_eq(sp->node_required[1].reqs[0].op, SIM_SEL_GT);
    ck_assert_int_eq(sp->node_preferred[0].weight, 30);
    ck_assert_uint_eq(sp->affinity.nreq_affinity, 1);
    ck_assert_str_eq(sp->affinity.req_affinity[0].topology_key, "topology.kubernetes.io/zone");
    ck_assert_uint_eq(sp->affinity.npref_anti, 1);
    ck_assert_int_eq(sp->affinity.pref_anti[0].weight, 100);
    ck_assert_uint_eq(sp->nspread, 1);
    ck_assert_int_eq(sp->spread[0].max_skew, 2);
    ck_assert_int_eq(sp->spread[0].do_not_schedule, 1);
    ck_assert_int_eq(sp->spread[0].min_domains, 2);
    SimKV lab[] = {{"app", "api"}};
    ck_assert(sim_selector_matches(&sp->spread[0].selector, lab, 1));
    wl_destroy(wl);
    sim_engine_destroy(e);
    unload(&l);
}
END_TEST

START_TEST(scn_podspec_defaults_label_app_to_name)
{
    Loaded l;
    load(&l, "region { name = \"r\" }\njob { name = \"nightly\", duration = \"5m\" }\n");
    ck_assert_msg(l.s != NULL, "%s", sim_err_msg(&l.err));
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(60), .mem = &l.mem};
    SimEngine *e = sim_engine_create(&cfg);
    WlControllers *wl = wl_create(e);
    ck_assert_int_eq(scn_build(l.s, e, wl), SIM_OK);
    const SimPodSpec *sp = &sim_workload(e, 0)->spec;
    ck_assert_uint_eq(sp->nlabels, 1);
    ck_assert_str_eq(sp->labels[0].value, "nightly");
    wl_destroy(wl);
    sim_engine_destroy(e);
    unload(&l);
}
END_TEST

START_TEST(scn_podspec_errors_name_the_field_path)
{
    const char *w = "region { name = \"r\" }\n";
    expect_error(cat(w, "deployment { name = \"a\", affinity = { node = { required = { { { key = \"z\", "
                        "operator = \"Inn\", values = { \"x\" } } } } } } }\n"),
                 "s.lua:2: deployment 'a': field 'affinity.node.required[1][1]'", "operator 'Inn'");
    expect_error(cat(w, "deployment { name = \"a\", affinity = { nod = {} } }\n"),
                 "unknown field 'nod'", "did you mean 'node'?");
    expect_error(cat(w, "deployment { name = \"a\", tolerations = { \"gpu=yes:Never\" } }\n"),
                 "field 'tolerations[1]'", "effect must be");
    expect_error(cat(w, "deployment { name = \"a\", spread = { { topology_key = \"z\", "
                        "when_unsatisfiable = \"Maybe\" } } }\n"),
                 "field 'spread[1]'", "DoNotSchedule or ScheduleAnyway");
    expect_error(cat(w, "deployment { name = \"a\", spread = { { max_skew = 0, topology_key = \"z\" } } }\n"),
                 "field 'spread[1]'", "out of range");
    expect_error(cat(w, "deployment { name = \"a\", affinity = { node = { required = { { { key = \"z\", "
                        "operator = \"Exists\", values = { \"x\" } } } } } } }\n"),
                 "Exists/DoesNotExist takes no values", NULL);
    expect_error(cat(w, "deployment { name = \"a\", labels = { app = 3 } }\n"),
                 "field 'labels'", "must be strings");
    expect_error(cat(w, "deployment { name = \"a\", nodeSelector = { a = \"b\" } }\n"),
                 "unknown field 'nodeSelector'", "did you mean 'node_selector'?");
    expect_error(cat(w, "deployment { name = \"a\", affinity = { pod = { required = { { topology_key = \"z\" } } } } }\n"),
                 "field 'affinity.pod.required[1]'", "'selector' is required");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scenarios");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, scn_default_scenario_loads);
    tcase_add_test(tc, scn_unknown_field_suggests_nearest);
    tcase_add_test(tc, scn_malformed_quantity_names_field_and_line);
    tcase_add_test(tc, scn_negative_quantity_refused);
    tcase_add_test(tc, scn_syntax_error_names_file_and_line);
    tcase_add_test(tc, scn_runtime_error_names_file_and_line);
    tcase_add_test(tc, scn_wrong_types_and_units_named);
    tcase_add_test(tc, scn_references_must_be_declared);
    tcase_add_test(tc, scn_min_greater_than_max_refused);
    tcase_add_test(tc, scn_duplicate_and_invalid_names_refused);
    tcase_add_test(tc, scn_param_default_and_set_override);
    tcase_add_test(tc, scn_set_errors_are_named);
    tcase_add_test(tc, scn_sandbox_refuses_escapes);
    tcase_add_test(tc, scn_bytecode_is_refused);
    tcase_add_test(tc, scn_instruction_budget_stops_infinite_loop);
    tcase_add_test(tc, scn_memory_cap_stops_runaway_allocation);
    tcase_add_test(tc, scn_math_random_is_seeded);
    tcase_add_test(tc, scn_missing_file_is_named);
    tcase_add_test(tc, scn_durations_and_clock_times_parse_exactly);
    tcase_add_test(tc, scn_job_start_is_relative_to_scenario_start);
    tcase_add_test(tc, scn_load_oom_sweep_leaks_nothing);
    tcase_add_test(tc, scn_run_oom_sweep_reaches_the_summary);
    tcase_add_test(tc, scn_two_runs_on_two_threads_count_their_own_allocations);
    tcase_add_test(tc, scn_podspec_fields_reach_the_workload);
    tcase_add_test(tc, scn_podspec_defaults_label_app_to_name);
    tcase_add_test(tc, scn_podspec_errors_name_the_field_path);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tr_main(suite(), tmpdir);
}
