/*
 * trace.h: the binary trace (trace.kst), written as the run goes and readable
 * without the scenario (the replay and `kubesim trace dump` read only this).
 *
 * File layout (all integers little-endian):
 *   header  "KSTRACE\n" | u32 version | u32 meta_len | meta (JSON text: scenario,
 *           seed, kubesim version; never wall-clock) | u32 crc32(meta)
 *   blocks  "KSB1" | u32 payload_len | u32 records | u32 crc32(payload) | payload
 *   end     "KSE1" | u64 total records | u32 crc32 of the 12 bytes before it
 * A payload is a run of records: varint kind, zigzag varint (t - previous t)
 * (the previous t is 0 at each block start, so a reader can seek to a block),
 * then the kind's fields in schema order: 'i' zigzag varint, 's' varint length
 * and bytes. Same records in, same bytes out: the file is deterministic, and
 * sim_trace_close() returns its SHA-256.
 */
#ifndef KUBESIM_SIM_TRACE_H
#define KUBESIM_SIM_TRACE_H

#include <stdio.h>

#include "sim/sim.h"

#define SIM_TRACE_VERSION 1
#define SIM_TRACE_MAX_FIELDS 12
/* Caps the reader enforces (and the writer keeps to), so a damaged or hostile
 * length field cannot make a reader hold more than this at once. */
#define SIM_TRACE_MAX_META ((uint32_t)1 << 20)     /* the header's JSON text */
#define SIM_TRACE_MAX_BLOCK ((uint32_t)64 << 20)   /* a block's payload */

/* Record kinds: a closed list; the schema of each is in trace.c and printed by
 * `kubesim trace dump`. Append new kinds at the end; never renumber. */
typedef enum SimTrKind {
    SIM_TR_REGION = 1,      /* region name */
    SIM_TR_ZONE,            /* zone region name */
    SIM_TR_NODEGROUP,       /* group region name cpu_m mem_bytes gpu max_pods price_micro min max */
    SIM_TR_NAMESPACE,       /* ns name */
    SIM_TR_WORKLOAD,        /* wl region ns wl_kind name replicas (wl_kind: SimWlKind) */
    SIM_TR_NODE_ADD,        /* node group zone name */
    SIM_TR_NODE_READY,      /* node */
    SIM_TR_NODE_REMOVE,     /* node */
    SIM_TR_POD_CREATE,      /* pod wl ns region cpu_m mem_bytes gpu name */
    SIM_TR_POD_BIND,        /* pod node */
    SIM_TR_POD_RUNNING,     /* pod */
    SIM_TR_POD_END,         /* pod phase (0 Succeeded, 1 Failed) */
    SIM_TR_POD_DELETE,      /* pod */
    SIM_TR_POD_UNSCHEDULABLE, /* pod reason */
    SIM_TR_SCALE,           /* wl from to */
    SIM_TR_END,             /* events */
    SIM_TR_QUOTA_REJECT,    /* wl ns reason: admission refused a pod (403 Forbidden) */
    SIM_TR_POD_PREEMPT,     /* pod by node: pod deleted to make room for pod `by` */
    SIM_TR_POD_NOMINATE,    /* pod node: status.nominatedNodeName set */
    SIM_TR_POD_EVICT,       /* pod reason: evicted through the Eviction API */
    SIM_TR_QUEUE,           /* queue region name: a backtest queue */
    SIM_TR_QUEUE_SUBMIT,    /* queue submit count name: count requests of submission `submit` arrive */
    SIM_TR_QUEUE_TAKE,      /* queue submit pod duration_ns: a worker takes a request */
    SIM_TR_QUEUE_DONE,      /* queue submit pod: the worker finished it */
    SIM_TR_QUEUE_REQUEUE,   /* queue submit pod: its worker ended mid-request; back at the head */
    SIM_TR_QUEUE_FAIL,      /* queue submit pod reason: the kernel failed; the request is dropped */
    SIM_TR_POD_INDEX,       /* pod index: an Indexed Job's pod's completion index */
    SIM_TR_JOB_END,         /* wl succeeded reason: a Job finished (1 Complete; 0 Failed with reason
                               BackoffLimitExceeded or DeadlineExceeded) */
    SIM_TR_WL_DELETE,       /* wl reason: a workload deleted (TTLAfterFinished, HistoryLimit, Replace) */
    SIM_TR_CRONJOB,         /* wl job scheduled_unix action: a CronJob's decision for a schedule time
                               (SuccessfulCreate, JobAlreadyActive, MissSchedule, TooManyMissedTimes);
                               job is -1 when none was created */
    SIM_TR_RS_CREATE,       /* wl rs revision name: a Deployment's ReplicaSet rs (the controller's id)
                               is created, named <deployment>-<pod-template-hash> */
    SIM_TR_RS_SCALE,        /* wl rs revision from to: a ReplicaSet's spec.replicas changes */
    SIM_TR_DEPLOY_CONDITION, /* wl status reason: a Deployment's Progressing condition becomes
                               status (1 True, 0 False) with reason (ProgressDeadlineExceeded...) */
    SIM_TR_VOLUME,          /* wl ordinal zone: a StatefulSet ordinal's volume is provisioned in zone */
    SIM_TR_HPA,             /* hpa wl current desired limited_by: an HPA rescaled its target
                               (limited_by: none, tolerance, stabilization, policy, min, max) */
    SIM_TR_TRAFFIC,         /* service region rps_milli p95_us errors_ppm backlog: one sample */
    SIM_TR_NODE_STATE,      /* node ready: 0 NotReady (Ready=Unknown), 1 Ready again */
    SIM_TR_NODE_CORDON,     /* node on: spec.unschedulable set (1) or cleared (0) */
    SIM_TR_POD_READY,       /* pod ready: a Running pod's Ready condition follows its node's */
    SIM_TR_CA_SCALE_UP,     /* region group delta pods: the cluster autoscaler grows group by
                               delta nodes for pods pending pods */
    SIM_TR_CA_SCALE_DOWN,   /* node reason: the cluster autoscaler removes a node (empty, drain) */
    SIM_TR_CA_BACKOFF,      /* group until_ns reason: a group is backed off (provisioning failed) */
    SIM_TR_FAULT,           /* fault target detail: a fault starts or ends (node_crash, zone_outage,
                               region_outage, spot_interruption, stockout), and the node
                               lifecycle controller's steps (taint, untaint, taint_evict) */
    SIM_TR_KIND_COUNT
} SimTrKind;

/* One field value: an integer or a string (which must outlive the call only). */
typedef struct SimTrVal {
    int64_t i;
    const char *s;
} SimTrVal;
#define SIM_TRI(x) ((SimTrVal){.i = (int64_t)(x), .s = NULL})
#define SIM_TRS(x) ((SimTrVal){.i = 0, .s = (x)})

/* Name of a kind ("pod_bind"), and its field schema: a string of one letter per
 * field ('i' or 's') and the matching names. NULL for an unknown kind. */
const char *sim_trace_kind_name(int kind);
const char *sim_trace_kind_types(int kind);
const char *const *sim_trace_kind_fields(int kind);

/* ---- writing ----------------------------------------------------------- */
typedef struct SimTraceWriter SimTraceWriter;

/* Opens path for writing and writes the header. meta_json is the header's JSON
 * text. Returns NULL with a message in err on failure. The writer owns the file. */
SimTraceWriter *sim_trace_create(SimMem *m, const char *path, const char *meta_json, SimErr *err);
/* Appends one record; vals must match the kind's schema (asserted). Returns
 * SIM_OK or SIM_EIO/SIM_ENOMEM (sticky: later calls return the same). */
int sim_trace_emit(SimTraceWriter *w, SimTrKind kind, SimTime t, const SimTrVal *vals, size_t n);
uint64_t sim_trace_records(const SimTraceWriter *w);
/* Flushes the last block, writes the end marker, closes the file, stores the
 * file's SHA-256 as 64 lowercase hex characters (+NUL) in sha_hex, and frees w.
 * Returns SIM_OK or SIM_EIO. */
int sim_trace_close(SimTraceWriter *w, char sha_hex[65]);
/* Frees w and closes its file without finishing it (error paths). */
void sim_trace_abort(SimTraceWriter *w);

/* ---- reading ----------------------------------------------------------- */
typedef struct SimTraceReader SimTraceReader;

typedef struct SimTraceRec {
    int kind;
    SimTime t;
    size_t n;
    SimTrVal v[SIM_TRACE_MAX_FIELDS];   /* strings point into the reader's buffer,
                                           valid until the next sim_trace_next */
} SimTraceRec;

/* Opens and checks the header. NULL with a message in err on failure. */
SimTraceReader *sim_trace_open(SimMem *m, const char *path, SimErr *err);
const char *sim_trace_meta(const SimTraceReader *r);   /* the header's JSON text */
/* SIM_OK with the next record, SIM_DONE after the end marker, SIM_ECORRUPT on a
 * bad checksum or framing or a missing end marker (message in sim_trace_error). */
int sim_trace_next(SimTraceReader *r, SimTraceRec *out);
const char *sim_trace_error(const SimTraceReader *r);
void sim_trace_close_reader(SimTraceReader *r);

/* Prints the trace as JSON lines: first {"meta": ...}, then one object per
 * record {"t_ns":N,"kind":"pod_bind","pod":3,"node":7}. The whole file is
 * read and checked first (every block's framing, checksum and records), so a
 * damaged file prints nothing to out; it must be a regular file, as it is
 * read twice. Returns SIM_OK, or an error after printing the message (file
 * and byte offset) to err_out. */
int sim_trace_dump(SimMem *m, const char *path, FILE *out, FILE *err_out);

/* ---- checksums (also used elsewhere) ------------------------------------ */
uint32_t sim_crc32(uint32_t crc, const void *data, size_t n);   /* start with 0 */

typedef struct SimSha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t nbuf;
} SimSha256;
void sim_sha256_init(SimSha256 *s);
void sim_sha256_update(SimSha256 *s, const void *data, size_t n);
void sim_sha256_hex(SimSha256 *s, char hex[65]);   /* finishes s */

#endif
