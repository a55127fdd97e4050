/* main.c: `kubesim CMD ...`: finds the subcommand and hands it the rest. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sim/sim.h"

typedef struct Command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *what;
} Command;

static const Command commands[] = {
    {"run", cmd_run, "run a scenario (default: the built-in market_open_surge)"},
    {"sweep", cmd_sweep, "run a scenario over a grid of values; the cheapest configuration that meets every expectation"},
    {"export", cmd_export, "write a scenario as Kubernetes manifests, a folder per region with a kustomization.yaml"},
    {"import", cmd_import, "read Kubernetes manifests (multi-document YAML) into a Lua scenario"},
    {"export-sweep", cmd_export_sweep, "a sweep as Kubernetes Jobs: an Indexed Job of shards and a merge Job"},
    {"validate", cmd_validate, "check a scenario without running it: `validate SCENARIO [--set K=V]...`"},
    {"replay", cmd_replay, "play a run back from its trace: a window, or --png FILE --at TIME without one"},
    {"why", cmd_why, "why a pod waited, a node came and went, a service missed its SLO: `why RUN_DIR pod|workload|node|service NAME`"},
    {"trace", cmd_trace, "read a trace: `kubesim trace dump FILE` prints JSON lines"},
    {"bench", cmd_bench, "run the benchmarks; one JSON object per line"},
    {"backtest", cmd_backtest, "run one backtest kernel on a CSV of closing prices"},
    {"calibrate", cmd_calibrate, "measure this host's kernel throughput into a calibration JSON"},
    {"diff", cmd_diff, "what differs between two runs: summary, metrics, the first decision that differs: `diff RUN_A RUN_B`"},
    {"explain", cmd_explain, "why the scheduler, an HPA or the cluster autoscaler decides as it does: `explain schedule|hpa|autoscaler CASE.json`"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim [--version] [--help] COMMAND [ARGS]\n\n"
               "kubesim simulates multi-region Kubernetes clusters: the scheduler, admission,\n"
               "workload controllers and the HPA under serving traffic, with batch pods that\n"
               "run real backtest kernels, driven by Lua scenarios.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\n`kubesim COMMAND --help` documents each command's flags.\n"
               "exit codes: 0 success, 1 an expectation failed, 2 bad input or usage.\n");
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

static int limited(int resource)
{
    struct rlimit r;
    return getrlimit(resource, &r) == 0 && r.rlim_cur != RLIM_INFINITY;
}

/* OpenBLAS starts its worker threads in a constructor, before main, and each
 * worker takes a 128 MiB buffer as it starts; under an address-space or data
 * limit (`ulimit -v`, `ulimit -d`) a worker that cannot have one retries
 * forever, and exit() then waits for it. So under such a limit kubesim runs
 * OpenBLAS on one thread (the simulation does anyway; backtest and calibrate
 * ask for more explicitly): it sets OPENBLAS_NUM_THREADS=1 and starts itself
 * again, once, for the library to read it at load. Without /proc it goes on. */
static void blas_one_thread_under_limit(char **argv)
{
    const char *v = getenv("OPENBLAS_NUM_THREADS");
    if ((v && strcmp(v, "1") == 0) || (!limited(RLIMIT_AS) && !limited(RLIMIT_DATA)))
        return;
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) == 0)
        execv("/proc/self/exe", argv);
}

/* Output on a full disk or to a closed descriptor must not pass for success:
 * stdio only reports a failed write through fflush, ferror and fclose, so
 * every command's output is flushed and closed here and a failure becomes
 * exit 2 with the reason. A stdout closed before kubesim started (EBADF)
 * and never written to is not a failure. */
static int close_stdout(const char *cmd, int rc)
{
    errno = 0;
    int bad = fflush(stdout) != 0;
    int e = errno;
    bad |= ferror(stdout) != 0;
    if (fclose(stdout) != 0 && !bad && errno != EBADF) {
        bad = 1;
        e = errno;
    }
    if (!bad)
        return rc;
    fprintf(stderr, "kubesim%s%s: cannot write to standard output: %s\n", cmd ? " " : "", cmd ? cmd : "",
            e ? strerror(e) : "write error");
    return CLI_BAD_INPUT;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_BAD_INPUT;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("kubesim %s\n", KUBESIM_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "kubesim: unknown command '%s' (see kubesim --help)\n", argv[1]);
    return CLI_BAD_INPUT;
}

int main(int argc, char **argv)
{
    blas_one_thread_under_limit(argv);
    int rc = dispatch(argc, argv);
    const char *cmd = NULL;
    for (size_t i = 0; argc > 1 && i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            cmd = commands[i].name;
    return close_stdout(cmd, rc);
}
