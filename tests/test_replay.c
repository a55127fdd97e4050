/*
 * test_replay.c: `kubesim replay` (render/replay*.c). The cluster rebuilt
 * from a run's trace alone agrees with what the run sampled into metrics.csv
 * (nodes and pending pods per region, requested CPU over allocatable per node
 * group) at every sample time; seeking in any order gives the state playing
 * forward gives; `--png` writes a PNG of the asked size in which a full node
 * and an empty one differ, the same bytes twice; a corrupt or missing trace
 * ends with exit 2, a message naming the file, and no PNG.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/rnd.h"
#include "render/rnd_int.h"
#include "scenarios/scn.h"
#include "sim/trace.h"
#include "tb.h"
#include "tr.h"

/* Two 4-CPU nodes, one pod that asks for a whole node: one full, one empty. */
static const char two_nodes[] =
    "scenario { name = \"two\", duration = \"30m\" }\n"
    "region { name = \"r1\", zones = { \"r1-a\" } }\n"
    "nodegroup { name = \"cpu\", cpu = \"4\", memory = \"16Gi\", min = 2, max = 2, price = 1.0 }\n"
    "deployment { name = \"big\", replicas = 1, cpu = \"4\", memory = \"1Gi\" }\n";

static char *path_in(const char *rel)
{
    static char p[4096];
    snprintf(p, sizeof p, "%s/%s", tb_dir(), rel);
    return p;
}

/* The built-in scenario's run (autoscaling, evictions, preemption, cordons,
 * scale-down), made once: the suite runs its tests in order. */
static void ensure_default_run(void)
{
    if (!tb_exists("def/trace.kst"))
        ck_assert_msg(tb_run("run --out def --quiet") == 0, "%s", tb_err());
}

static RndReplay *open_replay(SimMem *m, const char *rel)
{
    SimErr err = SIM_ERR_INIT;
    RndReplay *r = NULL;
    sim_mem_init(m);
    SimTrSchema all;
    ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
    ck_assert_msg(rnd_replay_open(m, &all, path_in(rel), &r, &err) == SIM_OK, "%s", sim_err_msg(&err));
    return r;
}

static double figure(RndReplay *r, int group, const char *name, RndStat num, RndStat den)
{
    double a = rnd_replay_stat(r, group, name, num);
    double b = den == num ? 1 : rnd_replay_stat(r, group, name, den);
    return b > 0 ? a / b : 0;
}

/* A figure of metrics.csv against the replay during instant t: the sample
 * runs among the events of its instant (after those scheduled before it), so
 * it must equal the state before t or after one of t's records. */
static void check_row(RndReplay *r, double t, int group, const char *name, RndStat num, RndStat den, double v)
{
    SimTime ns = (SimTime)llround(t * 1e9);
    rnd_replay_seek(r, ns - 1);   /* -1 at t = 0: before any record */
    double got = figure(r, group, name, num, den), first = got;
    while (fabs(got - v) > 1e-8 * fabs(v) + 1e-12 && rnd_replay_step(r, ns))
        got = figure(r, group, name, num, den);
    ck_assert_msg(fabs(got - v) <= 1e-8 * fabs(v) + 1e-12,
                  "%s at t=%g s: metrics.csv %.10g, replay %.10g before the instant, %.10g after", name, t, v,
                  first, got);
}

/* One metrics.csv line "t,region,object,name,metric,value"; returns 1 if checked. */
static int check_line(RndReplay *r, char *line)
{
    char obj[64], name[128], metric[64];
    double t, v;
    if (sscanf(line, "%lf,%*[^,],%63[^,],%127[^,],%63[^,],%lf", &t, obj, name, metric, &v) != 5)
        return 0;
    int region = strcmp(obj, "region") == 0, group = strcmp(obj, "nodegroup") == 0;
    if ((region || group) && strcmp(metric, "nodes") == 0)
        check_row(r, t, group, name, RND_STAT_NODES, RND_STAT_NODES, v);
    else if (region && strcmp(metric, "pods_pending") == 0)
        check_row(r, t, 0, name, RND_STAT_PENDING, RND_STAT_PENDING, v);
    else if (group && strcmp(metric, "cpu_requested_ratio") == 0)
        check_row(r, t, 1, name, RND_STAT_CPU_REQ_M, RND_STAT_CPU_ALLOC_M, v);
    else if (group && strcmp(metric, "memory_requested_ratio") == 0)
        check_row(r, t, 1, name, RND_STAT_MEM_REQ, RND_STAT_MEM_ALLOC, v);
    else
        return 0;
    return 1;
}

START_TEST(replay_state_matches_the_runs_metrics_at_every_sample)
{
    ensure_default_run();
    SimMem m;
    RndReplay *r = open_replay(&m, "def/trace.kst");
    char *csv = tb_read(path_in("def/metrics.csv"), NULL);
    ck_assert_ptr_nonnull(csv);
    size_t checked = 0;
    for (char *save = NULL, *line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        checked += (size_t)check_line(r, line);
    ck_assert_uint_gt(checked, 1000);
    free(csv);
    rnd_replay_close(r);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(replay_seek_in_any_order_equals_playing_forward)
{
    ensure_default_run();
    SimMem m;
    RndReplay *r = open_replay(&m, "def/trace.kst");
    enum { N = 400 };
    uint64_t fwd[N];
    SimTime d = rnd_replay_duration(r);
    for (int i = 0; i < N; i++) {   /* small steps forward from the start */
        rnd_replay_seek(r, d * i / (N - 1));
        fwd[i] = rnd_replay_digest(r);
    }
    ck_assert_uint_ne(fwd[0], fwd[N / 2]);
    uint64_t x = 12345;
    for (int k = 0; k < 3 * N; k++) {   /* jumps both ways, through keyframes */
        x = x * 6364136223846793005u + 1442695040888963407u;
        int i = (int)((x >> 33) % N);
        rnd_replay_seek(r, d * i / (N - 1));
        ck_assert_msg(rnd_replay_digest(r) == fwd[i], "seek to sample %d differs", i);
    }
    rnd_replay_close(r);
}
END_TEST

static Uint32 pixel(SDL_Surface *s, int x, int y)
{
    return ((const Uint32 *)((const char *)s->pixels + y * s->pitch))[x];
}

START_TEST(replay_png_has_the_size_and_shows_a_full_node)
{
    tb_write("two.lua", two_nodes);
    ck_assert_msg(tb_run("run two.lua --out two --quiet") == 0, "%s", tb_err());
    ck_assert_msg(tb_run("replay two --png a.png --at 10m --size 640x400") == 0, "%s", tb_err());
    size_t len;
    unsigned char *png = (unsigned char *)tb_read(path_in("a.png"), &len);
    ck_assert_ptr_nonnull(png);
    ck_assert(len > 24 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    ck_assert_uint_eq((png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19]), 640);   /* IHDR width */
    ck_assert_uint_eq((png[20] << 24 | png[21] << 16 | png[22] << 8 | png[23]), 400);
    free(png);
    SDL_Surface *raw = IMG_Load(path_in("a.png"));
    ck_assert_ptr_nonnull(raw);
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
    /* replay_draw.c's layout: the region panel spans y 24..218 (the legend,
     * charts and time line below it), the first group's cells start at
     * (6, 71), cs px apart; the centres of its two nodes' cells. */
    SimMem m;
    RndReplay *r = open_replay(&m, "two/trace.kst");
    int cs = rnd_paint_cell_size(r, 0, 640, 194);
    rnd_replay_close(r);
    Uint32 a = pixel(s, 6 + cs / 2, 71 + cs / 2), b = pixel(s, 6 + cs + cs / 2, 71 + cs / 2);
    Uint32 bg = pixel(s, 6 + 3 * cs + cs / 2, 71 + cs / 2);
    ck_assert_msg(a != b, "the full and the empty node look alike (%08x)", a);
    ck_assert_msg(a != bg && b != bg, "a node cell is the background (%08x %08x %08x)", a, b, bg);
    SDL_FreeSurface(s);
    SDL_FreeSurface(raw);
}
END_TEST

START_TEST(replay_same_frame_twice_is_the_same_bytes)
{
    ensure_default_run();
    ck_assert_msg(tb_run("replay def --png d1.png --at 1:30") == 0, "%s", tb_err());
    ck_assert_msg(tb_run("replay def/trace.kst --png d2.png --at 90m") == 0, "%s", tb_err());
    size_t n1, n2;
    char *a = tb_read(path_in("d1.png"), &n1), *b = tb_read(path_in("d2.png"), &n2);
    ck_assert(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(replay_corrupt_or_missing_trace_exits_2_naming_the_file)
{
    ensure_default_run();
    size_t n;
    char *t = tb_read(path_in("def/trace.kst"), &n);
    ck_assert_ptr_nonnull(t);
    t[n / 2] ^= 0x40;   /* inside a block: its CRC-32 no longer matches */
    FILE *f = fopen(path_in("bad.kst"), "wb");
    ck_assert(f && fwrite(t, 1, n, f) == n && fclose(f) == 0);
    free(t);
    ck_assert_int_eq(tb_run("replay bad.kst --png bad.png --at 1h"), 2);
    ck_assert_msg(strstr(tb_err(), "bad.kst"), "%s", tb_err());
    ck_assert(!tb_exists("bad.png") && !tb_exists("bad.png.tmp"));
    ck_assert_int_eq(tb_run("replay nosuch --png none.png"), 2);
    ck_assert_msg(strstr(tb_err(), "nosuch"), "%s", tb_err());
    ck_assert(!tb_exists("none.png"));
    ck_assert_int_eq(tb_run("replay def --png x.png --at soon"), 2);
    ck_assert_int_eq(tb_run("replay def --size 10x10 --png x.png"), 2);
    ck_assert(!tb_exists("x.png"));
}
END_TEST

/* A trace whose checksums are right but whose records are not what the
 * engine writes (found by fuzz_trace_crc): ids out of creation order are
 * refused, so a huge id cannot size an array and a pod created twice cannot
 * move requests off a node. */
static const char *odd_trace(const char *name, int twice)
{
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    const char *path = path_in(name);
    SimTrSchema core;
    sim_trschema_init(&core);
    ck_assert_int_eq(sim_trschema_add_core(&core), SIM_OK);
    SimTraceWriter *w = sim_trace_create(&m, &core, path, "{\"scenario\":\"odd\",\"duration_ns\":60000000000}", &err);
    ck_assert_msg(w != NULL, "%s", sim_err_msg(&err));
    sim_trace_emit(w, SIM_TR_REGION, 0, (SimTrVal[]){SIM_TRI(0), SIM_TRS("r")}, 2);
    if (twice) {
        SimTrVal pod[] = {SIM_TRI(0), SIM_TRI(0), SIM_TRI(0), SIM_TRI(0), SIM_TRI(100), SIM_TRI(1), SIM_TRI(0),
                          SIM_TRS("p")};
        sim_trace_emit(w, SIM_TR_POD_CREATE, 0, pod, 8);
        sim_trace_emit(w, SIM_TR_POD_CREATE, 1, pod, 8);
    } else {
        SimTrVal wl[] = {SIM_TRI(INT64_C(2000000000)), SIM_TRI(0), SIM_TRI(0), SIM_TRI(0), SIM_TRS("w"),
                         SIM_TRI(1)};
        sim_trace_emit(w, SIM_TR_WORKLOAD, 0, wl, 6);
    }
    char sha[65];
    ck_assert_int_eq(sim_trace_close(w, sha), SIM_OK);
    return path;
}

START_TEST(replay_refuses_ids_out_of_creation_order)
{
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    RndReplay *r = NULL;
    SimTrSchema all;
    ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
    ck_assert_int_ne(rnd_replay_open(&m, &all, odd_trace("huge-wl.kst", 0), &r, &err), SIM_OK);
    ck_assert_msg(strstr(sim_err_msg(&err), "workload ids must be created in order; got 2000000000 after 0"), "%s", sim_err_msg(&err));
    ck_assert_int_ne(rnd_replay_open(&m, &all, odd_trace("pod-twice.kst", 1), &r, &err), SIM_OK);
    ck_assert_msg(strstr(sim_err_msg(&err), "pod ids must be created in order; got 0 after 1"), "%s", sim_err_msg(&err));
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(replay_frames_headless_prints_frames_per_second)
{
    ensure_default_run();
    ck_assert_msg(tb_run("replay def --frames 20") == 0, "%s", tb_err());
    ck_assert_msg(strstr(tb_out(), "\"frames\":20") && strstr(tb_out(), "\"fps\":"), "%s", tb_out());
}
END_TEST

/* With no display the window path ends at once with exit 2 and says what to
 * use instead, rather than looping on a driver that shows nothing. */
START_TEST(replay_window_without_a_display_exits_2)
{
    ensure_default_run();
    ck_assert_int_eq(setenv("SDL_VIDEODRIVER", "dummy", 1), 0);
    int rc = tb_run("replay def");
    unsetenv("SDL_VIDEODRIVER");
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(tb_err(), "no display") && strstr(tb_err(), "--png"), "%s", tb_err());
}
END_TEST

/* Two nodes fill a sizeable share of their region's panel (they were 14 px
 * cells in a 640x194 panel, 0.3% of it); many nodes still fit. */
START_TEST(replay_cells_scale_to_the_panel)
{
    tb_write("two.lua", two_nodes);
    if (!tb_exists("two/trace.kst"))
        ck_assert_msg(tb_run("run two.lua --out two --quiet") == 0, "%s", tb_err());
    SimMem m;
    RndReplay *r = open_replay(&m, "two/trace.kst");
    rnd_replay_seek(r, SIM_SEC(600));
    int s = rnd_paint_cell_size(r, 0, 640, 194);
    double share = 2.0 * s * s / (640.0 * 194.0);
    ck_assert_msg(share > 0.2, "two nodes' %d px cells fill %.1f%% of the panel", s, 100 * share);
    ck_assert_int_le(32 + 15 + s + 2, 194);   /* the head, the group's label and one row fit */
    rnd_replay_close(r);
    ensure_default_run();
    r = open_replay(&m, "def/trace.kst");
    rnd_replay_seek(r, rnd_replay_duration(r) / 2);
    for (uint32_t g = 0; g < 2; g++) {
        s = rnd_paint_cell_size(r, g, 320, 120);
        ck_assert_int_ge(s, 2);
        ck_assert_int_le(s, 120);
    }
    rnd_replay_close(r);
}
END_TEST

/* A deployment of 6 whose HPA scales it down after the stabilisation window,
 * and two services with their own latency. */
static const char hpa_two_services[] =
    "scenario { name = \"hpa6\", duration = \"30m\" }\n"
    "region { name = \"r\", zones = { \"r-a\" } }\n"
    "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 3, max = 3, price = 1.0 }\n"
    "site { name = \"ny\" }\nlatency { from = \"ny\", to = \"r\", ms = 1 }\n"
    "deployment { name = \"api\", replicas = 6, cpu = \"500m\", memory = \"64Mi\", "
    "serve = { service = \"api\", capacity = 100 } }\n"
    "deployment { name = \"web\", replicas = 1, cpu = \"100m\", memory = \"64Mi\", "
    "serve = { service = \"web\", capacity = 50 } }\n"
    "traffic { site = \"ny\", service = \"api\", rate = 20 }\n"
    "traffic { site = \"ny\", service = \"web\", rate = 45 }\n"
    "hpa { name = \"api\", target = \"api\", min = 2, max = 12, metrics = { { type = \"Resource\", "
    "name = \"cpu\", target = { type = \"Utilization\", average_utilization = 70 } } } }\n";

START_TEST(replay_hpa_replicas_from_the_first_frame)
{
    tb_write("hpa6.lua", hpa_two_services);
    ck_assert_msg(tb_run("run hpa6.lua --out hpa6 --quiet") == 0, "%s", tb_err());
    SimMem m;
    RndReplay *r = open_replay(&m, "hpa6/trace.kst");
    ck_assert_uint_eq(r->nhpas, 1);
    rnd_replay_seek(r, -1);
    ck_assert_int_eq(r->cur.hpa[0], 6);   /* before any record, not 0 */
    rnd_replay_seek(r, 0);
    ck_assert_int_eq(r->cur.hpa[0], 6);
    rnd_replay_seek(r, rnd_replay_duration(r));
    ck_assert_int_lt(r->cur.hpa[0], 6);   /* and its later records still apply */
    uint64_t d = rnd_replay_digest(r);
    rnd_replay_seek(r, 0);
    rnd_replay_seek(r, rnd_replay_duration(r));
    ck_assert_uint_eq(rnd_replay_digest(r), d);
    rnd_replay_close(r);
}
END_TEST

/* Each service has its own latency series, not only the region's worst. */
START_TEST(replay_latency_per_service)
{
    if (!tb_exists("hpa6/trace.kst")) {
        tb_write("hpa6.lua", hpa_two_services);
        ck_assert_msg(tb_run("run hpa6.lua --out hpa6 --quiet") == 0, "%s", tb_err());
    }
    SimMem m;
    RndReplay *r = open_replay(&m, "hpa6/trace.kst");
    ck_assert_uint_eq(r->nsvcs, 2);
    double mx[2] = {0, 0};
    for (size_t i = 0; i < 2; i++)
        for (size_t b = 0; b < RND_SERIES_N; b++)
            mx[i] = fmax(mx[i], r->svc_series[i * RND_SERIES_N + b]);
    ck_assert_msg(mx[0] > 0 && mx[1] > 0, "per-service p95 series: %g %g", mx[0], mx[1]);
    ck_assert_msg(fabs(mx[0] - mx[1]) > 1e-9, "two services with different load, the same series max %g", mx[0]);
    ck_assert_double_eq(r->svc_max, fmax(mx[0], mx[1]));
    rnd_replay_close(r);
}
END_TEST

/* The legend strip above the charts has a swatch of each region's colour and
 * of each service's; the charts' time labels read the scenario's clock when
 * the trace has one, else offsets since the start. */
START_TEST(replay_charts_have_a_legend_and_clock_labels)
{
    if (!tb_exists("hpa6/trace.kst")) {
        tb_write("hpa6.lua", hpa_two_services);
        ck_assert_msg(tb_run("run hpa6.lua --out hpa6 --quiet") == 0, "%s", tb_err());
    }
    ck_assert_msg(tb_run("replay hpa6 --png leg.png --at 10m --size 800x500") == 0, "%s", tb_err());
    SDL_Surface *raw = IMG_Load(path_in("leg.png"));
    ck_assert_ptr_nonnull(raw);
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
    int y = 500 - 26 - 140 - RND_LEGEND_H + 3 + RND_LEGEND_SWATCH / 2;   /* the swatches' middle row */
    ck_assert_uint_eq(pixel(s, 6 + RND_LEGEND_SWATCH / 2, y), 0xff5aaaffu);   /* region r's colour */
    int swatches = 0;
    for (int x = 0; x + RND_LEGEND_SWATCH <= 800; x++) {
        Uint32 c = pixel(s, x, y);
        int run = 0;
        while (run < RND_LEGEND_SWATCH && pixel(s, x + run, y) == c && pixel(s, x + run, y - 4) == c)
            run++;
        if (run == RND_LEGEND_SWATCH && c != pixel(s, 1, y)) {
            swatches++;
            x += run;
        }
    }
    ck_assert_int_ge(swatches, 3);   /* the region and both services */
    SDL_FreeSurface(s);
    SDL_FreeSurface(raw);

    char lb[32];
    SimMem m;
    RndReplay *r = open_replay(&m, "hpa6/trace.kst");
    rnd_replay_time_label(r, 0, lb, sizeof lb);
    ck_assert_str_eq(lb, "+0:00");
    rnd_replay_time_label(r, SIM_SEC(90 * 60), lb, sizeof lb);
    ck_assert_str_eq(lb, "+1:30");
    rnd_replay_close(r);
    tb_write("clk.lua", "scenario { name = \"clk\", duration = \"2h\", timezone = \"America/New_York\", "
                        "date = \"2026-03-18\", start = \"09:30\" }\n"
                        "region { name = \"r1\", zones = { \"r1-a\" } }\n"
                        "nodegroup { name = \"cpu\", cpu = \"4\", memory = \"16Gi\", min = 1, max = 1, price = 1.0 }\n");
    ck_assert_msg(tb_run("run clk.lua --out clk --quiet") == 0, "%s", tb_err());
    r = open_replay(&m, "clk/trace.kst");
    rnd_replay_time_label(r, 0, lb, sizeof lb);
    ck_assert_str_eq(lb, "09:30");
    rnd_replay_time_label(r, SIM_SEC(3600), lb, sizeof lb);
    ck_assert_str_eq(lb, "10:30");
    rnd_replay_close(r);
}
END_TEST

START_TEST(replay_parses_times)
{
    SimTime t;
    ck_assert(rnd_parse_time("90m", &t) == 0 && t == SIM_SEC(5400));
    ck_assert(rnd_parse_time("1h30m", &t) == 0 && t == SIM_SEC(5400));
    ck_assert(rnd_parse_time("01:30:15", &t) == 0 && t == SIM_SEC(5415));
    ck_assert(rnd_parse_time("5400", &t) == 0 && t == SIM_SEC(5400));
    ck_assert(rnd_parse_time("1:75", &t) != 0);
    ck_assert(rnd_parse_time("soon", &t) != 0);
    ck_assert(rnd_parse_time("", &t) != 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, replay_parses_times);
    tcase_add_test(tc, replay_cells_scale_to_the_panel);
    tcase_add_test(tc, replay_hpa_replicas_from_the_first_frame);
    tcase_add_test(tc, replay_latency_per_service);
    tcase_add_test(tc, replay_charts_have_a_legend_and_clock_labels);
    tcase_add_test(tc, replay_state_matches_the_runs_metrics_at_every_sample);
    tcase_add_test(tc, replay_seek_in_any_order_equals_playing_forward);
    tcase_add_test(tc, replay_png_has_the_size_and_shows_a_full_node);
    tcase_add_test(tc, replay_same_frame_twice_is_the_same_bytes);
    tcase_add_test(tc, replay_corrupt_or_missing_trace_exits_2_naming_the_file);
    tcase_add_test(tc, replay_frames_headless_prints_frames_per_second);
    tcase_add_test(tc, replay_refuses_ids_out_of_creation_order);
    tcase_add_test(tc, replay_window_without_a_display_exits_2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("replay") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder and the default run */
    tb_cleanup();
    return failed ? 1 : 0;
}
