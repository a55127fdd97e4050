/*
 * test_e2e.c: end-to-end tests of the kubesim binary (KUBESIM_BIN): the
 * outputs of `kubesim run`, determinism of the trace, `trace dump`, the exit
 * codes, and bad input that must give a message naming file, line and field,
 * exit 2 and no output folder.
 */
#include <check.h>
#include <stdarg.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/trace.h"

#include "tb.h"
#include "tr.h"

static cJSON *read_json(const char *dir)
{
    static char buf[1 << 20];
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/summary.json", tb_dir(), dir);
    tb_slurp(path, buf, sizeof buf);
    cJSON *j = cJSON_Parse(buf);
    ck_assert_msg(j != NULL, "summary.json of %s does not parse", dir);
    return j;
}

static double num(const cJSON *j, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    ck_assert_msg(cJSON_IsNumber(x), "summary key %s%s%s missing", a, b ? "." : "", b ? b : "");
    return x->valuedouble;
}

/* No output folder and no temporary folder left beside it. */
static void assert_no_output(const char *dir)
{
    ck_assert_msg(!tb_exists(dir), "%s was created", dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp-'", tb_dir());
    ck_assert_msg(system(cmd) != 0, "a temporary folder was left behind");
}

START_TEST(e2e_default_run_writes_every_output)
{
    ck_assert_int_eq(tb_run("run --out a"), 0);
    ck_assert_msg(strstr(tb_out(), "a/summary.json") && strstr(tb_out(), "a/report.html"), "%s", tb_out());
    static const char *const files[] = {"summary.json", "metrics.csv", "trace.kst", "report.html"};
    for (size_t i = 0; i < 4; i++) {
        char p[64];
        snprintf(p, sizeof p, "a/%s", files[i]);
        ck_assert_msg(tb_exists(p), "%s missing", p);
    }
    cJSON *j = read_json("a");
    static const char *const keys[] = {"schema", "scenario", "seed", "sim_seconds", "wall_seconds", "events",
                                       "trace_sha256", "cost_usd", "regions", "pods", "hpa", "autoscaler",
                                       "quota", "jobs", "backtests", "slo", "expectations"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(cJSON_HasObjectItem(j, keys[i]), "summary lacks %s", keys[i]);
    ck_assert_double_eq(num(j, "seed", NULL), 42);
    ck_assert_double_eq(num(j, "sim_seconds", NULL), 10 * 3600);
    ck_assert(num(j, "jobs", "succeeded") >= 14);   /* 4 Jobs and the hourly CronJob runs */
    ck_assert_double_eq(num(j, "jobs", "failed"), 0);
    ck_assert_double_eq(num(j, "backtests", "completed"), 45);
    ck_assert(num(j, "hpa", "scale_ups") > 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "slo")), 3);
    ck_assert(num(j, "quota", "rejections") > 0);
    ck_assert(num(j, "pods", "pending_peak") > 0);
    ck_assert(num(j, "cost_usd", NULL) > 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "regions")), 3);
    cJSON_Delete(j);
    char csvpath[256];
    snprintf(csvpath, sizeof csvpath, "%s/a/metrics.csv", tb_dir());
    char *csv = tb_read(csvpath, NULL);
    ck_assert_ptr_nonnull(csv);
    ck_assert(strncmp(csv, "t_seconds,region,object,name,metric,value\n", 42) == 0);
    free(csv);
}
END_TEST

static void file_sha(const char *rel, char hex[65])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), rel);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    SimSha256 s;
    sim_sha256_init(&s);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sim_sha256_update(&s, buf, n);
    fclose(f);
    sim_sha256_hex(&s, hex);
}

START_TEST(e2e_same_scenario_and_seed_give_identical_trace)
{
    ck_assert_int_eq(tb_run("run --quiet --out d1 --seed 7"), 0);
    ck_assert_int_eq(tb_run("run --quiet --out d2 --seed 7"), 0);
    char h1[65], h2[65];
    file_sha("d1/trace.kst", h1);
    file_sha("d2/trace.kst", h2);
    ck_assert_str_eq(h1, h2);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cmp -s '%s/d1/trace.kst' '%s/d2/trace.kst'", tb_dir(), tb_dir());
    ck_assert_int_eq(system(cmd), 0);
    cJSON *j1 = read_json("d1"), *j2 = read_json("d2");
    const char *s1 = cJSON_GetObjectItem(j1, "trace_sha256")->valuestring;
    ck_assert_str_eq(s1, cJSON_GetObjectItem(j2, "trace_sha256")->valuestring);
    ck_assert_str_eq(s1, h1);   /* the summary's hash is the file's */
    cJSON_Delete(j1);
    cJSON_Delete(j2);
}
END_TEST

/* Lua seeds its string hash per process (Debian's luai_makeseed): a pairs()
 * loop over string keys, a table keyed by tables and tostring of a table
 * differed from one process to the next, and so did the trace. */
static const char pairs_scenario[] =
    "region { name = \"r\" }\n"
    "nodegroup { name = \"cpu\", region = \"r\", cpu = \"16\", memory = \"64Gi\", min = 1, max = 8, size = 2 }\n"
    "scenario { name = \"pairs\", duration = \"30m\" }\n"
    "local apps = { alpha = 1, bravo = 2, charlie = 3, delta = 1, echo = 2, foxtrot = 3, golf = 1, hotel = 2 }\n"
    "local order = {}\n"
    "for name, n in pairs(apps) do\n"
    "  order[#order + 1] = name\n"
    "  deployment { name = name, replicas = n, cpu = \"500m\", memory = \"256Mi\",\n"
    "               labels = { app = name, idx = tostring(#order) } }\n"
    "end\n"
    "local owners, seq = {}, {}\n"
    "for i = 1, 6 do owners[{ i = i }] = \"o\" .. i end\n"
    "for key, v in pairs(owners) do seq[#seq + 1] = v .. \"=\" .. key.i end\n"
    "at(\"5m\", function(k)\n"
    "  k.log(\"order \" .. table.concat(order, \",\") .. \" \" .. table.concat(seq, \",\") .. \" \" .. tostring({}))\n"
    "  k.scale((next(apps)), 4)\n"
    "end)\n";

START_TEST(e2e_pairs_loop_gives_one_trace_in_every_process)
{
    tb_write("pairs.lua", pairs_scenario);
    char first[65] = "", log0[256] = "";
    for (int i = 0; i < 5; i++) {
        char dir[16];
        snprintf(dir, sizeof dir, "p%d", i);
        ck_assert_int_eq(tb_run("run pairs.lua --out %s", dir), 0);
        const char *line = strstr(tb_err(), "order ");
        ck_assert_msg(line != NULL, "no hook line: %s", tb_err());
        /* The documented order: strings by their bytes; tables by creation. */
        ck_assert_msg(strncmp(line, "order alpha,bravo,charlie,delta,echo,foxtrot,golf,hotel "
                                    "o1=1,o2=2,o3=3,o4=4,o5=5,o6=6 table: ", 93) == 0, "%s", line);
        if (i == 0)
            snprintf(log0, sizeof log0, "%.*s", (int)strcspn(line, "\n"), line);
        else
            ck_assert_msg(strncmp(line, log0, strlen(log0)) == 0, "%s vs %s", line, log0);
        cJSON *j = read_json(dir);
        const char *h = cJSON_GetObjectItem(j, "trace_sha256")->valuestring;
        if (i == 0)
            snprintf(first, sizeof first, "%s", h);
        else
            ck_assert_msg(strcmp(first, h) == 0, "process %d: trace %s, process 0: %s", i, h, first);
        cJSON_Delete(j);
    }
}
END_TEST

START_TEST(e2e_trace_dump_prints_json_lines)
{
    ck_assert_int_eq(tb_run("run --quiet --out t"), 0);
    ck_assert_int_eq(tb_run("trace dump t/trace.kst"), 0);
    size_t lines = 0, binds = 0;
    char *save = NULL, *last = NULL, *text = strdup(tb_out());
    ck_assert_ptr_nonnull(text);
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save), lines++) {
        cJSON *j = cJSON_Parse(l);
        ck_assert_msg(j != NULL, "line %zu is not JSON: %s", lines + 1, l);
        if (lines == 0)
            ck_assert(cJSON_HasObjectItem(j, "meta"));
        const cJSON *k = cJSON_GetObjectItem(j, "kind");
        binds += cJSON_IsString(k) && strcmp(k->valuestring, "pod_bind") == 0;
        cJSON_Delete(j);
        last = l;
    }
    ck_assert_uint_gt(lines, 100);
    ck_assert_uint_gt(binds, 10);
    ck_assert_msg(last && strstr(last, "\"kind\":\"end\""), "last record: %s", last ? last : "");
    free(text);
}
END_TEST

START_TEST(e2e_corrupt_trace_is_refused)
{
    ck_assert_int_eq(tb_run("run --quiet --out c"), 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/c/trace.kst", tb_dir());
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 300, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 300, SEEK_SET);
    fputc(ch ^ 0x5a, f);
    fclose(f);
    ck_assert_int_eq(tb_run("trace dump c/trace.kst"), 2);
    ck_assert_msg(strstr(tb_err(), "trace.kst"), "%s", tb_err());
    ck_assert_int_eq(tb_run("trace dump nonexistent.kst"), 2);
    ck_assert_msg(strstr(tb_err(), "nonexistent.kst"), "%s", tb_err());
}
END_TEST

static const char good_world[] =
    "region { name = \"r\" }\n"
    "nodegroup { name = \"g\", cpu = \"4\", memory = \"16Gi\", min = 2, price = 1.0 }\n";

START_TEST(e2e_bad_input_names_file_line_field_and_writes_nothing)
{
    static const struct { const char *src, *frag; } cases[] = {
        {"region { name = \"r\" }\n\nlocal = 3\n", "bad.lua:3:"},
        {"region { name = \"r\" }\nerror(\"boom\")\n", "bad.lua:2: boom"},
        {"region { name = \"r\" }\n\n\ndeployment { name = \"api\", replcas = 2 }\n",
         "bad.lua:4: unknown field 'replcas' in deployment 'api' (did you mean 'replicas'?)"},
        {"region { name = \"r\" }\ndeployment { name = \"api\", cpu = \"two\" }\n",
         "bad.lua:2: deployment 'api': field 'cpu': \"two\" is not a quantity"},
        {"region { name = \"r\" }\ndeployment { name = \"api\", memory = \"-4Gi\" }\n",
         "bad.lua:2: deployment 'api': field 'memory': \"-4Gi\" must not be negative"},
        {"region { name = \"r\" }\nwhile true do end\n", "bad.lua:2: instruction budget exceeded"},
        {"region { name = \"r\" }\nio.write(1)\n", "bad.lua:2:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tb_write("bad.lua", cases[i].src);
        int rc = tb_run("run bad.lua --out bad --lua-steps 2000000");
        ck_assert_msg(rc == 2, "case %zu: exit %d", i, rc);
        ck_assert_msg(strstr(tb_err(), cases[i].frag), "case %zu: stderr '%s' lacks '%s'", i, tb_err(), cases[i].frag);
        ck_assert_msg(strchr(tb_err(), '\n') == strrchr(tb_err(), '\n'), "case %zu: more than one line: %s", i, tb_err());
        assert_no_output("bad");
    }
}
END_TEST

START_TEST(e2e_missing_scenario_file)
{
    ck_assert_int_eq(tb_run("run no-such-file.lua --out x"), 2);
    ck_assert_msg(strstr(tb_err(), "no-such-file.lua: cannot open"), "%s", tb_err());
    assert_no_output("x");
}
END_TEST

START_TEST(e2e_unwritable_out_is_refused_cleanly)
{
    tb_write("afile", "not a folder\n");
    ck_assert_int_eq(tb_run("run --out afile/sub"), 2);
    ck_assert_msg(strstr(tb_err(), "--out 'afile/sub'"), "%s", tb_err());
    ck_assert_int_eq(tb_run("run --out afile"), 2);
    ck_assert_msg(strstr(tb_err(), "afile"), "%s", tb_err());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp-'", tb_dir());
    ck_assert_msg(system(cmd) != 0, "a temporary folder was left behind");
}
END_TEST

START_TEST(e2e_failed_expectation_exits_1_with_outputs)
{
    char src[1024];
    snprintf(src, sizeof src, "%s%s", good_world,
             "scenario { duration = \"1h\" }\n"
             "expect(\"impossible\", function(r) return r.cost_usd < 0, \"cost is positive\" end)\n"
             "expect(\"fine\", function(r) return true end)\n");
    tb_write("fail.lua", src);
    ck_assert_int_eq(tb_run("run fail.lua --out f --quiet"), 1);
    cJSON *j = read_json("f");
    const cJSON *ex = cJSON_GetObjectItem(j, "expectations");
    ck_assert_int_eq(cJSON_GetArraySize(ex), 2);
    const cJSON *e0 = cJSON_GetArrayItem(ex, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(e0, "name")->valuestring, "impossible");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(e0, "passed")));
    ck_assert_str_eq(cJSON_GetObjectItem(e0, "detail")->valuestring, "cost is positive");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(ex, 1), "passed")));
    /* 2 nodes at $1/h for 1 h */
    ck_assert_double_eq_tol(num(j, "cost_usd", NULL), 2.0, 1e-9);
    cJSON_Delete(j);
}
END_TEST

START_TEST(e2e_set_overrides_param)
{
    ck_assert_int_eq(tb_run("run --quiet --out s1 --set backtests=130"), 0);
    ck_assert_int_eq(tb_run("run --quiet --out s2 --set backtests=140"), 0);
    cJSON *a = read_json("s1"), *b = read_json("s2");
    /* The autoscaler's drains evict pods their controllers recreate: count
     * the pods created for work, not the replacements. */
    ck_assert_double_eq((num(b, "pods", "created") - num(b, "pods", "evicted")) -
                            (num(a, "pods", "created") - num(a, "pods", "evicted")),
                        10);
    cJSON_Delete(a);
    cJSON_Delete(b);
    ck_assert_int_eq(tb_run("run --out s3 --set nosuchparam=1"), 2);
    ck_assert_msg(strstr(tb_err(), "no param 'nosuchparam'"), "%s", tb_err());
    assert_no_output("s3");
}
END_TEST

/* k.log writes to stderr, except under --quiet ("print nothing on success"). */
START_TEST(e2e_hook_log_and_quiet)
{
    tb_write("log.lua", "scenario { name = \"log\", duration = \"10m\" }\nregion { name = \"r\" }\n"
                        "at(\"5m\", function(k) k.log(\"five minutes in\") end)\n");
    ck_assert_int_eq(tb_run("run log.lua --out l1"), 0);
    ck_assert_msg(strstr(tb_err(), "log: hook +300s (00:05:00): five minutes in\n"), "%s", tb_err());
    ck_assert_int_eq(tb_run("run log.lua --out l2 --quiet"), 0);
    ck_assert_str_eq(tb_err(), "");
    ck_assert_str_eq(tb_out(), "");
}
END_TEST

/* A scenario with no region {}: its node group and workloads land in the
 * implied region "default"; validate and run accept it. Its run ends with
 * one block: the SLO it misses (capacity 10 req/s against 500) and why pods
 * waited (a 64-CPU pod on 4-CPU nodes: "Insufficient cpu"); --quiet prints
 * nothing. */
START_TEST(e2e_implied_region_and_end_block)
{
    tb_write("imp.lua",
             "scenario { name = \"imp\", duration = \"30m\" }\n"
             "nodegroup { name = \"g\", cpu = \"4\", memory = \"16Gi\", min = 1, max = 1 }\n"
             "deployment { name = \"api\", replicas = 1, cpu = \"1\", memory = \"1Gi\",\n"
             "  serve = { service = \"api\", capacity = 10, service_time = \"20ms\", slo_p95 = \"50ms\" } }\n"
             "deployment { name = \"huge\", replicas = 2, cpu = \"64\", memory = \"1Gi\" }\n"
             "site { name = \"desk\" }\n"
             "latency { from = \"desk\", to = \"default\", ms = 5 }\n"
             "traffic { site = \"desk\", service = \"api\", rate = 500 }\n");
    ck_assert_int_eq(tb_run("validate imp.lua"), 0);
    ck_assert_msg(strstr(tb_out(), "1 regions, 1 node groups, 2 workloads"), "%s", tb_out());
    ck_assert_int_eq(tb_run("run imp.lua --out imp1"), 0);
    const char *out = tb_out();
    const char *end = strstr(out, "expectations failed: 0\n");
    ck_assert_msg(end != NULL, "%s", out);
    ck_assert_msg(strstr(end, "SLOs missed:\n  api in default: p95 target 50 ms, over it for "), "%s", out);
    ck_assert_msg(strstr(end, "pods waited most for (pod-waits):\n       2  Insufficient cpu\n"), "%s", out);
    cJSON *j = read_json("imp1");
    const cJSON *regions = cJSON_GetObjectItem(j, "regions");
    ck_assert_int_eq(cJSON_GetArraySize(regions), 1);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(regions, 0), "name")->valuestring, "default");
    cJSON_Delete(j);
    ck_assert_int_eq(tb_run("run imp.lua --out imp2 --quiet"), 0);
    ck_assert_str_eq(tb_out(), "");
    ck_assert_str_eq(tb_err(), "");
    /* A region {} after the implied region was made is refused, naming its line. */
    tb_write("imp_late.lua", "nodegroup { name = \"g\", cpu = \"4\", memory = \"16Gi\" }\n"
                             "region { name = \"us-east\" }\n");
    ck_assert_int_eq(tb_run("validate imp_late.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "imp_late.lua:2:") && strstr(tb_err(), "implied region 'default'"), "%s",
                  tb_err());
    /* Naming a region when none is declared still refers to one that must exist. */
    tb_write("imp_bad.lua", "nodegroup { name = \"g\", region = \"us-east\", cpu = \"4\", memory = \"16Gi\" }\n");
    ck_assert_int_eq(tb_run("validate imp_bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "imp_bad.lua:1:") && strstr(tb_err(), "'region'"), "%s", tb_err());
}
END_TEST

START_TEST(e2e_list_params)
{
    ck_assert_int_eq(tb_run("run --list-params"), 0);
    ck_assert_msg(strstr(tb_out(), "surge=10  ") && strstr(tb_out(), "\nbacktests=120  "), "%s", tb_out());
}
END_TEST

START_TEST(e2e_help_version_and_usage_errors)
{
    ck_assert_int_eq(tb_run("--help"), 0);
    ck_assert_msg(strstr(tb_out(), "run") && strstr(tb_out(), "bench"), "%s", tb_out());
    ck_assert_int_eq(tb_run("--version"), 0);
    ck_assert_msg(strncmp(tb_out(), "kubesim ", 8) == 0, "%s", tb_out());
    static const char *const cmds[] = {"run", "trace", "bench", "backtest", "calibrate", "explain"};
    for (size_t i = 0; i < 6; i++) {
        ck_assert_msg(tb_run("%s --help", cmds[i]) == 0, "%s --help", cmds[i]);
        ck_assert_msg(strstr(tb_out(), "usage"), "%s --help: %s", cmds[i], tb_out());
    }
    ck_assert_int_eq(tb_run("%s", ""), 2);
    ck_assert_int_eq(tb_run("frobnicate"), 2);
    ck_assert_int_eq(tb_run("run --bogus"), 2);
    ck_assert_int_eq(tb_run("run --seed -3"), 2);
    ck_assert_int_eq(tb_run("run a.lua b.lua"), 2);
    ck_assert_int_eq(tb_run("bench --only nosuchbench"), 2);
}
END_TEST

/* Backtest requests run the real kernel: the summary's metrics equal those of
 * `kubesim backtest` on the same data, the simulated duration is the counted
 * work over the node's throughput (ten times shorter with a GPU speed-up of
 * 10 for the BLAS kernel), and identical requests all complete. */
START_TEST(e2e_backtest_requests_run_real_kernels)
{
    const char *shared = getenv("KUBESIM_SHARED");
    ck_assert_ptr_nonnull(shared);
    /* The same requests on a CPU-only cluster and on a GPU-only cluster. */
    static const char *const groups[] = {
        "nodegroup { name = \"cpu\", cpu = 16, memory = \"64Gi\", min = 2, speed = 1.0 }\n",
        "nodegroup { name = \"gpu\", cpu = 16, memory = \"64Gi\", gpu = 2, min = 2, gpu_speedup = 10 }\n"};
    double secs[2], sharpe = 0, flops = 0;
    for (int g = 0; g < 2; g++) {
        char src[4096];
        snprintf(src, sizeof src,
                 "region { name = \"r\" }\nnamespace { name = \"research\" }\nscenario { duration = \"4h\" }\n%s"
                 "backtest { name = \"eu-minvar\", namespace = \"research\", strategy = \"minvar\","
                 " data = \"%s/data/eustockmarkets.csv\", cpu = 1, memory = \"1Gi\", gpu = %d }\n"
                 "backtest { name = \"grid\", namespace = \"research\", strategy = \"ma_cross\","
                 " universe = { assets = 5, days = 600, seed = 9 }, params = { fast = { 5, 10 }, slow = { 50 } },"
                 " count = 6, parallelism = 3, cpu = 1, memory = \"1Gi\" }\n",
                 groups[g], shared, g);
        tb_write("bt.lua", src);
        ck_assert_msg(tb_run("run bt.lua --out bt%d --quiet", g) == 0, "%s", tb_err());
        char dir[8];
        snprintf(dir, sizeof dir, "bt%d", g);
        cJSON *j = read_json(dir);
        ck_assert_double_eq(num(j, "backtests", "completed"), 7);
        const cJSON *res = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "backtests"), "results");
        ck_assert_int_eq(cJSON_GetArraySize(res), 2);
        const cJSON *mv = cJSON_GetArrayItem(res, 0), *grid = cJSON_GetArrayItem(res, 1);
        ck_assert_str_eq(cJSON_GetObjectItem(mv, "node_group")->valuestring, g ? "gpu" : "cpu");
        secs[g] = cJSON_GetObjectItem(mv, "sim_seconds")->valuedouble;
        ck_assert_double_eq(cJSON_GetObjectItem(grid, "runs")->valuedouble, 6);
        ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(grid, "pairs")), 2);
        sharpe = cJSON_GetObjectItem(cJSON_GetObjectItem(mv, "metrics"), "sharpe")->valuedouble;
        flops = cJSON_GetObjectItem(mv, "flops")->valuedouble;
        cJSON_Delete(j);
    }
    ck_assert_msg(secs[0] > 0 && fabs(secs[0] / secs[1] - 10.0) < 1e-3, "cpu %g s, gpu %g s", secs[0], secs[1]);
    /* The same kernel through `kubesim backtest`. */
    ck_assert_int_eq(tb_run("backtest --data '%s/data/eustockmarkets.csv' --strategy minvar --json", shared), 0);
    cJSON *b = cJSON_Parse(tb_out());
    ck_assert_ptr_nonnull(b);
    double want = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "metrics"), "sharpe")->valuedouble;
    ck_assert_msg(fabs(sharpe - want) <= 1e-12 * fabs(want), "summary %.17g vs backtest %.17g", sharpe, want);
    const cJSON *work = cJSON_GetObjectItem(b, "work");
    if (work)
        ck_assert_double_eq(cJSON_GetObjectItem(work, "flops")->valuedouble, flops);
    cJSON_Delete(b);
}
END_TEST

START_TEST(e2e_backtest_bad_data_is_refused)
{
    tb_write("bad.csv", "date,A,B\n1,10,20\n2,11,x\n");
    tb_write("btbad.lua", "region { name = \"r\" }\n"
                            "backtest { name = \"b\", strategy = \"ma_cross\", data = \"bad.csv\" }\n");
    ck_assert_int_eq(tb_run("run btbad.lua --out btbad"), 2);
    ck_assert_msg(strstr(tb_err(), "btbad.lua:2:") && strstr(tb_err(), "bad.csv:3"), "%s", tb_err());
    assert_no_output("btbad");
    tb_write("btbad2.lua", "region { name = \"r\" }\n"
                             "backtest { name = \"b\", strategy = \"momentum\", universe = { assets = 3, days = 50 } }\n");
    ck_assert_int_eq(tb_run("run btbad2.lua --out btbad"), 2);
    ck_assert_msg(strstr(tb_err(), "btbad2.lua:2:") && strstr(tb_err(), "field 'params'"), "%s", tb_err());
    tb_write("btbad3.lua", "region { name = \"r\" }\n"
                             "backtest { name = \"b\", strategy = \"alpha\", universe = {} }\n");
    ck_assert_int_eq(tb_run("run btbad3.lua --out btbad"), 2);
    ck_assert_msg(strstr(tb_err(), "'alpha' is not one of"), "%s", tb_err());
    assert_no_output("btbad");
}
END_TEST


/* --calibration replaces the reference core: with round rates, a request's
 * simulated duration is exactly max(flops / F, bytes / B). */
START_TEST(e2e_calibration_sets_backtest_durations)
{
    tb_write("cal.json",
               "{\"classes\": {"
               "\"signal\": {\"single\": {\"flops_per_s\": 1e9, \"bytes_per_s\": 1e12}},"
               "\"rank\": {\"single\": {\"flops_per_s\": 1e9, \"bytes_per_s\": 1e12}},"
               "\"blas\": {\"single\": {\"flops_per_s\": 2e9, \"bytes_per_s\": 1e12}}}}\n");
    tb_write("cal.lua", "region { name = \"r\" }\nnodegroup { name = \"g\", cpu = 4, memory = \"8Gi\", min = 1,"
                          " speed = 2 }\nbacktest { name = \"m\", strategy = \"minvar\","
                          " universe = { assets = 30, days = 400, seed = 1 } }\n");
    ck_assert_msg(tb_run("run cal.lua --out cal --quiet --calibration cal.json") == 0, "%s", tb_err());
    cJSON *j = read_json("cal");
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "backtests"), "results"), 0);
    double flops = cJSON_GetObjectItem(r, "flops")->valuedouble, bytes = cJSON_GetObjectItem(r, "bytes")->valuedouble;
    double want = fmax(flops / 4e9, bytes / 2e12);   /* speed 2 doubles both rates */
    double got = cJSON_GetObjectItem(r, "sim_seconds")->valuedouble;
    ck_assert_msg(fabs(got - want) <= 1e-9, "sim_seconds %.12g, want %.12g", got, want);
    cJSON_Delete(j);
    tb_write("badcal.json", "{\"classes\": {}}\n");
    ck_assert_int_eq(tb_run("run cal.lua --out cal2 --calibration badcal.json"), 2);
    ck_assert_msg(strstr(tb_err(), "--calibration badcal.json"), "%s", tb_err());
    assert_no_output("cal2");
}
END_TEST


START_TEST(e2e_explain_schedule_json_and_text)
{
    const char *src = getenv("KUBESIM_SRC");
    ck_assert_ptr_nonnull(src);
    ck_assert_int_eq(tb_run("explain schedule '%s/tests/fixtures/explain/taint_untolerated_noschedule.json' --json", src), 0);
    cJSON *j = cJSON_Parse(tb_out());
    ck_assert_msg(j != NULL, "%s", tb_out());
    ck_assert_str_eq(cJSON_GetObjectItem(j, "selected")->valuestring, "cpu-2");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "nodes")), 3);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "nominatedNodeName")));
    cJSON_Delete(j);
    ck_assert_int_eq(tb_run("explain schedule '%s/tests/fixtures/explain/taint_untolerated_noschedule.json'", src), 0);
    ck_assert_msg(strstr(tb_out(), "node(s) had untolerated taint {dedicated: gpu}") && strstr(tb_out(), "selected: cpu-2"),
                  "%s", tb_out());
    tb_write("bad-case.json", "{\"nodes\": [], \"pod\": {\"metadata\": {\"name\": \"p\"}, \"spec\": "
                                "{\"containers\": [{\"name\": \"c\", \"resources\": {\"requests\": {\"cpu\": \"two\"}}}]}}}\n");
    ck_assert_int_eq(tb_run("explain schedule bad-case.json --json"), 2);
    ck_assert_msg(strstr(tb_err(), "bad-case.json: $.pod.spec.containers[0].resources.requests.cpu"), "%s", tb_err());
    ck_assert_msg(tb_out()[0] == '\0', "output on bad input: %s", tb_out());
    ck_assert_int_eq(tb_run("explain schedule missing.json"), 2);
    ck_assert_int_eq(tb_run("explain frobnicate x.json"), 2);
}
END_TEST


/* --openmetrics writes what Prometheus' own tool loads into a TSDB. */
START_TEST(e2e_openmetrics_loads_with_promtool)
{
    ck_assert_msg(system("command -v promtool >/dev/null") == 0,
                  "promtool is missing: scripts/deps.sh --test installs it (Debian package prometheus)");
    ck_assert_msg(tb_run("run --quiet --out om --openmetrics om.txt") == 0, "%s", tb_err());
    char path[1024];
    snprintf(path, sizeof path, "%s/om.txt", tb_dir());
    char *om = tb_read(path, NULL);
    ck_assert_ptr_nonnull(om);
    ck_assert(strstr(om, "# TYPE kubesim_region_nodes gauge\n") != NULL);
    ck_assert(strstr(om, "kubesim_service_latency_seconds{region=\"us-east\",service=\"quant-api\",percentile=\"95\","
                         "scenario=\"market_open_surge\",seed=\"42\",run=\"") != NULL);
    ck_assert(strstr(om, "\nkubesim_cost_usd_total{region=\"us-east\",") != NULL);   /* a counter */
    size_t n = strlen(om);
    ck_assert_msg(n > 6 && strcmp(om + n - 6, "# EOF\n") == 0, "no final # EOF");
    free(om);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "promtool tsdb create-blocks-from openmetrics '%s/om.txt' '%s/tsdb' >'%s/promtool.log' 2>&1",
             tb_dir(), tb_dir(), tb_dir());
    ck_assert_msg(system(cmd) == 0, "promtool refused the OpenMetrics file (see promtool.log)");
    ck_assert_int_eq(tb_run("run --quiet --out om2 --openmetrics /nonexistent-dir/x.om"), 2);
    ck_assert_msg(strstr(tb_err(), "/nonexistent-dir/x.om"), "%s", tb_err());
    assert_no_output("om2");
}
END_TEST

/* The value of one metrics.csv row (t,region,kind,name,metric,value) of the
 * run in dir; the test fails if there is none. */
static double metric_at(const char *dir, long t, const char *name, const char *metric)
{
    char path[1024], line[512], want[300];
    snprintf(path, sizeof path, "%s/%s/metrics.csv", tb_dir(), dir);
    snprintf(want, sizeof want, ",%s,%s,", name, metric);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no %s", path);
    while (fgets(line, sizeof line, f)) {
        const char *hit = strstr(line, want);
        if (hit && strtol(line, NULL, 10) == t) {
            fclose(f);
            return strtod(hit + strlen(want), NULL);
        }
    }
    fclose(f);
    ck_abort_msg("no metrics row %ld %s %s", t, name, metric);
    return 0;
}

/* A DaemonSet's replicas metric (desiredNumberScheduled) follows its nodes:
 * a crashed node still counts while it is NotReady (its pod tolerates the
 * taint; only running drops), the autoscaler's removal of empty nodes at
 * 5 min takes three off, and its removal of the unready one (10 min after it
 * went NotReady at 170 s) the last. */
START_TEST(e2e_daemonset_replicas_follow_the_nodes)
{
    tb_write("ds.lua", "scenario { name = \"ds\", duration = \"20m\", sample_every = \"60s\" }\n"
                       "region { name = \"r\", zones = { \"r-a\" } }\n"
                       "nodegroup { name = \"cpu\", cpu = \"4\", memory = \"16Gi\", price = 1, min = 0, max = 4, "
                       "size = 4 }\n"
                       "namespace { name = \"mon\" }\n"
                       "daemonset { name = \"agent\", namespace = \"mon\", cpu = \"100m\", memory = \"64Mi\", "
                       "tolerations = { { operator = \"Exists\" } } }\n"
                       "autoscaler { scale_down_unneeded_time = \"5m\", scale_down_unready_time = \"10m\" }\n"
                       "fault { kind = \"node_crash\", at = \"2m\", node = \"cpu-3\" }\n");
    ck_assert_int_eq(tb_run("run ds.lua --quiet --out ds"), 0);
    static const struct {
        long t;
        double replicas, running, nodes;
    } want[] = {{60, 4, 4, 4}, {240, 4, 3, 4}, {360, 1, 0, 1}, {720, 1, 0, 1}, {780, 0, 0, 0}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ck_assert_double_eq(metric_at("ds", want[i].t, "agent", "replicas"), want[i].replicas);
        ck_assert_double_eq(metric_at("ds", want[i].t, "agent", "running"), want[i].running);
        ck_assert_double_eq(metric_at("ds", want[i].t, "cpu", "nodes"), want[i].nodes);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, e2e_default_run_writes_every_output);
    tcase_add_test(tc, e2e_same_scenario_and_seed_give_identical_trace);
    tcase_add_test(tc, e2e_pairs_loop_gives_one_trace_in_every_process);
    tcase_add_test(tc, e2e_trace_dump_prints_json_lines);
    tcase_add_test(tc, e2e_corrupt_trace_is_refused);
    tcase_add_test(tc, e2e_bad_input_names_file_line_field_and_writes_nothing);
    tcase_add_test(tc, e2e_missing_scenario_file);
    tcase_add_test(tc, e2e_unwritable_out_is_refused_cleanly);
    tcase_add_test(tc, e2e_failed_expectation_exits_1_with_outputs);
    tcase_add_test(tc, e2e_set_overrides_param);
    tcase_add_test(tc, e2e_list_params);
    tcase_add_test(tc, e2e_implied_region_and_end_block);
    tcase_add_test(tc, e2e_hook_log_and_quiet);
    tcase_add_test(tc, e2e_help_version_and_usage_errors);
    tcase_add_test(tc, e2e_backtest_requests_run_real_kernels);
    tcase_add_test(tc, e2e_backtest_bad_data_is_refused);
    tcase_add_test(tc, e2e_calibration_sets_backtest_durations);
    tcase_add_test(tc, e2e_explain_schedule_json_and_text);
    tcase_add_test(tc, e2e_openmetrics_loads_with_promtool);
    tcase_add_test(tc, e2e_daemonset_replicas_follow_the_nodes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("e2e") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder and run in order */
    tb_cleanup();
    return failed ? 1 : 0;
}
