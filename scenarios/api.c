/*
 * api.c: the functions a scenario script calls. Each takes one table of named
 * fields, checks every key and value, and appends a declaration; references
 * between declarations (a node group's region, a deployment's namespace) must
 * name something declared earlier in the script.
 */
#include "scenarios/scn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "workloads/gates.h"

static ScnDecl decl_open(lua_State *L, const char *what)
{
    ScnDecl d = {what, NULL, 1};
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "%s: expected a table of fields, e.g. %s { name = \"...\" }", what, what);
    return d;
}

static const char *decl_name(lua_State *L, ScnDecl *d, KxNameRule rule)
{
    const char *why;
    const char *name = scn_req_string(L, d, "name");
    if (!kx_name_valid(name, rule, &why))
        scn_field_error(L, d, "name", "'%s' is not a valid Kubernetes name: %s", name, why);
    d->name = name;
    return name;
}

uint32_t scn_find_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (uint32_t)i;
    return SIM_NONE;
}

/* The region a script that declares none runs in: "default", zone "default-a"
 * (as region { name = "default" } would declare it). */
static void implied_region(lua_State *L, ScnScenario *s)
{
    char **slot = SCN_PUSH(L, s, s->regions);
    *slot = scn_strdup(L, s, SCN_IMPLIED_REGION);
    ScnZoneDecl *z = SCN_PUSH(L, s, s->zones);
    z->region = (uint32_t)(s->regions.n - 1);
    z->name = scn_strdup(L, s, SCN_IMPLIED_REGION "-a");
    s->region_implied = 1;
}

uint32_t scn_ref_region(lua_State *L, ScnScenario *s, const ScnDecl *d)
{
    const char *given = scn_opt_string(L, d, "region", NULL);
    if (s->regions.n == 0 && (given == NULL || strcmp(given, SCN_IMPLIED_REGION) == 0))
        implied_region(L, s);   /* README: a script with no region{} has one, implied */
    const char *r = given ? given : s->regions.n == 1 ? s->regions.v[0] : NULL;
    if (r == NULL)
        scn_field_error(L, d, "region", "is required when the scenario has several regions");
    uint32_t id = scn_find_name(s->regions.v, s->regions.n, r);
    if (id == SIM_NONE)
        scn_field_error(L, d, "region", "no region named '%s' is declared before this line", r);
    return id;
}

uint32_t scn_ref_namespace(lua_State *L, ScnScenario *s, const ScnDecl *d)
{
    const char *ns = scn_opt_string(L, d, "namespace", "default");
    uint32_t id = scn_find_name(s->namespaces.v, s->namespaces.n, ns);
    if (id != SIM_NONE)
        return id;
    if (strcmp(ns, "default") != 0)
        scn_field_error(L, d, "namespace", "no namespace named '%s' is declared before this line", ns);
    char **slot = SCN_PUSH(L, s, s->namespaces);   /* "default" exists as in every cluster */
    *slot = scn_strdup(L, s, "default");
    return (uint32_t)(s->namespaces.n - 1);
}

/* Does w match a reference to name in namespace ns (SIM_NONE: any) of kinds? */
static int wl_matches(const SimWorkload *w, const char *name, uint32_t ns, unsigned kinds)
{
    return (ns == SIM_NONE || w->ns == ns) && (kinds == 0 || (kinds & (1u << w->kind))) &&
           strcmp(w->name, name) == 0;
}

/* The one workload matching in namespace ns (SIM_NONE: any), or SIM_NONE, SIM_AMBIGUOUS. */
static uint32_t wl_match(const ScnScenario *s, const char *name, uint32_t ns, unsigned kinds)
{
    uint32_t found = SIM_NONE;
    for (size_t i = 0; i < s->workloads.n; i++)
        if (s->workloads.v[i].name && wl_matches(&s->workloads.v[i], name, ns, kinds)) {
            if (found != SIM_NONE)
                return SIM_AMBIGUOUS;
            found = (uint32_t)i;
        }
    return found;
}

uint32_t scn_find_workload(const ScnScenario *s, const char *ref, unsigned kinds, uint32_t ns_ctx)
{
    const char *slash = strchr(ref, '/');
    if (slash) {
        uint32_t ns = SIM_NONE;
        size_t len = (size_t)(slash - ref);
        for (size_t i = 0; i < s->namespaces.n && ns == SIM_NONE; i++)
            if (strlen(s->namespaces.v[i]) == len && memcmp(s->namespaces.v[i], ref, len) == 0)
                ns = (uint32_t)i;
        return ns == SIM_NONE ? SIM_NONE : wl_match(s, slash + 1, ns, kinds);
    }
    uint32_t id = ns_ctx == SIM_NONE ? SIM_NONE : wl_match(s, ref, ns_ctx, kinds);
    return id != SIM_NONE ? id : wl_match(s, ref, SIM_NONE, kinds);
}

uint32_t scn_ref_workload(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, unsigned kinds,
                          uint32_t ns_ctx, const char *what)
{
    const char *ref = scn_req_string(L, d, key);
    uint32_t id = scn_find_workload(s, ref, kinds, ns_ctx);
    if (id == SIM_AMBIGUOUS)
        scn_field_error(L, d, key, "several %ss are named '%s' (in several namespaces): write \"NAMESPACE/NAME\"",
                        what, ref);
    if (id != SIM_NONE)
        return id;
    id = scn_find_workload(s, ref, 0, ns_ctx);
    if (id != SIM_NONE && id != SIM_AMBIGUOUS)
        scn_field_error(L, d, key, "'%s' is not a %s", ref, what);
    scn_field_error(L, d, key, "no %s named '%s' is declared before this line", what, ref);
    return SIM_NONE;
}

/* The workload just pushed (the last one) must be the only one of its kind
 * and name in its namespace; a Job made by a backtest is a Job. */
void scn_check_workload_unique(lua_State *L, ScnScenario *s, const ScnDecl *d)
{
    const SimWorkload *w = &s->workloads.v[s->workloads.n - 1];
    for (size_t i = 0; i + 1 < s->workloads.n; i++)
        if (s->workloads.v[i].kind == w->kind && s->workloads.v[i].ns == w->ns &&
            strcmp(s->workloads.v[i].name, d->name) == 0) {
            if (s->namespaces.n > 1)
                scn_field_error(L, d, "name", "'%s' is declared twice in namespace '%s'", d->name,
                                s->namespaces.v[w->ns]);
            scn_field_error(L, d, "name", "'%s' is declared twice", d->name);
        }
}

static void check_unique(lua_State *L, char **names, size_t n, const ScnDecl *d)
{
    if (scn_find_name(names, n, d->name) != SIM_NONE)
        scn_field_error(L, d, "name", "'%s' is declared twice", d->name);
}

/* ---- scenario { name, duration, start, sample_every, description } ------ */
/* s for a message: bytes outside printable ASCII, '"' and '\\' as \xHH, cut
 * with "..." to fit n, so a bad name cannot garble the terminal. */
static const char *printable(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    for (; *s && k + 8 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            k += (size_t)snprintf(buf + k, n - k, "\\x%02x", c);
        else
            buf[k++] = (char)c;
    }
    snprintf(buf + k, n - k, "%s", *s ? "..." : "");
    return buf;
}

static int set_by_flag(const ScnScenario *s, const char *name)
{
    for (size_t i = 0; i < s->sets.n; i++)
        if (strcmp(s->sets.v[i].name, name) == 0)
            return 1;
    return 0;
}

/* The name is a folder's name (runs/NAME-SEED/, manifests/NAME/) and a label
 * value in the export, so it follows Kubernetes' label-value rule, which
 * also keeps out '/', "..", control characters and anything not ASCII. */
static void scenario_name(lua_State *L, ScnScenario *s, const ScnDecl *d)
{
    const char *name = scn_opt_string(L, d, "name", NULL), *why;
    if (name == NULL)
        return;
    if (*name == '\0' || !kx_name_valid(name, KX_LABEL_VALUE, &why)) {
        char shown[48];
        why = strlen(name) > 63 ? "must be no more than 63 characters"
                                : "use letters, digits, '-', '_' and '.', starting and ending with a letter or "
                                  "digit (a Kubernetes label value)";
        scn_field_error(L, d, "name", "\"%s\"%s is not a valid scenario name: %s",
                        printable(name, shown, sizeof shown),
                        set_by_flag(s, "scenario.name") ? " (from --set scenario.name)" : "", why);
    }
    sim_mem_strfree(s->mem, s->name);
    s->name = NULL;
    s->name = scn_strdup(L, s, name);
}

/* feature_gates = { NAME = true|false, ... }: upstream's gate names; an
 * unknown one is refused listing the known ones. Gates are read in the
 * table's order (gates.c), then any other key is refused: the smallest by
 * name, so that the message does not depend on Lua's hash order. */
static void feature_gates(lua_State *L, ScnScenario *s, const ScnDecl *d)
{
    char known[256], bad[64] = "";
    int t = scn_field(L, d, "feature_gates");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE)
        scn_field_error(L, d, "feature_gates", "expected a table of gates, e.g. { HPAScaleToZero = true }");
    for (lua_pushnil(L); lua_next(L, -2) != 0; lua_pop(L, 1)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (k == NULL)
            scn_field_error(L, d, "feature_gates", "keys are gate names (%s)", wl_gate_list(known, sizeof known));
        if (wl_gate_parse(k) < 0 && (bad[0] == '\0' || strcmp(k, bad) < 0))
            snprintf(bad, sizeof bad, "%s", k);
    }
    if (bad[0])
        scn_field_error(L, d, "feature_gates", "unknown feature gate '%s' (known: %s)", bad,
                        wl_gate_list(known, sizeof known));
    for (int g = 0; g < WL_GATE_COUNT; g++) {
        int v = lua_getfield(L, -1, wl_gate_name((WlGate)g));
        if (v != LUA_TNIL && v != LUA_TBOOLEAN)
            scn_field_error(L, d, "feature_gates", "%s: expected true or false, got %s", wl_gate_name((WlGate)g),
                            lua_typename(L, v));
        if (v == LUA_TBOOLEAN && !lua_toboolean(L, -1) && (s->gates_relied & WL_GATE_BIT(g)))
            scn_field_error(L, d, "feature_gates", "%s: a declaration above needs it on",
                            wl_gate_name((WlGate)g));
        if (v == LUA_TBOOLEAN)
            s->gates = lua_toboolean(L, -1) ? s->gates | WL_GATE_BIT(g) : s->gates & ~WL_GATE_BIT(g);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int l_scenario(lua_State *L)
{
    static const char *const keys[] = {"name",     "duration", "start",         "sample_every", "description",
                                       "timezone", "date",     "feature_gates", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "scenario");
    scn_check_keys(L, &d, keys);
    scenario_name(L, s, &d);
    s->duration = scn_opt_duration(L, &d, "duration", s->duration);
    scn_clock_decl(L, s, &d);
    const char *start = scn_opt_string(L, &d, "start", NULL);
    if (start && scn_parse_clock(start, &s->start_clock) != SIM_OK)
        scn_field_error(L, &d, "start", "\"%s\" is not a time of day (e.g. \"07:00\")", start);
    s->sample_every = scn_opt_duration(L, &d, "sample_every", s->sample_every);
    (void)scn_opt_string(L, &d, "description", NULL);
    feature_gates(L, s, &d);
    if (s->duration <= 0)
        scn_field_error(L, &d, "duration", "must be positive");
    if (s->sample_every <= 0)
        scn_field_error(L, &d, "sample_every", "must be positive");
    return 0;
}

/* ---- region { name, zones = {...} } ------------------------------------- */
static void region_zones(lua_State *L, ScnScenario *s, const ScnDecl *d, uint32_t region)
{
    int t = scn_field(L, d, "zones");
    if (t == LUA_TNIL) {   /* one zone named after the region */
        lua_pop(L, 1);
        ScnZoneDecl *z = SCN_PUSH(L, s, s->zones);
        z->region = region;
        lua_pushfstring(L, "%s-a", d->name);
        z->name = scn_strdup(L, s, lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE || luaL_len(L, -1) == 0)
        scn_field_error(L, d, "zones", "expected a non-empty list of zone names");
    for (lua_Integer i = 1; i <= luaL_len(L, -1); i++) {
        if (lua_geti(L, -1, i) != LUA_TSTRING)
            scn_field_error(L, d, "zones", "item %lld is not a string", (long long)i);
        const char *zn = lua_tostring(L, -1);
        for (size_t k = 0; k < s->zones.n; k++)
            if (strcmp(s->zones.v[k].name, zn) == 0)
                scn_field_error(L, d, "zones", "zone '%s' is declared twice", zn);
        ScnZoneDecl *z = SCN_PUSH(L, s, s->zones);
        z->region = region;
        z->name = scn_strdup(L, s, zn);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int l_region(lua_State *L)
{
    static const char *const keys[] = {"name", "zones", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "region");
    decl_name(L, &d, KX_DNS1123_LABEL);   /* first, so that every later message names it */
    scn_check_keys(L, &d, keys);
    if (s->region_implied)   /* else what came before would sit alone in the implied region */
        scn_field_error(L, &d, "name", "a region must be declared before the node groups and workloads: one "
                        "before this line named none, so the scenario has the implied region '%s' only",
                        SCN_IMPLIED_REGION);
    check_unique(L, s->regions.v, s->regions.n, &d);
    char **slot = SCN_PUSH(L, s, s->regions);
    *slot = scn_strdup(L, s, d.name);
    region_zones(L, s, &d, (uint32_t)(s->regions.n - 1));
    return 0;
}

/* ---- namespace { name } --------------------------------------------------- */
static int l_namespace(lua_State *L)
{
    static const char *const keys[] = {"name", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "namespace");
    decl_name(L, &d, KX_DNS1123_LABEL);   /* first, so that every later message names it */
    scn_check_keys(L, &d, keys);
    check_unique(L, s->namespaces.v, s->namespaces.n, &d);
    char **slot = SCN_PUSH(L, s, s->namespaces);
    *slot = scn_strdup(L, s, d.name);
    return 0;
}

/* ---- nodegroup { ... } -------------------------------------------------- */
static void group_zones(lua_State *L, ScnScenario *s, const ScnDecl *d, ScnGroupDecl *gd)
{
    SimNodeGroup *g = &gd->g;
    int t = scn_field(L, d, "zones");
    lua_Integer n = t == LUA_TTABLE ? luaL_len(L, -1) : 0;
    if (t != LUA_TNIL && (t != LUA_TTABLE || n == 0))
        scn_field_error(L, d, "zones", "expected a non-empty list of zone names");
    for (size_t k = 0; k < s->zones.n; k++)   /* default: every zone of the region */
        if (t == LUA_TNIL && s->zones.v[k].region == g->region) {
            if (g->nzones == gd->zcap)
                scn_grow(L, s, (void **)&g->zones, &gd->zcap, sizeof *g->zones);
            g->zones[g->nzones++] = (uint32_t)k;
        }
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, -1, i) != LUA_TSTRING)
            scn_field_error(L, d, "zones", "item %lld is not a string", (long long)i);
        const char *zn = lua_tostring(L, -1);
        size_t k = 0;
        while (k < s->zones.n && strcmp(s->zones.v[k].name, zn) != 0)
            k++;
        if (k == s->zones.n || s->zones.v[k].region != g->region)
            scn_field_error(L, d, "zones", "'%s' is not a zone of region '%s'", zn, s->regions.v[g->region]);
        if (g->nzones == gd->zcap)
            scn_grow(L, s, (void **)&g->zones, &gd->zcap, sizeof *g->zones);
        g->zones[g->nzones++] = (uint32_t)k;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    scn_shrink(L, s, (void **)&g->zones, &gd->zcap, g->nzones, sizeof *g->zones);
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const SimKV *)a)->key, ((const SimKV *)b)->key);
}

/* Labels are kept sorted by key: Lua's table order is not deterministic. */
static void group_labels(lua_State *L, ScnScenario *s, const ScnDecl *d, ScnGroupDecl *gd)
{
    SimNodeGroup *g = &gd->g;
    int t = scn_field(L, d, "labels");
    if (t != LUA_TNIL && t != LUA_TTABLE)
        scn_field_error(L, d, "labels", "expected a table of key = \"value\"");
    for (lua_pushnil(L); t == LUA_TTABLE && lua_next(L, -2) != 0; lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
            scn_field_error(L, d, "labels", "keys and values must be strings");
        if (g->nlabels == gd->lcap)
            scn_grow(L, s, (void **)&g->labels, &gd->lcap, sizeof *g->labels);
        g->labels[g->nlabels].key = scn_strdup(L, s, lua_tostring(L, -2));
        g->labels[g->nlabels].value = NULL;
        g->nlabels++;
        g->labels[g->nlabels - 1].value = scn_strdup(L, s, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    scn_shrink(L, s, (void **)&g->labels, &gd->lcap, g->nlabels, sizeof *g->labels);
    if (g->nlabels > 1)
        qsort(g->labels, g->nlabels, sizeof *g->labels, kv_cmp);
}

static int taint_effect(const char *text, SimTaintEffect *out)
{
    static const char *const names[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};
    for (int i = 0; i < 3; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (SimTaintEffect)i;
            return 1;
        }
    return 0;
}

/* A taint is written as kubectl does: "key=value:Effect" or "key:Effect". */
static void parse_taint(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *text, SimTaint *t)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL || !taint_effect(colon + 1, &t->effect))
        scn_field_error(L, d, "taints", "\"%s\" is not key=value:Effect with Effect one of NoSchedule, "
                        "PreferNoSchedule, NoExecute", text);
    const char *eq = memchr(text, '=', (size_t)(colon - text));
    const char *kend = eq ? eq : colon;
    if (kend == text)
        scn_field_error(L, d, "taints", "\"%s\" has an empty key", text);
    lua_pushlstring(L, text, (size_t)(kend - text));
    t->key = scn_strdup(L, s, lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_pushlstring(L, eq ? eq + 1 : "", eq ? (size_t)(colon - eq - 1) : 0);
    t->value = scn_strdup(L, s, lua_tostring(L, -1));
    lua_pop(L, 1);
}

static void group_taints(lua_State *L, ScnScenario *s, const ScnDecl *d, ScnGroupDecl *gd)
{
    SimNodeGroup *g = &gd->g;
    int t = scn_field(L, d, "taints");
    if (t != LUA_TNIL && t != LUA_TTABLE)
        scn_field_error(L, d, "taints", "expected a list such as {\"dedicated=gpu:NoSchedule\"}");
    lua_Integer n = t == LUA_TTABLE ? luaL_len(L, -1) : 0;
    if (n > 0) {
        g->taints = sim_mem_calloc(s->mem, (size_t)n, sizeof *g->taints);
        if (g->taints == NULL)
            luaL_error(L, "out of memory");
        gd->tcap = (size_t)n;
    }
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, -1, i) != LUA_TSTRING)
            scn_field_error(L, d, "taints", "item %lld is not a string like \"key=value:NoSchedule\"", (long long)i);
        g->ntaints++;
        parse_taint(L, s, d, lua_tostring(L, -1), &g->taints[g->ntaints - 1]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* price: USD per node-hour, or "unknown": the group is not free, but what
 * it costs is not known (an import without --prices), so every cost that
 * includes it is reported as unknown. */
static void group_price(lua_State *L, const ScnDecl *d, SimNodeGroup *g)
{
    int t = scn_field(L, d, "price");
    const char *text = t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    g->price_unknown = text && strcmp(text, "unknown") == 0;
    /* A --set keeps the type it replaces: price = "unknown" set to 0.3 is "0.3". */
    if (text && !g->price_unknown && lua_stringtonumber(L, text) == 0)
        scn_field_error(L, d, "price", "expected USD per node-hour or \"unknown\", got \"%s\"", text);
    if (text && !g->price_unknown)
        lua_setfield(L, d->idx, "price");   /* the number, read below as one */
    lua_pop(L, 1);
    g->price_per_hour = g->price_unknown ? 0 : scn_opt_number(L, d, "price", 0, 0, 1e6);
}

static int l_nodegroup(lua_State *L)
{
    static const char *const keys[] = {"name", "region", "instance_type", "cpu", "memory", "gpu", "pods",
                                       "price", "min", "max", "size", "zones", "labels", "taints",
                                       "provision_delay", "speed", "gpu_speedup", "expander_priority",
                                       "scale_down_disabled", "spot", "spot_interruptions_per_hour", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "nodegroup");
    decl_name(L, &d, KX_DNS1123_LABEL);   /* first, so that every later message names it */
    scn_check_keys(L, &d, keys);
    for (size_t i = 0; i < s->groups.n; i++)   /* before the push: the new one has no name yet */
        if (strcmp(s->groups.v[i].g.name, d.name) == 0)
            scn_field_error(L, &d, "name", "'%s' is declared twice", d.name);
    ScnGroupDecl *gd = SCN_PUSH(L, s, s->groups);
    SimNodeGroup *g = &gd->g;
    g->name = scn_strdup(L, s, d.name);
    g->region = scn_ref_region(L, s, &d);
    g->instance_type = scn_strdup(L, s, scn_opt_string(L, &d, "instance_type", d.name));
    g->alloc.cpu_m = scn_opt_quantity(L, &d, "cpu", 1, 0);
    g->alloc.mem = scn_opt_quantity(L, &d, "memory", 0, 0);
    g->alloc.gpu = scn_opt_int(L, &d, "gpu", 0, 0, 64);
    g->alloc.pods = scn_opt_int(L, &d, "pods", 110, 1, 10000);
    if (g->alloc.cpu_m <= 0 || g->alloc.mem <= 0)
        scn_field_error(L, &d, g->alloc.cpu_m <= 0 ? "cpu" : "memory", "is required and must be positive");
    group_price(L, &d, g);
    g->min = (int32_t)scn_opt_int(L, &d, "min", 0, 0, 100000);
    g->max = (int32_t)scn_opt_int(L, &d, "max", g->min > 0 ? g->min : 1, 0, 100000);
    if (g->min > g->max)
        scn_field_error(L, &d, "min", "min (%d) is greater than max (%d)", g->min, g->max);
    gd->size = (int32_t)scn_opt_int(L, &d, "size", g->min, g->min, g->max);
    g->provision_delay = scn_opt_duration(L, &d, "provision_delay", SIM_SEC(90));
    g->speed = scn_opt_number(L, &d, "speed", 1.0, 1e-3, 1e3);
    g->gpu_speedup = scn_opt_number(L, &d, "gpu_speedup", 1.0, 1.0, 1e4);
    g->expander_priority = (int32_t)scn_opt_int(L, &d, "expander_priority", 0, -2147483647, 2147483647);
    gd->scale_down_disabled = (uint8_t)scn_opt_bool(L, &d, "scale_down_disabled", 0);
    g->spot = (uint8_t)scn_opt_bool(L, &d, "spot", 0);   /* faults: interruptions (workloads/faults.c) */
    g->spot_interruptions_per_hour = scn_opt_number(L, &d, "spot_interruptions_per_hour", 0, 0, 3600);
    if (g->spot_interruptions_per_hour > 0 && !g->spot)
        scn_field_error(L, &d, "spot_interruptions_per_hour", "needs spot = true");
    group_zones(L, s, &d, gd);
    group_labels(L, s, &d, gd);
    group_taints(L, s, &d, gd);
    return 0;
}

/* ---- workloads ------------------------------------------------------------ */
void scn_workload_common(lua_State *L, ScnScenario *s, ScnDecl *d, SimWorkload *w)
{
    w->region = scn_ref_region(L, s, d);
    w->ns = scn_ref_namespace(L, s, d);
    scn_check_workload_unique(L, s, d);   /* before the name is set: w is the last one */
    w->name = scn_strdup(L, s, d->name);
    w->spec.req.cpu_m = scn_opt_quantity(L, d, "cpu", 1, 0);
    w->spec.req.mem = scn_opt_quantity(L, d, "memory", 0, 0);
    w->spec.req.gpu = scn_opt_int(L, d, "gpu", 0, 0, 64);
    w->spec.req.pods = 1;
    w->spec.lim_cpu_m = scn_opt_quantity(L, d, "cpu_limit", 1, 0);
    w->spec.lim_mem = scn_opt_quantity(L, d, "memory_limit", 0, 0);
    w->spec.startup = scn_opt_duration(L, d, "startup", SIM_SEC(10));
    w->spec.priority = (int32_t)scn_opt_int(L, d, "priority", 0, -2147483647, 1000000000);
    scn_podspec(L, s, d, &w->spec);
}

static int l_deployment(lua_State *L)
{
    static const char *const keys[] = {"name", "namespace", "region", "replicas", "cpu", "memory", "gpu",
                                       "cpu_limit", "memory_limit", "startup", "priority", "queue", "serve",
                                       "image", "strategy", "min_ready", "progress_deadline", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "deployment");
    decl_name(L, &d, KX_DNS1123_SUBDOMAIN);   /* first, so that every later message names it */
    scn_check_keys2(L, &d, keys, scn_podspec_keys);
    SimWorkload *w = SCN_PUSH(L, s, s->workloads);
    w->kind = SIM_WL_DEPLOYMENT;
    scn_workload_common(L, s, &d, w);
    w->replicas = (int32_t)scn_opt_int(L, &d, "replicas", 1, 0, 1000000);
    scn_deployment_apps(L, s, &d, s->workloads.n - 1);   /* image, strategy, min_ready, progress_deadline */
    scn_queue_worker(L, s, &d, s->workloads.n - 1);   /* queue = "name": its pods serve that queue */
    scn_traffic_serve(L, s, &d, s->workloads.n - 1);  /* serve = {...}: its pods serve requests */
    return 0;
}

static int l_job(lua_State *L)
{
    static const char *const keys[] = {"name", "namespace", "region", "start", "completions", "parallelism",
                                       "duration", "cpu", "memory", "gpu", "cpu_limit", "memory_limit",
                                       "startup", "priority", "completion_mode", "backoff_limit",
                                       "active_deadline", "ttl_after_finished", "fail", "suspend", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "job");
    decl_name(L, &d, KX_DNS1123_SUBDOMAIN);   /* first, so that every later message names it */
    scn_check_keys2(L, &d, keys, scn_podspec_keys);
    SimWorkload *w = SCN_PUSH(L, s, s->workloads);
    w->kind = SIM_WL_JOB;
    scn_workload_common(L, s, &d, w);
    scn_job_fields(L, s, &d, w);   /* completions, parallelism, duration, backoff... (api_job.c) */
    w->start_at = scn_opt_when(L, s, &d, "start", 0);
    w->job.suspend = (uint8_t)scn_opt_bool(L, &d, "suspend", 0);
    if (w->job.suspend && w->start_at > 0)
        scn_field_error(L, &d, "suspend", "a suspended Job never starts: give start or suspend, not both");
    return 0;
}

/* ---- daemonset { ... }: one pod on every node that admits it -------------- */
static int l_daemonset(lua_State *L)
{
    static const char *const keys[] = {"name", "namespace", "region", "cpu", "memory", "gpu", "cpu_limit",
                                       "memory_limit", "startup", "priority", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = decl_open(L, "daemonset");
    decl_name(L, &d, KX_DNS1123_SUBDOMAIN);
    scn_check_keys2(L, &d, keys, scn_podspec_keys);
    SimWorkload *w = SCN_PUSH(L, s, s->workloads);
    w->kind = SIM_WL_DAEMONSET;
    scn_workload_common(L, s, &d, w);
    return 0;
}

/* ---- param(name, default [, description]) ------------------------------- */
static ScnSet *find_set(ScnScenario *s, const char *name)
{
    for (size_t i = 0; i < s->sets.n; i++)
        if (strcmp(s->sets.v[i].name, name) == 0)
            return &s->sets.v[i];
    return NULL;
}

/* Pushes the --set value converted to the default's type. */
static void push_override(lua_State *L, const char *name, const char *text, int type)
{
    if (type == LUA_TSTRING) {
        lua_pushstring(L, text);
    } else if (type == LUA_TBOOLEAN) {
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            luaL_error(L, "--set %s=%s: param '%s' takes true or false", name, text, name);
        lua_pushboolean(L, strcmp(text, "true") == 0);
    } else if (lua_stringtonumber(L, text) == 0) {
        luaL_error(L, "--set %s=%s: param '%s' takes a number", name, text, name);
    }
}

static int l_param(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    const char *name = luaL_checkstring(L, 1);
    int type = lua_type(L, 2);
    if (type != LUA_TNUMBER && type != LUA_TSTRING && type != LUA_TBOOLEAN)
        return luaL_error(L, "param '%s': the default must be a number, a string or a boolean", name);
    const char *desc = luaL_optstring(L, 3, "");
    for (size_t i = 0; i < s->params.n; i++)
        if (strcmp(s->params.v[i].name, name) == 0)
            return luaL_error(L, "param '%s' is declared twice", name);
    ScnSet *set = find_set(s, name);
    if (set) {
        set->used = 1;
        push_override(L, name, set->value, type);
    } else {
        lua_pushvalue(L, 2);
    }
    ScnParam *p = SCN_PUSH(L, s, s->params);
    p->name = scn_strdup(L, s, name);
    p->deflt = scn_strdup(L, s, scn_tostring(L, 2, NULL));
    lua_pop(L, 1);
    p->value = scn_strdup(L, s, scn_tostring(L, -1, NULL));
    lua_pop(L, 1);
    p->desc = scn_strdup(L, s, desc);
    return 1;
}

/* ---- expect(name, fn) ------------------------------------------------------ */
static int l_expect(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    for (size_t i = 0; i < s->expects.n; i++)
        if (strcmp(s->expects.v[i].name, name) == 0)
            return luaL_error(L, "expect '%s' is declared twice", name);
    ScnExpect *x = SCN_PUSH(L, s, s->expects);
    x->ref = LUA_NOREF;
    x->name = scn_strdup(L, s, name);
    lua_pushvalue(L, 2);
    x->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

void scn_api_register(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"scenario", l_scenario}, {"region", l_region}, {"namespace", l_namespace},
        {"nodegroup", l_nodegroup}, {"deployment", l_deployment}, {"job", l_job},
        {"daemonset", l_daemonset},
        {"param", l_param}, {"expect", l_expect}, {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
    scn_api_backtest_register(L);
    scn_api_market_register(L);
    scn_api_job_register(L);
    scn_api_queue_register(L);
    scn_api_traffic_register(L);
    scn_api_policy_register(L);
    scn_api_apps_register(L);
    scn_api_hpa_register(L);
    scn_api_hooks_register(L);
    scn_api_fault_register(L);
    scn_api_autoscaler_register(L);
}
