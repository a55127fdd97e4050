/*
 * import_int.h: what the files of `kubesim import` (import*.c) share, and no
 * other module includes. The YAML documents are read into a tree of KxNode
 * (import_yaml.c) that lives in one arena; the kinds are then written as Lua
 * declarations into one growing text (import_lua.c), in the order the
 * scenario language needs (a thing is declared before what refers to it).
 *
 * Invariant: the first failure sticks in KxImp.rc with its message; every
 * writer returns at once once rc is set, so the callers need no checks.
 */
#ifndef KUBESIM_KX_IMPORT_INT_H
#define KUBESIM_KX_IMPORT_INT_H

#include <stdint.h>

#include "k8s-export/kx.h"
#include "sim/arena.h"

/* KX_N_NULL: a null item of a list (a null map value or document is left out). */
typedef enum KxNodeType { KX_N_SCALAR = 0, KX_N_MAP, KX_N_SEQ, KX_N_NULL } KxNodeType;

/* Maps and lists open at once, at most: deeper input is refused. The
 * deepest real manifests (CRDs' OpenAPI schemas) nest well under this. */
#define KX_MAX_DEPTH 256
/* YAML values (scalars, maps, lists) in all the input, at most: about
 * 200 MB of trees. 2 MB of ordinary manifests hold about 100,000; a list
 * `[1,1,1,...]` holds one per two bytes, so the byte caps alone allow more. */
#define KX_MAX_NODES 2000000

/* A YAML node. A map's children carry their key; a sequence's do not. */
typedef struct KxNode {
    KxNodeType type;
    int plain;                      /* a scalar written without quotes (1 is a number, true a bool) */
    int line;                       /* 1-based, from libyaml's mark */
    const char *key;                /* in a map: the key; else NULL */
    const char *s;                  /* a scalar's text */
    struct KxNode *parent, *first, *last, *next;
    size_t n;                       /* children */
} KxNode;

/* One document of one file, in reading order. */
typedef struct KxDoc {
    const char *file, *region;
    const char *kind, *name, *ns;   /* ns: NULL when the manifest gives none */
    KxNode *root;
    int done;                       /* written (or merged into another object) */
    struct KxDoc *next;
    /* Services only: the first Service of this name (in reading order) and
     * the next one, so a flow finds every region's Service in linear time. */
    struct KxDoc *same_first, *same_next;
} KxDoc;

typedef struct KxImp {
    SimMem *m;
    const KxImportOptions *o;       /* may be NULL */
    size_t nodes;                   /* read so far, at most KX_MAX_NODES */
    const KxDoc *cur;               /* the document being written (kx_next sets it) */
    KxImportOrigin *origins;        /* one per finished line of out, when asked for */
    size_t norigins, caporigins;
    SimArena a;
    int rc;                         /* SIM_OK or the first failure */
    SimErr *err;
    char *out;                      /* the scenario's text */
    size_t len, cap;
    KxDoc *docs, *last;
    const char *regions[64];        /* in order of first appearance */
    size_t nregions;
    const char *region;             /* the region being written */
    char **seen;                    /* kx_seen's keys (arena strings): a hash set, open addressing */
    size_t nseen, capseen;          /* capseen: 0 or a power of two */
    /* A tree parsed from text inside a document (the node groups' list):
     * its messages name the file and the field that held the text. */
    const KxNode *sub_root;
    const char *sub_file;
    char sub_field[128];
} KxImp;

/* Has (kind, a, b) been declared already? 0 the first time (and remembers
 * it), 1 after: declarations several objects imply (a site, a latency, a
 * queue, a placeholder class) are written once. On out of memory, fails the
 * import and answers 1. */
int kx_seen(KxImp *c, const char *kind, const char *a, const char *b);
/* Has (kind, a, b) been seen, without remembering it? */
int kx_has(KxImp *c, const char *kind, const char *a, const char *b);

/* import.c: failures */
void kx_imp_fail(KxImp *c, const char *file, const KxNode *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void kx_imp_nomem(KxImp *c);
const char *kx_imp_file(const KxImp *c, const KxNode *n);   /* the file a node came from */

/* import_yaml.c: parses one file's documents onto c->docs. */
void kx_yaml_read(KxImp *c, const KxImportFile *f);
/* A tree of its own from the text of scalar `at` (the node groups' list);
 * its messages name at's file and field. NULL when the text holds nothing. */
KxNode *kx_yaml_parse_one(KxImp *c, const KxNode *at);

/* Lookups: the child of map n at a dotted path ("spec.template.spec"), or NULL. */
const KxNode *kx_get(const KxNode *n, const char *path);
const char *kx_get_str(const KxNode *n, const char *path);   /* a scalar's text or NULL */
/* The child of map n under exactly key: for keys with dots in them, such as
 * "nvidia.com/gpu", which kx_get would read as a path. */
const KxNode *kx_child(const KxNode *n, const char *key);
/* The field path of n inside its document, "spec.containers[0].image". */
void kx_node_path(const KxNode *n, char *buf, size_t len);

/* Lookups that check shapes: a field of the wrong type (a map where a
 * string belongs, a list where a map does, null) fails the import naming
 * the file, line and field, and answers NULL, as an absent field does.
 * kx_want checks n itself; the others each step of the dotted path. */
const KxNode *kx_want(KxImp *c, const KxNode *n, KxNodeType t);
const KxNode *kx_at(KxImp *c, const KxNode *n, const char *path);   /* any type at the end */
const KxNode *kx_map(KxImp *c, const KxNode *n, const char *path);
const KxNode *kx_seq(KxImp *c, const KxNode *n, const char *path);
const char *kx_str(KxImp *c, const KxNode *n, const char *path);
const KxNode *kx_map_child(KxImp *c, const KxNode *n, const char *key);   /* kx_child, checked map */
const char *kx_type_name(KxNodeType t);   /* "a string", "a map", "a list", "null" */

/* A name validate checks as a DNS-1123 label (a queue, a site, a Service
 * a Deployment serves); 1 if it is one, else fails at `at` naming what. */
int kx_check_label(KxImp *c, const KxNode *at, const char *what, const char *name);

/* import_lua.c: the scenario text */
void kx_out(KxImp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kx_out_str(KxImp *c, const char *s);             /* a Lua string literal */
void kx_out_key(KxImp *c, const char *k);             /* `k = ` or `["k"] = ` */
void kx_out_scalar(KxImp *c, const KxNode *n);        /* number, boolean or string as written */
/* A number as written (decimal, no hex, nan or inf); anything else fails
 * naming the field: input text never reaches the script unquoted. */
void kx_out_number(KxImp *c, const KxNode *n);
/* A duration ("90s"), or a time of day or duration (a Job's start), checked
 * with the options' checkers and written as a string. */
void kx_out_duration(KxImp *c, const KxNode *n);
void kx_out_when(KxImp *c, const KxNode *n);
/* An int-or-percent's percent ("25%"), checked and written as a string. */
void kx_out_pct(KxImp *c, const KxNode *n);
/* Text for a Lua comment: control characters (a newline would end the
 * comment) become '?'. */
void kx_out_comment(KxImp *c, const char *s);
/* A quantity checked with sim_quantity_parse (milli for CPU) and written as a
 * string; a bad one fails naming the field. */
void kx_out_quantity(KxImp *c, const KxNode *n, int milli);
int64_t kx_quantity(KxImp *c, const KxNode *n, int milli);
/* An integer field; a bad one fails naming the field. */
int64_t kx_int(KxImp *c, const KxNode *n, int64_t lo, int64_t hi);
void kx_out_string_map(KxImp *c, const KxNode *map);  /* { k = "v", ... } */
void kx_out_selector(KxImp *c, const KxNode *sel);    /* a LabelSelector */
void kx_out_exprs(KxImp *c, const KxNode *seq);       /* matchExpressions */

/* import_pod.c: a pod template's fields (requests summed, placement, annotations). */
typedef struct KxPodRes {
    int64_t cpu, memory, gpu, cpu_limit, memory_limit;
    int has_cpu_limit, has_memory_limit;
} KxPodRes;
void kx_pod_resources(KxImp *c, const KxNode *spec, KxPodRes *r);
void kx_out_pod(KxImp *c, const KxNode *tmpl);

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
void kx_imp_hpas(KxImp *c);
void kx_imp_nodegroups(KxImp *c);
void kx_imp_autoscaler(KxImp *c);

/* The documents of kind in c->region, in reading order (NULL after the last). */
KxDoc *kx_next(KxImp *c, KxDoc *d, const char *kind);
/* metadata.annotations[key] of a manifest or template; NULL when absent (or not a string: failed). */
const char *kx_annotation(KxImp *c, const KxNode *meta_owner, const char *key);
const KxNode *kx_annotation_node(KxImp *c, const KxNode *meta_owner, const char *key);
/* The namespace a document's object lives in ("default" when it names none). */
const char *kx_doc_ns(const KxDoc *d);
/* Declaration head: `KIND { name = "N", namespace = "NS", region = "R"`. */
void kx_out_head(KxImp *c, const char *decl, const KxDoc *d, int namespaced);

#endif
