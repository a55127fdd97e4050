/*
 * test_explain_from_hpa.c: `kubesim explain hpa --from RUN_DIR --hpa NAME
 * --at TIME` agrees with the run. Every shipped scenario with an HPA is run
 * once; from its trace (kubesim trace dump) its hpa_sync records are listed
 * (a sync whose outcome changed), and at the first, the last, evenly between
 * and the first rescale, explain --from must give the run's desired replicas
 * and limitedBy, both in its own answer and as the run's ("run":
 * {desiredReplicas, limitedBy, syncedAt}).
 * Also: --case writes a case that plain explain hpa answers the same way; a
 * time between two syncs takes the last sync before it; a missing HPA (with
 * the nearest names), a time outside the run or before the HPA's first sync,
 * and misused flags exit 2 with the reason.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

#define MAX_SYNCS 4096

typedef struct Sync {
    long long ns;
    char t[32];                  /* seconds, to the nanosecond */
    char hpa[128], limited[32];
    int current, desired;
} Sync;

static const char *const scenarios[] = {"market_open_surge", "market_day_volatility", "gpu_training_burst",
                                        "month_end_backtest_storm", "region_outage"};

static char src[1024];

/* tb_shipped_run, failing the test when the run fails. */
static const char *shipped_run(const char *scn)
{
    const char *dir = tb_shipped_run(src, scn);
    ck_assert_msg(dir != NULL, "%s: %s", scn, tb_err());
    return dir;
}

static void sync_of(const cJSON *r, Sync *s)
{
    s->ns = (long long)cJSON_GetObjectItem(r, "t_ns")->valuedouble;
    snprintf(s->t, sizeof s->t, "%lld.%09lld", s->ns / 1000000000, s->ns % 1000000000);
    snprintf(s->hpa, sizeof s->hpa, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(r, "hpa")));
    snprintf(s->limited, sizeof s->limited, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(r, "limited_by")));
    s->current = cJSON_GetObjectItem(r, "current")->valueint;
    s->desired = cJSON_GetObjectItem(r, "desired")->valueint;
}

/* The hpa_sync records of run dir, in trace order. */
static size_t syncs(const char *dir, Sync *out)
{
    ck_assert_int_eq(tb_run("trace dump %s/trace.kst", dir), 0);
    char *text = strdup(tb_out());
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, "\"hpa_sync\"") == NULL || n >= MAX_SYNCS)
            continue;
        cJSON *r = cJSON_Parse(line);
        ck_assert_ptr_nonnull(r);
        sync_of(r, &out[n++]);
        cJSON_Delete(r);
    }
    free(text);
    return n;
}

static cJSON *explain_json(const char *dir, const char *scn, const char *hpa, const char *t, const char *more)
{
    int rc = tb_run("explain hpa --from %s --scenario %s/scenarios/%s.lua --hpa %s --at %s --json %s", dir, src, scn,
                    hpa, t, more);
    ck_assert_msg(rc == 0, "%s: %s at %s: exit %d: %s", scn, hpa, t, rc, tb_err());
    cJSON *j = cJSON_Parse(tb_out());
    ck_assert_msg(j != NULL, "not JSON: %s", tb_out());
    return j;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItem(o, key);
    ck_assert_msg(cJSON_IsNumber(x), "no number %s", key);
    return x->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
    ck_assert_msg(s != NULL, "no string %s", key);
    return s;
}

/* explain's decision and the run's are the traced sync's. */
static void agrees(const char *scn, const Sync *s, const cJSON *j)
{
    const cJSON *run = cJSON_GetObjectItem(j, "run");
    ck_assert_msg(run != NULL, "%s: no run", scn);
    ck_assert_msg((long long)(num(run, "syncedAt") * 1e9 + 0.5) == s->ns, "%s: %s: synced at %.9f, traced at %s", scn,
                  s->hpa, num(run, "syncedAt"), s->t);
    ck_assert_msg((int)num(run, "desiredReplicas") == s->desired && (int)num(run, "currentReplicas") == s->current,
                  "%s: %s at %s: the rerun's sync differs from the run's", scn, s->hpa, s->t);
    ck_assert_str_eq(str(run, "limitedBy"), s->limited);
    ck_assert_msg((int)num(j, "desiredReplicas") == s->desired && (int)num(j, "currentReplicas") == s->current,
                  "%s: %s at %s: the run went %d -> %d, explain says %.0f -> %.0f", scn, s->hpa, s->t, s->current,
                  s->desired, num(j, "currentReplicas"), num(j, "desiredReplicas"));
    ck_assert_msg(strcmp(str(j, "limitedBy"), s->limited) == 0, "%s: %s at %s: the run was limited by %s, explain "
                  "by %s", scn, s->hpa, s->t, s->limited, str(j, "limitedBy"));
}

START_TEST(explain_hpa_from_agrees_with_the_run_on_every_shipped_scenario)
{
    static Sync s[MAX_SYNCS];
    const char *scn = scenarios[_i];
    char dir[64];
    snprintf(dir, sizeof dir, "%s", shipped_run(scn));
    size_t n = syncs(dir, s), rescale = n;
    ck_assert_msg(n >= 5, "%s: %zu hpa syncs traced", scn, n);
    for (size_t k = 0; k < n && rescale == n; k++)
        if (s[k].desired != s[k].current)
            rescale = k;
    ck_assert_msg(rescale < n, "%s: no sync traced a rescale", scn);
    for (size_t k = 0; k <= 7; k++) {   /* the first rescale, then the first, the last and evenly between */
        const Sync *x = &s[k == 7 ? rescale : k * (n - 1) / 6];
        cJSON *j = explain_json(dir, scn, x->hpa, x->t, "");
        agrees(scn, x, j);
        cJSON_Delete(j);
    }
}
END_TEST

START_TEST(case_file_is_the_case_explain_hpa_reads)
{
    (void)shipped_run("market_open_surge");
    static Sync s[MAX_SYNCS];
    size_t n = syncs("run-market_open_surge", s), k = 0;
    while (k < n && s[k].desired == s[k].current)
        k++;
    ck_assert_uint_lt(k, n);
    const Sync *x = &s[k];
    cJSON *j = explain_json("run-market_open_surge", "market_open_surge", x->hpa, x->t, "--case case.json");
    ck_assert_int_eq(tb_run("explain hpa case.json --json"), 0);
    cJSON *plain = cJSON_Parse(tb_out());
    ck_assert_ptr_nonnull(plain);
    cJSON_DeleteItemFromObject(j, "run");   /* the same answer, but for the run's own part */
    ck_assert_msg(cJSON_Compare(j, plain, 1), "explain hpa --from and explain hpa of its --case differ");
    cJSON_Delete(plain);
    cJSON_Delete(j);
    /* the text form names the run's decision */
    ck_assert_int_eq(tb_run("explain hpa --from run-market_open_surge --scenario %s/scenarios/market_open_surge.lua "
                            "--hpa %s --at %s",
                            src, x->hpa, x->t), 0);
    char want[128];
    snprintf(want, sizeof want, "the run: desired %d (current %d, limited by %s", x->desired, x->current, x->limited);
    ck_assert_msg(strstr(tb_out(), want) != NULL, "%s", tb_out());
}
END_TEST

START_TEST(a_time_between_syncs_takes_the_last_sync_before)
{
    (void)shipped_run("market_open_surge");
    static Sync s[MAX_SYNCS];
    size_t n = syncs("run-market_open_surge", s);
    ck_assert_uint_gt(n, 3);
    const Sync *x = &s[n / 2];
    char t[48];
    snprintf(t, sizeof t, "%lld.%09lld", (x->ns + 7000000000LL) / 1000000000, (x->ns + 7000000000LL) % 1000000000);
    cJSON *j = explain_json("run-market_open_surge", "market_open_surge", x->hpa, t, "");
    agrees("market_open_surge", x, j);   /* syncs are 15 s apart: 7 s later, the same sync */
    cJSON_Delete(j);
}
END_TEST

/* A run made with --set is re-run with its values (the trace's meta lists
 * them), and a --set that differs is refused: at 9,030 s the built-in
 * scenario's quant-api-us-east scales 6 -> 7, but with surge=5 its first
 * step up comes at 9,060 s, so a rerun without the run's values would
 * answer 7 here. */
START_TEST(a_run_with_set_is_rerun_with_its_values)
{
    ck_assert_int_eq(tb_run("run %s/scenarios/market_open_surge.lua --quiet --set surge=5 --out setrun", src), 0);
    ck_assert_int_eq(tb_run("trace dump setrun/trace.kst"), 0);
    ck_assert_ptr_nonnull(strstr(tb_out(), "\"sets\":[\"surge=5\"]"));
    const char *scn = "--scenario";
    ck_assert_int_eq(tb_run("explain hpa --from setrun %s %s/scenarios/market_open_surge.lua --hpa quant-api-us-east "
                            "--at 9030 --json", scn, src), 0);
    cJSON *j = cJSON_Parse(tb_out());
    ck_assert_ptr_nonnull(j);
    const cJSON *run = cJSON_GetObjectItem(j, "run");
    ck_assert_int_eq((int)num(run, "desiredReplicas"), 6);
    ck_assert_int_eq((int)num(j, "desiredReplicas"), 6);
    cJSON_Delete(j);
    ck_assert_int_eq(tb_run("explain hpa --from setrun %s %s/scenarios/market_open_surge.lua --hpa quant-api-us-east "
                            "--at 9030 --set surge=5", scn, src), 0);
    ck_assert_int_eq(tb_run("explain hpa --from setrun %s %s/scenarios/market_open_surge.lua --hpa quant-api-us-east "
                            "--at 9030 --set surge=4", scn, src), 2);
    ck_assert_msg(strstr(tb_err(), "the run ran with --set surge=5; --set here differs") != NULL, "%s", tb_err());
    /* the run's values and one more: another run too */
    ck_assert_int_eq(tb_run("explain hpa --from setrun %s %s/scenarios/market_open_surge.lua --hpa quant-api-us-east "
                            "--at 9030 --set surge=5 --set surge.x=1", scn, src), 2);
}
END_TEST

START_TEST(bad_requests_exit_2_with_the_reason)
{
    (void)shipped_run("market_open_surge");
    const char *scn = "--scenario";
    ck_assert_int_eq(tb_run("explain hpa --from run-market_open_surge %s %s/scenarios/market_open_surge.lua --hpa "
                            "quant-api-us-eats "
                            "--at 600", scn, src), 2);
    ck_assert_msg(strstr(tb_err(), "quant-api-us-eats") && strstr(tb_err(), "nearest: quant-api-us-east"), "%s",
                  tb_err());
    ck_assert_int_eq(tb_run("explain hpa --from run-market_open_surge %s %s/scenarios/market_open_surge.lua --hpa "
                            "quant-api-us-east "
                            "--at 999h", scn, src), 2);
    ck_assert_msg(strstr(tb_err(), "999h") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain hpa --from run-market_open_surge %s %s/scenarios/market_open_surge.lua --hpa "
                            "quant-api-us-east "
                            "--at 5", scn, src), 2);
    ck_assert_msg(strstr(tb_err(), "had not synced") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain hpa --from run-market_open_surge --pod x --at 60"), 2);
    ck_assert_int_eq(tb_run("explain schedule --from run-market_open_surge --hpa x --at 60"), 2);
    ck_assert_int_eq(tb_run("explain hpa --from run-market_open_surge --hpa x"), 2);
    ck_assert_msg(strstr(tb_err(), "--at") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("explain hpa case.json --hpa x"), 2);
    ck_assert_str_eq(tb_out(), "");
}
END_TEST

/* A zone outage with the HPA's pods on the dead zone's nodes: at 09:02 zone
 * eu-a's kubelets go down (its nodes NotReady 50 s later). The sync at 300 s
 * reads upstream's groupPods with metrics-server's view: the 3 pods there
 * have no sample (missing) and are Ready=False since 170 s; the 3 in eu-b
 * use 200m of 1 CPU: 600m / 3000m = 20 % -> ratio 0.5 against 40 %. On a
 * scale-down missing pods count at their request: (600m + 3000m) / 6000m =
 * 60 % -> 1.5, the direction flipped: the calculator keeps 6. explain --from
 * says so, names each missing pod with the reason, and its --case carries
 * the pods' Ready=False, transition and missing samples. */
static const char zone_outage_lua[] =
    "scenario { name = \"zone_outage_hpa\", start = \"09:00\", duration = \"10m\", sample_every = \"30s\" }\n"
    "region { name = \"eu\", zones = { \"eu-a\", \"eu-b\" } }\n"
    "namespace { name = \"web\" }\n"
    "nodegroup { name = \"g\", region = \"eu\", instance_type = \"m6i.2xlarge\", cpu = \"8\", memory = \"32Gi\",\n"
    "            price = 0.384, min = 4, max = 4, size = 4, provision_delay = \"90s\" }\n"
    "deployment { name = \"api\", namespace = \"web\", region = \"eu\", replicas = 6, cpu = \"1\", memory = \"1Gi\",\n"
    "             startup = \"5s\", usage = { cpu = \"200m\" } }\n"
    "hpa { name = \"api\", target = \"api\", min = 1, max = 6, metrics = { { type = \"Resource\", name = \"cpu\",\n"
    "      target = { type = \"Utilization\", average_utilization = 40 } } } }\n"
    "fault { kind = \"zone_outage\", zone = \"eu-a\", at = \"09:02\", duration = \"10m\" }\n";

START_TEST(pods_on_not_ready_nodes_are_missing_in_the_run_and_in_explain)
{
    tb_write("zone_outage_hpa.lua", zone_outage_lua);
    ck_assert_int_eq(tb_run("run zone_outage_hpa.lua --quiet --out zorun"), 0);
    ck_assert_int_eq(tb_run("trace dump zorun/trace.kst"), 0);   /* the run's own record of the change */
    ck_assert_msg(strstr(tb_out(), "\"kind\":\"hpa_sync\",\"hpa\":\"api\",\"wl\":0,\"current\":6,\"desired\":6,"
                                   "\"limited_by\":\"none\",\"reason\":\"DesiredWithinRange\","
                                   "\"metrics\":\"cpu 20% (target 40%) -> 6\"") != NULL, "%s", tb_out());
    ck_assert_int_eq(tb_run("explain hpa --from zorun --scenario zone_outage_hpa.lua --hpa api --at 300 --json "
                            "--case zocase.json"), 0);
    cJSON *j = cJSON_Parse(tb_out());
    ck_assert_ptr_nonnull(j);
    const cJSON *run = cJSON_GetObjectItem(j, "run");
    ck_assert_int_eq((int)num(run, "desiredReplicas"), 6);
    ck_assert_int_eq((int)num(j, "calculatorReplicas"), 6);
    const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "perMetric"), 0);
    ck_assert_int_eq((int)num(m, "readyPods"), 3);
    ck_assert_int_eq((int)num(m, "missingPods"), 3);
    ck_assert_int_eq((int)num(m, "unreadyPods"), 0);
    ck_assert_double_eq(num(m, "value"), 20);
    ck_assert_double_eq(num(m, "ratio"), 0.5);
    ck_assert_double_eq(num(m, "recomputedRatio"), 1.5);
    ck_assert_str_eq(str(m, "heldAt"), "direction");
    const cJSON *ex = cJSON_GetObjectItem(m, "excluded"), *x;
    ck_assert_int_eq(cJSON_GetArraySize(ex), 3);
    cJSON_ArrayForEach(x, ex) {
        ck_assert_str_eq(str(x, "group"), "missing");
        ck_assert_str_eq(str(x, "reason"), "no metrics sample: metrics-server cannot scrape its node's kubelet "
                                           "(unreachable for 180s, node NotReady)");
    }
    cJSON_Delete(j);
    char path[1100];
    snprintf(path, sizeof path, "%s/zocase.json", tb_dir());
    char *text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *c = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(c);
    int off = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(c, "pods")) {
        if (cJSON_IsTrue(cJSON_GetObjectItem(x, "nodeReady")))
            continue;
        off++;
        ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(x, "ready")));
        ck_assert_double_eq(num(x, "readyTransitionSecondsAgo"), 130);   /* NotReady at 170 s */
        ck_assert_double_eq(num(x, "kubeletUnreachableSecondsAgo"), 180);
        ck_assert_ptr_null(cJSON_GetObjectItem(x, "usage"));
    }
    ck_assert_int_eq(off, 3);
    cJSON_Delete(c);
    /* the text form lists them */
    ck_assert_int_eq(tb_run("explain hpa zocase.json"), 0);
    ck_assert_msg(strstr(tb_out(), "missing  no metrics sample: metrics-server cannot scrape") != NULL, "%s", tb_out());
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("explain_from_hpa");
    TCase *tc = tcase_create("explain_from_hpa");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, explain_hpa_from_agrees_with_the_run_on_every_shipped_scenario, 0,
                        (int)(sizeof scenarios / sizeof *scenarios));
    tcase_add_test(tc, case_file_is_the_case_explain_hpa_reads);
    tcase_add_test(tc, a_time_between_syncs_takes_the_last_sync_before);
    tcase_add_test(tc, bad_requests_exit_2_with_the_reason);
    tcase_add_test(tc, a_run_with_set_is_rerun_with_its_values);
    tcase_add_test(tc, pods_on_not_ready_nodes_are_missing_in_the_run_and_in_explain);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *root = getenv("KUBESIM_SRC");
    snprintf(src, sizeof src, "%s", root ? root : ".");
    if (tb_setup("explain-from-hpa") != 0)
        return 2;
    int failed = tr_run(suite(), 0);
    tb_cleanup();
    return failed ? 1 : 0;
}
