/*
 * cmd_export.c: `kubesim export [SCENARIO] [--set K=V]... [--out DIR]
 * [--provisioner cluster-autoscaler|karpenter]`: loads and builds the
 * scenario (bad input ends here with exit 2 and nothing written), writes its
 * objects as one folder of manifests per region with a kustomization.yaml
 * (k8s-export/export.c) into a temporary folder, and renames it into place.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "scheduler/ca.h"
#include "scenarios/scn.h"
#include "sim/outdir.h"
#include "workloads/gates.h"

#define MAX_SETS 256

typedef struct ExportArgs {
    const char *scenario, *out;
    char *sets[MAX_SETS];
    size_t nsets;
    uint64_t seed;
    int quiet, force;
    KxProvisioner provisioner;
} ExportArgs;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kubesim export [SCENARIO.lua] [--set NAME=VALUE]... [--out DIR]\n"
            "                      [--provisioner cluster-autoscaler|karpenter] [--seed N] [--force] [--quiet]\n\n"
            "Writes the scenario (default: the built-in market_open_surge) as Kubernetes manifests,\n"
            "one folder per region (each region is a cluster): DIR/REGION/*.yaml, one file per\n"
            "kind, and DIR/REGION/kustomization.yaml listing them, for `kubectl apply -k DIR/REGION`.\n"
            "The folder appears whole at the end; bad input writes nothing.\n\n"
            "  --out DIR          output folder (default manifests/NAME/, NAME the scenario's name);\n"
            "                     an existing one is replaced only when it is empty or holds\n"
            "                     nothing but an earlier kubesim output\n"
            "  --force            replace an existing --out folder whatever it holds\n"
            "  --set NAME=VALUE   override a param() or a DECL.FIELD of the scenario (repeatable)\n"
            "  --provisioner cluster-autoscaler|karpenter\n"
            "                     node groups as a cluster-autoscaler ConfigMap in kube-system\n"
            "                     (flags and group settings; default), or as Karpenter v1\n"
            "                     NodePools (nodepools.yaml)\n"
            "  --seed N           seed of the script's math.random (default 42), as for kubesim run\n"
            "  --quiet            print nothing on success\n\n"
            "exit codes: 0 written, 2 bad input or usage, 128 + N stopped by signal N\n");
}

static int parse_opt(int c, ExportArgs *a)
{
    switch (c) {
    case 'o': a->out = optarg; return 0;
    case 'S':
        if (a->nsets == MAX_SETS) {
            fprintf(stderr, "kubesim export: too many --set flags\n");
            return -1;
        }
        a->sets[a->nsets++] = optarg;
        return 0;
    case 's': return cli_parse_u64("export", "--seed", optarg, &a->seed);
    case 'p':
        if (strcmp(optarg, "cluster-autoscaler") != 0 && strcmp(optarg, "karpenter") != 0) {
            fprintf(stderr, "kubesim export: --provisioner takes cluster-autoscaler or karpenter, not '%s'\n",
                    optarg);
            return -1;
        }
        a->provisioner = strcmp(optarg, "karpenter") == 0 ? KX_PROV_KARPENTER : KX_PROV_CLUSTER_AUTOSCALER;
        return 0;
    case 'q': a->quiet = 1; return 0;
    case 'f': a->force = 1; return 0;
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

static int parse_args(int argc, char **argv, ExportArgs *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"set", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 's'}, {"provisioner", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'}, {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        int r = parse_opt(c, a);
        if (r != 0)
            return r;
    }
    if (cli_scenario_arg("export", argc, argv, &a->scenario) != 0)
        return -1;
    return 0;
}

int cli_export_build(ScnScenario *s, SimMem *m, KxProvisioner p, CliExport *x, SimErr *err)
{
    ScnWorldOptions wo = {.seed = 42, .mem = m};   /* the objects only: nothing runs */
    memset(x, 0, sizeof *x);
    int rc = scn_world_open(&x->w, s, &wo);
    if (rc == SIM_OK) {
        SchedCaConfig ca;
        scn_autoscaler_config(s, &ca);
        char date[11], not_exported[512];
        scn_not_exported(s, not_exported, sizeof not_exported);
        KxExportOptions o = {.scenario = scn_name(s), .provisioner = p, .ca = &ca, .gates = scn_feature_gates(s),
                             .start_clock = scn_start_clock(s), .duration = scn_duration(s),
                             .sample_every = scn_sample_every(s), .timezone = scn_timezone(s),
                             .date = scn_date(s, date) ? date : NULL, .not_exported = not_exported};
        rc = kx_export(scn_world_engine(x->w), scn_world_controllers(x->w), &o, &x->files);
        if (rc != SIM_OK)
            sim_err_set(err, rc, "%s", sim_errmsg(scn_world_engine(x->w)));
    } else {
        sim_err_set(err, rc, "%s", scn_world_errmsg(x->w));
    }
    return rc;
}

void cli_export_free(CliExport *x)
{
    kx_files_free(x->files);
    scn_world_close(x->w);
    memset(x, 0, sizeof *x);
}

/* Writes the files into a temporary folder renamed to dest; a signal
 * before the commit removes it and gives 128 + the signal. */
static int write_into(const KxFiles *f, const char *dest, int force)
{
    SimErr err = SIM_ERR_INIT;
    SimMem mem;
    sim_mem_init(&mem);
    SimOutdir o;
    CliSignals sigs;
    cli_signals_catch(&sigs);
    int rc = sim_outdir_begin(&o, &mem, dest, force);
    const char *why = sim_outdir_errmsg(&o);
    if (rc == SIM_OK && (rc = kx_files_write(f, o.tmp, &err)) != SIM_OK)
        why = sim_err_msg(&err);
    if (rc == SIM_OK && !cli_stopped())
        rc = sim_outdir_commit(&o);
    if (rc != 0 || o.tmp[0])
        sim_outdir_abort(&o);
    cli_signals_restore(&sigs);
    if (cli_stopped())
        return cli_stop_exit("export");
    if (rc != 0)
        fprintf(stderr, "kubesim export: %s\n", why);
    return rc == 0 ? CLI_OK : CLI_BAD_INPUT;
}

/* The gates the scenario turns on beyond upstream's defaults: each cluster
 * must run with them (the HPAs that need one say so in an annotation). */
static void print_gates(uint32_t gates)
{
    uint32_t extra = gates & ~wl_gates_default();
    for (int g = 0; g < WL_GATE_COUNT; g++)
        if (extra & WL_GATE_BIT(g))
            printf("each cluster needs the feature gate %s: --feature-gates=%s=true on kube-apiserver and "
                   "kube-controller-manager\n", wl_gate_name((WlGate)g), wl_gate_name((WlGate)g));
}

/* Each warning on stderr (also in its region's README.md), even with --quiet. */
static void print_warnings(const char *w)
{
    for (const char *p = w; *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(stderr, "kubesim export: warning: %.*s\n", (int)n - 2, p + 2);   /* the list item's "- " */
        p += n + (p[n] == '\n');
    }
}

int cmd_export(int argc, char **argv)
{
    ExportArgs a = {.seed = 42};
    int pr = parse_args(argc, argv, &a);
    if (pr != 0)
        return pr > 0 ? CLI_OK : CLI_BAD_INPUT;
    SimMem mem;
    sim_mem_init(&mem);
    ScnOptions so = {.path = a.scenario, .sets = a.sets, .nsets = a.nsets, .seed = a.seed};
    char dest[4096];
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&mem, &so, &err);
    if (s == NULL) {
        fprintf(stderr, "kubesim export: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    CliExport x;
    int rc = cli_export_build(s, &mem, a.provisioner, &x, &err) == SIM_OK ? CLI_OK : CLI_BAD_INPUT;
    if (rc != CLI_OK)
        fprintf(stderr, "kubesim export: %s\n", sim_err_msg(&err));
    if (a.out)
        snprintf(dest, sizeof dest, "%s", a.out);
    else if (rc == CLI_OK && cli_default_out("export", "manifests/", scn_name(s), "", dest, sizeof dest) != 0)
        rc = CLI_BAD_INPUT;
    if (rc == CLI_OK)
        rc = write_into(x.files, dest, a.force);
    if (rc == CLI_OK && !a.quiet)
        printf("%zu objects in %zu files: %s/REGION/ (kubectl apply -k %s/REGION)\n", kx_files_objects(x.files),
               kx_files_count(x.files), dest, dest);
    if (rc == CLI_OK && !a.quiet)
        print_gates(scn_feature_gates(s));
    if (rc == CLI_OK)
        print_warnings(kx_files_warnings(x.files));
    cli_export_free(&x);
    scn_free(s);
    return rc;
}
