/*
 * evq_fast.c: the default event queue, a multi-level radix heap ("radix") of
 * SimEvent by value. It pops in exactly sim_event_before order, like the
 * reference heap, but costs O(1) amortised per event instead of O(log n),
 * because it exploits what a discrete-event simulation guarantees: no event is
 * pushed earlier than the last one popped (evq.c enforces it).
 *
 * Layout. `last` is the time of the last popped event. Split times into
 * DBITS-bit digits. An event with t != last lives in bucket (L, d), where L is
 * the highest digit in which t differs from last and d is t's digit L (so
 * d > last's digit L, since t > last). Events with t == last live in `cur`.
 * Buckets are FIFO lists of 32-event chunks drawn from a pool; the pool grows
 * in blocks that only destroy frees (O(log n) allocations for n events).
 *
 * Invariants:
 *  1. Every event in bucket (L, d) agrees with last above digit L and has
 *     digit L equal to d; so every event of a lower level, or of a lower digit
 *     in the same level, is earlier. The lowest non-empty bucket holds the
 *     earliest time, and b->min is the earliest time in b.
 *  2. cur holds exactly the events at time `last`; when cur_sorted is set
 *     they are in increasing seq order from cur_h on (FIFO among equal times).
 *  3. Pop never needs new chunks: nchunks >= need(n), a bound on the chunks n
 *     events can occupy however pops re-file them, so push allocates ahead
 *     (and is the only operation that can fail) and pop only uses the pool.
 *
 * Pop takes from cur; when cur is empty it detaches the lowest non-empty
 * bucket. One event (the usual case) is returned at once; more are re-filed
 * after setting last to their minimum, and all land in lower levels or cur
 * (they now agree with last in digit L too). An event thus moves at most
 * LEVELS times: about 2 times in the hold-model benchmark, each a sequential
 * 32-byte copy, where a heap pays a cache-missing sift of log4(n) levels.
 *
 * Ties: cur is filled in bucket order, which is not seq order in general (an
 * event queued long ago is re-filed after newer ones at the same time), so
 * appends note when seq goes down and pop then sorts cur by seq. The sort's
 * scratch array is the one allocation pop makes; if it fails, pop selects the
 * lowest seq by a scan instead, still exact (the failure sets mem->oom, as
 * every failed allocation does).
 *
 * Memory: the events in 1 KiB chunks, plus the reserve need() asks for (one
 * chunk per event while n < NBUCKET, capped at NBUCKET chunks: 2 MiB), plus
 * up to 1/8 block growth; a 1,000,000-event queue holds about 35 MiB.
 */
#include "sim/evq_int.h"

#include <stdlib.h>

#ifndef EVQ_DBITS
#define EVQ_DBITS 8           /* 256 buckets a level: few levels, few moves */
#endif
#ifndef EVQ_CHUNK
#define EVQ_CHUNK 32          /* events per chunk: 1 KiB of events */
#endif
#define DIGITS (1u << EVQ_DBITS)
#define WORDS ((DIGITS + 63) / 64)                  /* mask words per level */
#define LEVELS ((63 + EVQ_DBITS - 1) / EVQ_DBITS)   /* t >= 0: 63 bits */
#define NBUCKET (LEVELS * DIGITS)

typedef struct Chunk {
    struct Chunk *next;
    SimEvent ev[EVQ_CHUNK];
} Chunk;

/* Chunks are allocated many at a time and freed only by destroy. */
typedef struct Block {
    struct Block *next;
    size_t nchunks;
    Chunk chunk[];
} Block;

/* A FIFO list of chunks; all but the tail are full. Empty iff head == NULL. */
typedef struct Bucket {
    Chunk *head, *tail;
    uint32_t tail_n;      /* events in the tail chunk */
    SimTime min;          /* earliest time in the bucket (levels only) */
} Bucket;

typedef struct FastQ {
    SimEvq base;          /* first, so a SimEvq * is a FastQ * */
    SimTime last;         /* time of the last pop; == base.now */
    size_t n;             /* events queued, cur included */
    size_t ncur;          /* events in cur */
    size_t nchunks;       /* chunks in all blocks, in use or pooled */
    uint32_t cur_h;       /* next event of cur in cur.head */
    int cur_sorted;
    Bucket cur;
    Chunk *pool;          /* free chunks, singly linked */
    Block *blocks;        /* every chunk ever allocated, for destroy */
    uint32_t levmask;              /* bit L set iff level L has a non-empty bucket */
    uint32_t wordmask[LEVELS];     /* bit w set iff mask[L][w] != 0 */
    uint64_t mask[LEVELS][WORDS];  /* bit d % 64 of word d / 64: bucket (L, d) non-empty */
    Bucket b[LEVELS][DIGITS];
} FastQ;

/* ---- chunk pool ---------------------------------------------------------- */

/* Chunks n events may need at worst: whole chunks, plus one partial tail in
 * each of at most min(n, NBUCKET + 1) non-empty lists, plus cur's consumed
 * head and the two chunks of a list being re-filed. */
static size_t need(size_t n)
{
    size_t lists = n < NBUCKET + 1 ? n : NBUCKET + 1;
    return n / EVQ_CHUNK + lists + 3;
}

static void give(FastQ *f, Chunk *c)
{
    c->next = f->pool;
    f->pool = c;
}

/* Tops the pool up to need(n) with one new block, of at least 1/8 of the
 * chunks so far, so a queue of n events makes O(log n) allocations. On
 * failure the queue is unchanged. */
static int reserve(FastQ *f, size_t n)
{
    size_t k = need(n) - f->nchunks, min = f->nchunks / 8 > 16 ? f->nchunks / 8 : 16;
    if (k < min)
        k = min;
    if (k > (SIZE_MAX - sizeof(Block)) / sizeof(Chunk))
        return SIM_ENOMEM;
    Block *b = sim_mem_alloc(f->base.mem, sizeof *b + k * sizeof(Chunk));
    if (b == NULL)
        return SIM_ENOMEM;
    b->next = f->blocks;
    b->nchunks = k;
    f->blocks = b;
    f->nchunks += k;
    while (k > 0)
        give(f, &b->chunk[--k]);   /* the lowest address ends on top */
    return SIM_OK;
}

static inline Chunk *take(FastQ *f)
{
    Chunk *c = f->pool;
    SIM_ASSERT(c != NULL);   /* invariant 3 */
    f->pool = c->next;
    c->next = NULL;
    return c;
}

/* Gives back every chunk of list c (used once its events are gone). */
static void give_all(FastQ *f, Chunk *c)
{
    while (c) {
        Chunk *nx = c->next;
        give(f, c);
        c = nx;
    }
}

/* ---- filing -------------------------------------------------------------- */

static inline void append(FastQ *f, Bucket *b, const SimEvent *ev)
{
    if (b->head == NULL) {
        b->head = b->tail = take(f);
        b->tail_n = 0;
    } else if (b->tail_n == EVQ_CHUNK) {
        b->tail = b->tail->next = take(f);
        b->tail_n = 0;
    }
    b->tail->ev[b->tail_n++] = *ev;
}

static void cur_append(FastQ *f, const SimEvent *ev)
{
    if (f->ncur > 0 && ev->seq < f->cur.tail->ev[f->cur.tail_n - 1].seq)
        f->cur_sorted = 0;
    append(f, &f->cur, ev);
    f->ncur++;
}

static void mark(FastQ *f, unsigned level, unsigned d)
{
    f->mask[level][d / 64] |= UINT64_C(1) << (d % 64);
    f->wordmask[level] |= 1u << (d / 64);
    f->levmask |= 1u << level;
}

static void unmark(FastQ *f, unsigned level, unsigned d)
{
    f->mask[level][d / 64] &= ~(UINT64_C(1) << (d % 64));
    if (f->mask[level][d / 64] != 0)
        return;
    f->wordmask[level] &= ~(1u << (d / 64));
    if (f->wordmask[level] == 0)
        f->levmask &= ~(1u << level);
}

/* Files ev by invariant 1 or 2; ev->t >= last. */
static inline void place(FastQ *f, const SimEvent *ev)
{
    uint64_t x = (uint64_t)ev->t ^ (uint64_t)f->last;
    if (x == 0) {
        cur_append(f, ev);
        return;
    }
    unsigned level = (unsigned)(63 - __builtin_clzll(x)) / EVQ_DBITS;
    unsigned d = (unsigned)((uint64_t)ev->t >> (level * EVQ_DBITS)) & (DIGITS - 1);
    Bucket *b = &f->b[level][d];
    if (b->head == NULL) {
        b->min = ev->t;
        mark(f, level, d);
    } else if (ev->t < b->min) {
        b->min = ev->t;
    }
    append(f, b, ev);
}

/* Detaches the lowest non-empty bucket (n > ncur = 0) and returns it. */
static Bucket unfile_lowest(FastQ *f)
{
    unsigned level = (unsigned)__builtin_ctz(f->levmask);
    unsigned w = (unsigned)__builtin_ctz(f->wordmask[level]);
    unsigned d = w * 64 + (unsigned)__builtin_ctzll(f->mask[level][w]);
    Bucket src = f->b[level][d];
    f->b[level][d].head = NULL;
    unmark(f, level, d);
    return src;
}

/* Empties bucket src, detached by unfile_lowest, into cur and lower levels,
 * advancing last to its minimum. Called with cur empty. */
static void refill(FastQ *f, Bucket src)
{
    f->last = src.min;
    for (Chunk *c = src.head; c != NULL;) {
        uint32_t k = c == src.tail ? src.tail_n : EVQ_CHUNK;
        /* Big buckets were filled long ago and are out of cache; the next
         * chunk is elsewhere in memory, so the hardware cannot guess it. */
        if (c->next)
            for (size_t j = 0; j < sizeof *c; j += 64)
                __builtin_prefetch((const char *)c->next + j);
        for (uint32_t i = 0; i < k; i++)
            place(f, &c->ev[i]);
        Chunk *nx = c->next;
        give(f, c);
        c = nx;
    }
}

/* ---- sorting cur by seq (rare: only when appends arrived out of order) --- */

static int by_seq(const void *pa, const void *pb)
{
    const SimEvent *a = pa, *b = pb;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Copies cur's events to or from the flat array a (to_flat selects). */
static void cur_copy(FastQ *f, SimEvent *a, int to_flat)
{
    uint32_t i = f->cur_h;
    Chunk *c = f->cur.head;
    for (size_t k = 0; k < f->ncur; k++, i++) {
        if (i == EVQ_CHUNK) {
            c = c->next;
            i = 0;
        }
        if (to_flat)
            a[k] = c->ev[i];
        else
            c->ev[i] = a[k];
    }
}

/* Allocation-free fallback: swaps the lowest seq to the head, so the next
 * pop is right; cur stays unsorted and the next pop scans again. */
static void cur_select(FastQ *f)
{
    SimEvent *head = &f->cur.head->ev[f->cur_h], *best = head;
    uint32_t i = f->cur_h;
    Chunk *c = f->cur.head;
    for (size_t k = 0; k < f->ncur; k++, i++) {
        if (i == EVQ_CHUNK) {
            c = c->next;
            i = 0;
        }
        if (c->ev[i].seq < best->seq)
            best = &c->ev[i];
    }
    SimEvent tmp = *head;
    *head = *best;
    *best = tmp;
}

static void cur_sort(FastQ *f)
{
    SimMem *m = f->base.mem;
    SimEvent *a = sim_mem_calloc(m, f->ncur, sizeof *a);
    if (a == NULL) {
        cur_select(f);
        return;
    }
    cur_copy(f, a, 1);
    qsort(a, f->ncur, sizeof *a, by_seq);   /* seqs are unique: deterministic */
    cur_copy(f, a, 0);
    sim_mem_free(m, a, f->ncur * sizeof *a);
    f->cur_sorted = 1;
}

/* ---- ops ----------------------------------------------------------------- */

static int fast_push(SimEvq *q, const SimEvent *ev)
{
    FastQ *f = (FastQ *)q;
    SIM_ASSERT(ev->t >= f->last);
    if (f->nchunks < need(f->n + 1) && reserve(f, f->n + 1) != SIM_OK)
        return SIM_ENOMEM;
    place(f, ev);
    f->n++;
    return SIM_OK;
}

static void cur_advance(FastQ *f)
{
    f->n--;
    if (--f->ncur == 0) {
        give_all(f, f->cur.head);
        f->cur.head = NULL;
        f->cur_h = 0;
        f->cur_sorted = 1;
    } else if (++f->cur_h == EVQ_CHUNK) {
        Chunk *c = f->cur.head;
        f->cur.head = c->next;
        give(f, c);
        f->cur_h = 0;
    }
}

static int fast_pop(SimEvq *q, SimEvent *out)
{
    FastQ *f = (FastQ *)q;
    if (f->n == 0)
        return SIM_DONE;
    if (f->ncur == 0) {
        Bucket src = unfile_lowest(f);
        if (src.head == src.tail && src.tail_n == 1) {
            /* Most buckets reached this way hold one event: skip cur. */
            *out = src.head->ev[0];
            f->last = out->t;
            give(f, src.head);
            f->n--;
            return SIM_OK;
        }
        refill(f, src);
    }
    if (!f->cur_sorted && f->ncur > 1)
        cur_sort(f);
    *out = f->cur.head->ev[f->cur_h];
    cur_advance(f);
    return SIM_OK;
}

static size_t fast_size(const SimEvq *q)
{
    return ((const FastQ *)q)->n;
}

static void fast_destroy(SimEvq *q)
{
    FastQ *f = (FastQ *)q;
    SimMem *m = q->mem;
    for (Block *b = f->blocks, *nx; b != NULL; b = nx) {
        nx = b->next;
        sim_mem_free(m, b, sizeof *b + b->nchunks * sizeof(Chunk));
    }
    sim_mem_free(m, f, sizeof *f);
}

static const SimEvqOps fast_ops = {"radix", fast_push, fast_pop, fast_size, fast_destroy};

/* An empty radix queue with an empty chunk pool; NULL on out of memory. */
SimEvq *sim_evq_fast_create(SimMem *m)
{
    FastQ *f = sim_mem_calloc(m, 1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->base.mem = m;
    f->base.ops = &fast_ops;
    f->cur_sorted = 1;
    return &f->base;
}
