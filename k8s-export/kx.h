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
    KX_PROV_CLUSTER_AUTOSCALER = 0,   /* node groups as cluster-autoscaler settings (a ConfigMap) */
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

typedef struct KxExportOptions {
    const char *scenario;               /* the scenario's name, for labels */
    KxProvisioner provisioner;
    KxMetricsAdapter adapter;
    const struct SchedCaConfig *ca;     /* the autoscaler's flags; NULL: upstream's defaults */
    uint32_t gates;                     /* the feature gates the cluster runs with (workloads/gates.h WlGates):
                                           an HPA with minReplicas 0 needs HPAScaleToZero */
} KxExportOptions;

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
/* Objects (YAML documents) in the files, kustomizations excepted. */
size_t kx_files_objects(const KxFiles *f);

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
