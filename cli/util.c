/* util.c: what several subcommands share. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/rnd.h"
#include "sim/outdir.h"
#include "sim/fileio.h"

char *cli_read_input(SimMem *m, const char *path, size_t max, const char *what, size_t *len, SimErr *err)
{
    char *text;
    return sim_file_read(m, path, max, what, &text, len, err) == SIM_OK ? text : NULL;
}

char *cli_read_file(SimMem *m, const char *path, size_t *len, SimErr *err)
{
    return cli_read_input(m, path, SIM_FILE_MAX_JSON, "an input file", len, err);
}

int cli_write_stdout(const char *cmd, const void *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) == len)
        return 0;
    /* A large fwrite bypasses stdio's buffer, so by the time main flushes
     * stdout the reason is gone: say it now, and let main stay quiet. */
    fprintf(stderr, "kubesim %s: cannot write to standard output: %s\n", cmd, strerror(errno));
    clearerr(stdout);
    return -1;
}

int cli_parse_u64(const char *cmd, const char *flag, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || *s == '-') {
        fprintf(stderr, "kubesim %s: %s '%s': expected a non-negative whole number\n", cmd, flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_positive(const char *cmd, const char *flag, uint64_t v)
{
    if (v > 0)
        return 0;
    fprintf(stderr, "kubesim %s: %s 0: must be at least 1\n", cmd, flag);
    return -1;
}

int cli_scenario_arg(const char *cmd, int argc, char **argv, const char **scenario)
{
    if (optind < argc)
        *scenario = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "kubesim %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return -1;
    }
    return 0;
}

int cli_push(const char *cmd, char **v, size_t *n, size_t cap, char *s, const char *flag)
{
    if (*n == cap) {
        fprintf(stderr, "kubesim %s: too many %s flags (at most %zu)\n", cmd, flag, cap);
        return -1;
    }
    v[(*n)++] = s;
    return 0;
}

int cli_default_out(const char *cmd, const char *prefix, const char *name, const char *suffix, char *buf,
                    size_t n)
{
    if (!sim_outdir_plain_name(name)) {   /* scenario names are checked where declared: a second guard */
        fprintf(stderr, "kubesim %s: the scenario's name is not a plain file name; give --out DIR\n", cmd);
        return -1;
    }
    if ((size_t)snprintf(buf, n, "%s%s%s", prefix, name, suffix) >= n) {
        fprintf(stderr, "kubesim %s: the scenario's name is too long for a folder name; give --out DIR\n", cmd);
        return -1;
    }
    return 0;
}

/* ---- signals ------------------------------------------------------------------
 * The one mutable global of kubesim (STYLE.md allows no other, and a signal
 * handler can share nothing else safely): the number of the signal that asked
 * the running command to stop, 0 while none has. The handler only stores it;
 * removing the temporary folder and stopping a sweep's workers happen in the
 * command's own flow, where every call is safe. */
static volatile sig_atomic_t stop_signal;

static const int caught[3] = {SIGINT, SIGTERM, SIGHUP};

static void on_stop(int sig)
{
    stop_signal = sig;
}

void cli_signals_catch(CliSignals *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;   /* no SA_RESTART: a blocking wait returns EINTR */
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    for (int i = 0; i < 3; i++) {
        sigaction(caught[i], NULL, &s->old[i]);
        if (s->old[i].sa_handler != SIG_IGN)
            sigaction(caught[i], &sa, NULL);
    }
}

void cli_signals_restore(const CliSignals *s)
{
    for (int i = 0; i < 3; i++)
        sigaction(caught[i], &s->old[i], NULL);
}

int cli_stopped(void)
{
    return stop_signal;
}

const volatile sig_atomic_t *cli_stop_flag(void)
{
    return &stop_signal;
}

int cli_stop_exit(const char *cmd)
{
    int sig = stop_signal;
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
    fprintf(stderr, "kubesim %s: stopped by %s; no output is left half-written\n", cmd, name);
    return 128 + sig;
}

void cli_run_id(const char *scenario, uint64_t seed, char *const *sets, size_t nsets, const char *const *more,
                size_t nmore, char out[65])
{
    SimSha256 h;
    char num[32];
    sim_sha256_init(&h);
    sim_sha256_update(&h, scenario, strlen(scenario));
    snprintf(num, sizeof num, "\n%llu", (unsigned long long)seed);
    sim_sha256_update(&h, num, strlen(num));
    for (size_t i = 0; i < nsets + nmore; i++) {
        const char *v = i < nsets ? sets[i] : more[i - nsets];
        sim_sha256_update(&h, "\n", 1);
        sim_sha256_update(&h, v, strlen(v));
    }
    sim_sha256_hex(&h, out);
    out[12] = '\0';
}

int cli_openmetrics(SimMem *m, const ScnScenario *s, const char *dir, const char *kstate, const char *out_path,
                    uint64_t seed, const char *run, const char *config, SimErr *err)
{
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/metrics.csv", dir);
    RndOmRun om = {.metrics_csv = mpath, .kstate = kstate,
                   .base_unix = scn_start_unix(s),   /* the scenario's real date and clock, in UTC */
                   .scenario = scn_name(s), .seed = seed, .run = run, .config = config};
    int rc = rnd_openmetrics_write(m, &om, out_path, err);
    (void)remove(kstate);   /* an input of the OpenMetrics text, not an output of the run */
    return rc;
}
