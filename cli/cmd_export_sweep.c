/*
 * cmd_export_sweep.c: `kubesim export-sweep [SCENARIO] --vary ... [--shards
 * N]`: the Kubernetes objects that run a sweep's shards as an Indexed Job on
 * a real cluster and merge them (k8s-export/sweep_job.c), as one YAML stream
 * for `kubectl apply -f`. Every configuration is loaded first, as
 * `kubesim sweep` does, so a sweep that could not run is refused here
 * (exit 2) rather than on the cluster.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "k8s-export/kx.h"
#include "scenarios/scn.h"
#include "scenarios/sweep.h"
#include "sim/fileio.h"

#define MAX_SETS 256
#define SEED_MAX 9007199254740991ULL

typedef struct ExportArgs {
    const char *scenario, *out;
    KxSweepJob job;
    char *sets[MAX_SETS], *varies[MAX_SETS];
    size_t nsets, nvaries;
    uint64_t shards, parallelism;
} ExportArgs;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kubesim export-sweep [SCENARIO.lua] --vary NAME=V1,V2,... [--vary ...] [--set NAME=VALUE]...\n"
            "                            [--seed N] [--seeds N] [--pass-rate R] [--objective KIND:NAME]\n"
            "                            [--shards N] [--parallelism P] [--image IMAGE]\n"
            "                            [--name NAME] [--namespace NS] [--cpu Q] [--memory Q]\n"
            "                            [--storage Q] [--storage-class CLASS] [--out FILE]\n\n"
            "Writes the Kubernetes objects that run `kubesim sweep` on a cluster (to --out FILE,\n"
            "or standard output): a ConfigMap NAME-scenario with the script, a ReadWriteMany\n"
            "PersistentVolumeClaim NAME-results, an Indexed Job NAME whose pod with completion\n"
            "index I runs shard I/N into /results/shards/I, and a Job NAME-merge that waits for\n"
            "every shard and writes the merged sweep into /results/merged. Apply with\n"
            "`kubectl apply -f FILE`.\n\n"
            "  --vary, --set, --seed, --seeds, --pass-rate, --objective\n"
            "                     as for kubesim sweep; every shard runs with them\n"
            "  --shards N         shards, the Indexed Job's completions (default: the\n"
            "                     configurations, at most 20)\n"
            "  --parallelism P    shards running at once (default: all)\n"
            "  --image IMAGE      an image with kubesim on PATH and /bin/sh, running as uid\n"
            "                     65532: the repository's Containerfile builds one (default\n"
            "                     kubesim:%s, the tag of `docker build -f Containerfile -t\n"
            "                     kubesim:%s .`; push it and name it here)\n"
            "  --name NAME        base of the objects' names (default kubesim-sweep-SCENARIO)\n"
            "  --namespace NS     (default default)\n"
            "  --cpu Q, --memory Q   each pod's requests and limits (default 1 and 2Gi)\n"
            "  --storage Q        the results volume (default 1Gi); --storage-class CLASS\n\n"
            "exit codes: 0 written, 2 bad input or usage\n",
            KUBESIM_VERSION, KUBESIM_VERSION);
}

/* A quantity flag, checked as the API server would read it. */
static int quantity(const char *flag, const char *s, int milli, const char **out)
{
    int64_t v;
    const char *why;
    if (sim_quantity_parse(s, milli, &v, &why) != SIM_OK || v <= 0) {
        fprintf(stderr, "kubesim export-sweep: %s '%s': not a positive quantity (e.g. \"500m\", \"2\", \"4Gi\")\n",
                flag, s);
        return -1;
    }
    *out = s;
    return 0;
}

/* A whole-number flag from lo to hi; -1 after a message naming it. */
static int positive(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (cli_parse_u64("export-sweep", flag, s, out) != 0)
        return -1;
    if (*out < lo || *out > hi) {
        fprintf(stderr, "kubesim export-sweep: %s takes %llu to %llu, not %s\n", flag, (unsigned long long)lo,
                (unsigned long long)hi, s);
        return -1;
    }
    return 0;
}

/* --pass-rate: a fraction above 0 and at most 1, passed to the shards as given. */
static int pass_rate(const char *s, ExportArgs *a)
{
    char *end;
    double r = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(r > 0 && r <= 1)) {
        fprintf(stderr, "kubesim export-sweep: --pass-rate '%s': expected a fraction above 0 and at most 1\n", s);
        return -1;
    }
    a->job.pass_rate = s;
    return 0;
}

static int parse_opt(int c, ExportArgs *a)
{
    uint64_t v;
    switch (c) {
    case 'o': a->out = optarg; return 0;
    case 'V': return cli_push("export-sweep", a->varies, &a->nvaries, MAX_SETS, optarg, "--vary");
    case 'S': return cli_push("export-sweep", a->sets, &a->nsets, MAX_SETS, optarg, "--set");
    case 's': return positive("--seed", optarg, 0, SEED_MAX, &a->job.seed);
    case 'E':
        if (positive("--seeds", optarg, 1, 10000, &v) != 0)
            return -1;
        a->job.seeds = (size_t)v;
        return 0;
    case 'r': return pass_rate(optarg, a);
    case 'O': a->job.objective = optarg; return 0;
    case 'n': return positive("--shards", optarg, 1, SCN_SWEEP_MAX_CONFIGS, &a->shards);
    case 'p': return positive("--parallelism", optarg, 1, SCN_SWEEP_MAX_CONFIGS, &a->parallelism);
    case 'i': a->job.image = optarg; return 0;
    case 'N': a->job.name = optarg; return 0;
    case 'k': a->job.ns = optarg; return 0;
    case 'c': return quantity("--cpu", optarg, 1, &a->job.cpu);
    case 'm': return quantity("--memory", optarg, 0, &a->job.memory);
    case 'g': return quantity("--storage", optarg, 0, &a->job.storage);
    case 'C': a->job.storage_class = optarg; return 0;
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

static int parse_args(int argc, char **argv, ExportArgs *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"vary", required_argument, NULL, 'V'},
        {"set", required_argument, NULL, 'S'}, {"seed", required_argument, NULL, 's'},
        {"shards", required_argument, NULL, 'n'}, {"parallelism", required_argument, NULL, 'p'},
        {"image", required_argument, NULL, 'i'}, {"name", required_argument, NULL, 'N'},
        {"namespace", required_argument, NULL, 'k'}, {"cpu", required_argument, NULL, 'c'},
        {"memory", required_argument, NULL, 'm'}, {"storage", required_argument, NULL, 'g'},
        {"storage-class", required_argument, NULL, 'C'}, {"help", no_argument, NULL, 'h'},
        {"seeds", required_argument, NULL, 'E'}, {"pass-rate", required_argument, NULL, 'r'},
        {"objective", required_argument, NULL, 'O'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        int r = parse_opt(c, a);
        if (r != 0)
            return r;
    }
    if (cli_scenario_arg("export-sweep", argc, argv, &a->scenario) != 0)
        return -1;
    if (a->nvaries == 0) {
        fprintf(stderr, "kubesim export-sweep: give at least one --vary NAME=V1,V2,...\n");
        return -1;
    }
    if (a->job.seeds > 1 && a->job.seed + a->job.seeds - 1 > SEED_MAX) {
        fprintf(stderr, "kubesim export-sweep: --seed + --seeds - 1 must be at most %llu (2^53 - 1)\n", SEED_MAX);
        return -1;
    }
    return 0;
}

/* Loads every configuration (bad values end here) and reads the scenario's
 * name; the caller frees the grid. */
static ScnSweep *check_grid(ExportArgs *a, SimMem *m, char *name, size_t n)
{
    SimErr err = SIM_ERR_INIT;
    ScnSweep *w = scn_sweep_new(m);
    if (w && a->job.objective && scn_sweep_objective(w, a->job.objective) != SIM_OK) {
        fprintf(stderr, "kubesim export-sweep: %s\n", scn_sweep_errmsg(w));
        scn_sweep_free(w);
        return NULL;
    }
    for (size_t i = 0; w && i < a->nvaries; i++)
        if (scn_sweep_vary(w, a->varies[i]) != SIM_OK) {
            fprintf(stderr, "kubesim export-sweep: %s\n", scn_sweep_errmsg(w));
            scn_sweep_free(w);
            return NULL;
        }
    ScnOptions base = {.path = a->scenario, .sets = a->sets, .nsets = a->nsets, .seed = a->job.seed};
    for (size_t i = 0; w && i < scn_sweep_configs(w); i++) {
        ScnScenario *s = scn_sweep_load(w, i, &base, &err);
        if (s == NULL) {
            fprintf(stderr, "kubesim export-sweep: %s\n", sim_err_msg(&err));
            scn_sweep_free(w);
            return NULL;
        }
        if (i == 0)
            snprintf(name, n, "%s", scn_name(s));
        scn_free(s);
    }
    return w;
}

/* kubesim-sweep-<scenario>, lowercased, other characters as '-', cut so
 * that NAME-scenario stays a DNS-1123 label. */
static void default_name(const char *scenario, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "kubesim-sweep-");
    for (const char *p = scenario; *p && k + 1 < n && k < 54; p++)
        buf[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '-';
    while (k > 0 && buf[k - 1] == '-')
        k--;
    buf[k] = '\0';
}

/* The script, allocated through m (the caller frees *len + 1 bytes). */
static char *script_text(SimMem *m, const char *path, size_t *len)
{
    SimErr err = SIM_ERR_INIT;
    if (path == NULL) {
        char *s = sim_mem_alloc(m, scn_default_source_len + 1);
        if (s) {
            memcpy(s, scn_default_source, scn_default_source_len);
            s[scn_default_source_len] = '\0';
            *len = scn_default_source_len;
        }
        else
            fprintf(stderr, "kubesim export-sweep: out of memory\n");
        return s;
    }
    char *s = cli_read_input(m, path, SIM_FILE_MAX_SCENARIO, "a scenario", len, &err);
    if (s == NULL)
        fprintf(stderr, "kubesim export-sweep: %s\n", sim_err_msg(&err));
    return s;
}

static int write_yaml(const char *out, const char *text, size_t len)
{
    SimErr err = SIM_ERR_INIT;
    if (out == NULL)
        return cli_write_stdout("export-sweep", text, len);
    if (sim_file_replace(out, text, len, &err) != SIM_OK) {
        fprintf(stderr, "kubesim export-sweep: %s\n", sim_err_msg(&err));
        return -1;
    }
    return 0;
}

static int emit(ExportArgs *a, SimMem *m)
{
    KxYaml *y = kx_yaml_new(m);
    const char *text;
    size_t len;
    if (y == NULL || kx_sweep_job(&a->job, y) != SIM_OK) {
        fprintf(stderr, "kubesim export-sweep: %s\n",
                y ? "--name or --namespace is not a valid Kubernetes name (a DNS-1123 label; the "
                    "name at most 54 characters)"
                  : "out of memory");
        kx_yaml_free(y);
        return CLI_BAD_INPUT;
    }
    int rc = kx_yaml_text(y, &text, &len);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim export-sweep: %s\n", kx_yaml_errmsg(y));
    else if (write_yaml(a->out, text, len) != 0)
        rc = SIM_EIO;
    kx_yaml_free(y);
    return rc == SIM_OK ? CLI_OK : CLI_BAD_INPUT;
}

int cmd_export_sweep(int argc, char **argv)
{
    ExportArgs a = {.job = {.ns = "default", .seed = 42, .cpu = "1", .memory = "2Gi", .storage = "1Gi"}};
    char image[128], name[128], scn[256];
    snprintf(image, sizeof image, "kubesim:%s", KUBESIM_VERSION);
    a.job.image = image;
    int pr = parse_args(argc, argv, &a);
    if (pr != 0)
        return pr > 0 ? CLI_OK : CLI_BAD_INPUT;
    SimMem mem;
    sim_mem_init(&mem);
    ScnSweep *w = check_grid(&a, &mem, scn, sizeof scn);
    if (w == NULL)
        return CLI_BAD_INPUT;
    size_t configs = scn_sweep_configs(w);
    scn_sweep_free(w);
    a.job.shards = a.shards ? (size_t)a.shards : configs < 20 ? configs : 20;
    if (a.job.shards > configs) {
        fprintf(stderr, "kubesim export-sweep: --shards %zu: the sweep has %zu configurations\n", a.job.shards,
                configs);
        return CLI_BAD_INPUT;
    }
    a.job.parallelism = a.parallelism && a.parallelism < a.job.shards ? (size_t)a.parallelism : a.job.shards;
    if (a.job.name == NULL) {
        default_name(scn, name, sizeof name);
        a.job.name = name;
    }
    a.job.scenario = scn;   /* kx_sweep_job makes a label value of it */
    a.job.varies = (const char *const *)a.varies;
    a.job.nvaries = a.nvaries;
    a.job.sets = (const char *const *)a.sets;
    a.job.nsets = a.nsets;
    size_t len;
    char *script = script_text(&mem, a.scenario, &len);
    if (script == NULL)
        return CLI_BAD_INPUT;
    a.job.script = script;
    int rc = emit(&a, &mem);
    sim_mem_free(&mem, script, len + 1);
    return rc;
}
