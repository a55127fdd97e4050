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

/* Record kinds. A kind's number is part of the file format: it never changes
 * and is never reused. The kinds below are the engine's own (the objects of
 * model.h and the pod and node lifecycle); every other kind belongs to the
 * module that emits it, which registers it with its number and schema at
 * start-up. scenarios/modules.c lists every number in use; a new kind takes
 * the next unused one. */
typedef enum SimTrKind {
    SIM_TR_REGION = 1,      /* region name */
    SIM_TR_ZONE = 2,        /* zone region name */
    SIM_TR_NODEGROUP = 3,   /* group region name cpu_m mem_bytes gpu max_pods price_micro min max */
    SIM_TR_NAMESPACE = 4,   /* ns name */
    SIM_TR_WORKLOAD = 5,    /* wl region ns wl_kind name replicas (wl_kind: SimWlKind) */
    SIM_TR_NODE_ADD = 6,    /* node group zone name */
    SIM_TR_NODE_READY = 7,  /* node */
    SIM_TR_NODE_REMOVE = 8, /* node */
    SIM_TR_POD_CREATE = 9,  /* pod wl ns region cpu_m mem_bytes gpu name */
    SIM_TR_POD_BIND = 10,   /* pod node */
    SIM_TR_POD_RUNNING = 11, /* pod */
    SIM_TR_POD_END = 12,    /* pod phase (0 Succeeded, 1 Failed) */
    SIM_TR_POD_DELETE = 13, /* pod */
    SIM_TR_POD_UNSCHEDULABLE = 14, /* pod reason */
    SIM_TR_END = 16,        /* events */
    SIM_TR_QUOTA_REJECT = 17, /* wl ns reason: admission refused a pod (403 Forbidden) */
    SIM_TR_POD_PREEMPT = 18, /* pod by node: pod deleted to make room for pod `by` */
    SIM_TR_POD_NOMINATE = 19, /* pod node: status.nominatedNodeName set */
    SIM_TR_POD_EVICT = 20,  /* pod reason: evicted through the Eviction API */
    SIM_TR_POD_INDEX = 27,  /* pod index: an Indexed Job's pod's completion index */
    SIM_TR_NODE_STATE = 37, /* node ready: 0 NotReady (Ready=Unknown), 1 Ready again */
    SIM_TR_NODE_CORDON = 38, /* node on: spec.unschedulable set (1) or cleared (0) */
    SIM_TR_POD_READY = 39,  /* pod ready: a Running pod's Ready condition follows its node's */
    SIM_TR_POD_TERMINATING = 44, /* pod until_ns: deleted, still on its node until pod_delete (at the
                                   latest until_ns, its grace period's end) */
    SIM_TR_POD_SCHED_FAIL = 45 /* pod attempts reason: a later scheduling attempt of a pod already
                                  unschedulable failed for another reason than the last one traced
                                  (pod_unschedulable carries the first; the same message again is
                                  not traced) */
} SimTrKind;
#define SIM_TRACE_MAX_KINDS 128   /* record kinds are numbered 1 .. SIM_TRACE_MAX_KINDS - 1 */

/* One field value: an integer or a string (which must outlive the call only). */
typedef struct SimTrVal {
    int64_t i;
    const char *s;
} SimTrVal;
#define SIM_TRI(x) ((SimTrVal){.i = (int64_t)(x), .s = NULL})
#define SIM_TRS(x) ((SimTrVal){.i = 0, .s = (x)})

/* ---- schemas ------------------------------------------------------------- */
/* A record kind: its number in the file, its JSON name in `kubesim trace dump`
 * ("pod_bind"), and its fields in order: one letter per field ('i' integer,
 * 's' string) and the matching names. The dump puts the fields beside the
 * record's own "t_ns" and "kind" keys, so no field is named either. */
typedef struct SimTrKindDef {
    int kind;
    const char *name;
    const char *types;
    const char *const fields[SIM_TRACE_MAX_FIELDS + 1];
} SimTrKindDef;

/* The kinds a writer may emit and a reader understands: a table the caller
 * owns (the engine holds one; a reader without an engine builds its own with
 * every module's registration function, e.g. scn_trace_schema). It points at
 * the definitions, which must outlive it (they are static in their modules). */
typedef struct SimTrSchema {
    const SimTrKindDef *def[SIM_TRACE_MAX_KINDS];
} SimTrSchema;

void sim_trschema_init(SimTrSchema *s);   /* empty */
/* Adds n kinds. SIM_OK, or SIM_EINVAL (nothing added) when a number is out of
 * range or already holds another definition, a name is taken by another
 * number, or the types and field names disagree. Adding the very same
 * definition again is a no-op. */
int sim_trschema_add(SimTrSchema *s, const SimTrKindDef *defs, size_t n);
int sim_trschema_add_core(SimTrSchema *s);   /* the SIM_TR_* kinds above */
const SimTrKindDef *sim_trschema_get(const SimTrSchema *s, int kind);   /* NULL if unknown */
int sim_trschema_find(const SimTrSchema *s, const char *name);          /* the number, or 0 */

/* ---- writing ----------------------------------------------------------- */
typedef struct SimTraceWriter SimTraceWriter;

/* Opens path for writing and writes the header. meta_json is the header's JSON
 * text. path NULL: nothing is written, but the bytes are hashed all the same
 * (sim_trace_close's sha_hex is the hash the file would have had). Returns NULL with a message in err on failure. The writer owns the file;
 * schema must outlive the writer (kinds added to it later are seen). */
SimTraceWriter *sim_trace_create(SimMem *m, const SimTrSchema *schema, const char *path,
                                 const char *meta_json, SimErr *err);
/* Appends one record; the kind must be in the schema and vals match it
 * (asserted). Returns SIM_OK or SIM_EIO/SIM_ENOMEM (sticky: later calls
 * return the same). */
int sim_trace_emit(SimTraceWriter *w, int kind, SimTime t, const SimTrVal *vals, size_t n);
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

/* Opens and checks the header. NULL with a message in err on failure. A
 * record of a kind the schema lacks is an error (SIM_ECORRUPT); schema must
 * outlive the reader. */
SimTraceReader *sim_trace_open(SimMem *m, const SimTrSchema *schema, const char *path, SimErr *err);
const char *sim_trace_meta(const SimTraceReader *r);   /* the header's JSON text */
/* SIM_OK with the next record, SIM_DONE after the end marker, SIM_ECORRUPT on a
 * bad checksum or framing or a missing end marker (message in sim_trace_error). */
int sim_trace_next(SimTraceReader *r, SimTraceRec *out);
const char *sim_trace_error(const SimTraceReader *r);
void sim_trace_close_reader(SimTraceReader *r);

/* Prints the trace as JSON lines: first {"meta": ...}, then one object per
 * record {"t_ns":N,"kind":"pod_bind","pod":3,"node":7}, named by the schema. The whole file is
 * read and checked first (every block's framing, checksum and records), so a
 * damaged file prints nothing to out; it must be a regular file, as it is
 * read twice. Returns SIM_OK, or an error after printing the message (file
 * and byte offset) to err_out. */
int sim_trace_dump(SimMem *m, const SimTrSchema *schema, const char *path, FILE *out, FILE *err_out);

/* ---- checksums (also used elsewhere) ------------------------------------ */
uint32_t sim_crc32(uint32_t crc, const void *data, size_t n);   /* start with 0 */

/* SHA-256 through OpenSSL's libcrypto (its SHA extensions or AVX2 code:
 * about 10x the portable code here), or, when libcrypto cannot allocate its
 * context, through the portable code; the digest is the same either way. */
typedef struct SimSha256 {
    void *evp;   /* libcrypto's EVP_MD_CTX, owned; NULL: the portable state below */
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t nbuf;
} SimSha256;
void sim_sha256_init(SimSha256 *s);
/* The portable code whatever libcrypto offers (tests compare the two). */
void sim_sha256_init_portable(SimSha256 *s);
void sim_sha256_update(SimSha256 *s, const void *data, size_t n);
void sim_sha256_hex(SimSha256 *s, char hex[65]);   /* finishes s and frees what it holds */
/* Frees what an unfinished s holds (nothing after sim_sha256_hex; idempotent). */
void sim_sha256_free(SimSha256 *s);

#endif
