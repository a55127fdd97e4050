/*
 * faults.h: scripted faults and the node lifecycle controller (prefix
 * wl_fault_), k8s-behaviour.md §7.
 *
 * Faults: a node crash (its kubelet stops posting), a zone outage (every node
 * of the zone crashes and nodes added there never register), a region outage
 * (every zone of the region and its control plane: nothing of the region
 * acts until it returns, sim_region_up; its serving traffic fails over to the
 * next nearest region), a spot interruption (two-minute notice: cordon, drain by
 * eviction honouring PDBs, then the instance is gone) and a stockout (nodes
 * added to the group never register). Each may end after a duration
 * (recovery); each start and end is traced as a `fault` record.
 *
 * The node lifecycle controller turns a crash into upstream's sequence: the
 * node goes NotReady (Ready=Unknown) after the 50 s grace period, gets the
 * node.kubernetes.io/unreachable:NoExecute taint through its zone's eviction
 * rate limiter, and each pod on it is deleted when its toleration of that
 * taint expires (300 s by default, never for DaemonSet pods). A node that
 * comes back is Ready again, untainted, and its remaining pods Ready.
 *
 * One WlFaults per engine; it registers its event kind and a
 * listener. Every function returns SIM_OK or a negative SIM_E* with the
 * message on the engine.
 */
#ifndef KUBESIM_WL_FAULTS_H
#define KUBESIM_WL_FAULTS_H

#include "workloads/wl.h"

/* The faults' trace record (number fixed: sim/trace.h): fault target detail:
 * a fault starts or ends (node_crash, zone_outage, region_outage,
 * spot_interruption, stockout), and the node lifecycle controller's steps
 * (taint, untaint, taint_evict). */
enum { WL_TR_FAULT = 43 };
int wl_fault_trace_kinds(SimTrSchema *s);

typedef struct WlFaults WlFaults;

typedef enum WlFaultKind {
    WL_FAULT_NODE_CRASH = 0,
    WL_FAULT_ZONE_OUTAGE,
    WL_FAULT_REGION_OUTAGE,
    WL_FAULT_SPOT_INTERRUPTION,
    WL_FAULT_STOCKOUT,
    WL_FAULT_KIND_COUNT
} WlFaultKind;

/* Upstream's defaults (kube-controller-manager flags, v1.32+). */
#define WL_NODE_MONITOR_GRACE SIM_SEC(50)      /* --node-monitor-grace-period */
#define WL_DEFAULT_TOLERATION_SECONDS 300      /* DefaultTolerationSeconds admission */
#define WL_EVICTION_QPS 0.1                    /* --node-eviction-rate */
#define WL_SECONDARY_EVICTION_QPS 0.01         /* --secondary-node-eviction-rate */
#define WL_UNHEALTHY_ZONE_THRESHOLD 0.55       /* --unhealthy-zone-threshold */
#define WL_LARGE_CLUSTER_SIZE 50               /* --large-cluster-size-threshold */
#define WL_SPOT_NOTICE SIM_SEC(120)            /* the cloud's interruption notice */
#define WL_DRAIN_RETRY SIM_SEC(5)              /* kubectl drain's retry after a 429 */
#define WL_TAINT_UNREACHABLE "node.kubernetes.io/unreachable"

/* The kind's name ("node_crash"), and every name then NULL (static). */
const char *wl_fault_kind_name(WlFaultKind k);
const char *const *wl_fault_kind_names(void);
/* The kind of that name, or -1. */
int wl_fault_kind_parse(const char *name);

/* One fault. Which targets apply depends on the kind: node_crash and
 * spot_interruption take a node by name or `count` nodes of a group (chosen
 * with SIM_RNG_FAULTS among its Ready nodes), zone_outage a zone,
 * region_outage a region, stockout a group. */
typedef struct WlFault {
    WlFaultKind kind;
    SimTime at;             /* when it starts (>= now) */
    SimTime duration;       /* then it ends (recovery); 0: it lasts */
    const char *node;       /* a node's name (copied), or NULL */
    uint32_t group;         /* a node group, or SIM_NONE */
    int32_t count;          /* nodes of the group (0 means 1) */
    uint32_t zone;          /* zone_outage */
    uint32_t region;        /* region_outage */
} WlFault;

/* Creates the faults module and node lifecycle controller of engine e; the
 * controllers c get region outages' traffic health. Spot nodes already Ready
 * draw their random interruption now, later ones when they become Ready.
 * NULL on out of memory (message on the engine). */
WlFaults *wl_fault_create(SimEngine *e, WlControllers *c);
void wl_fault_destroy(WlFaults *f);

/* The counters of summary.json's faults section (registered by
 * wl_fault_create): faults started (scripted, and random spot notices), pods
 * evicted by a NoExecute taint, spot interruptions (notices). */
enum { WL_FAULT_SUMMARY_RANK = 500 };
typedef struct WlFaultStats {
    uint64_t injected, pods_evicted_by_taint, spot_interruptions;
} WlFaultStats;
const WlFaultStats *wl_fault_stats(const WlFaults *f);
/* Schedules a fault at f->at (now or later); it counts in stats
 * WlFaultStats.injected when it starts. A named node that does not exist then is
 * traced and skipped. */
int wl_fault_add(WlFaults *f, const WlFault *ft);

/* The controller's view of a node, for tests and hooks. */
typedef struct WlNodeHealth {
    int crashed;            /* its kubelet is down (some fault holds it) */
    int tainted;            /* it has the unreachable NoExecute taint */
    SimTime tainted_at;     /* when it got it, or -1 */
    int notice;             /* it got a spot interruption notice */
} WlNodeHealth;
void wl_fault_node_health(const WlFaults *f, uint32_t node, WlNodeHealth *out);

/* The zone's eviction rate now (nodes tainted per second; 0 when stopped). */
double wl_fault_zone_rate(const WlFaults *f, uint32_t zone);

#endif
