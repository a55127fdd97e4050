/*
 * trace.c: the binary trace (format in trace.h): schema tables and the
 * engine's own record kinds, the writer, the reader and the JSON-lines dump.
 *
 * Invariant (writer): every byte that reaches the file went through put(), so
 * the running SHA-256 is the hash of the file; after the first failure
 * nothing more is written and every call returns that failure.
 * Invariant (reader): a record is returned only from a block whose length,
 * record count and CRC all checked out, so a damaged or cut file yields a
 * clean prefix of the run and then an error naming the byte offset.
 */
#include "sim/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "sim/json.h"

/* ---- schema ------------------------------------------------------------- */

/* The workload's kind field is named "wl_kind", not "kind": the dump puts every
 * field beside the record's own "kind" key, and JSON keys must be unique. It is
 * the SimWlKind number (model.h: 0 Deployment, 1 Job), as the engine emits it. */
static const SimTrKindDef core[] = {
    {SIM_TR_REGION, "region", "is", {"region", "name"}},
    {SIM_TR_ZONE, "zone", "iis", {"zone", "region", "name"}},
    {SIM_TR_NODEGROUP, "nodegroup", "iisiiiiiii",
     {"group", "region", "name", "cpu_m", "mem_bytes", "gpu", "max_pods", "price_micro", "min", "max"}},
    {SIM_TR_NAMESPACE, "namespace", "is", {"ns", "name"}},
    {SIM_TR_WORKLOAD, "workload", "iiiisi", {"wl", "region", "ns", "wl_kind", "name", "replicas"}},
    {SIM_TR_NODE_ADD, "node_add", "iiis", {"node", "group", "zone", "name"}},
    {SIM_TR_NODE_READY, "node_ready", "i", {"node"}},
    {SIM_TR_NODE_REMOVE, "node_remove", "i", {"node"}},
    {SIM_TR_POD_CREATE, "pod_create", "iiiiiiis",
     {"pod", "wl", "ns", "region", "cpu_m", "mem_bytes", "gpu", "name"}},
    {SIM_TR_POD_BIND, "pod_bind", "ii", {"pod", "node"}},
    {SIM_TR_POD_RUNNING, "pod_running", "i", {"pod"}},
    {SIM_TR_POD_END, "pod_end", "ii", {"pod", "phase"}},
    {SIM_TR_POD_DELETE, "pod_delete", "i", {"pod"}},
    {SIM_TR_POD_UNSCHEDULABLE, "pod_unschedulable", "is", {"pod", "reason"}},
    {SIM_TR_END, "end", "i", {"events"}},
    {SIM_TR_QUOTA_REJECT, "quota_reject", "iis", {"wl", "ns", "reason"}},
    {SIM_TR_POD_PREEMPT, "pod_preempt", "iii", {"pod", "by", "node"}},
    {SIM_TR_POD_NOMINATE, "pod_nominate", "ii", {"pod", "node"}},
    {SIM_TR_POD_EVICT, "pod_evict", "is", {"pod", "reason"}},
    {SIM_TR_POD_INDEX, "pod_index", "ii", {"pod", "index"}},
    {SIM_TR_NODE_STATE, "node_state", "ii", {"node", "ready"}},
    {SIM_TR_NODE_CORDON, "node_cordon", "ii", {"node", "on"}},
    {SIM_TR_POD_READY, "pod_ready", "ii", {"pod", "ready"}},
    {SIM_TR_POD_TERMINATING, "pod_terminating", "ii", {"pod", "until_ns"}},
    {SIM_TR_POD_SCHED_FAIL, "pod_sched_fail", "iis", {"pod", "attempts", "reason"}},
};

void sim_trschema_init(SimTrSchema *s)
{
    memset(s, 0, sizeof *s);
}

const SimTrKindDef *sim_trschema_get(const SimTrSchema *s, int kind)
{
    return kind > 0 && kind < SIM_TRACE_MAX_KINDS ? s->def[kind] : NULL;
}

int sim_trschema_find(const SimTrSchema *s, const char *name)
{
    for (int k = 1; k < SIM_TRACE_MAX_KINDS; k++)
        if (s->def[k] && strcmp(s->def[k]->name, name) == 0)
            return k;
    return 0;
}

/* One letter per field, a name per field and none past them, no reserved name. */
static int well_formed(const SimTrKindDef *d)
{
    size_t n = strlen(d->types);
    if (d->name == NULL || n > SIM_TRACE_MAX_FIELDS || d->fields[n] != NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((d->types[i] != 'i' && d->types[i] != 's') || d->fields[i] == NULL ||
            strcmp(d->fields[i], "kind") == 0 || strcmp(d->fields[i], "t_ns") == 0)
            return 0;
    return 1;
}

/* Can d join s? The very same definition again is fine. */
static int fits(const SimTrSchema *s, const SimTrKindDef *d)
{
    if (d->kind <= 0 || d->kind >= SIM_TRACE_MAX_KINDS || !well_formed(d))
        return 0;
    if (s->def[d->kind] != NULL)
        return s->def[d->kind] == d;
    int other = sim_trschema_find(s, d->name);
    return other == 0 || other == d->kind;
}

int sim_trschema_add(SimTrSchema *s, const SimTrKindDef *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!fits(s, &defs[i]))
            return SIM_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (defs[j].kind == defs[i].kind || strcmp(defs[j].name, defs[i].name) == 0)
                return SIM_EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        s->def[defs[i].kind] = &defs[i];
    return SIM_OK;
}

int sim_trschema_add_core(SimTrSchema *s)
{
    return sim_trschema_add(s, core, sizeof core / sizeof core[0]);
}

/* ---- encoding helpers ----------------------------------------------------- */

#define BLOCK_TARGET 65536u   /* a block is flushed once its payload reaches this */
#define VARINT_MAX 10         /* bytes of a 64-bit LEB128 varint */
#define HEAD_LEN 20           /* magic 8, version 4, meta_len 4, then meta, crc 4 */
#define BLOCK_HEAD_LEN 16     /* "KSB1", payload_len, records, crc */
#define END_LEN 16            /* "KSE1", total records u64, crc */
static const char MAGIC[8] = {'K', 'S', 'T', 'R', 'A', 'C', 'E', '\n'};

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Two's-complement reinterpretation without the implementation-defined
 * conversion of an out-of-range unsigned value to a signed type. */
static int64_t as_signed(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static uint64_t zigzag(int64_t v)
{
    return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

static int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        p[n++] = (unsigned char)(v | 0x80);
    p[n++] = (unsigned char)v;
    return n;
}

/* Reads a varint from p[*pos..len). 0 on success; -1 if it runs past len or
 * is longer than a uint64_t can hold. */
static int __attribute__((noinline)) varint_long(const unsigned char *p, size_t len, size_t *pos, uint64_t *out)
{
    size_t i = *pos;   /* a local: the byte reads cannot alias it (they could *pos) */
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && i < len; shift += 7) {
        unsigned char b = p[i++];
        if (shift == 63 && b > 1)
            break;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            *pos = i;
            return 0;
        }
    }
    *pos = i;
    return -1;
}

/* The one-byte case (most kinds, deltas and ids) inline, the rest out of line. */
static inline int get_varint(const unsigned char *p, size_t len, size_t *pos, uint64_t *out)
{
    size_t i = *pos;
    if (i < len && p[i] < 0x80) {
        *out = p[i];
        *pos = i + 1;
        return 0;
    }
    return varint_long(p, len, pos, out);
}

/* Grows a byte buffer through the hook; *buf is untouched on failure. */
static int grow_bytes(SimMem *m, unsigned char **buf, size_t *cap, size_t need)
{
    void *p = *buf;
    int rc = sim_mem_grow(m, &p, cap, need, 1);
    *buf = p;
    return rc;
}

/* ---- writer -------------------------------------------------------------- */

struct SimTraceWriter {
    SimMem *m;
    const SimTrSchema *schema;
    FILE *f;
    unsigned char *buf;   /* the open block's payload */
    size_t len, cap;
    uint32_t blk_recs;    /* records in the open block */
    SimTime prev_t;       /* time of the open block's last record; 0 at its start */
    uint64_t records;
    int err;              /* sticky: SIM_OK or the first failure */
    int os_errno;         /* errno of the first I/O failure, for messages */
    SimSha256 sha;
};

/* Every byte of the file goes through here, so the hash and the file agree. */
static void put(SimTraceWriter *w, const void *p, size_t n)
{
    if (w->err != SIM_OK)
        return;
    if (w->f != NULL && fwrite(p, 1, n, w->f) != n) {
        w->err = SIM_EIO;
        w->os_errno = errno;
        return;
    }
    sim_sha256_update(&w->sha, p, n);
}

static void write_header(SimTraceWriter *w, const char *meta, uint32_t mlen)
{
    unsigned char h[8];
    put(w, MAGIC, sizeof MAGIC);
    put_u32(h, SIM_TRACE_VERSION);
    put_u32(h + 4, mlen);
    put(w, h, 8);
    put(w, meta, mlen);
    put_u32(h, sim_crc32(0, meta, mlen));
    put(w, h, 4);
}

static void free_writer(SimTraceWriter *w)
{
    if (w->f)
        fclose(w->f);
    sim_sha256_free(&w->sha);
    sim_mem_free(w->m, w->buf, w->cap);
    sim_mem_free(w->m, w, sizeof *w);
}

SimTraceWriter *sim_trace_create(SimMem *m, const SimTrSchema *schema, const char *path,
                                 const char *meta_json, SimErr *err)
{
    const char *name = path ? path : "trace";   /* for messages */
    size_t mlen = strlen(meta_json);
    if (mlen > SIM_TRACE_MAX_META) {
        sim_err_set(err, SIM_EINVAL, "%s: trace meta text too long (%zu bytes)", name, mlen);
        return NULL;
    }
    SimTraceWriter *w = sim_mem_calloc(m, 1, sizeof *w);
    if (w == NULL) {
        sim_err_set(err, SIM_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    w->m = m;
    w->schema = schema;
    if (grow_bytes(m, &w->buf, &w->cap, BLOCK_TARGET + 256) != SIM_OK) {
        sim_err_set(err, SIM_ENOMEM, "%s: out of memory", name);
        free_writer(w);
        return NULL;
    }
    w->f = path ? fopen(path, "wb") : NULL;
    if (path && w->f == NULL) {
        sim_err_set(err, SIM_EIO, "%s: cannot create: %s", path, strerror(errno));
        free_writer(w);
        return NULL;
    }
    sim_sha256_init(&w->sha);
    write_header(w, meta_json, (uint32_t)mlen);
    if (w->err != SIM_OK) {
        sim_err_set(err, SIM_EIO, "%s: cannot write: %s", name, strerror(w->os_errno));
        free_writer(w);
        return NULL;
    }
    return w;
}

static void flush_block(SimTraceWriter *w)
{
    if (w->blk_recs == 0)
        return;
    unsigned char h[BLOCK_HEAD_LEN];
    memcpy(h, "KSB1", 4);
    put_u32(h + 4, (uint32_t)w->len);
    put_u32(h + 8, w->blk_recs);
    put_u32(h + 12, sim_crc32(0, w->buf, w->len));
    put(w, h, sizeof h);
    put(w, w->buf, w->len);
    w->len = 0;
    w->blk_recs = 0;
    w->prev_t = 0;
}

/* An upper bound of the record's encoded size, or 0 if the block holding it
 * could not be described by the header's u32 payload length. */
static size_t record_bound(const SimTraceWriter *w, const char *types, const SimTrVal *vals)
{
    uint64_t need = 2 * VARINT_MAX;   /* kind and time */
    for (size_t i = 0; types[i]; i++) {
        SIM_ASSERT((types[i] == 's') == (vals[i].s != NULL));
        /* need stays below 2^32 here, and no string in memory nears 2^63 */
        need += VARINT_MAX + (types[i] == 's' ? strlen(vals[i].s) : 0);
        if (need > SIM_TRACE_MAX_BLOCK - w->len)
            return 0;
    }
    return (size_t)need;
}

static void encode_record(SimTraceWriter *w, int kind, SimTime t, const char *types,
                          const SimTrVal *vals)
{
    unsigned char *p = w->buf + w->len;
    p += put_varint(p, (uint64_t)kind);
    /* Wrapping subtraction: any two times give a delta that adds back exactly. */
    p += put_varint(p, zigzag(as_signed((uint64_t)t - (uint64_t)w->prev_t)));
    for (size_t i = 0; types[i]; i++) {
        if (types[i] == 'i') {
            p += put_varint(p, zigzag(vals[i].i));
            continue;
        }
        size_t sl = strlen(vals[i].s);
        p += put_varint(p, sl);
        memcpy(p, vals[i].s, sl);
        p += sl;
    }
    w->len = (size_t)(p - w->buf);
    w->prev_t = t;
}

int sim_trace_emit(SimTraceWriter *w, int kind, SimTime t, const SimTrVal *vals, size_t n)
{
    const SimTrKindDef *s = sim_trschema_get(w->schema, kind);
    SIM_ASSERT(s != NULL && n == strlen(s->types));
    if (w->err != SIM_OK)
        return w->err;
    size_t need = record_bound(w, s->types, vals);
    if (need == 0)
        return w->err = SIM_EINVAL;
    if (grow_bytes(w->m, &w->buf, &w->cap, w->len + need) != SIM_OK)
        return w->err = SIM_ENOMEM;
    encode_record(w, kind, t, s->types, vals);
    w->blk_recs++;
    w->records++;
    if (w->len >= BLOCK_TARGET)
        flush_block(w);
    return w->err;
}

uint64_t sim_trace_records(const SimTraceWriter *w)
{
    return w->records;
}

static void write_end(SimTraceWriter *w)
{
    unsigned char e[END_LEN];
    memcpy(e, "KSE1", 4);
    put_u64(e + 4, w->records);
    put_u32(e + 12, sim_crc32(0, e, 12));
    put(w, e, sizeof e);
}

int sim_trace_close(SimTraceWriter *w, char sha_hex[65])
{
    flush_block(w);
    write_end(w);
    if (w->f && w->err == SIM_OK && fflush(w->f) != 0)
        w->err = SIM_EIO;
    if (w->f && fclose(w->f) != 0 && w->err == SIM_OK)
        w->err = SIM_EIO;
    w->f = NULL;
    int rc = w->err;
    if (sha_hex != NULL) {
        sim_sha256_hex(&w->sha, sha_hex);
        if (rc != SIM_OK)
            sha_hex[0] = '\0';   /* the hash of a failed file names nothing */
    }
    free_writer(w);
    return rc;
}

void sim_trace_abort(SimTraceWriter *w)
{
    if (w != NULL)
        free_writer(w);
}

/* ---- reader -------------------------------------------------------------- */

struct SimTraceReader {
    SimMem *m;
    const SimTrSchema *schema;
    FILE *f;
    char *meta;           /* NUL-terminated copy of the header's JSON text */
    size_t meta_len;
    unsigned char *buf;   /* the current block's payload */
    size_t cap, len, pos;
    uint32_t left;        /* records of the current block not yet returned */
    uint64_t off;         /* file offset of the next unread byte */
    uint64_t blk_off;     /* file offset of buf[0] */
    uint64_t records;     /* records returned so far */
    SimTime prev_t;
    int state;            /* SIM_OK while reading, then SIM_DONE or the error (sticky) */
    int regular;          /* a regular file (one that can be read a second time) */
    char err[200];
};

static int fail(SimTraceReader *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return r->state = code;
}

/* Reads exactly n bytes; a short read is a truncated file (or an I/O error). */
static int read_exact(SimTraceReader *r, void *p, size_t n, const char *what)
{
    size_t got = fread(p, 1, n, r->f);
    r->off += got;
    if (got == n)
        return SIM_OK;
    if (ferror(r->f))
        return fail(r, SIM_EIO, "read error at byte offset %" PRIu64 ": %s", r->off,
                    strerror(errno));
    return fail(r, SIM_ECORRUPT, "truncated file: ends at byte offset %" PRIu64 " inside %s",
                r->off, what);
}

/* Reads n bytes into r->buf. The buffer grows with the bytes that actually
 * arrive, so a corrupt length cannot make us allocate gigabytes up front. */
static int read_payload(SimTraceReader *r, size_t n, const char *what)
{
    const size_t chunk = (size_t)1 << 20;
    for (size_t got = 0; got < n;) {
        size_t k = n - got < chunk ? n - got : chunk;
        if (grow_bytes(r->m, &r->buf, &r->cap, got + k) != SIM_OK)
            return fail(r, SIM_ENOMEM, "out of memory");
        int rc = read_exact(r, r->buf + got, k, what);
        if (rc != SIM_OK)
            return rc;
        got += k;
    }
    return SIM_OK;
}

static int read_meta(SimTraceReader *r, uint32_t mlen)
{
    uint64_t at = r->off;
    unsigned char c[4];
    if (mlen > SIM_TRACE_MAX_META)
        return fail(r, SIM_ECORRUPT, "the header at byte offset 12 claims %" PRIu32 " bytes of meta text, "
                    "over the limit of %" PRIu32, mlen, SIM_TRACE_MAX_META);
    int rc = read_payload(r, mlen, "the header");
    if (rc == SIM_OK)
        rc = read_exact(r, c, 4, "the header");
    if (rc != SIM_OK)
        return rc;
    if (get_u32(c) != sim_crc32(0, r->buf, mlen))
        return fail(r, SIM_ECORRUPT, "header checksum mismatch (meta at byte offset %" PRIu64 ")", at);
    if (memchr(r->buf, '\0', mlen) != NULL)
        return fail(r, SIM_ECORRUPT, "NUL byte in the meta text at byte offset %" PRIu64, at);
    r->meta = sim_mem_alloc(r->m, (size_t)mlen + 1);
    if (r->meta == NULL)
        return fail(r, SIM_ENOMEM, "out of memory");
    memcpy(r->meta, r->buf, mlen);
    r->meta[mlen] = '\0';
    r->meta_len = mlen;
    return SIM_OK;
}

static int read_header(SimTraceReader *r)
{
    unsigned char h[16];
    size_t got = fread(h, 1, 16, r->f);
    r->off = got;
    if (got < sizeof MAGIC || memcmp(h, MAGIC, sizeof MAGIC) != 0)
        return fail(r, SIM_ECORRUPT, "not a kubesim trace (bad magic at byte offset 0)");
    if (got < 16)
        return fail(r, SIM_ECORRUPT, "truncated file: ends at byte offset %zu inside the header",
                    got);
    uint32_t version = get_u32(h + 8);
    if (version != SIM_TRACE_VERSION)
        return fail(r, SIM_ECORRUPT, "unsupported trace version %" PRIu32
                    " at byte offset 8 (this kubesim reads version %d)", version, SIM_TRACE_VERSION);
    return read_meta(r, get_u32(h + 12));
}

/* A folder opens for reading on Linux and then fails every read: say what it is. */
static int check_file(SimTraceReader *r)
{
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0)
        return fail(r, SIM_EIO, "cannot open: %s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fail(r, SIM_EIO, "is a folder, not a trace file");
    r->regular = S_ISREG(st.st_mode);
    return SIM_OK;
}

static int reader_open(SimMem *m, const SimTrSchema *schema, const char *path, SimTraceReader **out,
                       SimErr *err)
{
    *out = NULL;
    SimTraceReader *r = sim_mem_calloc(m, 1, sizeof *r);
    if (r == NULL) {
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    }
    r->m = m;
    r->schema = schema;
    /* Sized for a typical block up front: fewer regrowths, and buf is never
     * NULL, even for an empty meta text or block. */
    if (grow_bytes(m, &r->buf, &r->cap, BLOCK_TARGET + 256) != SIM_OK) {
        sim_trace_close_reader(r);
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    }
    r->f = fopen(path, "rb");
    int rc = r->f ? check_file(r) : fail(r, SIM_EIO, "cannot open: %s", strerror(errno));
    if (rc == SIM_OK)
        rc = read_header(r);
    if (rc != SIM_OK) {
        sim_err_set(err, rc, "%s", r->err);
        sim_trace_close_reader(r);
        return rc;
    }
    *out = r;
    return SIM_OK;
}

/* The message names the file, as sim_trace_create's does. */
SimTraceReader *sim_trace_open(SimMem *m, const SimTrSchema *schema, const char *path, SimErr *err)
{
    SimTraceReader *r;
    SimErr why = SIM_ERR_INIT;
    int rc = reader_open(m, schema, path, &r, &why);
    if (rc != SIM_OK)
        sim_err_set(err, rc, "%s: %s", path, sim_err_msg(&why));
    return r;
}

const char *sim_trace_meta(const SimTraceReader *r)
{
    return r->meta;
}

const char *sim_trace_error(const SimTraceReader *r)
{
    return r->err;
}

void sim_trace_close_reader(SimTraceReader *r)
{
    if (r == NULL)
        return;
    if (r->f)
        fclose(r->f);
    sim_mem_free(r->m, r->buf, r->cap);
    if (r->meta)
        sim_mem_free(r->m, r->meta, r->meta_len + 1);
    sim_mem_free(r->m, r, sizeof *r);
}

static int read_end(SimTraceReader *r, const unsigned char *tag)
{
    uint64_t at = r->off - 4;
    unsigned char e[END_LEN];
    memcpy(e, tag, 4);
    int rc = read_exact(r, e + 4, 12, "the end marker");
    if (rc != SIM_OK)
        return rc;
    if (get_u32(e + 12) != sim_crc32(0, e, 12))
        return fail(r, SIM_ECORRUPT, "end marker checksum mismatch at byte offset %" PRIu64, at);
    if (get_u64(e + 4) != r->records)
        return fail(r, SIM_ECORRUPT, "end marker at byte offset %" PRIu64 " counts %" PRIu64
                    " records, the blocks hold %" PRIu64, at, get_u64(e + 4), r->records);
    if (fgetc(r->f) != EOF)
        return fail(r, SIM_ECORRUPT, "trailing bytes after the end marker at byte offset %" PRIu64,
                    r->off);
    return r->state = SIM_DONE;
}

/* Reads and checks the block whose tag was just read. */
static int read_block(SimTraceReader *r)
{
    uint64_t at = r->off - 4;
    unsigned char h[12];
    int rc = read_exact(r, h, sizeof h, "a block header");
    if (rc != SIM_OK)
        return rc;
    uint32_t len = get_u32(h), recs = get_u32(h + 4);
    if (len > SIM_TRACE_MAX_BLOCK)
        return fail(r, SIM_ECORRUPT, "block at byte offset %" PRIu64 " claims %" PRIu32 " bytes, over the "
                    "limit of %" PRIu32, at, len, SIM_TRACE_MAX_BLOCK);
    r->blk_off = r->off;
    if ((rc = read_payload(r, len, "a block")) != SIM_OK)
        return rc;
    if (sim_crc32(0, r->buf, len) != get_u32(h + 8))
        return fail(r, SIM_ECORRUPT, "block checksum mismatch (block at byte offset %" PRIu64 ")", at);
    r->len = len;
    r->pos = 0;
    r->left = recs;
    r->prev_t = 0;
    return SIM_OK;
}

/* A clean end of file where a block could start means the writer never
 * finished: the run crashed or the file was cut at a block boundary. */
static int read_tag(SimTraceReader *r, unsigned char tag[4])
{
    size_t got = fread(tag, 1, 4, r->f);
    r->off += got;
    if (got == 0 && !ferror(r->f))
        return fail(r, SIM_ECORRUPT, "truncated file: no end marker (file ends at byte offset %"
                    PRIu64 ")", r->off);
    return got == 4 ? SIM_OK : read_exact(r, tag + got, 4 - got, "a block tag");
}

/* Moves to the next block (or the end marker) once the current one is used up. */
static int next_block(SimTraceReader *r)
{
    while (r->left == 0) {
        if (r->pos != r->len)
            return fail(r, SIM_ECORRUPT, "block framing: %zu bytes after its last record at byte offset %"
                        PRIu64, r->len - r->pos, r->blk_off + r->pos);
        unsigned char tag[4];
        int rc = read_tag(r, tag);
        if (rc == SIM_OK)
            rc = memcmp(tag, "KSE1", 4) == 0   ? read_end(r, tag)
                 : memcmp(tag, "KSB1", 4) == 0 ? read_block(r)
                 : fail(r, SIM_ECORRUPT, "bad block tag at byte offset %" PRIu64, r->off - 4);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

static int bad_field(SimTraceReader *r, size_t at, const char *what)
{
    return fail(r, SIM_ECORRUPT, "%s at byte offset %" PRIu64, what, r->blk_off + at);
}

/* The strings are NUL-terminated in place: the bytes move one place back over
 * the last byte of their (already decoded) length varint, which frees the byte
 * after them for the NUL. No copy, and the block is decoded only once. */
static int read_string(SimTraceReader *r, SimTrVal *v)
{
    size_t at = r->pos;
    uint64_t sl;
    if (get_varint(r->buf, r->len, &r->pos, &sl) != 0)
        return bad_field(r, at, "bad string length");
    if (sl > r->len - r->pos)
        return bad_field(r, at, "string runs past the end of its block");
    unsigned char *p = r->buf + r->pos;
    if (memchr(p, '\0', (size_t)sl) != NULL)
        return bad_field(r, at, "NUL byte inside a string");
    memmove(p - 1, p, (size_t)sl);
    (p - 1)[sl] = '\0';
    r->pos += (size_t)sl;
    v->i = 0;
    v->s = (const char *)(p - 1);
    return SIM_OK;
}

static int read_fields(SimTraceReader *r, const char *types, SimTraceRec *out)
{
    size_t i = 0;
    for (; types[i]; i++) {
        size_t at = r->pos;
        uint64_t u;
        if (types[i] == 's') {
            int rc = read_string(r, &out->v[i]);
            if (rc != SIM_OK)
                return rc;
        } else if (get_varint(r->buf, r->len, &r->pos, &u) != 0) {
            return bad_field(r, at, "bad integer field");
        } else {
            out->v[i].i = unzigzag(u);
            out->v[i].s = NULL;
        }
    }
    out->n = i;   /* strlen(types) */
    return SIM_OK;
}

int sim_trace_next(SimTraceReader *r, SimTraceRec *out)
{
    if (r->state != SIM_OK || next_block(r) != SIM_OK)
        return r->state;
    size_t at = r->pos;
    uint64_t kind, delta;
    if (get_varint(r->buf, r->len, &r->pos, &kind) != 0)
        return bad_field(r, at, "bad record kind");
    const SimTrKindDef *s = kind < SIM_TRACE_MAX_KINDS ? sim_trschema_get(r->schema, (int)kind) : NULL;
    if (s == NULL)
        return fail(r, SIM_ECORRUPT, "unknown record kind %" PRIu64 " at byte offset %" PRIu64,
                    kind, r->blk_off + at);
    if (get_varint(r->buf, r->len, &r->pos, &delta) != 0)
        return bad_field(r, at, "bad record time");
    out->kind = (int)kind;
    out->t = as_signed((uint64_t)r->prev_t + (uint64_t)unzigzag(delta));
    int rc = read_fields(r, s->types, out);
    if (rc != SIM_OK)
        return rc;
    r->prev_t = out->t;
    r->left--;
    r->records++;
    return SIM_OK;
}

/* ---- dump ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
    unsigned lo = 0x80, hi = 0xBF;   /* bounds of the second byte */
    if (p[0] < 0xC2 || p[0] > 0xF4)
        return 0;
    if (p[0] == 0xE0)
        lo = 0xA0;                    /* overlong */
    else if (p[0] == 0xED)
        hi = 0x9F;                    /* surrogates */
    else if (p[0] == 0xF0)
        lo = 0x90;                    /* overlong */
    else if (p[0] == 0xF4)
        hi = 0x8F;                    /* above U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* A JSON string. Trace strings are bytes from the scenario; a byte that is not
 * part of valid UTF-8 becomes U+FFFD so every line stays valid JSON. */
static void put_json_str(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    putc('"', out);
    while (*p) {
        size_t n = utf8_len(p);
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else if (n == 0)
            fputs("\\ufffd", out);
        else
            fwrite(p, 1, n, out);
        p += n ? n : 1;
    }
    putc('"', out);
}

/* The header's JSON, minified onto one line. Minifying the text (rather than
 * parsing and reprinting it) keeps numbers exact: cJSON holds them as double,
 * which would round a 64-bit seed. Text that is not JSON is printed as a string. */
static int dump_meta(SimMem *m, const SimTraceReader *r, FILE *out)
{
    SimJsonScope js;
    sim_json_begin(&js, m);
    cJSON *j = cJSON_ParseWithOpts(r->meta, NULL, 1);
    int is_json = j != NULL;
    cJSON_Delete(j);
    if (sim_json_end(&js) != SIM_OK)
        return SIM_ENOMEM;   /* not known to be JSON or not: print neither */
    fputs("{\"meta\":", out);
    if (is_json) {
        char *copy = sim_mem_alloc(m, r->meta_len + 1);   /* freed by size: minify shortens it */
        if (copy == NULL)
            return SIM_ENOMEM;
        memcpy(copy, r->meta, r->meta_len + 1);
        cJSON_Minify(copy);
        fputs(copy, out);
        sim_mem_free(m, copy, r->meta_len + 1);
    } else {
        put_json_str(out, r->meta);
    }
    fputs("}\n", out);
    return SIM_OK;
}

static void dump_record(const SimTrSchema *schema, const SimTraceRec *rec, FILE *out)
{
    const SimTrKindDef *s = sim_trschema_get(schema, rec->kind);
    fprintf(out, "{\"t_ns\":%" PRId64 ",\"kind\":\"%s\"", rec->t, s->name);
    for (size_t i = 0; i < rec->n; i++) {
        fprintf(out, ",\"%s\":", s->fields[i]);
        if (s->types[i] == 's')
            put_json_str(out, rec->v[i].s);
        else
            fprintf(out, "%" PRId64, rec->v[i].i);
    }
    fputs("}\n", out);
}

static int dump_records(SimMem *m, SimTraceReader *r, FILE *out)
{
    SimTraceRec rec;
    int rc = dump_meta(m, r, out);
    if (rc != SIM_OK)
        return fail(r, rc, "out of memory");
    while ((rc = sim_trace_next(r, &rec)) == SIM_OK && !ferror(out))
        dump_record(r->schema, &rec, out);
    if (rc == SIM_DONE)
        rc = SIM_OK;
    /* A closed pipe or full disk: stop, and say so, rather than report success. */
    if ((fflush(out) != 0 || ferror(out)) && rc == SIM_OK)
        rc = fail(r, SIM_EIO, "cannot write the dump: %s", strerror(errno));
    return rc;
}

/* The first pass: every record decoded, nothing printed. */
static int check_records(SimTraceReader *r)
{
    SimTraceRec rec;
    int rc;
    if (!r->regular)
        return fail(r, SIM_EIO, "not a regular file (trace dump reads the file twice: it checks every "
                    "block before it prints one)");
    while ((rc = sim_trace_next(r, &rec)) == SIM_OK) {
    }
    return rc == SIM_DONE ? SIM_OK : rc;
}

/* One pass over the file: check it (out NULL) or print it. */
static int dump_pass(SimMem *m, const SimTrSchema *schema, const char *path, FILE *out, SimErr *err)
{
    SimTraceReader *r;
    int rc = reader_open(m, schema, path, &r, err);
    if (rc != SIM_OK)
        return rc;
    rc = out ? dump_records(m, r, out) : check_records(r);
    if (rc != SIM_OK)
        sim_err_set(err, rc, "%s", r->err);
    sim_trace_close_reader(r);
    return rc;
}

int sim_trace_dump(SimMem *m, const SimTrSchema *schema, const char *path, FILE *out, FILE *err_out)
{
    SimErr err = SIM_ERR_INIT;
    int rc = dump_pass(m, schema, path, NULL, &err);
    if (rc == SIM_OK)
        rc = dump_pass(m, schema, path, out, &err);
    if (rc != SIM_OK)
        fprintf(err_out, "%s: %s\n", path, sim_err_msg(&err));
    return rc;
}
