/*
 * kube.h: the one reader of Kubernetes objects (prefix kube_). Every command
 * that takes Kubernetes objects in (`explain schedule`, `explain hpa`,
 * `explain autoscaler`, `import`) understands a field here, so the same
 * field means the same thing everywhere (a pod's overhead included).
 *
 * Four parts:
 *   - a JSON path reader over cJSON trees: typed lookups that name the JSON
 *     path of a problem ("$.pods[2].spec.containers[0].resources.requests.cpu:
 *     expected a quantity ..."), used by the explain cases for v1 objects and
 *     for their own case fields;
 *   - a YAML reader over libyaml (yaml.c): manifests to a tree of KubeYNode
 *     that keeps each node's line, and typed lookups over it whose messages
 *     say "FILE:LINE: field.path: why" (used by `import`);
 *   - readers of v1 objects into the model's specs: Node, Pod and pod
 *     template (requests as upstream sums them, placement, the autoscaler's
 *     annotations and local volumes, the controller's kind, and what the
 *     manifest gave, KubePodGiven, for import to write back), PriorityClass, PodDisruptionBudget,
 *     ResourceQuota, LimitRange (its Container items merged as upstream's),
 *     and the autoscaling/v2 HPA spec (hpa.c); and the effective-request
 *     formula that the YAML importer applies to the same fields;
 *   - YAML into those readers (yjson.c): a YAML tree made cJSON, and a
 *     reader's failure moved back to the manifest's file and line, so
 *     `import` reads an object as `explain` does.
 *
 * Every field of the Kubernetes API is accepted (those kubesim does not model
 * are ignored); a field that is not in the API is refused, as `kubectl apply
 * --validate=strict` would.
 *
 * Errors live on the handle, as sqlite3_errmsg does: the first failure sticks
 * ("$.path: message", kube_errmsg; kube_yaml_errmsg for YAML), every later
 * call returns at once, and kube_failed() (kube_yaml_rc) tells. Strings and arrays come from the reader's arena and
 * live as long as it.
 */
#ifndef KUBESIM_KUBE_H
#define KUBESIM_KUBE_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/arena.h"
#include "sim/policy.h"

/* Path buffers: a path deeper than this is cut short in the message, never
 * overrun. Only paths go through fixed buffers, never values. */
#define KUBE_PATH 256

typedef struct KubeReader KubeReader;

/* A reader whose strings and arrays come from a (the reader itself too):
 * NULL when out of memory. Nothing to free beyond the arena. */
KubeReader *kube_reader_new(SimArena *a);
int kube_failed(const KubeReader *r);
/* The first failure: "$.path: message", or a message of its own (a JSON
 * syntax error, kube_fail with a NULL path); "" while none. */
const char *kube_errmsg(const KubeReader *r);
/* Records a failure at path (NULL: the message alone); only the first sticks. */
void kube_fail(KubeReader *r, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records "FILE:LINE:COL: not valid JSON" at the place cJSON stopped (at,
 * from cJSON_GetErrorPtr); returns SIM_EINVAL. */
int kube_fail_json(KubeReader *r, const char *file, const char *text, const char *at);

/* n zeroed bytes (at least 1) from the arena; NULL, with "$: out of memory"
 * recorded, on failure or after one. */
void *kube_alloc(KubeReader *r, size_t n);
char *kube_strdup(KubeReader *r, const char *s);

/* ---- the JSON path reader ------------------------------------------------- */
/* A path into out ("%s.%s", "%s[%zu]"), cut at KUBE_PATH bytes. */
void kube_path(char out[static KUBE_PATH], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Checks that every key of object j is in allowed (NULL-terminated). */
void kube_keys(KubeReader *r, const cJSON *j, const char *path, const char *const *allowed);
/* A boolean described as "true or false" in kube_child's message (cJSON_True
 * describes it as "a boolean"). */
#define KUBE_BOOL_TF (cJSON_True | cJSON_False)
/* The child key of object j after checking its cJSON type (cJSON_True: any
 * boolean); its path in sub. NULL when absent, null, mistyped (failed) or
 * after a failure. */
const cJSON *kube_child(KubeReader *r, const cJSON *j, const char *key, const char *path, int type,
                        char sub[static KUBE_PATH]);
/* j.key as a string copied to the arena; NULL when absent. */
const char *kube_get_str(KubeReader *r, const cJSON *j, const char *key, const char *path);
/* j.key as a whole number in [lo, hi]; deflt when absent. */
int64_t kube_get_int(KubeReader *r, const cJSON *j, const char *key, const char *path, int64_t deflt, int64_t lo,
                     int64_t hi);
/* Fails "PATH.key: is required" when j.key is absent or null; 1 when the
 * reader has not failed. */
int kube_required(KubeReader *r, const cJSON *j, const char *key, const char *path);
/* j.key as the index of one of names (NULL-terminated); deflt when absent. */
int kube_get_enum(KubeReader *r, const cJSON *j, const char *key, const char *path, const char *const *names,
                  int deflt);
/* x as a whole number in [lo, hi] in *out: SIM_OK, or SIM_EINVAL with the
 * error set (x not a number, a fraction, or out of range: the range is checked
 * on the double, never after a cast). */
int kube_whole(KubeReader *r, const cJSON *x, const char *path, int64_t lo, int64_t hi, int64_t *out);

/* The longest quantity text read (a real one is under 25 characters), and
 * the largest value kept: 2^53 (8 PiB, or 9e12 cores in millicores), so that
 * sums over pods and containers and the scores' x100 stay inside int64_t. */
#define KUBE_QUANTITY_MAX 64
#define KUBE_QUANTITY_LIMIT (INT64_C(1) << 53)
/* A quantity (a string as Kubernetes writes it, or a JSON number) in units,
 * or milli-units when milli; 0 and the error set when it is malformed, too
 * long or larger than KUBE_QUANTITY_LIMIT. */
int64_t kube_quantity(KubeReader *r, const cJSON *x, const char *path, int milli);

/* ---- v1 objects ------------------------------------------------------------ */
/* metadata.name / .namespace / .labels of any object (namespace "default"
 * when absent). */
typedef struct KubeMeta {
    const char *name, *ns;
    SimKV *labels;
    size_t nlabels;
} KubeMeta;

/* A v1 Node: name, labels (the zone is its topology.kubernetes.io/zone),
 * taints, unschedulable, allocatable (cpu, memory, nvidia.com/gpu, pods). */
typedef struct KubeNode {
    KubeMeta meta;
    SimTaint *taints;
    size_t ntaints;
    int unschedulable;
    SimRes alloc;
} KubeNode;
void kube_node(KubeReader *r, const cJSON *j, const char *path, KubeNode *out);

/* A LabelSelector as written, beside the requirements SimSelector holds:
 * whether it was given, and how many of its requirements (the first ones)
 * came from matchLabels, so a writer can copy it back in its own form. */
typedef struct KubeSelGiven {
    int given;
    size_t nlabels;
} KubeSelGiven;

/* A toleration's fields the manifest wrote (KUBE_TOL_* bits): an absent
 * operator means Equal and an absent effect every effect, but a writer that
 * copies the pod back (import) writes only what was there. */
enum { KUBE_TOL_KEY = 1, KUBE_TOL_OPERATOR = 2, KUBE_TOL_VALUE = 4, KUBE_TOL_EFFECT = 8, KUBE_TOL_SECONDS = 16 };

/* What a pod's manifest gave beyond the meaning SimPodSpec holds. The
 * scheduler needs none of it; `import`, which writes the pod back as a
 * workload's fields, needs all of it. Arrays parallel the spec's. */
typedef struct KubePodGiven {
    unsigned lim;                     /* KUBE_RES_* bits: a limit some app container gave */
    uint8_t *tolerations;             /* per spec.tolerations[i]: KUBE_TOL_* bits */
    int node_affinity, pod_affinity, pod_anti;   /* affinity.nodeAffinity / podAffinity / podAntiAffinity */
    int node_required, node_preferred;           /* nodeSelectorTerms / the preferred list were written */
    int req_affinity, pref_affinity, req_anti, pref_anti;   /* the pod (anti-)affinity lists were written */
    KubeSelGiven *req_affinity_sel, *pref_affinity_sel, *req_anti_sel, *pref_anti_sel;   /* per term */
    KubeSelGiven *spread_sel;         /* per spec.spread[i]: its labelSelector */
} KubePodGiven;

/* A v1 Pod: its spec as the engine models it (requests by
 * kube_effective_request), its node, and what the manifest gave. */
typedef struct KubePod {
    KubeMeta meta;
    SimPodSpec spec;
    int has_priority;            /* spec.priority was given (else from its class) */
    KubePodGiven given;
} KubePod;
void kube_pod(KubeReader *r, const cJSON *j, const char *path, KubePod *out);
/* A PodTemplateSpec (a workload's spec.template): metadata optional (its
 * labels into meta and spec.labels; meta.name NULL unless given), spec
 * required and read as kube_pod reads a pod's. `explain` and `import` read
 * a pod's fields with this one reader. */
void kube_pod_template(KubeReader *r, const cJSON *j, const char *path, KubePod *out);
/* The names the API gives the model's enums, indexed by them. */
extern const char *const kube_sel_op_names[];       /* SimSelOp: In, NotIn, Exists, ... */
extern const char *const kube_taint_effect_names[]; /* SimTaintEffect: NoSchedule, ... */
/* What the cluster autoscaler reads of a pod beyond its spec, into s:
 * KUBE_ANN_SAFE_TO_EVICT (safe_to_evict, by kube_safe_to_evict) and
 * emptyDir or hostPath volumes not named in KUBE_ANN_SAFE_LOCAL_VOLUMES
 * (local_storage, by kube_volume_blocks). */
void kube_pod_eviction(KubeReader *r, const cJSON *j, const char *path, SimPodSpec *s);

/* The autoscaler's annotations are understood here only: the JSON reader
 * (kube_pod_eviction) and the YAML importer both take their meaning from the
 * two functions below, whatever tree the values came from. */
#define KUBE_ANN_SAFE_TO_EVICT "cluster-autoscaler.kubernetes.io/safe-to-evict"
#define KUBE_ANN_SAFE_LOCAL_VOLUMES "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
/* A safe-to-evict annotation's value (NULL: absent) as SimPodSpec's
 * safe_to_evict: 1 for exactly "true", -1 for exactly "false", 0 (unset) for
 * anything else, as upstream's drain rules compare it (== "true", == "false"). */
int8_t kube_safe_to_evict(const char *value);
/* Is a volume local storage to the cluster autoscaler (utils/drain
 * isLocalVolume)? A hostPath, or an emptyDir whose medium is not "Memory"
 * (medium: the emptyDir's medium, NULL when absent): a memory-backed emptyDir
 * is a tmpfs, counted as the pod's memory, so it does not block a drain. */
int kube_volume_local(int empty_dir, const char *medium, int host_path);
/* Does a pod's volume keep the autoscaler from draining its node? Yes when it
 * is local (kube_volume_local) and its name is not in safe_volumes,
 * the comma-separated safe-to-evict-local-volumes value (NULL: absent; name
 * NULL: a volume without a name, which no list names). */
int kube_volume_blocks(const char *name, int local, const char *safe_volumes);
/* The kind of the controller that owns the pod, from its ownerReferences
 * (the one with controller true): ReplicaSet, ReplicationController and
 * Deployment read as a Deployment; SIM_WL_POD when none or an unknown kind. */
SimWlKind kube_owner_kind(KubeReader *r, const cJSON *j, const char *path);
/* metadata.annotations[key] of a v1 object, after checking the map holds
 * strings only; NULL when absent. */
const char *kube_annotation(KubeReader *r, const cJSON *obj, const char *path, const char *key);

void kube_priorityclass(KubeReader *r, const cJSON *j, const char *path, SimPriorityClass *out);
/* PDB and quota and limitrange: region is left 0; ns is resolved by the
 * caller from meta.ns. */
void kube_pdb(KubeReader *r, const cJSON *j, const char *path, KubeMeta *meta, SimPdb *out);
void kube_quota(KubeReader *r, const cJSON *j, const char *path, KubeMeta *meta, SimQuota *out);
/* kube_limitrange: its Container items merged (kube_limitrange_merge); Pod
 * and PersistentVolumeClaim items are read, not modelled. */
void kube_limitrange(KubeReader *r, const cJSON *j, const char *path, KubeMeta *meta, SimLimitRange *out);

/* ---- HorizontalPodAutoscaler (autoscaling/v2) ---------------------------- */
/* The one reader of an HPA's spec: `explain hpa` reads its case's HPA with
 * it and `import` its manifests' HPAs (through kube_y_json), so a field is
 * checked and defaulted in one place. Limits are upstream's validation
 * (pkg/apis/autoscaling/validation): a policy's value is an int32 above 0
 * (no other cap), its period 1 to 1800 s, a window 0 to 3600 s, minReplicas
 * 1 or more (0 only with an Object or External metric: HPAScaleToZero),
 * maxReplicas at least minReplicas. The enums are in the order of the
 * workloads' (WlHpaSource, WlHpaTarget, WlHpaSelect), which convert by value. */
#define KUBE_HPA_MAX_POLICIES 16
typedef enum KubeHpaSource {
    KUBE_HPA_RESOURCE = 0, KUBE_HPA_CONTAINER_RESOURCE, KUBE_HPA_PODS, KUBE_HPA_OBJECT, KUBE_HPA_EXTERNAL
} KubeHpaSource;
typedef enum KubeHpaTarget { KUBE_HPA_UTILIZATION = 0, KUBE_HPA_VALUE, KUBE_HPA_AVERAGE_VALUE } KubeHpaTarget;
typedef enum KubeHpaSelect { KUBE_HPA_SELECT_MAX = 0, KUBE_HPA_SELECT_MIN, KUBE_HPA_SELECT_DISABLED } KubeHpaSelect;
/* The names the API gives them, indexed by the enums. */
extern const char *const kube_hpa_source_names[];
extern const char *const kube_hpa_target_names[];
extern const char *const kube_hpa_select_names[];

typedef struct KubeHpaMetric {
    KubeHpaSource source;
    KubeHpaTarget target;
    const char *name;        /* the metric's name; Resource: "cpu" or "memory" */
    const char *container;   /* ContainerResource's container, else NULL */
    SimSelector selector;    /* metric.selector (accepted, not applied by the calculator) */
    int32_t utilization;     /* averageUtilization (target Utilization) */
    int64_t milli;           /* value or averageValue, milli-units */
    const char *quantity;    /* that value as written ("500m"), else NULL */
} KubeHpaMetric;

typedef struct KubeHpaPolicy {
    int percent;             /* type Percent (1) or Pods (0) */
    int32_t value, period_s;
} KubeHpaPolicy;

/* One direction of spec.behavior as written: each has_* says the field was
 * given (the defaults belong to the caller, which knows the controller's). */
typedef struct KubeHpaRules {
    int given;                        /* scaleUp / scaleDown was written */
    int has_window, has_select, has_tolerance;
    int32_t window_s;
    KubeHpaSelect select;
    double tolerance;                 /* behavior.*.tolerance (v1.33+) */
    KubeHpaPolicy policies[KUBE_HPA_MAX_POLICIES];
    size_t npolicies;                 /* 0: not given (the defaults stay) */
} KubeHpaRules;

typedef struct KubeHpa {
    const char *target_kind, *target_name;   /* scaleTargetRef; NULL when absent */
    int32_t min, max;                 /* minReplicas (default 1), maxReplicas (required) */
    KubeHpaMetric *metrics;           /* as written; nmetrics 0: none given (upstream: cpu at 80 %) */
    size_t nmetrics;
    int has_behavior;
    KubeHpaRules up, down;
} KubeHpa;
/* An HPA's spec (the object's spec, or a case's bare spec) at path into out. */
void kube_hpa_spec(KubeReader *r, const cJSON *spec, const char *path, KubeHpa *out);

/* A LimitRange's Container items merged as upstream merges them. Each item is
 * first defaulted as the API server does (SetDefaults_LimitRangeItem: a
 * missing default from max, a missing defaultRequest from default, else from
 * min); then the LimitRanger's defaults go key by key, a later item's key
 * overwriting an earlier one's (defaultContainerResourceRequirements), and
 * every item's min and max apply (the largest min, the smallest max). The
 * JSON reader (kube_limitrange) and the YAML importer both merge here. */
enum { KUBE_LR_DEFAULT = 0, KUBE_LR_DEFAULT_REQUEST, KUBE_LR_MIN, KUBE_LR_MAX, KUBE_LR_FIELDS };
enum { KUBE_LR_CPU = 0, KUBE_LR_MEM, KUBE_LR_RES };
/* One Container item as written: its value (millicores, bytes) and whether
 * it was given, per field and resource. */
typedef struct KubeLrItem {
    int64_t v[KUBE_LR_FIELDS][KUBE_LR_RES];
    int given[KUBE_LR_FIELDS][KUBE_LR_RES];
} KubeLrItem;
/* Where a merged value comes from: the item and its field that was written
 * (item -1: none), so a writer can copy the value as it was written. */
typedef struct KubeLrPick {
    int item, field;
} KubeLrPick;
void kube_limitrange_merge(const KubeLrItem *items, size_t n, KubeLrPick pick[KUBE_LR_FIELDS][KUBE_LR_RES]);

/* One container's requests and limits, read from either tree (JSON or YAML),
 * and which of them the manifest gave (KUBE_RES_* bits): a request of 0 that
 * is written differs from one left out. */
enum { KUBE_RES_CPU = 1, KUBE_RES_MEM = 2, KUBE_RES_GPU = 4 };
typedef struct KubeContainerRes {
    SimRes req, lim;
    unsigned given_req, given_lim;
} KubeContainerRes;
/* The container's request as the API server defaults it (SetDefaults_Pod): a
 * resource with a limit and no request requests its limit; one given, even
 * 0, stays. Both readers count a container with it. */
SimRes kube_container_request(const KubeContainerRes *c);

/* Upstream's effective request of a pod (resource helpers PodRequests): the
 * larger of the app containers' sum and the largest init container, per
 * resource, plus the pod's overhead (CPU and memory). The JSON reader and the
 * YAML importer both count a pod's requests with it. */
SimRes kube_effective_request(const SimRes *app, const SimRes *init, const SimRes *overhead);

/* ---- YAML ------------------------------------------------------------------- */
/* Maps and lists open at once, at most: deeper input is refused. The
 * deepest real manifests (CRDs' OpenAPI schemas) nest well under this. */
#define KUBE_YAML_MAX_DEPTH 256
/* YAML values (scalars, maps, lists) read by one reader, at most: about
 * 200 MB of trees. 2 MB of ordinary manifests hold about 100,000; a list
 * `[1,1,1,...]` holds one per two bytes, so the byte caps alone allow more. */
#define KUBE_YAML_MAX_NODES 2000000

/* KUBE_Y_NULL: a null item of a list (a null map value or document is left out). */
typedef enum KubeYType { KUBE_Y_SCALAR = 0, KUBE_Y_MAP, KUBE_Y_SEQ, KUBE_Y_NULL } KubeYType;

/* A YAML node. A map's children carry their key; a sequence's do not. */
typedef struct KubeYNode {
    KubeYType type;
    int plain;                      /* a scalar written without quotes (1 is a number, true a bool) */
    int line;                       /* 1-based, from libyaml's mark */
    const char *key;                /* in a map: the key; else NULL */
    const char *s;                  /* a scalar's text */
    struct KubeYNode *parent, *first, *last, *next;
    size_t n;                       /* children */
} KubeYNode;

/* The YAML reader: its trees live in a (the caller's arena), the handle in
 * m. NULL when out of memory; kube_yaml_free frees the handle only. */
typedef struct KubeYaml KubeYaml;
KubeYaml *kube_yaml_new(SimMem *m, SimArena *a);
void kube_yaml_free(KubeYaml *y);
/* SIM_OK, or the first failure (SIM_EINVAL, SIM_ENOMEM), whose message is
 * kube_yaml_errmsg: "FILE:LINE: field.path: why", "FILE:LINE: malformed
 * YAML: ...", or "out of memory". */
int kube_yaml_rc(const KubeYaml *y);
const char *kube_yaml_errmsg(const KubeYaml *y);
/* Records a failure at node at ("FILE:LINE: path: msg"; file NULL: at's own)
 * or, at NULL, "FILE:msg" (msg starts with the line); only the first sticks. */
void kube_yaml_fail(KubeYaml *y, const char *file, const KubeYNode *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void kube_yaml_nomem(KubeYaml *y);
/* The file the node's document was read from ("?" if none). */
const char *kube_yaml_file(const KubeYaml *y, const KubeYNode *n);

/* Parses file's documents; each one that is not empty or null goes to
 * doc(ctx, root, file) in reading order. Returns kube_yaml_rc. */
int kube_yaml_read(KubeYaml *y, const char *file, const char *text, size_t len,
                   void (*doc)(void *ctx, KubeYNode *root, const char *file), void *ctx);
/* A tree of its own from the text of scalar at (a list held in a ConfigMap);
 * its messages name at's file and field. NULL when the text holds nothing. */
KubeYNode *kube_yaml_parse_one(KubeYaml *y, const KubeYNode *at);

/* Lookups: the child of map n at a dotted path ("spec.template.spec"), or NULL. */
const KubeYNode *kube_y_get(const KubeYNode *n, const char *path);
const char *kube_y_get_str(const KubeYNode *n, const char *path);   /* a scalar's text or NULL */
/* The child of map n under exactly key: for keys with dots in them, such as
 * "nvidia.com/gpu", which kube_y_get would read as a path. */
const KubeYNode *kube_y_child(const KubeYNode *n, const char *key);
/* The field path of n inside its document, "spec.containers[0].image". */
void kube_y_path(const KubeYNode *n, char *buf, size_t len);
const char *kube_y_type_name(KubeYType t);   /* "a string", "a map", "a list", "null" */

/* Lookups that check shapes: a field of the wrong type (a map where a
 * string belongs, a list where a map does, null) fails naming the file, line
 * and field, and answers NULL, as an absent field does. kube_y_want checks n
 * itself; the others each step of the dotted path. */
const KubeYNode *kube_y_want(KubeYaml *y, const KubeYNode *n, KubeYType t);
const KubeYNode *kube_y_at(KubeYaml *y, const KubeYNode *n, const char *path);   /* any type at the end */
const KubeYNode *kube_y_map(KubeYaml *y, const KubeYNode *n, const char *path);
const KubeYNode *kube_y_seq(KubeYaml *y, const KubeYNode *n, const char *path);
const char *kube_y_str(KubeYaml *y, const KubeYNode *n, const char *path);


/* ---- YAML into the JSON readers --------------------------------------------- */
/* The tree under n as a cJSON tree, so a YAML manifest goes through the same
 * object readers as JSON (kube_hpa_spec, kube_pod, ...): maps, lists and
 * quoted scalars as themselves; a plain scalar as YAML 1.1 reads it for
 * Kubernetes (true/false a boolean, null/~ null, a decimal number a number)
 * or else a string. Lenient where YAML is: a plain number or boolean keeps its
 * text in valuestring, so the readers take it where a string belongs (a label
 * `version: 1`) and writers can copy a quantity back as written. NULL (the
 * handle's out of memory set) when an allocation fails; the caller deletes
 * the tree, inside a sim_json scope. */
cJSON *kube_y_json(KubeYaml *y, const KubeYNode *n);
/* Moves reader r's first failure to the YAML handle as "FILE:LINE: path:
 * why", LINE the deepest node of base's tree that its path reaches; r read
 * base's tree (kube_y_json) with base_path as its path (kube_y_path of base).
 * Out of memory becomes the handle's. */
void kube_yaml_fail_reader(KubeYaml *y, const KubeYNode *base, const char *base_path, const KubeReader *r);
/* Is x text where the API wants a string (a string, or a YAML plain scalar's
 * text)? */
int kube_is_text(const cJSON *x);

#endif
