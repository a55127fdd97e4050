/*
 * test_sweep.c: capacity sweeps. The grid (scenarios/sweep.h): row-major
 * configuration indices, refused --vary forms, rows from summaries, the
 * cheapest passing configuration, and the CSV round trip that --merge relies
 * on. The command (the binary in KUBESIM_BIN): `--set NAME.FIELD=VALUE`
 * overrides a declaration's field, `kubesim sweep` gives the same outputs
 * whatever --jobs, shards merge back into the whole sweep, and bad input
 * ends with exit 2 and no folder.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "k8s-export/kx.h"
#include "render/rnd.h"
#include "scenarios/sweep.h"
#include "sim/json.h"
#include "tb.h"
#include "tr.h"

/* A scenario that runs in milliseconds: 2 replicas fit the one node, 6 wait
 * for the autoscaler. */
static const char tiny[] =
    "scenario { name = \"tiny\", duration = \"30m\" }\n"
    "local n = param(\"replicas\", 2, \"web replicas\")\n"
    "region { name = \"r1\", zones = { \"r1-a\" } }\n"
    "nodegroup { name = \"cpu\", cpu = \"4\", memory = \"16Gi\", min = 1, max = 1, price = 1.0 }\n"
    "deployment { name = \"web\", replicas = n, cpu = \"1\", memory = \"1Gi\" }\n"
    "expect(\"every replica runs at once\", function(r) return r.pods.pending_peak == 0 end)\n";

static ScnSweep *grid(SimMem *m, const char *const *specs, size_t n)
{
    sim_mem_init(m);
    ScnSweep *w = scn_sweep_new(m);
    ck_assert_ptr_nonnull(w);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(scn_sweep_vary(w, specs[i]) == SIM_OK, "%s", scn_sweep_errmsg(w));
    return w;
}

/* A summary as kubesim run writes it, reduced to what a row reads. */
static void add_row(ScnSweep *w, size_t config, double cost, double viol, int failed)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"cost_usd\": %g, \"pods\": {\"pending_peak\": %zu}, \"slo\": [{\"latency_p95_ms\": 80, "
             "\"violation_seconds\": %g, \"error_rate\": 0.01}, {\"latency_p95_ms\": 95.5, "
             "\"violation_seconds\": 1, \"error_rate\": 0.002}], \"expectations\": [{\"passed\": true}%s]}",
             cost, config, viol, failed ? ", {\"passed\": false}" : "");
    ck_assert_msg(scn_sweep_add_summary(w, config, json, strlen(json)) == SIM_OK, "%s", scn_sweep_errmsg(w));
}

static char *csv_of(const ScnSweep *w, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    scn_sweep_write_csv(w, f);
    fclose(f);
    return text;
}

START_TEST(sweep_grid_is_row_major_last_axis_fastest)
{
    SimMem m;
    const char *specs[] = {"a=1,2", "gpu.max=x,y,z"};
    ScnSweep *w = grid(&m, specs, 2);
    ck_assert_uint_eq(scn_sweep_configs(w), 6);
    ck_assert_uint_eq(scn_sweep_axes(w), 2);
    const char *sets[2];
    scn_sweep_sets(w, 4, sets);
    ck_assert_str_eq(sets[0], "a=2");
    ck_assert_str_eq(sets[1], "gpu.max=y");
    char label[64];
    scn_sweep_label(w, 2, label, sizeof label);
    ck_assert_str_eq(label, "a=1 gpu.max=z");
    scn_sweep_free(w);
}
END_TEST

START_TEST(sweep_vary_refuses_bad_forms)
{
    static const char *const bad[] = {"a", "=1", "a=", "a=1,,2", "a=1,", "a=1,1", NULL};
    static const char *const why[] = {"expected NAME=V1,V2", "expected NAME=V1,V2", "expected NAME=V1,V2",
                                      "an empty value", "an empty value", "listed twice"};
    for (size_t i = 0; bad[i]; i++) {
        SimMem m;
        ScnSweep *w = grid(&m, NULL, 0);
        ck_assert_int_eq(scn_sweep_vary(w, bad[i]), SIM_EINVAL);
        ck_assert_msg(strstr(scn_sweep_errmsg(w), why[i]) != NULL, "%s: %s", bad[i], scn_sweep_errmsg(w));
        scn_sweep_free(w);
    }
    SimMem m;
    const char *specs[] = {"a=1,2"};
    ScnSweep *w = grid(&m, specs, 1);
    ck_assert_int_eq(scn_sweep_vary(w, "a=3"), SIM_EINVAL);
    ck_assert_msg(strstr(scn_sweep_errmsg(w), "varied twice") != NULL, "%s", scn_sweep_errmsg(w));
    ck_assert_int_eq(scn_sweep_vary(w, "b=1,2,3,4,5,6,7,8,9,10"), SIM_OK);
    ck_assert_int_eq(scn_sweep_vary(w, "c=1,2,3,4,5,6,7,8,9,10"), SIM_OK);
    ck_assert_int_eq(scn_sweep_vary(w, "d=1,2,3,4,5,6,7,8,9,10"), SIM_OK);
    ck_assert_int_eq(scn_sweep_vary(w, "e=1,2,3,4,5"), SIM_OK);   /* 10,000 */
    ck_assert_int_eq(scn_sweep_vary(w, "f=1,2,3,4,5,6,7,8,9,10"), SIM_OK);   /* 100,000 */
    ck_assert_int_eq(scn_sweep_vary(w, "g=1,2"), SIM_EINVAL);
    ck_assert_msg(strstr(scn_sweep_errmsg(w), "more than 100000") != NULL, "%s", scn_sweep_errmsg(w));
    scn_sweep_free(w);
}
END_TEST

/* Rows: SLO violation seconds add up over services, p95 and error rate are
 * the worst; the cheapest row without a failed expectation wins, the lowest
 * index on a tie; none when every row fails. */
START_TEST(sweep_rows_and_the_cheapest_passing_configuration)
{
    SimMem m;
    const char *specs[] = {"n=1,2,3,4"};
    ScnSweep *w = grid(&m, specs, 1);
    ck_assert_uint_eq(scn_sweep_cheapest(w), SIZE_MAX);
    add_row(w, 0, 5.0, 10, 1);   /* cheapest, but fails */
    add_row(w, 1, 9.0, 3, 0);
    add_row(w, 2, 7.5, 0, 0);
    add_row(w, 3, 7.5, 0, 0);
    ck_assert_uint_eq(scn_sweep_cheapest(w), 2);
    cJSON *j = scn_sweep_json(w, "tiny", 42, 0, 1);
    const cJSON *rows = cJSON_GetObjectItem(j, "rows"), *r1 = cJSON_GetArrayItem(rows, 1);
    ck_assert_int_eq(cJSON_GetArraySize(rows), 4);
    ck_assert_double_eq(cJSON_GetObjectItem(r1, "slo_violation_seconds")->valuedouble, 4);
    ck_assert_double_eq(cJSON_GetObjectItem(r1, "latency_p95_ms")->valuedouble, 95.5);
    ck_assert_double_eq(cJSON_GetObjectItem(r1, "error_rate")->valuedouble, 0.01);
    ck_assert_double_eq(cJSON_GetObjectItem(r1, "pending_peak")->valuedouble, 1);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "ok")));
    const cJSON *best = cJSON_GetObjectItem(j, "cheapest");
    ck_assert_double_eq(cJSON_GetObjectItem(best, "config")->valuedouble, 2);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(best, "values"), "n")->valuestring, "3");
    cJSON_Delete(j);
    ck_assert_int_eq(scn_sweep_add_summary(w, 0, "{\"pods\": {}}", 12), SIM_EINVAL);
    ck_assert_msg(strstr(scn_sweep_errmsg(w), "not a kubesim summary") != NULL, "%s", scn_sweep_errmsg(w));
    scn_sweep_free(w);
}
END_TEST

/* Shards' CSVs merge back into the very CSV of the whole sweep: the axes'
 * values come back in their --vary order (not sorted: "10" after "9"). */
START_TEST(sweep_csv_merges_back_exactly)
{
    SimMem m;
    const char *specs[] = {"cpu.max=9,10", "mode=b,a,c"};
    ScnSweep *whole = grid(&m, specs, 2);
    for (size_t i = 0; i < 6; i++)
        add_row(whole, i, 100.0 / 3 + (double)i, (double)(i % 2), i == 3);
    size_t len;
    char *all = csv_of(whole, &len);
    /* Split by parity, as --shard 0/2 and 1/2 would, header in both. */
    size_t hl = strcspn(all, "\n") + 1;
    char *even = calloc(len + 1, 1), *odd = calloc(len + 1, 1);
    memcpy(even, all, hl);
    memcpy(odd, all, hl);
    int k = 0;
    for (const char *p = all + hl; *p; k++) {
        size_t n = strcspn(p, "\n") + 1;
        strncat(k % 2 ? odd : even, p, n);
        p += n;
    }
    SimMem m2;
    sim_mem_init(&m2);
    ScnSweep *merged = scn_sweep_new(&m2);
    ck_assert_msg(scn_sweep_add_csv(merged, odd, strlen(odd), "odd.csv") == SIM_OK, "%s", scn_sweep_errmsg(merged));
    ck_assert_msg(scn_sweep_add_csv(merged, even, strlen(even), "even.csv") == SIM_OK, "%s", scn_sweep_errmsg(merged));
    ck_assert_msg(scn_sweep_check_complete(merged) == SIM_OK, "%s", scn_sweep_errmsg(merged));
    size_t len2;
    char *again = csv_of(merged, &len2);
    ck_assert_str_eq(again, all);
    ck_assert_uint_eq(scn_sweep_cheapest(merged), scn_sweep_cheapest(whole));
    free(again);
    scn_sweep_free(merged);

    /* A missing shard, a row twice, a header that does not match. */
    merged = scn_sweep_new(&m2);
    ck_assert_int_eq(scn_sweep_add_csv(merged, even, strlen(even), "even.csv"), SIM_OK);
    ck_assert_int_eq(scn_sweep_check_complete(merged), SIM_EINVAL);
    ck_assert_msg(strstr(scn_sweep_errmsg(merged), "configuration 1 of 6 is in no file") != NULL,
                  "%s", scn_sweep_errmsg(merged));
    scn_sweep_free(merged);
    merged = scn_sweep_new(&m2);
    ck_assert_int_eq(scn_sweep_add_csv(merged, even, strlen(even), "even.csv"), SIM_OK);
    ck_assert_int_eq(scn_sweep_add_csv(merged, even, strlen(even), "again.csv"), SIM_EINVAL);
    ck_assert_msg(strstr(scn_sweep_errmsg(merged), "again.csv:2: configuration 0 appears twice") != NULL,
                  "%s", scn_sweep_errmsg(merged));
    scn_sweep_free(merged);
    merged = scn_sweep_new(&m2);
    const char *other = "config,configs,mem,cost_usd,slo_violation_seconds,latency_p95_ms,error_rate,"
                        "pending_peak,expectations_passed,expectations_failed,ok\n";
    ck_assert_int_eq(scn_sweep_add_csv(merged, even, strlen(even), "even.csv"), SIM_OK);
    ck_assert_int_eq(scn_sweep_add_csv(merged, other, strlen(other), "other.csv"), SIM_EINVAL);
    ck_assert_msg(strstr(scn_sweep_errmsg(merged), "other.csv:1:") != NULL, "%s", scn_sweep_errmsg(merged));
    scn_sweep_free(merged);
    merged = scn_sweep_new(&m2);
    ck_assert_int_eq(scn_sweep_add_csv(merged, "a,b\n1,2\n", 8, "x.csv"), SIM_EINVAL);
    ck_assert_msg(strstr(scn_sweep_errmsg(merged), "x.csv:1: not a kubesim sweep.csv") != NULL,
                  "%s", scn_sweep_errmsg(merged));
    scn_sweep_free(merged);
    free(all);
    free(even);
    free(odd);
    scn_sweep_free(whole);
}
END_TEST

/* sweep.json's text as the command prints it (cJSON, through m), or NULL. */
static char *sweep_text(SimMem *m, const ScnSweep *w)
{
    cJSON *j = scn_sweep_json(w, NULL, -1, 0, 1);   /* whole, or NULL */
    SimJsonScope js;
    sim_json_begin(&js, m);
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (sim_json_end(&js) != SIM_OK) {
        cJSON_free(text);
        text = NULL;
    }
    return text;
}

/* Out of memory at every allocation of a grid, its rows, a merge with a
 * shard's sweep.json, and the merged sweep.json (cJSON, through the sweep's
 * SimMem): an error comes back exactly when an allocation failed, nothing
 * leaks, and the last run gives the whole sweep.json. */
START_TEST(sweep_out_of_memory_sweep)
{
    const char *meta = "{\"schema\":1,\"scenario\":\"tiny\",\"seed\":7,\"path\":\"t.lua\",\"set\":[\"x=1\"],"
                       "\"seeds\":1,\"pass_rate\":1}";
    const char *csv = "config,configs,a,b,cost_usd,slo_violation_seconds,latency_p95_ms,error_rate,pending_peak,"
                      "expectations_passed,expectations_failed,ok\n"
                      "0,2,1,x,3,0,,0,0,1,0,true\n1,2,2,x,2,0,80,0,0,0,1,false\n";
    for (uint64_t n = 1;; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        ScnSweep *w = scn_sweep_new(&m), *mg = w ? scn_sweep_new(&m) : NULL;
        int rc = mg ? scn_sweep_vary(w, "a=1,2") : SIM_ENOMEM;
        if (rc == SIM_OK)
            rc = scn_sweep_vary(w, "b=x");
        if (rc == SIM_OK)
            rc = scn_sweep_add_summary(w, 1, "{\"cost_usd\": 2}", 15);
        if (rc == SIM_OK)
            rc = scn_sweep_add_csv(mg, csv, strlen(csv), "m.csv");
        if (rc == SIM_OK)
            rc = scn_sweep_add_meta(mg, meta, strlen(meta), "sweep.json");
        if (rc == SIM_OK)
            rc = scn_sweep_check_complete(mg);
        char *text = rc == SIM_OK ? sweep_text(&m, mg) : NULL;
        if (rc == SIM_OK && text == NULL)
            rc = SIM_ENOMEM;
        ck_assert_msg(rc == SIM_OK || (rc == SIM_ENOMEM && m.oom), "allocation %llu: %d %s %s", (unsigned long long)n,
                      rc, w ? scn_sweep_errmsg(w) : "", mg ? scn_sweep_errmsg(mg) : "");
        ck_assert_int_eq(rc != SIM_OK, m.oom);
        if (rc == SIM_OK) {
            ck_assert_uint_eq(scn_sweep_cheapest(mg), 0);
            ck_assert_msg(strstr(text, "\"scenario\":\"tiny\"") && strstr(text, "\"cheapest\":{\"config\":0") &&
                          strstr(text, "\"rerun\":\"kubesim run t.lua --seed 7 --set x=1 --set a=1 --set b=x\""),
                          "%s", text);
        }
        cJSON_free(text);
        scn_sweep_free(mg);
        scn_sweep_free(w);
        ck_assert_msg(m.live == 0, "leak after failing allocation %llu", (unsigned long long)n);
        if (!m.oom)
            break;
        ck_assert_msg(n < 10000, "no end to the sweep");
    }
}
END_TEST

/* Strings that YAML 1.1 (Kubernetes' decoder) would read as numbers,
 * booleans or null are quoted; others stay plain. */
START_TEST(yaml_strings_keep_their_type)
{
    SimMem m;
    sim_mem_init(&m);
    KxYaml *y = kx_yaml_new(&m);
    static const char *const in[] = {"1", "on", "Yes", "1e3", "-5", ".5", "null", "~", "", "abc", "1Gi",
                                     "--vary", "a=1,2", "$(X)/2", NULL};
    kx_yaml_doc_begin(y);
    kx_yaml_seq_begin(y);
    for (size_t i = 0; in[i]; i++)
        kx_yaml_str(y, in[i]);
    kx_yaml_int(y, -7);
    kx_yaml_bool(y, 1);
    kx_yaml_seq_end(y);
    kx_yaml_doc_end(y);
    const char *text;
    size_t len;
    ck_assert_int_eq(kx_yaml_text(y, &text, &len), SIM_OK);
    ck_assert_str_eq(text, "---\n- \"1\"\n- \"on\"\n- \"Yes\"\n- \"1e3\"\n- \"-5\"\n- \".5\"\n- \"null\"\n"
                           "- \"~\"\n- \"\"\n- abc\n- \"1Gi\"\n- --vary\n- a=1,2\n- $(X)/2\n- -7\n- true\n");
    ck_assert_uint_eq(len, strlen(text));
    kx_yaml_free(y);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(yaml_sweep_job_out_of_memory_sweep)
{
    const char *varies[] = {"a=1,2"};
    KxSweepJob j = {.name = "s", .ns = "default", .image = "kubesim:1", .scenario = "tiny", .script = tiny,
                    .varies = varies, .nvaries = 1, .seed = 1, .shards = 2, .parallelism = 2, .cpu = "1",
                    .memory = "1Gi", .storage = "1Gi"};
    for (uint64_t n = 1;; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        KxYaml *y = kx_yaml_new(&m);
        const char *text;
        size_t len;
        int rc = y ? kx_sweep_job(&j, y) : SIM_ENOMEM;
        if (rc == SIM_OK)
            rc = kx_yaml_text(y, &text, &len);
        ck_assert_msg(rc == SIM_OK || (rc == SIM_ENOMEM && m.oom), "allocation %llu: %d", (unsigned long long)n, rc);
        kx_yaml_free(y);
        ck_assert_msg(m.live == 0, "leak after failing allocation %llu", (unsigned long long)n);
        if (!m.oom)
            break;
        ck_assert_msg(n < 10000, "no end to the sweep");
    }
}
END_TEST

/* ---- the command ------------------------------------------------------------------ */

/* A file of the suite's folder, as tb_read and tb_slurp take it. */
static const char *at(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", tb_dir(), name);
    return buf;
}

static void expect_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char pa[600], pb[600];
    char *x = tb_read(at(a, pa, sizeof pa), &la), *y = tb_read(at(b, pb, sizeof pb), &lb);
    ck_assert_msg(x && y, "%s or %s unreadable", a, b);
    ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

/* Folders a and b (in the suite's folder) hold the same files, names and
 * bytes: `diff -r`, whose report is the failure's message. */
static void expect_same_tree(const char *a, const char *b)
{
    char cmd[1600], pa[600], pb[600], out[4096] = "";
    ck_assert(tb_exists(a) && tb_exists(b));
    snprintf(cmd, sizeof cmd, "diff -r '%s' '%s' 2>&1", at(a, pa, sizeof pa), at(b, pb, sizeof pb));
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s and %s differ:\n%s", a, b, out);
}

START_TEST(set_overrides_a_declaration_field)
{
    tb_write("tiny.lua", tiny);
    ck_assert_int_eq(tb_run("run tiny.lua --quiet --out r1 --set scenario.duration=1h --set cpu.price=2"), 0);
    char buf[16384], p[600];
    tb_slurp(at("r1/summary.json", p, sizeof p), buf, sizeof buf);
    ck_assert_msg(strstr(buf, "\"sim_seconds\":\t3600") != NULL, "%.300s", buf);
    cJSON *sum = cJSON_Parse(buf);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(sum, "cost_usd")->valuedouble, 2.0, 1e-9);   /* 1 node, 1 h, $2 */
    cJSON_Delete(sum);
    ck_assert_int_eq(tb_run("validate tiny.lua --set cpu.maxx=3"), 2);
    ck_assert_str_eq(tb_err(), "kubesim validate: --set cpu.maxx: nodegroup 'cpu' has no field 'maxx' "
                               "(did you mean 'max'?)\n");
    ck_assert_int_eq(tb_run("validate tiny.lua --set cpu.max=lots"), 2);
    ck_assert_str_eq(tb_err(), "kubesim validate: tiny.lua:4: --set cpu.max=lots: field 'max' of nodegroup "
                               "'cpu' takes a number\n");
    ck_assert_int_eq(tb_run("validate tiny.lua --set r1.zones=x"), 2);
    ck_assert_str_eq(tb_err(), "kubesim validate: tiny.lua:3: --set r1.zones=x: field 'zones' of region 'r1' "
                               "is a table; name a field inside it\n");
    ck_assert_int_eq(tb_run("validate tiny.lua --set gpu.max=3"), 2);
    ck_assert_msg(strstr(tb_err(), "declares nothing named 'gpu'") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("validate tiny.lua --set web.min_ready=10s --set cpu.labels.team=quant"), 0);
}
END_TEST

/* The cheapest passing configuration wins (tie: the lower index); the
 * outputs are the same bytes with one worker or two, and the shards merge
 * into the same sweep.csv. */
START_TEST(sweep_command_jobs_shards_and_merge_agree)
{
    tb_write("tiny.lua", tiny);
    const char *vary = "--vary replicas=2,6 --vary cpu.max=1,2";
    ck_assert_int_eq(tb_run("sweep tiny.lua %s --jobs 2 --out s2", vary), 0);
    ck_assert_msg(strstr(tb_out(), "configuration 0 (replicas=2 cpu.max=1)") != NULL, "%s", tb_out());
    ck_assert_int_eq(tb_run("sweep tiny.lua %s --jobs 1 --quiet --out s1", vary), 0);
    ck_assert_str_eq(tb_out(), "");
    expect_same_file("s1/sweep.csv", "s2/sweep.csv");
    expect_same_file("s1/sweep.json", "s2/sweep.json");
    expect_same_file("s1/sweep.html", "s2/sweep.html");
    ck_assert(tb_exists("s1/configs/3/summary.json"));
    ck_assert(!tb_exists("s1/configs/3/trace.kst"));
    char csv[2048], p[600];
    tb_slurp(at("s1/sweep.csv", p, sizeof p), csv, sizeof csv);
    ck_assert_msg(strstr(csv, "\n0,4,2,1,0.5,") && strstr(csv, "\n1,4,2,2,0.5,") &&
                  strstr(csv, ",true\n2,4,6,1,"), "%s", csv);
    ck_assert_msg(strstr(csv, ",false\n3,4,6,2,") != NULL, "%s", csv);   /* six replicas wait for a node */
    ck_assert_int_eq(tb_run("sweep tiny.lua %s --shard 0/3 --quiet --out p0", vary), 0);
    ck_assert_int_eq(tb_run("sweep tiny.lua %s --shard 1/3 --quiet --out p1", vary), 0);
    ck_assert_int_eq(tb_run("sweep tiny.lua %s --shard 2/3 --quiet --out p2", vary), 0);
    ck_assert_int_eq(tb_run("sweep --merge p2 p0/sweep.csv p1 --quiet --out m"), 0);
    expect_same_file("s1/sweep.csv", "m/sweep.csv");
    expect_same_tree("s1", "m");   /* every file, configs/N/summary.json and the marker included */
    ck_assert_int_eq(tb_run("sweep --merge p0 p2 --out m2"), 2);
    ck_assert_msg(strstr(tb_err(), "configuration 1 of 4 is in no file") != NULL, "%s", tb_err());
    ck_assert(!tb_exists("m2"));
    /* a configuration's folder in two shards: refused, nothing written */
    char cp[1600], from[600], to[600];
    snprintf(cp, sizeof cp, "cp -R '%s' '%s'", at("p1/configs/1", from, sizeof from),
             at("p0/configs/1", to, sizeof to));
    ck_assert_int_eq(system(cp), 0);
    ck_assert_int_eq(tb_run("sweep --merge p0 p1 p2 --out m3"), 2);
    ck_assert_msg(strstr(tb_err(), "configs/1 is in an earlier shard too") != NULL, "%s", tb_err());
    ck_assert(!tb_exists("m3"));
    char html[16384];
    tb_slurp(at("s1/sweep.html", p, sizeof p), html, sizeof html);
    ck_assert_msg(strstr(html, "cheapest that meets every expectation: replicas=2, cpu.max=1") != NULL, "%.400s",
                  html);
    ck_assert_msg(strstr(html, "kubesim run tiny.lua --seed 42 --set replicas=2 --set cpu.max=1</code>") != NULL,
                  "%.400s", html);
}
END_TEST

START_TEST(sweep_command_exit_codes)
{
    tb_write("tiny.lua", tiny);
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary replicas=6,8 --quiet --out none"), 1);   /* none passes */
    ck_assert(tb_exists("none/sweep.csv"));
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary cpu.max=1,x --out bad"), 2);
    ck_assert_str_eq(tb_err(), "kubesim sweep: configuration 1 (cpu.max=x): tiny.lua:4: --set cpu.max=x: field "
                               "'max' of nodegroup 'cpu' takes a number\n");
    ck_assert(!tb_exists("bad"));
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary nosuch=1 --out bad"), 2);
    ck_assert(!tb_exists("bad"));
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary replicas=1 --set replicas=2"), 2);
    ck_assert_int_eq(tb_run("sweep tiny.lua"), 2);
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary replicas=1 --shard 2/2"), 2);
    ck_assert_int_eq(tb_run("sweep --merge"), 2);
    ck_assert_int_eq(tb_run("sweep --help"), 0);
    ck_assert_msg(strstr(tb_out(), "usage: kubesim sweep") != NULL, "%s", tb_out());
}
END_TEST

/* Issue 19: the workers load the configurations (the parent only the first),
 * and none runs until every one loads: with bad values in several workers'
 * shares the sweep names the lowest bad configuration, once, whatever
 * --jobs, and leaves no folder. */
START_TEST(sweep_workers_check_every_configuration_first)
{
    tb_write("tiny.lua", tiny);
    static const char msg[] = "kubesim sweep: configuration %d (replicas=2 cpu.max=%s): tiny.lua:4: --set "
                              "cpu.max=%s: field 'max' of nodegroup 'cpu' takes a number\n";
    char want[512];
    snprintf(want, sizeof want, msg, 1, "x", "x");
    for (int jobs = 1; jobs <= 4; jobs++) {   /* configurations 1, 3, 5, 7 are bad: one worker's each */
        ck_assert_int_eq(tb_run("sweep tiny.lua --vary replicas=2,3,4,5 --vary cpu.max=1,x --jobs %d --out bad",
                                jobs), 2);
        ck_assert_str_eq(tb_err(), want);
        ck_assert(!tb_exists("bad"));
    }
    snprintf(want, sizeof want, msg, 3, "y", "y");
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary replicas=2 --vary cpu.max=1,2,3,y --jobs 2 --out bad"), 2);
    ck_assert_str_eq(tb_err(), want);
    ck_assert(!tb_exists("bad"));
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary replicas=2 --vary cpu.max=1,2,3,y --shard 1/2 --jobs 2 "
                            "--out bad"), 2);
    ck_assert_str_eq(tb_err(), want);
    ck_assert(!tb_exists("bad"));
    /* shard 0 of the same grid has no bad configuration: it runs */
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary replicas=2 --vary cpu.max=1,2,3,y --shard 0/2 --jobs 2 --quiet "
                            "--out good"), 0);
    ck_assert(tb_exists("good/configs/2/summary.json"));
    ck_assert(!tb_exists("good/configs/1"));
}
END_TEST

/* Runs the manifest validator (scripts/validator.sh installs it) once on
 * the files NAMES (apart by spaces) of the suite's folder: one node start,
 * about two CPU seconds. Its exit code; its last line ("N passed, N failed")
 * in last, and when problems is not NULL the lines before it (one a problem,
 * each naming its file) in problems. */
static int validate_files(const char *names, char *last, size_t n, char *problems, size_t np)
{
    const char *mjs = getenv("KUBESIM_VALIDATOR");
    FILE *probe = mjs ? fopen(mjs, "r") : NULL;
    ck_assert_msg(probe != NULL, "no validator at %s: run scripts/validator.sh (scripts/test.sh does)",
                  mjs ? mjs : "(KUBESIM_VALIDATOR unset)");
    fclose(probe);
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "cd '%s' && node '%s' %s 2>&1", tb_dir(), mjs, names);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    last[0] = '\0';
    if (problems)
        problems[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (problems && last[0] && strlen(problems) + strlen(last) < np)
            strcat(problems, last);
        snprintf(last, n, "%s", line);
    }
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int validate_manifests(const char *name, char *last, size_t n)
{
    return validate_files(name, last, n, NULL, 0);
}

/* The Kubernetes objects of a sweep pass the offline validator (Kubernetes
 * 1.32 schema, strict fields); the shards' pods run the same grid with the
 * completion index as their shard; a broken document is caught, so the
 * check can fail. */
START_TEST(export_sweep_objects_validate)
{
    tb_write("tiny.lua", tiny);
    ck_assert_msg(tb_run("export-sweep tiny.lua --vary replicas=2,6 --vary cpu.max=1,2 --shards 3 --parallelism 2 "
                         "--namespace research --storage-class nfs --out job.yaml") == 0, "%s", tb_err());
    ck_assert_str_eq(tb_out(), "");
    char last[512], p[600], problems[4000];
    char *yaml = tb_read(at("job.yaml", p, sizeof p), NULL);
    static const char *const want[] = {
        "kind: ConfigMap\n", "  name: kubesim-sweep-tiny-scenario\n", "  namespace: research\n",
        "  scenario.lua: |\n    scenario { name = \"tiny\", duration = \"30m\" }\n",
        "kind: PersistentVolumeClaim\n", "  - ReadWriteMany\n", "  storageClassName: nfs\n",
        "  completionMode: Indexed\n  completions: 3\n  parallelism: 2\n",
        "        - --vary\n        - replicas=2,6\n        - --vary\n        - cpu.max=1,2\n",
        "        - --shard\n        - $(JOB_COMPLETION_INDEX)/3\n",
        "        - /results/shards/$(JOB_COMPLETION_INDEX)\n",
        "metadata.annotations['batch.kubernetes.io/job-completion-index']",
        "  name: kubesim-sweep-tiny-merge\n", "while [ \"$i\" -lt 3 ]",
        "exec kubesim sweep --merge \"$@\" --out /results/merged\n", "runAsNonRoot: true", NULL};
    for (size_t i = 0; want[i]; i++)
        ck_assert_msg(strstr(yaml, want[i]) != NULL, "no '%s' in:\n%s", want[i], yaml);
    char *bad = strstr(yaml, "completions: 3");
    memcpy(bad, "completions: x", 14);
    tb_write("broken.yaml", yaml);
    free(yaml);
    /* The built-in scenario, to standard output. */
    ck_assert_int_eq(tb_run("export-sweep --vary surge=5,10"), 0);
    tb_write("default.yaml", tb_out());
    /* One validator run: job.yaml's 4 documents and default.yaml's 4 pass,
     * and of broken.yaml's 4 the Job alone fails. */
    ck_assert_int_eq(validate_files("job.yaml broken.yaml default.yaml", last, sizeof last, problems, sizeof problems),
                     1);
    ck_assert_msg(strcmp(last, "11 passed, 1 failed\n") == 0, "%s%s", problems, last);
    ck_assert_msg(strncmp(problems, "broken.yaml:", 12) == 0 && strchr(problems, '\n')[1] == '\0', "%s", problems);
    ck_assert_msg(strstr(tb_out(), "name: kubesim-sweep-market-open-surge\n") != NULL, "%.600s", tb_out());
    /* the default image is the tag README's `docker build -f Containerfile -t kubesim:VERSION .` gives */
    ck_assert_msg(strstr(tb_out(), "image: kubesim:" KUBESIM_VERSION "\n") != NULL, "%.600s", tb_out());
}
END_TEST

START_TEST(export_sweep_refuses_bad_input)
{
    tb_write("tiny.lua", tiny);
    ck_assert_int_eq(tb_run("export-sweep tiny.lua --vary cpu.max=1,x --out bad.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "configuration 1 (cpu.max=x)") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("export-sweep tiny.lua --vary replicas=1,2 --shards 3 --out bad.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "the sweep has 2 configurations") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("export-sweep tiny.lua --vary replicas=1 --name Bad_Name --out bad.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "not a valid Kubernetes name") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("export-sweep tiny.lua --vary replicas=1 --cpu lots --out bad.yaml"), 2);
    ck_assert_int_eq(tb_run("export-sweep tiny.lua --vary replicas=1 --shards 0 --out bad.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "--shards takes 1 to 100000, not 0") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("export-sweep tiny.lua --out bad.yaml"), 2);
    ck_assert(!tb_exists("bad.yaml"));
    ck_assert_int_eq(tb_run("export-sweep --help"), 0);
    ck_assert_msg(strstr(tb_out(), "usage: kubesim export-sweep") != NULL, "%s", tb_out());
    ck_assert_msg(strstr(tb_out(), "the repository's Containerfile builds one") != NULL, "%s", tb_out());
}
END_TEST

/* The benchmark runs the real command twice (a smoke test: figures are not
 * checked, timings belong to kubesim bench). */
START_TEST(sweep_bench_reports_its_figures)
{
    ck_assert_msg(tb_run("bench --quick --only sweep") == 0, "%s", tb_err());
    cJSON *o = cJSON_Parse(tb_out());
    ck_assert_msg(o != NULL, "%s", tb_out());
    ck_assert_str_eq(cJSON_GetObjectItem(o, "bench")->valuestring, "sweep");
    ck_assert_double_eq(cJSON_GetObjectItem(o, "configs")->valuedouble, 2);
    ck_assert(cJSON_GetObjectItem(o, "configs_per_s")->valuedouble > 0);
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(o, "speedup")));
    cJSON_Delete(o);
}
END_TEST

/* ---- seeds, rerun, objective, page, progress ----------------------------------- */

/* One node of `nodes` per configuration, a price drawn from the run's seed
 * (so cost differs by seed), and an expectation that an odd seed fails with
 * a single node: seed 42 passes it, 43 does not. */
static const char lucky[] =
    "scenario { name = \"lucky\", duration = \"1h\" }\n"
    "local nodes = param(\"nodes\", 1, \"nodes\")\n"
    "local price = 1 + math.random(0, 3)\n"
    "region { name = \"r1\", zones = { \"r1-a\" } }\n"
    "nodegroup { name = \"cpu\", cpu = \"4\", memory = \"16Gi\", min = nodes, max = nodes, price = price }\n"
    "deployment { name = \"web\", replicas = 1, cpu = \"1\", memory = \"1Gi\" }\n"
    "expect(\"lucky\", function(r) return r.seed % 2 == 0 or nodes >= 2 end)\n";

static cJSON *json_file(const char *name)
{
    char p[600];
    char *text = tb_read(at(name, p, sizeof p), NULL);
    ck_assert_msg(text != NULL, "%s unreadable", name);
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "%s: not JSON", name);
    free(text);
    return j;
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItem(o, key);
    ck_assert_msg(cJSON_IsNumber(x), "no number %s", key);
    return x->valuedouble;
}

/* Issue 19: a sweep's runs share their data sets and the kernels' results
 * (each distinct request runs once per process): every configuration's
 * summary, trace hash and backtest results included, is the one kubesim run
 * writes for it alone, whatever --jobs. */
START_TEST(sweep_shared_kernels_leave_every_run_as_alone)
{
    tb_write("bt.lua", "scenario { name = \"bt\", duration = \"2h\" }\n"
                       "local n = param(\"count\", 2, \"runs of the grid\")\n"
                       "region { name = \"r1\", zones = { \"r1-a\" } }\n"
                       "namespace { name = \"research\" }\n"
                       "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 2, price = 1.0 }\n"
                       "backtest { name = \"grid\", namespace = \"research\", strategy = \"ma_cross\",\n"
                       "  universe = { assets = 4, days = 400, seed = 3 }, params = { fast = { 5, 10 }, slow = { 50 } },\n"
                       "  count = n, parallelism = 2, cpu = \"1\", memory = \"1Gi\" }\n"
                       "backtest { name = \"mv\", namespace = \"research\", strategy = \"minvar\", start = \"10m\",\n"
                       "  universe = { assets = 6, days = 400, seed = 5 }, params = { window = 100, hold = 21 },\n"
                       "  cpu = \"1\", memory = \"1Gi\" }\n");
    ck_assert_msg(tb_run("sweep bt.lua --vary count=1,3,2 --jobs 1 --quiet --out bs1") == 0, "%s", tb_err());
    ck_assert_msg(tb_run("sweep bt.lua --vary count=1,3,2 --jobs 2 --quiet --out bs2") == 0, "%s", tb_err());
    static const char *const counts[] = {"1", "3", "2"};
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(tb_run("run bt.lua --set count=%s --quiet --out alone%d", counts[i], i) == 0, "%s", tb_err());
        char name[64];
        snprintf(name, sizeof name, "alone%d/summary.json", i);
        cJSON *alone = json_file(name);
        for (int jobs = 1; jobs <= 2; jobs++) {
            snprintf(name, sizeof name, "bs%d/configs/%d/summary.json", jobs, i);
            cJSON *got = json_file(name);
            ck_assert_str_eq(cJSON_GetObjectItem(got, "trace_sha256")->valuestring,
                             cJSON_GetObjectItem(alone, "trace_sha256")->valuestring);
            const cJSON *bt = cJSON_GetObjectItem(got, "backtests");
            ck_assert_double_eq(jnum(bt, "completed"), atoi(counts[i]) + 1);
            ck_assert(cJSON_Compare(bt, cJSON_GetObjectItem(alone, "backtests"), 1));
            cJSON_Delete(got);
        }
        cJSON_Delete(alone);
    }
}
END_TEST

/* One seed (42) lets the single node pass; with two seeds it fails on 43,
 * so the two-node configuration wins; --pass-rate 0.5 lets one seed of two
 * suffice again. --seeds 1 is the sweep without --seeds, byte for byte. */
START_TEST(sweep_seeds_one_lucky_seed_does_not_pick)
{
    tb_write("lucky.lua", lucky);
    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1,2 --jobs 1 --quiet --out l1"), 0);
    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1,2 --seeds 1 --jobs 2 --quiet --out l1b"), 0);
    expect_same_file("l1/sweep.csv", "l1b/sweep.csv");
    expect_same_file("l1/sweep.json", "l1b/sweep.json");
    expect_same_file("l1/sweep.html", "l1b/sweep.html");
    cJSON *j = json_file("l1/sweep.json");
    ck_assert_double_eq(jnum(cJSON_GetObjectItem(j, "cheapest"), "config"), 0);
    cJSON_Delete(j);

    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1,2 --seeds 3 --jobs 2 --out l3"), 0);
    ck_assert_msg(strstr(tb_out(), "configuration 1 (nodes=2)") != NULL, "%s", tb_out());
    ck_assert(tb_exists("l3/configs/0/seed-42/summary.json") && tb_exists("l3/configs/1/seed-44/summary.json"));
    j = json_file("l3/sweep.json");
    ck_assert_double_eq(jnum(j, "seeds"), 3);
    ck_assert_double_eq(jnum(cJSON_GetObjectItem(j, "cheapest"), "config"), 1);
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rows"), 0);
    ck_assert_double_eq(jnum(r0, "seeds"), 3);
    ck_assert_double_eq(jnum(r0, "seeds_passed"), 2);   /* 42 and 44 */
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(r0, "ok")));
    ck_assert_double_eq(jnum(r0, "expectations_failed"), 1);   /* the worst seed's */
    /* mean and worst of the cost: the worst is the highest, the mean between the seeds' */
    double mean = jnum(r0, "cost_usd"), worst = jnum(cJSON_GetObjectItem(r0, "worst"), "cost_usd");
    double c[3];
    for (int s = 0; s < 3; s++) {
        char name[64];
        snprintf(name, sizeof name, "l3/configs/0/seed-%d/summary.json", 42 + s);
        cJSON *sum = json_file(name);
        c[s] = jnum(sum, "cost_usd");
        cJSON_Delete(sum);
    }
    ck_assert_double_eq_tol(mean, (c[0] + c[1] + c[2]) / 3, 1e-9);
    ck_assert_double_eq(worst, fmax(c[0], fmax(c[1], c[2])));
    ck_assert_msg(worst > mean, "the seeds should draw different prices: %g %g %g", c[0], c[1], c[2]);
    cJSON_Delete(j);
    char csv[4096], p[600];
    tb_slurp(at("l3/sweep.csv", p, sizeof p), csv, sizeof csv);
    ck_assert_msg(strstr(csv, ",ok,seeds,seeds_passed,cost_usd_worst,") && strstr(csv, ",false,3,2,"), "%s", csv);

    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1,2 --seeds 3 --pass-rate 0.6 --quiet --out l3r"), 0);
    j = json_file("l3r/sweep.json");
    ck_assert_double_eq(jnum(cJSON_GetObjectItem(j, "cheapest"), "config"), 0);   /* 2 of 3 >= 0.6 */
    cJSON_Delete(j);
    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1 --seeds 2 --quiet --out l1n"), 1);   /* 43 fails */

    /* shards of a seeded sweep merge back into the same CSV and answer */
    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1,2 --seeds 3 --shard 0/2 --quiet --out ls0"), 0);
    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1,2 --seeds 3 --shard 1/2 --quiet --out ls1"), 0);
    ck_assert_int_eq(tb_run("sweep --merge ls0 ls1 --quiet --out lm"), 0);
    expect_same_file("l3/sweep.csv", "lm/sweep.csv");
    cJSON *a = json_file("l3/sweep.json"), *b = json_file("lm/sweep.json");
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "cheapest"), "rerun")->valuestring,
                     cJSON_GetObjectItem(cJSON_GetObjectItem(b, "cheapest"), "rerun")->valuestring);
    cJSON_Delete(a);
    cJSON_Delete(b);

    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1 --seeds 0"), 2);
    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1 --pass-rate 0"), 2);
    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1 --pass-rate 1.5"), 2);
    ck_assert_int_eq(tb_run("sweep lucky.lua --vary nodes=1 --seed 9007199254740991 --seeds 2"), 2);
    ck_assert_int_eq(tb_run("sweep --merge ls0 ls1 --seeds 2"), 2);
}
END_TEST

/* export-sweep carries --seeds, --pass-rate and --objective to every shard:
 * the shard Job's args, run as the cluster would (the completion index
 * substituted, the ConfigMap's and the volume's paths made local), and the
 * merge of the shards give the same sweep.csv and sweep.json as kubesim
 * sweep with those flags (seeds, pass rate, objective, the completion
 * column, the answer that the pass rate picks). */
START_TEST(export_sweep_shards_carry_seeds_pass_rate_and_objective)
{
    char lucky_job[1024];
    snprintf(lucky_job, sizeof lucky_job, "%sjob { name = \"bt\", completions = 2, parallelism = 1, duration = "
             "\"10m\", cpu = \"1\", memory = \"1Gi\" }\n", lucky);
    char cmd[8192], p[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/sc'", tb_dir());
    ck_assert_int_eq(system(cmd), 0);
    tb_write("sc/scenario.lua", lucky_job);
    ck_assert_msg(tb_run("export-sweep sc/scenario.lua --vary nodes=1,2 --seeds 3 --pass-rate 0.6 --objective job:bt "
                         "--shards 2 --out xs.yaml") == 0, "%s", tb_err());
    char last[512];
    ck_assert_int_eq(validate_manifests("xs.yaml", last, sizeof last), 0);
    char *yaml = tb_read(at("xs.yaml", p, sizeof p), NULL);
    const char *a = strstr(yaml, "        args:\n");
    ck_assert_ptr_nonnull(a);
    a += strlen("        args:\n");
    char args[4096] = "";
    size_t n = 0;
    while (strncmp(a, "        - ", 10) == 0) {   /* one argument a line, maybe quoted */
        a += 10;
        size_t len = strcspn(a, "\n");
        char arg[512];
        snprintf(arg, sizeof arg, "%.*s", (int)len, a);
        if (arg[0] == '"' && len >= 2 && arg[len - 1] == '"') {
            memmove(arg, arg + 1, len - 2);
            arg[len - 2] = '\0';
        }
        n += (size_t)snprintf(args + n, sizeof args - n, " '%s'", arg);
        a += len + 1;
    }
    free(yaml);
    ck_assert_msg(strstr(args, "'--seeds' '3' '--pass-rate' '0.6' '--objective' 'job:bt'"), "%s", args);
    for (int i = 0; i < 2; i++) {
        char shard[4096], idx[4];
        snprintf(idx, sizeof idx, "%d", i);
        size_t k = 0;
        for (const char *q = args; *q && k + 32 < sizeof shard;) {   /* the cluster's substitutions */
            if (strncmp(q, "$(JOB_COMPLETION_INDEX)", 23) == 0)
                k += (size_t)snprintf(shard + k, sizeof shard - k, "%s", idx), q += 23;
            else if (strncmp(q, "/scenario/", 10) == 0)
                k += (size_t)snprintf(shard + k, sizeof shard - k, "sc/"), q += 10;
            else if (strncmp(q, "/results/", 9) == 0)
                k += (size_t)snprintf(shard + k, sizeof shard - k, "results/"), q += 9;
            else
                shard[k++] = *q++;
        }
        shard[k] = '\0';
        ck_assert_msg(strncmp(shard, " 'sweep' 'sc/scenario.lua'", 26) == 0, "%s", shard);
        ck_assert_msg(tb_run("%s", shard) == 0, "%s: %s", shard, tb_err());
    }
    ck_assert_int_eq(tb_run("sweep --merge results/shards/0 results/shards/1 --quiet --out results/merged"), 0);
    ck_assert_int_eq(tb_run("sweep sc/scenario.lua --vary nodes=1,2 --seed 42 --seeds 3 --pass-rate 0.6 "
                            "--objective job:bt --quiet --out xs-whole"), 0);
    expect_same_file("results/merged/sweep.csv", "xs-whole/sweep.csv");
    expect_same_file("results/merged/sweep.json", "xs-whole/sweep.json");
    expect_same_tree("results/merged", "xs-whole");   /* configs/N/seed-S/ too */
    cJSON *j = json_file("results/merged/sweep.json");
    ck_assert_double_eq(jnum(j, "seeds"), 3);
    ck_assert_double_eq(jnum(j, "pass_rate"), 0.6);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "objective")), "job:bt");
    ck_assert_double_eq(jnum(cJSON_GetObjectItem(j, "cheapest"), "config"), 0);   /* 2 of 3 seeds pass */
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rows"), 0),
                                                 "completion_seconds")));
    cJSON_Delete(j);
    /* bad values are refused before anything is written */
    ck_assert_int_eq(tb_run("export-sweep sc/scenario.lua --vary nodes=1 --seeds 0 --out xb.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "--seeds takes 1 to 10000"), "%s", tb_err());
    ck_assert_int_eq(tb_run("export-sweep sc/scenario.lua --vary nodes=1 --pass-rate 1.5 --out xb.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "--pass-rate '1.5'"), "%s", tb_err());
    ck_assert_int_eq(tb_run("export-sweep sc/scenario.lua --vary nodes=1 --objective pod:x --out xb.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "expected service:NAME, job:NAME or queue:NAME"), "%s", tb_err());
    ck_assert_int_eq(tb_run("export-sweep sc/scenario.lua --vary nodes=1 --seed 9007199254740991 --seeds 2 "
                            "--out xb.yaml"), 2);
    ck_assert(!tb_exists("xb.yaml"));
}
END_TEST

/* The rerun line of a sweep with its own --set (and a scenario path that
 * needs quoting) is the exact command: run as the shell reads it, it gives
 * the winner's summary (same trace, cost and expectations). */
START_TEST(sweep_rerun_reproduces_the_winner)
{
    tb_write("my tiny.lua", tiny);
    ck_assert_int_eq(tb_run("sweep 'my tiny.lua' --set scenario.duration=40m --set cpu.price=3 "
                            "--vary replicas=2,6 --vary cpu.max=1,2 --seed 7 --quiet --out rr"), 0);
    cJSON *j = json_file("rr/sweep.json");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "path")->valuestring, "my tiny.lua");
    const cJSON *best = cJSON_GetObjectItem(j, "cheapest");
    const char *cmd = cJSON_GetObjectItem(best, "rerun")->valuestring;
    ck_assert_str_eq(cmd, "kubesim run 'my tiny.lua' --seed 7 --set scenario.duration=40m --set cpu.price=3 "
                          "--set replicas=2 --set cpu.max=1");
    int config = (int)jnum(best, "config");
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rows"), config);
    ck_assert_int_eq(tb_run("%s --out again --quiet", cmd + strlen("kubesim ")), 0);
    char name[64];
    snprintf(name, sizeof name, "rr/configs/%d/summary.json", config);
    cJSON *want = json_file(name), *got = json_file("again/summary.json");
    ck_assert_str_eq(cJSON_GetObjectItem(got, "trace_sha256")->valuestring,
                     cJSON_GetObjectItem(want, "trace_sha256")->valuestring);
    ck_assert_double_eq(jnum(got, "cost_usd"), jnum(row, "cost_usd"));
    ck_assert_double_eq_tol(jnum(got, "cost_usd"), 2.0, 1e-9);   /* 40 min at $3 */
    ck_assert_double_eq(jnum(cJSON_GetObjectItem(got, "pods"), "pending_peak"), jnum(row, "pending_peak"));
    ck_assert(cJSON_Compare(cJSON_GetObjectItem(got, "expectations"), cJSON_GetObjectItem(want, "expectations"), 1));
    cJSON_Delete(want);
    cJSON_Delete(got);
    char html[32768], p[600];
    tb_slurp(at("rr/sweep.html", p, sizeof p), html, sizeof html);
    ck_assert_msg(strstr(html, "<code class=\"rerun\">kubesim run &#39;my tiny.lua&#39; --seed 7 --set "
                               "scenario.duration=40m --set cpu.price=3 --set replicas=2 --set cpu.max=1</code>")
                  != NULL, "%.2000s", html);
    cJSON_Delete(j);
}
END_TEST

/* A job: or queue: objective's completion time from metrics.csv: the start
 * of its final idle state, in seconds since the run's start; a CronJob's name covers its Jobs (the slowest counts);
 * one that never finishes leaves the figure empty; a name the run does not
 * have is an error. */
START_TEST(sweep_objective_completion_from_metrics)
{
    static const char summary[] = "{\"cost_usd\": 1, \"slo\": [], \"expectations\": []}";
    static const char queue[] =
        "t_seconds,region,object,name,metric,value\n"
        "0,r,queue,q,length,0\n0,r,queue,q,busy_workers,0\n0,r,queue,q,completed,0\n"
        "60,r,queue,q,length,5\n60,r,queue,q,busy_workers,0\n60,r,queue,q,completed,0\n"
        "120,r,queue,q,length,2\n120,r,queue,q,busy_workers,3\n120,r,queue,q,completed,0\n"
        "180,r,queue,q,length,0\n180,r,queue,q,busy_workers,1\n180,r,queue,q,completed,4\n"
        "240,r,queue,q,length,0\n240,r,queue,q,busy_workers,0\n240,r,queue,q,completed,5\n"
        "300,r,queue,q,length,0\n300,r,queue,q,busy_workers,0\n300,r,queue,q,completed,5\n";
    static const char jobs[] =
        "t_seconds,region,object,name,metric,value\n"
        "60,r,job,fx-100,running,1\n60,r,job,fx-100,succeeded,0\n"
        "120,r,job,fx-100,running,0\n120,r,job,fx-100,succeeded,1\n"
        "120,r,job,fx-101,running,2\n120,r,job,fx-101,succeeded,0\n"
        "300,r,job,fx-101,running,0\n300,r,job,fx-101,succeeded,2\n"
        "300,r,job,fxother,running,1\n";
    SimMem m;
    const char *specs[] = {"a=1,2"};
    ScnSweep *w = grid(&m, specs, 1);
    ck_assert_int_eq(scn_sweep_objective(w, "queue:q"), SIM_OK);
    ck_assert(scn_sweep_wants_metrics(w));
    ck_assert_int_eq(scn_sweep_add_run(w, 0, summary, strlen(summary), queue, strlen(queue)), SIM_OK);
    ck_assert_int_eq(scn_sweep_add_run(w, 1, summary, strlen(summary), jobs, strlen(jobs)), SIM_EINVAL);
    ck_assert_msg(strstr(scn_sweep_errmsg(w), "has no queue named q") != NULL, "%s", scn_sweep_errmsg(w));
    size_t len;
    char *csv = csv_of(w, &len);
    ck_assert_msg(strstr(csv, ",ok,completion_seconds,wait_p95_seconds\n0,2,1,1,") && strstr(csv, ",true,240,\n"),
                  "%s", csv);   /* no queues[] in the summary: no p95 wait */
    free(csv);
    scn_sweep_free(w);

    w = grid(&m, specs, 1);
    ck_assert_int_eq(scn_sweep_objective(w, "job:fx"), SIM_OK);
    ck_assert_int_eq(scn_sweep_add_run(w, 0, summary, strlen(summary), jobs, strlen(jobs)), SIM_OK);
    const char *cut = strstr(jobs, "300,r,job,fx-101,running,0");   /* fx-101 still running at the end */
    ck_assert_int_eq(scn_sweep_add_run(w, 1, summary, strlen(summary), jobs, (size_t)(cut - jobs)), SIM_OK);
    csv = csv_of(w, &len);
    ck_assert_msg(strstr(csv, ",true,300\n") && strstr(csv, ",true,\n"), "%s", csv);   /* done at 300; none */
    free(csv);
    scn_sweep_free(w);

    w = grid(&m, specs, 1);
    ck_assert_int_eq(scn_sweep_objective(w, "pod:x"), SIM_EINVAL);
    ck_assert_int_eq(scn_sweep_objective(w, "service:"), SIM_EINVAL);
    ck_assert_int_eq(scn_sweep_objective(w, "service:web"), SIM_OK);
    static const char slo[] = "{\"cost_usd\": 1, \"slo\": [{\"service\": \"web\", \"violation_seconds\": 5, "
                              "\"latency_p95_ms\": 80}, {\"service\": \"api\", \"violation_seconds\": 100, "
                              "\"latency_p95_ms\": 900, \"error_rate\": 0.5}]}";
    ck_assert_int_eq(scn_sweep_add_summary(w, 0, slo, strlen(slo)), SIM_OK);
    csv = csv_of(w, &len);
    ck_assert_msg(strstr(csv, "\n0,2,1,1,5,80,0,0,") != NULL, "%s", csv);   /* api's figures left out */
    free(csv);
    scn_sweep_free(w);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* With summary.json's jobs.list and queues[] (finish_seconds,
 * last_completion_seconds), the completion comes from them, exact, not from
 * metrics.csv's samples: the last of a CronJob's Jobs to finish, and a null
 * makespan (never finished) is no completion. */
START_TEST(sweep_objective_completion_from_the_summary)
{
    static const char summary[] =
        "{\"cost_usd\": 1, \"slo\": [], \"expectations\": [], \"jobs\": {\"succeeded\": 2, \"failed\": 0,"
        " \"list\": [{\"name\": \"fx-100\", \"cronjob\": \"fx\", \"makespan_seconds\": 61.5, \"finish_seconds\": 3661.5},"
        " {\"name\": \"fx-101\", \"cronjob\": \"fx\", \"makespan_seconds\": 170.25, \"finish_seconds\": 3770.25},"
        " {\"name\": \"other\", \"makespan_seconds\": 9000, \"finish_seconds\": 9000}]},"
        " \"queues\": [{\"name\": \"q\", \"makespan_seconds\": null, \"last_completion_seconds\": 50}]}";
    static const char metrics[] = "t_seconds,region,object,name,metric,value\n";
    SimMem m;
    const char *specs[] = {"a=1"};
    ScnSweep *w = grid(&m, specs, 1);
    ck_assert_int_eq(scn_sweep_objective(w, "job:fx"), SIM_OK);
    ck_assert_int_eq(scn_sweep_add_run(w, 0, summary, strlen(summary), metrics, strlen(metrics)), SIM_OK);
    size_t len;
    char *csv = csv_of(w, &len);
    ck_assert_msg(strstr(csv, ",true,3770.25\n") != NULL, "%s", csv);
    free(csv);
    scn_sweep_free(w);

    w = grid(&m, specs, 1);
    ck_assert_int_eq(scn_sweep_objective(w, "queue:q"), SIM_OK);
    ck_assert_int_eq(scn_sweep_add_run(w, 0, summary, strlen(summary), metrics, strlen(metrics)), SIM_OK);
    csv = csv_of(w, &len);
    ck_assert_msg(strstr(csv, ",true,,\n") != NULL, "a queue that never finished has no completion: %s", csv);
    free(csv);
    scn_sweep_free(w);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* A run that takes more than 2 s shows its progress on a terminal (percent
 * simulated, events, elapsed, an estimate of what is left) and nothing with
 * --quiet or when stderr is not a terminal. The built-in scenario in
 * requests mode takes far longer than this test waits; the three runs go at
 * once, and once the terminal shows the line with its estimate (however long
 * that takes on a loaded or sanitized machine: the test waits for it rather
 * than guessing a time) each run is stopped with SIGINT, as a user's Ctrl-C. */
static void nap_100ms(void)
{
    struct timespec ts = {0, 100000000L};
    nanosleep(&ts, NULL);
}

static int file_has(const char *name, const char *a, const char *b)
{
    char p[600], text[8192];
    tb_slurp(at(name, p, sizeof p), text, sizeof text);
    return strstr(text, a) != NULL && (b == NULL || strstr(text, b) != NULL);
}

START_TEST(run_progress_on_a_terminal_for_a_long_run)
{
    ck_assert_msg(system("command -v script >/dev/null && command -v timeout >/dev/null && command -v pkill "
                         ">/dev/null") == 0,
                  "script(1) (util-linux), timeout(1) (coreutils) and pkill(1) (procps) are needed");
    char cmd[4096], p[600], text[8192];
    /* timeout(1) is only the backstop should the test die before it stops them. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && { script -q -e -c \"timeout -s INT 900 '%s' run --traffic-mode requests --out lp1\" "
             "/dev/null > lp1.log 2>&1 </dev/null & "
             "script -q -e -c \"timeout -s INT 900 '%s' run --traffic-mode requests --quiet --out lp2\" /dev/null "
             "> lp2.log 2>&1 </dev/null & "
             "timeout -s INT 900 '%s' run --traffic-mode requests --out lp3 > lp3.out 2> lp3.log </dev/null & }",
             tb_dir(), tb_bin(), tb_bin(), tb_bin());
    ck_assert_int_eq(system(cmd), 0);
    /* The estimate comes once 1 % is simulated. */
    int shown = 0;
    for (int i = 0; i < 2400 && !shown; i++) {   /* 4 min at most (Check's timeout is 5) */
        shown = file_has("lp1.log", " s elapsed, about ", " s left");
        if (!shown)
            nap_100ms();
    }
    /* Only kubesim itself: its command line starts with the binary (script's
     * and timeout's do not), and the out directories are this test's. */
    snprintf(cmd, sizeof cmd, "pkill -INT -f '^%s run --traffic-mode requests( --quiet)? --out lp[123]$'",
             tb_bin());
    ck_assert_int_eq(system(cmd), 0);
    int stopped = 0;
    for (int i = 0; i < 400 && !stopped; i++) {   /* 40 s for the three to leave */
        stopped = file_has("lp1.log", "stopped by SIGINT", NULL) && file_has("lp2.log", "stopped by SIGINT", NULL) &&
                  file_has("lp3.log", "stopped by SIGINT", NULL);
        if (!stopped)
            nap_100ms();
    }
    tb_slurp(at("lp1.log", p, sizeof p), text, sizeof text);
    ck_assert_msg(shown, "no progress line with an estimate on the terminal: %s", text);
    ck_assert_msg(strstr(text, "market_open_surge: ") && strstr(text, "% of 10.0 h simulated, ") &&
                      strstr(text, " events, ") && strstr(text, " s elapsed"),
                  "no progress line on the terminal: %s", text);
    ck_assert_msg(strstr(text, "stopped by SIGINT") != NULL, "the run was not stopped: %s", text);
    for (int i = 2; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "lp%d.log", i);
        tb_slurp(at(name, p, sizeof p), text, sizeof text);
        ck_assert_msg(strstr(text, "stopped by SIGINT"), "%s: the run was not stopped: %s", name, text);
        ck_assert_msg(strstr(text, " elapsed") == NULL, "%s: progress %s: %s", name,
                      i == 2 ? "with --quiet" : "on a stderr that is a file", text);
    }
}
END_TEST

/* A queue: objective's rows carry the queue's p95 wait (summary.json
 * queues[].wait_p95_seconds) beside its completion: the mean over the seeds
 * and the worst; in sweep.csv (merging back exactly), sweep.json and the
 * page's table. A job: objective has no wait column. */
START_TEST(sweep_queue_objective_carries_the_p95_wait)
{
    static const char fmt[] =
        "{\"cost_usd\": %g, \"slo\": [], \"expectations\": [{\"passed\": true}],"
        " \"queues\": [{\"name\": \"other\", \"makespan_seconds\": 5, \"last_completion_seconds\": 5,"
        " \"wait_p95_seconds\": 9999}, {\"name\": \"q\", \"makespan_seconds\": 100, \"last_completion_seconds\": %g,"
        " \"wait_p95_seconds\": %g}]}";
    static const double wait[2][2] = {{30, 90}, {600, 1200}}, done[2][2] = {{400, 500}, {3000, 3600}};
    SimMem m;
    const char *specs[] = {"workers=8,2"};
    ScnSweep *w = grid(&m, specs, 1);
    scn_sweep_seeds(w, 2, 1.0);
    ck_assert_int_eq(scn_sweep_objective(w, "queue:q"), SIM_OK);
    for (size_t c = 0; c < 2; c++)
        for (size_t k = 0; k < 2; k++) {
            char json[1024];
            snprintf(json, sizeof json, fmt, 10.0 - 4 * (double)c, done[c][k], wait[c][k]);
            ck_assert_msg(scn_sweep_add_run(w, c, json, strlen(json), NULL, 0) == SIM_OK, "%s", scn_sweep_errmsg(w));
        }
    size_t len;
    char *csv = csv_of(w, &len);
    ck_assert_msg(strstr(csv, ",ok,completion_seconds,wait_p95_seconds,seeds,seeds_passed,cost_usd_worst,"
                              "slo_violation_seconds_worst,latency_p95_ms_worst,error_rate_worst,pending_peak_worst,"
                              "completion_seconds_worst,wait_p95_seconds_worst\n"), "%s", csv);
    ck_assert_msg(strstr(csv, ",true,450,60,2,2,10,0,,0,0,500,90\n") && strstr(csv, ",true,3300,900,2,2,6,0,,0,0,3600,1200\n"),
                  "%s", csv);
    /* shards' CSV merge back into the same rows */
    SimMem m2;
    sim_mem_init(&m2);
    ScnSweep *merged = scn_sweep_new(&m2);
    ck_assert_msg(scn_sweep_add_csv(merged, csv, len, "all.csv") == SIM_OK, "%s", scn_sweep_errmsg(merged));
    ck_assert_msg(scn_sweep_check_complete(merged) == SIM_OK, "%s", scn_sweep_errmsg(merged));
    size_t len2;
    char *again = csv_of(merged, &len2);
    ck_assert_str_eq(again, csv);
    free(again);
    scn_sweep_free(merged);
    free(csv);
    /* sweep.json and the page */
    char *text = sweep_text(&m, w);
    ck_assert_ptr_nonnull(text);
    cJSON *j = cJSON_Parse(text);
    cJSON_free(text);
    const cJSON *r1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rows"), 1);
    ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(r1, "wait_p95_seconds")), 900);
    ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r1, "worst"), "wait_p95_seconds")),
                        1200);
    char *out = cJSON_Print(j);
    tb_write("wait.json", out);
    cJSON_free(out);
    cJSON_Delete(j);
    char in[600], html_path[600];
    at("wait.json", in, sizeof in);
    at("wait.html", html_path, sizeof html_path);
    SimMem m3;
    sim_mem_init(&m3);
    SimErr err = SIM_ERR_INIT;
    ck_assert_msg(rnd_sweep_write(&m3, in, html_path, &err) == SIM_OK, "%s", sim_err_msg(&err));
    char *html = tb_read(html_path, NULL);
    ck_assert_msg(strstr(html, "<th class=\"num\">p95 wait</th>") && strstr(html, "15 min"), "%.4000s", html);
    free(html);
    scn_sweep_free(w);

    w = grid(&m, specs, 1);   /* a job: objective has completion only */
    ck_assert_int_eq(scn_sweep_objective(w, "job:fx"), SIM_OK);
    static const char job[] = "{\"cost_usd\": 1, \"slo\": [], \"expectations\": [], \"jobs\": {\"list\": "
                              "[{\"name\": \"fx\", \"makespan_seconds\": 60, \"finish_seconds\": 70}]}}";
    ck_assert_int_eq(scn_sweep_add_run(w, 0, job, strlen(job), NULL, 0), SIM_OK);
    csv = csv_of(w, &len);
    ck_assert_msg(strstr(csv, ",ok,completion_seconds\n") && !strstr(csv, "wait"), "%s", csv);
    free(csv);
    scn_sweep_free(w);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* Every <text class="tick" data-v="V"> of an axis group ("ya" or "xa") of
 * the page: the values, in order, into v (returns the count). */
static int ticks(const char *html, const char *group, double *v, int max)
{
    char open[32];
    snprintf(open, sizeof open, "<g class=\"%s\">", group);
    const char *g = strstr(html, open), *end = g ? strstr(g, "</g>") : NULL;
    ck_assert_msg(g && end, "no axis %s", group);
    int n = 0;
    for (const char *p = g; (p = strstr(p, "data-v=\"")) && p < end && n < max; p++)
        v[n++] = strtod(p + 8, NULL);
    return n;
}

/* Ticks are round: equally spaced by 1, 2 or 5 times a power of ten (of
 * seconds, minutes or hours on a duration axis), each a multiple of it. */
static void expect_round_ticks(const double *v, int n, const char *what)
{
    ck_assert_msg(n >= 3, "%s: %d ticks", what, n);
    double step = v[1] - v[0];
    for (double unit = 1; unit <= 3600; unit *= 60) {
        double s = step / unit, p = pow(10, floor(log10(s) + 1e-9)), mant = s / p;
        if (fabs(mant - 1) < 1e-6 || fabs(mant - 2) < 1e-6 || fabs(mant - 5) < 1e-6)
            goto round;
    }
    ck_abort_msg("%s: step %g is not 1, 2 or 5 times a power of ten", what, step);
round:
    for (int i = 0; i < n; i++) {
        ck_assert_msg(fabs(v[i] - v[0] - i * step) < step * 1e-6, "%s: tick %d at %g", what, i, v[i]);
        ck_assert_msg(fabs(v[i] / step - round(v[i] / step)) < 1e-6, "%s: tick %g not a multiple of %g", what, v[i],
                      step);
    }
}

/* Every <text> of the plot stays inside the 760-wide view box: its x, its
 * anchor and its length at 6.5 px a character (10.5 px text). */
static void expect_labels_inside(const char *html)
{
    const char *svg = strstr(html, "<svg"), *end = svg ? strstr(svg, "</svg>") : NULL;
    ck_assert_ptr_nonnull(end);
    for (const char *p = svg; (p = strstr(p, "<text")) && p < end; p++) {
        const char *gt = strchr(p, '>'), *close = strstr(gt, "</text>");
        if (strstr(p, "rotate(-90)") && strstr(p, "rotate(-90)") < gt)
            continue;   /* the vertical title: checked by its y below */
        double x = strtod(strstr(p, " x=\"") + 4, NULL), wdt = (double)(close - gt - 1) * 6.5;
        int end_anchor = strstr(p, "ya") != NULL;
        const char *g = p;   /* the axis group decides the anchor: ya end, xa middle */
        while (g > svg && strncmp(g, "<g class=\"", 10) != 0)
            g--;
        end_anchor = strncmp(g, "<g class=\"ya\"", 13) == 0;
        double lo = end_anchor ? x - wdt : x - wdt / 2, hi = end_anchor ? x : x + wdt / 2;
        ck_assert_msg(lo >= 0 && hi <= 760, "label '%.*s' spans %.0f..%.0f", (int)(close - gt - 1), gt + 1, lo, hi);
    }
}

/* The page of a sweep scoped to one service: the plot's vertical axis is
 * that service's SLO violation, ticks are round, labels fit, failing points
 * are crosses drawn after every passing point; a job: objective plots the
 * completion time. */
START_TEST(sweep_page_objective_ticks_and_failing_on_top)
{
    const char *src = getenv("KUBESIM_SRC");
    ck_assert_ptr_nonnull(src);
    ck_assert_msg(tb_run("sweep '%s/scenarios/gpu_training_burst.lua' --vary surge=5,10,20 --vary gpu_max=4,6 "
                         "--objective service:signals --quiet --out obj", src) == 0, "%s", tb_err());
    char p[600];
    char *html = tb_read(at("obj/sweep.html", p, sizeof p), NULL);
    ck_assert_msg(strstr(html, "Cost against SLO violation of service:signals") != NULL, "%.3000s", html);
    double v[32];
    expect_round_ticks(v, ticks(html, "ya", v, 32), "vertical");
    expect_round_ticks(v, ticks(html, "xa", v, 32), "horizontal");
    expect_labels_inside(html);
    const char *last_pass = NULL, *first_fail = strstr(html, "class=\"pt fail\"");
    for (const char *q = html; (q = strstr(q, "class=\"pt pass\"")); q++)
        last_pass = q;
    ck_assert_msg(first_fail && last_pass && first_fail > last_pass, "a failing point drawn under a passing one");
    ck_assert_msg(strstr(first_fail, "<path") == NULL || strstr(html, "<path class=\"pt fail\"") != NULL,
                  "failing points are crosses");
    free(html);
    cJSON *j = json_file("obj/sweep.json");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "objective")->valuestring, "service:signals");
    cJSON_Delete(j);

    ck_assert_msg(tb_run("sweep '%s/scenarios/nightly_data_pipeline.lua' --vary md_shards=4,8 --objective "
                         "job:fx-fixings --quiet --out objj", src) <= 1, "%s", tb_err());
    html = tb_read(at("objj/sweep.html", p, sizeof p), NULL);
    ck_assert_msg(strstr(html, "Cost against completion time of job:fx-fixings") != NULL, "%.3000s", html);
    ck_assert_msg(strstr(html, "<th class=\"num\">Completion</th>") != NULL, "%.3000s", html);
    expect_round_ticks(v, ticks(html, "ya", v, 32), "completion");
    expect_labels_inside(html);
    free(html);
    ck_assert_int_eq(tb_run("sweep '%s/scenarios/nightly_data_pipeline.lua' --vary md_shards=4 --objective "
                            "queue:nosuch --quiet --out objq", src), 2);
    ck_assert_msg(strstr(tb_err(), "has no queue named nosuch") != NULL, "%s", tb_err());
    ck_assert(!tb_exists("objq"));
    ck_assert_int_eq(tb_run("sweep '%s/scenarios/nightly_data_pipeline.lua' --vary md_shards=4 --objective "
                            "node:x", src), 2);
}
END_TEST

/* A page from a sweep.json with extreme values: ticks stay round and the
 * labels inside the plot (costs in the thousands, hours of violation). */
START_TEST(sweep_page_labels_fit_extreme_values)
{
    static const char json[] =
        "{\"schema\":1,\"scenario\":\"x\",\"seed\":1,\"vary\":[{\"name\":\"n\",\"values\":[\"1\",\"2\",\"3\"]}],"
        "\"configs\":3,\"rows\":["
        "{\"config\":0,\"values\":{\"n\":\"1\"},\"cost_usd\":1234.5,\"slo_violation_seconds\":86000,\"ok\":false},"
        "{\"config\":1,\"values\":{\"n\":\"2\"},\"cost_usd\":98765.4,\"slo_violation_seconds\":0,\"ok\":true},"
        "{\"config\":2,\"values\":{\"n\":\"3\"},\"cost_usd\":55555,\"slo_violation_seconds\":40000,\"ok\":false}],"
        "\"cheapest\":{\"config\":1,\"values\":{\"n\":\"2\"},\"cost_usd\":98765.4}}";
    char in[600], out[600];
    tb_write("x.json", json);
    at("x.json", in, sizeof in);
    at("x.html", out, sizeof out);
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    ck_assert_msg(rnd_sweep_write(&m, in, out, &err) == SIM_OK, "%s", sim_err_msg(&err));
    char *html = tb_read(out, NULL);
    double v[32];
    expect_round_ticks(v, ticks(html, "ya", v, 32), "vertical");
    expect_round_ticks(v, ticks(html, "xa", v, 32), "horizontal");
    expect_labels_inside(html);
    free(html);
}
END_TEST

/* Progress goes to a terminal only: nothing on a stderr that is a file,
 * nor with --quiet on a terminal; on a terminal (script(1) gives a pty)
 * a sweep shows runs done, elapsed and an estimate, and a run shorter than
 * 2 s shows nothing. */
START_TEST(sweep_progress_only_on_a_terminal)
{
    tb_write("tiny.lua", tiny);
    ck_assert_int_eq(tb_run("sweep tiny.lua --vary replicas=2,6 --vary cpu.max=1,2 --jobs 2 --out pg1"), 0);
    ck_assert_str_eq(tb_err(), "");
    ck_assert_int_eq(tb_run("run tiny.lua --out pg2"), 0);
    ck_assert_str_eq(tb_err(), "");
    ck_assert_msg(system("command -v script >/dev/null") == 0, "script(1) (util-linux) is needed for a pty");
    static const char *const cmds[] = {"sweep tiny.lua --vary replicas=2,6 --vary cpu.max=1,2 --jobs 2 --out pt1",
                                       "sweep tiny.lua --vary replicas=2,6 --vary cpu.max=1,2 --jobs 1 --seeds 2 "
                                       "--out pt2",
                                       "sweep tiny.lua --vary replicas=2,6 --vary cpu.max=1,2 --jobs 2 --quiet "
                                       "--out pt3",
                                       "run tiny.lua --out pt4"};
    for (int i = 0; i < 4; i++) {
        char cmd[2048], log[600], text[8192];
        snprintf(cmd, sizeof cmd, "cd '%s' && script -q -e -c \"'%s' %s\" /dev/null > '%s/pty%d.log' 2>&1 "
                 "</dev/null", tb_dir(), tb_bin(), cmds[i], tb_dir(), i);
        ck_assert_int_eq(system(cmd), 0);
        ck_assert(tb_exists(strrchr(cmds[i], ' ') + 1));   /* it ran */
        snprintf(log, sizeof log, "pty%d.log", i);
        tb_slurp(at(log, cmd, sizeof cmd), text, sizeof text);
        int shown = strstr(text, " elapsed, about ") != NULL;
        ck_assert_msg(shown == (i < 2), "%s: %s", cmds[i], text);
        if (i == 0)
            ck_assert_msg(strstr(text, "kubesim sweep: 4/4 configurations, ") != NULL, "%s", text);
        if (i == 1)
            ck_assert_msg(strstr(text, "8/8 runs (4 configurations x 2 seeds)") != NULL, "%s", text);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("grid");
    tcase_add_test(tc, sweep_grid_is_row_major_last_axis_fastest);
    tcase_add_test(tc, sweep_vary_refuses_bad_forms);
    tcase_add_test(tc, sweep_rows_and_the_cheapest_passing_configuration);
    tcase_add_test(tc, sweep_csv_merges_back_exactly);
    tcase_add_test(tc, sweep_out_of_memory_sweep);
    tcase_add_test(tc, yaml_strings_keep_their_type);
    tcase_add_test(tc, yaml_sweep_job_out_of_memory_sweep);
    tcase_add_test(tc, sweep_objective_completion_from_metrics);
    tcase_add_test(tc, sweep_objective_completion_from_the_summary);
    suite_add_tcase(s, tc);
    TCase *bin = tcase_create("binary");
    tcase_add_test(bin, set_overrides_a_declaration_field);
    tcase_add_test(bin, sweep_command_jobs_shards_and_merge_agree);
    tcase_add_test(bin, sweep_command_exit_codes);
    tcase_add_test(bin, sweep_workers_check_every_configuration_first);
    tcase_add_test(bin, sweep_shared_kernels_leave_every_run_as_alone);
    tcase_add_test(bin, sweep_bench_reports_its_figures);
    tcase_add_test(bin, export_sweep_objects_validate);
    tcase_add_test(bin, export_sweep_refuses_bad_input);
    tcase_add_test(bin, sweep_seeds_one_lucky_seed_does_not_pick);
    tcase_add_test(bin, sweep_rerun_reproduces_the_winner);
    tcase_add_test(bin, sweep_page_objective_ticks_and_failing_on_top);
    tcase_add_test(bin, sweep_page_labels_fit_extreme_values);
    tcase_add_test(bin, sweep_progress_only_on_a_terminal);
    tcase_add_test(bin, run_progress_on_a_terminal_for_a_long_run);
    tcase_add_test(bin, sweep_queue_objective_carries_the_p95_wait);
    tcase_add_test(bin, export_sweep_shards_carry_seeds_pass_rate_and_objective);
    suite_add_tcase(s, bin);
    return s;
}

int main(void)
{
    if (tb_setup("sweep") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder */
    tb_cleanup();
    return failed ? 1 : 0;
}
