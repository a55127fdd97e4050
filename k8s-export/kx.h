/*
 * kx.h: Kubernetes manifest checks, export and import (prefix kx_): the
 * built-in checks that a scenario's names are valid Kubernetes object names,
 * so everything kubesim simulates can be exported as-is, and the objects that
 * run a sweep on a real cluster (`kubesim export-sweep`), and a built
 * scenario as manifests, one folder per region (`kubesim export`), and the
 * reverse: manifests read into a Lua scenario (`kubesim import`, import*.c).
 * YAML is written with kx_yaml.h and read with libyaml's parser.
 */
#ifndef KUBESIM_KX_H
#define KUBESIM_KX_H

#include <stddef.h>
#include <stdint.h>

#include "k8s-export/kx_yaml.h"
#include "sim/model.h"

typedef enum KxNameRule {
    KX_DNS1123_LABEL = 0,      /* namespaces, services: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63 */
    KX_DNS1123_SUBDOMAIN,      /* most objects: labels joined by '.', <= 253 */
    KX_LABEL_VALUE             /* label values: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63, or empty */
} KxNameRule;

/* Returns 1 if name satisfies the rule; else 0 with the reason, in
 * Kubernetes' own words, in why (static text). */
int kx_name_valid(const char *name, KxNameRule rule, const char **why);
/* s made a label value (KX_LABEL_VALUE) in buf (n bytes, 64 is enough):
 * other characters become '-', the ends are trimmed to alphanumerics, at
 * most 63 kept; empty when s has no alphanumeric. */
void kx_label_value(const char *s, char *buf, size_t n);

/* A sweep to run as Kubernetes Jobs. Strings are borrowed. */
typedef struct KxSweepJob {
    const char *name;           /* base of the objects' names (a DNS-1123 label of at most 54) */
    const char *ns;             /* namespace */
    const char *image;          /* holds kubesim on PATH and /bin/sh */
    const char *scenario;       /* the scenario's name (made a label value) */
    const char *script;         /* the scenario's text: the shards run it from a ConfigMap */
    const char *const *varies;  /* "NAME=V1,V2,..." as kubesim sweep takes them */
    size_t nvaries;
    const char *const *sets;    /* "NAME=VALUE" */
    size_t nsets;
    uint64_t seed;
    size_t seeds;               /* runs per configuration (0 or 1: one, no --seeds) */
    const char *pass_rate;      /* --pass-rate as given, or NULL */
    const char *objective;      /* --objective KIND:NAME, or NULL */
    size_t shards, parallelism;
    const char *cpu, *memory;   /* each pod's requests and limits (quantities) */
    const char *storage;        /* the results volume's size */
    const char *storage_class;  /* or NULL: the cluster's default */
} KxSweepJob;

/* Appends the sweep's documents to y: a ConfigMap NAME-scenario, a
 * PersistentVolumeClaim NAME-results, the Indexed Job NAME (completion index
 * I runs shard I/N into /results/shards/I) and the Job NAME-merge (waits for
 * every shard, merges into /results/merged). SIM_EINVAL if a name would not
 * be a valid Kubernetes name. */
int kx_sweep_job(const KxSweepJob *j, KxYaml *y);

/* ---- a scenario as manifests (export*.c) ------------------------------- */
struct SchedCaConfig;
struct WlControllers;

typedef enum KxProvisioner {
    KX_PROV_CLUSTER_AUTOSCALER = 0,   /* node groups as an eksctl ClusterConfig and the autoscaler's Helm values */
    KX_PROV_KARPENTER                 /* node groups as Karpenter v1 NodePools */
} KxProvisioner;

/* What serves the External metrics of the HPAs (the simulation's per-queue
 * series) on the real cluster. */
typedef enum KxMetricsAdapter {
    KX_ADAPTER_PROMETHEUS = 0,   /* HPAs as they are, and prometheus-adapter-values.yaml with the
                                    chart's rules.external that serve their metrics */
    KX_ADAPTER_KEDA              /* an HPA with an External metric becomes a KEDA ScaledObject
                                    (scaledobjects.yaml); KEDA creates the HPA and serves the metric */
} KxMetricsAdapter;
/* Alert rules from a scenario (alerts.c); NULL in KxExportOptions: none. */
typedef struct KxAlerts KxAlerts;

typedef struct KxExportOptions {
    const char *scenario;               /* the scenario's name, for labels */
    KxProvisioner provisioner;
    KxMetricsAdapter adapter;
    const struct SchedCaConfig *ca;     /* the autoscaler's flags; NULL: upstream's defaults */
    uint32_t gates;                     /* the feature gates the cluster runs with (workloads/gates.h WlGates):
                                           an HPA with minReplicas 0 needs HPAScaleToZero */
    const KxAlerts *alerts;             /* or NULL: with it, REGION/prometheusrules.yaml (a PrometheusRule) */
    /* Cluster-wide set-up, off by default so that applying an export changes
     * nothing it does not own (issue 15): */
    int namespaces;                     /* a Namespace for every namespace the scenario declares, not only
                                           those it sets up (a quota or LimitRange in that region) */
    const char *pod_security;           /* "privileged", "baseline" or "restricted": the Pod Security
                                           enforce label on each Namespace written; NULL: no label */
    int global_default_priority;        /* write the globalDefault PriorityClass as such; else it is written
                                           globalDefault: false and the pods that would get it name it */
} KxExportOptions;

/* 1 if level is a Pod Security Standard level (privileged, baseline,
 * restricted). */
int kx_pod_security_level(const char *level);

/* The files of an export: paths "REGION/FILE.yaml" in a fixed order, each
 * region's kustomization.yaml last among its files. */
typedef struct KxFiles KxFiles;

/* Writes the objects of a built (not yet run) engine e and its controllers
 * wl as manifests. SIM_OK with the files in *out (the caller frees them with
 * kx_files_free), SIM_ENOMEM, or SIM_EINVAL (message on e) for something
 * Kubernetes cannot hold. Same engine, same bytes. */
int kx_export(SimEngine *e, struct WlControllers *wl, const KxExportOptions *o, KxFiles **out);
size_t kx_files_count(const KxFiles *f);
/* File i: its path and text (owned by f). */
void kx_files_get(const KxFiles *f, size_t i, const char **path, const char **text, size_t *len);
/* Writes every file under dir (creating the region folders). SIM_OK, or
 * SIM_EIO with the message, naming the file, in err. */
int kx_files_write(const KxFiles *f, const char *dir, SimErr *err);
void kx_files_free(KxFiles *f);
/* Objects (YAML documents) in the files, kustomizations and the files
 * that are not Kubernetes objects (eksctl's, Helm's) excepted. */
size_t kx_files_objects(const KxFiles *f);
/* The cluster-scoped objects the files hold, "KIND/NAME" each once in order
 * of first appearance (a PriorityClass of every region once): what applying
 * the export changes outside its namespaces. String i is owned by f. */
size_t kx_files_cluster_count(const KxFiles *f);
const char *kx_files_cluster(const KxFiles *f, size_t i);
/* The files that are not applied with kubectl (not in a kustomization):
 * 1 if file i is one (an eksctl ClusterConfig, a Helm chart's values). */
int kx_files_tooling(const KxFiles *f, size_t i);

/* ---- alert rules (alerts.c, alerts_test.c) ------------------------------ */
#define KX_ALERT_SLO_FOR (3 * 60 * SIM_NS_PER_S)        /* latency over target this long */
#define KX_ALERT_PENDING_FOR (10 * 60 * SIM_NS_PER_S)   /* pods pending this long */
#define KX_ALERT_QUOTA_FOR (5 * 60 * SIM_NS_PER_S)      /* a quota over the ratio this long */
#define KX_ALERT_QUOTA_RATIO 0.9                        /* used / hard */

typedef struct KxAlertOptions {
    const char *scenario;           /* the scenario's name, for group names */
    SimTime slo_for, pending_for, quota_for;
    double quota_ratio;
} KxAlertOptions;

/* The defaults above (scenario NULL). */
void kx_alert_defaults(KxAlertOptions *o);

/* The rules of a built engine e and its controllers wl, in region order: per
 * region, KubesimSLOLatencyOverTarget for each served service's latency
 * target (at a sampled percentile: p50, p90, p95, p99), KubesimPodsPending,
 * and KubesimQuotaNearLimit per declared ResourceQuota. SIM_OK with *out
 * (free with kx_alerts_free), or SIM_ENOMEM. */
int kx_alerts(SimEngine *e, struct WlControllers *wl, const KxAlertOptions *o, KxAlerts **out);
void kx_alerts_free(KxAlerts *a);
size_t kx_alerts_count(const KxAlerts *a);
/* SLO targets that got no rule: their percentile is not sampled as a series. */
size_t kx_alerts_skipped(const KxAlerts *a);
/* The plain rules file (groups: one per region, for Prometheus' rule_files)
 * as one document into y. */
int kx_alerts_rules_file(const KxAlerts *a, KxYaml *y);
/* "groups" and the group of region (or of every region when region < 0) as
 * the next key and value of the open map in y. */
void kx_alerts_groups(const KxAlerts *a, KxYaml *y, int64_t region);

/* A run to test the rules against (borrowed). */
typedef struct KxAlertTestInput {
    const char *openmetrics;        /* the run's OpenMetrics text (kubesim run --openmetrics) */
    size_t len;
    int64_t base_unix;              /* the Unix time of simulated time 0 */
    SimTime interval;               /* the metrics sampling period: the grid of the input series */
    const char *rules_path;         /* rule_files' entry (relative to the test file's folder) */
} KxAlertTestInput;

typedef struct KxAlertTestResult {
    size_t series;                  /* input series written */
    size_t alerts;                  /* alerts that could fire (a rule and a series) */
    size_t firings;                 /* times one of them starts firing */
} KxAlertTestResult;

/* Writes into y a `promtool test rules` file for the rules a against a run:
 * input_series are the run's series the rules read, on the sampling grid
 * from time 0 (simulated time 0), in promtool's values notation; each alert
 * name gets an alert_rule_test at the step before and at the step of every
 * change of what fires (its first 64), with the alerts that fire then
 * computed with Prometheus' semantics (evaluation every interval, `for`),
 * or one at the last step with none when none ever fires. SIM_OK,
 * SIM_EINVAL (interval not whole milliseconds) or SIM_ENOMEM, message in err. */
int kx_alerts_test(const KxAlerts *a, const KxAlertTestInput *in, KxYaml *y, KxAlertTestResult *res,
                   SimErr *err);

/* ---- manifests as a scenario (import*.c) -------------------------------- */

/* One YAML file to import: its name (for messages), its text and the region
 * its objects go to. Borrowed. */
typedef struct KxImportFile {
    const char *path;
    const char *text;
    size_t len;
    const char *region;
} KxImportFile;

/* Where a line of the written scenario came from: the document whose
 * declaration it is (its file and first line). */
typedef struct KxImportOrigin {
    const char *file;       /* a KxImportFile's path (borrowed), or NULL: no document */
    int line;
} KxImportOrigin;

/* Prices by instance type (`kubesim import --prices FILE`, prices.c). */
typedef struct KxPrice {
    char *instance_type;
    double per_hour;        /* USD per node-hour */
} KxPrice;
typedef struct KxPrices {
    KxPrice *v;
    size_t n, cap;
} KxPrices;
/* Reads a CSV `instance_type,price_per_hour` (header line optional, blank
 * lines and # comments skipped) of len bytes into *out (free with
 * kx_prices_free). SIM_OK; SIM_EINVAL with "PATH:LINE: why" in err for a bad
 * line (not two fields, an empty type, a price that is not a number in
 * [0, 1e6], a type priced twice); SIM_ENOMEM. */
int kx_prices_parse(SimMem *m, const char *path, const char *text, size_t len, KxPrices *out, SimErr *err);
/* The price of instance_type, or NULL (t may be NULL). */
const KxPrice *kx_prices_find(const KxPrices *t, const char *instance_type);
void kx_prices_free(SimMem *m, KxPrices *t);

typedef struct KxImportOptions {
    const char *name;       /* the scenario's name (scenario { name }); NULL: "imported" */
    const char *start;      /* scenario.start ("HH:MM") or NULL */
    const char *duration;   /* scenario.duration or NULL */
    /* The scenario language's formats, checked by its own parsers (the
     * scenarios module, which k8s-export does not link): 1 if s reads as a
     * duration ("90s", "1h30m") or a time of day ("07:00"). NULL: unchecked. */
    int (*is_duration)(const char *s);
    int (*is_clock)(const char *s);
    /* When not NULL, on success *origins gets one entry per line of the text
     * (line n at [n - 1]; allocated from m: free with sim_mem_free(m,
     * *origins, *norigins * sizeof **origins)), so a check the scenario
     * fails later can be reported at the manifest it came from. */
    KxImportOrigin **origins;
    size_t *norigins;
    /* When not NULL, called once on success when objects of the input are
     * not simulated: n of them, and the header's lines that list them
     * (text, len bytes, each line "-- not simulated...: Kind/name, ..."). */
    void (*skipped)(void *ctx, size_t n, const char *text, size_t len);
    void *skipped_ctx;
    /* The region of files given none (the --region default), or NULL: when
     * its Nodes all name one topology.kubernetes.io/region, it takes that name. */
    const char *unnamed_region;
    /* --prices: each imported node group of a listed instance type gets that
     * price (over the manifest's own); a group with neither is written with
     * price = "unknown" (its cost is reported as unknown, never as $0).
     * NULL: no table. */
    const KxPrices *prices;
} KxImportOptions;

/* Reads the files' documents and writes a Lua scenario declaring what they
 * hold. SIM_OK with the text in *text (NUL-terminated, *len bytes, allocated
 * from m: free with sim_mem_free(m, *text, *len + 1)); SIM_EINVAL with
 * "FILE:LINE: FIELD: why" in err for input kubesim cannot take (malformed
 * YAML, a removed API version, a bad quantity); SIM_ENOMEM. Same input, same
 * bytes. */
int kx_import(SimMem *m, const KxImportFile *files, size_t nfiles, const KxImportOptions *o, char **text,
              size_t *len, SimErr *err);

#endif
