/*
 * test_roundtrip.c: what an export tells a real cluster and what `kubesim
 * import` reads back (issue 15, export 1, 2, 6, 7). Every shipped scenario
 * goes export -> import (no flags) -> export and gives the same manifests
 * except what its generated header lists as not in the manifests; importing
 * the files as a flat list gives the same scenario as importing the folder;
 * where the header lists nothing that changes the simulation, the imported
 * scenario runs to the same summary. One fixture per rule: timed Jobs are
 * suspended with their start and a README.md saying how to resume them; a
 * workload an HPA scales has no spec.replicas; ttlSecondsAfterFinished is
 * written exactly where the simulation deletes finished Jobs; a Job that a
 * count/pods quota stops is warned about; the run's settings and each
 * object's region are recorded and read back; the flags still override.
 */
#include <check.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tb.h"
#include "tr.h"

static char *read_in(const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", tb_dir(), name);
    char *t = tb_read(p, NULL);
    ck_assert_msg(t != NULL, "%s unreadable", name);
    return t;
}

static void expect_in(const char *file, const char *const *want)
{
    char *t = read_in(file);
    for (size_t i = 0; want[i]; i++)
        ck_assert_msg(strstr(t, want[i]) != NULL, "%s: no '%s' in:\n%.3000s", file, want[i], t);
    free(t);
}

static void expect_not_in(const char *file, const char *const *unwanted)
{
    char *t = read_in(file);
    for (size_t i = 0; unwanted[i]; i++)
        ck_assert_msg(strstr(t, unwanted[i]) == NULL, "%s: '%s' in:\n%.3000s", file, unwanted[i], t);
    free(t);
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* The document of kind KIND named NAME in text (up to the next "---"), copied. */
static char *doc_of(const char *text, const char *kind, const char *name)
{
    char k[256];
    snprintf(k, sizeof k, "kind: %s\nmetadata:\n  name: %s\n", kind, name);
    const char *p = strstr(text, k);
    ck_assert_msg(p != NULL, "no %s %s in:\n%.2000s", kind, name, text);
    const char *end = strstr(p, "\n---");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *d = malloc(len + 1);
    ck_assert_ptr_nonnull(d);
    memcpy(d, p, len);
    d[len] = '\0';
    return d;
}

/* ---- every shipped scenario ------------------------------------------------ */

/* Runs cmd in the suite's folder; its exit code. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    int k = snprintf(cmd, sizeof cmd, "cd '%s' && ", tb_dir());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd + k, sizeof cmd - (size_t)k, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A summary without what cannot match: the run's wall time, the trace hash
 * and the event count (hooks are events and write log records; an import
 * has none), and the expectations (an import has none). */
static void stripped(const char *dir)
{
    ck_assert_int_eq(sh("python3 -c \"import json; d=json.load(open('%s/summary.json'));"
                        "[d.pop(k,None) for k in ('wall_seconds','trace_sha256','expectations','events')];"
                        "print(json.dumps(d,sort_keys=True))\" > %s.json", dir, dir), 0);
}

static void one_scenario(const char *path, size_t i, int *compared)
{
    char m[32], r[32], lua[32];
    snprintf(m, sizeof m, "rt%zu-m", i);
    snprintf(r, sizeof r, "rt%zu-r", i);
    snprintf(lua, sizeof lua, "rt%zu.lua", i);
    ck_assert_msg(tb_run("export '%s' --out %s --quiet", path, m) == 0, "%s: %.1500s", path, tb_err());
    ck_assert_msg(tb_run("import %s --out %s", m, lua) == 0, "%s: %.1500s", path, tb_err());
    /* The same files as a flat list: each object stays in its region. */
    ck_assert_msg(tb_run("import %s/*/*.yaml --out rt%zu-flat.lua", m, i) == 0, "%s: %.1500s", path, tb_err());
    ck_assert_msg(sh("cmp -s %s rt%zu-flat.lua", lua, i) == 0, "%s: the flat list imports otherwise", path);
    ck_assert_msg(tb_run("export %s --out %s --quiet", lua, r) == 0, "%s: %.1500s", path, tb_err());
    char *text = read_in(lua);
    const char *lost = strstr(text, "\n-- not in the manifests");
    int kernels = lost && strstr(lost, "backtest kernel") && strstr(lost, "backtest kernel") < strchr(lost + 1, '\n');
    ck_assert_msg(sh("diff -r %s %s > %s.diff; test $? -le 1", m, r, m) == 0, "diff failed");
    int rc = sh("grep -v -e '^diff -r ' -e '^---$' -e '^[0-9,]*[acd][0-9,]*$' -e '^<     kubesim.io/not-exported: ' "
                "%s %s.diff > %s.rest; test ! -s %s.rest",
                kernels ? "-e '^<         kubesim.io/duration: by-work$' -e '^>         kubesim.io/duration: \"60s\"$'"
                        : "",
                m, m, m);
    if (rc != 0) {
        char name[64];
        snprintf(name, sizeof name, "%s.rest", m);
        char *d = read_in(name);   /* the test ends here: freed with the process */
        ck_abort_msg("%s: export -> import -> export differs beyond the header's list:\n%.3000s", path, d);
    }
    /* Nothing that acts on the run is lost: the same summary. */
    if (lost == NULL || (!strstr(lost, " fault") && !strstr(lost, " queue submit") && !kernels)) {
        ck_assert_msg(tb_run("run '%s' --quiet --out rt%zu-a", path, i) <= 1, "%s: %.1500s", path, tb_err());
        ck_assert_msg(tb_run("run %s --quiet --out rt%zu-b", lua, i) == 0, "%s: %.1500s", path, tb_err());
        char a[32], b[32];
        snprintf(a, sizeof a, "rt%zu-a", i);
        snprintf(b, sizeof b, "rt%zu-b", i);
        stripped(a);
        stripped(b);
        ck_assert_msg(sh("cmp -s %s.json %s.json", a, b) == 0, "%s: the imported scenario's summary differs", path);
        (*compared)++;
    }
    free(text);
}

START_TEST(roundtrip_every_shipped_scenario_without_flags)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/scenarios/*.lua", getenv("KUBESIM_SRC"));
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 6);
    int compared = 0;
    for (size_t i = 0; i < g.gl_pathc; i++)
        one_scenario(g.gl_pathv[i], i, &compared);
    globfree(&g);
    ck_assert_int_ge(compared, 3);   /* gpu_training_burst, nightly_data_pipeline, quota_contention */
}
END_TEST

/* ---- one fixture per rule ---------------------------------------------------- */

static const char fixture[] =
    "scenario { name = \"rules\", timezone = \"America/New_York\", date = \"2026-03-18\", start = \"08:00\",\n"
    "           duration = \"3h\", sample_every = \"30s\" }\n"
    "region { name = \"r1\" }\n"
    "region { name = \"r2\" }\n"
    "namespace { name = \"team\" }\n"
    "nodegroup { name = \"cpu\", region = \"r1\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 4, size = 2 }\n"
    "nodegroup { name = \"cpu2\", region = \"r2\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 2 }\n"
    "quota { name = \"q\", namespace = \"team\", region = \"r1\", hard = { [\"count/pods\"] = 10 } }\n"
    "deployment { name = \"web\", namespace = \"team\", region = \"r1\", replicas = 3, cpu = \"500m\" }\n"
    "hpa { name = \"web\", target = \"web\", min = 2, max = 6,\n"
    "      metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", average_utilization = 60 } } } }\n"
    "deployment { name = \"fixed\", namespace = \"team\", region = \"r1\", replicas = 2, cpu = \"250m\" }\n"
    "statefulset { name = \"db\", region = \"r1\", replicas = 2, cpu = \"1\" }\n"
    "hpa { name = \"db\", target = \"db\", min = 2, max = 4,\n"
    "      metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", average_utilization = 70 } } } }\n"
    "job { name = \"later\", namespace = \"team\", region = \"r1\", start = \"09:30\", completions = 4, duration = \"5m\",\n"
    "      cpu = \"1\", ttl_after_finished = \"10m\" }\n"
    "job { name = \"now\", namespace = \"team\", region = \"r1\", completions = 2, duration = \"5m\", cpu = \"1\" }\n"
    "job { name = \"big\", namespace = \"team\", region = \"r1\", start = \"08:10\", completions = 12, parallelism = 2,\n"
    "      duration = \"1m\", cpu = \"100m\" }\n"
    "deployment { name = \"edge\", region = \"r2\", replicas = 1, cpu = \"100m\" }\n";

static void export_fixture(const char *out)
{
    tb_write("rules.lua", fixture);
    ck_assert_msg(tb_run("export rules.lua --out %s", out) == 0, "%.1500s", tb_err());
}

/* Export 1: a Job the scenario starts later is suspended, carries its start
 * both ways, and the region's README.md says how and when to resume it; a
 * Job that starts with the scenario runs at apply. Import reads the start
 * back; a manifest with only the time of day imports at that time. */
START_TEST(rule_timed_job_is_suspended_with_a_readme)
{
    export_fixture("t");
    char *jobs = read_in("t/r1/jobs.yaml");
    char *later = doc_of(jobs, "Job", "later"), *now = doc_of(jobs, "Job", "now");
    ck_assert_msg(strstr(later, "  suspend: true\n") && strstr(later, "    kubesim.io/start: \"5400s\"\n") &&
                      strstr(later, "    kubesim.io/start-at: \"09:30\"\n"), "%s", later);
    ck_assert_msg(!strstr(now, "suspend") && !strstr(now, "kubesim.io/start:") && !strstr(now, "start-at"), "%s", now);
    free(later);
    free(now);
    static const char *const readme[] = {
        "at the scenario's start, 08:00 America/New_York",
        "- `team/later` at 09:30 (1h30m after the start): `kubectl -n team patch job later --type=merge -p "
        "'{\"spec\":{\"suspend\":false}}'`\n",
        "- `team/big` at 08:10 (10m after the start)", NULL};
    expect_in("t/r1/README.md", readme);
    static const char *const no_now[] = {"`team/now`", NULL};
    expect_not_in("t/r1/README.md", no_now);
    ck_assert(!tb_exists("t/r2/README.md"));   /* nothing to say there */
    static const char *const kust[] = {"- jobs.yaml\n", NULL}, *const no_readme[] = {"README", NULL};
    expect_in("t/r1/kustomization.yaml", kust);
    expect_not_in("t/r1/kustomization.yaml", no_readme);   /* not a resource */
    ck_assert_msg(tb_run("import t --out t.lua") == 0, "%.1500s", tb_err());
    static const char *const back[] = {"job { name = \"later\", namespace = \"team\", region = \"r1\", start = \"5400s\"",
                                       NULL};
    expect_in("t.lua", back);
    /* Only the time of day (a hand-written manifest): that time. */
    char *cut = strstr(jobs, "    kubesim.io/start: \"5400s\"\n");
    ck_assert_ptr_nonnull(cut);
    memmove(cut, cut + strlen("    kubesim.io/start: \"5400s\"\n"), strlen(cut + strlen("    kubesim.io/start: \"5400s\"\n")) + 1);
    tb_write("t/r1/jobs.yaml", jobs);
    free(jobs);
    ck_assert_msg(tb_run("import t --out t2.lua") == 0, "%.1500s", tb_err());
    static const char *const at[] = {"job { name = \"later\", namespace = \"team\", region = \"r1\", start = \"09:30\"", NULL};
    expect_in("t2.lua", at);
    ck_assert_msg(tb_run("run t2.lua --quiet --out t2-run") == 0, "%.1500s", tb_err());
    static const char *const ran[] = {"\"name\":\t\"later\"", NULL};
    expect_in("t2-run/summary.json", ran);
}
END_TEST

/* Export 2: a workload an HPA scales has no spec.replicas (a re-apply would
 * reset the HPA's count); its initial count is kubesim.io/initial-replicas,
 * which import reads back. Others keep spec.replicas. */
START_TEST(rule_hpa_target_has_no_replicas)
{
    export_fixture("h");
    char *deps = read_in("h/r1/deployments.yaml"), *sts = read_in("h/r1/statefulsets.yaml");
    char *web = doc_of(deps, "Deployment", "web"), *fixed = doc_of(deps, "Deployment", "fixed");
    char *db = doc_of(sts, "StatefulSet", "db");
    ck_assert_msg(!strstr(web, "\n  replicas:") && strstr(web, "    kubesim.io/initial-replicas: \"3\"\n"), "%s", web);
    ck_assert_msg(!strstr(db, "\n  replicas:") && strstr(db, "    kubesim.io/initial-replicas: \"2\"\n"), "%s", db);
    ck_assert_msg(strstr(fixed, "  replicas: 2\n") && !strstr(fixed, "initial-replicas"), "%s", fixed);
    free(web);
    free(fixed);
    free(db);
    free(deps);
    free(sts);
    ck_assert_msg(tb_run("import h --out h.lua") == 0, "%.1500s", tb_err());
    static const char *const back[] = {"deployment { name = \"web\", namespace = \"team\", region = \"r1\", replicas = 3",
                                       "statefulset { name = \"db\", region = \"r1\", replicas = 2",
                                       "deployment { name = \"fixed\", namespace = \"team\", region = \"r1\", replicas = 2",
                                       NULL};
    expect_in("h.lua", back);
}
END_TEST

/* Export 6: the simulation deletes a finished Job (and its pods) only after
 * its ttl_after_finished, as upstream; the export writes the TTL exactly
 * there. A Job whose completions exceed a count/pods quota of its namespace
 * cannot complete (finished pods count until the Job goes): the export
 * warns on stderr and in the region's README.md, and still writes. */
START_TEST(rule_ttl_and_count_pods_warning)
{
    export_fixture("w");
    char *jobs = read_in("w/r1/jobs.yaml");
    char *later = doc_of(jobs, "Job", "later"), *now = doc_of(jobs, "Job", "now");
    ck_assert_msg(strstr(later, "  ttlSecondsAfterFinished: 600\n"), "%s", later);
    ck_assert_msg(!strstr(now, "ttlSecondsAfterFinished"), "%s", now);
    free(later);
    free(now);
    free(jobs);
    const char *w = "Job team/big needs 12 completions, but ResourceQuota q allows 10 count/pods";
    ck_assert_msg(strstr(tb_err(), "kubesim export: warning: r1: ") && strstr(tb_err(), w), "%s", tb_err());
    ck_assert_msg(!strstr(tb_err(), "team/later") && !strstr(tb_err(), "team/now"), "%s", tb_err());
    const char *const readme[] = {"## Where a cluster would do otherwise than the simulation\n", w, NULL};
    expect_in("w/r1/README.md", readme);
    ck_assert_int_eq(tb_run("export rules.lua --out w2 --quiet"), 0);   /* --quiet keeps warnings */
    ck_assert_msg(strstr(tb_err(), w), "%s", tb_err());
}
END_TEST

/* Export 7: each kustomization records the run's settings and every object
 * its region, so `kubesim import DIR` (or the files as a flat list) gives
 * the scenario back without flags; the flags still override. */
START_TEST(rule_run_settings_and_regions_are_recorded)
{
    export_fixture("s");
    static const char *const kust[] = {"metadata:\n  name: r2\n  annotations:\n    kubesim.io/scenario: rules\n"
                                       "    kubesim.io/region: r2\n    kubesim.io/regions: r1,r2\n    kubesim.io/namespaces: team\n"
                                       "    kubesim.io/start: \"08:00\"\n    kubesim.io/duration: \"10800s\"\n"
                                       "    kubesim.io/sample-every: \"30s\"\n    kubesim.io/timezone: America/New_York\n"
                                       "    kubesim.io/date: \"2026-03-18\"\n", NULL};
    expect_in("s/r2/kustomization.yaml", kust);
    static const char *const files[] = {"s/r1/deployments.yaml", "s/r1/jobs.yaml", "s/r1/resourcequotas.yaml",
                                        "s/r1/namespaces.yaml", "s/r2/deployments.yaml", NULL};
    for (size_t i = 0; files[i]; i++) {
        char *t = read_in(files[i]);
        char want[64];
        snprintf(want, sizeof want, "\n    kubesim.io/region: %.2s\n", files[i] + 2);
        ck_assert_msg(count(t, "\nkind: ") >= 1 && count(t, want) == count(t, "\nkind: "), "%s:\n%.2000s", files[i], t);
        free(t);
    }
    ck_assert_msg(tb_run("import s --out s.lua") == 0, "%.1500s", tb_err());
    static const char *const head[] = {
        "scenario { name = \"rules\", timezone = \"America/New_York\", date = \"2026-03-18\", start = \"08:00\", "
        "duration = \"10800s\", sample_every = \"30s\" }\n",
        "deployment { name = \"edge\", region = \"r2\"", NULL};
    expect_in("s.lua", head);
    /* A flat list, kustomizations left out: the objects keep their regions. */
    ck_assert_msg(tb_run("import s/r2/deployments.yaml s/r1/deployments.yaml --out flat.lua") == 0, "%.1500s", tb_err());
    static const char *const flat[] = {"deployment { name = \"edge\", region = \"r2\"",
                                       "nodegroup { name = \"cpu-r2\", region = \"r2\"",
                                       "deployment { name = \"web\", namespace = \"team\", region = \"r1\"", NULL};
    expect_in("flat.lua", flat);
    /* The flags override. */
    ck_assert_msg(tb_run("import s --start 09:15 --duration 1h --name other --out o.lua") == 0, "%.1500s", tb_err());
    static const char *const over[] = {"scenario { name = \"other\", timezone = \"America/New_York\", "
                                       "date = \"2026-03-18\", start = \"09:15\", duration = \"1h\"", NULL};
    expect_in("o.lua", over);
    ck_assert_msg(tb_run("import s/r2/deployments.yaml s/r1/deployments.yaml --region one --out one.lua") == 0,
                  "%.1500s", tb_err());
    static const char *const one[] = {"deployment { name = \"edge\", region = \"one\"",
                                      "deployment { name = \"web\", namespace = \"team\", region = \"one\"", NULL};
    expect_in("one.lua", one);
    static const char *const no_r1[] = {"region = \"r1\"", "region = \"r2\"", NULL};
    expect_not_in("one.lua", no_r1);
    /* A bad region label is refused naming the file. */
    char *t = read_in("s/r2/deployments.yaml");
    char *l = strstr(t, "kubesim.io/region: r2");
    ck_assert_ptr_nonnull(l);
    memcpy(l, "kubesim.io/region: R_", 21);
    tb_write("bad.yaml", t);
    free(t);
    ck_assert_int_eq(tb_run("import bad.yaml --out bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "bad.yaml") && strstr(tb_err(), "region 'R_"), "%s", tb_err());
    ck_assert(!tb_exists("bad.lua"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("roundtrip");
    TCase *rules = tcase_create("rules");
    tcase_set_timeout(rules, 300);
    tcase_add_test(rules, rule_timed_job_is_suspended_with_a_readme);
    tcase_add_test(rules, rule_hpa_target_has_no_replicas);
    tcase_add_test(rules, rule_ttl_and_count_pods_warning);
    tcase_add_test(rules, rule_run_settings_and_regions_are_recorded);
    suite_add_tcase(s, rules);
    TCase *ship = tcase_create("shipped");
    tcase_set_timeout(ship, 600);
    tcase_add_test(ship, roundtrip_every_shipped_scenario_without_flags);
    suite_add_tcase(s, ship);
    return s;
}

int main(void)
{
    if (tb_setup("roundtrip") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder */
    tb_cleanup();
    return failed ? 1 : 0;
}
