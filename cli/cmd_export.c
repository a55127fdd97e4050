/*
 * cmd_export.c: `kubesim export [SCENARIO] [--set K=V]... [--out DIR]
 * [--provisioner cluster-autoscaler|karpenter] [--namespaces] [--pod-security
 * LEVEL] [--global-default-priority]
 * [--metrics-adapter prometheus-adapter|keda] ...`: loads and builds the
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
    int quiet, force, alerts;
    KxExportOptions flags;      /* what the flags set: provisioner, namespaces, pod_security, ... */
} ExportArgs;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kubesim export [SCENARIO.lua] [--set NAME=VALUE]... [--out DIR]\n"
            "                      [--provisioner cluster-autoscaler|karpenter] [--namespaces]\n"
            "                      [--pod-security LEVEL] [--global-default-priority] [--alerts]\n"
            "                      [--metrics-adapter prometheus-adapter|keda]\n"
            "                      [--seed N] [--force] [--quiet]\n\n"
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
            "                     node groups for the cluster autoscaler (default): an eksctl\n"
            "                     ClusterConfig (REGION/eksctl-cluster.yaml: managed node groups with\n"
            "                     the autoscaler's discovery tags) and values for its Helm chart\n"
            "                     (REGION/cluster-autoscaler-values.yaml: every flag), neither in the\n"
            "                     kustomization; or Karpenter v1 NodePools (nodepools.yaml)\n"
            "  --metrics-adapter prometheus-adapter|keda\n"
            "                     what serves the HPAs' External metrics (the queues' series):\n"
            "                     prometheus-adapter (default) writes the HPAs and, per region,\n"
            "                     prometheus-adapter-values.yaml (Helm values with the rules that\n"
            "                     serve them); keda writes each HPA with an External metric as a\n"
            "                     KEDA ScaledObject (scaledobjects.yaml) instead\n"
            "  --alerts           also alert rules from the scenario's SLOs, regions and quotas: a\n"
            "                     PrometheusRule (monitoring.coreos.com/v1; needs the Prometheus\n"
            "                     Operator's CRD) in DIR/REGION/prometheusrules.yaml, listed in the\n"
            "                     kustomization, and every region's rules in DIR/alerts.rules.yaml\n"
            "                     for Prometheus' rule_files\n"
            "  --namespaces       a Namespace for every namespace the scenario declares (default: only\n"
            "                     those it sets up with a quota or LimitRange; the others must exist)\n"
            "  --pod-security LEVEL\n"
            "                     label the Namespaces written pod-security.kubernetes.io/enforce: LEVEL\n"
            "                     (privileged, baseline or restricted; default: no label)\n"
            "  --global-default-priority\n"
            "                     write the scenario's globalDefault PriorityClass with globalDefault: true\n"
            "                     (default: false, and the pods that would get it name it)\n"
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
        a->flags.provisioner = strcmp(optarg, "karpenter") == 0 ? KX_PROV_KARPENTER : KX_PROV_CLUSTER_AUTOSCALER;
        return 0;
    case 'n': a->flags.namespaces = 1; return 0;
    case 'g': a->flags.global_default_priority = 1; return 0;
    case 'P':
        if (!kx_pod_security_level(optarg)) {
            fprintf(stderr, "kubesim export: --pod-security takes privileged, baseline or restricted, not '%s'\n",
                    optarg);
            return -1;
        }
        a->flags.pod_security = optarg;
        return 0;
    case 'm':
        if (strcmp(optarg, "prometheus-adapter") != 0 && strcmp(optarg, "keda") != 0) {
            fprintf(stderr, "kubesim export: --metrics-adapter takes prometheus-adapter or keda, not '%s'\n", optarg);
            return -1;
        }
        a->flags.adapter = strcmp(optarg, "keda") == 0 ? KX_ADAPTER_KEDA : KX_ADAPTER_PROMETHEUS;
        return 0;
    case 'q': a->quiet = 1; return 0;
    case 'f': a->force = 1; return 0;
    case 'a': a->alerts = 1; return 0;
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

static int parse_args(int argc, char **argv, ExportArgs *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"set", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 's'}, {"provisioner", required_argument, NULL, 'p'},
        {"namespaces", no_argument, NULL, 'n'}, {"pod-security", required_argument, NULL, 'P'},
        {"global-default-priority", no_argument, NULL, 'g'}, {"metrics-adapter", required_argument, NULL, 'm'},
        {"quiet", no_argument, NULL, 'q'}, {"force", no_argument, NULL, 'f'},
        {"alerts", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
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

static int build_alerts(ScnScenario *s, CliExport *x)
{
    KxAlertOptions ao;
    kx_alert_defaults(&ao);
    ao.scenario = scn_name(s);
    return kx_alerts(scn_world_engine(x->w), scn_world_controllers(x->w), &ao, &x->alerts);
}

int cli_export_build(ScnScenario *s, SimMem *m, const KxExportOptions *flags, int alerts, CliExport *x,
                     SimErr *err)
{
    ScnWorldOptions wo = {.seed = 42, .mem = m};   /* the objects only: nothing runs */
    memset(x, 0, sizeof *x);
    int rc = scn_world_open(&x->w, s, &wo);
    if (rc == SIM_OK) {
        SchedCaConfig ca;
        scn_autoscaler_config(s, &ca);
        rc = alerts ? build_alerts(s, x) : SIM_OK;
        char date[11], not_exported[512];
        scn_not_exported(s, not_exported, sizeof not_exported);
        KxExportOptions o = *flags;
        o.scenario = scn_name(s);
        o.ca = &ca;
        o.gates = scn_feature_gates(s);
        o.alerts = x->alerts;
        o.start_clock = scn_start_clock(s);
        o.duration = scn_duration(s);
        o.sample_every = scn_sample_every(s);
        o.timezone = scn_timezone(s);
        o.date = scn_date(s, date) ? date : NULL;
        o.not_exported = not_exported;
        if (rc == SIM_OK)
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
    kx_alerts_free(x->alerts);
    scn_world_close(x->w);
    memset(x, 0, sizeof *x);
}

/* The plain rules file DIR/alerts.rules.yaml (path as dir + name). */
static int write_rules(const KxAlerts *a, SimMem *m, const char *dir, SimErr *err)
{
    char path[4200];
    const char *text;
    size_t len;
    KxYaml *y = kx_yaml_new(m);
    if (y == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/" CLI_ALERTS_RULES, dir);
    int rc = kx_alerts_rules_file(a, y) == SIM_OK ? kx_yaml_text(y, &text, &len) : SIM_ENOMEM;
    rc = rc == SIM_OK ? sim_write_file(path, text, len, err) : sim_err_set(err, rc, "%s: %s", path, kx_yaml_errmsg(y));
    kx_yaml_free(y);
    return rc;
}

/* Writes the files (and the rules file when a is not NULL) into a temporary
 * folder renamed to dest; a signal before the commit removes it and gives
 * 128 + the signal. */
static int write_into(const KxFiles *f, const KxAlerts *a, const char *dest, int force)
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
    if (rc == SIM_OK && a != NULL && (rc = write_rules(a, &mem, o.tmp, &err)) != SIM_OK)
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

/* The summary line, then what applying the export changes outside its
 * namespaces: every cluster-scoped object, so nothing cluster-wide is a
 * surprise. */
static void print_summary(const KxFiles *f, const char *dest)
{
    printf("%zu objects in %zu files: %s/REGION/ (kubectl apply -k %s/REGION); cluster-scoped:", kx_files_objects(f),
           kx_files_count(f), dest, dest);
    for (size_t i = 0; i < kx_files_cluster_count(f); i++)
        printf("%s %s", i ? "," : "", kx_files_cluster(f, i));
    printf("%s\n", kx_files_cluster_count(f) ? "" : " none");
    int tooling = 0;
    for (size_t i = 0; i < kx_files_count(f); i++) {
        const char *path, *text;
        size_t len;
        kx_files_get(f, i, &path, &text, &len);
        tooling |= kx_files_tooling(f, i) && strcmp(strchr(path, '/') + 1, "eksctl-cluster.yaml") == 0;
    }
    if (tooling)   /* not for kubectl: each with its own tool, first */
        printf("node groups: eksctl create cluster -f %s/REGION/eksctl-cluster.yaml, then helm install "
               "cluster-autoscaler autoscaler/cluster-autoscaler -n kube-system -f "
               "%s/REGION/cluster-autoscaler-values.yaml\n", dest, dest);
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

static void print_alerts(const KxAlerts *al, const char *dest)
{
    printf("%zu alert rules: %s/" CLI_ALERTS_RULES " (promtool check rules) and a PrometheusRule in "
           "%s/REGION/prometheusrules.yaml\n", kx_alerts_count(al), dest, dest);
    if (kx_alerts_skipped(al) > 0)
        printf("%zu SLO targets have no rule: only p50, p90, p95 and p99 latencies are series\n",
               kx_alerts_skipped(al));
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
    int rc = cli_export_build(s, &mem, &a.flags, a.alerts, &x, &err) == SIM_OK ? CLI_OK : CLI_BAD_INPUT;
    if (rc != CLI_OK)
        fprintf(stderr, "kubesim export: %s\n", sim_err_msg(&err));
    if (a.out)
        snprintf(dest, sizeof dest, "%s", a.out);
    else if (rc == CLI_OK && cli_default_out("export", "manifests/", scn_name(s), "", dest, sizeof dest) != 0)
        rc = CLI_BAD_INPUT;
    if (rc == CLI_OK)
        rc = write_into(x.files, x.alerts, dest, a.force);
    if (rc == CLI_OK && !a.quiet)
        print_summary(x.files, dest);
    if (rc == CLI_OK && !a.quiet)
        print_gates(scn_feature_gates(s));
    if (rc == CLI_OK && !a.quiet && x.alerts)
        print_alerts(x.alerts, dest);
    if (rc == CLI_OK)
        print_warnings(kx_files_warnings(x.files));
    cli_export_free(&x);
    scn_free(s);
    return rc;
}
