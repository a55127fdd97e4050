/*
 * cli.h: the kubesim subcommands. Each takes the arguments after its own name
 * (argv[0] is the command name) and returns the process exit code:
 * 0 success, 1 an expectation failed, 2 bad input or usage.
 */
#ifndef KUBESIM_CLI_H
#define KUBESIM_CLI_H

#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s-export/kx.h"
#include "scenarios/scn.h"
#include "scheduler/sched.h"

enum { CLI_OK = 0, CLI_EXPECT_FAILED = 1, CLI_BAD_INPUT = 2 };

int cmd_run(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* `kubesim explain schedule|hpa|autoscaler --from RUN_DIR` (explain_from*.c).
 * Strings borrowed. */
typedef struct CliExplainFrom {
    const char *decision;        /* "schedule", "hpa" or "autoscaler" */
    const char *run;             /* the run folder (its trace.kst) */
    const char *pod;             /* --pod NAME */
    const char *hpa;             /* --hpa NAME (explain hpa) */
    const char *region;          /* --region NAME (explain autoscaler) */
    const char *at;              /* --at TIME, as replay --at reads it */
    const char *case_out;        /* --case FILE: the case written there too; NULL: not written */
    const char *scenario;        /* --scenario FILE; NULL: as the trace names it */
    char **sets;                 /* --set NAME=VALUE, as the run had them */
    size_t nsets;
} CliExplainFrom;
/* Rebuilds the case from the run at --at and prints the decision as
 * `explain DECISION` does (as_json: its JSON) with the run's own. SIM_OK, or
 * an error with the message in err and nothing printed. */
int cli_explain_from(const CliExplainFrom *f, int as_json, SimErr *err);
int cli_explain_from_hpa(const CliExplainFrom *f, int as_json, SimErr *err);   /* explain_from_hpa.c */
int cli_explain_from_ca(const CliExplainFrom *f, int as_json, SimErr *err);    /* explain_from_ca.c */
int cmd_validate(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
/* What a sweep's processes cost, for `kubesim bench`: CPU seconds (user +
 * system) of the parent before the runs start (loading configuration 0)
 * and in all, of every worker together and of the busiest one; workers 0
 * when the runs ran in the parent. */
typedef struct CliSweepCost {
    double parent_setup_cpu, parent_cpu, workers_cpu, busiest_worker_cpu;
    size_t workers;
} CliSweepCost;
/* cmd_sweep, filling *cost (NULL: cmd_sweep). */
int cli_sweep_costed(int argc, char **argv, CliSweepCost *cost);
int cmd_export_sweep(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_replay(int argc, char **argv);

/* True when argv holds -h or --help; commands print their usage and exit 0. */
int cli_wants_help(int argc, char **argv);

/* The whole file, NUL-terminated, allocated through m; the caller frees it
 * with sim_mem_free(m, text, *len + 1). NULL with the reason, naming the
 * file, in err. At most max bytes (sim/fileio.h's caps); what names the kind
 * of file for the message over the cap ("a scenario"). */
char *cli_read_input(SimMem *m, const char *path, size_t max, const char *what, size_t *len, SimErr *err);
/* cli_read_input capped at SIM_FILE_MAX_JSON (64 MiB), for "an input file". */
char *cli_read_file(SimMem *m, const char *path, size_t *len, SimErr *err);
/* Writes len bytes to stdout; -1 after "kubesim CMD: cannot write to
 * standard output: REASON" on stderr. (main flushes and closes stdout after
 * every command and reports what fails there; this is for large writes, whose
 * reason is lost by then.) */
int cli_write_stdout(const char *cmd, const void *data, size_t len);
/* A flag's non-negative whole number into *out; -1 after printing
 * "kubesim CMD: FLAG 'S': expected ..." to stderr. */
int cli_parse_u64(const char *cmd, const char *flag, const char *s, uint64_t *out);
/* 0 if v > 0; else -1 after "kubesim CMD: FLAG 0: must be at least 1" (a
 * budget of 0 would otherwise read as "the default"). */
int cli_positive(const char *cmd, const char *flag, uint64_t v);
/* After getopt: the optional SCENARIO argument at optind into *scenario
 * (left alone when absent); -1 after a message if more arguments follow. */
int cli_scenario_arg(const char *cmd, int argc, char **argv, const char **scenario);
/* Appends a repeatable flag's value to v (n of cap used); -1 after a
 * message when full. */
int cli_push(const char *cmd, char **v, size_t *n, size_t cap, char *s, const char *flag);

/* The default output folder prefix NAME suffix (e.g. "runs/", NAME, "-42")
 * into buf: -1 after a message when name is not a plain file name
 * (sim_outdir_plain_name), so no name can point the output elsewhere. */
int cli_default_out(const char *cmd, const char *prefix, const char *name, const char *suffix, char *buf,
                    size_t n);

/* ---- SIGINT, SIGTERM, SIGHUP (util.c) -------------------------------------
 * While a command writes its output, these signals only note themselves; the
 * command polls cli_stopped() (scn_run polls cli_stop_flag()), removes its
 * temporary folder, stops its workers and exits 128 + the signal. */
typedef struct CliSignals {
    struct sigaction old[3];     /* the dispositions before cli_signals_catch */
} CliSignals;
/* Catches the three signals (a signal ignored at start, as under nohup,
 * stays ignored) and forgets any earlier one. */
void cli_signals_catch(CliSignals *s);
/* Puts the dispositions back (and in a forked worker: the default deaths). */
void cli_signals_restore(const CliSignals *s);
/* The signal caught since cli_signals_catch, or 0. */
int cli_stopped(void);
const volatile sig_atomic_t *cli_stop_flag(void);
/* After a stop: says so on stderr and returns the exit code, 128 + signal. */
int cli_stop_exit(const char *cmd);
/* The run label of --openmetrics: the first 12 hex digits of sha256 over
 * the scenario's name, the seed and the sets (NAME=VALUE, in order: sets,
 * then more), newline-separated, into out. */
void cli_run_id(const char *scenario, uint64_t seed, char *const *sets, size_t nsets, const char *const *more,
                size_t nmore, char out[65]);
/* With --openmetrics: the run in dir (its metrics.csv and the kube-state rows
 * at kstate) as OpenMetrics text at out_path; kstate is removed. */
int cli_openmetrics(SimMem *m, const ScnScenario *s, const char *dir, const char *kstate, const char *out_path,
                    uint64_t seed, const char *run, const char *config, SimErr *err);
/* After a run's end line: the SLOs missed and the three reasons pods waited
 * most, read from DIR's summary.json and trace.kst (run_end.c). */
void cli_run_end_block(FILE *out, const char *dir);

/* The plain alert rules file `export --alerts` writes beside the region
 * folders, and `run --alerts-test` beside its test file. */
#define CLI_ALERTS_RULES "alerts.rules.yaml"

/* A scenario built into an engine (not run) and exported (cmd_export.c; the
 * export benchmark uses it too). */
typedef struct CliExport {
    ScnWorld *w;                 /* the scenario's objects (scenarios/world.c) */
    KxFiles *files;
    KxAlerts *alerts;            /* with alerts != 0: the rules (alerts.c); else NULL */
} CliExport;
/* Builds loaded scenario s into a world allocating through m and exports
 * it with the options the command's flags set in flags (provisioner,
 * namespaces, pod_security, ...; scenario, ca and gates come from s), and
 * its alert rules when alerts != 0 (a PrometheusRule per region). SIM_OK,
 * or an error with the message in err; free x with cli_export_free either
 * way. */
int cli_export_build(ScnScenario *s, SimMem *m, const KxExportOptions *flags, int alerts, CliExport *x,
                     SimErr *err);
void cli_export_free(CliExport *x);

/* `kubesim run --alerts-test FILE` (run_alerts.c). Strings borrowed. */
typedef struct CliAlertsTest {
    const char *test_path;          /* the promtool test file to write */
    const char *rules_path;         /* --alerts-rules: the rules file rule_files names; NULL: the
                                       scenario's rules, written beside the test as CLI_ALERTS_RULES */
    const char *openmetrics_path;   /* the run's OpenMetrics text */
    int64_t base_unix;              /* the Unix time of simulated time 0 */
    SimTime interval;               /* the scenario's sample_every */
    int quiet;
} CliAlertsTest;
/* Writes the test (and the rules file unless rules_path is given) for loaded
 * scenario s. SIM_OK, or an error with the message in err. */
int cli_alerts_test(ScnScenario *s, SimMem *m, const CliAlertsTest *t, SimErr *err);

/* `kubesim sweep --merge`: copies the configuration folders of the shard
 * in folder shard (shard/configs/N/..., when it has them) into tmp/configs/,
 * refusing one an earlier shard gave (copytree.c). SIM_OK, or an error with
 * the message in err. */
int cli_copy_configs(const char *shard, const char *tmp, SimErr *err);

#endif
