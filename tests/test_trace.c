/*
 * test_trace.c: the binary trace (sim/trace.c), CRC-32 and SHA-256. Pins the
 * file format of trace.h byte for byte where it matters (block framing, time
 * deltas that restart at each block, the end marker), that damage is reported
 * with a byte offset rather than misread, and that every allocation failure
 * unwinds without a leak. Files go to a mkdtemp directory that main() removes.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scheduler/ca.h"
#include "sim/trace.h"
#include "workloads/hpa.h"
#include "workloads/faults.h"

#include "tr.h"

#define TMP_ENV "KUBESIM_TRACE_TEST_DIR"
#define META "{\"scenario\":\"unit\",\"seed\":42,\"kubesim\":\"" KUBESIM_VERSION "\"}"

/* ---- helpers ------------------------------------------------------------ */

/* Every kind a kubesim trace may hold (scenarios/modules.c), built once per
 * test process; the tests only read it. */
static const SimTrSchema *schema(void)
{
    static SimTrSchema all;
    static int built;
    if (!built) {
        ck_assert_int_eq(scn_trace_schema(&all), SIM_OK);
        built = 1;
    }
    return &all;
}

/* A path inside this run's temporary directory (main() passes it through the
 * environment so that forked tests see it without a global). */
static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv(TMP_ENV);
    ck_assert_ptr_nonnull(dir);
    snprintf(buf, n, "%s/%s", dir, name);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *len = (size_t)sz;
    return b;
}

static void spit(const char *path, const void *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t varint(const unsigned char *p, size_t *pos)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        unsigned char b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return v;
    }
}

static int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Byte offset of the first block: magic, version, meta_len, meta, crc. */
static size_t header_len(const unsigned char *file)
{
    return 8 + 4 + 4 + le32(file + 12) + 4;
}

static SimTraceWriter *create_or_fail(SimMem *m, const char *path, const char *meta)
{
    SimErr err = SIM_ERR_INIT;
    SimTraceWriter *w = sim_trace_create(m, schema(), path, meta, &err);
    ck_assert_msg(w != NULL, "sim_trace_create: %s", sim_err_msg(&err));
    return w;
}

static SimTraceReader *open_or_fail(SimMem *m, const char *path)
{
    SimErr err = SIM_ERR_INIT;
    SimTraceReader *r = sim_trace_open(m, schema(), path, &err);
    ck_assert_msg(r != NULL, "sim_trace_open: %s", sim_err_msg(&err));
    return r;
}

/* One record of every kind, with edge values: extreme integers, a time that
 * goes back, strings that need JSON escaping or are empty. */
typedef struct Fixture {
    int kind;
    SimTime t;
    size_t n;
    SimTrVal v[SIM_TRACE_MAX_FIELDS];
} Fixture;

#define I(x) {.i = (x), .s = NULL}
#define S(x) {.i = 0, .s = (x)}
static const Fixture every_kind[] = {
    {SIM_TR_REGION, 0, 2, {I(0), S("ap-northeast-2")}},
    {SIM_TR_ZONE, 0, 3, {I(1), I(0), S("ap-northeast-2a \"quoted\" \\ \n\t")}},
    {SIM_TR_NODEGROUP, 1, 10, {I(2), I(0), S("gpu-a100"), I(96000), I(INT64_C(824633720832)), I(8),
                               I(110), I(32770000), I(0), I(16)}},
    {SIM_TR_NAMESPACE, 1, 2, {I(3), S("")}},
    {SIM_TR_WORKLOAD, SIM_SEC(1), 6, {I(4), I(0), I(3), I(1), S("backtest 서울"), I(-1)}},
    {SIM_TR_NODE_ADD, SIM_SEC(2), 4, {I(5), I(2), I(-1), S("gpu-a100-0")}},
    {SIM_TR_NODE_READY, SIM_SEC(90), 1, {I(5)}},
    {SIM_TR_NODE_REMOVE, SIM_SEC(80), 1, {I(INT64_MAX)}},   /* time goes back */
    {SIM_TR_POD_CREATE, SIM_SEC(100), 8, {I(6), I(4), I(3), I(0), I(500), I(INT64_C(1) << 32), I(0),
                                          S("backtest-7f9c-0")}},
    {SIM_TR_POD_BIND, INT64_MAX, 2, {I(6), I(5)}},
    {SIM_TR_POD_RUNNING, 0, 1, {I(INT64_MIN)}},
    {SIM_TR_POD_END, INT64_MIN, 2, {I(6), I(1)}},
    {SIM_TR_POD_DELETE, -1, 1, {I(0)}},
    {SIM_TR_POD_UNSCHEDULABLE, SIM_SEC(3600), 2, {I(7), S("0/3 nodes are available: 3 Insufficient cpu.")}},
    {WL_TR_SCALE, SIM_SEC(3600), 3, {I(4), I(2), I(10)}},   /* a module's kind */
    {SIM_TR_END, SIM_SEC(7200), 1, {I(123456789)}},
};
#define NEVERY (sizeof every_kind / sizeof every_kind[0])

static void emit_every_kind(SimTraceWriter *w)
{
    for (size_t i = 0; i < NEVERY; i++) {
        const Fixture *f = &every_kind[i];
        ck_assert_int_eq(sim_trace_emit(w, f->kind, f->t, f->v, f->n), SIM_OK);
    }
}

static void write_every_kind(SimMem *m, const char *path, char sha[65])
{
    SimTraceWriter *w = create_or_fail(m, path, META);
    emit_every_kind(w);
    ck_assert_uint_eq(sim_trace_records(w), NEVERY);
    ck_assert_int_eq(sim_trace_close(w, sha), SIM_OK);
}

static void check_same_record(const SimTraceRec *rec, const Fixture *f)
{
    const char *types = sim_trschema_get(schema(), f->kind)->types;
    ck_assert_int_eq(rec->kind, (int)f->kind);
    ck_assert(rec->t == f->t);
    ck_assert_uint_eq(rec->n, f->n);
    for (size_t k = 0; k < f->n; k++) {
        if (types[k] == 's') {
            ck_assert_str_eq(rec->v[k].s, f->v[k].s);
        } else {
            ck_assert(rec->v[k].i == f->v[k].i);
            ck_assert_ptr_null(rec->v[k].s);
        }
    }
}

/* Writes n pod_bind records 7 ms apart, starting an hour in; returns the
 * time of record i through pod_bind_t(). */
static SimTime pod_bind_t(size_t i)
{
    return SIM_SEC(3600) + (SimTime)i * SIM_MS(7);
}

static void write_pod_binds(SimMem *m, const char *path, size_t n)
{
    SimTraceWriter *w = create_or_fail(m, path, META);
    for (size_t i = 0; i < n; i++) {
        SimTrVal v[] = {SIM_TRI(i), SIM_TRI(i % 977)};
        ck_assert_int_eq(sim_trace_emit(w, SIM_TR_POD_BIND, pod_bind_t(i), v, 2), SIM_OK);
    }
    ck_assert_int_eq(sim_trace_close(w, NULL), SIM_OK);
}

/* Walks the blocks of a file; returns how many, with the record count and
 * end offset of each in recs[] and ends[]. */
static size_t walk_blocks(const unsigned char *b, size_t len, size_t max, uint32_t *recs, size_t *ends)
{
    size_t off = header_len(b), nb = 0;
    while (off + 4 <= len && memcmp(b + off, "KSB1", 4) == 0) {
        ck_assert_uint_lt(nb, max);
        uint32_t plen = le32(b + off + 4);
        ck_assert_uint_le(off + 16 + plen, len);
        ck_assert_uint_eq(le32(b + off + 12), sim_crc32(0, b + off + 16, plen));
        recs[nb] = le32(b + off + 8);
        off += 16 + plen;
        ends[nb++] = off;
    }
    return nb;
}

static int drain(SimTraceReader *r, size_t *count)
{
    SimTraceRec rec;
    int rc;
    *count = 0;
    while ((rc = sim_trace_next(r, &rec)) == SIM_OK)
        (*count)++;
    return rc;
}

static size_t count_lines(FILE *f)
{
    size_t n = 0;
    int c;
    rewind(f);
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    return n;
}

/* ---- schema --------------------------------------------------------------- */

/* A record kind's number is part of the file format: every kind a kubesim
 * trace may hold, whichever module registers it, keeps the number it had
 * when sim/trace.h listed them all. */
static const struct { int kind; const char *name; } numbers[] = {
    {1, "region"}, {2, "zone"}, {3, "nodegroup"}, {4, "namespace"}, {5, "workload"}, {6, "node_add"},
    {7, "node_ready"}, {8, "node_remove"}, {9, "pod_create"}, {10, "pod_bind"}, {11, "pod_running"},
    {12, "pod_end"}, {13, "pod_delete"}, {14, "pod_unschedulable"}, {15, "scale"}, {16, "end"},
    {17, "quota_reject"}, {18, "pod_preempt"}, {19, "pod_nominate"}, {20, "pod_evict"}, {21, "queue"},
    {22, "queue_submit"}, {23, "queue_take"}, {24, "queue_done"}, {25, "queue_requeue"},
    {26, "queue_fail"}, {27, "pod_index"}, {28, "job_end"}, {29, "workload_delete"}, {30, "cronjob"},
    {31, "rs_create"}, {32, "rs_scale"}, {33, "deploy_condition"}, {34, "volume_provision"},
    {35, "hpa"}, {36, "traffic"}, {37, "node_state"}, {38, "node_cordon"}, {39, "pod_ready"},
    {40, "ca_scale_up"}, {41, "ca_scale_down"}, {42, "ca_backoff"}, {43, "fault"}, {44, "pod_terminating"},
    {45, "pod_sched_fail"}, {46, "ca_decision"}, {47, "ca_no_scale_up"}, {48, "hpa_sync"}, {49, "serve"},
};

START_TEST(trace_kind_numbers_are_the_file_format)
{
    const SimTrSchema *s = schema();
    size_t n = 0;
    for (int k = 0; k < SIM_TRACE_MAX_KINDS; k++)
        n += sim_trschema_get(s, k) != NULL;
    ck_assert_uint_eq(n, sizeof numbers / sizeof numbers[0]);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(sim_trschema_get(s, numbers[i].kind));
        ck_assert_str_eq(sim_trschema_get(s, numbers[i].kind)->name, numbers[i].name);
        ck_assert_int_eq(sim_trschema_find(s, numbers[i].name), numbers[i].kind);
    }
    ck_assert_int_eq(SIM_TR_POD_BIND, 10);
    ck_assert_int_eq(WL_TR_HPA, 35);
    ck_assert_int_eq(SCHED_TR_CA_BACKOFF, 42);
    ck_assert_int_eq(WL_TR_FAULT, 43);
}
END_TEST

START_TEST(trace_schema_covers_every_kind)
{
    const SimTrSchema *s = schema();
    for (int k = 1; k < SIM_TRACE_MAX_KINDS; k++) {
        const SimTrKindDef *d = sim_trschema_get(s, k);
        if (d == NULL)
            continue;
        const char *name = d->name, *types = d->types;
        const char *const *fields = d->fields;
        ck_assert_int_eq(d->kind, k);
        ck_assert_uint_eq(strspn(name, "abcdefghijklmnopqrstuvwxyz_"), strlen(name));
        ck_assert_uint_le(strlen(types), SIM_TRACE_MAX_FIELDS);
        ck_assert_uint_eq(strspn(types, "is"), strlen(types));
        for (size_t i = 0; i < strlen(types); i++) {
            ck_assert_ptr_nonnull(fields[i]);
            ck_assert_str_ne(fields[i], "kind");   /* the dump's own key */
            ck_assert_str_ne(fields[i], "t_ns");
        }
        ck_assert_ptr_null(fields[strlen(types)]);
    }
    ck_assert_str_eq(sim_trschema_get(s, SIM_TR_POD_BIND)->name, "pod_bind");
    ck_assert_str_eq(sim_trschema_get(s, SIM_TR_NODEGROUP)->types, "iisiiiiiii");
    ck_assert_str_eq(sim_trschema_get(s, SIM_TR_POD_CREATE)->types, "iiiiiiis");
    ck_assert_str_eq(sim_trschema_get(s, WL_TR_SCALE)->fields[1], "from");
    ck_assert_ptr_null(sim_trschema_get(s, 0));
    ck_assert_ptr_null(sim_trschema_get(s, SIM_TRACE_MAX_KINDS));
    ck_assert_ptr_null(sim_trschema_get(s, -3));
    ck_assert_int_eq(sim_trschema_find(s, "no_such_kind"), 0);
}
END_TEST

/* A module's kinds join a table only whole and only where they fit: a number
 * or a name held by another definition, a number out of range, or types and
 * fields that disagree are refused and add nothing; the same definitions
 * again are a no-op (a module started twice on one engine). */
static const SimTrKindDef toy_ok[] = {
    {100, "toy_a", "is", {"id", "what"}},
    {101, "toy_b", "i", {"id"}},
};
static const SimTrKindDef toy_same_number[] = {{SIM_TR_POD_BIND, "toy_bind", "ii", {"pod", "node"}}};
static const SimTrKindDef toy_same_name[] = {{102, "pod_bind", "ii", {"pod", "node"}}};
static const SimTrKindDef toy_bad[] = {
    {103, "toy_c", "i", {"id"}},
    {104, "toy_d", "ix", {"id", "odd"}},                /* unknown type letter */
};
static const SimTrKindDef toy_fields[] = {{105, "toy_e", "ii", {"id"}}};        /* a field short */
static const SimTrKindDef toy_kind_key[] = {{106, "toy_f", "i", {"kind"}}};    /* the dump's own key */
static const SimTrKindDef toy_range[] = {{SIM_TRACE_MAX_KINDS, "toy_g", "i", {"id"}}};
static const SimTrKindDef toy_twice[] = {{107, "toy_h", "i", {"id"}}, {107, "toy_i", "i", {"id"}}};

START_TEST(trace_schema_refuses_a_taken_number_or_name)
{
    SimTrSchema s;
    sim_trschema_init(&s);
    ck_assert_ptr_null(sim_trschema_get(&s, SIM_TR_POD_BIND));
    ck_assert_int_eq(sim_trschema_add_core(&s), SIM_OK);
    ck_assert_int_eq(sim_trschema_add(&s, toy_ok, 2), SIM_OK);
    ck_assert_int_eq(sim_trschema_add(&s, toy_ok, 2), SIM_OK);   /* the same again */
    ck_assert_int_eq(sim_trschema_find(&s, "toy_b"), 101);
    ck_assert_int_eq(sim_trschema_add(&s, toy_same_number, 1), SIM_EINVAL);
    ck_assert_str_eq(sim_trschema_get(&s, SIM_TR_POD_BIND)->name, "pod_bind");
    ck_assert_int_eq(sim_trschema_add(&s, toy_same_name, 1), SIM_EINVAL);
    ck_assert_int_eq(sim_trschema_add(&s, toy_bad, 2), SIM_EINVAL);
    ck_assert_ptr_null(sim_trschema_get(&s, 103));   /* nothing of a refused group */
    ck_assert_int_eq(sim_trschema_add(&s, toy_fields, 1), SIM_EINVAL);
    ck_assert_int_eq(sim_trschema_add(&s, toy_kind_key, 1), SIM_EINVAL);
    ck_assert_int_eq(sim_trschema_add(&s, toy_range, 1), SIM_EINVAL);
    ck_assert_int_eq(sim_trschema_add(&s, toy_twice, 2), SIM_EINVAL);
    ck_assert_ptr_null(sim_trschema_get(&s, 107));
}
END_TEST

/* A reader knows only its schema's kinds: a module's record read with the
 * core kinds alone is an unknown kind, named with its number and offset. */
START_TEST(trace_reader_refuses_a_kind_its_schema_lacks)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512];
    SimErr err = SIM_ERR_INIT;
    tmp_path(path, sizeof path, "lacks.kst");
    SimTraceWriter *w = create_or_fail(&m, path, META);
    ck_assert_int_eq(sim_trace_emit(w, SIM_TR_REGION, 0, (SimTrVal[]){SIM_TRI(0), SIM_TRS("r")}, 2), SIM_OK);
    SimTrVal hpa[] = {SIM_TRS("h"), SIM_TRI(0), SIM_TRI(1), SIM_TRI(2), SIM_TRS("none")};
    ck_assert_int_eq(sim_trace_emit(w, WL_TR_HPA, 1, hpa, 5), SIM_OK);
    ck_assert_int_eq(sim_trace_close(w, NULL), SIM_OK);
    SimTrSchema core;
    sim_trschema_init(&core);
    ck_assert_int_eq(sim_trschema_add_core(&core), SIM_OK);
    SimTraceReader *r = sim_trace_open(&m, &core, path, &err);
    ck_assert_ptr_nonnull(r);
    SimTraceRec rec;
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_OK);
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_ECORRUPT);
    ck_assert_msg(strstr(sim_trace_error(r), "unknown record kind 35") != NULL, "%s", sim_trace_error(r));
    sim_trace_close_reader(r);
    r = open_or_fail(&m, path);   /* with every module's kinds it reads */
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_OK);
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_OK);
    ck_assert_int_eq(rec.kind, WL_TR_HPA);
    ck_assert_str_eq(rec.v[4].s, "none");
    sim_trace_close_reader(r);
    unlink(path);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* ---- round trip ------------------------------------------------------------ */

START_TEST(trace_roundtrip_every_kind)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512], sha[65];
    tmp_path(path, sizeof path, "every.kst");
    write_every_kind(&m, path, sha);
    SimTraceReader *r = open_or_fail(&m, path);
    ck_assert_str_eq(sim_trace_meta(r), META);
    SimTraceRec rec;
    for (size_t i = 0; i < NEVERY; i++) {
        ck_assert_int_eq(sim_trace_next(r, &rec), SIM_OK);
        check_same_record(&rec, &every_kind[i]);
    }
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_DONE);
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_DONE);
    sim_trace_close_reader(r);
    /* The smallest file: empty meta, no records. */
    ck_assert_int_eq(sim_trace_close(create_or_fail(&m, path, ""), sha), SIM_OK);
    r = open_or_fail(&m, path);
    ck_assert_str_eq(sim_trace_meta(r), "");
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_DONE);
    sim_trace_close_reader(r);
    ck_assert_int_eq(m.live, 0);
    unlink(path);
}
END_TEST

START_TEST(trace_same_records_same_bytes_and_sha)
{
    SimMem m;
    sim_mem_init(&m);
    char a[512], b[512], sha_a[65], sha_b[65], mine[65];
    tmp_path(a, sizeof a, "same-a.kst");
    tmp_path(b, sizeof b, "same-b.kst");
    write_every_kind(&m, a, sha_a);
    write_every_kind(&m, b, sha_b);
    size_t la, lb;
    unsigned char *ba = slurp(a, &la), *bb = slurp(b, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert(memcmp(ba, bb, la) == 0);
    ck_assert_str_eq(sha_a, sha_b);
    /* The returned hash is the hash of the file's bytes, lowercase hex. */
    SimSha256 s;
    sim_sha256_init(&s);
    sim_sha256_update(&s, ba, la);
    sim_sha256_hex(&s, mine);
    ck_assert_str_eq(sha_a, mine);
    ck_assert_uint_eq(strspn(sha_a, "0123456789abcdef"), 64);
    /* One different value gives a different hash. */
    SimTraceWriter *w = create_or_fail(&m, b, META);
    emit_every_kind(w);
    ck_assert_int_eq(sim_trace_emit(w, SIM_TR_END, 0, (SimTrVal[]){SIM_TRI(1)}, 1), SIM_OK);
    ck_assert_int_eq(sim_trace_close(w, sha_b), SIM_OK);
    ck_assert_str_ne(sha_a, sha_b);
    free(ba);
    free(bb);
    unlink(a);
    unlink(b);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* trace.h: "the previous t is 0 at each block start, so a reader can seek to
 * a block": the first record of every block carries its absolute time. */
START_TEST(trace_blocks_split_and_time_deltas_reset)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512];
    tmp_path(path, sizeof path, "blocks.kst");
    const size_t n = 60000;
    write_pod_binds(&m, path, n);
    size_t len, ends[64], first = 0;
    uint32_t recs[64];
    unsigned char *b = slurp(path, &len);
    size_t nb = walk_blocks(b, len, 64, recs, ends);
    ck_assert_uint_ge(nb, 4);
    size_t off = header_len(b);
    for (size_t i = 0; i < nb; i++) {
        size_t plen = le32(b + off + 4), pos = 0;
        if (i + 1 < nb)   /* every block but the last is flushed at ~64 KiB */
            ck_assert(plen >= 65536 && plen < 65536 + 64);
        ck_assert_uint_eq(varint(b + off + 16, &pos), SIM_TR_POD_BIND);
        ck_assert(unzigzag(varint(b + off + 16, &pos)) == pod_bind_t(first));
        first += recs[i];
        off = ends[i];
    }
    ck_assert_uint_eq(first, n);
    ck_assert(memcmp(b + off, "KSE1", 4) == 0 && off + 16 == len);
    SimTraceReader *r = open_or_fail(&m, path);
    SimTraceRec rec;
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(sim_trace_next(r, &rec), SIM_OK);
        ck_assert(rec.t == pod_bind_t(i) && rec.v[0].i == (int64_t)i && rec.v[1].i == (int64_t)(i % 977));
    }
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_DONE);
    sim_trace_close_reader(r);
    free(b);
    unlink(path);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* ---- damage ---------------------------------------------------------------- */

START_TEST(trace_corrupt_block_crc_detected)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512];
    SimErr err = SIM_ERR_INIT;
    tmp_path(path, sizeof path, "corrupt.kst");
    write_every_kind(&m, path, NULL);
    size_t len;
    unsigned char *b = slurp(path, &len);
    size_t blk = header_len(b);
    b[blk + 16 + 5] ^= 0x20;   /* a byte of the first block's payload */
    spit(path, b, len);
    SimTraceReader *r = open_or_fail(&m, path);
    SimTraceRec rec;
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_ECORRUPT);
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_ECORRUPT);   /* sticky */
    char want[64];
    snprintf(want, sizeof want, "byte offset %zu", blk);
    ck_assert_msg(strstr(sim_trace_error(r), "checksum") && strstr(sim_trace_error(r), want),
                  "message: %s", sim_trace_error(r));
    sim_trace_close_reader(r);
    /* A damaged header is refused at open. */
    b[blk + 16 + 5] ^= 0x20;
    b[17] ^= 0x01;
    spit(path, b, len);
    ck_assert_ptr_null(sim_trace_open(&m, schema(), path, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "header checksum") != NULL, "message: %s", sim_err_msg(&err));
    free(b);
    unlink(path);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(trace_truncated_file_reported)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512], out_path[512], err_path[512];
    tmp_path(path, sizeof path, "cut.kst");
    tmp_path(out_path, sizeof out_path, "cut.jsonl");
    tmp_path(err_path, sizeof err_path, "cut.err");
    const size_t n = 40000;
    write_pod_binds(&m, path, n);
    size_t len, ends[64], count;
    uint32_t recs[64];
    unsigned char *b = slurp(path, &len);
    size_t nb = walk_blocks(b, len, 64, recs, ends);
    ck_assert_uint_ge(nb, 3);
    ck_assert_uint_gt(ends[nb - 1] - ends[nb - 2], 16 + 100);

    /* Without the end marker: every record, then "truncated". */
    spit(path, b, len - 16);
    SimTraceReader *r = open_or_fail(&m, path);
    ck_assert_int_eq(drain(r, &count), SIM_ECORRUPT);
    ck_assert_uint_eq(count, n);
    ck_assert_msg(strstr(sim_trace_error(r), "truncated") != NULL, "message: %s", sim_trace_error(r));
    sim_trace_close_reader(r);

    /* Cut inside the last block: the complete blocks' records, then "truncated". */
    spit(path, b, ends[nb - 2] + 100);
    r = open_or_fail(&m, path);
    ck_assert_int_eq(drain(r, &count), SIM_ECORRUPT);
    ck_assert_uint_eq(count, n - recs[nb - 1]);
    ck_assert_msg(strstr(sim_trace_error(r), "truncated") != NULL, "message: %s", sim_trace_error(r));
    sim_trace_close_reader(r);

    /* A whole block lost from the middle: every block checks out, but the
     * end marker's count does not. */
    unsigned char *gap = malloc(len);
    ck_assert_ptr_nonnull(gap);
    memcpy(gap, b, ends[0]);
    memcpy(gap + ends[0], b + ends[1], len - ends[1]);
    spit(path, gap, len - (ends[1] - ends[0]));
    r = open_or_fail(&m, path);
    ck_assert_int_eq(drain(r, &count), SIM_ECORRUPT);
    ck_assert_uint_eq(count, n - recs[1]);
    ck_assert_msg(strstr(sim_trace_error(r), "end marker") != NULL, "message: %s", sim_trace_error(r));
    sim_trace_close_reader(r);
    free(gap);

    /* The dump checks the whole file before it prints: nothing on out, then
     * the file and offset on err. */
    spit(path, b, ends[nb - 2] + 100);
    FILE *out = fopen(out_path, "w+"), *errf = fopen(err_path, "w+");
    ck_assert(out && errf);
    ck_assert_int_eq(sim_trace_dump(&m, schema(), path, out, errf), SIM_ECORRUPT);
    ck_assert_uint_eq(count_lines(out), 0);
    char msg[512] = "", want[64];
    rewind(errf);
    ck_assert_ptr_nonnull(fgets(msg, sizeof msg, errf));
    snprintf(want, sizeof want, "byte offset %zu", (size_t)ends[nb - 2] + 100);
    ck_assert_msg(strncmp(msg, path, strlen(path)) == 0 && strstr(msg, want), "message: %s", msg);
    fclose(out);
    fclose(errf);
    free(b);
    unlink(path);
    unlink(out_path);
    unlink(err_path);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(trace_bad_magic_refused)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512];
    SimErr err = SIM_ERR_INIT;
    tmp_path(path, sizeof path, "magic.kst");
    write_every_kind(&m, path, NULL);
    size_t len;
    unsigned char *b = slurp(path, &len);
    memcpy(b, "KSTRACX\n", 8);
    spit(path, b, len);
    ck_assert_ptr_null(sim_trace_open(&m, schema(), path, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "bad magic") != NULL, "message: %s", sim_err_msg(&err));
    spit(path, "", 0);
    ck_assert_ptr_null(sim_trace_open(&m, schema(), path, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "bad magic") != NULL, "message: %s", sim_err_msg(&err));
    /* A newer version is refused rather than misread. */
    memcpy(b, "KSTRACE\n", 8);
    b[8] = 2;
    spit(path, b, len);
    ck_assert_ptr_null(sim_trace_open(&m, schema(), path, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "version 2") != NULL, "message: %s", sim_err_msg(&err));
    unlink(path);
    ck_assert_ptr_null(sim_trace_open(&m, schema(), path, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "cannot open") != NULL, "message: %s", sim_err_msg(&err));
    free(b);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* Writes a file around a hand-made payload, with valid checksums, so that only
 * the framing inside the block is wrong. Returns the payload's file offset. */
static size_t write_handmade(const char *path, const unsigned char *payload, uint32_t plen, uint32_t recs)
{
    unsigned char f[256];
    size_t n = 0;
    memcpy(f, "KSTRACE\n\1\0\0\0\2\0\0\0{}", 18);
    n = 18;
    uint32_t c = sim_crc32(0, "{}", 2);
    uint32_t words[4] = {c, plen, recs, sim_crc32(0, payload, plen)};
    for (int w = 0; w < 4; w++) {
        if (w == 1) {
            memcpy(f + n, "KSB1", 4);
            n += 4;
        }
        for (int i = 0; i < 4; i++)
            f[n++] = (unsigned char)(words[w] >> (8 * i));
    }
    memcpy(f + n, payload, plen);
    spit(path, f, n + plen);
    return n;
}

/* Issue 12: a dump printed every record before the damaged block, then the
 * error; a script reading stdout took a cut trace for a whole one. */
START_TEST(trace_dump_of_a_bad_crc_prints_nothing)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512], out_path[512], err_path[512];
    tmp_path(path, sizeof path, "crcdump.kst");
    tmp_path(out_path, sizeof out_path, "crcdump.out");
    tmp_path(err_path, sizeof err_path, "crcdump.err");
    write_pod_binds(&m, path, 20000);
    size_t len;
    unsigned char *b = slurp(path, &len);
    uint32_t recs[64];
    size_t ends[64];
    size_t nb = walk_blocks(b, len, 64, recs, ends);
    ck_assert_uint_ge(nb, 3);
    b[ends[nb - 1] - 3] ^= 0x01;   /* a payload byte of the last block */
    spit(path, b, len);
    FILE *out = fopen(out_path, "w+"), *errf = fopen(err_path, "w+");
    ck_assert(out && errf);
    ck_assert_int_eq(sim_trace_dump(&m, schema(), path, out, errf), SIM_ECORRUPT);
    ck_assert_uint_eq(count_lines(out), 0);
    char msg[512] = "", want[64];
    rewind(errf);
    ck_assert_ptr_nonnull(fgets(msg, sizeof msg, errf));
    snprintf(want, sizeof want, "block at byte offset %zu", ends[nb - 2]);
    ck_assert_msg(strstr(msg, "checksum") && strstr(msg, want), "message: %s", msg);
    fclose(out);
    fclose(errf);
    free(b);
    unlink(path);
    unlink(out_path);
    unlink(err_path);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* A length field is refused above its cap before anything is allocated for
 * it, and a folder is named as one (it opens on Linux, then every read fails). */
START_TEST(trace_reader_caps_lengths_and_refuses_a_folder)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512];
    SimErr err = SIM_ERR_INIT;
    unsigned char h[20] = "KSTRACE\n\1\0\0\0";
    uint32_t huge = SIM_TRACE_MAX_META + 1;
    for (int i = 0; i < 4; i++)
        h[12 + i] = (unsigned char)(huge >> (8 * i));
    tmp_path(path, sizeof path, "caps.kst");
    spit(path, h, sizeof h);
    ck_assert_ptr_null(sim_trace_open(&m, schema(), path, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "over the limit") && strstr(sim_err_msg(&err), "meta"), "message: %s", sim_err_msg(&err));
    unsigned char payload[1] = {0};
    size_t at = write_handmade(path, payload, 1, 1);
    size_t len;
    unsigned char *b = slurp(path, &len);
    huge = SIM_TRACE_MAX_BLOCK + 1;
    for (int i = 0; i < 4; i++)
        b[at - 12 + i] = (unsigned char)(huge >> (8 * i));   /* the block's payload_len */
    spit(path, b, len);
    SimTraceReader *r = open_or_fail(&m, path);
    SimTraceRec rec;
    ck_assert_int_eq(sim_trace_next(r, &rec), SIM_ECORRUPT);
    ck_assert_msg(strstr(sim_trace_error(r), "over the limit"), "message: %s", sim_trace_error(r));
    sim_trace_close_reader(r);
    unlink(path);
    free(b);
    tmp_path(path, sizeof path, "");
    ck_assert_ptr_null(sim_trace_open(&m, schema(), path, &err));
    ck_assert_msg(strstr(sim_err_msg(&err), "is a folder"), "message: %s", sim_err_msg(&err));
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(trace_unknown_kind_and_bad_framing_refused)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512], want[64];
    tmp_path(path, sizeof path, "framing.kst");
    struct { const unsigned char *p; uint32_t len; const char *what; size_t at; } cases[] = {
        {(const unsigned char *)"\2\0\0\0\2hi" "\x63\0", 9, "unknown record kind 99", 7},
        {(const unsigned char *)"\1\0\0\x32" "abc", 7, "string runs past", 3},
        {(const unsigned char *)"\1\0\0\3a\0c", 7, "NUL byte", 3},
        {(const unsigned char *)"\7\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 12, "bad integer", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t recs = i == 0 ? 2 : 1;
        size_t at = write_handmade(path, cases[i].p, cases[i].len, recs);
        SimTraceReader *r = open_or_fail(&m, path);
        size_t count;
        ck_assert_int_eq(drain(r, &count), SIM_ECORRUPT);
        ck_assert_uint_eq(count, i == 0 ? 1 : 0);
        snprintf(want, sizeof want, "at byte offset %zu", at + cases[i].at);
        ck_assert_msg(strstr(sim_trace_error(r), cases[i].what) && strstr(sim_trace_error(r), want),
                      "case %zu: %s", i, sim_trace_error(r));
        sim_trace_close_reader(r);
    }
    unlink(path);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* ---- checksums --------------------------------------------------------------- */

static uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

START_TEST(crc32_known_vectors)
{
    ck_assert_uint_eq(sim_crc32(0, "123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(sim_crc32(0, "", 0), 0);
    ck_assert_uint_eq(sim_crc32(0, "a", 1), 0xE8B7BE43u);
    const char *fox = "The quick brown fox jumps over the lazy dog";
    ck_assert_uint_eq(sim_crc32(0, fox, strlen(fox)), 0x414FA339u);
    ck_assert_uint_eq(sim_crc32(sim_crc32(0, fox, 10), fox + 10, strlen(fox) - 10), 0x414FA339u);
    unsigned char all[256];
    for (int i = 0; i < 256; i++) {
        all[i] = (unsigned char)i;
        ck_assert_uint_eq(sim_crc32(0, all + i, 1), crc32_bitwise(all + i, 1));
    }
    ck_assert_uint_eq(sim_crc32(0, all, 256), crc32_bitwise(all, 256));
}
END_TEST

/* The eight-bytes-per-step loop against the bit-at-a-time CRC: every length
 * from 0 to 80 at every start offset 0-7 (the tail after the last whole
 * eight bytes, and unaligned loads), and the same bytes fed in two pieces
 * split anywhere. Bytes from a fixed LCG so that every table is exercised. */
START_TEST(crc32_every_length_and_alignment)
{
    unsigned char b[96];
    uint32_t x = 12345u;
    for (size_t i = 0; i < sizeof b; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (unsigned char)(x >> 23);
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= 88; n++) {
            uint32_t want = crc32_bitwise(b + off, n);
            ck_assert_uint_eq(sim_crc32(0, b + off, n), want);
            for (size_t cut = 0; cut <= n; cut += 3)
                ck_assert_uint_eq(sim_crc32(sim_crc32(0, b + off, cut), b + off + cut, n - cut), want);
        }
    /* a 64 KiB block, the writer's usual size */
    size_t big = 65536 + 5;
    unsigned char *p = malloc(big);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < big; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 23);
    }
    ck_assert_uint_eq(sim_crc32(0, p, big), crc32_bitwise(p, big));
    free(p);
}
END_TEST

/* Both implementations: libcrypto's (the default) and the portable fallback. */
static void check_sha(const void *data, size_t n, const char *want)
{
    void (*const init[2])(SimSha256 *s) = {sim_sha256_init, sim_sha256_init_portable};
    for (int k = 0; k < 2; k++) {
        SimSha256 s;
        char hex[65];
        init[k](&s);
        ck_assert_msg((s.evp == NULL) == (k == 1), "implementation %d not chosen", k);
        sim_sha256_update(&s, data, n);
        sim_sha256_hex(&s, hex);
        ck_assert_msg(strcmp(hex, want) == 0, "%s: %s", k ? "portable" : "libcrypto", hex);
        ck_assert_ptr_null(s.evp);
        /* Byte at a time reaches the same state as one call. */
        init[k](&s);
        for (size_t i = 0; i < n; i++)
            sim_sha256_update(&s, (const unsigned char *)data + i, 1);
        sim_sha256_hex(&s, hex);
        ck_assert_msg(strcmp(hex, want) == 0, "%s, byte at a time: %s", k ? "portable" : "libcrypto", hex);
    }
    /* An unfinished hash is freed (ASan and valgrind see a leak if not). */
    SimSha256 s;
    sim_sha256_init(&s);
    sim_sha256_update(&s, data, n);
    sim_sha256_free(&s);
    sim_sha256_free(&s);
}

START_TEST(sha256_known_vectors)
{
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_sha(m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    /* A million 'a', fed in uneven pieces so every buffer boundary is crossed. */
    char a[1000];
    memset(a, 'a', sizeof a);
    void (*const init[2])(SimSha256 *s) = {sim_sha256_init, sim_sha256_init_portable};
    for (int i = 0; i < 2; i++) {
        SimSha256 s;
        char hex[65];
        init[i](&s);
        for (size_t done = 0, k = 1; done < 1000000; k = k % 997 + 1) {
            size_t piece = k < 1000000 - done ? k : 1000000 - done;
            sim_sha256_update(&s, a, piece);
            done += piece;
        }
        sim_sha256_hex(&s, hex);
        ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
}
END_TEST

/* ---- dump ----------------------------------------------------------------------- */

static cJSON *parse_line(FILE *f)
{
    char line[4096];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_msg(strchr(line, '\n') != NULL, "line not terminated: %s", line);
    cJSON *j = cJSON_Parse(line);
    ck_assert_msg(j != NULL && cJSON_IsObject(j), "not a JSON object: %s", line);
    return j;
}

static void check_dumped_record(cJSON *j, const Fixture *f)
{
    const SimTrKindDef *d = sim_trschema_get(schema(), f->kind);
    const char *types = d->types;
    const char *const *names = d->fields;
    ck_assert_uint_eq((size_t)cJSON_GetArraySize(j), 2 + f->n);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring, d->name);
    ck_assert(cJSON_GetObjectItemCaseSensitive(j, "t_ns")->valuedouble == (double)f->t);
    for (size_t k = 0; k < f->n; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(j, names[k]);
        ck_assert_ptr_nonnull(v);
        if (types[k] == 's')
            ck_assert_str_eq(v->valuestring, f->v[k].s);
        else
            ck_assert(v->valuedouble == (double)f->v[k].i);
    }
}

START_TEST(trace_dump_prints_json_lines)
{
    SimMem m;
    sim_mem_init(&m);
    char path[512], out_path[512], line[512];
    tmp_path(path, sizeof path, "dump.kst");
    tmp_path(out_path, sizeof out_path, "dump.jsonl");
    /* Pretty-printed meta with a seed above 2^53: printed on one line, exactly. */
    const char *meta = "{\n  \"scenario\": \"market open\",\n  \"seed\": 18446744073709551615\n}\n";
    SimTraceWriter *w = create_or_fail(&m, path, meta);
    emit_every_kind(w);
    SimTrVal odd[] = {SIM_TRI(9), SIM_TRS("ctl\x01 bad\xff\xc0\xaf end")};
    ck_assert_int_eq(sim_trace_emit(w, SIM_TR_POD_UNSCHEDULABLE, 5, odd, 2), SIM_OK);
    ck_assert_int_eq(sim_trace_close(w, NULL), SIM_OK);

    FILE *out = fopen(out_path, "w+");
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(sim_trace_dump(&m, schema(), path, out, stderr), SIM_OK);
    ck_assert_uint_eq(count_lines(out), 1 + NEVERY + 1);
    rewind(out);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, out));
    ck_assert_str_eq(line, "{\"meta\":{\"scenario\":\"market open\",\"seed\":18446744073709551615}}\n");
    for (size_t i = 0; i < NEVERY; i++) {
        cJSON *j = parse_line(out);
        check_dumped_record(j, &every_kind[i]);
        cJSON_Delete(j);
    }
    /* Control bytes are escaped; bytes that are not UTF-8 become U+FFFD. */
    cJSON *j = parse_line(out);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "reason")->valuestring,
                     "ctl\x01 bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
    cJSON_Delete(j);
    fclose(out);
    unlink(path);
    unlink(out_path);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* ---- out of memory ------------------------------------------------------------ */

/* Writes, reads back and dumps a trace whose blocks and strings make both the
 * writer's and the reader's buffers grow. Returns the first error. */
static int oom_round(SimMem *m, const char *path, const char *out_path, const char *big)
{
    SimErr err = SIM_ERR_INIT;
    SimTraceWriter *w = sim_trace_create(m, schema(), path, META, &err);
    if (w == NULL) {
        ck_assert_msg(strstr(sim_err_msg(&err), "out of memory") != NULL, "message: %s", sim_err_msg(&err));
        return SIM_ENOMEM;
    }
    int rc = SIM_OK;
    SimTrVal v[] = {SIM_TRI(1), SIM_TRS(big)};
    for (size_t i = 0; i < 3 && rc == SIM_OK; i++)
        rc = sim_trace_emit(w, SIM_TR_POD_UNSCHEDULABLE, (SimTime)i, v, 2);
    if (rc != SIM_OK) {
        ck_assert_int_eq(sim_trace_emit(w, SIM_TR_POD_RUNNING, 0, v, 1), rc);   /* sticky */
        sim_trace_abort(w);
        return rc;
    }
    emit_every_kind(w);
    if ((rc = sim_trace_close(w, NULL)) != SIM_OK)
        return rc;
    SimTraceReader *r = sim_trace_open(m, schema(), path, &err);
    if (r == NULL)
        return m->oom ? SIM_ENOMEM : SIM_EIO;
    size_t count;
    rc = drain(r, &count);
    sim_trace_close_reader(r);
    if (rc != SIM_DONE)
        return rc;
    FILE *out = fopen(out_path, "w"), *errf = fopen("/dev/null", "w");
    ck_assert(out && errf);
    rc = sim_trace_dump(m, schema(), path, out, errf);
    fclose(out);
    fclose(errf);
    return rc;
}

START_TEST(trace_oom_sweep_leaks_nothing)
{
    char path[512], out_path[512];
    tmp_path(path, sizeof path, "oom.kst");
    tmp_path(out_path, sizeof out_path, "oom.jsonl");
    size_t biglen = 300000;
    char *big = malloc(biglen + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', biglen);
    big[biglen] = '\0';
    int finished = 0;
    for (uint64_t n = 1; n < 500 && !finished; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        int rc = oom_round(&m, path, out_path, big);
        ck_assert_msg(m.live == 0, "fail_at %d: %lld bytes leaked", (int)n, (long long)m.live);
        if (m.oom) {
            ck_assert_msg(rc == SIM_ENOMEM, "fail_at %d: got %d", (int)n, rc);
        } else {
            ck_assert_int_eq(rc, SIM_OK);
            ck_assert_uint_gt(n, 4);   /* the sweep did fail something */
            finished = 1;
        }
    }
    ck_assert(finished);
    free(big);
    unlink(path);
    unlink(out_path);
}
END_TEST

/* ---- runner ---------------------------------------------------------------------- */

static Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, trace_kind_numbers_are_the_file_format);
    tcase_add_test(tc, trace_schema_covers_every_kind);
    tcase_add_test(tc, trace_schema_refuses_a_taken_number_or_name);
    tcase_add_test(tc, trace_reader_refuses_a_kind_its_schema_lacks);
    tcase_add_test(tc, trace_roundtrip_every_kind);
    tcase_add_test(tc, trace_same_records_same_bytes_and_sha);
    tcase_add_test(tc, trace_blocks_split_and_time_deltas_reset);
    tcase_add_test(tc, trace_corrupt_block_crc_detected);
    tcase_add_test(tc, trace_truncated_file_reported);
    tcase_add_test(tc, trace_bad_magic_refused);
    tcase_add_test(tc, trace_dump_of_a_bad_crc_prints_nothing);
    tcase_add_test(tc, trace_reader_caps_lengths_and_refuses_a_folder);
    tcase_add_test(tc, trace_unknown_kind_and_bad_framing_refused);
    tcase_add_test(tc, crc32_known_vectors);
    tcase_add_test(tc, crc32_every_length_and_alignment);
    tcase_add_test(tc, sha256_known_vectors);
    tcase_add_test(tc, trace_dump_prints_json_lines);
    tcase_add_test(tc, trace_oom_sweep_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}

/* Removes the (flat) temporary directory, whatever failed tests left in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1024];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    char dir[] = "/tmp/kubesim-test-trace-XXXXXX";
    if (mkdtemp(dir) == NULL || setenv(TMP_ENV, dir, 1) != 0) {
        perror("test_trace: mkdtemp");
        return EXIT_FAILURE;
    }
    int failed = tr_run(trace_suite(), 0);
    remove_dir(dir);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
