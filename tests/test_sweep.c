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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "k8s-export/kx.h"
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
    const char *meta = "{\"schema\":1,\"scenario\":\"tiny\",\"seed\":7}";
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
            ck_assert_msg(strstr(text, "\"scenario\":\"tiny\"") && strstr(text, "\"cheapest\":{\"config\":0"),
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
    ck_assert_int_eq(tb_run("sweep --merge p0 p2 --out m2"), 2);
    ck_assert_msg(strstr(tb_err(), "configuration 1 of 4 is in no file") != NULL, "%s", tb_err());
    ck_assert(!tb_exists("m2"));
    char html[16384];
    tb_slurp(at("s1/sweep.html", p, sizeof p), html, sizeof html);
    ck_assert_msg(strstr(html, "cheapest that meets every expectation: replicas=2, cpu.max=1") != NULL, "%.400s",
                  html);
    ck_assert_msg(strstr(html, "kubesim run SCENARIO --seed 42 --set replicas=2 --set cpu.max=1") != NULL, "%.400s",
                  html);
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

/* Runs the manifest validator (scripts/validator.sh installs it) on a file
 * of the suite's folder; its exit code, and its last line in last. */
static int validate_manifests(const char *name, char *last, size_t n)
{
    const char *mjs = getenv("KUBESIM_VALIDATOR");
    FILE *probe = mjs ? fopen(mjs, "r") : NULL;
    ck_assert_msg(probe != NULL, "no validator at %s: run scripts/validator.sh (scripts/test.sh does)",
                  mjs ? mjs : "(KUBESIM_VALIDATOR unset)");
    fclose(probe);
    char cmd[1600], p[600];
    snprintf(cmd, sizeof cmd, "node '%s' '%s' 2>&1", mjs, at(name, p, sizeof p));
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    last[0] = '\0';
    while (fgets(line, sizeof line, f))
        snprintf(last, n, "%s", line);
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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
    char last[512], p[600];
    ck_assert_int_eq(validate_manifests("job.yaml", last, sizeof last), 0);
    ck_assert_str_eq(last, "4 passed, 0 failed\n");
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
    ck_assert_int_eq(validate_manifests("broken.yaml", last, sizeof last), 1);
    ck_assert_str_eq(last, "3 passed, 1 failed\n");
    free(yaml);
    /* The built-in scenario, to standard output. */
    ck_assert_int_eq(tb_run("export-sweep --vary surge=5,10"), 0);
    tb_write("default.yaml", tb_out());
    ck_assert_int_eq(validate_manifests("default.yaml", last, sizeof last), 0);
    ck_assert_msg(strstr(tb_out(), "name: kubesim-sweep-market-open-surge\n") != NULL, "%.600s", tb_out());
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
    suite_add_tcase(s, tc);
    TCase *bin = tcase_create("binary");
    tcase_add_test(bin, set_overrides_a_declaration_field);
    tcase_add_test(bin, sweep_command_jobs_shards_and_merge_agree);
    tcase_add_test(bin, sweep_command_exit_codes);
    tcase_add_test(bin, sweep_bench_reports_its_figures);
    tcase_add_test(bin, export_sweep_objects_validate);
    tcase_add_test(bin, export_sweep_refuses_bad_input);
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
