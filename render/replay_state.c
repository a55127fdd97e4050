/*
 * replay_state.c: the cluster at a time, from the ops of a loaded trace.
 * Keyframes are copies of the state every `every` ops; a seek copies the
 * nearest keyframe at or before the target and plays forward, so it costs at
 * most `every` ops, or plays forward from the shown state when that is
 * nearer. Invariant (rnd_int.h): the state after ops[0..k) depends on k only.
 */
#include "render/rnd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/rnd_int.h"

#define MAX_KEYS 128
#define MIN_EVERY 256

int rnd_state_alloc(RndReplay *r, RndState *s)
{
    memset(s, 0, sizeof *s);
    s->nodes = sim_mem_calloc(r->mem, r->nnodes + 1, sizeof *s->nodes);
    s->regions = sim_mem_calloc(r->mem, r->nregions + 1, sizeof *s->regions);
    s->hpa = sim_mem_calloc(r->mem, r->nhpas + 1, sizeof *s->hpa);
    s->p95 = sim_mem_calloc(r->mem, r->nsvcs + 1, sizeof *s->p95);
    if (s->nodes && s->regions && s->hpa && s->p95)
        return SIM_OK;
    rnd_state_free(r, s);
    return SIM_ENOMEM;
}

void rnd_state_free(RndReplay *r, RndState *s)
{
    sim_mem_free(r->mem, s->nodes, (r->nnodes + 1) * sizeof *s->nodes);
    sim_mem_free(r->mem, s->regions, (r->nregions + 1) * sizeof *s->regions);
    sim_mem_free(r->mem, s->hpa, (r->nhpas + 1) * sizeof *s->hpa);
    sim_mem_free(r->mem, s->p95, (r->nsvcs + 1) * sizeof *s->p95);
    memset(s, 0, sizeof *s);
}

void rnd_state_copy(RndReplay *r, RndState *dst, const RndState *src)
{
    dst->op = src->op;
    memcpy(dst->nodes, src->nodes, r->nnodes * sizeof *dst->nodes);
    memcpy(dst->regions, src->regions, r->nregions * sizeof *dst->regions);
    memcpy(dst->hpa, src->hpa, r->nhpas * sizeof *dst->hpa);
    memcpy(dst->p95, src->p95, r->nsvcs * sizeof *dst->p95);
}

void rnd_state_seed(const RndReplay *r, RndState *s)
{
    for (size_t i = 0; i < r->nhpas; i++)
        s->hpa[i] = r->hpas[i].init;
}

/* Cost: node-seconds times the group's price from launch to removal, as the
 * engine bills it; the rate changes only when a node comes or goes. */
static void bill(RndReplay *r, RndState *s, uint32_t node, SimTime t, double sign)
{
    const RndRGroup *g = &r->groups[r->node_group[node]];
    RndRRegion *rg = &s->regions[g->region];
    rg->cost_usd += rg->rate * (double)(t - rg->cost_t);
    rg->cost_t = t;
    rg->rate += sign * g->usd_per_ns;
}

/* Adds (sign 1) or takes (-1) the pod's requests on the node the op names
 * (a bind's and a free's node were checked when the trace was loaded). */
static void pod_move(RndReplay *r, RndState *s, const RndOp *op, int64_t sign)
{
    const RndRPod *p = &r->pods[op->a];
    RndRNode *n = &s->nodes[op->b];
    n->cpu_m += sign * p->cpu_m;
    n->mem += sign * p->mem;
    n->gpu += sign * p->gpu;
}

void rnd_state_apply(RndReplay *r, RndState *s, const RndOp *op)
{
    RndRNode *n = &s->nodes[op->a];
    switch ((RndOpKind)op->kind) {
    case RND_OP_NODE_ADD: n->state = RND_NODE_PROV; bill(r, s, op->a, op->t, 1); break;
    case RND_OP_NODE_READY: n->state = RND_NODE_READY; break;
    case RND_OP_NODE_REMOVE: n->state = RND_NODE_GONE; bill(r, s, op->a, op->t, -1); break;
    case RND_OP_NODE_STATE: n->state = op->b ? RND_NODE_READY : RND_NODE_NOTREADY; break;
    case RND_OP_NODE_CORDON: n->cordon = (uint8_t)(op->b != 0); break;
    case RND_OP_POD_BIND: pod_move(r, s, op, 1); break;
    case RND_OP_POD_FREE: pod_move(r, s, op, -1); break;
    case RND_OP_PENDING: s->regions[op->a].pending += op->b; break;
    case RND_OP_HPA: s->hpa[op->a] = op->b; break;
    case RND_OP_TRAFFIC: s->p95[op->a] = op->b; break;
    case RND_OP_QUEUE: s->regions[op->a].backlog += op->b; break;
    }
    s->op++;
}

/* Plays s forward through every op at or before t. */
static void play_to(RndReplay *r, RndState *s, SimTime t)
{
    while (s->op < r->nops && r->ops[s->op].t <= t)
        rnd_state_apply(r, s, &r->ops[s->op]);
}

static int live(uint8_t state)
{
    return state == RND_NODE_PROV || state == RND_NODE_READY || state == RND_NODE_NOTREADY;
}

static double region_nodes(const RndReplay *r, const RndState *s, uint32_t region)
{
    double n = 0;
    for (size_t g = 0; g < r->ngroups; g++) {
        if (r->groups[g].name == NULL || r->groups[g].region != region)
            continue;
        for (size_t i = 0; i < r->groups[g].nnodes; i++)
            n += live(s->nodes[r->groups[g].nodes[i]].state);
    }
    return n;
}

static double region_p95(const RndReplay *r, const RndState *s, uint32_t region)
{
    double m = 0;
    for (size_t i = 0; i < r->nsvcs; i++)
        if (r->svcs[i].region == region && (double)s->p95[i] > m)
            m = (double)s->p95[i];
    return m / 1000.0;   /* ms */
}

double rnd_state_region(const RndReplay *r, const RndState *s, uint32_t region, int k, SimTime t)
{
    const RndRRegion *rg = &s->regions[region];
    switch (k) {
    case RND_SER_PENDING: return (double)rg->pending;
    case RND_SER_NODES: return region_nodes(r, s, region);
    case RND_SER_P95: return region_p95(r, s, region);
    case RND_SER_BACKLOG: return (double)rg->backlog;
    default: return rg->cost_usd + rg->rate * (double)(t - rg->cost_t);
    }
}

static double *ser(const RndReplay *r, int k, size_t region)
{
    return r->series + ((size_t)k * r->nregions + region) * RND_SERIES_N;
}

/* Samples every series at RND_SERIES_N even times, playing s forward. */
static void sample_series(RndReplay *r, RndState *s)
{
    for (size_t b = 0; b < RND_SERIES_N; b++) {
        SimTime t = (SimTime)((double)r->duration * (double)b / (RND_SERIES_N - 1));
        play_to(r, s, t);
        for (int k = 0; k < RND_SER_COUNT; k++)
            for (uint32_t g = 0; g < r->nregions; g++) {
                double v = rnd_state_region(r, s, g, k, t);
                ser(r, k, g)[b] = v;
                if (v > r->ser_max[k])
                    r->ser_max[k] = v;
            }
        for (size_t i = 0; i < r->nsvcs; i++) {
            double v = (double)s->p95[i] / 1000.0;   /* ms */
            r->svc_series[i * RND_SERIES_N + b] = v;
            if (v > r->svc_max)
                r->svc_max = v;
        }
    }
}

static int make_keys(RndReplay *r)
{
    r->every = r->nops / MAX_KEYS + 1;
    if (r->every < MIN_EVERY)
        r->every = MIN_EVERY;
    size_t n = r->nops / r->every + 1;
    r->keys = sim_mem_calloc(r->mem, n, sizeof *r->keys);
    if (r->keys == NULL)
        return SIM_ENOMEM;
    for (size_t i = 0; i < n; i++, r->nkeys++) {
        if (rnd_state_alloc(r, &r->keys[i]))
            return SIM_ENOMEM;
        rnd_state_seed(r, &r->keys[i]);
        if (i > 0)
            rnd_state_copy(r, &r->keys[i], &r->keys[i - 1]);
        while (r->keys[i].op < i * r->every)
            rnd_state_apply(r, &r->keys[i], &r->ops[r->keys[i].op]);
    }
    return SIM_OK;
}

int rnd_replay_index(RndReplay *r)
{
    size_t nser = (size_t)RND_SER_COUNT * r->nregions * RND_SERIES_N;
    r->series = sim_mem_calloc(r->mem, nser + 1, sizeof *r->series);
    r->svc_series = sim_mem_calloc(r->mem, r->nsvcs * RND_SERIES_N + 1, sizeof *r->svc_series);
    if (r->series == NULL || r->svc_series == NULL || make_keys(r) || rnd_state_alloc(r, &r->cur))
        return SIM_ENOMEM;
    rnd_state_seed(r, &r->cur);
    sample_series(r, &r->cur);   /* cur ends at the run's end */
    rnd_replay_seek(r, 0);
    return SIM_OK;
}

void rnd_replay_seek(RndReplay *r, SimTime t)
{
    t = t < -1 ? -1 : t > r->duration ? r->duration : t;   /* -1: before any record */
    /* ops at or before t: the first index with ops[i].t > t */
    size_t lo = 0, hi = r->nops;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->ops[mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t k = lo / r->every;
    if (r->cur.op > lo || r->cur.op < k * r->every)
        rnd_state_copy(r, &r->cur, &r->keys[k]);
    play_to(r, &r->cur, t);
    r->now = t < 0 ? 0 : t;
}

int rnd_replay_step(RndReplay *r, SimTime limit)
{
    if (r->cur.op >= r->nops || r->ops[r->cur.op].t > limit)
        return 0;
    r->now = r->ops[r->cur.op].t;
    rnd_state_apply(r, &r->cur, &r->ops[r->cur.op]);
    return 1;
}

uint64_t rnd_replay_digest(const RndReplay *r)
{
    uint64_t h = 1469598103934665603u;   /* FNV-1a over the fields, not padding */
    const RndState *s = &r->cur;
#define MIX(x) (h = (h ^ (uint64_t)(x)) * 1099511628211u)
    for (size_t i = 0; i < r->nnodes; i++) {
        MIX(s->nodes[i].cpu_m); MIX(s->nodes[i].mem); MIX(s->nodes[i].gpu);
        MIX(s->nodes[i].state); MIX(s->nodes[i].cordon);
    }
    for (size_t i = 0; i < r->nregions; i++) {
        MIX(s->regions[i].pending); MIX(s->regions[i].backlog);
        MIX((int64_t)llround(rnd_state_region(r, s, (uint32_t)i, RND_SER_COUNT, r->now) * 1e6));
    }
    for (size_t i = 0; i < r->nhpas; i++)
        MIX(s->hpa[i]);
    for (size_t i = 0; i < r->nsvcs; i++)
        MIX(s->p95[i]);
#undef MIX
    return h;
}

/* Adds group g's live nodes' figures into v[4]: cpu req, cpu alloc, mem req, mem alloc. */
static void group_sums(const RndReplay *r, size_t g, double v[4], double *nodes, double *ready)
{
    const RndRGroup *gr = &r->groups[g];
    for (size_t i = 0; i < gr->nnodes; i++) {
        const RndRNode *n = &r->cur.nodes[gr->nodes[i]];
        if (!live(n->state))
            continue;
        v[0] += (double)n->cpu_m;
        v[1] += (double)gr->cpu_m;
        v[2] += (double)n->mem;
        v[3] += (double)gr->mem;
        *nodes += 1;
        *ready += n->state == RND_NODE_READY;
    }
}

static double pick(RndStat s, const double v[4], double nodes, double ready)
{
    switch (s) {
    case RND_STAT_NODES: return nodes;
    case RND_STAT_READY: return ready;
    case RND_STAT_CPU_REQ_M: return v[0];
    case RND_STAT_CPU_ALLOC_M: return v[1];
    case RND_STAT_MEM_REQ: return v[2];
    case RND_STAT_MEM_ALLOC: return v[3];
    default: return NAN;
    }
}

double rnd_replay_stat(const RndReplay *r, int group, const char *name, RndStat s)
{
    double v[4] = {0, 0, 0, 0}, nodes = 0, ready = 0;
    int found = 0;
    uint32_t region = 0;
    for (size_t g = 0; g < r->ngroups && group; g++)
        if (r->groups[g].name && strcmp(r->groups[g].name, name) == 0 && (found = 1))
            group_sums(r, g, v, &nodes, &ready);
    for (uint32_t i = 0; i < r->nregions && !group && !found; i++)
        if (r->regions[i] && strcmp(r->regions[i], name) == 0 && (found = 1))
            region = i;
    if (!found)
        return NAN;
    if (group)
        return pick(s, v, nodes, ready);
    for (size_t g = 0; g < r->ngroups; g++)
        if (r->groups[g].name && r->groups[g].region == region)
            group_sums(r, g, v, &nodes, &ready);
    if (s == RND_STAT_PENDING)
        return (double)r->cur.regions[region].pending;
    if (s == RND_STAT_COST_USD)
        return rnd_state_region(r, &r->cur, region, RND_SER_COUNT, r->now);
    return pick(s, v, nodes, ready);
}

/* "1h30m", "90m", "45s", "5400": numbers each with an optional unit. */
static int parse_units(const char *s, SimTime *out)
{
    SimTime t = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0)
            return -1;
        double unit = *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;
        if (*end == 'h' || *end == 'm' || *end == 's')
            end++;
        else if (*end != '\0')
            return -1;
        t += (SimTime)llround(v * unit * 1e9);
        s = end;
    }
    *out = t;
    return 0;
}

int rnd_parse_time(const char *s, SimTime *out)
{
    unsigned h, m, sec = 0;
    char tail;
    if (s == NULL || *s == '\0')
        return -1;
    if (strchr(s, ':')) {
        int n = sscanf(s, "%u:%u:%u%c", &h, &m, &sec, &tail);
        if ((n != 2 && n != 3) || m > 59 || sec > 59)
            return -1;
        *out = SIM_SEC((int64_t)h * 3600 + m * 60 + sec);
        return 0;
    }
    return parse_units(s, out);
}

/* "HH:MM[:SS]", a time of day: seconds after midnight, or -1. */
static int64_t time_of_day(const char *s)
{
    unsigned h, m, sec = 0;
    int n = 0, k = sscanf(s, "%2u:%2u%n", &h, &m, &n);
    if (k != 2)
        return -1;
    if (s[n] == ':') {
        int n2 = 0;
        if (sscanf(s + n + 1, "%2u%n", &sec, &n2) != 1)
            return -1;
        n += 1 + n2;
    }
    return s[n] == '\0' && h <= 23 && m <= 59 && sec <= 59 ? (int64_t)h * 3600 + m * 60 + sec : -1;
}

/* "+01:30:00 (14:05 EDT)": how a message names run time t. */
void rnd_name_time(const RndClock *c, SimTime t, char *buf, size_t n)
{
    int64_t s = t / SIM_NS_PER_S;
    char wall[128] = "";
    if (c->set) {
        char hm[16], date[16];
        rnd_clock_fmt(c, (double)s, 0, hm, sizeof hm);
        rnd_clock_date(c, (double)s, date, sizeof date);
        snprintf(wall, sizeof wall, " (%s %s %s)", date, hm, rnd_clock_abbrev(c, (double)s));
    }
    snprintf(buf, n, "+%lld:%02lld:%02lld%s", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60),
             wall);
}

void rnd_replay_time_label(const RndReplay *r, SimTime t, char *buf, size_t n)
{
    int64_t s = t / SIM_NS_PER_S;
    if (r->clock.set)
        rnd_clock_fmt(&r->clock, (double)s, 0, buf, n);
    else
        snprintf(buf, n, "+%lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60));
}

int rnd_time_at(const RndClock *clk, SimTime duration, const char *text, SimTime *out, SimErr *err)
{
    SimTime t = 0;
    int64_t tod = clk->set && text[0] != '+' ? time_of_day(text) : -1;
    int bad = tod >= 0 ? 0 : rnd_parse_time(text[0] == '+' ? text + 1 : text, &t);
    if (bad)
        return sim_err_set(err, SIM_EINVAL, "--at '%s': expected a time such as %s", text,
                           clk->set ? "14:05 (on the scenario's clock) or +1h30m, +90m, +5400s (from the start)"
                                    : "90m, 1h30m, 5400s or 1:30");
    if (tod >= 0 && !rnd_clock_at(clk, SIM_SEC(tod), &t))
        t = duration + 1;
    if (t >= 0 && t <= duration) {
        *out = t;
        return SIM_OK;
    }
    char from[160], to[160], what[256] = "";
    rnd_name_time(clk, 0, from, sizeof from);
    rnd_name_time(clk, duration, to, sizeof to);
    if (tod >= 0)
        snprintf(what, sizeof what, "%.32s %s (%s) ", text, rnd_clock_abbrev(clk, 0), clk->tz);
    else
        rnd_name_time(clk, t, what, sizeof what - 1), strcat(what, " ");
    return sim_err_set(err, SIM_EINVAL, "--at '%s': %sis outside the run, which spans %s to %s", text, what, from, to);
}

int rnd_replay_at(const RndReplay *r, const char *text, SimTime *out, SimErr *err)
{
    return rnd_time_at(&r->clock, r->duration, text, out, err);
}
