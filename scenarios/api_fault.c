/*
 * api_fault.c: faults a scenario scripts, and the hooks' k.fail.
 *
 *   fault { kind = "node_crash", node = "cpu-0", at = "09:30", duration = "20m" }
 *   fault { kind = "node_crash", group = "cpu", count = 2, at = "10:00" }
 *   fault { kind = "zone_outage", zone = "us-east-1a", at = "10:00", duration = "30m" }
 *   fault { kind = "region_outage", region = "eu-west", at = "09:35", duration = "1h" }
 *   fault { kind = "spot_interruption", group = "spot", count = 1, at = "11:00" }
 *   fault { kind = "stockout", group = "gpu", at = "09:00", duration = "2h" }
 *   every("10m", function(k) k.fail { kind = "node_crash", group = "cpu" } end)
 *
 * Declarations live in the scenario's arena in declaration order and are
 * handed to the faults module after the world is built (their ids are the
 * engine's: building adds regions, zones and groups in declaration order).
 * Names resolve against the declarations while the script loads (a name not
 * declared before the line is refused with file and line) and against the
 * live engine in k.fail (nodes added by the autoscaler are found there).
 */
#include "scenarios/scn_int.h"

#include <stdlib.h>
#include <string.h>

#include "workloads/faults.h"

typedef struct FaultDecl {
    struct FaultDecl *next;
    WlFault f;
} FaultDecl;

struct ScnFaults {
    FaultDecl *head, **tail;
};

/* The target fields, as bits, and which kinds take them. */
enum { T_NODE = 1, T_GROUP = 2, T_COUNT = 4, T_ZONE = 8, T_REGION = 16, T_DURATION = 32 };
static const char *const target_keys[] = {"node", "group", "count", "zone", "region", "duration"};
static const unsigned takes[WL_FAULT_KIND_COUNT] = {
    [WL_FAULT_NODE_CRASH] = T_NODE | T_GROUP | T_COUNT | T_DURATION,
    [WL_FAULT_ZONE_OUTAGE] = T_ZONE | T_DURATION,
    [WL_FAULT_REGION_OUTAGE] = T_REGION | T_DURATION,
    [WL_FAULT_SPOT_INTERRUPTION] = T_NODE | T_GROUP | T_COUNT,
    [WL_FAULT_STOCKOUT] = T_GROUP | T_DURATION,
};

/* Where names resolve: the declarations (e NULL) or the running engine. */
typedef struct Ctx {
    ScnScenario *s;
    SimEngine *e;
} Ctx;

static int present(lua_State *L, const ScnDecl *d, const char *key)
{
    int t = scn_field(L, d, key);
    lua_pop(L, 1);
    return t != LUA_TNIL;
}

static WlFaultKind read_kind(lua_State *L, ScnDecl *d)
{
    const char *k = scn_req_string(L, d, "kind");
    int kind = wl_fault_kind_parse(k);
    if (kind >= 0) {
        d->name = k;   /* later messages say "fault 'zone_outage'" */
        return (WlFaultKind)kind;
    }
    const char *const *names = wl_fault_kind_names(), *best = names[0];
    for (size_t i = 1; names[i]; i++)
        if (sim_edit_distance(k, names[i]) < sim_edit_distance(k, best))
            best = names[i];
    if (sim_edit_distance(k, best) <= 3)
        scn_field_error(L, d, "kind", "unknown fault kind '%s' (did you mean '%s'?)", k, best);
    scn_field_error(L, d, "kind", "unknown fault kind '%s' (node_crash, zone_outage, region_outage, "
                    "spot_interruption or stockout)", k);
}

static void check_targets(lua_State *L, const ScnDecl *d, WlFaultKind kind)
{
    for (unsigned i = 0; i < sizeof target_keys / sizeof target_keys[0]; i++)
        if (!(takes[kind] & (1u << i)) && present(L, d, target_keys[i]))
            scn_field_error(L, d, target_keys[i], "does not apply to a %s fault", wl_fault_kind_name(kind));
    int node = present(L, d, "node"), group = present(L, d, "group");
    if ((takes[kind] & T_NODE) && node && group)
        scn_field_error(L, d, "group", "give either node or group (with count), not both");
    if ((takes[kind] & T_NODE) && !node && !group)
        scn_field_error(L, d, "node", "is required (or group, with count)");
    if (present(L, d, "count") && !group)
        scn_field_error(L, d, "count", "goes with group");
}

/* ---- names ---------------------------------------------------------------------- */
static uint32_t find_zone(const Ctx *c, const char *name)
{
    if (c->e)
        return sim_zone_find(c->e, name);
    for (size_t k = 0; k < c->s->zones.n; k++)
        if (strcmp(c->s->zones.v[k].name, name) == 0)
            return (uint32_t)k;
    return SIM_NONE;
}

static uint32_t find_group(const Ctx *c, const char *name)
{
    if (c->e)
        return sim_nodegroup_find(c->e, name);
    for (size_t k = 0; k < c->s->groups.n; k++)
        if (strcmp(c->s->groups.v[k].g.name, name) == 0)
            return (uint32_t)k;
    return SIM_NONE;
}

static const SimNodeGroup *group_of(const Ctx *c, uint32_t g)
{
    return c->e ? sim_nodegroup(c->e, g) : &c->s->groups.v[g].g;
}

static const char *where(const Ctx *c)
{
    return c->e ? "in the cluster" : "declared before this line";
}

static uint32_t ref_zone(lua_State *L, const Ctx *c, const ScnDecl *d)
{
    const char *name = scn_req_string(L, d, "zone");
    uint32_t z = find_zone(c, name);
    if (z == SIM_NONE)
        scn_field_error(L, d, "zone", "no zone named '%s' is %s", name, where(c));
    return z;
}

static uint32_t ref_region(lua_State *L, const Ctx *c, const ScnDecl *d)
{
    if (c->e == NULL)
        return scn_ref_region(L, c->s, d);
    if (!present(L, d, "region") && sim_region_count(c->e) == 1)
        return 0;   /* the only region, as in declarations */
    const char *name = scn_req_string(L, d, "region");
    uint32_t r = sim_region_find(c->e, name);
    if (r == SIM_NONE)
        scn_field_error(L, d, "region", "no region named '%s' is in the cluster", name);
    return r;
}

static uint32_t ref_group(lua_State *L, const Ctx *c, const ScnDecl *d, WlFaultKind kind)
{
    const char *name = scn_req_string(L, d, "group");
    uint32_t g = find_group(c, name);
    if (g == SIM_NONE)
        scn_field_error(L, d, "group", "no node group named '%s' is %s", name, where(c));
    if (kind == WL_FAULT_SPOT_INTERRUPTION && !group_of(c, g)->spot)
        scn_field_error(L, d, "group", "node group '%s' is not spot capacity (declare it with spot = true)", name);
    return g;
}

/* While loading, a node is named "<group>-<ordinal>" after a declared group
 * (the longest group name that fits) with an ordinal the group can reach. */
static uint32_t node_group_decl(lua_State *L, const Ctx *c, const ScnDecl *d, const char *node)
{
    uint32_t best = SIM_NONE;
    size_t bestlen = 0;
    for (size_t k = 0; k < c->s->groups.n; k++) {
        const char *g = c->s->groups.v[k].g.name;
        size_t len = strlen(g);
        if (strncmp(node, g, len) == 0 && node[len] == '-' && node[len + 1] &&
            strspn(node + len + 1, "0123456789") == strlen(node + len + 1) && len > bestlen) {
            best = (uint32_t)k;
            bestlen = len;
        }
    }
    if (best == SIM_NONE)
        scn_field_error(L, d, "node", "no node named '%s': nodes are named <group>-<ordinal> (from 0) after a "
                        "node group declared before this line", node);
    const ScnGroupDecl *gd = &c->s->groups.v[best];
    long ord = strtol(node + bestlen + 1, NULL, 10), most = gd->g.max > gd->size ? gd->g.max : gd->size;
    if (ord >= most)
        scn_field_error(L, d, "node", "no node named '%s': group '%s' has at most %ld nodes (%s-0 to %s-%ld)", node,
                        gd->g.name, most, gd->g.name, gd->g.name, most - 1);
    return best;
}

static uint32_t node_group_live(lua_State *L, const Ctx *c, const ScnDecl *d, const char *node)
{
    for (uint32_t i = sim_node_count(c->e); i-- > 0;)
        if (sim_node_live(sim_node(c->e, i)) && strcmp(sim_node(c->e, i)->name, node) == 0)
            return sim_node(c->e, i)->group;
    scn_field_error(L, d, "node", "no node named '%s' is in the cluster", node);
}

static const char *ref_node(lua_State *L, const Ctx *c, const ScnDecl *d, WlFaultKind kind)
{
    const char *node = scn_req_string(L, d, "node");
    uint32_t g = c->e ? node_group_live(L, c, d, node) : node_group_decl(L, c, d, node);
    if (kind == WL_FAULT_SPOT_INTERRUPTION && !group_of(c, g)->spot)
        scn_field_error(L, d, "node", "'%s' is in node group '%s', which is not spot capacity", node,
                        group_of(c, g)->name);
    return node;
}

/* Reads every field but `at` into *f; raises on the first bad one. The node
 * name is the Lua table's (the caller copies it). */
static void read_fault(lua_State *L, const Ctx *c, ScnDecl *d, WlFault *f)
{
    memset(f, 0, sizeof *f);
    f->group = f->zone = f->region = SIM_NONE;
    f->kind = read_kind(L, d);
    check_targets(L, d, f->kind);
    f->duration = scn_opt_duration(L, d, "duration", 0);
    f->count = (int32_t)scn_opt_int(L, d, "count", 1, 1, 100000);
    if (present(L, d, "node"))
        f->node = ref_node(L, c, d, f->kind);
    if (present(L, d, "group") || f->kind == WL_FAULT_STOCKOUT)
        f->group = ref_group(L, c, d, f->kind);
    if (f->kind == WL_FAULT_ZONE_OUTAGE)
        f->zone = ref_zone(L, c, d);
    if (f->kind == WL_FAULT_REGION_OUTAGE)
        f->region = ref_region(L, c, d);
}

/* ---- fault { ... } ---------------------------------------------------------------- */
static int l_fault(lua_State *L)
{
    static const char *const keys[] = {"kind", "at", "duration", "node", "group", "count", "zone", "region", NULL};
    ScnScenario *s = scn_from_lua(L);
    if (lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "fault: expected a table of fields, e.g. fault { kind = \"node_crash\", "
                          "node = \"cpu-0\", at = \"09:30\" }");
    ScnDecl d = {"fault", NULL, 1};
    scn_check_keys(L, &d, keys);
    Ctx c = {s, NULL};
    FaultDecl *fd = scn_arena_alloc(L, s, sizeof *fd);
    read_fault(L, &c, &d, &fd->f);
    if (!present(L, &d, "at"))
        scn_field_error(L, &d, "at", "is required (a time such as \"09:30\" or \"90m\")");
    fd->f.at = scn_opt_when(L, s, &d, "at", 0);
    if (fd->f.node)
        fd->f.node = scn_arena_strdup(L, s, fd->f.node);
    fd->next = NULL;
    if (s->faults == NULL) {
        s->faults = scn_arena_alloc(L, s, sizeof *s->faults);
        s->faults->head = NULL;
        s->faults->tail = &s->faults->head;
    }
    *s->faults->tail = fd;
    s->faults->tail = &fd->next;
    return 0;
}

size_t scn_fault_count(const ScnScenario *s)
{
    size_t n = 0;
    for (const FaultDecl *f = s->faults ? s->faults->head : NULL; f; f = f->next)
        n++;
    return n;
}

void scn_api_fault_register(lua_State *L)
{
    lua_register(L, "fault", l_fault);
}

int scn_fault_build(ScnScenario *s, WlFaults *f)
{
    for (const FaultDecl *fd = s->faults ? s->faults->head : NULL; fd; fd = fd->next) {
        int rc = wl_fault_add(f, &fd->f);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* ---- k.fail { ... }: a fault now ------------------------------------------------- */
int scn_k_fail(lua_State *L)
{
    static const char *const keys[] = {"kind", "duration", "node", "group", "count", "zone", "region", NULL};
    ScnScenario *s = scn_from_lua(L);
    if (s->hooks.e == NULL || s->hooks.faults == NULL)
        return luaL_error(L, "k is usable only while a hook runs");
    if (s->hooks.after)
        return luaL_error(L, "k.fail: an expectation reads the run; it cannot act on it");
    luaL_checktype(L, 1, LUA_TTABLE);
    ScnDecl d = {"k.fail", NULL, 1};
    scn_check_keys(L, &d, keys);
    Ctx c = {s, s->hooks.e};
    WlFault f;
    read_fault(L, &c, &d, &f);
    f.at = sim_now(s->hooks.e);
    if (wl_fault_add(s->hooks.faults, &f) != SIM_OK)
        return luaL_error(L, "k.fail: %s", sim_errmsg(s->hooks.e));
    return 0;
}
