/*
 * test_prices.c: an unpriced node group is not free (issue 15, Import 4).
 * `kubesim import --prices FILE` sets the imported groups' prices from a CSV
 * (bad lines exit 2 as FILE:LINE: why, nothing written); a group without a
 * price is imported as price = "unknown"; a run with one reports its cost,
 * its region's, its pods' namespaces' and the total as null in summary.json,
 * warns on stderr, leaves those cost rows out of metrics.csv and the report
 * says "unknown" instead of $0; a priced scenario is unchanged; an export
 * keeps the price unknown through a round trip.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "tb.h"
#include "tr.h"

static const char *shared(void)
{
    const char *s = getenv("KUBESIM_SHARED");
    return s ? s : "/work/shared";
}

static char real[4096];

static const char *manifest(const char *name)
{
    snprintf(real, sizeof real, "%s/real-manifests/kubernetes-website/%s", shared(), name);
    return real;
}

static char *read_in(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), name);
    char *t = tb_read(path, NULL);
    ck_assert_msg(t != NULL, "%s is missing", path);
    return t;
}

static cJSON *summary_of(const char *run)
{
    char name[256];
    snprintf(name, sizeof name, "%s/summary.json", run);
    char *t = read_in(name);
    cJSON *j = cJSON_Parse(t);
    free(t);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* A Deployment with no node group: the importer sizes a default group
 * (m6i.4xlarge), which no manifest prices. */
START_TEST(prices_set_the_imported_groups_price)
{
    tb_write("p.csv", "instance_type,price_per_hour\r\n# on-demand us-east-1\r\nm6i.4xlarge,0.768\r\n\r\n"
                      "\"g5.12xlarge\", 5.672\r\n");
    ck_assert_msg(tb_run("import '%s' --prices p.csv --out priced.lua", manifest("application_php-apache.yaml")) == 0,
                  "%s", tb_err());
    char *t = read_in("priced.lua");
    ck_assert_msg(strstr(t, "instance_type = \"m6i.4xlarge\"") && strstr(t, "price = 0.768 }"), "%s", t);
    ck_assert_msg(strstr(t, "unknown") == NULL, "%s", t);
    free(t);
    /* No header is fine too, and a listed type beats the manifest's own price. */
    tb_write("nohead.csv", "m6i.4xlarge,1.5\n");
    ck_assert_int_eq(tb_run("import '%s' --prices nohead.csv --out nohead.lua", manifest("application_php-apache.yaml")),
                     0);
    t = read_in("nohead.lua");
    ck_assert_msg(strstr(t, "price = 1.5 }"), "%s", t);
    free(t);
}
END_TEST

START_TEST(prices_bad_csv_exits_2_with_file_and_line)
{
    static const struct {
        const char *csv, *why;
    } bad[] = {
        {"m6i.4xlarge,abc\n", "bad.csv:1: price_per_hour: 'abc' is not a price"},
        {"instance_type,price_per_hour\nm6i.4xlarge\n", "bad.csv:2: expected two fields"},
        {"a,1\nb,2,3\n", "bad.csv:2: expected two fields"},
        {"a,1\n\n# x\na,2\n", "bad.csv:4: instance_type: 'a' is priced twice"},
        {",1\n", "bad.csv:1: instance_type: is empty"},
        {"a,-1\n", "bad.csv:1: price_per_hour: '-1'"},
        {"a,nan\n", "bad.csv:1: price_per_hour: 'nan'"},
        {"a,\"1\n", "bad.csv:1: a field is too long or its quote is not closed"},
        {"x,y\n", "bad.csv:1: price_per_hour: 'y'"},   /* a header must say what it is */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tb_write("bad.csv", bad[i].csv);
        ck_assert_int_eq(tb_run("import '%s' --prices bad.csv --out bad.lua", manifest("application_php-apache.yaml")),
                         2);
        ck_assert_msg(strstr(tb_err(), bad[i].why), "case %zu: %s", i, tb_err());
        ck_assert(!tb_exists("bad.lua"));
    }
    ck_assert_int_eq(tb_run("import '%s' --prices missing.csv --out bad.lua", manifest("application_php-apache.yaml")),
                     2);
    ck_assert_msg(strstr(tb_err(), "missing.csv"), "%s", tb_err());
    ck_assert(!tb_exists("bad.lua"));
}
END_TEST

/* Without --prices the default group has no price: "unknown", with a note. */
START_TEST(prices_unpriced_import_says_unknown_and_the_run_reports_it)
{
    ck_assert_int_eq(tb_run("import '%s' --duration 30m --out unpriced.lua", manifest("application_php-apache.yaml")),
                     0);
    char *t = read_in("unpriced.lua");
    ck_assert_msg(strstr(t, "price = \"unknown\" }   -- no price for m6i.4xlarge"), "%s", t);
    free(t);
    ck_assert_msg(tb_run("run unpriced.lua --quiet --out unpriced-run") == 0, "%s", tb_err());
    ck_assert_msg(strstr(tb_err(), "warning: node group 'cpu' has no price"), "%s", tb_err());
    cJSON *j = summary_of("unpriced-run");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "cost_usd")));
    cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "regions"), 0);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r, "cost_usd")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r, "idle_cost_usd")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "nodegroups"), 0),
                                               "cost_usd")));
    cJSON_Delete(j);
    char *html = read_in("unpriced-run/report.html");
    ck_assert_msg(strstr(html, "Cost unknown: node group cpu has no price"), "no note in the report");
    ck_assert_msg(strstr(html, "<dt>Cost</dt><dd><span class=\"unknown\">unknown</span>"), "no unknown cost");
    free(html);
}
END_TEST

/* Two regions, one with an unpriced group: only what includes it is null. */
static const char *mixed =
    "scenario { name = \"mixed\", duration = \"30m\" }\n"
    "region { name = \"r1\", zones = { \"r1a\" } }\n"
    "nodegroup { name = \"paid\", region = \"r1\", cpu = \"4\", memory = \"16Gi\", price = 0.2, min = 1, max = 3 }\n"
    "nodegroup { name = \"dunno\", region = \"r1\", cpu = \"4\", memory = \"16Gi\", price = \"unknown\", min = 1,\n"
    "            max = 3, labels = { pool = \"x\" } }\n"
    "region { name = \"r2\", zones = { \"r2a\" } }\n"
    "nodegroup { name = \"other\", region = \"r2\", cpu = \"4\", memory = \"16Gi\", price = 0.5, min = 1, max = 2 }\n"
    "namespace { name = \"team-a\" }\n"
    "namespace { name = \"team-b\" }\n"
    "deployment { name = \"web\", namespace = \"team-a\", region = \"r1\", replicas = 2, cpu = \"500m\",\n"
    "             memory = \"1Gi\", node_selector = { pool = \"x\" } }\n"
    "deployment { name = \"api\", namespace = \"team-b\", region = \"r2\", replicas = 2, cpu = \"500m\",\n"
    "             memory = \"1Gi\" }\n";

static const cJSON *named(const cJSON *arr, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
        if (strcmp(cJSON_GetObjectItem(it, "name")->valuestring, name) == 0)
            return it;
    ck_abort_msg("%s is missing", name);
    return NULL;
}

START_TEST(prices_unknown_reaches_only_what_includes_it)
{
    tb_write("mixed.lua", mixed);
    ck_assert_msg(tb_run("run mixed.lua --quiet --out mixed-run") == 0, "%s", tb_err());
    ck_assert_msg(strstr(tb_err(), "node group 'dunno' has no price") && !strstr(tb_err(), "'paid'"), "%s",
                  tb_err());
    cJSON *j = summary_of("mixed-run");
    const cJSON *regions = cJSON_GetObjectItem(j, "regions"), *r1 = named(regions, "r1"), *r2 = named(regions, "r2");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "cost_usd")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r1, "cost_usd")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(named(cJSON_GetObjectItem(r1, "nodegroups"), "dunno"), "cost_usd")));
    /* 1 node at $0.2 for half an hour; r2: 1 node at $0.5. */
    ck_assert_double_eq_tol(cJSON_GetObjectItem(named(cJSON_GetObjectItem(r1, "nodegroups"), "paid"),
                                                "cost_usd")->valuedouble, 0.1, 1e-9);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(r2, "cost_usd")->valuedouble, 0.25, 1e-9);
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(r2, "idle_cost_usd")));
    const cJSON *ns = cJSON_GetObjectItem(j, "namespaces");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(named(ns, "team-a"), "cost_usd")));   /* its pods ran on dunno */
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(named(ns, "team-b"), "cost_usd")));
    cJSON_Delete(j);
    char *csv = read_in("mixed-run/metrics.csv");
    ck_assert_msg(strstr(csv, ",nodegroup,dunno,cost_usd,") == NULL, "a cost row for the unpriced group");
    ck_assert_msg(strstr(csv, ",region,r1,cost_usd,") == NULL, "a cost row for its region");
    ck_assert_msg(strstr(csv, ",nodegroup,paid,cost_usd,") && strstr(csv, ",region,r2,cost_usd,"), "priced rows lost");
    free(csv);
    /* A --set prices it (the value replaces the string "unknown"). */
    ck_assert_msg(tb_run("run mixed.lua --quiet --out mixed-set --set dunno.price=0.3") == 0, "%s", tb_err());
    ck_assert_msg(strstr(tb_err(), "warning") == NULL, "%s", tb_err());
    j = summary_of("mixed-set");
    ck_assert_double_eq_tol(cJSON_GetObjectItem(j, "cost_usd")->valuedouble, 0.1 + 0.15 + 0.25, 1e-9);
    cJSON_Delete(j);
    /* A sweep compares costs: an unknown one is refused, naming the fix. */
    ck_assert_int_eq(tb_run("sweep mixed.lua --vary paid.max=2,3 --quiet --out mixed-sweep"), 2);
    ck_assert_msg(strstr(tb_err(), "its cost is unknown"), "%s", tb_err());
    /* Any other string is refused. */
    tb_write("bad-price.lua", "region { name = \"r\", zones = { \"a\" } }\n"
                              "nodegroup { name = \"g\", region = \"r\", cpu = \"4\", memory = \"16Gi\", price = \"n/a\" }\n");
    ck_assert_int_eq(tb_run("validate bad-price.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "bad-price.lua:2:") && strstr(tb_err(), "price") &&
                  strstr(tb_err(), "\"unknown\""), "%s", tb_err());
}
END_TEST

/* The export leaves an unknown price out, and the import reads it back so. */
START_TEST(prices_unknown_round_trips_through_export)
{
    tb_write("rt.lua", mixed);
    ck_assert_msg(tb_run("export rt.lua --quiet --out rt-m") == 0, "%s", tb_err());
    char *ng = read_in("rt-m/r1/eksctl-cluster.yaml");   /* issue 15: the groups' prices as annotations */
    ck_assert_msg(strstr(ng, "kubesim.io/paid.price-per-hour: \"0.2\""), "%s", ng);
    ck_assert_msg(strstr(ng, "dunno.price-per-hour") == NULL, "%s", ng);
    free(ng);
    ck_assert_msg(tb_run("import rt-m --duration 30m --out rt-back.lua") == 0, "%s", tb_err());
    char *t = read_in("rt-back.lua");
    ck_assert_msg(strstr(t, "name = \"dunno\"") && strstr(t, "price = \"unknown\""), "%s", t);
    ck_assert_msg(strstr(t, "price = 0.2,") && strstr(t, "price = 0.5,"), "%s", t);
    free(t);
    ck_assert_msg(tb_run("export rt.lua --quiet --provisioner karpenter --out rt-k") == 0, "%s", tb_err());
    char *np = read_in("rt-k/r1/nodepools.yaml");
    ck_assert_msg(strstr(np, "kubesim.io/price-per-hour: \"0.2\""), "%s", np);
    ck_assert_msg(strstr(strstr(np, "kubesim.io/price-per-hour") + 1, "kubesim.io/price-per-hour") == NULL, "%s", np);
    free(np);
}
END_TEST

START_TEST(prices_parse_survives_out_of_memory)
{
    static const char csv[] = "instance_type,price_per_hour\na,1\nb,2\nc,3\nd,4\ne,5\n";
    SimErr err = SIM_ERR_INIT;
    int ok = 0;
    for (uint64_t n = 1; n < 1000 && !ok; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        KxPrices t;
        int rc = kx_prices_parse(&m, "p.csv", csv, sizeof csv - 1, &t, &err);
        if (rc == SIM_OK) {
            ck_assert_uint_eq(t.n, 5);
            ck_assert_double_eq(kx_prices_find(&t, "c")->per_hour, 3);
            ck_assert_ptr_null(kx_prices_find(&t, "instance_type"));
            kx_prices_free(&m, &t);
            ok = 1;
        } else {
            ck_assert_int_eq(rc, SIM_ENOMEM);
        }
        ck_assert_int_eq(m.live, 0);
    }
    ck_assert(ok);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("prices");
    TCase *bin = tcase_create("binary");
    tcase_set_timeout(bin, 300);
    tcase_add_test(bin, prices_set_the_imported_groups_price);
    tcase_add_test(bin, prices_bad_csv_exits_2_with_file_and_line);
    tcase_add_test(bin, prices_unpriced_import_says_unknown_and_the_run_reports_it);
    tcase_add_test(bin, prices_unknown_reaches_only_what_includes_it);
    tcase_add_test(bin, prices_unknown_round_trips_through_export);
    tcase_add_test(bin, prices_parse_survives_out_of_memory);
    suite_add_tcase(s, bin);
    return s;
}

int main(void)
{
    if (tb_setup("prices") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
