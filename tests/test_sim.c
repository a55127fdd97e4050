/*
 * test_sim.c: the engine layer (links only the sim library). Pins Kubernetes
 * quantity parsing, the seeded RNG streams, the event loop's (time, seq)
 * order, the object model and pod lifecycle with its node-total invariant,
 * cost accrual, summary.json's keys, metrics.csv's shape, all-or-nothing
 * output folders, and that failing allocation N for every N unwinds with
 * SIM_ENOMEM and leaks nothing. Files go to a mkdtemp directory that main()
 * removes; its path reaches the forked tests through the environment.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/json.h"
#include "sim/metrics.h"
#include "sim/model.h"
#include "sim/outdir.h"
#include "sim/policy.h"
#include "sim/summary.h"

#include "tb.h"
#include "tm.h"
#include "tr.h"
#include "ts.h"

#define TMP_ENV "KUBESIM_SIM_TEST_DIR"
#define GIB (INT64_C(1) << 30)
#define MIB (INT64_C(1) << 20)
#define NQUEUES (SIM_EVQ_FAST + 1)

/* ---- helpers ------------------------------------------------------------ */

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv(TMP_ENV);
    ck_assert_ptr_nonnull(dir);
    snprintf(buf, n, "%s/%s", dir, name);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *ent;
    char child[2048];
    while (d && (ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof child, "%s/%s", path, ent->d_name);
        struct stat st;
        if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(child);
        else
            unlink(child);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[4096];
    SimErr err = SIM_ERR_INIT;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ck_assert_msg(sim_write_file(p, text, strlen(text), &err) == 0, "%s", sim_err_msg(&err));
}

static SimEngine *new_engine(uint64_t seed, SimTime end, SimMem *m)
{
    SimConfig cfg = {.seed = seed, .end = end, .queue = SIM_EVQ_FAST, .mem = m};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    return e;
}

/* One region, zone, namespace and node group of 4 CPU / 8 GiB / 110 pods. */
typedef struct World {
    SimEngine *e;
    uint32_t region, zone, ns, group;
} World;

static SimNodeGroup group_spec(uint32_t region, const char *name, uint32_t *zone, double price,
                               SimTime delay)
{
    SimNodeGroup g = {0};
    g.name = (char *)name;
    g.region = region;
    g.alloc = (SimRes){.cpu_m = 4000, .mem = 8 * GIB, .gpu = 0, .pods = 110};
    g.price_per_hour = price;
    g.min = 0;
    g.max = 100;
    g.zones = zone;
    g.nzones = zone ? 1 : 0;
    g.provision_delay = delay;
    return g;
}

static World world(SimTime end, double price, SimTime delay)
{
    World w;
    w.e = new_engine(42, end, NULL);
    ck_assert_int_eq(sim_region_add(w.e, "eu-west", &w.region), SIM_OK);
    ck_assert_int_eq(sim_zone_add(w.e, w.region, "eu-west-a", &w.zone), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w.e, "default", &w.ns), SIM_OK);
    SimNodeGroup g = group_spec(w.region, "general", &w.zone, price, delay);
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &w.group), SIM_OK);
    return w;
}

static uint32_t add_workload(World *w, const char *name, int64_t cpu_m, int64_t mem, SimTime startup,
                             SimTime duration)
{
    SimWorkload wl = {0};
    wl.name = (char *)name;
    wl.kind = duration > 0 ? SIM_WL_JOB : SIM_WL_DEPLOYMENT;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){.cpu_m = cpu_m, .mem = mem, .gpu = 0, .pods = 1};
    wl.spec.startup = startup;
    wl.spec.duration = duration;
    wl.replicas = 1;
    wl.completions = 1;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    return id;
}

static uint32_t add_node(World *w, int ready_now)
{
    uint32_t id;
    ck_assert_int_eq(sim_node_add(w->e, w->group, ready_now, &id), SIM_OK);
    return id;
}

static uint32_t new_pod(World *w, uint32_t wl)
{
    uint32_t id;
    ck_assert_int_eq(sim_pod_create(w->e, wl, &id), SIM_OK);
    return id;
}

static int pod_live_on_node(const SimPod *p)
{
    return p->phase == SIM_POD_BOUND || p->phase == SIM_POD_RUNNING;
}

static void res_add(SimRes *a, const SimRes *b)
{
    a->cpu_m += b->cpu_m;
    a->mem += b->mem;
    a->gpu += b->gpu;
    a->pods += b->pods;
}

static void res_eq(const SimRes *a, const SimRes *b)
{
    ck_assert_int_eq(a->cpu_m, b->cpu_m);
    ck_assert_int_eq(a->mem, b->mem);
    ck_assert_int_eq(a->gpu, b->gpu);
    ck_assert_int_eq(a->pods, b->pods);
}

/* The model's invariant: each node's req and nz_req are the sums over its
 * bound, not terminated pods, and its intrusive list holds exactly those. */
static void check_node_totals(SimEngine *e)
{
    for (uint32_t n = 0; n < sim_node_count(e); n++) {
        SimRes req = {0}, nz = {0};
        uint32_t live = 0, listed = 0;
        for (uint32_t i = 0; i < sim_pod_count(e); i++) {
            const SimPod *p = sim_pod(e, i);
            if (p->node == n && pod_live_on_node(p)) {
                res_add(&req, &p->req);
                res_add(&nz, &p->nz_req);
                live++;
            }
        }
        const SimNode *nd = sim_node(e, n);
        for (uint32_t i = nd->pods_head; i != SIM_NONE; i = sim_pod(e, i)->node_next) {
            ck_assert_uint_eq(sim_pod(e, i)->node, n);
            ck_assert(pod_live_on_node(sim_pod(e, i)));
            listed++;
        }
        res_eq(&nd->req, &req);
        res_eq(&nd->nz_req, &nz);
        ck_assert_uint_eq(listed, live);
    }
}

/* ---- hooks: a test handler for the "test" event kind -------------------------------- */
#define MAX_SEEN 4096

typedef struct Seen {
    uint32_t aux[MAX_SEEN];
    SimTime t[MAX_SEEN];
    size_t n;
    SimEngine *e;
} Seen;

static void on_hook_record(void *ctx, SimEngine *e, const SimEvent *ev)
{
    Seen *s = ctx;
    ck_assert_uint_lt(s->n, MAX_SEEN);
    s->aux[s->n] = ev->aux;
    s->t[s->n] = sim_now(e);
    s->n++;
}

/* Runs the engine until simulated time t has been reached (a marker event at
 * t, scheduled now, runs after the events already queued for t). */
static void on_marker(void *ctx, SimEngine *e, const SimEvent *ev)
{
    (void)e;
    (void)ev;
    *(int *)ctx = 1;
}

static void run_to(SimEngine *e, SimTime t)
{
    int hit = 0;
    unsigned hk = ts_event_kind(e, on_marker, &hit);
    ck_assert_int_eq(sim_schedule(e, t, hk, 0, 0, 0), SIM_OK);
    while (!hit)
        ck_assert_int_eq(sim_step(e), SIM_OK);
    ck_assert_int_eq(sim_now(e), t);
}

static void run_to_end(SimEngine *e)
{
    int rc;
    while ((rc = sim_step(e)) == SIM_OK) {
    }
    ck_assert_int_eq(rc, SIM_DONE);
}

/* ---- quantities (k8s.io/apimachinery resource.Quantity) ----------------- */

static int64_t qty(const char *s, int milli)
{
    int64_t v = -7;
    const char *why = NULL;
    int rc = sim_quantity_parse(s, milli, &v, &why);
    ck_assert_msg(rc == SIM_OK, "'%s' (milli %d) refused: %s", s, milli, why ? why : "?");
    return v;
}

START_TEST(quantity_cpu_parses_to_exact_millicores)
{
    ck_assert_int_eq(qty("500m", 1), 500);
    ck_assert_int_eq(qty("2", 1), 2000);
    ck_assert_int_eq(qty("0.1", 1), 100);
    ck_assert_int_eq(qty("1.5", 1), 1500);
    ck_assert_int_eq(qty("0", 1), 0);
    ck_assert_int_eq(qty("250m", 1), 250);
    ck_assert_int_eq(qty("+3", 1), 3000);
    ck_assert_int_eq(qty("1e3", 1), 1000000);   /* 1000 cores */
    ck_assert_int_eq(qty("1k", 1), 1000000);
    ck_assert_int_eq(qty("1e-3", 1), 1);         /* one millicore */
}
END_TEST

START_TEST(quantity_memory_parses_binary_and_decimal_suffixes)
{
    ck_assert_int_eq(qty("4Gi", 0), INT64_C(4294967296));
    ck_assert_int_eq(qty("512Mi", 0), 512 * MIB);
    ck_assert_int_eq(qty("1Ki", 0), 1024);
    ck_assert_int_eq(qty("1Ti", 0), INT64_C(1) << 40);
    ck_assert_int_eq(qty("1G", 0), INT64_C(1000000000));
    ck_assert_int_eq(qty("512M", 0), INT64_C(512000000));
    ck_assert_int_eq(qty("100k", 0), 100000);
    ck_assert_int_eq(qty("1e3", 0), 1000);
    ck_assert_int_eq(qty("1E3", 0), 1000);
    ck_assert_int_eq(qty("1.5Gi", 0), INT64_C(1610612736));
    ck_assert_int_eq(qty("123", 0), 123);
    ck_assert_int_eq(qty("1Pi", 0), INT64_C(1) << 50);
    ck_assert_int_eq(qty("1E", 0), INT64_C(1000000000000000000));   /* exa */
}
END_TEST

/* "Ei" is the binary suffix 2^60 (upstream's suffixer), not the exponent
 * form "E<int>", and what sim_quantity_format writes must parse back. */
START_TEST(quantity_exbibyte_suffix_is_binary_not_an_exponent)
{
    ck_assert_int_eq(qty("1Ei", 0), INT64_C(1) << 60);
    ck_assert_int_eq(qty("7Ei", 0), INT64_C(7) << 60);
    char buf[64];
    sim_quantity_format(INT64_C(7) << 60, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "7Ei");
    ck_assert_int_eq(qty(buf, 0), INT64_C(7) << 60);
}
END_TEST

/* Upstream MilliValue()/Value() round a fraction of the unit up. */
START_TEST(quantity_fraction_of_the_unit_rounds_up)
{
    ck_assert_int_eq(qty("0.0001", 1), 1);
    ck_assert_int_eq(qty("100n", 1), 1);
    ck_assert_int_eq(qty("1.0001", 1), 1001);
    ck_assert_int_eq(qty("1m", 0), 1);
    ck_assert_int_eq(qty("0.5", 0), 1);
    ck_assert_int_eq(qty("1.1Ki", 0), 1127);    /* 1126.4 bytes */
}
END_TEST

static void refused(const char *s, int milli)
{
    int64_t v = -7;
    const char *why = NULL;
    ck_assert_msg(sim_quantity_parse(s, milli, &v, &why) == SIM_EINVAL, "'%s' accepted as %lld", s,
                  (long long)v);
    ck_assert_msg(why != NULL && why[0] != '\0', "'%s' refused without a reason", s);
    ck_assert_int_eq(v, -7);   /* *out untouched */
}

START_TEST(quantity_rejects_malformed_negative_and_out_of_range)
{
    static const char *const bad[] = {"two", "", "-1", "-500m", "1Qi", "1.2.3", "m", "Gi",
                                      "1 Gi", " 1", "1Gi ", "1e", "0x10", "1ee3", "1e1000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        refused(bad[i], 1);
        refused(bad[i], 0);
    }
    refused("9999999999999999999", 0);     /* > INT64_MAX bytes */
    refused("10Ei", 0);
    refused("8Ei", 0);                     /* exactly 2^63 */
    refused("9223372036854776", 1);        /* fits in cores, not in millicores */
    refused("1Ei", 1);
    refused("1e30", 0);
    refused("123456789012345678901234567890123456789012345678901234567890", 0);
}
END_TEST

START_TEST(quantity_format_writes_kubernetes_spelling_and_round_trips)
{
    char buf[64];
    sim_quantity_format(500, 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "500m");
    sim_quantity_format(2000, 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "2");
    sim_quantity_format(4 * GIB, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "4Gi");
    sim_quantity_format(512 * MIB, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "512Mi");
    sim_quantity_format(0, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "0");
    static const int64_t vals[] = {0, 1, 100, 999, 1000, 1500, 2048, 1000000000, 1610612736,
                                   4 * GIB + 1, INT64_C(3) << 50, INT64_MAX};
    for (int milli = 0; milli <= 1; milli++)
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            sim_quantity_format(vals[i], milli, buf, sizeof buf);
            ck_assert_msg(qty(buf, milli) == vals[i], "%lld -> '%s' does not round trip",
                          (long long)vals[i], buf);
        }
}
END_TEST

/* ---- random streams ------------------------------------------------------ */

START_TEST(rng_same_seed_and_stream_give_the_same_sequence)
{
    SimRng a, b;
    sim_rng_seed(&a, 12345, 2);
    sim_rng_seed(&b, 12345, 2);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(sim_rng_u64(&a), sim_rng_u64(&b));
}
END_TEST

static int same_prefix(uint64_t seed1, uint64_t s1, uint64_t seed2, uint64_t s2)
{
    SimRng a, b;
    sim_rng_seed(&a, seed1, s1);
    sim_rng_seed(&b, seed2, s2);
    int same = 0;
    for (int i = 0; i < 64; i++)
        same += sim_rng_u64(&a) == sim_rng_u64(&b);
    return same;
}

START_TEST(rng_different_streams_and_seeds_differ)
{
    for (uint64_t s = 1; s < SIM_RNG_COUNT + 4; s++)
        ck_assert_int_eq(same_prefix(7, 0, 7, s), 0);
    ck_assert_int_eq(same_prefix(7, 0, 8, 0), 0);
    ck_assert_int_eq(same_prefix(0, 0, 0, 1), 0);
    ck_assert_int_eq(same_prefix(0, 1, 1, 0), 0);
}
END_TEST

START_TEST(rng_below_stays_in_range_and_reaches_every_value)
{
    static const uint64_t ns[] = {1, 2, 3, 7, 10, 1000, (UINT64_C(1) << 63) + 1, UINT64_MAX};
    SimRng r;
    sim_rng_seed(&r, 99, 0);
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int i = 0; i < 5000; i++)
            ck_assert_uint_lt(sim_rng_below(&r, ns[k]), ns[k]);
    int hits[7] = {0};
    for (int i = 0; i < 7000; i++)
        hits[sim_rng_below(&r, 7)]++;
    for (int v = 0; v < 7; v++)
        ck_assert_int_gt(hits[v], 0);
    for (int i = 0; i < 5000; i++) {
        double u = sim_rng_unit(&r);
        ck_assert(u >= 0.0 && u < 1.0);
    }
}
END_TEST

/* ---- the event loop ------------------------------------------------------- */

static void on_hook_chain(void *ctx, SimEngine *e, const SimEvent *ev)
{
    on_hook_record(ctx, e, ev);
    if (ev->aux == 2) {   /* scheduled during t=3: after what is already queued */
        ck_assert_int_eq(sim_schedule(e, sim_now(e), ev->kind, 0, 0, 7), SIM_OK);
        ck_assert_int_eq(sim_schedule(e, SIM_SEC(5), ev->kind, 0, 0, 8), SIM_OK);
    }
}

START_TEST(engine_equal_times_run_in_scheduling_order)
{
    SimConfig cfg = {.seed = 1, .end = SIM_SEC(100), .queue = (SimEvqKind)_i, .mem = NULL};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    Seen s = {.n = 0};
    unsigned hk = ts_event_kind(e, on_hook_chain, &s);
    static const struct { int64_t t; uint32_t aux; } plan[] = {
        {5, 1}, {3, 2}, {5, 3}, {5, 4}, {3, 5}, {0, 6}};
    for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++)
        ck_assert_int_eq(sim_schedule(e, SIM_SEC(plan[i].t), hk, 0, 0, plan[i].aux), SIM_OK);
    run_to_end(e);
    static const uint32_t want[] = {6, 2, 5, 7, 1, 3, 4, 8};
    ck_assert_uint_eq(s.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s.n; i++)
        ck_assert_msg(s.aux[i] == want[i], "event %zu: aux %u, want %u", i, s.aux[i], want[i]);
    ck_assert_uint_eq(sim_stats(e)->events, 8);
    sim_engine_destroy(e);
}
END_TEST

typedef struct Hold {
    SimRng rng;
    SimTime last;
    int ran, budget;
} Hold;

static void on_hook_hold(void *ctx, SimEngine *e, const SimEvent *ev)
{
    Hold *h = ctx;
    ck_assert_int_ge(sim_now(e), h->last);
    h->last = sim_now(e);
    h->ran++;
    if (h->budget-- > 0) {
        SimTime dt = (SimTime)sim_rng_below(&h->rng, 4) * SIM_MS(250);   /* often 0: equal times */
        ck_assert_int_eq(sim_schedule(e, sim_now(e) + dt, ev->kind, 0, 0, 0), SIM_OK);
    }
}

START_TEST(engine_time_never_goes_backwards)
{
    SimConfig cfg = {.seed = 3, .end = SIM_TIME_MAX, .queue = (SimEvqKind)_i, .mem = NULL};
    SimEngine *e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(e);
    Hold h = {.last = 0, .ran = 0, .budget = 5000};
    sim_rng_seed(&h.rng, 3, 9);
    unsigned hk = ts_event_kind(e, on_hook_hold, &h);
    for (int i = 0; i < 300; i++) {
        SimTime t = (SimTime)sim_rng_below(&h.rng, 1000) * SIM_MS(10);
        ck_assert_int_eq(sim_schedule(e, t, hk, 0, 0, 0), SIM_OK);
    }
    run_to_end(e);
    ck_assert_int_eq(h.ran, 5300);
    ck_assert_uint_eq(sim_stats(e)->events, 5300);
    sim_engine_destroy(e);
}
END_TEST

START_TEST(engine_step_returns_done_after_end)
{
    SimEngine *e = new_engine(1, SIM_SEC(10), NULL);
    Seen s = {.n = 0};
    unsigned hk = ts_event_kind(e, on_hook_record, &s);
    ck_assert_int_eq(sim_schedule(e, SIM_SEC(4), hk, 0, 0, 1), SIM_OK);
    ck_assert_int_eq(sim_schedule(e, SIM_SEC(10), hk, 0, 0, 2), SIM_OK);   /* at end: runs */
    ck_assert_int_eq(sim_schedule(e, SIM_SEC(10) + 1, hk, 0, 0, 3), SIM_OK);
    ck_assert_int_eq(sim_schedule(e, SIM_SEC(50), hk, 0, 0, 4), SIM_OK);
    ck_assert_int_eq(sim_step(e), SIM_OK);
    ck_assert_int_eq(sim_now(e), SIM_SEC(4));
    ck_assert_int_eq(sim_step(e), SIM_OK);
    ck_assert_int_eq(sim_now(e), SIM_SEC(10));
    ck_assert_int_eq(sim_step(e), SIM_DONE);
    ck_assert_int_eq(sim_now(e), SIM_SEC(10));
    ck_assert_int_eq(sim_step(e), SIM_DONE);   /* stays done */
    ck_assert_uint_eq(s.n, 2);
    ck_assert_uint_eq(sim_stats(e)->events, 2);
    ck_assert_int_eq(sim_end(e), SIM_SEC(10));
    ck_assert_uint_eq(sim_seed(e), 1);
    sim_engine_destroy(e);

    /* An empty queue ends the run too, with the clock at the end. */
    e = new_engine(1, SIM_SEC(30), NULL);
    ck_assert_int_eq(sim_step(e), SIM_DONE);
    ck_assert_int_eq(sim_now(e), SIM_SEC(30));
    sim_engine_destroy(e);
}
END_TEST

/* ---- objects and the pod lifecycle ---------------------------------------- */

START_TEST(node_ready_now_is_ready_at_once)
{
    World w = world(SIM_SEC(100), 1.0, SIM_SEC(60));
    uint32_t n = add_node(&w, 1);
    const SimNode *nd = sim_node(w.e, n);
    ck_assert_int_eq(nd->state, SIM_NODE_READY);
    ck_assert_uint_eq(nd->group, w.group);
    ck_assert_uint_eq(nd->region, w.region);
    ck_assert_uint_eq(nd->zone, w.zone);
    ck_assert_int_eq(nd->alloc.cpu_m, 4000);
    ck_assert_int_eq(nd->alloc.pods, 110);
    ck_assert_uint_eq(nd->pods_head, SIM_NONE);
    char name[64];
    sim_node_name(w.e, n, name, sizeof name);
    ck_assert_str_eq(name, "general-0");
    ck_assert_uint_eq(sim_region(w.e, w.region)->live_nodes, 1);
    ck_assert_uint_eq(sim_nodegroup(w.e, w.group)->live_nodes, 1);
    ck_assert_int_eq(sim_nodegroup(w.e, w.group)->alloc_total.cpu_m, 4000);
    sim_engine_destroy(w.e);
}
END_TEST

START_TEST(node_with_provisioning_delay_is_ready_only_after_it)
{
    World w = world(SIM_SEC(100), 1.0, SIM_SEC(60));
    run_to(w.e, SIM_SEC(5));
    uint32_t n = add_node(&w, 0);
    ck_assert_int_eq(sim_node(w.e, n)->state, SIM_NODE_PROVISIONING);
    ck_assert_int_eq(sim_node(w.e, n)->added_at, SIM_SEC(5));
    ck_assert_uint_eq(sim_region(w.e, w.region)->nodes_peak, 1);
    run_to(w.e, SIM_SEC(65) - 1);
    ck_assert_int_eq(sim_node(w.e, n)->state, SIM_NODE_PROVISIONING);
    run_to(w.e, SIM_SEC(65));
    ck_assert_int_eq(sim_node(w.e, n)->state, SIM_NODE_READY);
    sim_engine_destroy(w.e);
}
END_TEST

START_TEST(pod_goes_pending_bound_running_succeeded_at_spec_times)
{
    World w = world(SIM_SEC(100), 1.0, 0);
    uint32_t n = add_node(&w, 1);
    uint32_t wl = add_workload(&w, "batch", 500, 256 * MIB, SIM_SEC(3), SIM_SEC(20));
    run_to(w.e, SIM_SEC(1));
    uint32_t p = new_pod(&w, wl);
    const SimPod *pod = sim_pod(w.e, p);
    ck_assert_int_eq(pod->phase, SIM_POD_PENDING);
    ck_assert_uint_eq(pod->node, SIM_NONE);
    ck_assert_int_eq(pod->created_at, SIM_SEC(1));
    ck_assert_int_eq(pod->req.pods, 1);
    char name[64];
    sim_pod_name(w.e, p, name, sizeof name);
    ck_assert_str_eq(name, "batch-0");
    {   /* a many-digit ordinal, cut as snprintf cuts it at every buffer size */
        uint32_t q = p;
        for (int i = 0; i < 12; i++)
            q = new_pod(&w, wl);
        for (size_t sz = 0; sz <= 10; sz++) {
            char got[16], want[16];
            memset(got, 'x', sizeof got);
            memset(want, 'x', sizeof want);
            sim_pod_name(w.e, q, got, sz);
            snprintf(want, sz, "%s-%u", "batch", 12u);
            ck_assert_mem_eq(got, want, sizeof got);
        }
        for (int i = 0; i < 12; i++)
            ck_assert_int_eq(sim_pod_delete(w.e, q - (uint32_t)i), SIM_OK);
    }
    run_to(w.e, SIM_SEC(2));
    ck_assert_int_eq(sim_pod_bind(w.e, p, n), SIM_OK);
    pod = sim_pod(w.e, p);
    ck_assert_int_eq(pod->phase, SIM_POD_BOUND);
    ck_assert_uint_eq(pod->node, n);
    ck_assert_int_eq(pod->bound_at, SIM_SEC(2));
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 500);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_bound, 1);
    ck_assert_uint_eq(sim_stats(w.e)->pods_scheduled, 1);
    run_to(w.e, SIM_SEC(5) - 1);
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_BOUND);
    run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_RUNNING);
    ck_assert_int_eq(sim_pod(w.e, p)->started_at, SIM_SEC(5));
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_bound, 0);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_running, 1);
    run_to(w.e, SIM_SEC(25) - 1);
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_RUNNING);
    run_to(w.e, SIM_SEC(25));
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_SUCCEEDED);
    ck_assert_int_eq(sim_pod(w.e, p)->ended_at, SIM_SEC(25));
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_running, 0);
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 0);
    ck_assert_int_eq(sim_node(w.e, n)->req.pods, 0);
    ck_assert_uint_eq(sim_node(w.e, n)->pods_head, SIM_NONE);
    sim_engine_destroy(w.e);
}
END_TEST

START_TEST(node_totals_equal_live_pod_requests_at_every_step)
{
    World w = world(SIM_SEC(300), 1.0, 0);
    uint32_t nodes[3];
    for (int i = 0; i < 3; i++)
        nodes[i] = add_node(&w, 1);
    uint32_t svc = add_workload(&w, "svc", 0, 0, SIM_SEC(2), 0);           /* no requests */
    uint32_t job = add_workload(&w, "job", 700, 300 * MIB, SIM_SEC(1), SIM_SEC(40));
    uint32_t gpu = add_workload(&w, "gpu", 250, 0, 0, SIM_SEC(15));
    uint32_t pods[12];
    for (int i = 0; i < 12; i++) {
        uint32_t wl = i % 3 == 0 ? svc : i % 3 == 1 ? job : gpu;
        pods[i] = new_pod(&w, wl);
        check_node_totals(w.e);
        ck_assert_int_eq(sim_pod_bind(w.e, pods[i], nodes[i % 3]), SIM_OK);
        check_node_totals(w.e);
    }
    int steps = 0, rc;
    while ((rc = sim_step(w.e)) == SIM_OK) {
        check_node_totals(w.e);
        if (++steps == 5) {   /* delete a Bound-or-Running service pod and a job pod mid-run */
            ck_assert_int_eq(sim_pod_delete(w.e, pods[0]), SIM_OK);
            ck_assert_int_eq(sim_pod_delete(w.e, pods[4]), SIM_OK);
            check_node_totals(w.e);
        }
    }
    ck_assert_int_eq(rc, SIM_DONE);
    check_node_totals(w.e);
    /* The service pods run until deleted; delete the rest: totals back to zero. */
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(sim_pod_delete(w.e, pods[i]), SIM_OK);
        check_node_totals(w.e);
    }
    for (int i = 0; i < 3; i++) {
        const SimNode *nd = sim_node(w.e, nodes[i]);
        ck_assert_int_eq(nd->req.cpu_m, 0);
        ck_assert_int_eq(nd->req.mem, 0);
        ck_assert_int_eq(nd->req.pods, 0);
        ck_assert_int_eq(nd->nz_req.cpu_m, 0);
        ck_assert_int_eq(nd->nz_req.mem, 0);
        ck_assert_int_eq(nd->nz_req.pods, 0);
        ck_assert_uint_eq(nd->pods_head, SIM_NONE);
    }
    const SimNodeGroup *g = sim_nodegroup(w.e, w.group);
    ck_assert_int_eq(g->req_total.cpu_m, 0);
    ck_assert_int_eq(g->req_total.mem, 0);
    ck_assert_int_eq(g->req_total.pods, 0);
    sim_engine_destroy(w.e);
}
END_TEST

/* Pod records are paged (here 4 to a page) and a page is recycled once all
 * of its pods are gone (deleted, or ended and then deleted) and all of its
 * ids handed out: the memory follows the pods alive. Ids are never reused;
 * a recycled pod reads as a tombstone (Deleted, no workload, the dead
 * generation), deleting it again does nothing, and a page of live, ended or
 * not-yet-handed-out pods stays. */
START_TEST(pod_records_are_recycled_once_their_pods_are_gone)
{
    SimConfig cfg = {.seed = 42, .end = SIM_SEC(100), .queue = SIM_EVQ_FAST, .pod_page = 4};
    World w;
    w.e = sim_engine_create(&cfg);
    ck_assert_ptr_nonnull(w.e);
    ck_assert_int_eq(sim_region_add(w.e, "eu-west", &w.region), SIM_OK);
    ck_assert_int_eq(sim_zone_add(w.e, w.region, "eu-west-a", &w.zone), SIM_OK);
    ck_assert_int_eq(sim_namespace_add(w.e, "default", &w.ns), SIM_OK);
    SimNodeGroup g = group_spec(w.region, "general", &w.zone, 1.0, 0);
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &w.group), SIM_OK);
    uint32_t n = add_node(&w, 1);
    uint32_t wl = add_workload(&w, "svc", 100, GIB / 8, 0, SIM_SEC(10));
    size_t page;
    uint32_t pod[12];
    for (int i = 0; i < 12; i++) {
        pod[i] = new_pod(&w, wl);
        ck_assert_uint_eq(pod[i], (uint32_t)i);
        if (i < 8)
            ck_assert_int_eq(sim_pod_bind(w.e, pod[i], n), SIM_OK);
    }
    page = sim_pod_bytes(w.e) / 3;
    ck_assert_uint_eq(page, 4 * sizeof(SimPod));
    run_to(w.e, SIM_SEC(5));   /* 0-7 Running, 8-11 Pending */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(sim_pod_delete(w.e, pod[i]), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, pod[3])->phase, SIM_POD_DELETED);   /* held until the next step */
    ck_assert_uint_eq(sim_pod(w.e, pod[3])->wl, wl);
    run_to(w.e, SIM_SEC(6));
    ck_assert_uint_eq(sim_pod_bytes(w.e), 2 * page);
    ck_assert_uint_eq(sim_pod_bytes_peak(w.e), 3 * page);
    const SimPod *dead = sim_pod(w.e, pod[0]);
    ck_assert_int_eq(dead->phase, SIM_POD_DELETED);
    ck_assert_uint_eq(dead->wl, SIM_NONE);
    ck_assert_uint_eq(dead->node, SIM_NONE);
    ck_assert_uint_eq(dead->gen, SIM_POD_DEAD_GEN);
    ck_assert_int_eq(sim_pod_delete(w.e, pod[0]), SIM_OK);   /* again: nothing */
    char name[64];
    sim_pod_name(w.e, pod[0], name, sizeof name);
    ck_assert_str_eq(name, "pod#0");
    sim_pod_name(w.e, pod[4], name, sizeof name);
    ck_assert_str_eq(name, "svc-4");
    run_to(w.e, SIM_SEC(20));   /* 4-7 Succeeded: ended objects still exist, their page stays */
    ck_assert_int_eq(sim_pod(w.e, pod[5])->phase, SIM_POD_SUCCEEDED);
    ck_assert_uint_eq(sim_pod_bytes(w.e), 2 * page);
    for (int i = 4; i < 8; i++)
        ck_assert_int_eq(sim_pod_delete(w.e, pod[i]), SIM_OK);
    uint32_t more = new_pod(&w, wl);   /* id 12: a new page, while 4-7's goes at the next step */
    ck_assert_uint_eq(more, 12);
    ck_assert_int_eq(sim_pod_delete(w.e, more), SIM_OK);   /* 13-15 not handed out: the page stays */
    run_to(w.e, SIM_SEC(21));
    ck_assert_uint_eq(sim_pod_bytes(w.e), 2 * page);   /* 8-11 pending, 12-15 */
    ck_assert_uint_eq(sim_pod(w.e, pod[6])->gen, SIM_POD_DEAD_GEN);
    ck_assert_int_eq(sim_pod(w.e, pod[9])->phase, SIM_POD_PENDING);
    ck_assert_uint_eq(sim_pod_count(w.e), 13);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_created, 13);
    ck_assert_int_eq(sim_node(w.e, n)->req.pods, 0);
    ck_assert_msg(sim_check(w.e) == SIM_OK, "%s", sim_errmsg(w.e));
    check_node_totals(w.e);
    sim_engine_destroy(w.e);
}
END_TEST

START_TEST(pod_delete_frees_node_resources_in_every_phase)
{
    World w = world(SIM_SEC(100), 1.0, 0);
    uint32_t n = add_node(&w, 1);
    uint32_t wl = add_workload(&w, "svc", 1000, GIB, SIM_SEC(5), 0);
    uint32_t pending = new_pod(&w, wl), kept = new_pod(&w, wl), running = new_pod(&w, wl);
    ck_assert_int_eq(sim_pod_bind(w.e, kept, n), SIM_OK);
    ck_assert_int_eq(sim_pod_bind(w.e, running, n), SIM_OK);
    run_to(w.e, SIM_SEC(5));
    ck_assert_int_eq(sim_pod(w.e, running)->phase, SIM_POD_RUNNING);
    uint32_t late = new_pod(&w, wl);
    ck_assert_int_eq(sim_pod_bind(w.e, late, n), SIM_OK);
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 3000);
    ck_assert_int_eq(sim_node(w.e, n)->req.mem, 3 * GIB);

    ck_assert_int_eq(sim_pod_delete(w.e, pending), SIM_OK);
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 3000);
    ck_assert_int_eq(sim_pod_delete(w.e, running), SIM_OK);
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 2000);
    ck_assert_int_eq(sim_pod_delete(w.e, late), SIM_OK);   /* Bound, start-up pending */
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 1000);
    ck_assert_int_eq(sim_node(w.e, n)->req.pods, 1);
    check_node_totals(w.e);
    ck_assert_int_eq(sim_pod(w.e, late)->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_pod_delete(w.e, late), SIM_OK);    /* twice is harmless */
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 1000);
    run_to(w.e, SIM_SEC(20));   /* the cancelled start of `late` must not revive it */
    ck_assert_int_eq(sim_pod(w.e, late)->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_pod(w.e, kept)->phase, SIM_POD_RUNNING);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_running, 1);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_bound, 0);
    ck_assert_int_eq(sim_pod_delete(w.e, kept), SIM_OK);
    ck_assert_int_eq(sim_node(w.e, n)->req.cpu_m, 0);
    ck_assert_int_eq(sim_node(w.e, n)->req.pods, 0);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_running, 0);
    check_node_totals(w.e);
    sim_engine_destroy(w.e);
}
END_TEST

/* ---- graceful termination ------------------------------------------------------- */
/* A listener standing for a workload with work in flight: each pod needs
 * `need` after SIGTERM; pod_gone calls are recorded. */
typedef struct Busy {
    SimTime need;
    int terminated, gone;
    SimTime gone_at;
} Busy;

static SimTime busy_stopping(void *ctx, SimEngine *e, uint32_t pod)
{
    (void)e;
    (void)pod;
    return ((Busy *)ctx)->need;
}

static void busy_terminated(void *ctx, SimEngine *e, uint32_t pod)
{
    (void)e;
    (void)pod;
    ((Busy *)ctx)->terminated++;
}

static void busy_gone(void *ctx, SimEngine *e, uint32_t pod)
{
    (void)pod;
    ((Busy *)ctx)->gone++;
    ((Busy *)ctx)->gone_at = sim_now(e);
}

static uint32_t graceful_world(World *w, Busy *b, SimTime grace, uint32_t *node)
{
    *w = world(SIM_SEC(1000), 0, 0);
    *node = add_node(w, 1);
    SimWorkload wl = {0};
    wl.name = "worker";
    wl.kind = SIM_WL_DEPLOYMENT;
    wl.ns = w->ns;
    wl.region = w->region;
    wl.spec.req = (SimRes){.cpu_m = 1000, .mem = GIB, .gpu = 0, .pods = 1};
    wl.spec.startup = SIM_SEC(1);
    wl.spec.termination_grace = grace;
    wl.spec.termination_grace_set = grace >= 0;
    wl.replicas = 1;
    uint32_t id;
    ck_assert_int_eq(sim_workload_add(w->e, &wl, &id), SIM_OK);
    SimListener l = {.ctx = b, .pod_stopping = busy_stopping, .pod_terminated = busy_terminated,
                     .pod_gone = busy_gone};
    ck_assert_int_eq(sim_engine_listen(w->e, &l), SIM_OK);
    uint32_t pod = new_pod(w, id);
    ck_assert_int_eq(sim_pod_bind(w->e, pod, *node), SIM_OK);
    run_to(w->e, SIM_SEC(10));
    ck_assert_int_eq(sim_pod(w->e, pod)->phase, SIM_POD_RUNNING);
    return pod;
}

/* Upstream: a deleted pod is Terminating, and its node keeps its requests
 * until the container is gone. Here: gone when its work ends (need < grace). */
START_TEST(terminating_pod_holds_its_node_until_its_work_ends)
{
    World w;
    Busy b = {SIM_SEC(12), 0, 0, 0};
    uint32_t node, pod = graceful_world(&w, &b, -1, &node);
    ck_assert_int_eq(sim_pod(w.e, pod)->grace, SIM_DEFAULT_TERMINATION_GRACE);
    ck_assert_int_eq(sim_pod_delete(w.e, pod), SIM_OK);
    const SimPod *p = sim_pod(w.e, pod);
    ck_assert_int_eq(p->phase, SIM_POD_DELETED);
    ck_assert_int_eq(p->terminating, 1);
    ck_assert_int_eq(b.terminated, 1);   /* controllers see it go at once */
    ck_assert_int_eq(sim_node(w.e, node)->req.cpu_m, 1000);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_running, 0);
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    ck_assert_int_eq(sim_pod_delete(w.e, pod), SIM_OK);   /* again: the grace period stands */
    run_to(w.e, SIM_SEC(21));
    ck_assert_int_eq(sim_node(w.e, node)->req.cpu_m, 1000);
    ck_assert_int_eq(b.gone, 0);
    run_to(w.e, SIM_SEC(23));
    ck_assert_int_eq(b.gone, 1);
    ck_assert_int_eq(b.gone_at, SIM_SEC(22));
    ck_assert_int_eq(sim_pod(w.e, pod)->terminating, 0);
    ck_assert_int_eq(sim_node(w.e, node)->req.cpu_m, 0);
    ck_assert_int_eq(sim_node(w.e, node)->pods_head, SIM_NONE);
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    ck_assert_int_eq(b.terminated, 1);
    sim_engine_destroy(w.e);
}
END_TEST

/* Work that outlasts terminationGracePeriodSeconds: the kubelet kills the pod
 * at the end of the grace period. */
START_TEST(terminating_pod_is_killed_when_its_grace_period_ends)
{
    World w;
    Busy b = {SIM_SEC(100), 0, 0, 0};
    uint32_t node, pod = graceful_world(&w, &b, SIM_SEC(5), &node);
    ck_assert_int_eq(sim_pod_delete(w.e, pod), SIM_OK);
    run_to(w.e, SIM_SEC(16));
    ck_assert_int_eq(b.gone, 1);
    ck_assert_int_eq(b.gone_at, SIM_SEC(15));
    ck_assert_int_eq(sim_node(w.e, node)->req.cpu_m, 0);
    sim_engine_destroy(w.e);
}
END_TEST

/* Grace 0, nothing in flight, a node being removed (pod GC force-deletes):
 * the resources go at once. */
START_TEST(pod_without_work_or_grace_goes_at_once)
{
    World w;
    Busy b = {SIM_SEC(100), 0, 0, 0};
    uint32_t node, pod = graceful_world(&w, &b, 0, &node);
    ck_assert_int_eq(sim_pod_delete(w.e, pod), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, pod)->terminating, 0);
    ck_assert_int_eq(sim_node(w.e, node)->req.cpu_m, 0);
    sim_engine_destroy(w.e);

    Busy idle = {0, 0, 0, 0};
    pod = graceful_world(&w, &idle, -1, &node);
    ck_assert_int_eq(sim_pod_delete(w.e, pod), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, pod)->terminating, 0);
    ck_assert_int_eq(sim_node(w.e, node)->req.cpu_m, 0);
    sim_engine_destroy(w.e);

    Busy busy = {SIM_SEC(20), 0, 0, 0};
    pod = graceful_world(&w, &busy, -1, &node);
    ck_assert_int_eq(sim_pod_delete(w.e, pod), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, pod)->terminating, 1);
    ck_assert_int_eq(sim_node_remove(w.e, node), SIM_OK);
    ck_assert_int_eq(busy.gone, 1);
    ck_assert_int_eq(sim_pod(w.e, pod)->terminating, 0);
    ck_assert_int_eq(sim_check(w.e), SIM_OK);
    run_to_end(w.e);   /* the cancelled end of the grace period changes nothing */
    ck_assert_int_eq(busy.gone, 1);
    sim_engine_destroy(w.e);
}
END_TEST

/* Upstream NonZeroRequests: 100m CPU and 200 MiB for what a container leaves unset. */
START_TEST(nonzero_requests_default_100m_cpu_and_200mib)
{
    SimRes none = {0, 0, 0, 1};
    SimRes nz = sim_nonzero_requests(&none);
    ck_assert_int_eq(nz.cpu_m, 100);
    ck_assert_int_eq(nz.mem, 200 * MIB);
    ck_assert_int_eq(nz.gpu, 0);
    ck_assert_int_eq(nz.pods, 1);
    SimRes cpu_only = {250, 0, 1, 1};
    nz = sim_nonzero_requests(&cpu_only);
    ck_assert_int_eq(nz.cpu_m, 250);
    ck_assert_int_eq(nz.mem, 200 * MIB);
    ck_assert_int_eq(nz.gpu, 1);
    SimRes both = {1, 1, 0, 1};
    nz = sim_nonzero_requests(&both);
    ck_assert_int_eq(nz.cpu_m, 1);
    ck_assert_int_eq(nz.mem, 1);

    World w = world(SIM_SEC(10), 1.0, 0);
    uint32_t wl = add_workload(&w, "bare", 0, 0, 0, 0);
    const SimPod *p = sim_pod(w.e, new_pod(&w, wl));
    ck_assert_int_eq(p->req.cpu_m, 0);
    ck_assert_int_eq(p->req.mem, 0);
    ck_assert_int_eq(p->nz_req.cpu_m, 100);
    ck_assert_int_eq(p->nz_req.mem, 200 * MIB);
    sim_engine_destroy(w.e);
}
END_TEST

START_TEST(unschedulable_pods_count_pending_and_pending_peak)
{
    World w = world(SIM_SEC(100), 1.0, 0);
    uint32_t n = add_node(&w, 1);
    uint32_t wl = add_workload(&w, "svc", 100, MIB, 0, 0);
    uint32_t p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = new_pod(&w, wl);
        sim_pod_set_unschedulable(w.e, p[i], "0/1 nodes are available: 1 Insufficient cpu.");
    }
    sim_pod_set_unschedulable(w.e, p[0], "again");   /* counted once */
    const SimStats *st = sim_stats(w.e);
    ck_assert_uint_eq(st->pending_now, 3);
    ck_assert_uint_eq(st->pending_peak, 3);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_pending, 3);
    ck_assert_int_eq(sim_pod(w.e, p[0])->unschedulable, 1);
    ck_assert_int_eq(sim_pod_bind(w.e, p[0], n), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, p[0])->unschedulable, 0);
    ck_assert_int_eq(sim_pod_delete(w.e, p[1]), SIM_OK);
    ck_assert_uint_eq(st->pending_now, 1);
    ck_assert_uint_eq(st->pending_peak, 3);
    ck_assert_uint_eq(sim_region(w.e, w.region)->pods_pending, 1);
    uint32_t q = new_pod(&w, wl);
    sim_pod_set_unschedulable(w.e, q, "x");
    ck_assert_uint_eq(st->pending_now, 2);
    ck_assert_uint_eq(st->pending_peak, 3);
    ck_assert_uint_eq(st->pods_created, 4);
    sim_engine_destroy(w.e);
}
END_TEST

typedef struct AddLater {
    World *w;
    uint32_t node;
} AddLater;

static void on_hook_add_node(void *ctx, SimEngine *e, const SimEvent *ev)
{
    AddLater *a = ctx;
    (void)e;
    (void)ev;
    a->node = add_node(a->w, 0);
}

/* Nodes are billed per node-second at price/3600 from launch (a provisioning
 * node costs money), and per region. */
START_TEST(cost_accrues_per_node_second_at_hourly_price)
{
    World w = world(SIM_SEC(1000), 3.6, SIM_SEC(120));   /* 0.001 USD per second */
    uint32_t other;
    ck_assert_int_eq(sim_region_add(w.e, "us-east", &other), SIM_OK);
    SimNodeGroup g2 = group_spec(other, "big", NULL, 7.2, 0);
    uint32_t big;
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g2, &big), SIM_OK);
    add_node(&w, 1);
    uint32_t nb;
    ck_assert_int_eq(sim_node_add(w.e, big, 1, &nb), SIM_OK);
    AddLater a = {&w, SIM_NONE};
    unsigned hk = ts_event_kind(w.e, on_hook_add_node, &a);
    ck_assert_int_eq(sim_schedule(w.e, SIM_SEC(100), hk, 0, 0, 0), SIM_OK);
    run_to_end(w.e);
    ck_assert_int_eq(sim_now(w.e), SIM_SEC(1000));
    ck_assert_uint_ne(a.node, SIM_NONE);
    ck_assert_int_eq(sim_node(w.e, a.node)->state, SIM_NODE_READY);
    double total = sim_cost_total(w.e);
    ck_assert_double_eq_tol(sim_region(w.e, w.region)->cost_usd, 1.0 + 0.9, 1e-9);
    ck_assert_double_eq_tol(sim_region(w.e, other)->cost_usd, 2.0, 1e-9);
    ck_assert_double_eq_tol(total, 3.9, 1e-9);
    ck_assert_uint_eq(sim_region(w.e, w.region)->nodes_peak, 2);
    ck_assert_double_eq_tol(sim_cost_total(w.e), 3.9, 1e-9);   /* settling twice adds nothing */
    sim_engine_destroy(w.e);
}
END_TEST

/* A namespace pays its pods' share of their node's price (half for the CPU
 * fraction, half for memory on a node without GPUs) while they are bound;
 * the rest of the node's price is the region's idle cost. */
START_TEST(namespace_pays_its_share_of_requested_resources)
{
    World w = world(SIM_SEC(1000), 3.6, 0);   /* 0.001 USD per node-second */
    uint32_t n = add_node(&w, 1);
    uint32_t wl = add_workload(&w, "web", 2000, 2 * GIB, 0, 0);   /* 1/2 CPU, 1/4 memory */
    uint32_t p = new_pod(&w, wl);
    ck_assert_int_eq(sim_pod_bind(w.e, p, n), SIM_OK);
    run_to_end(w.e);
    sim_cost_settle(w.e);
    double share = 0.5 * 0.5 + 0.5 * 0.25;
    ck_assert_double_eq_tol(sim_pod_cost_share(sim_pod(w.e, p), sim_node(w.e, n)), share, 1e-12);
    ck_assert_double_eq_tol(sim_namespace(w.e, w.ns)->cost_usd, share * 1.0, 1e-9);
    ck_assert_double_eq_tol(sim_cost_idle(w.e, w.region), (1 - share) * 1.0, 1e-9);
    ck_assert_double_eq_tol(sim_nodegroup(w.e, w.group)->cost_usd, 1.0, 1e-9);
    sim_engine_destroy(w.e);
}
END_TEST

/* A GPU node bills half its price by GPU share: a pod with one of four GPUs
 * and nothing else pays an eighth. */
START_TEST(gpu_node_share_weighs_gpus_half)
{
    World w = world(SIM_SEC(10), 3.6, 0);
    SimNode n = {0};
    n.alloc = (SimRes){.cpu_m = 8000, .mem = 8 * GIB, .gpu = 4, .pods = 110};
    SimPod p = {0};
    p.req = (SimRes){.cpu_m = 0, .mem = 0, .gpu = 1, .pods = 1};
    ck_assert_double_eq_tol(sim_pod_cost_share(&p, &n), 0.125, 1e-12);
    p.req = (SimRes){.cpu_m = 16000, .mem = 16 * GIB, .gpu = 8, .pods = 1};   /* over: all of it */
    ck_assert_double_eq_tol(sim_pod_cost_share(&p, &n), 1.0, 1e-12);
    sim_engine_destroy(w.e);
}
END_TEST

/* Removing a node deletes its pods (pod garbage collection), stops its
 * billing and counts it; NotReady marks its Running pods unready and back. */
START_TEST(node_remove_and_not_ready_lifecycle)
{
    World w = world(SIM_SEC(100), 3.6, 0);
    uint32_t n = add_node(&w, 1);
    uint32_t wl = add_workload(&w, "web", 1000, GIB, SIM_SEC(1), 0);
    uint32_t p = new_pod(&w, wl);
    ck_assert_int_eq(sim_pod_bind(w.e, p, n), SIM_OK);
    while (sim_now(w.e) < SIM_SEC(2) && sim_step(w.e) == SIM_OK) {
    }
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_RUNNING);
    ck_assert_int_eq(sim_node_set_ready(w.e, n, 0), SIM_OK);
    ck_assert_int_eq(sim_node(w.e, n)->state, SIM_NODE_NOT_READY);
    ck_assert(sim_pod(w.e, p)->unready);
    ck_assert_uint_eq(sim_region(w.e, w.region)->ready_nodes, 0);
    ck_assert_int_eq(sim_node_set_ready(w.e, n, 1), SIM_OK);
    ck_assert(!sim_pod(w.e, p)->unready);
    ck_assert_uint_eq(sim_region(w.e, w.region)->ready_nodes, 1);
    ck_assert_int_eq(sim_node_cordon(w.e, n, 1), SIM_OK);
    ck_assert(sim_node(w.e, n)->unschedulable);
    ck_assert_int_eq(sim_node_remove(w.e, n), SIM_OK);
    ck_assert_int_eq(sim_pod(w.e, p)->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_node(w.e, n)->state, SIM_NODE_REMOVED);
    ck_assert_uint_eq(sim_region(w.e, w.region)->live_nodes, 0);
    ck_assert_uint_eq(sim_nodegroup(w.e, w.group)->live_nodes, 0);
    /* removals are counted by whoever removes (the autoscaler's own counter) */
    ck_assert_int_eq(sim_node_set_ready(w.e, n, 1), SIM_ESTATE);
    double at_removal = sim_cost_total(w.e);
    run_to_end(w.e);
    ck_assert_double_eq_tol(sim_cost_total(w.e), at_removal, 1e-12);   /* billing stopped */
    sim_engine_destroy(w.e);
}
END_TEST

START_TEST(duplicate_names_are_einval_with_a_message)
{
    World w = world(SIM_SEC(10), 1.0, 0);
    uint32_t id = 77;
    ck_assert_int_eq(sim_region_add(w.e, "eu-west", &id), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(w.e), "eu-west"));
    ck_assert_int_eq(sim_zone_add(w.e, w.region, "eu-west-a", &id), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(w.e), "eu-west-a"));
    ck_assert_int_eq(sim_namespace_add(w.e, "default", &id), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(w.e), "default"));
    SimNodeGroup g = group_spec(w.region, "general", NULL, 1.0, 0);
    ck_assert_int_eq(sim_nodegroup_add(w.e, &g, &id), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(w.e), "general"));
    add_workload(&w, "web", 100, MIB, 0, 0);
    SimWorkload wl = {0};
    wl.name = (char *)"web";
    ck_assert_int_eq(sim_workload_add(w.e, &wl, &id), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(w.e), "web"));
    ck_assert_uint_eq(id, 77);
    ck_assert_uint_eq(sim_region_count(w.e), 1);
    ck_assert_uint_eq(sim_zone_count(w.e), 1);
    ck_assert_uint_eq(sim_namespace_count(w.e), 1);
    ck_assert_uint_eq(sim_nodegroup_count(w.e), 1);
    ck_assert_uint_eq(sim_workload_count(w.e), 1);
    ck_assert_uint_eq(sim_region_find(w.e, "eu-west"), w.region);
    ck_assert_uint_eq(sim_region_find(w.e, "nowhere"), SIM_NONE);
    ck_assert_uint_eq(sim_workload_find(w.e, "web"), 0);
    sim_engine_destroy(w.e);
}
END_TEST

/* The group is copied deeply: the caller's labels, taints and zones may go. */
START_TEST(nodegroup_add_copies_labels_taints_and_zones)
{
    SimEngine *e = new_engine(1, SIM_SEC(10), NULL);
    uint32_t r, za, zb, gid;
    ck_assert_int_eq(sim_region_add(e, "r", &r), SIM_OK);
    ck_assert_int_eq(sim_zone_add(e, r, "za", &za), SIM_OK);
    ck_assert_int_eq(sim_zone_add(e, r, "zb", &zb), SIM_OK);
    char k[3][8] = {"k0", "k1", "k2"}, v[3][8] = {"v0", "v1", "v2"};
    SimKV labels[3] = {{k[0], v[0]}, {k[1], v[1]}, {k[2], v[2]}};
    SimTaint taints[1] = {{k[0], NULL, SIM_TAINT_NO_SCHEDULE}};
    uint32_t zones[2] = {za, zb};
    SimNodeGroup g = group_spec(r, "g", NULL, 1.0, 0);
    g.labels = labels;
    g.nlabels = 3;
    g.taints = taints;
    g.ntaints = 1;
    g.zones = zones;
    g.nzones = 2;
    ck_assert_int_eq(sim_nodegroup_add(e, &g, &gid), SIM_OK);
    memset(k, 'x', sizeof k);
    memset(v, 'y', sizeof v);
    zones[0] = zones[1] = 99;
    const SimNodeGroup *c = sim_nodegroup(e, gid);
    ck_assert_uint_eq(c->nlabels, 3);
    ck_assert_str_eq(c->labels[2].key, "k2");
    ck_assert_str_eq(c->labels[2].value, "v2");
    ck_assert_str_eq(c->taints[0].key, "k0");
    ck_assert_str_eq(c->taints[0].value, "");
    ck_assert_str_eq(c->instance_type, "g");
    uint32_t n[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(sim_node_add(e, gid, 1, &n[i]), SIM_OK);
    ck_assert_uint_eq(sim_node(e, n[0])->zone, za);   /* round-robin over the zones */
    ck_assert_uint_eq(sim_node(e, n[1])->zone, zb);
    ck_assert_uint_eq(sim_node(e, n[2])->zone, za);
    sim_engine_destroy(e);
}
END_TEST

/* ---- summary.json (DESIGN.md §5) ------------------------------------------ */

static const cJSON *item(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(it != NULL, "summary lacks key '%s'", key);
    return it;
}

static void has_number(const cJSON *o, const char *key)
{
    ck_assert_msg(cJSON_IsNumber(item(o, key)), "'%s' is not a number", key);
}

static const cJSON *has_object(const cJSON *o, const char *key, const char *const *nums, size_t n)
{
    const cJSON *it = item(o, key);
    ck_assert_msg(cJSON_IsObject(it), "'%s' is not an object", key);
    for (size_t i = 0; i < n; i++)
        has_number(it, nums[i]);
    return it;
}

/* A bare engine's summary holds the engine's sections only: the run, regions,
 * namespaces, pods, quota and expectations, in DESIGN.md §5's order; the
 * controllers' keys come from their own sections (tests/test_registry.c). */
START_TEST(summary_has_the_engine_keys)
{
    World w = world(SIM_SEC(60), 3.6, 0);
    add_node(&w, 1);
    uint32_t wl = add_workload(&w, "web", 100, MIB, 0, 0);
    new_pod(&w, wl);
    run_to_end(w.e);
    cJSON *exp = cJSON_CreateArray();
    cJSON *one = cJSON_CreateObject();
    cJSON_AddStringToObject(one, "name", "all good");
    cJSON_AddBoolToObject(one, "passed", 1);
    cJSON_AddStringToObject(one, "detail", "");
    cJSON_AddItemToArray(exp, one);
    SimSummaryInfo info = {.scenario = "unit", .wall_seconds = 0.25, .trace_sha256 = "abc", .expectations = exp};
    cJSON *s = sim_summary_build(w.e, &info);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_null(info.expectations);   /* ownership moved */
    static const char *const keys[] = {"schema", "scenario", "seed", "sim_seconds", "wall_seconds", "events",
                                       "trace_sha256", "cost_usd", "regions", "namespaces", "pods", "quota",
                                       "expectations"};
    size_t k = 0;
    for (const cJSON *it = s->child; it; it = it->next, k++) {
        ck_assert_uint_lt(k, sizeof keys / sizeof keys[0]);
        ck_assert_str_eq(it->string, keys[k]);
    }
    ck_assert_uint_eq(k, sizeof keys / sizeof keys[0]);
    ck_assert_str_eq(cJSON_GetStringValue(item(s, "schema")), SIM_SUMMARY_SCHEMA);
    ck_assert_str_eq(cJSON_GetStringValue(item(s, "scenario")), "unit");
    ck_assert_str_eq(cJSON_GetStringValue(item(s, "trace_sha256")), "abc");
    static const char *const top[] = {"seed", "sim_seconds", "wall_seconds", "events", "cost_usd"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        has_number(s, top[i]);
    ck_assert_double_eq(item(s, "seed")->valuedouble, 42);
    ck_assert_double_eq(item(s, "sim_seconds")->valuedouble, 60);
    ck_assert_double_eq(item(s, "events")->valuedouble, (double)sim_stats(w.e)->events);
    ck_assert_double_eq_tol(item(s, "cost_usd")->valuedouble, 0.06, 1e-9);
    const cJSON *regions = item(s, "regions");
    ck_assert(cJSON_IsArray(regions));
    ck_assert_int_eq(cJSON_GetArraySize(regions), 1);
    const cJSON *r0 = cJSON_GetArrayItem(regions, 0);
    ck_assert_str_eq(cJSON_GetStringValue(item(r0, "name")), "eu-west");
    has_number(r0, "nodes_peak");
    has_number(r0, "cost_usd");
    ck_assert_double_eq(item(r0, "nodes_peak")->valuedouble, 1);
    static const char *const pods[] = {"created", "scheduled", "pending_peak", "preempted", "evicted"};
    const cJSON *p = has_object(s, "pods", pods, 5);
    ck_assert_double_eq(item(p, "created")->valuedouble, 1);
    static const char *const quota[] = {"rejections"};
    has_object(s, "quota", quota, 1);
    const cJSON *e = item(s, "expectations");
    ck_assert(cJSON_IsArray(e));
    ck_assert_int_eq(cJSON_GetArraySize(e), 1);
    ck_assert(cJSON_IsTrue(item(cJSON_GetArrayItem(e, 0), "passed")));
    cJSON_Delete(s);
    sim_engine_destroy(w.e);
}
END_TEST

static int section_b(void *ctx, SimEngine *e, cJSON *o)
{
    (void)e;
    return sim_summary_add_number(o, "b", *(double *)ctx);
}

static int section_a(void *ctx, SimEngine *e, cJSON *o)
{
    (void)e;
    SimSummaryNum n[] = {{"x", 1}, {"y", *(double *)ctx}};
    return sim_summary_add_counts(o, "a", n, 2);
}

/* Sections run in rank order, not registration order, and sit between the
 * engine's own by rank; a taken rank, the engine's ranks and ranks out of
 * range are refused with a message. */
START_TEST(summary_sections_run_in_rank_order)
{
    SimEngine *e = new_engine(1, SIM_SEC(1), NULL);
    double vb = 2, va = 3;
    ck_assert_int_eq(sim_summary_section(e, 350, section_b, &vb), SIM_OK);
    ck_assert_int_eq(sim_summary_section(e, 150, section_a, &va), SIM_OK);
    ck_assert_int_eq(sim_summary_section(e, 150, section_b, &vb), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(e), "rank 150 is already taken"));
    ck_assert_int_eq(sim_summary_section(e, SIM_SUMMARY_RANK_QUOTA, section_b, &vb), SIM_EINVAL);
    ck_assert_int_eq(sim_summary_section(e, 0, section_b, &vb), SIM_EINVAL);
    ck_assert_int_eq(sim_summary_section(e, SIM_SUMMARY_RANK_EXPECTATIONS, section_b, &vb), SIM_EINVAL);
    SimSummaryInfo info = {.scenario = "unit"};
    cJSON *s = sim_summary_build(e, &info);
    ck_assert_ptr_nonnull(s);
    const cJSON *pods = item(s, "pods");
    ck_assert_str_eq(pods->next->string, "a");
    ck_assert_str_eq(pods->next->next->string, "quota");
    ck_assert_str_eq(pods->next->next->next->string, "b");
    ck_assert_str_eq(pods->next->next->next->next->string, "expectations");
    ck_assert_double_eq(item(item(s, "a"), "y")->valuedouble, 3);
    ck_assert_double_eq(item(s, "b")->valuedouble, 2);
    cJSON_Delete(s);
    sim_engine_destroy(e);
}
END_TEST

/* ---- metrics.csv ----------------------------------------------------------- */

/* Checks one data row: six fields, a numeric time within the run, a known
 * object kind and a fully numeric value. Returns the row's time in ms. */
static long row_ok(char *line, SimTime end)
{
    char *f[7];
    int nf = 0;
    for (char *save = NULL, *tok = strtok_r(line, ",", &save); tok && nf < 7;
         tok = strtok_r(NULL, ",", &save))
        f[nf++] = tok;
    ck_assert_msg(nf == 6, "row has %d fields", nf);
    char *endp;
    double t = strtod(f[0], &endp);
    ck_assert_msg(*endp == '\0' && t >= 0 && t <= (double)end / 1e9, "bad time '%s'", f[0]);
    if (strcmp(f[2], "namespace") == 0)
        ck_assert_str_eq(f[1], "all");   /* namespaces span regions */
    else
        ck_assert_str_eq(f[1], "eu-west");
    ck_assert_msg(strcmp(f[2], "region") == 0 || strcmp(f[2], "nodegroup") == 0 ||
                      strcmp(f[2], "deployment") == 0 || strcmp(f[2], "job") == 0 ||
                      strcmp(f[2], "namespace") == 0,
                  "bad object '%s'", f[2]);
    ck_assert(f[3][0] != '\0' && f[4][0] != '\0');
    (void)strtod(f[5], &endp);
    ck_assert_msg(*endp == '\0' && f[5][0] != '\0', "bad value '%s'", f[5]);
    return (long)(t * 1000 + 0.5);
}

START_TEST(metrics_csv_has_exact_header_and_well_formed_rows)
{
    char path[1024];
    SimErr err = SIM_ERR_INIT;
    tmp_path(path, sizeof path, "metrics.csv");
    World w = world(SIM_SEC(65), 3.6, 0);
    add_node(&w, 1);
    uint32_t wl = add_workload(&w, "web", 100, MIB, 0, 0);
    new_pod(&w, wl);
    SimMetrics *mt = sim_metrics_open(sim_mem(w.e), path, &err);
    ck_assert_msg(mt != NULL, "%s", sim_err_msg(&err));
    ck_assert_int_eq(sim_metrics_attach(w.e, mt, SIM_SEC(10)), SIM_OK);
    run_to_end(w.e);
    sim_metrics_final(w.e);
    ck_assert_int_eq(sim_metrics_close(mt), SIM_OK);
    sim_engine_destroy(w.e);

    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "t_seconds,region,object,name,metric,value\n");
    int rows = 0;
    long last = -1, times = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        ck_assert_msg(len > 0 && line[len - 1] == '\n', "unterminated row");
        line[len - 1] = '\0';
        long t = row_ok(line, SIM_SEC(65));
        ck_assert_int_ge(t, last);   /* rows in time order */
        times += t != last;
        last = t;
        rows++;
    }
    fclose(f);
    ck_assert_int_gt(rows, 0);
    ck_assert_int_eq(last, 65000);   /* the final sample at the end */
    ck_assert_int_eq(times, 8);      /* 0, 10, ..., 60, and 65: each once */
}
END_TEST

/* ---- output folders ------------------------------------------------------ */

/* begin + commit with a fresh SimMem that must end with nothing live. */
static int outdir_write(const char *dest, int force, const char *const *files, SimErr *err)
{
    SimMem m;
    sim_mem_init(&m);
    SimOutdir o;
    int rc = sim_outdir_begin(&o, &m, dest, force);
    for (size_t i = 0; rc == 0 && files && files[i]; i++) {
        char p[4200];
        const char *slash = strrchr(files[i], '/');
        if (slash) {   /* "sub/x": make sub first */
            snprintf(p, sizeof p, "%s/%.*s", o.tmp, (int)(slash - files[i]), files[i]);
            mkdir(p, 0777);
        }
        put_file(o.tmp, files[i], files[i]);
    }
    if (rc == 0 && (rc = sim_outdir_commit(&o)) != 0)
        sim_outdir_abort(&o);
    if (rc != 0)
        sim_err_copy(err, &o.err);
    ck_assert_int_eq(m.live, 0);
    return rc;
}

START_TEST(outdir_commit_creates_the_destination_with_its_parents)
{
    char dest[1024], p[1200];
    SimMem m;
    sim_mem_init(&m);
    SimOutdir o;
    tmp_path(dest, sizeof dest, "a/b/run1");
    ck_assert_msg(sim_outdir_begin(&o, &m, dest, 0) == 0, "%s", sim_outdir_errmsg(&o));
    ck_assert(is_dir(o.tmp));
    ck_assert(!exists(dest));
    put_file(o.tmp, "summary.json", "{}");
    ck_assert_msg(sim_outdir_commit(&o) == 0, "%s", sim_outdir_errmsg(&o));
    ck_assert_str_eq(o.tmp, "");
    snprintf(p, sizeof p, "%s/summary.json", dest);
    ck_assert(exists(p));
    tmp_path(p, sizeof p, "a/b");
    ck_assert_int_eq(tb_count_entries(p), 1);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* The marker lists what was written, sorted, folders with a final '/'. */
START_TEST(outdir_marker_lists_what_was_written)
{
    char dest[1024], p[1200], text[1024];
    SimErr err = SIM_ERR_INIT;
    static const char *const files[] = {"summary.json", "configs/b", "configs/a", "a.csv", NULL};
    tmp_path(dest, sizeof dest, "marker/run");
    ck_assert_msg(outdir_write(dest, 0, files, &err) == 0, "%s", sim_err_msg(&err));
    snprintf(p, sizeof p, "%s/" SIM_OUTDIR_MARKER, dest);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *body = strchr(text, '\n');
    ck_assert_msg(text[0] == '#' && body != NULL, "%s", text);
    ck_assert_str_eq(body + 1, "a.csv\nconfigs/\nconfigs/a\nconfigs/b\nsummary.json\n");
}
END_TEST

/* A folder kubesim wrote is replaced, subfolders and all, by the next output. */
START_TEST(outdir_commit_replaces_an_earlier_output)
{
    char dest[1024], p[1200];
    SimErr err = SIM_ERR_INIT;
    static const char *const first[] = {"old.txt", "sub/deep.txt", NULL}, *const second[] = {"new.txt", NULL};
    tmp_path(dest, sizeof dest, "c/run2");
    ck_assert_msg(outdir_write(dest, 0, first, &err) == 0, "%s", sim_err_msg(&err));
    ck_assert_msg(outdir_write(dest, 0, second, &err) == 0, "%s", sim_err_msg(&err));
    snprintf(p, sizeof p, "%s/new.txt", dest);
    ck_assert(exists(p));
    snprintf(p, sizeof p, "%s/old.txt", dest);
    ck_assert(!exists(p));
    snprintf(p, sizeof p, "%s/sub", dest);
    ck_assert(!exists(p));
    ck_assert_int_eq(tb_count_entries(dest), 2);   /* new.txt and the marker */
    tmp_path(p, sizeof p, "c");
    ck_assert_int_eq(tb_count_entries(p), 1);   /* no .tmp- or .old- folder left beside it */
}
END_TEST

/* An empty folder is taken; one with a file kubesim did not write is not,
 * whether it has no marker or the file is not in it, and is left as it was. */
START_TEST(outdir_refuses_a_folder_it_did_not_write)
{
    char dest[1024], p[1200];
    SimErr err = SIM_ERR_INIT;
    static const char *const files[] = {"summary.json", NULL};
    tmp_path(dest, sizeof dest, "mine");
    ck_assert_int_eq(mkdir(dest, 0777), 0);
    ck_assert_msg(outdir_write(dest, 0, files, &err) == 0, "%s", sim_err_msg(&err));   /* empty: taken */

    tmp_path(dest, sizeof dest, "project");
    ck_assert_int_eq(mkdir(dest, 0777), 0);
    put_file(dest, "thesis.tex", "years of work");
    ck_assert_int_eq(outdir_write(dest, 0, files, &err), SIM_EINVAL);
    const char *msg = sim_err_msg(&err);
    ck_assert_msg(strstr(msg, "project': refusing to replace") && strstr(msg, "'thesis.tex'") &&
                  strstr(msg, "no .kubesim marker") && strstr(msg, "--force"), "%s", msg);
    ck_assert_int_eq(tb_count_entries(dest), 1);

    tmp_path(dest, sizeof dest, "added");
    ck_assert_msg(outdir_write(dest, 0, files, &err) == 0, "%s", sim_err_msg(&err));
    snprintf(p, sizeof p, "%s/sub", dest);
    ck_assert_int_eq(mkdir(p, 0777), 0);
    put_file(p, "notes.txt", "mine");
    put_file(dest, "z.txt", "mine");
    ck_assert_int_eq(outdir_write(dest, 0, files, &err), SIM_EINVAL);
    ck_assert_msg(strstr(msg, "'sub/' and 1 more entries") && strstr(msg, "not listed in its .kubesim"), "%s", msg);
    snprintf(p, sizeof p, "%s/sub/notes.txt", dest);
    ck_assert(exists(p));
    ck_assert_int_eq(tb_count_entries(dest), 4);
}
END_TEST

/* The destination is checked again at commit: a file that appeared during
 * the run stops the commit, and the temporary folder goes on abort. */
START_TEST(outdir_commit_checks_again)
{
    char dest[1024], p[4200];
    SimErr err = SIM_ERR_INIT;
    static const char *const files[] = {"summary.json", NULL};
    SimMem m;
    sim_mem_init(&m);
    SimOutdir o;
    tmp_path(dest, sizeof dest, "again");
    ck_assert_msg(outdir_write(dest, 0, files, &err) == 0, "%s", sim_err_msg(&err));
    ck_assert_msg(sim_outdir_begin(&o, &m, dest, 0) == 0, "%s", sim_outdir_errmsg(&o));
    put_file(o.tmp, "summary.json", "new");
    put_file(dest, "late.txt", "written while kubesim ran");
    ck_assert_int_eq(sim_outdir_commit(&o), SIM_EINVAL);
    ck_assert_msg(strstr(sim_outdir_errmsg(&o), "'late.txt'") != NULL, "%s", sim_outdir_errmsg(&o));
    snprintf(p, sizeof p, "%s", o.tmp);
    sim_outdir_abort(&o);
    ck_assert(!exists(p));
    snprintf(p, sizeof p, "%s/late.txt", dest);
    ck_assert(exists(p));
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* A file or a symbolic link is never replaced, not even with force. */
START_TEST(outdir_refuses_a_file_or_a_link)
{
    char dest[1024], p[1200];
    SimErr err = SIM_ERR_INIT;
    tmp_path(p, sizeof p, "");
    put_file(p, "plain", "data");
    tmp_path(dest, sizeof dest, "plain");
    ck_assert_int_eq(outdir_write(dest, 1, NULL, &err), SIM_EINVAL);
    ck_assert_msg(strstr(sim_err_msg(&err), "is not a folder (a file)") != NULL, "%s", sim_err_msg(&err));
    tmp_path(p, sizeof p, "linked");
    ck_assert_int_eq(mkdir(p, 0777), 0);
    tmp_path(dest, sizeof dest, "link");
    ck_assert_int_eq(symlink(p, dest), 0);
    ck_assert_int_eq(outdir_write(dest, 1, NULL, &err), SIM_EINVAL);
    ck_assert_msg(strstr(sim_err_msg(&err), "a symbolic link") != NULL, "%s", sim_err_msg(&err));
    ck_assert(is_dir(dest));
}
END_TEST

/* force replaces a folder kubesim did not write, everything in it. */
START_TEST(outdir_force_replaces_any_folder)
{
    char dest[1024], p[1200];
    SimErr err = SIM_ERR_INIT;
    static const char *const files[] = {"summary.json", NULL};
    tmp_path(dest, sizeof dest, "forced");
    ck_assert_int_eq(mkdir(dest, 0777), 0);
    put_file(dest, "old.txt", "x");
    ck_assert_msg(outdir_write(dest, 1, files, &err) == 0, "%s", sim_err_msg(&err));
    snprintf(p, sizeof p, "%s/old.txt", dest);
    ck_assert(!exists(p));
    ck_assert_int_eq(tb_count_entries(dest), 2);
}
END_TEST

/* A marker is only a list of what may go: names it lists that are not in
 * the folder (here one outside it) are never touched. */
START_TEST(outdir_forged_marker_removes_nothing_outside)
{
    char dest[1024], p[1200];
    SimErr err = SIM_ERR_INIT;
    static const char *const files[] = {"summary.json", NULL};
    tmp_path(p, sizeof p, "");
    put_file(p, "victim", "keep me");
    tmp_path(dest, sizeof dest, "forged");
    ck_assert_int_eq(mkdir(dest, 0777), 0);
    put_file(dest, SIM_OUTDIR_MARKER, "# kubesim wrote this folder; it replaces it only while it holds nothing "
                                      "but these entries\n../victim\n");
    ck_assert_msg(outdir_write(dest, 0, files, &err) == 0, "%s", sim_err_msg(&err));
    tmp_path(p, sizeof p, "victim");
    ck_assert(exists(p));
}
END_TEST

START_TEST(outdir_abort_leaves_nothing)
{
    char dest[1024], p[4200], tmp[4096];
    SimMem m;
    sim_mem_init(&m);
    SimOutdir o;
    tmp_path(dest, sizeof dest, "d/e/run3");
    ck_assert_msg(sim_outdir_begin(&o, &m, dest, 0) == 0, "%s", sim_outdir_errmsg(&o));
    put_file(o.tmp, "half.csv", "t_seconds\n");
    snprintf(p, sizeof p, "%s/sub", o.tmp);
    ck_assert_int_eq(mkdir(p, 0777), 0);
    put_file(p, "deep.txt", "x");
    snprintf(tmp, sizeof tmp, "%s", o.tmp);
    sim_outdir_abort(&o);
    ck_assert(!exists(tmp));
    ck_assert(!exists(dest));
    tmp_path(p, sizeof p, "d");
    ck_assert(!exists(p));   /* the parents begin made go too */
    sim_outdir_abort(&o);   /* twice is harmless */
}
END_TEST

START_TEST(outdir_plain_names)
{
    ck_assert(sim_outdir_plain_name("market_open_surge"));
    ck_assert(sim_outdir_plain_name("a..b"));
    static const char *const bad[] = {"", ".", "..", "../x", "a/b", ".hidden", "tab\there", "a b", "caf\xc3\xa9",
                                      "\x1b[31m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!sim_outdir_plain_name(bad[i]), "%s", bad[i]);
}
END_TEST

/* ---- out of memory --------------------------------------------------------- */

/* Builds and runs a small cluster through m. Returns 1 if any call reported a
 * failure (which must be SIM_ENOMEM or a NULL engine), 0 if all succeeded. */
static int oom_run(void *ctx, SimMem *m)
{
    (void)ctx;
    SimConfig cfg = {.seed = 5, .end = SIM_SEC(120), .queue = SIM_EVQ_FAST, .mem = m};
    SimEngine *e = sim_engine_create(&cfg);
    if (e == NULL)
        return 1;
    int rc;
    uint32_t r, z[2], ns, g, n[4], wl[2], pods[24];
    char k[3][4] = {"a", "b", "c"};
    SimKV labels[3] = {{k[0], k[1]}, {k[1], k[2]}, {k[2], k[0]}};
    SimTaint taints[3] = {{k[0], k[1], SIM_TAINT_NO_SCHEDULE}, {k[1], NULL, SIM_TAINT_NO_EXECUTE},
                          {k[2], k[2], SIM_TAINT_PREFER_NO_SCHEDULE}};
    if ((rc = sim_region_add(e, "r", &r)) || (rc = sim_zone_add(e, r, "za", &z[0])) ||
        (rc = sim_zone_add(e, r, "zb", &z[1])) || (rc = sim_namespace_add(e, "ns", &ns)))
        goto out;
    SimNodeGroup gs = group_spec(r, "group", z, 2.0, SIM_SEC(30));
    gs.instance_type = (char *)"m5.xlarge";
    gs.labels = labels;
    gs.nlabels = 3;
    gs.taints = taints;
    gs.ntaints = 3;
    gs.nzones = 2;
    if ((rc = sim_nodegroup_add(e, &gs, &g)))
        goto out;
    for (int i = 0; i < 4; i++)
        if ((rc = sim_node_add(e, g, i < 2, &n[i])))
            goto out;
    SimWorkload ws = {0};
    ws.name = (char *)"svc";
    ws.ns = ns;
    ws.region = r;
    ws.spec.req = (SimRes){100, MIB, 0, 1};
    ws.spec.startup = SIM_SEC(1);
    if ((rc = sim_workload_add(e, &ws, &wl[0])))
        goto out;
    ws.name = (char *)"job";
    ws.kind = SIM_WL_JOB;
    ws.spec.duration = SIM_SEC(10);
    if ((rc = sim_workload_add(e, &ws, &wl[1])))
        goto out;
    for (int i = 0; i < 24; i++) {
        if ((rc = sim_pod_create(e, wl[i % 2], &pods[i])))
            goto out;
        if (i % 3 == 0)
            sim_pod_set_unschedulable(e, pods[i], "0/2 nodes are available: 2 Insufficient cpu.");
        else if ((rc = sim_pod_bind(e, pods[i], n[i % 2])))
            goto out;
    }
    for (int steps = 0; (rc = sim_step(e)) == SIM_OK; steps++)
        if (steps == 3 && (rc = sim_pod_delete(e, pods[1])))
            goto out;
    if (rc == SIM_DONE)
        rc = SIM_OK;
out:
    ck_assert_msg(rc == SIM_OK || rc == SIM_ENOMEM, "failure reported as %d (%s)", rc, sim_strerror(rc));
    ck_assert_msg(rc == SIM_OK || strstr(sim_errmsg(e), "memory") != NULL, "message '%s'", sim_errmsg(e));
    sim_engine_destroy(e);
    return rc != SIM_OK;
}

/* ---- cJSON through a SimMem (json.h) ------------------------------------ */

/* Builds and prints an array of n numbers in a scope on m; returns what the
 * scope's end said. Everything is freed. */
static int json_build(SimMem *m, int n, pthread_barrier_t *both_open)
{
    SimJsonScope js;
    sim_json_begin(&js, m);
    if (both_open)
        pthread_barrier_wait(both_open);   /* the other thread's scope is open too */
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        sim_json_push(a, cJSON_CreateNumber(i));
    char *text = cJSON_PrintUnformatted(a);
    cJSON_free(text);
    cJSON_Delete(a);
    if (both_open)
        pthread_barrier_wait(both_open);
    return sim_json_end(&js);
}

typedef struct JsonThread {
    SimMem m;
    int n, rc;
    pthread_barrier_t *both_open;
} JsonThread;

static void *json_thread(void *arg)
{
    JsonThread *t = arg;
    t->rc = json_build(&t->m, t->n, t->both_open);
    return NULL;
}

/* cJSON's hooks are process-wide, yet two threads with scopes open at the
 * same time each count exactly their own allocations (what one alone counts). */
START_TEST(json_two_threads_count_their_own_allocations)
{
    SimMem alone[2];
    JsonThread t[2] = {{.n = 3}, {.n = 700}};
    for (int i = 0; i < 2; i++) {
        sim_mem_init(&alone[i]);
        ck_assert_int_eq(json_build(&alone[i], t[i].n, NULL), SIM_OK);
        ck_assert_uint_gt(alone[i].count, (uint64_t)t[i].n);
    }
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 2);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        sim_mem_init(&t[i].m);
        t[i].both_open = &b;
        ck_assert_int_eq(pthread_create(&th[i], NULL, json_thread, &t[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(t[i].rc, SIM_OK);
        ck_assert_uint_eq(t[i].m.count, alone[i].count);
        ck_assert_int_eq(t[i].m.live, 0);
    }
    pthread_barrier_destroy(&b);
}
END_TEST

/* A failed allocation anywhere in a scope makes its end (and the enclosing
 * scope's) say SIM_ENOMEM, for every N, and the half-built tree frees to 0. */
START_TEST(json_scope_reports_a_failed_allocation_and_leaks_nothing)
{
    for (uint64_t n = 1;; n++) {
        ck_assert_msg(n < 1000, "the sweep does not end");
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        SimJsonScope outer;
        sim_json_begin(&outer, NULL);
        int rc = json_build(&m, 20, NULL);
        int orc = sim_json_end(&outer);
        ck_assert_int_eq(m.live, 0);
        ck_assert_int_eq(rc == SIM_ENOMEM, m.oom);
        ck_assert_int_eq(orc, rc);
        if (rc == SIM_OK)
            break;
    }
}
END_TEST

/* A tree lives past its scope: it is freed later, outside any scope, into
 * the SimMem it came from; outside a scope cJSON uses the C library. */
START_TEST(json_tree_frees_into_its_own_allocator_after_the_scope)
{
    SimMem m;
    sim_mem_init(&m);
    SimJsonScope js;
    sim_json_begin(&js, &m);
    cJSON *o = cJSON_Parse("{\"a\": [1, 2, \"three\"]}");
    ck_assert_int_eq(sim_json_end(&js), SIM_OK);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_gt(m.live, 0);
    uint64_t count = m.count;
    cJSON *libc = cJSON_CreateString("not counted");
    ck_assert_uint_eq(m.count, count);
    cJSON_Delete(libc);
    cJSON_Delete(o);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(engine_oom_sweep_leaks_nothing)
{
    ts_oom_sweep(oom_run, NULL, 1, 100000);
}
END_TEST

START_TEST(engine_own_allocator_counts_and_frees_everything)
{
    SimMem m;
    sim_mem_init(&m);
    ck_assert_int_eq(oom_run(NULL, &m), 0);
    ck_assert_int_eq(m.live, 0);
    ck_assert_uint_gt(m.count, 0);
}
END_TEST

/* ---- sim_check: the invariants, and that each class of them is checked -- */
static SimKV web_labels[] = {{(char *)"app", (char *)"web"}};
static SimSelReq web_req = {(char *)"app", SIM_SEL_IN, (char *[]){(char *)"web"}, 1};

/* Two Ready nodes, a PDB and a pod quota over app=web, three pods: one
 * Running on each node (after 2 s) and one unschedulable. */
typedef struct CheckWorld {
    World w;
    uint32_t n[2], wl, pods[3], pdb, quota;
} CheckWorld;

static CheckWorld check_world(void)
{
    CheckWorld c;
    c.w = world(SIM_SEC(100), 1.0, 0);
    c.n[0] = add_node(&c.w, 1);
    c.n[1] = add_node(&c.w, 1);
    SimPdb pdb = {.name = (char *)"web-pdb", .region = c.w.region, .ns = c.w.ns,
                  .selector = {&web_req, 1}, .value = 1};
    ck_assert_int_eq(sim_pdb_add(c.w.e, &pdb, &c.pdb), SIM_OK);
    SimQuota q = {.name = (char *)"pods", .region = c.w.region, .ns = c.w.ns};
    q.hard_set = UINT32_C(1) << SIM_QR_PODS | UINT32_C(1) << SIM_QR_REQUESTS_CPU | UINT32_C(1) << SIM_QR_COUNT_PODS;
    q.hard[SIM_QR_PODS] = 10;
    q.hard[SIM_QR_COUNT_PODS] = 10;
    q.hard[SIM_QR_REQUESTS_CPU] = 100000;
    ck_assert_int_eq(sim_quota_add(c.w.e, &q, &c.quota), SIM_OK);
    SimWorkload wl = {0};
    wl.name = (char *)"web";
    wl.kind = SIM_WL_DEPLOYMENT;
    wl.ns = c.w.ns;
    wl.region = c.w.region;
    wl.spec.req = (SimRes){.cpu_m = 500, .mem = GIB, .gpu = 0, .pods = 1};
    wl.spec.startup = SIM_SEC(1);
    wl.spec.labels = web_labels;
    wl.spec.nlabels = 1;
    ck_assert_int_eq(sim_workload_add(c.w.e, &wl, &c.wl), SIM_OK);
    for (int i = 0; i < 3; i++)
        c.pods[i] = new_pod(&c.w, c.wl);
    ck_assert_int_eq(sim_pod_bind(c.w.e, c.pods[0], c.n[0]), SIM_OK);
    ck_assert_int_eq(sim_pod_bind(c.w.e, c.pods[1], c.n[1]), SIM_OK);
    sim_pod_set_unschedulable(c.w.e, c.pods[2], "no node fits");
    ts_run_to(c.w.e, SIM_SEC(2));
    ck_assert_int_eq(sim_pod(c.w.e, c.pods[0])->phase, SIM_POD_RUNNING);
    ck_assert_int_eq(sim_check(c.w.e), SIM_OK);
    return c;
}

/* sim_check fails naming want; then the state is restored and it passes. */
static void expect_broken(SimEngine *e, const char *want)
{
    ck_assert_int_eq(sim_check(e), SIM_ESTATE);
    ck_assert_msg(strstr(sim_errmsg(e), want) != NULL, "'%s' does not name '%s'", sim_errmsg(e), want);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(e), "invariant broken"));
}

/* Adds delta to an integer field of the model, sees sim_check name want,
 * takes it back and sees sim_check pass. */
#define CORRUPT(e, field, delta, want)             \
    do {                                           \
        (field) += (delta);                        \
        expect_broken((e), (want));                \
        (field) -= (delta);                        \
        ck_assert_int_eq(sim_check(e), SIM_OK);    \
    } while (0)

START_TEST(check_catches_node_totals)
{
    CheckWorld c = check_world();
    SimEngine *e = c.w.e;
    CORRUPT(e, sim_node_mut(e, c.n[0])->req.cpu_m, 1, "node general-0: req");
    CORRUPT(e, sim_node_mut(e, c.n[1])->req.pods, -1, "node general-1: req");
    CORRUPT(e, sim_node_mut(e, c.n[0])->nz_req.mem, 7, "node general-0: nz_req");
    CORRUPT(e, sim_pod_mut(e, c.pods[0])->req.gpu, 1, "node general-0: req");
    sim_engine_destroy(e);
}
END_TEST

START_TEST(check_catches_node_pod_lists)
{
    CheckWorld c = check_world();
    SimEngine *e = c.w.e;
    CORRUPT(e, sim_pod_mut(e, c.pods[0])->node, 1, "in its list is not bound there");
    /* a bound pod in no list */
    SimNode *n = sim_node_mut(e, c.n[1]);
    uint32_t head = n->pods_head;
    n->pods_head = SIM_NONE;
    n->req = n->nz_req = (SimRes){0};
    SimRes req = sim_pod(e, c.pods[1])->req, nz = sim_pod(e, c.pods[1])->nz_req;
    expect_broken(e, "node pod lists hold 1 pods, 2 pods are bound");
    n->pods_head = head;
    n->req = req;
    n->nz_req = nz;
    ck_assert_int_eq(sim_check(e), SIM_OK);
    CORRUPT(e, sim_pod_mut(e, c.pods[0])->phase, SIM_POD_SUCCEEDED - SIM_POD_RUNNING, "is not bound there");
    sim_engine_destroy(e);
}
END_TEST

START_TEST(check_catches_group_and_region_counts)
{
    CheckWorld c = check_world();
    SimEngine *e = c.w.e;
    CORRUPT(e, sim_nodegroup_mut(e, c.w.group)->live_nodes, 1, "node group general: live_nodes");
    CORRUPT(e, sim_nodegroup_mut(e, c.w.group)->alloc_total.cpu_m, -1, "node group general: alloc_total");
    CORRUPT(e, sim_nodegroup_mut(e, c.w.group)->req_total.mem, 1, "node group general: req_total");
    CORRUPT(e, sim_region_mut(e, c.w.region)->live_nodes, 1, "region eu-west: live_nodes");
    CORRUPT(e, sim_region_mut(e, c.w.region)->ready_nodes, -1, "region eu-west: live_nodes");
    CORRUPT(e, sim_region_mut(e, c.w.region)->pods_pending, 1, "region eu-west: pods pending");
    CORRUPT(e, sim_region_mut(e, c.w.region)->pods_bound, 1, "region eu-west: pods pending");
    CORRUPT(e, sim_region_mut(e, c.w.region)->pods_running, -1, "region eu-west: pods pending");
    sim_engine_destroy(e);
}
END_TEST

START_TEST(check_catches_quota_and_pdb_counts)
{
    CheckWorld c = check_world();
    SimEngine *e = c.w.e;
    ck_assert_int_eq(sim_quota(e, c.quota)->used[SIM_QR_PODS], 3);
    CORRUPT(e, e->quotas.v[c.quota].used[SIM_QR_PODS], -1, "quota pods: used pods 2");
    CORRUPT(e, e->quotas.v[c.quota].used[SIM_QR_REQUESTS_CPU], 1, "quota pods: used requests.cpu");
    CORRUPT(e, e->pdbs.v[c.pdb].live, 1, "pdb web-pdb: live 4");
    CORRUPT(e, e->pdbs.v[c.pdb].healthy, -1, "pdb web-pdb: live 3 healthy 1");
    sim_engine_destroy(e);
}
END_TEST

/* A pod that ended keeps its object, on its node's ended list and in
 * count/pods, until pod GC deletes it with the node. */
START_TEST(check_catches_ended_pods_and_count_pods)
{
    CheckWorld c = check_world();
    SimEngine *e = c.w.e;
    ck_assert_int_eq(sim_pod_fail(e, c.pods[0], 2), SIM_OK);
    ck_assert_int_eq(sim_check(e), SIM_OK);
    ck_assert_int_eq(sim_quota(e, c.quota)->used[SIM_QR_PODS], 2);
    ck_assert_int_eq(sim_quota(e, c.quota)->used[SIM_QR_COUNT_PODS], 3);
    CORRUPT(e, e->quotas.v[c.quota].used[SIM_QR_COUNT_PODS], -1,
            "quota pods: used count/pods 2, its pods sum to 3");
    CORRUPT(e, sim_pod_mut(e, c.pods[0])->node, 1, "in its ended list did not end there");
    SimNode *n = sim_node_mut(e, c.n[0]);
    n->ended_head = SIM_NONE;   /* an ended pod in no list */
    expect_broken(e, "node ended lists hold 0 pods, 1 pods ended and exist");
    n->ended_head = c.pods[0];
    ck_assert_int_eq(sim_check(e), SIM_OK);
    ck_assert_int_eq(sim_node_remove(e, c.n[0]), SIM_OK);
    ck_assert_int_eq(sim_pod(e, c.pods[0])->phase, SIM_POD_DELETED);
    ck_assert_int_eq(sim_quota(e, c.quota)->used[SIM_QR_COUNT_PODS], 2);
    ck_assert_int_eq(sim_check(e), SIM_OK);
    sim_engine_destroy(e);
}
END_TEST

START_TEST(check_catches_indexes_and_counters)
{
    CheckWorld c = check_world();
    SimEngine *e = c.w.e;
    size_t slot = 0;
    while (e->workload_names.slot[slot].name == NULL || strcmp(e->workload_names.slot[slot].name, "web") != 0)
        slot++;
    CORRUPT(e, e->workload_names.slot[slot].id, 1, "workload name index: 'web' finds id 1, not 0");
    CORRUPT(e, e->group_names.n, -1, "node group name index holds 0 names");
    CORRUPT(e, e->stats.pods_created, 1, "stats pods_created 4, 3 pods exist");
    CORRUPT(e, e->stats.pods_scheduled, -1, "stats pods_scheduled 1, 2 pods were bound");
    CORRUPT(e, e->stats.pending_now, 1, "stats pending_now 2, 1 pods are unschedulable");
    CORRUPT(e, sim_workload_mut(e, c.wl)->live_pods, 1, "live_pods sum to 4, 3 pods are live");
    sim_engine_destroy(e);
}
END_TEST

static void check_each(void *ctx, SimEngine *e)
{
    (void)ctx;
    ck_assert_msg(sim_check(e) == SIM_OK, "%s", sim_errmsg(e));
}

/* A run through every pod phase, node state change and removal keeps every
 * invariant after every event and every call. */
START_TEST(check_passes_after_every_event_of_a_run)
{
    CheckWorld c = check_world();
    SimEngine *e = c.w.e;
    uint32_t job = add_workload(&c.w, "job", 700, 300 * MIB, SIM_SEC(1), SIM_SEC(5));
    uint32_t late = add_node(&c.w, 0);
    ts_run_to_each(e, SIM_SEC(3), check_each, NULL);
    uint32_t j = new_pod(&c.w, job);
    ck_assert_int_eq(sim_pod_bind(e, j, c.n[0]), SIM_OK);
    ck_assert_int_eq(sim_node_cordon(e, c.n[1], 1), SIM_OK);
    ck_assert_int_eq(sim_node_set_ready(e, c.n[1], 0), SIM_OK);
    check_each(NULL, e);
    ts_run_to_each(e, SIM_SEC(20), check_each, NULL);
    ck_assert_int_eq(sim_pod(e, j)->phase, SIM_POD_SUCCEEDED);
    ck_assert_int_eq(sim_pod_bind(e, c.pods[2], late), SIM_OK);
    ck_assert_int_eq(sim_node_remove(e, c.n[1]), SIM_OK);
    ck_assert_int_eq(sim_pod_delete(e, c.pods[0]), SIM_OK);
    check_each(NULL, e);
    ts_run_to_each(e, SIM_SEC(40), check_each, NULL);
    sim_engine_destroy(e);
}
END_TEST

/* Built with KUBESIM_CHECK (the sanitizer build), sim_step itself fails the
 * run once an invariant is broken. */
START_TEST(step_fails_on_a_broken_invariant_when_built_to_check)
{
#ifdef KUBESIM_CHECK
    CheckWorld c = check_world();
    SimEngine *e = c.w.e;
    ck_assert_int_eq(sim_schedule(e, SIM_SEC(3), SIM_EV_NODE_READY, c.n[0], 0, 0), SIM_OK);
    sim_node_mut(e, c.n[0])->req.cpu_m++;
    ck_assert_int_eq(sim_step(e), SIM_ESTATE);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(e), "node general-0: req"));
    sim_engine_destroy(e);
#endif
}
END_TEST

/* A setter's stated precondition is asserted in debug builds: binding to a
 * node id out of range aborts with the expression instead of writing past
 * the array (registered only without NDEBUG). */
#ifndef NDEBUG
START_TEST(setter_precondition_aborts_in_debug_builds)
{
    CheckWorld c = check_world();
    (void)sim_pod_bind(c.w.e, c.pods[2], 99);
}
END_TEST
#endif

static Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *q = tcase_create("quantity_rng");
    tcase_add_test(q, quantity_cpu_parses_to_exact_millicores);
    tcase_add_test(q, quantity_memory_parses_binary_and_decimal_suffixes);
    tcase_add_test(q, quantity_exbibyte_suffix_is_binary_not_an_exponent);
    tcase_add_test(q, quantity_fraction_of_the_unit_rounds_up);
    tcase_add_test(q, quantity_rejects_malformed_negative_and_out_of_range);
    tcase_add_test(q, quantity_format_writes_kubernetes_spelling_and_round_trips);
    tcase_add_test(q, rng_same_seed_and_stream_give_the_same_sequence);
    tcase_add_test(q, rng_different_streams_and_seeds_differ);
    tcase_add_test(q, rng_below_stays_in_range_and_reaches_every_value);
    suite_add_tcase(s, q);

    TCase *e = tcase_create("engine_model");
    tcase_set_timeout(e, 600);
    tcase_add_loop_test(e, engine_equal_times_run_in_scheduling_order, 0, NQUEUES);
    tcase_add_loop_test(e, engine_time_never_goes_backwards, 0, NQUEUES);
    tcase_add_test(e, engine_step_returns_done_after_end);
    tcase_add_test(e, node_ready_now_is_ready_at_once);
    tcase_add_test(e, node_with_provisioning_delay_is_ready_only_after_it);
    tcase_add_test(e, pod_goes_pending_bound_running_succeeded_at_spec_times);
    tcase_add_test(e, node_totals_equal_live_pod_requests_at_every_step);
    tcase_add_test(e, pod_delete_frees_node_resources_in_every_phase);
    tcase_add_test(e, pod_records_are_recycled_once_their_pods_are_gone);
    tcase_add_test(e, terminating_pod_holds_its_node_until_its_work_ends);
    tcase_add_test(e, terminating_pod_is_killed_when_its_grace_period_ends);
    tcase_add_test(e, pod_without_work_or_grace_goes_at_once);
    tcase_add_test(e, nonzero_requests_default_100m_cpu_and_200mib);
    tcase_add_test(e, unschedulable_pods_count_pending_and_pending_peak);
    tcase_add_test(e, cost_accrues_per_node_second_at_hourly_price);
    tcase_add_test(e, namespace_pays_its_share_of_requested_resources);
    tcase_add_test(e, gpu_node_share_weighs_gpus_half);
    tcase_add_test(e, node_remove_and_not_ready_lifecycle);
    tcase_add_test(e, duplicate_names_are_einval_with_a_message);
    tcase_add_test(e, nodegroup_add_copies_labels_taints_and_zones);
    tcase_add_test(e, engine_own_allocator_counts_and_frees_everything);
    tcase_add_test(e, engine_oom_sweep_leaks_nothing);
    tcase_add_test(e, json_two_threads_count_their_own_allocations);
    tcase_add_test(e, json_scope_reports_a_failed_allocation_and_leaks_nothing);
    tcase_add_test(e, json_tree_frees_into_its_own_allocator_after_the_scope);
    suite_add_tcase(s, e);

    TCase *k = tcase_create("check");
    tcase_add_test(k, check_catches_node_totals);
    tcase_add_test(k, check_catches_node_pod_lists);
    tcase_add_test(k, check_catches_group_and_region_counts);
    tcase_add_test(k, check_catches_quota_and_pdb_counts);
    tcase_add_test(k, check_catches_ended_pods_and_count_pods);
    tcase_add_test(k, check_catches_indexes_and_counters);
    tcase_add_test(k, check_passes_after_every_event_of_a_run);
    tcase_add_test(k, step_fails_on_a_broken_invariant_when_built_to_check);
#ifndef NDEBUG
    tcase_add_test_raise_signal(k, setter_precondition_aborts_in_debug_builds, SIGABRT);
#endif
    suite_add_tcase(s, k);

    TCase *o = tcase_create("outputs");
    tcase_set_timeout(o, 600);
    tcase_add_test(o, summary_has_the_engine_keys);
    tcase_add_test(o, summary_sections_run_in_rank_order);
    tcase_add_test(o, metrics_csv_has_exact_header_and_well_formed_rows);
    tcase_add_test(o, outdir_commit_creates_the_destination_with_its_parents);
    tcase_add_test(o, outdir_marker_lists_what_was_written);
    tcase_add_test(o, outdir_commit_replaces_an_earlier_output);
    tcase_add_test(o, outdir_refuses_a_folder_it_did_not_write);
    tcase_add_test(o, outdir_commit_checks_again);
    tcase_add_test(o, outdir_refuses_a_file_or_a_link);
    tcase_add_test(o, outdir_force_replaces_any_folder);
    tcase_add_test(o, outdir_forged_marker_removes_nothing_outside);
    tcase_add_test(o, outdir_abort_leaves_nothing);
    tcase_add_test(o, outdir_plain_names);
    suite_add_tcase(s, o);
    return s;
}

int main(void)
{
    char dir[] = "/tmp/kubesim-test-sim-XXXXXX";
    if (mkdtemp(dir) == NULL || setenv(TMP_ENV, dir, 1) != 0) {
        perror("test_sim: mkdtemp");
        return EXIT_FAILURE;
    }
    int failed = tr_run(sim_suite(), 0);
    remove_tree(dir);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
