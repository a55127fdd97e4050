/*
 * test_world.c: the one world builder (scenarios/world.c) and what STYLE.md's
 * "no mutable global state" promises: two simulations of two different
 * shipped scenarios, each loaded and run in its own thread of one process at
 * the same time, give the very traces they give alone (and that
 * tests/golden/hashes.txt pins for `kubesim run`). Also: a world of objects
 * only holds no running part, a populated world (no scenario) builds its
 * objects through the callback, a failing build leaves its message on the
 * handle, and an out-of-memory sweep of the builder leaks nothing.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scheduler/ca.h"
#include "scheduler/sched.h"

#include "tb.h"
#include "ts.h"

static char tmpdir[] = "/tmp/kubesim-world-XXXXXX";

/* One run of a shipped scenario, as `kubesim run SCENARIO` does it (seed 42). */
typedef struct Job {
    const char *name;            /* scenarios/NAME.lua */
    char dir[800];
    int rc;
    SimErr err;
    char sha[65];
} Job;

static void *run_job(void *arg)
{
    Job *j = arg;
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/%s.lua", getenv("KUBESIM_SRC"), j->name);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions so = {.path = path, .seed = 42};
    ScnScenario *s = scn_load(&m, &so, &j->err);
    j->rc = s ? SIM_OK : SIM_EINVAL;
    if (s) {
        ScnRunOptions ro = {.seed = 42, .dir = j->dir};
        ScnRunResult res;
        j->rc = scn_run(s, &ro, &res);
        if (j->rc != SIM_OK)
            sim_err_set(&j->err, j->rc, "%s", scn_errmsg(s));
        memcpy(j->sha, res.trace_sha256, sizeof j->sha);
        scn_free(s);
    }
    if (j->rc == SIM_OK && m.live != 0) {
        j->rc = sim_err_set(&j->err, SIM_ESTATE, "%lld bytes leaked", (long long)m.live);
    }
    return NULL;
}

static Job job(const char *name, const char *tag)
{
    Job j;
    memset(&j, 0, sizeof j);
    j.name = name;
    snprintf(j.dir, sizeof j.dir, "%s/%s-%s-XXXXXX", tmpdir, name, tag);
    ck_assert_ptr_nonnull(mkdtemp(j.dir));
    return j;
}

/* The trace hash tests/golden/hashes.txt holds for `kubesim run NAME`. */
static void golden_trace(const char *name, char *out, size_t n)
{
    char path[1024], key[256];
    snprintf(path, sizeof path, "%s/tests/golden/hashes.txt", getenv("KUBESIM_SRC"));
    snprintf(key, sizeof key, "run/%s/42/trace ", name);
    char *text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    const char *line = strstr(text, key);
    ck_assert_msg(line != NULL, "no %s in %s", key, path);
    snprintf(out, n, "%.64s", line + strlen(key));
    free(text);
}

static const char *const pairs[][2] = {
    {"market_open_surge", "region_outage"},
    {"month_end_backtest_storm", "nightly_data_pipeline"},
    {"gpu_training_burst", "quota_contention"},
};

START_TEST(two_engines_in_two_threads_give_their_single_run_traces)
{
    ck_assert_msg(getenv("KUBESIM_SRC") != NULL, "set KUBESIM_SRC (ctest does)");
    const char *const *pair = pairs[_i];
    Job alone[2], together[2];
    for (int k = 0; k < 2; k++) {   /* one at a time, in this thread */
        alone[k] = job(pair[k], "alone");
        run_job(&alone[k]);
        ck_assert_msg(alone[k].rc == SIM_OK, "%s: %s", pair[k], sim_err_msg(&alone[k].err));
    }
    pthread_t t[2];
    for (int k = 0; k < 2; k++) {   /* both at once, a thread each */
        together[k] = job(pair[k], "together");
        ck_assert_int_eq(pthread_create(&t[k], NULL, run_job, &together[k]), 0);
    }
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(pthread_join(t[k], NULL), 0);
    for (int k = 0; k < 2; k++) {
        char golden[65];
        golden_trace(pair[k], golden, sizeof golden);
        ck_assert_msg(together[k].rc == SIM_OK, "%s in a thread: %s", pair[k], sim_err_msg(&together[k].err));
        ck_assert_str_eq(alone[k].sha, golden);
        ck_assert_str_eq(together[k].sha, alone[k].sha);
    }
}
END_TEST

/* ---- the builder ------------------------------------------------------------- */

static const char small_src[] =
    "scenario { name = \"small\", duration = \"10m\", sample_every = \"60s\" }\n"
    "region { name = \"eu\" }\n"
    "nodegroup { name = \"g\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 3, size = 2, price = 1.0 }\n"
    "deployment { name = \"web\", replicas = 3, cpu = \"1\", memory = \"1Gi\" }\n";

static ScnScenario *load_small(SimMem *m)
{
    SimErr err = SIM_ERR_INIT;
    char path[800];
    snprintf(path, sizeof path, "%s/small.lua", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(small_src, f);
    fclose(f);
    ScnOptions so = {.path = path, .seed = 42};
    ScnScenario *s = scn_load(m, &so, &err);
    ck_assert_msg(s != NULL, "%s", sim_err_msg(&err));
    return s;
}

/* export and validate: the objects, and nothing that would run on them. */
START_TEST(world_of_objects_only_has_no_running_parts)
{
    SimMem m;
    sim_mem_init(&m);
    ScnScenario *s = load_small(&m);
    ScnWorldOptions wo = {.seed = 42};
    ScnWorld *w = NULL;
    ck_assert_int_eq(scn_world_open(&w, s, &wo), SIM_OK);
    SimEngine *e = scn_world_engine(w);
    ck_assert_uint_eq(sim_node_count(e), 2);
    ck_assert_uint_eq(sim_workload_count(e), 1);
    ck_assert_ptr_nonnull(scn_world_controllers(w));   /* a scenario's workloads need them */
    ck_assert_ptr_null(scn_world_autoscaler(w));
    char sha[65];
    ck_assert_int_eq(scn_world_finish(w, sha), SIM_OK);   /* no outputs: nothing to close */
    ck_assert_str_eq(sha, "");
    scn_world_close(w);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(world_of_a_run_holds_the_autoscaler)
{
    SimMem m;
    sim_mem_init(&m);
    ScnScenario *s = load_small(&m);
    ScnWorldOptions wo = {.seed = 42, .parts = SCN_WORLD_RUN, .quiet = 1};
    ScnWorld *w = NULL;
    ck_assert_int_eq(scn_world_open(&w, s, &wo), SIM_OK);
    ck_assert_ptr_nonnull(scn_world_autoscaler(w));
    SimEngine *e = scn_world_engine(w);
    int rc;
    while ((rc = sim_step(e)) == SIM_OK) {
    }
    ck_assert_int_eq(rc, SIM_DONE);
    ck_assert_uint_ge(sim_stats(e)->pods_created, 3);   /* the Deployment's controller ran */
    scn_world_close(w);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

typedef struct Pop {
    int calls;
    int fail;
} Pop;

static int populate(void *ctx, SimEngine *e)
{
    Pop *p = ctx;
    p->calls++;
    uint32_t region;
    if (p->fail)
        return sim_fail(e, SIM_EINVAL, "populate says no");
    return sim_region_add(e, "bench", &region);
}

/* A benchmark's synthetic cluster: no scenario, the objects from the callback. */
START_TEST(populated_world_builds_through_the_callback)
{
    Pop p = {0, 0};
    ScnWorldOptions wo = {.seed = 1, .end = SIM_SEC(60), .parts = SCN_WORLD_AUTOSCALER, .populate = populate, .ctx = &p};
    ScnWorld *w = NULL;
    ck_assert_int_eq(scn_world_open(&w, NULL, &wo), SIM_OK);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_uint_eq(sim_region_count(scn_world_engine(w)), 1);
    ck_assert_ptr_null(scn_world_controllers(w));   /* not asked for */
    ck_assert_ptr_nonnull(scn_world_autoscaler(w));
    scn_world_close(w);
}
END_TEST

START_TEST(failed_build_leaves_its_message_on_the_world)
{
    Pop p = {0, 1};
    ScnWorldOptions wo = {.seed = 1, .end = SIM_SEC(60), .populate = populate, .ctx = &p};
    ScnWorld *w = NULL;
    ck_assert_int_eq(scn_world_open(&w, NULL, &wo), SIM_EINVAL);
    ck_assert_ptr_nonnull(w);
    ck_assert_str_eq(scn_world_errmsg(w), "populate says no");
    scn_world_close(w);
    ck_assert_str_eq(scn_world_errmsg(NULL), "out of memory");
}
END_TEST

typedef struct OomCase {
    ScnScenario *s;
    const char *dir;             /* trace.kst and metrics.csv here, or NULL */
} OomCase;

static int oom_open(void *ctx, SimMem *m)
{
    const OomCase *oc = ctx;
    ScnWorldOptions wo = {.seed = 42, .parts = SCN_WORLD_RUN, .mem = m, .dir = oc->dir, .quiet = 1};
    ScnWorld *w = NULL;
    int rc = scn_world_open(&w, oc->s, &wo);
    scn_world_close(w);
    return rc != SIM_OK;
}

/* Allocation N fails for every N: the build reports it and leaks nothing,
 * with and without the run's output files. */
START_TEST(world_oom_sweep_leaks_nothing)
{
    SimMem m;
    sim_mem_init(&m);
    char dir[800];
    snprintf(dir, sizeof dir, "%s/oom-XXXXXX", tmpdir);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    OomCase oc = {load_small(&m), NULL};
    ck_assert_uint_gt(ts_oom_sweep(oom_open, &oc, 1, 100000), 10);
    oc.dir = dir;
    ck_assert_uint_gt(ts_oom_sweep(oom_open, &oc, 1, 100000), 10);
    scn_free(oc.s);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("world");
    TCase *t = tcase_create("threads");
    tcase_add_loop_test(t, two_engines_in_two_threads_give_their_single_run_traces, 0,
                        (int)(sizeof pairs / sizeof pairs[0]));
    suite_add_tcase(s, t);
    t = tcase_create("builder");
    tcase_add_test(t, world_of_objects_only_has_no_running_parts);
    tcase_add_test(t, world_of_a_run_holds_the_autoscaler);
    tcase_add_test(t, populated_world_builds_through_the_callback);
    tcase_add_test(t, failed_build_leaves_its_message_on_the_world);
    tcase_add_test(t, world_oom_sweep_leaks_nothing);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("test_world: mkdtemp");
        return EXIT_FAILURE;
    }
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_world: could not remove %s\n", tmpdir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
