/*
 * export_int.h: what the files of `kubesim export` (export*.c) share, and no
 * other module includes. One KxCtx walks one region; each kind writes its
 * documents into the region's KxYaml for that kind's file.
 *
 * Invariant: every object a region's files hold belongs to that region (its
 * workload, quota, PDB, LimitRange or node group has that region), except the
 * cluster-scoped set-up every cluster needs: PriorityClasses, which go to
 * every region, and with --namespaces every declared Namespace.
 */
#ifndef KUBESIM_KX_EXPORT_INT_H
#define KUBESIM_KX_EXPORT_INT_H

#include "k8s-export/kx.h"
#include "sim/policy.h"
#include "workloads/hpa.h"
#include "workloads/wl.h"

#define KX_CONTAINER "app"          /* the one container of every pod */
#define KX_SERVE_PORT 8080          /* serving pods' container port, named "http" */
#define KX_ADAPTER_VALUES "prometheus-adapter-values.yaml"   /* Helm values, not a manifest */
#define KX_PROMETHEUS_URL "http://prometheus.monitoring.svc"   /* a placeholder to edit */
#define KX_RUN_AS 65532             /* the non-root user of every pod (distroless "nonroot") */

typedef struct KxCtx {
    SimEngine *e;
    WlControllers *wl;
    const KxExportOptions *o;
    struct KxFiles *files;          /* the export's files (kx_cluster_scoped records into it) */
    char scenario[64];              /* the scenario's name as a label value */
    uint32_t region;
    KxYaml *y;                      /* the file being written */
    size_t docs;                    /* documents written into y */
    int rc;                         /* SIM_OK, or the first failure (SIM_ENOMEM) */
    /* The region's README.md: how to start each Job the scenario starts
     * later (markdown list items), and what a cluster would do otherwise
     * than the simulation (warnings, also in kx_files_warnings). */
    struct KxBuf *timed, *warns;
} KxCtx;

/* A growing text buffer through the engine's SimMem; a failed append sets
 * c->rc and the text stays as it was. */
typedef struct KxBuf {
    char *s;
    size_t len, cap;
} KxBuf;
void kx_buf_printf(KxCtx *c, KxBuf *b, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kx_buf_free(KxCtx *c, KxBuf *b);

/* export_meta.c: document heads, metadata, labels, selectors, values */
void kx_doc_begin(KxCtx *c, const char *api, const char *kind);
void kx_doc_end(KxCtx *c);
/* Records a cluster-scoped object written (export.c; the summary lists them). */
void kx_cluster_scoped(KxCtx *c, const char *kind, const char *name);
/* metadata with name, namespace (NULL: cluster-scoped) and the scenario's
 * labels; leaves the map open when open != 0 (to add annotations). */
void kx_meta(KxCtx *c, const char *name, const char *ns, int open);
/* The labels every object carries (app.kubernetes.io/name = name). */
void kx_labels(KxCtx *c, const char *name);
void kx_labels_begin(KxCtx *c, const char *name);   /* the same, the map left open */
/* The restricted Pod Security Standard (export_pod.c): the pod's
 * securityContext (non-root user KX_RUN_AS, RuntimeDefault seccomp; fsGroup
 * when a volume must be writable by that user) and a container's (no
 * privilege escalation, every capability dropped; a read-only root when the
 * program writes only to volumes). */
void kx_restricted_pod(KxYaml *y, int fs_group);
void kx_restricted_container(KxYaml *y, int read_only_root);
/* A LabelSelector (matchLabels for single-value In, else matchExpressions). */
void kx_label_selector(KxYaml *y, const SimSelector *sel);
/* A list of node selector requirements (matchExpressions of a NodeSelectorTerm). */
void kx_node_requirements(KxYaml *y, const SimSelector *sel);
void kx_kv_quantity(KxYaml *y, const char *key, int64_t v, int milli);
void kx_kv_seconds(KxYaml *y, const char *key, SimTime t);   /* whole seconds, rounded up */
/* A duration as text for annotations: "90s", "1500ms". */
void kx_duration(SimTime t, char *buf, size_t n);
void kx_kv_duration(KxYaml *y, const char *key, SimTime t);
void kx_kv_double(KxYaml *y, const char *key, double v);     /* as a string: annotations */
/* A time of day (an offset from midnight, any day) as "HH:MM", or
 * "HH:MM:SS" when it has seconds. */
void kx_clock(SimTime t, char *buf, size_t n);
const char *kx_taint_effect(int effect);
const char *kx_ns_name(KxCtx *c, uint32_t ns);
/* The value of label key in the workload's pod labels, or NULL. */
const char *kx_pod_label(const SimPodSpec *spec, const char *key);

/* export_pod.c: a pod template ("template" key and its map) */
typedef enum KxPodKind { KX_POD_SERVICE = 0, KX_POD_BATCH } KxPodKind;
void kx_pod_template(KxCtx *c, uint32_t wl, KxPodKind kind);
/* The selector every controller uses for its pods ("selector" key and map). */
void kx_pod_selector(KxCtx *c, uint32_t wl);
/* The labels of that selector as a plain map (a Service's selector). */
void kx_pod_match_labels(KxCtx *c, uint32_t wl);
/* What the workload's pods are named by: its app.kubernetes.io/name. */
void kx_pod_app(const SimWorkload *w, char *buf, size_t n);

/* export_hpa.c: 1 when an HPA scales workload wl. Such a workload is
 * written without spec.replicas (a re-apply would reset the HPA's count,
 * as the HPA documentation warns): its initial count goes to the
 * annotation kubesim.io/initial-replicas, which import reads back. */
int kx_hpa_scaled(KxCtx *c, uint32_t wl);

/* One function per file; each writes every object of its kind in c->region. */
void kx_emit_namespaces(KxCtx *c);
void kx_emit_priorityclasses(KxCtx *c);
void kx_emit_quotas(KxCtx *c);
void kx_emit_limitranges(KxCtx *c);
void kx_emit_pdbs(KxCtx *c);
void kx_emit_deployments(KxCtx *c);
void kx_emit_services(KxCtx *c);
void kx_emit_statefulsets(KxCtx *c);
void kx_emit_daemonsets(KxCtx *c);
void kx_emit_jobs(KxCtx *c);
void kx_emit_cronjobs(KxCtx *c);
void kx_emit_hpas(KxCtx *c);
void kx_emit_eksctl(KxCtx *c);       /* an eksctl ClusterConfig: the node groups (not for kubectl) */
void kx_emit_autoscaler(KxCtx *c);   /* the cluster-autoscaler Helm chart's values (not for kubectl) */
void kx_emit_scaledobjects(KxCtx *c);   /* KEDA ScaledObjects (--metrics-adapter keda) */
/* The Helm values of prometheus-adapter that serve the region's External
 * metrics, as text into b (left empty when no HPA of the region has one, or
 * with --metrics-adapter keda). */
void kx_emit_adapter_values(KxCtx *c, KxBuf *b);

/* export_hpa.c, shared with the ScaledObjects (export_adapter.c) */
int kx_hpa_has_external(const WlHpaSpec *s);
/* Does hpa s go out as a ScaledObject rather than an HPA? */
int kx_hpa_as_keda(const KxCtx *c, const WlHpaSpec *s);
/* The document's head, shared by an HPA and a ScaledObject: apiVersion, kind,
 * metadata with the HPA's annotations, then "spec" with its scaleTargetRef.
 * Leaves the spec map open for the caller's fields; the caller ends it and
 * the document. */
void kx_hpa_head(KxCtx *c, const char *api, const char *kind, const char *name, uint32_t tgt,
                 const WlHpaSpec *s);
/* "behavior" with both directions, when s has one. */
void kx_hpa_behavior(KxYaml *y, const WlHpaSpec *s);
/* Refuses minReplicas 0 without HPAScaleToZero; 1 when refused (c->rc set). */
int kx_hpa_refused(KxCtx *c, const char *name, const WlHpaSpec *s);
void kx_emit_nodepools(KxCtx *c);    /* Karpenter NodePools */
void kx_emit_prometheusrules(KxCtx *c);   /* alerts.c: with o->alerts, the region's PrometheusRule */

#endif
