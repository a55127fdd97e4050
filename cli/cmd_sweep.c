/*
 * cmd_sweep.c: `kubesim sweep SCENARIO --vary NAME=V1,V2,... [--jobs N]
 * [--shard I/N]` and `kubesim sweep --merge SRC...`.
 *
 * The configurations of this shard (index mod N == I) run with the same
 * seed, in worker processes when --jobs > 1 (a sweep is embarrassingly
 * parallel, and processes keep one run's failure or memory from another's).
 * The parent loads configuration 0 only (the scenario's name; its data sets
 * go into the cache the workers inherit through fork); each worker first
 * loads its share of the others and reports to the parent, which lets them
 * run only when every configuration loads, so a bad value ends the sweep
 * with exit 2 naming the lowest bad configuration, before any run. The
 * workers then claim runs one at a time from a counter they share, so a
 * slow configuration does not leave a worker idle; each run writes its
 * summary.json under configs/, the parent reads them back in index order, so
 * the outputs do not depend on --jobs. The folder appears whole at the end:
 * sweep.csv, sweep.json, sweep.html and configs/.
 *
 * With --seeds N each configuration runs N times (seed, seed + 1, ...; the
 * script is loaded with the run's seed too, as kubesim run does), into
 * configs/I/seed-S/; one seed keeps configs/I/. On a terminal (and not
 * --quiet) one stderr line counts the runs done, with the time elapsed and
 * an estimate of what is left; workers report each finished run through a
 * pipe the parent reads while it waits.
 */
#define _DEFAULT_SOURCE   /* MAP_ANONYMOUS */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <time.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "render/rnd.h"
#include "scenarios/scn.h"
#include "scenarios/sweep.h"
#include "sim/fileio.h"
#include "sim/json.h"
#include "sim/outdir.h"
#include "workloads/kstate.h"

#define MAX_SETS 256
#define MAX_JOBS 256
#define SEED_MAX 9007199254740991ULL

typedef struct SweepArgs {
    const char *scenario;
    const char *out;
    uint64_t seed;
    char *sets[MAX_SETS];
    size_t nsets;
    char *varies[MAX_SETS];
    size_t nvaries;
    size_t jobs, shard, shards;
    size_t seeds;                /* runs per configuration: seed, seed+1, ... */
    double pass_rate;            /* fraction of them that must pass */
    const char *objective;       /* --objective KIND:NAME, or NULL */
    size_t lua_mem;
    uint64_t lua_steps;
    int quiet, merge, force;
    int openmetrics;             /* --openmetrics: each run's metrics.om beside its summary */
    int keep_runs;               /* --keep-runs: each run's trace.kst and metrics.csv kept too */
    char **srcs;                 /* --merge: the shards' folders or CSV files */
    size_t nsrcs;
} SweepArgs;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kubesim sweep [SCENARIO.lua] --vary NAME=V1,V2,... [--vary ...] [--set NAME=VALUE]...\n"
            "                     [--seed N] [--seeds N] [--pass-rate R] [--objective KIND:NAME]\n"
            "                     [--jobs N] [--shard I/N] [--out DIR] [--force] [--quiet]\n"
            "       kubesim sweep --merge SRC... [--out DIR] [--force] [--quiet]\n\n"
            "Runs the scenario once per combination of the --vary values (the last --vary\n"
            "changes fastest) and writes into DIR (default runs/NAME-sweep-SEED/): sweep.csv and\n"
            "sweep.json (one row per configuration: cost, SLO, pending peak, expectations),\n"
            "sweep.html (cost against SLO, and the cheapest configuration that meets every\n"
            "expectation), and configs/N/summary.json. A NAME is a param() of the scenario or\n"
            "DECLARATION.FIELD (e.g. gpu-a100.max: the field max of the declaration named\n"
            "gpu-a100), as --set takes them. Every configuration runs with the same seed (or\n"
            "seeds: --seeds).\n\n"
            "  --vary NAME=V1,V2  an axis of the grid (repeatable)\n"
            "  --set NAME=VALUE   an override for every configuration (repeatable)\n"
            "  --seed N           random seed of every run (default 42)\n"
            "  --seeds N          run every configuration with seeds N, N+1, ..., N+N-1 (default 1);\n"
            "                     rows give the mean and the worst seed's figures\n"
            "  --pass-rate R      a configuration passes when this fraction of its seeds meets\n"
            "                     every expectation (0 < R <= 1; default 1: every seed)\n"
            "  --objective KIND:NAME  scope the rows and the plot: service:NAME (its SLO only),\n"
            "                     job:NAME or queue:NAME (its completion time)\n"
            "  --jobs N           worker processes (default: the online CPUs); the outputs do\n"
            "                     not depend on N\n"
            "  --shard I/N        run only the configurations whose index mod N is I (0-based:\n"
            "                     a Kubernetes Indexed Job's JOB_COMPLETION_INDEX)\n"
            "  --merge SRC...     join the sweep.csv of shards (folders or files) into one sweep\n"
            "  --out DIR          output folder; an existing one is replaced only when it is\n"
            "                     empty or holds nothing but an earlier kubesim output\n"
            "  --force            replace an existing --out folder whatever it holds\n"
            "  --openmetrics      also write each run's metrics as OpenMetrics text into\n"
            "                     configs/N/metrics.om, every sample labelled scenario, seed,\n"
            "                     run and config (N), to load several into one Prometheus\n"
            "  --keep-runs        keep each run's trace.kst and metrics.csv beside its summary\n"
            "                     (configs/N/, or configs/N/seed-S/ with --seeds), so two\n"
            "                     configurations compare with kubesim diff\n"
            "  --lua-mem MIB, --lua-steps N   as for kubesim run\n"
            "  --quiet            print nothing on success\n\n"
            "exit codes: 0 a configuration meets every expectation (a shard or a merge of\n"
            "shards: also when none does), 1 none does, 2 bad input or usage,\n"
            "128 + N stopped by signal N (SIGINT, SIGTERM, SIGHUP: the workers are stopped and\n"
            "the unfinished folder removed)\n");
}

static int parse_shard(const char *s, SweepArgs *a)
{
    unsigned long long i, n;
    char tail;
    if (sscanf(s, "%llu/%llu%c", &i, &n, &tail) != 2 || n == 0 || i >= n || n > SCN_SWEEP_MAX_CONFIGS ||
        strchr(s, '-')) {
        fprintf(stderr, "kubesim sweep: --shard '%s': expected I/N with 0 <= I < N\n", s);
        return -1;
    }
    a->shard = (size_t)i;
    a->shards = (size_t)n;
    return 0;
}

static int parse_rate(const char *s, SweepArgs *a)
{
    char *end;
    double r = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(r > 0 && r <= 1)) {
        fprintf(stderr, "kubesim sweep: --pass-rate '%s': expected a fraction above 0 and at most 1\n", s);
        return -1;
    }
    a->pass_rate = r;
    return 0;
}

static int parse_opt(int c, SweepArgs *a)
{
    uint64_t v;
    switch (c) {
    case 'o': a->out = optarg; return 0;
    case 'V': return cli_push("sweep", a->varies, &a->nvaries, MAX_SETS, optarg, "--vary");
    case 'S': return cli_push("sweep", a->sets, &a->nsets, MAX_SETS, optarg, "--set");
    case 'M': a->merge = 1; return 0;
    case 'q': a->quiet = 1; return 0;
    case 'f': a->force = 1; return 0;
    case 'x': return parse_shard(optarg, a);
    case 's':
        if (cli_parse_u64("sweep", "--seed", optarg, &a->seed))
            return -1;
        if (a->seed > SEED_MAX) {
            fprintf(stderr, "kubesim sweep: --seed must be at most %llu (2^53 - 1)\n", SEED_MAX);
            return -1;
        }
        return 0;
    case 'j':
        if (cli_parse_u64("sweep", "--jobs", optarg, &v) || v == 0 || v > MAX_JOBS) {
            fprintf(stderr, "kubesim sweep: --jobs takes 1 to %d\n", MAX_JOBS);
            return -1;
        }
        a->jobs = (size_t)v;
        return 0;
    case 'm':
        if (cli_parse_u64("sweep", "--lua-mem", optarg, &v) || v == 0 || v > 65536) {
            fprintf(stderr, "kubesim sweep: --lua-mem takes MiB from 1 to 65536\n");
            return -1;
        }
        a->lua_mem = (size_t)v << 20;
        return 0;
    case 'N':
        if (cli_parse_u64("sweep", "--seeds", optarg, &v) || v == 0 || v > 10000) {
            fprintf(stderr, "kubesim sweep: --seeds takes 1 to 10000\n");
            return -1;
        }
        a->seeds = (size_t)v;
        return 0;
    case 'r': return parse_rate(optarg, a);
    case 'O': a->objective = optarg; return 0;
    case 'E': a->openmetrics = 1; return 0;
    case 'K': a->keep_runs = 1; return 0;
    case 'n': return cli_parse_u64("sweep", "--lua-steps", optarg, &a->lua_steps) || cli_positive("sweep", "--lua-steps", a->lua_steps) ? -1 : 0;
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

static int parse_args(int argc, char **argv, SweepArgs *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"seed", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'S'}, {"vary", required_argument, NULL, 'V'},
        {"jobs", required_argument, NULL, 'j'}, {"shard", required_argument, NULL, 'x'},
        {"merge", no_argument, NULL, 'M'}, {"quiet", no_argument, NULL, 'q'},
        {"lua-mem", required_argument, NULL, 'm'}, {"lua-steps", required_argument, NULL, 'n'},
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {"seeds", required_argument, NULL, 'N'}, {"pass-rate", required_argument, NULL, 'r'},
        {"objective", required_argument, NULL, 'O'}, {"openmetrics", no_argument, NULL, 'E'},
        {"keep-runs", no_argument, NULL, 'K'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:s:j:", opts, NULL)) != -1) {
        int r = parse_opt(c, a);
        if (r != 0)
            return r;
    }
    if (a->merge) {
        a->srcs = argv + optind;
        a->nsrcs = (size_t)(argc - optind);
        if (a->nsrcs == 0 || a->nvaries || a->nsets || a->shards > 1 || a->seeds || a->objective ||
            a->pass_rate > 0 || a->openmetrics) {
            fprintf(stderr, "kubesim sweep: --merge takes the shards' folders or CSV files, and no "
                            "--vary, --set, --shard, --seeds, --pass-rate, --objective or --openmetrics "
                            "(the shards' sweep.json say them)\n");
            return -1;
        }
        return 0;
    }
    if (cli_scenario_arg("sweep", argc, argv, &a->scenario) != 0)
        return -1;
    if (a->seeds == 0)
        a->seeds = 1;
    if (a->pass_rate <= 0)
        a->pass_rate = 1;
    if (a->seed + a->seeds - 1 > SEED_MAX) {
        fprintf(stderr, "kubesim sweep: --seed + --seeds - 1 must be at most %llu (2^53 - 1)\n", SEED_MAX);
        return -1;
    }
    if (a->nvaries == 0) {
        fprintf(stderr, "kubesim sweep: give at least one --vary NAME=V1,V2,...\n");
        return -1;
    }
    for (size_t i = 0; i < a->nsets; i++)
        for (size_t k = 0; k < a->nvaries; k++) {
            size_t n = strcspn(a->sets[i], "=");
            if (strncmp(a->sets[i], a->varies[k], n) == 0 && a->varies[k][n] == '=') {
                fprintf(stderr, "kubesim sweep: %.*s is both --set and --vary\n", (int)n, a->sets[i]);
                return -1;
            }
        }
    return 0;
}

/* ---- running the configurations ---------------------------------------------- */
/* The work is the runs of the shard's configurations, each with every seed:
 * run u is configuration u / seeds with seed + u % seeds. */
typedef struct Sweep {
    SweepArgs *a;
    ScnSweep *w;
    SimMem mem;
    ScnDataCache *cache;         /* the data sets, made once per distinct input (the workers
                                    inherit configuration 0's from the parent) */
    ScnOptions base;
    SimOutdir out;
    const CliSignals *sigs;      /* the dispositions a worker goes back to */
    int width;                   /* digits of the configuration folders' names */
    size_t done, total;          /* runs of this shard: finished, all */
    int show;                    /* progress on stderr (a terminal, not --quiet) */
    double t0, next;             /* when the runs began; when progress may show next */
    int tell;                    /* a worker: writes a byte here per finished run (-1: none) */
    int status;                  /* a worker: writes its check's outcome here (a Check) */
    int go;                      /* a worker: runs once this pipe ends (the parent closes it) */
    atomic_size_t *claim;        /* the shard's next run to claim (shared by the workers) */
    CliSweepCost *cost;          /* what the processes cost (NULL: not measured) */
} Sweep;

/* A worker's check of its share: config SIZE_MAX when every configuration
 * loads, else the first that does not and why. Written whole into a pipe
 * (smaller than PIPE_BUF, so the workers' records never interleave). */
typedef struct Check {
    size_t config;
    char msg[SIM_ERR_LEN];
} Check;

static void config_dir(const Sweep *sw, size_t i, char *buf, size_t n)
{
    snprintf(buf, n, "%s/configs/%0*zu", sw->out.tmp, sw->width, i);
}

/* Run u's folder: configs/N (one seed, as always) or configs/N/seed-S. */
static void run_dir(const Sweep *sw, size_t u, char *buf, size_t n)
{
    size_t seeds = sw->a->seeds;
    config_dir(sw, u / seeds, buf, n);
    if (seeds > 1) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "/seed-%llu", (unsigned long long)(sw->a->seed + u % seeds));
    }
}

static int make_dirs(const Sweep *sw, size_t u, char *dir, size_t n)
{
    if (sw->a->seeds > 1) {
        config_dir(sw, u / sw->a->seeds, dir, n);
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            return -1;
    }
    run_dir(sw, u, dir, n);
    return mkdir(dir, 0777);
}

/* The run in dir as configs/.../metrics.om: its run label hashes the
 * scenario, the seed, the --set flags and the configuration's values; its
 * config label is the configuration's index. */
static int write_om(Sweep *sw, const ScnScenario *s, size_t i, uint64_t seed, const char *dir, const char *kpath)
{
    const char *sets[MAX_SETS];
    char run[65], config[32], out[4300];
    SimErr err = SIM_ERR_INIT;
    SimMem m;
    sim_mem_init(&m);
    scn_sweep_sets(sw->w, i, sets);
    cli_run_id(scn_name(s), seed, sw->a->sets, sw->a->nsets, sets, sw->a->nvaries, run);
    snprintf(config, sizeof config, "%zu", i);
    snprintf(out, sizeof out, "%s/metrics.om", dir);
    int rc = cli_openmetrics(&m, s, dir, kpath, out, seed, run, config, &err);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim sweep: configuration %zu: %s\n", i, sim_err_msg(&err));
    return rc;
}

static int run_one(Sweep *sw, size_t u)
{
    char dir[4200];
    size_t i = u / sw->a->seeds;
    SimErr err = SIM_ERR_INIT;
    ScnOptions o = sw->base;
    o.seed = sw->a->seed + u % sw->a->seeds;   /* math.random in the script draws from the run's seed */
    ScnScenario *s = scn_sweep_load(sw->w, i, &o, &err);
    if (s == NULL) {
        fprintf(stderr, "kubesim sweep: %s\n", sim_err_msg(&err));
        return -1;
    }
    char kpath[4300];
    ScnRunOptions ro = {.seed = o.seed, .dir = dir, .stop = cli_stop_flag(),
                        .no_wall_time = 1, .kstate = sw->a->openmetrics ? kpath : NULL,
                        .kstate_pods = WL_KSTATE_PODS_DEFAULT,
                        /* collect deletes trace.kst and metrics.csv: never written unless read or kept */
                        .summary_only = !sw->a->openmetrics && !sw->a->keep_runs &&
                                        !scn_sweep_wants_metrics(sw->w)};
    ScnRunResult res;
    int rc = make_dirs(sw, u, dir, sizeof dir) == 0 ? SIM_OK : SIM_EIO;
    snprintf(kpath, sizeof kpath, "%s/kube-state.tsv", dir);
    if (rc == SIM_OK)
        rc = scn_run(s, &ro, &res);
    int om_failed = rc == SIM_OK && sw->a->openmetrics && write_om(sw, s, i, o.seed, dir, kpath) != SIM_OK;
    if (rc != SIM_OK && !cli_stopped()) {
        char label[512];
        scn_sweep_label(sw->w, i, label, sizeof label);
        fprintf(stderr, "kubesim sweep: configuration %zu (%s), seed %llu: %s\n", i, label,
                (unsigned long long)ro.seed, rc == SIM_EIO ? strerror(errno) : scn_errmsg(s));
    }
    scn_free(s);
    return rc == SIM_OK && !om_failed ? 0 : -1;
}

static int mine(const Sweep *sw, size_t i)
{
    return i % sw->a->shards == sw->a->shard;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "1 min 05 s" and the like, short enough for one terminal line. */
static void span(double s, char *buf, size_t n)
{
    long long r = llround(s);
    if (r < 60)
        snprintf(buf, n, "%lld s", r);
    else if (r < 3600)
        snprintf(buf, n, "%lld min %02lld s", r / 60, r % 60);
    else
        snprintf(buf, n, "%lld h %02lld min", r / 3600, (r / 60) % 60);
}

/* n more runs finished: on a terminal, one line that rewrites itself (runs
 * done, elapsed, an estimate of what is left from the pace so far). */
static void progress(Sweep *sw, size_t n)
{
    sw->done += n;
    double now = wall_now();
    if (!sw->show || (now < sw->next && sw->done < sw->total))
        return;
    sw->next = now + 0.25;
    char el[32], left[32];
    span(now - sw->t0, el, sizeof el);
    span((now - sw->t0) * (double)(sw->total - sw->done) / (double)sw->done, left, sizeof left);
    if (sw->a->seeds > 1)
        fprintf(stderr, "\rkubesim sweep: %zu/%zu runs (%zu configurations x %zu seeds), %s elapsed, about %s left ",
                sw->done, sw->total, sw->total / sw->a->seeds, sw->a->seeds, el, left);
    else
        fprintf(stderr, "\rkubesim sweep: %zu/%zu configurations, %s elapsed, about %s left ", sw->done, sw->total,
                el, left);
}

static void progress_end(const Sweep *sw)
{
    if (sw->show && sw->done > 0)
        fprintf(stderr, "\r%*s\r", 96, "");
}

/* Worker w of n checks every n-th configuration of the shard but 0 (the
 * parent loaded that one) in index order: each must load, or *c names the
 * first that does not. */
static void check_share(Sweep *sw, size_t worker, size_t nworkers, Check *c)
{
    SimErr err = SIM_ERR_INIT;
    size_t k = 0;
    c->config = SIZE_MAX;
    c->msg[0] = '\0';
    for (size_t i = 1; i < scn_sweep_configs(sw->w) && !cli_stopped(); i++) {
        if (!mine(sw, i) || k++ % nworkers != worker)
            continue;
        ScnScenario *s = scn_sweep_load(sw->w, i, &sw->base, &err);
        if (s == NULL) {
            c->config = i;
            snprintf(c->msg, sizeof c->msg, "%s", sim_err_msg(&err));
            return;
        }
        scn_free(s);
    }
}

/* Run k of the shard (its configurations in index order, each with every
 * seed) as a run of the whole sweep: configuration u / seeds, seed u % seeds. */
static size_t shard_run(const Sweep *sw, size_t k)
{
    size_t seeds = sw->a->seeds;
    return (sw->a->shard + k / seeds * sw->a->shards) * seeds + k % seeds;
}

/* Claims the shard's runs one at a time (the counter is shared by every
 * worker) and runs them, until none is left. */
static int run_claimed(Sweep *sw)
{
    for (;;) {
        size_t k = atomic_fetch_add(sw->claim, 1);
        if (k >= sw->total)
            return 0;
        if (cli_stopped() || run_one(sw, shard_run(sw, k)) != 0)
            return -1;
        if (sw->tell >= 0)
            while (write(sw->tell, "+", 1) < 0 && errno == EINTR) {}
        else
            progress(sw, 1);
    }
}

/* Every configuration loads (in this process), then every run runs here. */
static int run_here(Sweep *sw)
{
    Check c;
    atomic_size_t next = 0;
    check_share(sw, 0, 1, &c);
    if (c.config != SIZE_MAX) {
        fprintf(stderr, "kubesim sweep: %s\n", c.msg);
        return -1;
    }
    sw->claim = &next;
    int rc = cli_stopped() ? -1 : run_claimed(sw);
    sw->claim = NULL;
    return rc;
}

/* A worker: checks its share, tells the parent, waits until the parent lets
 * the workers run (it ends the go pipe; after a failure it kills them
 * instead), then runs what it claims. */
static int worker_main(Sweep *sw, size_t w, size_t nworkers)
{
    Check c;
    char byte;
    ssize_t got;
    check_share(sw, w, nworkers, &c);
    while (write(sw->status, &c, sizeof c) < 0 && errno == EINTR) {}
    while ((got = read(sw->go, &byte, 1)) < 0 && errno == EINTR) {}
    if (c.config != SIZE_MAX || got != 0 || cli_stopped())
        return -1;
    return run_claimed(sw);
}

/* Kills the workers still running and reaps them: they write only into the
 * temporary folder, which the caller removes. */
static void stop_workers(pid_t *pids, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (pids[k] > 0)
            kill(pids[k], SIGKILL);
    for (size_t k = 0; k < n; k++)
        while (pids[k] > 0 && waitpid(pids[k], NULL, 0) < 0 && errno == EINTR) {}
}

/* The workers' finished runs, from the pipe they write a byte each into. */
static void drain(Sweep *sw, int fd)
{
    char buf[256];
    ssize_t got;
    while (fd >= 0 && (got = read(fd, buf, sizeof buf)) > 0)
        progress(sw, (size_t)got);
}

/* The parent's side of the workers' checks: the pipes' ends it holds, the
 * checks received and the lowest configuration that failed to load. */
typedef struct Gate {
    int status;                  /* read end of the checks (non-blocking; -1 once all came) */
    int go;                      /* write end of the go pipe (-1 once ended: the workers run) */
    size_t checks, n;            /* checks received, workers */
    Check bad;                   /* config SIZE_MAX: none failed */
} Gate;

/* Reads the checks that came; once all n did, opens the gate, or (a
 * configuration does not load) names the lowest bad one and returns -1. */
static int gate_read(Gate *g)
{
    Check c;
    ssize_t got;
    if (g->status < 0)
        return 0;
    while ((got = read(g->status, &c, sizeof c)) == (ssize_t)sizeof c) {
        if (c.config < g->bad.config)
            g->bad = c;
        g->checks++;
    }
    if (g->checks < g->n && got != 0)
        return 0;   /* more to come; at the end of the pipe a worker died unchecked: waitpid says so */
    close(g->status);
    g->status = -1;
    if (g->checks < g->n)
        return 0;
    if (g->bad.config != SIZE_MAX) {
        fprintf(stderr, "kubesim sweep: %s\n", g->bad.msg);
        return -1;
    }
    close(g->go);
    g->go = -1;
    return 0;
}

static double cpu_of(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6 + (double)ru->ru_stime.tv_sec +
           (double)ru->ru_stime.tv_usec * 1e-6;
}

/* This process's CPU seconds so far. */
static double cpu_self(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? cpu_of(&ru) : 0;
}

/* A worker that ended: its CPU time into the sweep's cost. */
static void count_worker(Sweep *sw, const struct rusage *ru)
{
    if (sw->cost == NULL)
        return;
    double t = cpu_of(ru);
    sw->cost->workers++;
    sw->cost->workers_cpu += t;
    if (t > sw->cost->busiest_worker_cpu)
        sw->cost->busiest_worker_cpu = t;
}

/* Waits for the n workers with SIGINT, SIGTERM, SIGHUP and SIGCHLD blocked
 * except inside pselect(wake), so a signal can never slip in between the check
 * and the wait; the pipe fd (non-blocking; -1: none) wakes it for progress,
 * the gate's for the checks. A signal, a failed worker or a configuration
 * that does not load stops them all. */
static int wait_workers(Sweep *sw, pid_t *pids, size_t n, const sigset_t *wake, int fd, Gate *g)
{
    size_t live = n;
    int failed = 0, st;
    struct rusage ru;
    while (live > 0 && !failed && !cli_stopped()) {
        pid_t pid = wait4(-1, &st, WNOHANG, &ru);
        if (pid < 0 && errno != EINTR) {   /* no child left to wait for: cannot happen */
            failed = 1;
            break;
        }
        if (pid == 0) {
            fd_set rd;
            FD_ZERO(&rd);
            if (fd >= 0)
                FD_SET(fd, &rd);
            if (g->status >= 0)
                FD_SET(g->status, &rd);
            int top = fd > g->status ? fd : g->status;
            pselect(top + 1, top >= 0 ? &rd : NULL, NULL, NULL, NULL, wake);
            drain(sw, fd);
            failed = gate_read(g) != 0;
        }
        if (pid <= 0)
            continue;
        for (size_t k = 0; k < n; k++)
            if (pids[k] == pid)
                pids[k] = 0;
        live--;
        count_worker(sw, &ru);
        failed = !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    drain(sw, fd);
    stop_workers(pids, n);
    return failed || cli_stopped() ? -1 : 0;
}

static void on_child(int sig)
{
    (void)sig;   /* only wakes sigsuspend */
}

/* The pipes between the parent and the workers: progress (only when shown;
 * -1 otherwise), checks and go. Nonzero when one cannot be made. */
static int open_pipes(Sweep *sw, int tell[2], int status[2], int go[2])
{
    tell[0] = tell[1] = status[0] = status[1] = go[0] = go[1] = -1;
    if (sw->show && (pipe(tell) != 0 || fcntl(tell[0], F_SETFL, O_NONBLOCK) != 0)) {
        if (tell[0] >= 0)
            close(tell[0]), close(tell[1]);
        tell[0] = tell[1] = -1;
    }
    if (pipe(status) == 0 && fcntl(status[0], F_SETFL, O_NONBLOCK) == 0 && pipe(go) == 0)
        return 0;
    fprintf(stderr, "kubesim sweep: cannot make a pipe: %s\n", strerror(errno));
    return -1;
}

static void close_fds(int *fds, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (fds[k] >= 0)
            close(fds[k]), fds[k] = -1;
}

/* The shard's next run, in memory every worker shares; NULL when it cannot
 * be had. */
static atomic_size_t *shared_counter(void)
{
    void *p = mmap(NULL, sizeof(atomic_size_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "kubesim sweep: cannot share the run counter: %s\n", strerror(errno));
        return NULL;
    }
    atomic_init((atomic_size_t *)p, 0);
    return p;
}

static int run_workers(Sweep *sw, size_t jobs)
{
    pid_t pids[MAX_JOBS] = {0};
    size_t started = 0;
    sigset_t block, old, wake;
    struct sigaction sa = {.sa_handler = on_child}, oldchld;
    int fds[6];   /* tell, status, go: read and write ends */
    int *tell = fds, *status = fds + 2, *go = fds + 4;
    if (open_pipes(sw, tell, status, go) != 0 || (sw->claim = shared_counter()) == NULL) {
        close_fds(fds, 6);
        return -1;
    }
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGINT), sigaddset(&block, SIGTERM), sigaddset(&block, SIGHUP), sigaddset(&block, SIGCHLD);
    sigaction(SIGCHLD, &sa, &oldchld);
    sigprocmask(SIG_BLOCK, &block, &old);
    wake = old;
    sigdelset(&wake, SIGINT), sigdelset(&wake, SIGTERM), sigdelset(&wake, SIGHUP), sigdelset(&wake, SIGCHLD);
    fflush(NULL);   /* a child must not write the parent's buffered output again */
    pid_t parent = getpid();
    (void)parent;   /* read on Linux only */
    for (; started < jobs; started++) {
        if ((pids[started] = fork()) < 0) {
            fprintf(stderr, "kubesim sweep: cannot start a worker: %s\n", strerror(errno));
            pids[started] = 0;
            break;
        }
        if (pids[started] == 0) {   /* a worker dies of the signals; the parent cleans up */
#ifdef __linux__
            /* A parent killed outright (SIGKILL, OOM killer) cannot stop its
             * workers: the kernel does, and a parent already gone by now is
             * seen through getppid. */
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
                _exit(2);
#endif
            cli_signals_restore(sw->sigs);
            sigaction(SIGCHLD, &oldchld, NULL);
            sigprocmask(SIG_SETMASK, &old, NULL);
            close_fds(&tell[0], 1);
            close_fds(&status[0], 1);
            close_fds(&go[1], 1);
            sw->tell = tell[1];
            sw->status = status[1];
            sw->go = go[0];
            _exit(worker_main(sw, started, jobs) == 0 ? 0 : 2);
        }
    }
    close_fds(&tell[1], 1);
    close_fds(&status[1], 1);
    close_fds(&go[0], 1);
    Gate g = {.status = status[0], .go = go[1], .n = jobs, .bad = {.config = SIZE_MAX}};
    int rc = started == jobs ? wait_workers(sw, pids, started, &wake, tell[0], &g) : -1;
    if (rc != 0)
        stop_workers(pids, started);
    status[0] = g.status, go[1] = g.go;
    close_fds(fds, 6);
    munmap(sw->claim, sizeof *sw->claim);
    sw->claim = NULL;
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigaction(SIGCHLD, &oldchld, NULL);
    return rc;
}

/* Adds the run in dir to configuration i's row: its summary, and its
 * metrics when the objective needs them. */
static int add_run(Sweep *sw, size_t i, const char *dir)
{
    char path[4300];
    size_t len, mlen = 0;
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *text = cli_read_file(&sw->mem, path, &len, &err), *metrics = NULL;
    if (text && scn_sweep_wants_metrics(sw->w)) {
        snprintf(path, sizeof path, "%s/metrics.csv", dir);
        metrics = cli_read_input(&sw->mem, path, SIM_FILE_MAX_CSV, "a run's metrics.csv", &mlen, &err);
    }
    int rc = text && (metrics || !scn_sweep_wants_metrics(sw->w))
                 ? scn_sweep_add_run(sw->w, i, text, len, metrics, mlen) : SIM_EIO;
    if (text)
        sim_mem_free(&sw->mem, text, len + 1);
    if (metrics)
        sim_mem_free(&sw->mem, metrics, mlen + 1);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim sweep: %s\n", rc != SIM_EIO ? scn_sweep_errmsg(sw->w) : sim_err_msg(&err));
    return rc == SIM_OK ? 0 : -1;
}

/* Reads each configuration's summary back in index order; only the summary
 * is kept (a configuration reruns exactly with kubesim run --set ...), unless
 * --keep-runs keeps the trace and metrics too (for kubesim diff). */
static int collect(Sweep *sw)
{
    char dir[4200], path[4300];
    for (size_t u = 0; u < scn_sweep_configs(sw->w) * sw->a->seeds; u++) {
        if (!mine(sw, u / sw->a->seeds))
            continue;
        run_dir(sw, u, dir, sizeof dir);
        if (add_run(sw, u / sw->a->seeds, dir) != 0)
            return -1;
        if (sw->a->keep_runs)
            continue;
        snprintf(path, sizeof path, "%s/metrics.csv", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/trace.kst", dir);
        unlink(path);
    }
    return 0;
}

/* ---- outputs ---------------------------------------------------------------------- */
/* m: the sweep's allocator (sweep.json's printed text). */
static int write_outputs(SimMem *m, ScnSweep *w, const char *tmp, const char *scenario, int64_t seed,
                         size_t shard, size_t shards, SimErr *err)
{
    char path[4200], html[4200];
    snprintf(path, sizeof path, "%s/sweep.csv", tmp);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return sim_err_set(err, SIM_EIO, "%.900s: %s", path, strerror(errno));
    scn_sweep_write_csv(w, f);
    int bad = ferror(f) != 0;   /* a failed write before the last flush: fclose may not say so */
    if (fclose(f) != 0 || bad)
        return sim_err_set(err, SIM_EIO, "%.900s: %s", path, strerror(errno));
    SimJsonScope js;
    sim_json_begin(&js, m);
    cJSON *j = scn_sweep_json(w, scenario, seed, shard, shards);
    char *text = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (sim_json_end(&js) != SIM_OK) {
        cJSON_free(text);
        text = NULL;
    }
    if (text == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory writing sweep.json");
    snprintf(path, sizeof path, "%s/sweep.json", tmp);
    int rc = sim_write_file(path, text, strlen(text), err);
    cJSON_free(text);
    snprintf(html, sizeof html, "%s/sweep.html", tmp);
    return rc == SIM_OK ? rnd_sweep_write(m, path, html, err) : rc;
}

static void report(const ScnSweep *w, const char *dest, int whole)
{
    size_t best = scn_sweep_cheapest(w);
    char label[512];
    printf("sweep:   %s/sweep.csv, sweep.json, sweep.html\n", dest);
    if (best != SIZE_MAX) {
        scn_sweep_label(w, best, label, sizeof label);
        printf("cheapest meeting every expectation: configuration %zu (%s)\n", best, label);
    } else {
        printf("%s\n", whole ? "no configuration meets every expectation"
                             : "no configuration of this shard meets every expectation");
    }
}

/* Commits out (unless a signal came first, or rc says the work failed) and
 * reports; removes the temporary folder otherwise. */
static int finish(ScnSweep *w, SimOutdir *out, const CliSignals *sigs, int rc, int quiet, int whole)
{
    if (rc == 0 && !cli_stopped() && sim_outdir_commit(out) != SIM_OK) {
        fprintf(stderr, "kubesim sweep: %s\n", sim_outdir_errmsg(out));
        rc = -1;
    }
    if (rc != 0 || cli_stopped())
        sim_outdir_abort(out);
    cli_signals_restore(sigs);
    if (cli_stopped())
        return cli_stop_exit("sweep");
    if (rc != 0)
        return CLI_BAD_INPUT;
    if (!quiet)
        report(w, out->dest, whole);
    return whole && scn_sweep_cheapest(w) == SIZE_MAX ? CLI_EXPECT_FAILED : CLI_OK;
}

/* Loads configuration 0 (for the scenario's name, and so that the workers
 * inherit its data sets) and counts the shard's configurations; the workers
 * load the others. */
static int first_load(Sweep *sw, char *name, size_t n)
{
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_sweep_load(sw->w, 0, &sw->base, &err);
    if (s == NULL) {
        fprintf(stderr, "kubesim sweep: %s\n", sim_err_msg(&err));
        return -1;
    }
    snprintf(name, n, "%s", scn_name(s));
    scn_free(s);
    for (size_t i = 0; i < scn_sweep_configs(sw->w); i++)
        sw->total += mine(sw, i);
    return 0;
}

static int sweep_run(Sweep *sw)
{
    SweepArgs *a = sw->a;
    char name[256], dest[4096], seed[48];
    SimErr err = SIM_ERR_INIT;
    if (first_load(sw, name, sizeof name) != 0)
        return CLI_BAD_INPUT;
    sw->total *= a->seeds;
    snprintf(seed, sizeof seed, "-sweep-%llu", (unsigned long long)a->seed);
    if (a->out)
        snprintf(dest, sizeof dest, "%s", a->out);
    else if (cli_default_out("sweep", "runs/", name, seed, dest, sizeof dest) != 0)
        return CLI_BAD_INPUT;
    CliSignals sigs;
    cli_signals_catch(&sigs);
    sw->sigs = &sigs;
    if (sim_outdir_begin(&sw->out, &sw->mem, dest, a->force) != SIM_OK) {
        cli_signals_restore(&sigs);
        fprintf(stderr, "kubesim sweep: %s\n", sim_outdir_errmsg(&sw->out));
        return CLI_BAD_INPUT;
    }
    char configs[4200];
    snprintf(configs, sizeof configs, "%s/configs", sw->out.tmp);
    size_t jobs = a->jobs < sw->total ? a->jobs : sw->total;
    int rc = mkdir(configs, 0777) == 0 ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "kubesim sweep: %s: %s\n", configs, strerror(errno));
    sw->show = !a->quiet && isatty(STDERR_FILENO);
    sw->t0 = wall_now();
    sw->tell = -1;
    if (sw->cost)
        sw->cost->parent_setup_cpu = cpu_self() - sw->cost->parent_cpu;
    if (rc == 0)
        rc = jobs <= 1 ? run_here(sw) : run_workers(sw, jobs);
    progress_end(sw);
    if (rc == 0 && !cli_stopped())
        rc = collect(sw);
    if (rc == 0 && !cli_stopped() &&
        write_outputs(&sw->mem, sw->w, sw->out.tmp, name, (int64_t)a->seed, a->shard, a->shards, &err)) {
        fprintf(stderr, "kubesim sweep: %s\n", sim_err_msg(&err));
        rc = -1;
    }
    return finish(sw->w, &sw->out, &sigs, rc, a->quiet, a->shards == 1);
}

/* A merge source: a shard's folder, or its sweep.csv; dir gets the folder
 * whose sweep.json names the scenario and seed ("" when src is another CSV). */
static void merge_paths(const char *src, char *csv, char *dir, size_t n)
{
    struct stat st;
    const char *slash = strrchr(src, '/');
    const char *base = slash ? slash + 1 : src;
    dir[0] = '\0';
    if (stat(src, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(csv, n, "%s/sweep.csv", src);
        snprintf(dir, n, "%s", src);
        return;
    }
    snprintf(csv, n, "%s", src);
    if (strcmp(base, "sweep.csv") == 0)
        snprintf(dir, n, "%.*s", slash ? (int)(slash - src) : 1, slash ? src : ".");
}

/* Reads a shard's sweep.json, if it has one, for the scenario and seed. */
static int merge_meta(SimMem *m, ScnSweep *w, const char *dir)
{
    char path[4224];   /* dir (4200) and "/sweep.json" */
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    if (dir[0] == '\0' || access(path, F_OK) != 0)
        return 0;
    size_t len;
    char *text = cli_read_file(m, path, &len, &err);
    int rc = text ? scn_sweep_add_meta(w, text, len, path) : SIM_EIO;
    sim_mem_free(m, text, len + 1);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim sweep: %s\n", text ? scn_sweep_errmsg(w) : sim_err_msg(&err));
    return rc == SIM_OK ? 0 : -1;
}

static int sweep_merge(SweepArgs *a, ScnSweep *w, SimMem *m)
{
    char path[4200], dir[4200];
    SimErr err = SIM_ERR_INIT;
    for (size_t i = 0; i < a->nsrcs; i++) {
        merge_paths(a->srcs[i], path, dir, sizeof path);
        size_t len;
        char *text = cli_read_file(m, path, &len, &err);
        int rc = text ? scn_sweep_add_csv(w, text, len, path) : SIM_EIO;
        sim_mem_free(m, text, len + 1);
        if (rc != SIM_OK)
            fprintf(stderr, "kubesim sweep: %s\n", text ? scn_sweep_errmsg(w) : sim_err_msg(&err));
        if (rc != SIM_OK) {
            return CLI_BAD_INPUT;
        }
        if (merge_meta(m, w, dir) != 0)
            return CLI_BAD_INPUT;
    }
    if (scn_sweep_check_complete(w) != SIM_OK) {
        fprintf(stderr, "kubesim sweep: --merge: %s\n", scn_sweep_errmsg(w));
        return CLI_BAD_INPUT;
    }
    CliSignals sigs;
    SimOutdir out;
    cli_signals_catch(&sigs);
    int rc = sim_outdir_begin(&out, m, a->out ? a->out : "runs/sweep-merged", a->force);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim sweep: %s\n", sim_outdir_errmsg(&out));
    else if ((rc = write_outputs(m, w, out.tmp, NULL, -1, 0, 1, &err)) != SIM_OK)
        fprintf(stderr, "kubesim sweep: %s\n", sim_err_msg(&err));
    for (size_t i = 0; rc == SIM_OK && i < a->nsrcs; i++) {   /* the runs' folders too: the whole sweep's */
        merge_paths(a->srcs[i], path, dir, sizeof path);
        if (dir[0] != '\0' && (rc = cli_copy_configs(dir, out.tmp, &err)) != SIM_OK)
            fprintf(stderr, "kubesim sweep: --merge: %s\n", sim_err_msg(&err));
    }
    return finish(w, &out, &sigs, rc, a->quiet, 1);
}

int cmd_sweep(int argc, char **argv)
{
    return cli_sweep_costed(argc, argv, NULL);
}

int cli_sweep_costed(int argc, char **argv, CliSweepCost *cost)
{
    SweepArgs a = {.seed = 42, .shards = 1};
    if (cost)
        *cost = (CliSweepCost){.parent_cpu = cpu_self()};   /* the start, until the end below */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    a.jobs = ncpu > 0 ? (size_t)(ncpu < MAX_JOBS ? ncpu : MAX_JOBS) : 1;
    int pr = parse_args(argc, argv, &a);
    if (pr != 0)
        return pr > 0 ? CLI_OK : CLI_BAD_INPUT;
    Sweep sw = {.a = &a, .cost = cost};
    sim_mem_init(&sw.mem);
    sw.w = scn_sweep_new(&sw.mem);
    sw.cache = scn_data_cache_new(&sw.mem);
    if (sw.w == NULL || sw.cache == NULL) {
        scn_sweep_free(sw.w);
        scn_data_cache_free(sw.cache);
        fprintf(stderr, "kubesim sweep: out of memory\n");
        return CLI_BAD_INPUT;
    }
    int rc = CLI_OK;
    if (!a.merge) {
        scn_sweep_seeds(sw.w, a.seeds, a.pass_rate);
        if (scn_sweep_rerun_base(sw.w, a.scenario, (const char *const *)a.sets, a.nsets, (int64_t)a.seed) != SIM_OK ||
            (a.objective && scn_sweep_objective(sw.w, a.objective) != SIM_OK)) {
            fprintf(stderr, "kubesim sweep: %s\n", scn_sweep_errmsg(sw.w));
            rc = CLI_BAD_INPUT;
        }
    }
    for (size_t i = 0; i < a.nvaries && rc == CLI_OK; i++)
        if (scn_sweep_vary(sw.w, a.varies[i]) != SIM_OK) {
            fprintf(stderr, "kubesim sweep: %s\n", scn_sweep_errmsg(sw.w));
            rc = CLI_BAD_INPUT;
        }
    if (rc == CLI_OK && a.merge) {
        rc = sweep_merge(&a, sw.w, &sw.mem);
    } else if (rc == CLI_OK) {
        sw.base = (ScnOptions){.path = a.scenario, .sets = a.sets, .nsets = a.nsets, .lua_mem = a.lua_mem,
                               .lua_steps = a.lua_steps, .seed = a.seed, .data_cache = sw.cache};
        size_t n = scn_sweep_configs(sw.w);
        for (sw.width = 1; n >= 10; n /= 10)
            sw.width++;
        rc = sweep_run(&sw);
    }
    scn_sweep_free(sw.w);
    scn_data_cache_free(sw.cache);
    if (cost)
        cost->parent_cpu = cpu_self() - cost->parent_cpu;
    return rc;
}
