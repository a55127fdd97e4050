/*
 * test_registry.c: a controller added without touching sim/. The toy below
 * lives only in this file: it registers its event kind, its trace record kind
 * (with the JSON name `kubesim trace dump` prints), its summary.json section
 * and its metrics.csv rows through the engine's registries, runs in an
 * engine, and shows up in every output. Also pins the order of the real
 * modules' summary sections (DESIGN.md §5) and that a trace kind number is
 * claimed once.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scheduler/ca.h"
#include "scheduler/sched.h"
#include "sim/json.h"
#include "sim/metrics.h"
#include "sim/summary.h"
#include "sim/trace.h"
#include "workloads/faults.h"
#include "workloads/wl.h"

#include "tr.h"

static char tmpdir[] = "/tmp/kubesim-registry-XXXXXX";

/* ---- the toy controller ---------------------------------------------------- */

#define TOY_TR_TICK 100   /* a free trace record number: a toy's, never shipped */
#define TOY_EVERY SIM_SEC(10)
#define TOY_RANK 650      /* between backtests (600) and slo (700) */

static const SimTrKindDef toy_kinds[] = {
    {TOY_TR_TICK, "toy_tick", "is", {"n", "note"}},
};

static int toy_trace_kinds(SimTrSchema *s)
{
    return sim_trschema_add(s, toy_kinds, 1);
}

typedef struct Toy {
    uint16_t ev;
    int64_t ticks;
} Toy;

static void toy_on_tick(void *ctx, SimEngine *e, const SimEvent *ev)
{
    Toy *t = ctx;
    t->ticks++;
    sim_trace_rec(e, TOY_TR_TICK, (SimTrVal[]){SIM_TRI(t->ticks), SIM_TRS("tock")}, 2);
    (void)sim_schedule(e, sim_now(e) + TOY_EVERY, ev->kind, 0, 0, 0);
}

static int toy_summary(void *ctx, SimEngine *e, cJSON *o)
{
    const Toy *t = ctx;
    (void)e;
    SimSummaryNum n[] = {{"ticks", (double)t->ticks}};
    return sim_summary_add_counts(o, "toy", n, 1);
}

static void toy_sample(void *ctx, SimEngine *e, SimMetrics *mt)
{
    const Toy *t = ctx;
    sim_metrics_row(mt, sim_now(e), "all", "toy", "toy-0", "ticks", (double)t->ticks);
}

/* What a controller's create function does at start-up. */
static void toy_start(Toy *t, SimEngine *e, SimMetrics *mt)
{
    ck_assert_int_eq(sim_event_kind(e, "toy", toy_on_tick, t, &t->ev), SIM_OK);
    ck_assert_int_eq(sim_trace_register(e, "toy", toy_trace_kinds), SIM_OK);
    ck_assert_int_eq(sim_summary_section(e, TOY_RANK, toy_summary, t), SIM_OK);
    ck_assert_int_eq(sim_metrics_add_sampler(mt, toy_sample, t), SIM_OK);
    ck_assert_int_eq(sim_schedule(e, 0, t->ev, 0, 0, 0), SIM_OK);
}

/* ---- helpers ----------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static int dump_to(const SimTrSchema *s, const char *trace, const char *out_path)
{
    SimMem m;
    sim_mem_init(&m);
    FILE *out = fopen(out_path, "w"), *err = fopen("/dev/null", "w");
    ck_assert(out && err);
    int rc = sim_trace_dump(&m, s, trace, out, err);
    fclose(out);
    fclose(err);
    return rc;
}

/* ---- tests --------------------------------------------------------------------- */

/* The toy's events run every 10 s for 60 s (t = 0, 10, ..., 60: 7 ticks), each
 * writes a toy_tick record, its section lands by rank between quota and
 * expectations, and each sample (every 30 s and the final one) has its row. */
START_TEST(toy_controller_registers_everything_outside_sim)
{
    char trace[600], csv[600], dump[600];
    SimErr err = SIM_ERR_INIT;
    snprintf(trace, sizeof trace, "%s/toy.kst", tmpdir);
    snprintf(csv, sizeof csv, "%s/toy.csv", tmpdir);
    snprintf(dump, sizeof dump, "%s/toy.jsonl", tmpdir);
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(60), .queue = SIM_EVQ_FAST, .mem = NULL};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    SimTraceWriter *tw = sim_trace_create(sim_mem(e), sim_trace_schema(e), trace, "{}", &err);
    ck_assert_msg(tw != NULL, "%s", sim_err_msg(&err));
    sim_set_trace(e, tw);
    SimMetrics *mt = sim_metrics_open(sim_mem(e), csv, &err);
    ck_assert_msg(mt != NULL, "%s", sim_err_msg(&err));
    Toy toy = {0};
    toy_start(&toy, e, mt);
    ck_assert_uint_ge(toy.ev, SIM_EV_CORE_COUNT);
    ck_assert_str_eq(sim_event_kind_name(e, toy.ev), "toy");
    ck_assert_int_eq(sim_metrics_attach(e, mt, SIM_SEC(30)), SIM_OK);
    while (sim_step(e) == SIM_OK) {
    }
    sim_metrics_final(e);
    ck_assert_int_eq(toy.ticks, 7);

    SimSummaryInfo info = {.scenario = "toy"};
    cJSON *sum = sim_summary_build(e, &info);
    ck_assert_ptr_nonnull(sum);
    const cJSON *section = cJSON_GetObjectItemCaseSensitive(sum, "toy");
    ck_assert_ptr_nonnull(section);
    ck_assert_str_eq(section->prev->string, "quota");
    ck_assert_str_eq(section->next->string, "expectations");
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(section, "ticks")->valuedouble, 7);
    cJSON_Delete(sum);

    ck_assert_int_eq(sim_trace_close(tw, NULL), SIM_OK);
    ck_assert_int_eq(sim_metrics_close(mt), SIM_OK);
    sim_engine_destroy(e);

    /* A reader without the engine: every shipped module's kinds plus the toy's. */
    SimTrSchema s;
    ck_assert_int_eq(scn_trace_schema(&s), SIM_OK);
    ck_assert_int_eq(dump_to(&s, trace, dump), SIM_ECORRUPT);   /* the toy's kind is unknown to it */
    ck_assert_int_eq(toy_trace_kinds(&s), SIM_OK);
    ck_assert_int_eq(dump_to(&s, trace, dump), SIM_OK);
    char *lines = slurp(dump);
    ck_assert_uint_eq(count(lines, "\"kind\":\"toy_tick\""), 7);
    ck_assert_ptr_nonnull(strstr(lines, "{\"t_ns\":60000000000,\"kind\":\"toy_tick\",\"n\":7,\"note\":\"tock\"}\n"));
    free(lines);
    char *rows = slurp(csv);
    ck_assert_uint_eq(count(rows, ",all,toy,toy-0,ticks,"), 3);   /* t = 0, 30, 60 */
    /* at 30 s the sample (queued at 0) runs before the tick (queued at 20) */
    ck_assert_ptr_nonnull(strstr(rows, "\n30,all,toy,toy-0,ticks,3\n"));
    free(rows);
    unlink(trace);
    unlink(csv);
    unlink(dump);
}
END_TEST

/* The real modules' sections, registered as each starts (in any order), come
 * out in DESIGN.md §5's order; a toy rank slots in where its number says. */
START_TEST(modules_summary_sections_in_design_order)
{
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(1), .queue = SIM_EVQ_FAST, .mem = NULL};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    SchedScheduler *sched = sched_create(e);
    ck_assert_ptr_nonnull(sched);
    WlFaults *faults = NULL;
    WlControllers *wl = wl_create(e);
    ck_assert_ptr_nonnull(wl);
    faults = wl_fault_create(e, wl);   /* before the autoscaler: the rank decides, not the order */
    ck_assert_ptr_nonnull(faults);
    SchedCaConfig cc;
    sched_ca_config_default(&cc);
    SchedCa *ca = sched_ca_create(sched, &cc);
    ck_assert_ptr_nonnull(ca);
    Toy toy = {0};
    ck_assert_int_eq(sim_summary_section(e, TOY_RANK, toy_summary, &toy), SIM_OK);
    SimSummaryInfo info = {.scenario = "modules"};
    cJSON *sum = sim_summary_build(e, &info);
    ck_assert_ptr_nonnull(sum);
    static const char *const keys[] = {"schema", "scenario", "seed", "sim_seconds", "wall_seconds", "events",
                                       "trace_sha256", "cost_usd", "regions", "namespaces", "pods", "hpa",
                                       "autoscaler", "quota", "jobs", "faults", "backtests", "toy", "slo",
                                       "expectations"};
    size_t k = 0;
    for (const cJSON *it = sum->child; it; it = it->next, k++) {
        ck_assert_uint_lt(k, sizeof keys / sizeof keys[0]);
        ck_assert_str_eq(it->string, keys[k]);
    }
    ck_assert_uint_eq(k, sizeof keys / sizeof keys[0]);
    cJSON_Delete(sum);
    sched_ca_destroy(ca);
    wl_fault_destroy(faults);
    wl_destroy(wl);
    sched_destroy(sched);
    sim_engine_destroy(e);
}
END_TEST

/* The summary built with its cJSON allocations coming from m (a scope of
 * json.h), whose allocation number fail_at fails (0: none); NULL on failure. */
static cJSON *build_failing(SimMem *m, SimEngine *e, uint64_t fail_at)
{
    sim_mem_init(m);
    m->fail_at = fail_at;
    SimJsonScope js;
    sim_json_begin(&js, m);
    SimSummaryInfo info = {.scenario = "oom", .expectations = NULL};
    cJSON *sum = sim_summary_build(e, &info);
    if (sim_json_end(&js) != SIM_OK)
        ck_assert_msg(sum == NULL, "allocation %llu failed, yet a summary came back", (unsigned long long)fail_at);
    return sum;
}

/* Each allocation of the summary failing in turn: every one is needed, so
 * the build returns NULL (never a summary with a key missing) and frees
 * what it had made. */
START_TEST(summary_oom_sweep_returns_null_and_leaks_nothing)
{
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(1), .queue = SIM_EVQ_FAST, .mem = NULL};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    uint32_t r, ns, g;
    ck_assert_int_eq(sim_region_add(e, "eu-west", &r), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(e, "team", &ns), SIM_OK);
    SimNodeGroup spec = {.name = "std", .region = r, .price_per_hour = 1.0, .max = 3,
                         .alloc = {.cpu_m = 4000, .mem = INT64_C(8) << 30, .pods = 110}};
    ck_assert_int_eq(sim_nodegroup_add(e, &spec, &g), SIM_OK);
    SchedScheduler *sched = sched_create(e);
    WlControllers *wl = wl_create(e);
    ck_assert(sched && wl);
    WlFaults *faults = wl_fault_create(e, wl);
    SchedCaConfig cc;
    sched_ca_config_default(&cc);
    SchedCa *ca = sched_ca_create(sched, &cc);
    ck_assert(faults && ca);
    SimMem m;
    cJSON *whole = build_failing(&m, e, 0);
    ck_assert_ptr_nonnull(whole);
    uint64_t total = m.count;
    cJSON_Delete(whole);
    ck_assert_int_eq(m.live, 0);
    ck_assert_uint_gt(total, 40);   /* every section allocates */
    for (uint64_t n = 1; n <= total; n++) {
        cJSON *sum = build_failing(&m, e, n);
        ck_assert_msg(sum == NULL, "allocation %llu of %llu failed, yet a summary came back",
                      (unsigned long long)n, (unsigned long long)total);
        ck_assert_msg(m.live == 0, "failing allocation %llu: %lld bytes left", (unsigned long long)n,
                      (long long)m.live);
    }
    sched_ca_destroy(ca);
    wl_fault_destroy(faults);
    wl_destroy(wl);
    sched_destroy(sched);
    sim_engine_destroy(e);
}
END_TEST

/* A trace kind number is claimed once: a module asking for the HPA's 35 with
 * another schema is refused with a message naming it, and adds nothing. */
static const SimTrKindDef thief_kinds[] = {
    {110, "thief_ok", "i", {"id"}},
    {35, "thief", "i", {"id"}},
};

static int thief_trace_kinds(SimTrSchema *s)
{
    return sim_trschema_add(s, thief_kinds, 2);
}

START_TEST(trace_kind_number_registered_twice_is_an_error)
{
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(1), .queue = SIM_EVQ_FAST, .mem = NULL};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    WlControllers *wl = wl_create(e);   /* registers the HPA's kind 35 */
    ck_assert_ptr_nonnull(wl);
    ck_assert_str_eq(sim_trschema_get(sim_trace_schema(e), 35)->name, "hpa");
    ck_assert_int_eq(sim_trace_register(e, "thief", thief_trace_kinds), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(e), "thief: a trace record kind's number or name is taken"));
    ck_assert_ptr_null(sim_trschema_get(sim_trace_schema(e), 110));
    ck_assert_str_eq(sim_trschema_get(sim_trace_schema(e), 35)->name, "hpa");
    ck_assert_int_eq(sim_trace_register(e, "toy", toy_trace_kinds), SIM_OK);
    ck_assert_int_eq(sim_trace_register(e, "toy", toy_trace_kinds), SIM_OK);   /* the same again */
    wl_destroy(wl);
    sim_engine_destroy(e);
}
END_TEST

/* Event kinds are handed out in order after the engine's own and run out
 * with a message, never silently. */
static void nop(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)ctx;
    (void)e;
    (void)ev;
}

START_TEST(event_kinds_are_numbered_after_the_core_and_run_out_cleanly)
{
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(1), .queue = SIM_EVQ_FAST, .mem = NULL};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    uint16_t k = 0;
    for (unsigned i = SIM_EV_CORE_COUNT; i < SIM_EV_MAX_KINDS; i++) {
        ck_assert_int_eq(sim_event_kind(e, "many", nop, NULL, &k), SIM_OK);
        ck_assert_uint_eq(k, i);
    }
    ck_assert_int_eq(sim_event_kind(e, "one too many", nop, NULL, &k), SIM_ESTATE);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(e), "cannot register event kind one too many"));
    ck_assert_uint_eq(sim_event_kind_find(e, "many"), SIM_EV_CORE_COUNT);
    ck_assert_uint_eq(sim_event_kind_find(e, "absent"), SIM_EV_NONE);
    ck_assert_ptr_null(sim_event_kind_name(e, SIM_EV_POD_STARTED));
    sim_engine_destroy(e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, toy_controller_registers_everything_outside_sim);
    tcase_add_test(tc, modules_summary_sections_in_design_order);
    tcase_add_test(tc, summary_oom_sweep_returns_null_and_leaks_nothing);
    tcase_add_test(tc, trace_kind_number_registered_twice_is_an_error);
    tcase_add_test(tc, event_kinds_are_numbered_after_the_core_and_run_out_cleanly);
    suite_add_tcase(s, tc);
    return tr_main(s, tmpdir);
}
