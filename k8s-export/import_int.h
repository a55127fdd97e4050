/*
 * import_int.h: what the files of `kubesim import` (import*.c) share, and no
 * other module includes. The YAML documents are read by the kube reader
 * (kube/yaml.c) into trees of KubeYNode that live in one arena; objects the
 * kube reader knows go through it (kx_read: the tree made JSON, so a field
 * means what it means to `explain`); the kinds
 * are then written as Lua declarations into one growing text (import_lua.c),
 * in the order the scenario language needs (a thing is declared before what
 * refers to it).
 *
 * Invariant: the first failure sticks on the YAML reader (KxImp.y:
 * kube_yaml_rc, kube_yaml_errmsg), the import's own checks included; every
 * writer returns at once once it is set, so the callers need no checks.
 */
#ifndef KUBESIM_KX_IMPORT_INT_H
#define KUBESIM_KX_IMPORT_INT_H

#include <stdint.h>

#include "k8s-export/kx.h"
#include "kube/kube.h"
#include "sim/arena.h"

/* One document of one file, in reading order. */
typedef struct KxDoc {
    const char *file, *region;
    const char *kind, *name, *ns;   /* ns: NULL when the manifest gives none */
    KubeYNode *root;
    int done;                       /* written (or merged into another object) */
    const char *owner;              /* "KIND/NAME" of its controller (ownerReferences): not imported */
    struct KxDoc *next;
    /* Services only: the first Service of this name (in reading order) and
     * the next one, so a flow finds every region's Service in linear time. */
    struct KxDoc *same_first, *same_next;
} KxDoc;

typedef struct KxImp {
    SimMem *m;
    const KxImportOptions *o;       /* may be NULL */
    KubeYaml *y;                    /* the reader: the trees' lines, and the first failure */
    const KxImportFile *reading;    /* the file being read */
    const KxDoc *cur;               /* the document being written (kx_next sets it) */
    KxImportOrigin *origins;        /* one per finished line of out, when asked for */
    size_t norigins, caporigins;
    SimArena a;
    char *out;                      /* the scenario's text */
    size_t len, cap;
    KxDoc *docs, *last;
    const KubeYNode *run;           /* the first kustomization's root: an export's run settings */
    const char *regions[64];        /* in order of first appearance */
    size_t nregions;
    const char *region;             /* the region being written */
    size_t nskipped;                /* objects the header lists as not simulated */
    size_t skip_from, skip_to;      /* where out holds that list */
    char **seen;                    /* kx_seen's keys (arena strings): a hash set, open addressing */
    size_t nseen, capseen;          /* capseen: 0 or a power of two */
} KxImp;

/* Has (kind, a, b) been declared already? 0 the first time (and remembers
 * it), 1 after: declarations several objects imply (a site, a latency, a
 * queue, a placeholder class) are written once. On out of memory, fails the
 * import and answers 1. */
int kx_seen(KxImp *c, const char *kind, const char *a, const char *b);
/* Has (kind, a, b) been seen, without remembering it? */
int kx_has(KxImp *c, const char *kind, const char *a, const char *b);

/* A name validate checks as a DNS-1123 label (a queue, a site, a Service
 * a Deployment serves); 1 if it is one, else fails at `at` naming what. */
int kx_check_label(KxImp *c, const KubeYNode *at, const char *what, const char *name);

/* import_lua.c: the scenario text */
void kx_out(KxImp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kx_out_str(KxImp *c, const char *s);             /* a Lua string literal */
void kx_out_key(KxImp *c, const char *k);             /* `k = ` or `["k"] = ` */
/* A number as written (decimal, no hex, nan or inf); anything else fails
 * naming the field: input text never reaches the script unquoted. */
void kx_out_number(KxImp *c, const KubeYNode *n);
/* A duration ("90s"), or a time of day or duration (a Job's start), checked
 * with the options' checkers and written as a string. */
void kx_out_duration(KxImp *c, const KubeYNode *n);
void kx_out_when(KxImp *c, const KubeYNode *n);
/* An int-or-percent's percent ("25%"), checked and written as a string. */
void kx_out_pct(KxImp *c, const KubeYNode *n);
/* Text for a Lua comment: control characters (a newline would end the
 * comment) become '?'. */
void kx_out_comment(KxImp *c, const char *s);
/* A quantity checked with sim_quantity_parse (milli for CPU) and written as a
 * string; a bad one fails naming the field. */
void kx_out_quantity(KxImp *c, const KubeYNode *n, int milli);
int64_t kx_quantity(KxImp *c, const KubeYNode *n, int milli);
/* Numbers as people write them: a double in the shortest text that reads
 * back as it (0.8); CPU as whole cores (2) or millicores ("500m"); memory
 * with the largest binary suffix that is exact ("10Gi", "512Mi"), else
 * bytes. */
void kx_out_double(KxImp *c, double v);
void kx_out_cpu(KxImp *c, int64_t milli);
void kx_out_mem(KxImp *c, int64_t bytes);
/* An integer field; a bad one fails naming the field. */
int64_t kx_int(KxImp *c, const KubeYNode *n, int64_t lo, int64_t hi);
void kx_out_string_map(KxImp *c, const KubeYNode *map);  /* { k = "v", ... } */

/* import_pod.c: a pod template read by the kube reader (kube_pod_template
 * and kube_pod_eviction through kx_read, so a pod field means what it means
 * to `explain`) into p: 1 when read; 0 when tmpl is NULL (p zeroed) or the
 * read failed (on the handle). */
int kx_pod_read(KxImp *c, const KubeYNode *tmpl, KubePod *p);
/* The template's fields of a workload declaration, written from kx_pod_read. */
void kx_out_pod(KxImp *c, const KubeYNode *tmpl);

/* import_kinds.c / import_apps.c / import_nodes.c: one function per kind;
 * each writes every document of its kind in c->region. */
void kx_imp_namespaces(KxImp *c);
void kx_imp_priorityclasses(KxImp *c);
void kx_imp_quotas(KxImp *c);
void kx_imp_limitranges(KxImp *c);
void kx_imp_pdbs(KxImp *c);
void kx_imp_deployments(KxImp *c);
void kx_imp_statefulsets(KxImp *c);
void kx_imp_daemonsets(KxImp *c);
void kx_imp_jobs(KxImp *c);
void kx_imp_cronjobs(KxImp *c);
void kx_imp_traffic(KxImp *c);
void kx_imp_hpas(KxImp *c);          /* and then the ScaledObjects */
/* import_keda.c: KEDA ScaledObjects, each read as the HPA KEDA creates from it. */
void kx_imp_scaledobjects(KxImp *c);
/* import_hpa.c: the declaration of HPA name from the spec h of document d
 * (an HPA, or a ScaledObject read as one); a comment when its target is not
 * among the manifests. */
void kx_hpa_decl(KxImp *c, const KxDoc *d, const char *name, const KubeHpa *h);
void kx_imp_nodegroups(KxImp *c);
/* import_nodes.c: a node group's `, price = ...`: the --prices row of its
 * instance type, else given (the manifest's own, a number; may be NULL),
 * else "unknown". Returns 1 when it wrote "unknown" (the caller ends the
 * declaration's line with kx_out_price_note). */
int kx_out_price(KxImp *c, const char *instance_type, const KubeYNode *given);
void kx_out_price_note(KxImp *c, const char *instance_type);
void kx_imp_autoscaler(KxImp *c);
/* import_cluster.c: the Nodes of c->region (a cluster dump) as its region
 * line and node groups; 0 (nothing written) when it has no Node. */
int kx_imp_nodes(KxImp *c);
/* Region `from` (files given no region) renamed to the one region its
 * Nodes name in topology.kubernetes.io/region, if they name exactly one
 * and no other region has that name. Before anything is written. */
void kx_imp_node_region(KxImp *c, const char *from);

/* The kind given to a values file of the cluster-autoscaler Helm chart (a
 * document without apiVersion and kind, holding autoDiscovery or extraArgs:
 * what `kubesim export` writes beside the manifests). */
#define KX_HELM_VALUES "cluster-autoscaler chart values"

/* The documents of kind in c->region, in reading order (NULL after the last). */
KxDoc *kx_next(KxImp *c, KxDoc *d, const char *kind);
/* metadata.annotations[key] of a manifest or template; NULL when absent (or not a string: failed). */
const char *kx_annotation(KxImp *c, const KubeYNode *meta_owner, const char *key);
const KubeYNode *kx_annotation_node(KxImp *c, const KubeYNode *meta_owner, const char *key);
/* The namespace a document's object lives in ("default" when it names none). */
const char *kx_doc_ns(const KxDoc *d);
/* Reads the tree at base (a document's root, path "", or a field of it,
 * path its kube_y_path) with a kube reader: fn(reader, json, path, out) on
 * base made JSON (kube_y_json), so import understands a field as explain
 * does. 1 when it read; else 0 with the reader's failure at the manifest's
 * line (or out of memory) on the handle. What fn allocates lives in c->a. */
typedef void (*KxReadFn)(KubeReader *r, const cJSON *j, const char *path, void *out);
int kx_read(KxImp *c, const KubeYNode *base, const char *base_path, KxReadFn fn, void *out);
/* Declaration head: `KIND { name = "N", namespace = "NS", region = "R"`. */
void kx_out_head(KxImp *c, const char *decl, const KxDoc *d, int namespaced);

#endif
