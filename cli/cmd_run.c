/*
 * cmd_run.c: `kubesim run [SCENARIO] [--out DIR] [--seed N] [--set K=V]...`.
 * Parses the flags, loads the scenario (bad input ends here with exit 2 and
 * nothing written), runs it into a temporary folder, adds the report, and
 * renames the folder into place.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/compare.h"
#include "render/rnd.h"
#include "scenarios/scn.h"
#include "sim/fileio.h"
#include "sim/json.h"
#include "sim/outdir.h"
#include "sim/timings.h"
#include "workloads/kstate.h"
#include "workloads/wl.h"
#include <unistd.h>

#define MAX_SETS 256
#define SEED_MAX 9007199254740991ULL

typedef struct RunArgs {
    const char *scenario;
    const char *out;
    uint64_t seed;
    char *sets[MAX_SETS];
    size_t nsets;
    size_t lua_mem;
    uint64_t lua_steps;
    int list_params, quiet, force;
    const char *calibration;
    int traffic_mode;            /* 0 fluid, 1 requests (ScnRunOptions.traffic_mode) */
    const char *openmetrics;     /* --openmetrics FILE, or NULL */
    const char *run_label;       /* --run-label TEXT, or NULL: the run's id */
    uint32_t om_pods;            /* --openmetrics-pods N */
    const char *alerts_test;     /* --alerts-test FILE, or NULL */
    const char *alerts_rules;    /* --alerts-rules FILE, or NULL */
    const char *compare_to;      /* --compare-to DIR, or NULL */
} RunArgs;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kubesim run [SCENARIO.lua] [--out DIR] [--force] [--seed N] [--set NAME=VALUE]...\n\n"
            "Simulates a scenario (default: the built-in market_open_surge) and writes into DIR\n"
            "(default runs/NAME-SEED/): summary.json, metrics.csv, trace.kst and report.html.\n"
            "The folder appears whole at the end; a failed or interrupted run leaves none.\n\n"
            "  --out DIR          output folder; an existing one is replaced only when it is\n"
            "                     empty or holds nothing but an earlier kubesim output\n"
            "  --force            replace an existing --out folder whatever it holds\n"
            "  --seed N           random seed (default 42); same scenario and seed, same trace\n"
            "  --set NAME=VALUE   override a param() of the scenario (repeatable)\n"
            "  --list-params      print the scenario's params as NAME=DEFAULT and their\n"
            "                     descriptions, then exit\n"
            "  --lua-mem MIB      memory cap of the script (default 256)\n"
            "  --lua-steps N      instruction budget of the script (default 100000000)\n"
            "  --calibration FILE the reference core's throughput for backtest durations, as\n"
            "                     `kubesim calibrate` writes it (default: built-in figures), and\n"
            "                     the delays `calibrate --from-prometheus` fitted: pod start-up per\n"
            "                     workload, node provisioning per group, HPA reaction, drawn\n"
            "                     from their distributions instead of the scenario's constants\n"
            "  --traffic-mode fluid|requests\n"
            "                     serving traffic: per-second queueing formulas (default), or\n"
            "                     every request an event (small runs; checks the fluid model)\n"
            "  --openmetrics FILE also write the metrics as OpenMetrics text (for promtool\n"
            "                     tsdb create-blocks-from openmetrics, then Grafana); timestamps\n"
            "                     in UTC epoch seconds, simulated time 0 being scenario.start on\n"
            "                     scenario.date (default Monday 2026-01-05) in scenario.timezone\n"
            "                     (default UTC); every sample labelled scenario, seed and run\n"
            "  --openmetrics-pods N\n"
            "                     per-pod series (kube_pod_*, container_*) for at most the first\n"
            "                     N existing pods at each sample (default 100; 0: none)\n"
            "  --run-label TEXT   the run label of --openmetrics (default: an id made from the\n"
            "                     scenario, the seed and the --set flags)\n"
            "  --alerts-test FILE also write a `promtool test rules` file: the scenario's alert\n"
            "                     rules (as export --alerts writes them, into alerts.rules.yaml\n"
            "                     beside FILE) against this run's own series, expecting the alerts\n"
            "                     the simulation says fire, at the times they start and stop\n"
            "  --alerts-rules FILE with --alerts-test: rule_files names FILE (your rules, with the\n"
            "                     same alert names) instead of the generated rules file\n"
            "  --compare-to DIR   compare the run with a real cluster's kube-state-metrics series\n"
            "                     (the folder `calibrate --from-prometheus` reads) for the period\n"
            "                     the scenario covers: per workload replicas over time (mean\n"
            "                     absolute error) and pod start-up, per node group provisioning\n"
            "                     (two-sample KS), each with a verdict; summary.json's \"observed\"\n"
            "                     and report.html's \"Simulated against observed\"\n"
            "  --quiet            print nothing on success\n\n"
            "exit codes: 0 success, 1 an expect() failed, 2 bad input or usage,\n"
            "128 + N stopped by signal N (SIGINT, SIGTERM, SIGHUP: the unfinished folder is removed)\n");
}

static int parse_args(int argc, char **argv, RunArgs *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"seed", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'S'}, {"list-params", no_argument, NULL, 'l'},
        {"lua-mem", required_argument, NULL, 'm'}, {"lua-steps", required_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'}, {"calibration", required_argument, NULL, 'c'},
        {"openmetrics", required_argument, NULL, 'O'}, {"run-label", required_argument, NULL, 'R'},
        {"openmetrics-pods", required_argument, NULL, 'P'},
        {"alerts-test", required_argument, NULL, 'A'}, {"alerts-rules", required_argument, NULL, 'r'},
        {"traffic-mode", required_argument, NULL, 't'}, {"force", no_argument, NULL, 'f'},
        {"compare-to", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:s:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 's':
            if (cli_parse_u64("run", "--seed", optarg, &a->seed))
                return -1;
            if (a->seed > SEED_MAX) {   /* summary.json's numbers are doubles */
                fprintf(stderr, "kubesim run: --seed must be at most %llu (2^53 - 1)\n", SEED_MAX);
                return -1;
            }
            break;
        case 'S':
            if (a->nsets == MAX_SETS) {
                fprintf(stderr, "kubesim run: too many --set flags\n");
                return -1;
            }
            a->sets[a->nsets++] = optarg;
            break;
        case 'l': a->list_params = 1; break;
        case 'm':
            if (cli_parse_u64("run", "--lua-mem", optarg, &v) || v == 0 || v > 65536) {
                fprintf(stderr, "kubesim run: --lua-mem takes MiB from 1 to 65536\n");
                return -1;
            }
            a->lua_mem = (size_t)v << 20;
            break;
        case 'n': if (cli_parse_u64("run", "--lua-steps", optarg, &a->lua_steps) || cli_positive("run", "--lua-steps", a->lua_steps)) return -1; break;
        case 'q': a->quiet = 1; break;
        case 'f': a->force = 1; break;
        case 'c': a->calibration = optarg; break;
        case 'O': a->openmetrics = optarg; break;
        case 'P':
            if (cli_parse_u64("run", "--openmetrics-pods", optarg, &v) || v > 1000000) {
                fprintf(stderr, "kubesim run: --openmetrics-pods takes 0 to 1000000\n");
                return -1;
            }
            a->om_pods = (uint32_t)v;
            break;
        case 'A': a->alerts_test = optarg; break;
        case 'C': a->compare_to = optarg; break;
        case 'r': a->alerts_rules = optarg; break;
        case 'R':
            if (optarg[0] == '\0' || strchr(optarg, '\n')) {
                fprintf(stderr, "kubesim run: --run-label must be one non-empty line\n");
                return -1;
            }
            a->run_label = optarg;
            break;
        case 't':
            if (strcmp(optarg, "fluid") != 0 && strcmp(optarg, "requests") != 0) {
                fprintf(stderr, "kubesim run: --traffic-mode takes fluid or requests, not '%s'\n", optarg);
                return -1;
            }
            a->traffic_mode = strcmp(optarg, "requests") == 0;
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (cli_scenario_arg("run", argc, argv, &a->scenario) != 0)
        return -1;
    if (a->alerts_rules && !a->alerts_test) {
        fprintf(stderr, "kubesim run: --alerts-rules goes with --alerts-test\n");
        return -1;
    }
    if (a->compare_to && access(a->compare_to, R_OK | X_OK) != 0) {   /* before the run, not after it */
        fprintf(stderr, "kubesim run: --compare-to %s: %s\n", a->compare_to, strerror(errno));
        return -1;
    }
    if (a->alerts_rules && access(a->alerts_rules, R_OK) != 0) {   /* before the run, not after it */
        fprintf(stderr, "kubesim run: --alerts-rules %s: %s\n", a->alerts_rules, strerror(errno));
        return -1;
    }
    return 0;
}

static void list_params(const ScnScenario *s)
{
    for (size_t i = 0; i < scn_param_count(s); i++) {
        const char *name, *deflt, *value, *desc;
        scn_param(s, i, &name, &deflt, &value, &desc);
        printf("%s=%s%s%s\n", name, deflt, *desc ? "  " : "", desc);
    }
}

/* The fitted delays of a calibration JSON (text) into tm. 0, or -1 after
 * printing why. */
static int load_timings(SimMem *m, const char *path, const char *text, SimTimings *tm)
{
    SimErr err = SIM_ERR_INIT;
    SimJsonScope js;
    sim_json_begin(&js, m);
    cJSON *root = cJSON_Parse(text);
    int rc = sim_json_end(&js) != SIM_OK ? sim_err_set(&err, SIM_ENOMEM, "out of memory")
                                         : sim_timings_from_json(m, root, tm, &err);
    cJSON_Delete(root);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim run: --calibration %s: %s\n", path, sim_err_msg(&err));
    return rc == SIM_OK ? 0 : -1;
}

/* Reads a calibration JSON into t (kernel rates) and tm (fitted delays,
 * allocated through m). Returns 0, or -1 after printing why. */
static int load_calibration(SimMem *m, const char *path, BtThroughput *t, SimTimings *tm)
{
    SimErr err = SIM_ERR_INIT;
    size_t n;
    char *text = cli_read_input(m, path, SIM_FILE_MAX_CALIBRATION, "a calibration JSON", &n, &err);
    if (text == NULL) {
        fprintf(stderr, "kubesim run: --calibration %s\n", sim_err_msg(&err));
        return -1;
    }
    BtCtx c;
    bt_ctx_init(&c, m);
    int rc = bt_throughput_parse(&c, text, t);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim run: --calibration %s: %s\n", path, bt_errmsg(&c));
    else
        rc = load_timings(m, path, text, tm);
    sim_mem_free(m, text, n + 1);
    return rc == SIM_OK ? 0 : -1;
}

/* The run label of --openmetrics: the one given, else cli_run_id's, so the
 * same run gets the same id and another one another. */
static void run_id(const ScnScenario *s, const RunArgs *a, char out[65])
{
    if (a->run_label)
        snprintf(out, 65, "%s", a->run_label);
    else
        cli_run_id(scn_name(s), a->seed, a->sets, a->nsets, NULL, 0, out);
}

static int alerts_test(SimMem *m, ScnScenario *s, const RunArgs *a, const char *ompath, SimErr *err)
{
    CliAlertsTest t = {.test_path = a->alerts_test, .rules_path = a->alerts_rules, .openmetrics_path = ompath,
                       .base_unix = scn_start_unix(s), .interval = scn_sample_every(s), .quiet = a->quiet};
    return cli_alerts_test(s, m, &t, err);
}

/* The run's files into o->tmp: the simulation and the report; then the
 * OpenMetrics text, written (whole, or not at all) to its own path before
 * the folder's commit, so that a bad --openmetrics fails the run before its
 * folder appears. */
static int produce(SimMem *m, ScnScenario *s, const RunArgs *a, const BtThroughput *tp, const SimTimings *tm,
                   SimOutdir *o, ScnRunResult *res, SimErr *err)
{
    char path[4200], spath[4200], kpath[4200];
    snprintf(kpath, sizeof kpath, "%s/kube-state.tsv", o->tmp);   /* removed before the commit */
    RndReport *report = rnd_report_create(m);   /* drawn from the rows as they are recorded */
    if (report == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    ScnRunOptions ro = {.seed = a->seed, .dir = o->tmp, .progress = !a->quiet, .stop = cli_stop_flag(),
                        .throughput = tp, .traffic_mode = a->traffic_mode,
                        .kstate = a->openmetrics || a->alerts_test ? kpath : NULL,
                        .kstate_pods = a->om_pods, .timings = tm,
                        .metrics_sink = rnd_report_metrics_row, .metrics_sink_ctx = report};
    int rc = scn_run(s, &ro, res);
    if (rc != SIM_OK)
        sim_err_set(err, rc, "%s", scn_errmsg(s));
    snprintf(spath, sizeof spath, "%s/summary.json", o->tmp);
    snprintf(path, sizeof path, "%s/report.html", o->tmp);
    char tpath[4200];
    snprintf(tpath, sizeof tpath, "%s/trace.kst", o->tmp);
    SimTrSchema schema;
    if (rc == SIM_OK && scn_trace_schema(&schema) != SIM_OK)
        rc = sim_err_set(err, SIM_EINVAL, "the trace schema");
    if (rc == SIM_OK && !cli_stopped() && a->compare_to)
        rc = cli_cmp_run(m, o->tmp, a->compare_to, scn_start_unix(s), err);
    if (rc == SIM_OK && !cli_stopped())
        rc = rnd_report_write_rows(report, spath, access(tpath, R_OK) == 0 ? tpath : NULL, &schema, path, err);
    rnd_report_destroy(report);
    char ompath[4200];   /* --alerts-test reads the OpenMetrics text: a scratch copy without --openmetrics */
    snprintf(ompath, sizeof ompath, "%s", a->openmetrics ? a->openmetrics : "");
    if (!a->openmetrics && a->alerts_test)
        snprintf(ompath, sizeof ompath, "%s/.alerts-input.om", o->tmp);
    if (rc == SIM_OK && !cli_stopped() && ompath[0]) {
        char run[65];
        run_id(s, a, run);
        rc = cli_openmetrics(m, s, o->tmp, kpath, ompath, a->seed, run, NULL, err);
    }
    if (a->openmetrics || a->alerts_test)
        (void)remove(kpath);   /* an input of the OpenMetrics text, not an output of the run */
    if (rc == SIM_OK && !cli_stopped() && a->alerts_test)
        rc = alerts_test(m, s, a, ompath, err);
    if (!a->openmetrics && a->alerts_test)
        unlink(ompath);
    return rc;
}

/* The scenario's name nearest to want among n candidates (name(i)), or NULL
 * when none is within two edits or a third of its length: a did-you-mean for
 * a typo (a swap of two letters is two edits). */
static const char *nearest(const char *want, const ScnScenario *s, size_t n,
                           const char *(*name)(const ScnScenario *, size_t))
{
    const char *best = NULL;
    size_t bd = (strlen(want) / 3 > 2 ? strlen(want) / 3 : 2) + 1;
    for (size_t i = 0; i < n; i++) {
        const char *c = name(s, i);
        size_t d = c ? sim_edit_distance(want, c) : SIZE_MAX;
        if (d < bd) {
            bd = d;
            best = c;
        }
    }
    return best;
}

static const char *wl_name(const ScnScenario *s, size_t i)
{
    const char *ns;
    return scn_workload_name(s, i, &ns);
}

static int wl_declared(const ScnScenario *s, const SimTimingWl *t)
{
    for (size_t i = 0; i < scn_workload_count(s); i++) {
        const char *ns, *name = scn_workload_name(s, i, &ns);
        if (name && strcmp(name, t->name) == 0 && (t->ns == NULL || strcmp(ns, t->ns) == 0))
            return 1;
    }
    return 0;
}

/* A calibration entry that names nothing the scenario declares is not an
 * error (a real cluster runs more than a scenario models), but a typo would
 * silently leave the scenario's constant delay: say which, before the run. */
static void warn_uncalibrated(const ScnScenario *s, const SimTimings *tm, const char *path)
{
    for (size_t k = 0; k < tm->nwl; k++) {
        const SimTimingWl *t = &tm->wl[k];
        if (wl_declared(s, t))
            continue;
        const char *near = nearest(t->name, s, scn_workload_count(s), wl_name);
        fprintf(stderr, "kubesim run: warning: --calibration %s: workload '%s%s%s' is not in the scenario: its "
                        "delays are not used%s%s%s\n", path, t->ns ? t->ns : "", t->ns ? "/" : "", t->name,
                near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    for (size_t k = 0; k < tm->ngroups; k++) {
        size_t i = 0;
        while (i < scn_group_count(s) && strcmp(scn_group_name(s, i), tm->groups[k].name) != 0)
            i++;
        if (i < scn_group_count(s))
            continue;
        const char *near = nearest(tm->groups[k].name, s, scn_group_count(s), scn_group_name);
        fprintf(stderr, "kubesim run: warning: --calibration %s: node group '%s' is not in the scenario: its "
                        "provisioning delay is not used%s%s%s\n", path, tm->groups[k].name,
                near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
}

/* Runs into a temporary folder, adds the report, renames it to dest. A
 * signal before the commit removes what was written; any signal gives
 * 128 + the signal (after the commit, with the output whole). */
static int run_into(ScnScenario *s, const RunArgs *a, const char *dest, ScnRunResult *res)
{
    SimErr err = SIM_ERR_INIT;
    BtThroughput tp;
    SimMem mem;
    sim_mem_init(&mem);
    SimTimings tm = {.mem = &mem};
    if (a->calibration && load_calibration(&mem, a->calibration, &tp, &tm) != 0)
        return CLI_BAD_INPUT;
    if (a->calibration)
        warn_uncalibrated(s, &tm, a->calibration);
    SimOutdir o;
    CliSignals sigs;
    cli_signals_catch(&sigs);
    int rc = sim_outdir_begin(&o, &mem, dest, a->force);
    if (rc != SIM_OK)
        sim_err_copy(&err, &o.err);
    if (rc == SIM_OK)
        rc = produce(&mem, s, a, a->calibration ? &tp : NULL, a->calibration ? &tm : NULL, &o, res, &err);
    if (rc == SIM_OK && cli_stopped())
        rc = SIM_ESTATE;
    if (rc == SIM_OK && (rc = sim_outdir_commit(&o)) != SIM_OK)
        sim_err_copy(&err, &o.err);
    if (rc != SIM_OK)
        sim_outdir_abort(&o);
    cli_signals_restore(&sigs);
    sim_timings_free(&tm);
    if (cli_stopped())
        return cli_stop_exit("run");
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim run: %s\n", sim_err_msg(&err));
    return rc == SIM_OK ? CLI_OK : CLI_BAD_INPUT;
}

/* An unpriced node group is not free: say so before the run, whose
 * summary.json reports every cost that includes it as null. */
static void warn_unpriced(const ScnScenario *s)
{
    for (size_t i = 0; i < scn_group_count(s); i++)
        if (scn_group_unpriced(s, i))
            fprintf(stderr, "kubesim run: warning: node group '%s' has no price (price = \"unknown\"): its cost, its "
                            "region's, its pods' namespaces' and the total are reported as unknown (null in "
                            "summary.json), not $0\n", scn_group_unpriced(s, i));
}

int cmd_run(int argc, char **argv)
{
    RunArgs a = {.seed = 42, .om_pods = WL_KSTATE_PODS_DEFAULT};
    int pr = parse_args(argc, argv, &a);
    if (pr != 0)
        return pr > 0 ? CLI_OK : CLI_BAD_INPUT;
    SimMem mem;
    sim_mem_init(&mem);
    ScnOptions so = {.path = a.scenario, .sets = a.sets, .nsets = a.nsets, .lua_mem = a.lua_mem,
                     .lua_steps = a.lua_steps, .seed = a.seed};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&mem, &so, &err);
    if (s == NULL) {
        fprintf(stderr, "kubesim run: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    if (a.list_params) {
        list_params(s);
        scn_free(s);
        return CLI_OK;
    }
    warn_unpriced(s);
    char dest[4096], seed[32];
    snprintf(seed, sizeof seed, "-%llu", (unsigned long long)a.seed);
    if (a.out)
        snprintf(dest, sizeof dest, "%s", a.out);
    else if (cli_default_out("run", "runs/", scn_name(s), seed, dest, sizeof dest) != 0) {
        scn_free(s);
        return CLI_BAD_INPUT;
    }
    ScnRunResult res;
    int rc = run_into(s, &a, dest, &res);
    scn_free(s);
    if (rc != CLI_OK)
        return rc;
    if (!a.quiet)
        printf("summary: %s/summary.json\nreport:  %s/report.html\nmetrics: %s/metrics.csv\n"
               "trace:   %s/trace.kst (sha256 %s)\n%llu events in %.2f s; expectations failed: %d\n",
               dest, dest, dest, dest, res.trace_sha256, (unsigned long long)res.events,
               res.wall_seconds, res.expectations_failed);
    if (!a.quiet)
        cli_run_end_block(stdout, dest);
    return res.expectations_failed ? CLI_EXPECT_FAILED : CLI_OK;
}
