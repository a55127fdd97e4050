/*
 * sim.h: the public API of the engine layer (prefix sim_).
 *
 * Simulated time is an int64_t count of nanoseconds since the scenario's start.
 * Events are ordered by (time, sequence number): two events at the same time run
 * in the order they were scheduled, so a run is a pure function of scenario and
 * seed. Everything here allocates through one SimMem hook so tests can fail
 * allocation N for every N.
 */
#ifndef KUBESIM_SIM_H
#define KUBESIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#define KUBESIM_VERSION "0.1.0"

/* ---- time ---------------------------------------------------------------- */
typedef int64_t SimTime;
#define SIM_NS_PER_S INT64_C(1000000000)
#define SIM_SEC(s) ((SimTime)(s) * SIM_NS_PER_S)
#define SIM_MS(ms) ((SimTime)(ms) * INT64_C(1000000))
#define SIM_TIME_MAX INT64_MAX

/* ---- errors: fallible functions return 0 or a negative SIM_E* ------------ */
enum {
    SIM_OK = 0,
    SIM_DONE = 1,        /* not an error: nothing left (empty queue, end of run) */
    SIM_ENOMEM = -1,     /* an allocation failed; sticky on the engine */
    SIM_EINVAL = -2,     /* bad input: the message names file, line, field */
    SIM_EIO = -3,        /* a file could not be read or written */
    SIM_ECORRUPT = -4,   /* a trace block failed its checksum or framing */
    SIM_ESTATE = -5,     /* called in the wrong state */
    SIM_EFORBIDDEN = -6  /* admission refused the object (HTTP 403); message on the engine */
};
const char *sim_strerror(int code);

/* ---- the error convention (one for the whole code base) -----------------
 * Like sqlite3_errmsg, the message of a failure lives on a handle, never in a
 * caller's char buffer:
 *  - A fallible function returns SIM_OK or a negative SIM_E* (a constructor:
 *    its object or NULL) and leaves the message on the handle it acts on,
 *    read back with that handle's accessor: sim_errmsg (engine),
 *    sim_trace_error (trace reader), sim_outdir_errmsg (output folder),
 *    scn_errmsg (scenario), scn_world_errmsg (world), scn_sweep_errmsg
 *    (sweep), rnd_replay_errmsg (replay), rnd_report_errmsg (report),
 *    bt_errmsg (backtest context), kx_yaml_errmsg (YAML emitter),
 *    kube_errmsg and kube_yaml_errmsg (Kubernetes object readers).
 *  - A function that acts on no handle (a constructor failing before its
 *    object exists, a one-shot such as reading a file or explaining a case)
 *    takes a SimErr: a small message holder that is itself the handle. The
 *    caller owns it (usually on its stack), passes it as the last argument
 *    and reads sim_err_msg() after a failure. The pointer may be NULL when
 *    the caller wants no message.
 *  - The message stays until the next failure on the same handle; success
 *    leaves it alone. Messages are whole ("PATH: cannot open: reason"):
 *    callers print them, adding at most a prefix of their own.
 *  - The trace writer and the metrics recorder keep only a sticky SIM_EIO
 *    (their close frees them); the run that owns them words the message.
 *  - No function takes a caller's char buffer and its length for a message
 *    (tests/test_errors.c scans every header and source file for one). */
#define SIM_ERR_LEN 1024
typedef struct SimErr {
    int code;               /* the SIM_E* of the last failure; SIM_OK when none */
    char msg[SIM_ERR_LEN];  /* its message, NUL-terminated; "" when none */
} SimErr;
#define SIM_ERR_INIT {SIM_OK, ""}

/* Records code and the formatted message on er (NULL: nothing) and returns
 * code, so a failure reads `return sim_err_set(er, SIM_EIO, "...", ...);`. */
int sim_err_set(SimErr *er, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Copies src's code and message onto er (either may be NULL); returns the code. */
int sim_err_copy(SimErr *er, const SimErr *src);
const char *sim_err_msg(const SimErr *er);   /* "" for NULL or no failure */
int sim_err_code(const SimErr *er);          /* SIM_OK for NULL or no failure */

/* Asserts on broken invariants print the expression, file and line, then abort
 * (_Noreturn: the hot accessors that assert need not keep registers for a return).
 * Bad input never reaches an assert: it is an error return. */
_Noreturn void sim_assert_fail(const char *expr, const char *file, int line);
#define SIM_ASSERT(x) ((x) ? (void)0 : sim_assert_fail(#x, __FILE__, __LINE__))
/* The stated preconditions of the sim_* functions (ids in range, the phase a
 * setter needs): checked in debug builds, compiled out with NDEBUG (release
 * builds, where the scheduler's hot paths call them). */
#ifdef NDEBUG
#define SIM_DASSERT(x) ((void)sizeof(x))
#else
#define SIM_DASSERT(x) SIM_ASSERT(x)
#endif

/* ---- memory: one allocator hook, Lua-style ------------------------------ */
/* fn(ud, ptr, osize, nsize): nsize 0 frees ptr and returns NULL; otherwise
 * (re)allocates. Returning NULL for nsize > 0 means out of memory. */
typedef void *(*SimAllocFn)(void *ud, void *ptr, size_t osize, size_t nsize);

/* A SimMem counts allocations and can fail the Nth one (fault injection for the
 * out-of-memory sweep). It is a small value type embedded by its owner. */
typedef struct SimMem {
    SimAllocFn fn;       /* NULL means the C library */
    void *ud;
    uint64_t count;      /* allocations and growing reallocations so far */
    uint64_t fail_at;    /* 0 = never; N = allocation number N fails, and all after;
                            shrinks and frees never fail */
    int64_t live;        /* bytes currently allocated through this hook */
    int oom;             /* sticky: set once any allocation failed */
} SimMem;

void sim_mem_init(SimMem *m);
void *sim_mem_alloc(SimMem *m, size_t n);                 /* NULL on failure */
void *sim_mem_calloc(SimMem *m, size_t count, size_t n);  /* zeroed; NULL on failure */
void *sim_mem_realloc(SimMem *m, void *p, size_t osize, size_t nsize);
void sim_mem_free(SimMem *m, void *p, size_t n);
char *sim_mem_strdup(SimMem *m, const char *s);           /* free with strlen(s)+1 */
void sim_mem_strfree(SimMem *m, char *s);

/* Grow a dynamic array *pp of *cap elements of size sz to hold at least need. */
int sim_mem_grow(SimMem *m, void **pp, size_t *cap, size_t need, size_t sz);

/* ---- random numbers: independent seeded streams (xoshiro256**) ---------- */
typedef struct SimRng { uint64_t s[4]; } SimRng;
/* Stream `stream` of seed `seed`: streams never share state, so adding a new
 * consumer of randomness does not shift the numbers an old one sees. */
void sim_rng_seed(SimRng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_u64(SimRng *r);
uint64_t sim_rng_below(SimRng *r, uint64_t n);   /* uniform in [0, n), unbiased; n > 0 */
double sim_rng_unit(SimRng *r);                  /* uniform in [0, 1) */
double sim_rng_exp(SimRng *r, double mean);      /* exponential with this mean */

/* ---- events and the queue ---------------------------------------------- */
/* The engine's own event kinds. Every other kind belongs to the module that
 * registers it with sim_event_kind() at start-up (the scheduler's cycle, the
 * controllers, the autoscaler, scenario hooks...) and keeps the number it gets:
 * numbers are internal (never written to a file) and order nothing, since the
 * queue orders by (time, sequence) alone. */
typedef enum SimEvKind {
    SIM_EV_NONE = 0,
    SIM_EV_POD_STARTED,     /* obj = pod: the start-up delay is over, pod Running */
    SIM_EV_POD_FINISHED,    /* obj = pod: a run-to-completion pod's work is done */
    SIM_EV_NODE_READY,      /* obj = node: provisioning is over */
    SIM_EV_METRICS,         /* the metrics recorder samples */
    SIM_EV_POD_GONE,        /* obj = pod: a terminating pod finished or its grace period ended */
    SIM_EV_CORE_COUNT       /* registered kinds are numbered from here */
} SimEvKind;
#define SIM_EV_MAX_KINDS 64   /* core and registered kinds together */

/* 32 bytes, stored by value in the queue. gen is the owner's generation when the
 * event was scheduled: a handler drops an event whose gen no longer matches
 * (cancel is a counter bump, never a search of the queue). */
typedef struct SimEvent {
    SimTime t;
    uint64_t seq;
    uint32_t obj;
    uint32_t gen;
    uint16_t kind;
    uint16_t flags;
    uint32_t aux;
} SimEvent;

/* Strict ordering: time first, then sequence number (FIFO among equal times). */
static inline int sim_event_before(const SimEvent *a, const SimEvent *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

typedef enum SimEvqKind {
    SIM_EVQ_HEAP = 0,   /* array-backed 4-ary heap: the reference implementation */
    SIM_EVQ_FAST = 1    /* the default: faster on large queues, same order */
} SimEvqKind;

typedef struct SimEvq SimEvq;
/* Creates an empty queue; NULL on out of memory. Pushed events must not be
 * earlier than the last popped one (simulated time never goes back). */
SimEvq *sim_evq_create(SimMem *m, SimEvqKind kind);
void sim_evq_destroy(SimEvq *q);
int sim_evq_push(SimEvq *q, const SimEvent *ev);   /* SIM_OK, SIM_ENOMEM, or SIM_EINVAL for a time
                                                      earlier than the last pop (or negative) */
int sim_evq_pop(SimEvq *q, SimEvent *out);         /* SIM_OK or SIM_DONE when empty */
size_t sim_evq_size(const SimEvq *q);

/* Levenshtein distance between two names, for "did you mean" suggestions;
 * bounded to names of 128 bytes (longer: the longer length, never near). */
size_t sim_edit_distance(const char *a, const char *b);
const char *sim_evq_name(const SimEvq *q);

/* ---- Kubernetes quantities ---------------------------------------------- */
/* Parses a quantity as Kubernetes writes it ("500m", "2", "1.5", "4Gi", "512M",
 * "1e3") into an exact integer: in thousandths of the unit when milli != 0
 * (CPU in millicores), else in whole units (memory in bytes). A fraction of the
 * target unit rounds up, as upstream's MilliValue()/Value() do. Returns SIM_OK,
 * or SIM_EINVAL with a reason in *why (static text) for a malformed, negative
 * or out-of-range quantity. */
int sim_quantity_parse(const char *s, int milli, int64_t *out, const char **why);
/* Formats an exact value back as Kubernetes would write it ("500m", "4Gi"). */
void sim_quantity_format(int64_t v, int milli, char *buf, size_t n);

#endif
