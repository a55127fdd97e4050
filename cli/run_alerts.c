/*
 * run_alerts.c: `kubesim run --alerts-test FILE` (cmd_run.c): the scenario's
 * alert rules (k8s-export/alerts.c, as `export --alerts` writes them) tested
 * against the run just made: a `promtool test rules` file whose input series
 * are the run's own OpenMetrics series and whose expected alerts are the ones
 * the simulation says fire (k8s-export/alerts_test.c).
 *
 * Invariant: the test file and the rules file beside it are each written
 * whole or not at all (sim_file_replace).
 */
#define _XOPEN_SOURCE 700   /* realpath */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "scenarios/scn.h"
#include "sim/fileio.h"

/* The rules of s, from a world of its objects (nothing runs). */
static int rules_of(ScnScenario *s, SimMem *m, ScnWorld **w, KxAlerts **out, SimErr *err)
{
    ScnWorldOptions wo = {.seed = 42, .mem = m};
    KxAlertOptions ao;
    kx_alert_defaults(&ao);
    ao.scenario = scn_name(s);
    int rc = scn_world_open(w, s, &wo);
    if (rc != SIM_OK)
        return sim_err_set(err, rc, "%s", scn_world_errmsg(*w));
    rc = kx_alerts(scn_world_engine(*w), scn_world_controllers(*w), &ao, out);
    return rc == SIM_OK ? rc : sim_err_set(err, rc, "%s", sim_errmsg(scn_world_engine(*w)));
}

/* y's text to path, whole or not at all. */
static int write_yaml(KxYaml *y, const char *path, SimErr *err)
{
    const char *text;
    size_t len;
    int rc = kx_yaml_text(y, &text, &len);
    if (rc != SIM_OK)
        return sim_err_set(err, rc, "%s: %s", path, kx_yaml_errmsg(y));
    return sim_file_replace(path, text, len, err);
}

/* FILE's folder + "/" + name. */
static void beside(const char *file, const char *name, char *buf, size_t n)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", file);
    snprintf(buf, n, "%s/%s", dirname(copy), name);
}

static int write_rules(const KxAlerts *al, SimMem *m, const char *path, SimErr *err)
{
    KxYaml *y = kx_yaml_new(m);
    if (y == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    int rc = kx_alerts_rules_file(al, y) == SIM_OK ? write_yaml(y, path, err) : SIM_ENOMEM;
    kx_yaml_free(y);
    return rc;
}

/* The test file at test_path; rule_files names rules (absolute, the user's)
 * or the rules file written beside it. */
static int write_test(const KxAlerts *al, SimMem *m, const CliAlertsTest *t, const char *text, size_t len,
                      SimErr *err)
{
    char abs[4096];
    const char *rules = CLI_ALERTS_RULES;
    if (t->rules_path) {
        if (realpath(t->rules_path, abs) == NULL)
            return sim_err_set(err, SIM_EINVAL, "--alerts-rules %s: no such file", t->rules_path);
        rules = abs;
    }
    KxAlertTestInput in = {.openmetrics = text, .len = len, .base_unix = t->base_unix, .interval = t->interval,
                           .rules_path = rules};
    KxAlertTestResult res;
    KxYaml *y = kx_yaml_new(m);
    if (y == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    int rc = kx_alerts_test(al, &in, y, &res, err);
    if (rc == SIM_OK)
        rc = write_yaml(y, t->test_path, err);
    kx_yaml_free(y);
    if (rc == SIM_OK && !t->quiet)
        printf("alerts test: %s (promtool test rules): %zu series, %zu alerts start firing\n", t->test_path,
               res.series, res.firings);
    return rc;
}

int cli_alerts_test(ScnScenario *s, SimMem *m, const CliAlertsTest *t, SimErr *err)
{
    ScnWorld *w = NULL;
    KxAlerts *al = NULL;
    char *text = NULL, path[4200];
    size_t len = 0;
    int rc = rules_of(s, m, &w, &al, err);
    if (rc == SIM_OK)
        rc = sim_file_read(m, t->openmetrics_path, SIM_FILE_MAX_CSV, "an OpenMetrics file", &text, &len, err);
    if (rc == SIM_OK && t->rules_path == NULL) {
        beside(t->test_path, CLI_ALERTS_RULES, path, sizeof path);
        rc = write_rules(al, m, path, err);
    }
    if (rc == SIM_OK)
        rc = write_test(al, m, t, text, len, err);
    if (text)
        sim_mem_free(m, text, len + 1);
    kx_alerts_free(al);
    scn_world_close(w);
    return rc;
}
