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

typedef struct KxExportOptions {
    const char *scenario;               /* the scenario's name, for labels */
    KxProvisioner provisioner;
    const struct SchedCaConfig *ca;     /* the autoscaler's flags; NULL: upstream's defaults */
    uint32_t gates;                     /* the feature gates the cluster runs with (workloads/gates.h WlGates):
                                           an HPA with minReplicas 0 needs HPAScaleToZero */
    /* The run's settings, recorded as annotations on each region's
     * kustomization.yaml so that `kubesim import DIR` needs no flags to
     * reproduce the scenario. duration 0: none recorded. */
    SimTime start_clock, duration, sample_every;
    const char *timezone, *date;        /* NULL: unset (UTC, the default date) */
    const char *not_exported;           /* what manifests cannot hold ("2 faults"), or NULL */
} KxExportOptions;

/* The files of an export: paths "REGION/FILE" in a fixed order, each
 * region's kustomization.yaml last among its YAML files and its README.md
 * (how to start what the scenario starts later) after it, when it has one. */
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
/* What a cluster applying the files would do otherwise than the
 * simulation (a Job whose finished pods fill a count/pods quota), one line
 * per warning ("- REGION: ..."), also in that region's README.md; "" when
 * none. Owned by f. */
const char *kx_files_warnings(const KxFiles *f);
/* Objects (YAML documents) in the files, kustomizations excepted. */
size_t kx_files_objects(const KxFiles *f);

/* ---- manifests as a scenario (import*.c) -------------------------------- */

/* One YAML file to import: its name (for messages), its text and the region
 * its objects go to: an object's kubesim.io/region label (an export's)
 * names its region instead unless region_fixed (--region was given).
 * Borrowed. */
typedef struct KxImportFile {
    const char *path;
    const char *text;
    size_t len;
    const char *region;
    int region_fixed;
} KxImportFile;

/* Where a line of the written scenario came from: the document whose
 * declaration it is (its file and first line). */
typedef struct KxImportOrigin {
    const char *file;       /* a KxImportFile's path (borrowed), or NULL: no document */
    int line;
} KxImportOrigin;

typedef struct KxImportOptions {
    const char *name;       /* the scenario's name (scenario { name }); NULL: "imported" */
    /* scenario.start ("HH:MM") and scenario.duration, or NULL: the ones an
     * export recorded on its kustomization.yaml (kubesim.io/start,
     * kubesim.io/duration), else the scenario language's defaults. */
    const char *start;
    const char *duration;
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
