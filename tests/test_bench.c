/*
 * test_bench.c: every benchmark of `kubesim bench` runs, with --quick, and
 * says what it measured. The list comes from the registry itself
 * (`kubesim bench --list`), so a benchmark added later is covered without
 * touching this file. No figure is compared with a target here (timings
 * are never pass/fail): the checks are that each line is the benchmark's
 * JSON object, that every number in it is finite and not negative, and
 * that its headline figures (the keys --list names) are there and positive.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

#define MAX_BENCH 64

typedef struct Bench {
    char name[64];
    char figures[512];   /* space-separated keys */
} Bench;

/* Parses `kubesim bench --list`; returns how many benchmarks it named. */
static size_t list(Bench *b, size_t cap)
{
    ck_assert_msg(tb_run("bench --list") == 0, "%s", tb_err());
    size_t n = 0;
    const char *p = tb_out();
    while (*p && n < cap) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *sp = memchr(p, ' ', len);
        size_t nl = sp ? (size_t)(sp - p) : len;
        ck_assert_msg(nl > 0 && nl < sizeof b[n].name, "bad --list line: %.*s", (int)len, p);
        memcpy(b[n].name, p, nl);
        b[n].name[nl] = '\0';
        size_t fl = sp ? len - nl - 1 : 0;
        ck_assert_msg(fl < sizeof b[n].figures, "bad --list line: %.*s", (int)len, p);
        memcpy(b[n].figures, sp ? sp + 1 : "", fl);
        b[n].figures[fl] = '\0';
        n++;
        p = eol ? eol + 1 : p + len;
    }
    return n;
}

/* Every number anywhere in the object is finite and >= 0. */
static void numbers_sane(const char *bench, const cJSON *o)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, o)
    {
        if (cJSON_IsNumber(x))
            ck_assert_msg(isfinite(x->valuedouble) && x->valuedouble >= 0, "%s: %s = %g", bench,
                          x->string ? x->string : "(array item)", x->valuedouble);
        else if (cJSON_IsObject(x) || cJSON_IsArray(x))
            numbers_sane(bench, x);
    }
}

static void check_line(const Bench *b, const char *line)
{
    cJSON *o = cJSON_Parse(line);
    ck_assert_msg(cJSON_IsObject(o), "%s: not a JSON object: %s", b->name, line);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "bench");
    ck_assert_msg(cJSON_IsString(name) && strcmp(name->valuestring, b->name) == 0, "%s: line names %s", b->name,
                  line);
    ck_assert_msg(o->child == name, "%s: \"bench\" is not the first key", b->name);
    numbers_sane(b->name, o);
    char keys[sizeof b->figures];
    memcpy(keys, b->figures, sizeof keys);
    int positive = 0;
    for (char *save = NULL, *k = strtok_r(keys, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
        ck_assert_msg(cJSON_IsNumber(x), "%s: figure %s missing: %s", b->name, k, line);
        ck_assert_msg(x->valuedouble > 0, "%s: figure %s = %g, not positive", b->name, k, x->valuedouble);
        positive++;
    }
    if (positive == 0) {   /* none named: at least some number was measured */
        const cJSON *x;
        cJSON_ArrayForEach(x, o) positive += cJSON_IsNumber(x) && x->valuedouble > 0;
        ck_assert_msg(positive > 0, "%s: no positive figure: %s", b->name, line);
    }
    cJSON_Delete(o);
}

/* The registry lists the benchmarks known today, each with headline figures. */
START_TEST(bench_list_names_every_benchmark_once)
{
    Bench b[MAX_BENCH];
    size_t n = list(b, MAX_BENCH);
    static const char *const known[] = {"trading_day", "event_queue", "ma_cross", "minvar",
                                        "backtest_queue", "schedule", "autoscaler_loop", "sweep",
                                        "export", "import", "replay", "fleet_day", "week"};
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        size_t seen = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(b[i].name, known[k]) == 0) {
                seen++;
                ck_assert_msg(b[i].figures[0] != '\0', "%s names no figure", known[k]);
            }
        ck_assert_msg(seen == 1, "%s listed %zu times:\n%s", known[k], seen, tb_out());
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(strcmp(b[i].name, b[j].name) != 0, "%s listed twice", b[i].name);
}
END_TEST

static double fig(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(x), "no number %s", key);
    return x->valuedouble;
}

/* What some benchmarks' quick forms must have done, beyond positive figures
 * (these checks were test_e2e's, which ran each again with --only):
 * trading_day really ran its scenario (pods, simulated hours, regions); the
 * queued-backtest storm finished every request on 5 shared data sets; the
 * fleet has its ten regions and a CPU cost per node-day; the week's long run
 * created the daily backtests' pods again (more pods than its 1-day run) and
 * reports both runs' peak memory and their ratio. Returns 1 if it knew the
 * benchmark. */
static int check_known_figures(const char *name, const cJSON *j)
{
    if (strcmp(name, "event_queue") == 0) {
        ck_assert(fig(j, "events_per_s") > 0);
    } else if (strcmp(name, "trading_day") == 0) {
        ck_assert_double_eq(fig(j, "sim_hours"), 2);
        ck_assert_double_eq(fig(j, "regions"), 3);
        ck_assert(fig(j, "pods_created") > 10000);
        ck_assert(fig(j, "sim_per_wall") > 0);
        ck_assert(fig(j, "peak_rss_mib") > 0);
    } else if (strcmp(name, "backtest_queue") == 0) {
        ck_assert_double_eq(fig(j, "requests"), 50);
        ck_assert_double_eq(fig(j, "data_sets"), 5);
        ck_assert(fig(j, "peak_rss_mib") > 0);
    } else if (strcmp(name, "fleet_day") == 0) {
        ck_assert_double_eq(fig(j, "regions"), 10);
        ck_assert(fig(j, "nodes") >= 10 * 49);
        ck_assert(fig(j, "pods_created") > 10000);
        ck_assert(fig(j, "cpu_s_per_node_day") > 0);
        ck_assert(fig(j, "peak_rss_mib") > 0);
    } else if (strcmp(name, "week") == 0) {
        const cJSON *day = cJSON_GetObjectItem(j, "day");
        ck_assert_ptr_nonnull(day);
        ck_assert_double_eq(fig(day, "sim_hours"), 24);
        ck_assert_double_eq(fig(j, "sim_hours"), 72);
        /* a CronJob each day: the 3-day run created two more days of backtest pods */
        ck_assert(fig(j, "pods_created") > fig(day, "pods_created") + 2 * 3 * 200 - 1);
        double r1 = fig(day, "peak_rss_mib"), r3 = fig(j, "peak_rss_mib");
        ck_assert(r1 > 0 && r3 > 0);
        ck_assert_double_eq_tol(fig(j, "rss_ratio_to_day"), r3 / r1, 1e-9);
    } else {
        return 0;
    }
    return 1;
}

/* One --quick run of the whole registry: a line per benchmark, in order. */
START_TEST(bench_every_benchmark_runs_quick_and_reports_its_figures)
{
    Bench b[MAX_BENCH];
    size_t n = list(b, MAX_BENCH);
    ck_assert_uint_gt(n, 0);
    ck_assert_msg(tb_run("bench --quick --json") == 0, "%s", tb_err());
    char *out = strdup(tb_out());
    ck_assert_ptr_nonnull(out);
    size_t i = 0;
    int known = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(i < n, "more lines than benchmarks: %s", line);
        check_line(&b[i++], line);
        cJSON *j = cJSON_Parse(line);
        known += check_known_figures(b[i - 1].name, j);
        cJSON_Delete(j);
    }
    ck_assert_msg(i == n, "%zu lines for %zu benchmarks (the next one: %s)", i, n, i < n ? b[i].name : "");
    ck_assert_int_eq(known, 5);
    free(out);
}
END_TEST

/* --only picks one (two of the quickest here, event_queue and minvar: the
 * whole registry ran above), with --json and without: either way one JSON
 * line; a name not in the registry is refused. */
START_TEST(bench_only_runs_one_and_refuses_unknown_names)
{
    Bench b[MAX_BENCH];
    size_t n = list(b, MAX_BENCH);
    static const char *const picks[] = {"event_queue", "minvar"};
    for (size_t k = 0; k < 2; k++) {
        size_t i = 0;
        while (i < n && strcmp(b[i].name, picks[k]) != 0)
            i++;
        ck_assert_msg(i < n, "%s is not listed", picks[k]);
        ck_assert_msg(tb_run("bench --quick --only %s%s", b[i].name, k == 0 ? " --json" : "") == 0, "%s", tb_err());
        ck_assert_msg(strchr(tb_out(), '\n') == tb_out() + strlen(tb_out()) - 1, "not one line: %s", tb_out());
        check_line(&b[i], tb_out());
    }
    ck_assert_int_eq(tb_run("bench --only no_such_bench"), 2);
    ck_assert_msg(strstr(tb_err(), "no_such_bench"), "%s", tb_err());
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench");
    TCase *tc = tcase_create("registry");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, bench_list_names_every_benchmark_once);
    tcase_add_test(tc, bench_every_benchmark_runs_quick_and_reports_its_figures);
    tcase_add_test(tc, bench_only_runs_one_and_refuses_unknown_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("bench") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
