/*
 * replicaset.c: the ReplicaSet layer under the Deployment controller
 * (upstream pkg/controller/replicaset). A ReplicaSet is one revision of a
 * Deployment's pod template: it keeps spec.replicas live pods of its own
 * template, creating the missing ones and deleting the surplus in upstream's
 * ActivePodsWithRanks order (controller_utils.go; getPodsToDelete ranks a
 * pod by how many of the Deployment's pods share its node).
 *
 * Invariant: d->pods is exactly the Deployment's live pods that its
 * ReplicaSets created, and each has p->rs == the id of one of d->rs; a
 * ReplicaSet's pods and ready counts are its live pods and its Running and
 * Ready ones, kept on every transition so that a sync does not recount a
 * large Deployment's pods (Debug builds check them against a recount).
 *
 * Pods keep p->wl = the Deployment (the HPA, traffic and queues find a
 * Deployment's pods by it), so the engine's copy of the Deployment's spec
 * holds the current template; a ReplicaSet's own template is written into it
 * only while one of its pods is created (admission reads requests and limits
 * then, and the pod keeps them).
 */
#include "workloads/wl_int.h"

#include <stdio.h>
#include <string.h>

#include "workloads/apps.h"

/* ---- templates ------------------------------------------------------------ */
/* The pod template fields a rollout changes, shared by both directions of
 * the copy below. */
#define WL_TEMPLATE_FIELDS(X) X(image) X(req) X(lim_cpu_m) X(lim_mem) X(startup) X(usage_cpu_m) X(usage_mem)
#define WL_COPY_TO_TEMPLATE(f) t->f = sp->f;
#define WL_COPY_TO_SPEC(f) sp->f = t->f;

void wl_template_of(const SimPodSpec *sp, WlTemplate *t)
{
    memset(t, 0, sizeof *t);
    WL_TEMPLATE_FIELDS(WL_COPY_TO_TEMPLATE)
}

static void template_apply(SimEngine *e, uint32_t wl, const WlTemplate *t)
{
    SimPodSpec spec = sim_workload(e, wl)->spec, *sp = &spec;
    WL_TEMPLATE_FIELDS(WL_COPY_TO_SPEC)
    sim_workload_set_spec(e, wl, &spec);
}

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

int wl_template_eq(const WlTemplate *a, const WlTemplate *b)
{
    return str_eq(a->image, b->image) && a->req.cpu_m == b->req.cpu_m && a->req.mem == b->req.mem &&
           a->req.gpu == b->req.gpu && a->lim_cpu_m == b->lim_cpu_m && a->lim_mem == b->lim_mem &&
           a->startup == b->startup && a->usage_cpu_m == b->usage_cpu_m && a->usage_mem == b->usage_mem;
}

/* FNV-1a over the template's fields, as upstream hashes the pod template. */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

/* pod-template-hash: upstream rand.SafeEncodeString of the decimal hash. */
static void template_hash(const WlTemplate *t, char out[16])
{
    static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
    int64_t v[] = {t->req.cpu_m, t->req.mem, t->req.gpu, t->lim_cpu_m, t->lim_mem, t->startup,
                   t->usage_cpu_m, t->usage_mem};
    uint32_t h = fnv(2166136261u, v, sizeof v);
    if (t->image)
        h = fnv(h, t->image, strlen(t->image));
    char dec[16];
    int n = snprintf(dec, sizeof dec, "%u", h);
    for (int i = 0; i < n; i++)
        out[i] = alnum[(unsigned char)dec[i] % (sizeof alnum - 1)];
    out[n] = '\0';
}

/* ---- ReplicaSets -------------------------------------------------------------- */
size_t wl_rs_add(WlControllers *c, WlDeploy *d, const WlTemplate *t, uint32_t revision)
{
    if (sim_mem_grow(sim_mem(c->e), (void **)&d->rs, &d->caprs, d->nrs + 1, sizeof *d->rs) != SIM_OK) {
        sim_fail(c->e, SIM_ENOMEM, "out of memory");
        return SIZE_MAX;
    }
    WlRs *r = &d->rs[d->nrs];
    memset(r, 0, sizeof *r);
    r->t = *t;
    r->id = d->next_id++;
    r->revision = revision;
    r->desired_ann = r->max_ann = -1;
    template_hash(t, r->hash);
    char name[160];
    snprintf(name, sizeof name, "%s-%s", sim_workload(c->e, d->wl)->name, r->hash);
    sim_trace_rec(c->e, WL_TR_RS_CREATE, (SimTrVal[]){SIM_TRI(d->wl), SIM_TRI(r->id), SIM_TRI(revision),
                                                       SIM_TRS(name)}, 4);
    d->gen++;
    return d->nrs++;
}

void wl_rs_set(WlControllers *c, WlDeploy *d, size_t i, int32_t replicas, int annotate)
{
    WlRs *r = &d->rs[i];
    const SimWorkload *w = sim_workload(c->e, d->wl);
    if (annotate) {
        int32_t surge, unavailable;
        wl_deploy_fenceposts(w, &surge, &unavailable);
        r->desired_ann = w->replicas;
        r->max_ann = w->replicas + surge;
    }
    if (r->replicas == replicas)
        return;
    sim_trace_rec(c->e, WL_TR_RS_SCALE, (SimTrVal[]){SIM_TRI(d->wl), SIM_TRI(r->id), SIM_TRI(r->revision),
                                                      SIM_TRI(r->replicas), SIM_TRI(replicas)}, 5);
    r->replicas = replicas;
}

static size_t rs_index(const WlDeploy *d, uint32_t id)
{
    for (size_t i = 0; i < d->nrs; i++)
        if (d->rs[i].id == id)
            return i;
    return SIZE_MAX;
}

#ifndef NDEBUG
/* The invariant, by a recount: O(pods), so only in Debug builds. */
static void check_counts(WlControllers *c, const WlDeploy *d)
{
    for (size_t i = 0; i < d->nrs; i++) {
        int32_t pods = 0, ready = 0;
        for (size_t k = 0; k < d->npods; k++) {
            const SimPod *p = sim_pod(c->e, d->pods[k]);
            if (p->rs == d->rs[i].id) {
                pods++;
                ready += p->phase == SIM_POD_RUNNING && !p->unready;
            }
        }
        SIM_ASSERT(pods == d->rs[i].pods && ready == d->rs[i].ready);
    }
}
#else
#define check_counts(c, d) ((void)0)
#endif

void wl_rs_pod_ready(WlControllers *c, WlDeploy *d, uint32_t pod, int dready)
{
    size_t i = rs_index(d, sim_pod(c->e, pod)->rs);
    SIM_ASSERT(i != SIZE_MAX);
    d->rs[i].ready += dready;
    d->gen++;
}

/* Available: Ready (Running here) for at least minReadySeconds. Without
 * minReadySeconds every Ready pod is available at once, from the counts;
 * with it, the Ready pods' start times are scanned (memoized). */
SimTime wl_rs_status(WlControllers *c, WlDeploy *d)
{
    SimTime now = sim_now(c->e), next = SIM_TIME_MAX;
    SimTime min_ready = sim_workload(c->e, d->wl)->min_ready;
    check_counts(c, d);
    if (min_ready <= 0) {
        for (size_t i = 0; i < d->nrs; i++)
            d->rs[i].available = d->rs[i].ready;
        return next;
    }
    if (d->memo_ok && d->memo_gen == d->gen && now < d->memo_next)
        return d->memo_next;   /* a sync calls this several times; most change nothing */
    for (size_t i = 0; i < d->nrs; i++)
        d->rs[i].available = 0;
    for (size_t k = 0; k < d->npods; k++) {
        const SimPod *p = sim_pod(c->e, d->pods[k]);
        if (p->phase != SIM_POD_RUNNING || p->unready)
            continue;
        size_t i = rs_index(d, p->rs);
        if (now - p->started_at >= min_ready)
            d->rs[i].available++;
        else if (p->started_at + min_ready < next)
            next = p->started_at + min_ready;
    }
    d->memo_ok = 1;
    d->memo_gen = d->gen;
    d->memo_next = next;
    return next;
}

/* ---- where each pod sits in d->pods ----------------------------------------------- */
/* A pod that ends finds its slot here instead of scanning d->pods (that
 * scan was O(pods) per ended pod, and the fleet day's Deployments hold
 * 12,000 pods). The index is built at the first pod that ends while the
 * Deployment has more than SLOT_MIN pods, then kept: a Deployment that
 * never loses a pod (most of a large run's) never pays its memory. */
#define SLOT_MIN 64
static size_t slot_home(const WlDeploy *d, uint32_t pod)
{
    return (size_t)(pod * 2654435761u) & (d->scap - 1);
}

static size_t slot_find(const WlDeploy *d, uint32_t pod)
{
    if (d->scap == 0)
        return SIZE_MAX;
    for (size_t i = slot_home(d, pod);; i = (i + 1) & (d->scap - 1)) {
        if (d->skey[i] == pod)
            return i;
        if (d->skey[i] == SIM_NONE)
            return SIZE_MAX;
    }
}

static void slot_set(WlDeploy *d, uint32_t pod, uint32_t at)
{
    size_t i = slot_home(d, pod);
    while (d->skey[i] != SIM_NONE && d->skey[i] != pod)
        i = (i + 1) & (d->scap - 1);
    d->sn += d->skey[i] == SIM_NONE;
    d->skey[i] = pod;
    d->sval[i] = at;
}

/* Room for need keys at a load of at most 1/2. */
static int slot_reserve(WlControllers *c, WlDeploy *d, size_t need)
{
    if (2 * need <= d->scap)
        return SIM_OK;
    SimMem *m = sim_mem(c->e);
    size_t cap = d->scap ? 2 * d->scap : 16;
    while (cap < 2 * need)
        cap *= 2;
    uint32_t *k = sim_mem_alloc(m, cap * sizeof *k), *v = sim_mem_alloc(m, cap * sizeof *v);
    if (k == NULL || v == NULL) {
        sim_mem_free(m, k, k ? cap * sizeof *k : 0);
        sim_mem_free(m, v, v ? cap * sizeof *v : 0);
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    }
    uint32_t *ok = d->skey, *ov = d->sval;
    size_t ocap = d->scap;
    memset(k, 0xFF, cap * sizeof *k);   /* SIM_NONE */
    d->skey = k;
    d->sval = v;
    d->scap = cap;
    d->sn = 0;
    for (size_t i = 0; i < ocap; i++)
        if (ok[i] != SIM_NONE)
            slot_set(d, ok[i], ov[i]);
    sim_mem_free(m, ok, ocap * sizeof *ok);
    sim_mem_free(m, ov, ocap * sizeof *ov);
    return SIM_OK;
}

/* Removes the key at i, moving later keys of the same probe run back
 * (no tombstones: a lookup stops at the first empty key). */
static void slot_remove(WlDeploy *d, size_t i)
{
    size_t mask = d->scap - 1;
    for (size_t j = (i + 1) & mask; d->skey[j] != SIM_NONE; j = (j + 1) & mask) {
        size_t h = slot_home(d, d->skey[j]);
        /* j's key may fill the hole at i unless its home lies in (i, j] */
        int stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
        if (stays)
            continue;
        d->skey[i] = d->skey[j];
        d->sval[i] = d->sval[j];
        i = j;
    }
    d->skey[i] = SIM_NONE;
    d->sn--;
}

void wl_rs_slots_free(WlControllers *c, WlDeploy *d)
{
    sim_mem_free(sim_mem(c->e), d->skey, d->scap * sizeof *d->skey);
    sim_mem_free(sim_mem(c->e), d->sval, d->scap * sizeof *d->sval);
    d->skey = d->sval = NULL;
    d->scap = d->sn = 0;
}

/* ---- creating pods -------------------------------------------------------------- */
/* One pod of ReplicaSet i, created from its template: the Deployment's spec
 * holds that template during admission and the pod_created listeners. The
 * slot in d->pods is made first, so a created pod is always tracked. */
static int create_one(WlControllers *c, WlDeploy *d, size_t i)
{
    const SimWorkload *w = sim_workload(c->e, d->wl);
    if (sim_mem_grow(sim_mem(c->e), (void **)&d->pods, &d->cappods, d->npods + 1, sizeof *d->pods) != SIM_OK)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    if (d->scap && slot_reserve(c, d, d->sn + 1) != SIM_OK)
        return SIM_ENOMEM;
    WlTemplate cur;
    wl_template_of(&w->spec, &cur);
    template_apply(c->e, d->wl, &d->rs[i].t);
    uint32_t pod;
    int rc = sim_pod_create(c->e, d->wl, &pod);
    template_apply(c->e, d->wl, &cur);
    if (rc != SIM_OK)
        return rc;
    sim_pod_set_rs(c->e, pod, d->rs[i].id);
    sim_workload_count_pods(c->e, d->wl, 1, 0);
    d->rs[i].pods++;
    if (d->scap)
        slot_set(d, pod, (uint32_t)d->npods);
    d->pods[d->npods++] = pod;
    d->gen++;
    return SIM_OK;
}

/* ---- deleting pods: upstream's ActivePodsWithRanks ------------------------------- */
/* floor(log2(now - t)) in nanoseconds, -1 for none: LogarithmicScaleDown's buckets. */
static int log_bucket(SimTime now, SimTime t)
{
    SimTime d = now - t;
    int r = -1;
    while (d > 0) {
        r++;
        d >>= 1;
    }
    return r;
}

/* rankDiff < 0 first (the buckets' difference); equal buckets fall back to
 * the UID, which is random upstream: here the newer pod (higher id) goes
 * first. */
static int log_less(int bi, int bj, uint32_t idi, uint32_t idj)
{
    int d = bi - bj;
    return d != 0 ? d < 0 : idi > idj;
}

/* A pod's rank with its times' buckets worked out once for a ranking (a
 * ranking compares each pod with many others at the same `now`). */
typedef struct Ranked {
    WlPodRank r;
    int ready_b, created_b;   /* log_bucket(now, ready_at), log_bucket(now, created_at) */
} Ranked;

static Ranked ranked(const WlPodRank *r, SimTime now)
{
    return (Ranked){*r, log_bucket(now, r->ready_at), log_bucket(now, r->created_at)};
}

static int ranked_before(const Ranked *x, const Ranked *y)
{
    const WlPodRank *a = &x->r, *b = &y->r;
    int ua = a->node == SIM_NONE, ub = b->node == SIM_NONE;
    if (a->node != b->node && (ua || ub))
        return ua;                                       /* 1. unassigned < assigned */
    if (a->running != b->running)
        return !a->running;                              /* 2. Pending < Unknown < Running */
    if (a->ready != b->ready)
        return !a->ready;                                /* 3. not ready < ready */
    if (a->deletion_cost != b->deletion_cost)
        return a->deletion_cost < b->deletion_cost;      /* 4. lower pod-deletion-cost first */
    if (a->colocated != b->colocated)
        return a->colocated > b->colocated;              /* 5. doubled up < not doubled up */
    if (a->ready && b->ready && a->ready_at != b->ready_at)   /* 6. ready more recently first */
        return log_less(x->ready_b, y->ready_b, a->pod, b->pod);
    if (a->created_at != b->created_at)                  /* 8. newer first */
        return log_less(x->created_b, y->created_b, a->pod, b->pod);
    return 0;
}

int wl_pod_delete_before(const WlPodRank *a, const WlPodRank *b, SimTime now)
{
    Ranked x = ranked(a, now), y = ranked(b, now);
    return ranked_before(&x, &y);
}

/* How many of the Deployment's pods share each node (upstream's
 * podsOnNode), counted once per ranking instead of once per pod ranked
 * (that was O(pods^2) per scale-down: a 12,000-pod Deployment of the fleet
 * day read 144 M pod records). on[node] for the nodes, unassigned for
 * SIM_NONE (the unassigned pods "share" no node but count each other, as
 * before). */
typedef struct Colocated {
    uint32_t *on;
    uint32_t nnodes, unassigned;
} Colocated;

static int colocated_count(WlControllers *c, const WlDeploy *d, Colocated *k)
{
    k->nnodes = sim_node_count(c->e);
    k->unassigned = 0;
    k->on = sim_mem_calloc(sim_mem(c->e), (size_t)k->nnodes + 1, sizeof *k->on);
    if (k->on == NULL)
        return SIM_ENOMEM;
    for (size_t j = 0; j < d->npods; j++) {
        uint32_t node = sim_pod(c->e, d->pods[j])->node;
        if (node == SIM_NONE)
            k->unassigned++;
        else
            k->on[node]++;
    }
    return SIM_OK;
}

static uint32_t doubled_up(const Colocated *k, uint32_t node)
{
    return node == SIM_NONE ? k->unassigned : k->on[node];
}

/* A pod is Ready while Running on a Ready node; it became Ready when it
 * started (no probes), or when its node came back if that was later. */
static WlPodRank rank_of(WlControllers *c, const Colocated *k, uint32_t id)
{
    const SimPod *p = sim_pod(c->e, id);
    int running = p->phase == SIM_POD_RUNNING, ready = running && !p->unready;
    SimTime ready_at = -1;
    if (ready) {
        SimTime back = sim_node(c->e, p->node)->changed_at;
        ready_at = back > p->started_at ? back : p->started_at;
    }
    return (WlPodRank){id, p->node, (uint8_t)running, (uint8_t)ready, p->deletion_cost,
                       doubled_up(k, p->node), ready_at, p->created_at};
}

/* ReplicaSet i's pods, in deletion order (a stable insertion sort, as it
 * always was: the rules are not a strict weak order where times tie, so
 * another sort could order such pods differently). */
static size_t rank_pods(WlControllers *c, const WlDeploy *d, size_t i, const Colocated *col, Ranked *out)
{
    SimTime now = sim_now(c->e);
    size_t n = 0;
    for (size_t k = 0; k < d->npods; k++) {
        if (sim_pod(c->e, d->pods[k])->rs != d->rs[i].id)
            continue;
        WlPodRank pr = rank_of(c, col, d->pods[k]);
        Ranked r = ranked(&pr, now);
        size_t j = n++;
        for (; j > 0 && ranked_before(&r, &out[j - 1]); j--)
            out[j] = out[j - 1];
        out[j] = r;
    }
    return n;
}

/* Deletes the first n of ReplicaSet i's pods in ranking order. The victims
 * are chosen before the first deletion, as upstream sorts once: each
 * deletion shrinks d->pods (wl_rs_pod_gone). */
static int delete_surplus(WlControllers *c, WlDeploy *d, size_t i, int32_t n)
{
    size_t cap = d->npods;
    Ranked *v = sim_mem_alloc(sim_mem(c->e), cap * sizeof *v);
    uint32_t *victims = v ? sim_mem_alloc(sim_mem(c->e), cap * sizeof *victims) : NULL;
    if (victims == NULL) {
        sim_mem_free(sim_mem(c->e), v, cap * sizeof *v);
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    }
    Colocated col;
    if (colocated_count(c, d, &col) != SIM_OK) {
        sim_mem_free(sim_mem(c->e), victims, cap * sizeof *victims);
        sim_mem_free(sim_mem(c->e), v, cap * sizeof *v);
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    }
    size_t have = rank_pods(c, d, i, &col, v);
    sim_mem_free(sim_mem(c->e), col.on, ((size_t)col.nnodes + 1) * sizeof *col.on);
    size_t k = 0;
    for (; k < have && k < (size_t)n; k++)
        victims[k] = v[k].r.pod;
    int rc = SIM_OK;
    for (size_t j = 0; j < k && rc == SIM_OK; j++)
        rc = sim_pod_delete(c->e, victims[j]);
    sim_mem_free(sim_mem(c->e), victims, cap * sizeof *victims);
    sim_mem_free(sim_mem(c->e), v, cap * sizeof *v);
    return rc;
}

int wl_rs_sync(WlControllers *c, WlDeploy *d)
{
    (void)wl_rs_status(c, d);
    int refused = SIM_OK;
    for (size_t i = 0; i < d->nrs; i++) {
        int32_t diff = d->rs[i].replicas - d->rs[i].pods;
        int rc = SIM_OK;
        for (int32_t k = 0; k < diff && rc == SIM_OK && refused == SIM_OK; k++)
            rc = create_one(c, d, i);
        if (diff < 0)
            rc = delete_surplus(c, d, i, -diff);
        if (rc == SIM_EFORBIDDEN)
            refused = rc;   /* this ReplicaSet waits out its backoff; the others go on */
        else if (rc != SIM_OK)
            return rc;
    }
    return refused;
}

void wl_rs_pod_gone(WlControllers *c, WlDeploy *d, uint32_t pod)
{
    const SimPod *p = sim_pod(c->e, pod);
    size_t i = rs_index(d, p->rs);
    SIM_ASSERT(i != SIZE_MAX);
    d->rs[i].pods--;
    d->rs[i].ready -= p->started_at >= 0 && !p->unready;   /* it was Running and Ready */
    d->gen++;
    if (d->scap == 0 && d->npods > SLOT_MIN && slot_reserve(c, d, d->npods) == SIM_OK)
        for (size_t k = 0; k < d->npods; k++)
            slot_set(d, d->pods[k], (uint32_t)k);
    if (d->scap == 0) {   /* a small Deployment: the scan is as cheap */
        for (size_t k = 0; k < d->npods; k++)
            if (d->pods[k] == pod) {
                d->pods[k] = d->pods[--d->npods];
                return;
            }
        return;
    }
    size_t s = slot_find(d, pod);
    if (s == SIZE_MAX)
        return;
    size_t k = d->sval[s];
    SIM_DASSERT(k < d->npods && d->pods[k] == pod);
    slot_remove(d, s);
    d->pods[k] = d->pods[--d->npods];   /* the last pod takes its slot, as before */
    if (k < d->npods)
        slot_set(d, d->pods[k], (uint32_t)k);
}
