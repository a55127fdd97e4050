/*
 * engine.c: the event loop. A step pops the earliest event, checks that time
 * never goes backwards, and dispatches on its kind to the handler the owning
 * module registered. Handlers schedule further events; they never run other
 * handlers inline, so the order of work is the queue's order alone.
 */
#include "sim/sim_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

SimEngine *sim_engine_create(const SimConfig *cfg)
{
    SimMem boot;
    sim_mem_init(&boot);
    SimMem *m = cfg->mem ? cfg->mem : &boot;
    SimEngine *e = sim_mem_calloc(m, 1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->own_mem = boot;
    e->mem = cfg->mem ? cfg->mem : &e->own_mem;
    if (!cfg->mem)
        e->own_mem.live = boot.live;   /* the engine itself is counted on its own hook */
    e->end = cfg->end;
    e->nkinds = SIM_EV_CORE_COUNT;
    sim_trschema_init(&e->trschema);
    SIM_ASSERT(sim_trschema_add_core(&e->trschema) == SIM_OK);
    e->seed = cfg->seed;
    e->pods.shift = SIM_POD_PAGE_SHIFT;
    if (cfg->pod_page)
        for (e->pods.shift = 0; (2u << e->pods.shift) <= cfg->pod_page && e->pods.shift < 20; e->pods.shift++) {}
    for (int i = 0; i < SIM_RNG_COUNT; i++)
        sim_rng_seed(&e->rng[i], cfg->seed, (uint64_t)i);
    e->q = sim_evq_create(e->mem, cfg->queue);
    if (e->q == NULL) {
        sim_mem_free(e->mem, e, sizeof *e);
        return NULL;
    }
    sim_lifecycle_register(e);
    sim_summary_register_engine(e);
    return e;
}

void sim_engine_destroy(SimEngine *e)
{
    if (e == NULL)
        return;
    sim_evq_destroy(e->q);
    sim_objects_free(e);
    SimMem *m = e->mem;
    if (m == &e->own_mem) {
        SimMem copy = e->own_mem;
        sim_mem_free(&copy, e, sizeof *e);
    } else {
        sim_mem_free(m, e, sizeof *e);
    }
}

SimMem *sim_mem(SimEngine *e) { return e->mem; }
const char *sim_errmsg(const SimEngine *e) { return e->errmsg; }
SimTime sim_now(const SimEngine *e) { return e->now; }
SimTime sim_end(const SimEngine *e) { return e->end; }
uint64_t sim_seed(const SimEngine *e) { return e->seed; }
const SimStats *sim_stats(const SimEngine *e) { return &e->stats; }
void sim_set_trace(SimEngine *e, SimTraceWriter *w) { e->trace = w; }

SimRng *sim_rng(SimEngine *e, int stream)
{
    SIM_ASSERT(stream >= 0 && stream < SIM_RNG_COUNT);
    return &e->rng[stream];
}

int sim_fail(SimEngine *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->errmsg, sizeof e->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

void sim_engine_on(SimEngine *e, unsigned kind, SimHandler fn, void *ctx)
{
    SIM_ASSERT(kind > SIM_EV_NONE && kind < e->nkinds);
    e->handlers[kind].fn = fn;
    e->handlers[kind].ctx = ctx;
}

int sim_event_kind(SimEngine *e, const char *name, SimHandler fn, void *ctx, uint16_t *kind)
{
    if (e->nkinds == SIM_EV_MAX_KINDS)
        return sim_fail(e, SIM_ESTATE, "cannot register event kind %s: all %d kinds are taken", name,
                        SIM_EV_MAX_KINDS);
    SimHandlerSlot *h = &e->handlers[e->nkinds];
    h->fn = fn;
    h->ctx = ctx;
    h->name = name;
    *kind = (uint16_t)e->nkinds++;
    return SIM_OK;
}

const char *sim_event_kind_name(const SimEngine *e, unsigned kind)
{
    return kind >= SIM_EV_CORE_COUNT && kind < e->nkinds ? e->handlers[kind].name : NULL;
}

unsigned sim_event_kind_find(const SimEngine *e, const char *name)
{
    for (unsigned k = SIM_EV_CORE_COUNT; k < e->nkinds; k++)
        if (strcmp(e->handlers[k].name, name) == 0)
            return k;
    return SIM_EV_NONE;
}

void sim_set_duration_fn(SimEngine *e, SimDurationFn fn, void *ctx)
{
    e->duration_fn = fn;
    e->duration_ctx = ctx;
}

int sim_engine_listen(SimEngine *e, const SimListener *l)
{
    if (e->nlisteners == SIM_MAX_LISTENERS)
        return sim_fail(e, SIM_ESTATE, "too many listeners");
    e->listeners[e->nlisteners++] = *l;
    return SIM_OK;
}

int sim_schedule(SimEngine *e, SimTime t, unsigned kind, uint32_t obj, uint32_t gen, uint32_t aux)
{
    SIM_ASSERT(t >= e->now);
    SIM_ASSERT(kind > SIM_EV_NONE && kind < e->nkinds);
    if (e->ended || t > e->end)
        return SIM_OK;   /* it would never run: the queue may already be past the end */
    SimEvent ev = {.t = t, .seq = e->seq++, .obj = obj, .gen = gen,
                   .kind = (uint16_t)kind, .flags = 0, .aux = aux};
    int rc = sim_evq_push(e->q, &ev);
    if (rc == SIM_ENOMEM)
        return sim_fail(e, SIM_ENOMEM, "out of memory scheduling an event");
    if (rc != SIM_OK)
        return sim_fail(e, rc, "event at t=%lld ns is earlier than the queue's clock", (long long)t);
    return SIM_OK;
}

const SimTrSchema *sim_trace_schema(const SimEngine *e) { return &e->trschema; }

/* On a copy, so a refused module adds nothing. */
int sim_trace_register(SimEngine *e, const char *module, int (*kinds)(SimTrSchema *s))
{
    SimTrSchema next = e->trschema;
    if (kinds(&next) != SIM_OK)
        return sim_fail(e, SIM_EINVAL, "%s: a trace record kind's number or name is taken by another "
                        "definition, or its fields do not match their types", module);
    e->trschema = next;
    return SIM_OK;
}

void sim_trace_rec(SimEngine *e, int kind, const SimTrVal *vals, size_t n)
{
    SIM_ASSERT(sim_trschema_get(&e->trschema, kind) != NULL);   /* registered by its module */
    if (e->trace)
        (void)sim_trace_emit(e->trace, kind, e->now, vals, n);   /* errors are sticky */
}

int sim_step(SimEngine *e)
{
    if (e->mem->oom)
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    if (e->pods.nreap)
        sim_pods_reap(e);   /* the records of the pods deleted since the last step (sim_int.h) */
    SimEvent ev;
    if (e->ended || sim_evq_pop(e->q, &ev) == SIM_DONE || ev.t > e->end) {
        if (!e->ended)
            e->now = e->end;
        e->ended = 1;
        return SIM_DONE;
    }
    SIM_ASSERT(ev.t >= e->now);
    e->now = ev.t;
    e->stats.events++;
    SimHandlerSlot *h = &e->handlers[ev.kind];
    if (h->fn)
        h->fn(h->ctx, e, &ev);
    if (e->mem->oom)
        return sim_fail(e, SIM_ENOMEM, "out of memory");
#ifdef KUBESIM_CHECK
    return sim_check_step(e, &ev);   /* the invariants after the event (check.c) */
#else
    return SIM_OK;
#endif
}
