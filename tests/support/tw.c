/* tw.c: see tw.h. */
#include "tw.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static int add_places(TwWorld *w, const TwOpts *o)
{
    const char *region = o->region ? o->region : "eu";
    int rc = sim_region_add(w->e, region, &w->region);
    if (rc == SIM_OK)
        rc = sim_namespace_add(w->e, o->ns ? o->ns : "default", &w->ns);
    for (int i = 0; rc == SIM_OK && i < o->nzones; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%c", region, 'a' + i);
        rc = sim_zone_add(w->e, w->region, name, &w->zones[i]);
    }
    return rc;
}

static int add_nodes(TwWorld *w, const TwOpts *o)
{
    SimNodeGroup g;
    memset(&g, 0, sizeof g);
    g.name = (char *)(o->group ? o->group : "general");
    g.region = w->region;
    g.alloc = o->alloc;
    if (g.alloc.pods == 0)
        g.alloc.pods = 110;
    g.price_per_hour = o->price;
    g.max = o->max;
    g.zones = w->zones;
    g.nzones = (size_t)o->nzones;
    g.spot = (uint8_t)o->spot;
    g.spot_interruptions_per_hour = o->spot_rate;
    int rc = sim_nodegroup_add(w->e, &g, &w->group);
    for (int i = 0; rc == SIM_OK && i < o->nodes; i++) {
        uint32_t n;
        rc = sim_node_add(w->e, w->group, 1, &n);
    }
    return rc;
}

int tw_build(TwWorld *w, const TwOpts *o)
{
    ck_assert_int_le(o->nzones, TW_MAX_ZONES);
    memset(w, 0, sizeof *w);
    SimConfig cfg = {.seed = o->seed, .end = o->end, .queue = SIM_EVQ_FAST, .mem = o->mem};
    if ((w->e = sim_engine_create(&cfg)) == NULL)
        return SIM_ENOMEM;
    int rc = add_places(w, o);
    if (rc == SIM_OK)
        rc = add_nodes(w, o);
    if (rc == SIM_OK && (w->s = sched_create(w->e)) == NULL)
        rc = SIM_ENOMEM;
    if (rc == SIM_OK && (w->c = wl_create(w->e)) == NULL)
        rc = SIM_ENOMEM;
    return rc;
}

TwWorld tw_world(const TwOpts *o)
{
    TwWorld w;
    int rc = tw_build(&w, o);
    ck_assert_msg(rc == SIM_OK, "building the world: %s", w.e ? sim_errmsg(w.e) : "no engine");
    return w;
}

void tw_free(TwWorld *w)
{
    wl_destroy(w->c);
    sched_destroy(w->s);
    sim_engine_destroy(w->e);
}
