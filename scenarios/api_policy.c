/*
 * api_policy.c: the policy declarations of a scenario script.
 *
 *   priorityclass { name = "batch-low", value = -10, global_default = false,
 *                   preemption_policy = "Never", description = "..." }
 *   pdb { name = "api", namespace = "team-a", region = "eu", selector = { app = "api" },
 *         min_available = 2 }                 -- or "50%"; or max_unavailable = 1 | "25%"
 *   quota { name = "team-a", namespace = "team-a", region = "eu",
 *           hard = { ["requests.cpu"] = "20", ["requests.memory"] = "64Gi", ["count/pods"] = 50 },
 *           priority_classes = { "batch-low" } }   -- scopeSelector: PriorityClass In (...)
 *   limitrange { name = "defaults", namespace = "team-a", region = "eu",
 *                default = { cpu = "500m", memory = "512Mi" }, default_request = { cpu = "250m" },
 *                min = { cpu = "50m" }, max = { cpu = "4", memory = "8Gi" } }
 *
 * Declarations live in the scenario's arena, in lists kept in declaration
 * order; building adds them to the engine before any workload starts (they
 * are cluster set-up). Keys are checked with the nearest key suggested,
 * quantities are read as Kubernetes writes them, references (region,
 * namespace, priority class) must name something declared earlier, and
 * every error names the file, line, declaration and field.
 */
#include "scenarios/scn_int.h"
#include "scenarios/scn_keys.h"

#include <stdio.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "sim/policy.h"

typedef struct PcDecl {
    struct PcDecl *next;
    SimPriorityClass pc;
} PcDecl;

typedef struct PdbDecl {
    struct PdbDecl *next;
    SimPdb pdb;
} PdbDecl;

typedef struct QuotaDecl {
    struct QuotaDecl *next;
    SimQuota q;
} QuotaDecl;

typedef struct LrDecl {
    struct LrDecl *next;
    SimLimitRange lr;
} LrDecl;

/* Each list with the address of its last next pointer, to append in order. */
struct ScnPolicy {
    PcDecl *pcs, **pcs_end;
    PdbDecl *pdbs, **pdbs_end;
    QuotaDecl *quotas, **quotas_end;
    LrDecl *lrs, **lrs_end;
};

#define APPEND(list, end, node) (*(end) = (node), (end) = &(node)->next)

static struct ScnPolicy *policy(lua_State *L, ScnScenario *s)
{
    if (s->policy == NULL) {
        s->policy = scn_arena_alloc(L, s, sizeof *s->policy);
        s->policy->pcs_end = &s->policy->pcs;
        s->policy->pdbs_end = &s->policy->pdbs;
        s->policy->quotas_end = &s->policy->quotas;
        s->policy->lrs_end = &s->policy->lrs;
    }
    return s->policy;
}

/* ---- helpers ---------------------------------------------------------------- */
static ScnDecl open_decl(lua_State *L, const char *what, const char *const *keys)
{
    ScnDecl d = {what, NULL, 1};
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "%s: expected a table of fields, e.g. %s { name = \"...\" }", what, what);
    const char *why;
    const char *name = scn_req_string(L, &d, "name");
    if (!kx_name_valid(name, KX_DNS1123_SUBDOMAIN, &why))
        scn_field_error(L, &d, "name", "'%s' is not a valid Kubernetes name: %s", name, why);
    d.name = name;   /* first, so that every later message names it */
    scn_check_keys(L, &d, keys);
    return d;
}

/* ---- priorityclass { name, value, global_default, preemption_policy } ------- */
static PcDecl *find_class(ScnScenario *s, const char *name)
{
    for (PcDecl *p = s->policy ? s->policy->pcs : NULL; p; p = p->next)
        if (strcmp(p->pc.name, name) == 0)
            return p;
    return NULL;
}

/* A built-in class (system-node-critical, ...) as a declaration: what the
 * API server creates, there without a manifest. */
static void add_builtin(lua_State *L, ScnScenario *s, const SimPriorityClass *b)
{
    struct ScnPolicy *pol = policy(L, s);
    PcDecl *p = scn_arena_alloc(L, s, sizeof *p);
    p->pc = *b;
    p->pc.name = scn_arena_strdup(L, s, b->name);
    APPEND(pol->pcs, pol->pcs_end, p);
}

void scn_policy_check_class(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, const char *name)
{
    if (find_class(s, name) != NULL)
        return;
    const SimPriorityClass *b = sim_priorityclass_builtin(name);
    if (b)
        add_builtin(L, s, b);
    else
        scn_field_error(L, d, key, "no priorityclass named '%s' is declared before this line", name);
}

static int preempt_never(lua_State *L, const ScnDecl *d)
{
    const char *p = scn_opt_string(L, d, "preemption_policy", "PreemptLowerPriority");
    if (strcmp(p, "Never") != 0 && strcmp(p, "PreemptLowerPriority") != 0)
        scn_field_error(L, d, "preemption_policy", "\"%s\" is not PreemptLowerPriority or Never", p);
    return strcmp(p, "Never") == 0;
}

static int l_priorityclass(lua_State *L)
{
    static const char *const keys[] = {"name", "value", "global_default", "preemption_policy", "description",
                                       NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = open_decl(L, "priorityclass", keys);
    struct ScnPolicy *pol = policy(L, s);
    const PcDecl *had = find_class(s, d.name);
    if (had && !had->pc.builtin)
        scn_field_error(L, &d, "name", "'%s' is declared twice", d.name);
    if (scn_field(L, &d, "value") == LUA_TNIL)
        scn_field_error(L, &d, "value", "is required (the pods' priority, e.g. 1000)");
    lua_pop(L, 1);
    PcDecl *p = scn_arena_alloc(L, s, sizeof *p);
    const SimPriorityClass *b = sim_priorityclass_builtin(d.name);
    p->pc.value = (int32_t)scn_opt_int(L, &d, "value", 0, INT32_MIN, b ? INT32_MAX : 1000000000);
    p->pc.global_default = scn_opt_bool(L, &d, "global_default", 0);
    p->pc.preempt_never = preempt_never(L, &d);
    /* Declaring a built-in class (as a cluster dump lists it) is a no-op, as
     * long as it says what the API server created. */
    if (b && (p->pc.value != b->value || p->pc.global_default || p->pc.preempt_never))
        scn_field_error(L, &d, "value", "'%s' is a built-in class (value %d, not the global default, "
                        "PreemptLowerPriority): name it without declaring it", d.name, (int)b->value);
    p->pc.builtin = b != NULL;
    if (had)
        return 0;   /* named before it was declared: there already */
    (void)scn_opt_string(L, &d, "description", NULL);
    for (PcDecl *o = pol->pcs; p->pc.global_default && o; o = o->next)
        if (o->pc.global_default)
            scn_field_error(L, &d, "global_default", "priorityclass '%s' is already the global default; "
                            "only one can be", o->pc.name);
    p->pc.name = scn_arena_strdup(L, s, d.name);
    APPEND(pol->pcs, pol->pcs_end, p);
    return 0;
}

/* ---- pdb { name, namespace, region, selector, min_available | max_unavailable } */
/* A map of labels as In requirements (matchLabels), sorted by key; or
 * { match_labels, match_expressions } (scn_selector). */
static void pdb_selector(lua_State *L, ScnScenario *s, const ScnDecl *d, SimSelector *sel)
{
    int t = scn_field(L, d, "selector");
    if (t != LUA_TTABLE)
        scn_field_error(L, d, "selector", t == LUA_TNIL ? "is required (e.g. { app = \"api\" }; {} selects "
                        "every pod of the namespace)" : "expected a table of label = \"value\"");
    int idx = lua_gettop(L);
    int structured = lua_getfield(L, idx, "match_labels") != LUA_TNIL;
    structured |= lua_getfield(L, idx, "match_expressions") != LUA_TNIL;
    lua_pop(L, 2);
    if (structured) {   /* a LabelSelector with matchExpressions, as the podspec's selectors take it */
        scn_selector(L, s, d, idx, "selector", sel);
        lua_pop(L, 1);
        return;
    }
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
            scn_field_error(L, d, "selector", "keys and values must be strings");
        sel->nreqs++;
    }
    sel->reqs = sel->nreqs ? scn_arena_alloc(L, s, sel->nreqs * sizeof *sel->reqs) : NULL;
    size_t i = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1), i++) {
        SimSelReq *r = &sel->reqs[i];
        r->key = scn_arena_strdup(L, s, lua_tostring(L, -2));
        r->op = SIM_SEL_IN;
        r->values = scn_arena_alloc(L, s, sizeof *r->values);
        r->values[0] = scn_arena_strdup(L, s, lua_tostring(L, -1));
        r->nvalues = 1;
    }
    lua_pop(L, 1);
    for (size_t a = 1; a < sel->nreqs; a++)   /* Lua's table order is not deterministic */
        for (size_t b = a; b > 0 && strcmp(sel->reqs[b - 1].key, sel->reqs[b].key) > 0; b--) {
            SimSelReq tmp = sel->reqs[b];
            sel->reqs[b] = sel->reqs[b - 1];
            sel->reqs[b - 1] = tmp;
        }
}

/* An IntOrString as upstream takes it: a whole number, or "N%" (0-100). */
static void int_or_percent(lua_State *L, const ScnDecl *d, const char *key, SimPdb *pdb)
{
    int t = scn_field(L, d, key);
    if (t == LUA_TNUMBER) {
        lua_pop(L, 1);
        pdb->value = (int32_t)scn_opt_int(L, d, key, 0, 0, INT32_MAX);
        return;
    }
    const char *text = t == LUA_TSTRING ? lua_tostring(L, -1) : "";
    int pct = -1, used = 0;
    if (t != LUA_TSTRING || sscanf(text, "%3d%%%n", &pct, &used) != 1 || text[used] != '\0' || pct < 0 ||
        pct > 100 || text[0] == '+' || text[0] == ' ')
        scn_field_error(L, d, key, "expected a whole number or a percentage such as \"50%%\", got %s",
                        t == LUA_TSTRING ? text : lua_typename(L, t));
    lua_pop(L, 1);
    pdb->value = pct;
    pdb->percent = 1;
}

static void check_unique_pdb(lua_State *L, ScnScenario *s, const ScnDecl *d, const SimPdb *pdb)
{
    for (PdbDecl *o = s->policy->pdbs; o; o = o->next)
        if (o->pdb.region == pdb->region && o->pdb.ns == pdb->ns && strcmp(o->pdb.name, d->name) == 0)
            scn_field_error(L, d, "name", "'%s' is declared twice in this namespace", d->name);
}

static int l_pdb(lua_State *L)
{
    static const char *const keys[] = {"name", "namespace", "region", "selector", "min_available",
                                       "max_unavailable", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = open_decl(L, "pdb", keys);
    struct ScnPolicy *pol = policy(L, s);
    PdbDecl *p = scn_arena_alloc(L, s, sizeof *p);
    p->pdb.region = scn_ref_region(L, s, &d);
    p->pdb.ns = scn_ref_namespace(L, s, &d);
    check_unique_pdb(L, s, &d, &p->pdb);
    int has_min = scn_field(L, &d, "min_available") != LUA_TNIL;
    int has_max = scn_field(L, &d, "max_unavailable") != LUA_TNIL;
    lua_pop(L, 2);
    if (has_min == has_max)
        scn_field_error(L, &d, has_min ? "max_unavailable" : "min_available",
                        "give exactly one of min_available and max_unavailable");
    p->pdb.max_unavailable = has_max;
    int_or_percent(L, &d, has_max ? "max_unavailable" : "min_available", &p->pdb);
    pdb_selector(L, s, &d, &p->pdb.selector);
    p->pdb.name = scn_arena_strdup(L, s, d.name);
    APPEND(pol->pdbs, pol->pdbs_end, p);
    return 0;
}

/* ---- quota { name, namespace, region, hard, priority_classes } ------------- */
static void quota_hard(lua_State *L, const ScnDecl *d, SimQuota *q)
{
    ScnDecl sub;
    char what[200];
    if (!scn_sub_decl(L, d, "hard", &sub, what, sizeof what))
        scn_field_error(L, d, "hard", "is required, e.g. { [\"requests.cpu\"] = \"20\", pods = 50 }");
    scn_check_keys(L, &sub, sim_quota_res_names);
    for (int r = 0; r < SIM_QR_COUNT; r++) {
        int64_t v = scn_opt_quantity(L, &sub, sim_quota_res_name((SimQuotaRes)r),
                                     sim_quota_res_milli((SimQuotaRes)r), -1);
        if (v >= 0) {
            q->hard[r] = v;
            q->hard_set |= UINT32_C(1) << r;
        }
    }
    lua_pop(L, 1);
    if (q->hard_set == 0)
        scn_field_error(L, d, "hard", "names no resource");
}

/* priority_classes = {...}: scopeSelector { PriorityClass In (...) }. */
static void quota_scope(lua_State *L, ScnScenario *s, const ScnDecl *d, SimQuota *q)
{
    int t = scn_field(L, d, "priority_classes");
    lua_Integer n = t == LUA_TTABLE ? luaL_len(L, -1) : 0;
    if (t != LUA_TNIL && n == 0)
        scn_field_error(L, d, "priority_classes", "expected a non-empty list of priority class names");
    if (n > 0) {
        SimSelReq *r = scn_arena_alloc(L, s, sizeof *r);
        r->key = scn_arena_strdup(L, s, "PriorityClass");
        r->op = SIM_SEL_IN;
        r->values = scn_arena_alloc(L, s, (size_t)n * sizeof *r->values);
        for (lua_Integer i = 1; i <= n; i++, lua_pop(L, 1)) {
            if (lua_geti(L, -1, i) != LUA_TSTRING)
                scn_field_error(L, d, "priority_classes", "item %lld is not a string", (long long)i);
            scn_policy_check_class(L, s, d, "priority_classes", lua_tostring(L, -1));
            r->values[r->nvalues++] = scn_arena_strdup(L, s, lua_tostring(L, -1));
        }
        q->scope.reqs = r;
        q->scope.nreqs = 1;
    }
    lua_pop(L, 1);
}

static int l_quota(lua_State *L)
{
    static const char *const keys[] = {"name", "namespace", "region", "hard", "priority_classes", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = open_decl(L, "quota", keys);
    struct ScnPolicy *pol = policy(L, s);
    QuotaDecl *p = scn_arena_alloc(L, s, sizeof *p);
    p->q.region = scn_ref_region(L, s, &d);
    p->q.ns = scn_ref_namespace(L, s, &d);
    for (QuotaDecl *o = pol->quotas; o; o = o->next)
        if (o->q.region == p->q.region && o->q.ns == p->q.ns && strcmp(o->q.name, d.name) == 0)
            scn_field_error(L, &d, "name", "'%s' is declared twice in this namespace", d.name);
    quota_hard(L, &d, &p->q);
    quota_scope(L, s, &d, &p->q);
    p->q.name = scn_arena_strdup(L, s, d.name);
    APPEND(pol->quotas, pol->quotas_end, p);
    return 0;
}

const char *const scn_keys_limitrange_cpu_mem[] = {"cpu", "memory", NULL};
/* ---- limitrange { name, namespace, region, default, default_request, min, max } */
static void cpu_mem(lua_State *L, const ScnDecl *d, const char *key, SimCpuMem *out)
{
    const char *const *keys = scn_keys_limitrange_cpu_mem;
    ScnDecl sub;
    char what[200];
    if (!scn_sub_decl(L, d, key, &sub, what, sizeof what))
        return;
    scn_check_keys(L, &sub, keys);
    out->cpu_m = scn_opt_quantity(L, &sub, "cpu", 1, -1);
    out->mem = scn_opt_quantity(L, &sub, "memory", 0, -1);
    if (out->cpu_m == 0 || out->mem == 0)
        scn_field_error(L, &sub, out->cpu_m == 0 ? "cpu" : "memory", "must be positive (leave it out for none)");
    out->cpu_m = out->cpu_m < 0 ? 0 : out->cpu_m;
    out->mem = out->mem < 0 ? 0 : out->mem;
    lua_pop(L, 1);
}

static int l_limitrange(lua_State *L)
{
    static const char *const keys[] = {"name", "namespace", "region", "default", "default_request", "min",
                                       "max", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = open_decl(L, "limitrange", keys);
    struct ScnPolicy *pol = policy(L, s);
    LrDecl *p = scn_arena_alloc(L, s, sizeof *p);
    p->lr.region = scn_ref_region(L, s, &d);
    p->lr.ns = scn_ref_namespace(L, s, &d);
    for (LrDecl *o = pol->lrs; o; o = o->next)
        if (o->lr.region == p->lr.region && o->lr.ns == p->lr.ns && strcmp(o->lr.name, d.name) == 0)
            scn_field_error(L, &d, "name", "'%s' is declared twice in this namespace", d.name);
    cpu_mem(L, &d, "default", &p->lr.deflt);
    cpu_mem(L, &d, "default_request", &p->lr.deflt_req);
    cpu_mem(L, &d, "min", &p->lr.min);
    cpu_mem(L, &d, "max", &p->lr.max);
    SimLimitRange check = p->lr;   /* the engine normalizes its own copy again */
    SimErr why = SIM_ERR_INIT;
    if (sim_limitrange_normalize(&check, &why) != SIM_OK)
        scn_field_error(L, &d, "min", "%s (after defaulting: default from max, default_request from "
                        "default, then from min)", sim_err_msg(&why));
    p->lr.name = scn_arena_strdup(L, s, d.name);
    APPEND(pol->lrs, pol->lrs_end, p);
    return 0;
}

/* ---- registering and building ---------------------------------------------- */
void scn_api_policy_register(lua_State *L)
{
    static const luaL_Reg fns[] = {{"priorityclass", l_priorityclass}, {"pdb", l_pdb}, {"quota", l_quota},
                                   {"limitrange", l_limitrange}, {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
}

int scn_policy_build(ScnScenario *s, SimEngine *e)
{
    if (s->policy == NULL)
        return SIM_OK;
    uint32_t id;
    int rc = SIM_OK;
    for (PcDecl *p = s->policy->pcs; rc == SIM_OK && p; p = p->next)
        rc = sim_priorityclass_add(e, &p->pc, &id);
    for (QuotaDecl *p = s->policy->quotas; rc == SIM_OK && p; p = p->next)
        rc = sim_quota_add(e, &p->q, &id);
    for (LrDecl *p = s->policy->lrs; rc == SIM_OK && p; p = p->next)
        rc = sim_limitrange_add(e, &p->lr, &id);
    for (PdbDecl *p = s->policy->pdbs; rc == SIM_OK && p; p = p->next)
        rc = sim_pdb_add(e, &p->pdb, &id);
    return rc;
}
