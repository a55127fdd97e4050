/*
 * podspec.c: the pod-template fields shared by every workload declaration,
 * written close to the Kubernetes API so users can carry manifests over:
 *
 *   labels = { app = "api" }                        -- default { app = NAME }
 *   node_selector = { ["nvidia.com/gpu.product"] = "A10G" }
 *   tolerations = { "nvidia.com/gpu=present:NoSchedule", "spot:NoSchedule",
 *                   { key = "k", operator = "Exists", effect = "NoExecute", seconds = 300 } }
 *   affinity = {
 *     node = { required = { { { key = "k", operator = "In", values = { "a" } } } },
 *              preferred = { { weight = 10, match = { { key = "k", operator = "Exists" } } } } },
 *     pod = { required = { { selector = { app = "db" }, topology_key = "topology.kubernetes.io/zone" } },
 *             preferred = { { weight = 50, selector = { app = "db" }, topology_key = "kubernetes.io/hostname" } } },
 *     pod_anti = { ... same shape as pod ... } }
 *   spread = { { max_skew = 1, topology_key = "topology.kubernetes.io/zone",
 *                when_unsatisfiable = "DoNotSchedule", selector = { app = "api" }, min_domains = 3 } }
 *   priority_class = "high"
 *   usage = { cpu = "300m", memory = "1Gi" }   -- steady usage per pod, for workloads no model loads
 *
 * A selector is a map (matchLabels) or { match_labels = {...}, match_expressions = {...} }.
 * Everything is allocated from the scenario's arena; errors name the file,
 * line, declaration and the field's path (affinity.node.required[1][2].operator).
 */
#include "scenarios/scn_int.h"
#include "scenarios/scn_keys.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const scn_podspec_keys[] = {"labels", "node_selector", "tolerations", "affinity", "spread",
                                        "priority_class", "usage", "safe_to_evict", "local_storage",
                                        "termination_grace", NULL};

typedef struct Ctx {
    lua_State *L;
    ScnScenario *s;
    const ScnDecl *d;
} Ctx;

__attribute__((noreturn, format(printf, 3, 4)))
static void fail(const Ctx *c, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    scn_field_error(c->L, c->d, path, "%s", msg);
}

/* Checks the keys of the table at idx, naming it by path. */
static void check_table(const Ctx *c, int idx, const char *path, const char *const *keys)
{
    char what[200];
    snprintf(what, sizeof what, "%s '%s': field '%s'", c->d->what, c->d->name ? c->d->name : "?", path);
    ScnDecl sub = {what, NULL, lua_absindex(c->L, idx)};
    scn_check_keys(c->L, &sub, keys);
}

static void expect_table(const Ctx *c, int idx, const char *path)
{
    if (!lua_istable(c->L, idx))
        fail(c, path, "expected a table, got %s", luaL_typename(c->L, idx));
}

static const char *get_string(const Ctx *c, int idx, const char *key, const char *path, int required)
{
    int t = lua_getfield(c->L, idx, key);
    const char *v = NULL;
    if (t == LUA_TSTRING)
        v = scn_arena_strdup(c->L, c->s, lua_tostring(c->L, -1));
    else if (t != LUA_TNIL || required)
        fail(c, path, "'%s' must be a string", key);
    lua_pop(c->L, 1);
    return v;
}

static int64_t get_int(const Ctx *c, int idx, const char *key, const char *path, int64_t deflt, int64_t lo,
                       int64_t hi)
{
    int t = lua_getfield(c->L, idx, key), isint = 0;
    int64_t v = deflt;
    if (t != LUA_TNIL) {
        v = (int64_t)lua_tointegerx(c->L, -1, &isint);
        if (!isint)
            fail(c, path, "'%s' must be a whole number", key);
    }
    lua_pop(c->L, 1);
    if (v < lo || v > hi)
        fail(c, path, "'%s' = %lld is out of range [%lld, %lld]", key, (long long)v, (long long)lo, (long long)hi);
    return v;
}

/* ---- labels and selectors --------------------------------------------------- */
static SimKV *parse_map(const Ctx *c, int idx, const char *path, size_t *n)
{
    idx = lua_absindex(c->L, idx);
    expect_table(c, idx, path);
    size_t count = 0;
    for (lua_pushnil(c->L); lua_next(c->L, idx); lua_pop(c->L, 1)) {
        if (lua_type(c->L, -2) != LUA_TSTRING || lua_type(c->L, -1) != LUA_TSTRING)
            fail(c, path, "keys and values must be strings");
        count++;
    }
    SimKV *kv = count ? scn_arena_alloc(c->L, c->s, count * sizeof *kv) : NULL;
    size_t i = 0;
    for (lua_pushnil(c->L); lua_next(c->L, idx); lua_pop(c->L, 1), i++) {
        kv[i].key = scn_arena_strdup(c->L, c->s, lua_tostring(c->L, -2));
        kv[i].value = scn_arena_strdup(c->L, c->s, lua_tostring(c->L, -1));
    }
    for (size_t a = 1; a < count; a++)   /* sorted by key: Lua's table order is not deterministic */
        for (size_t b = a; b > 0 && strcmp(kv[b - 1].key, kv[b].key) > 0; b--) {
            SimKV t = kv[b];
            kv[b] = kv[b - 1];
            kv[b - 1] = t;
        }
    *n = count;
    return kv;
}

static SimSelOp parse_op(const Ctx *c, const char *op, const char *path)
{
    static const char *const names[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"};
    for (int i = 0; i < 6; i++)
        if (strcmp(op, names[i]) == 0)
            return (SimSelOp)i;
    fail(c, path, "operator '%s' is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt", op);
}

static void parse_values(const Ctx *c, int idx, SimSelReq *r, const char *path)
{
    int t = lua_getfield(c->L, idx, "values");
    if (t != LUA_TNIL && t != LUA_TTABLE)
        fail(c, path, "'values' must be a list of strings");
    r->nvalues = t == LUA_TTABLE ? (size_t)luaL_len(c->L, -1) : 0;
    r->values = r->nvalues ? scn_arena_alloc(c->L, c->s, r->nvalues * sizeof *r->values) : NULL;
    for (size_t i = 0; i < r->nvalues; i++) {
        int vt = lua_geti(c->L, -1, (lua_Integer)i + 1);
        if (vt != LUA_TSTRING && vt != LUA_TNUMBER)
            fail(c, path, "values[%zu] must be a string", i + 1);
        r->values[i] = scn_arena_strdup(c->L, c->s, lua_tostring(c->L, -1));
        lua_pop(c->L, 1);
    }
    lua_pop(c->L, 1);
    int needs = r->op == SIM_SEL_IN || r->op == SIM_SEL_NOT_IN;
    int single = r->op == SIM_SEL_GT || r->op == SIM_SEL_LT;
    if ((needs && r->nvalues == 0) || (single && r->nvalues != 1) || (!needs && !single && r->nvalues))
        fail(c, path, "operator %s takes %s", needs ? "In/NotIn" : single ? "Gt/Lt" : "Exists/DoesNotExist",
             needs ? "one or more values" : single ? "exactly one integer value" : "no values");
}

const char *const scn_keys_selector_expression[] = {"key", "operator", "values", NULL};
static void parse_req(const Ctx *c, int idx, SimSelReq *r, const char *path)
{
    const char *const *keys = scn_keys_selector_expression;
    idx = lua_absindex(c->L, idx);
    expect_table(c, idx, path);
    check_table(c, idx, path, keys);
    r->key = (char *)get_string(c, idx, "key", path, 1);
    r->op = parse_op(c, get_string(c, idx, "operator", path, 1), path);
    parse_values(c, idx, r, path);
}

/* A list of requirements (matchExpressions, or a node selector term). */
static void parse_reqs(const Ctx *c, int idx, SimSelector *sel, const char *path)
{
    idx = lua_absindex(c->L, idx);
    expect_table(c, idx, path);
    size_t n = (size_t)luaL_len(c->L, idx), base = sel->nreqs;
    SimSelReq *reqs = scn_arena_alloc(c->L, c->s, (base + n + 1) * sizeof *reqs);
    if (base)
        memcpy(reqs, sel->reqs, base * sizeof *reqs);
    for (size_t i = 0; i < n; i++) {
        char sub[160];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i + 1);
        lua_geti(c->L, idx, (lua_Integer)i + 1);
        parse_req(c, -1, &reqs[base + i], sub);
        lua_pop(c->L, 1);
    }
    sel->reqs = reqs;
    sel->nreqs = base + n;
}

/* matchLabels become In requirements with one value each. */
static void labels_to_reqs(const Ctx *c, const SimKV *kv, size_t n, SimSelector *sel)
{
    sel->reqs = n ? scn_arena_alloc(c->L, c->s, n * sizeof *sel->reqs) : NULL;
    for (size_t i = 0; i < n; i++) {
        sel->reqs[i].key = kv[i].key;
        sel->reqs[i].op = SIM_SEL_IN;
        sel->reqs[i].values = scn_arena_alloc(c->L, c->s, sizeof(char *));
        sel->reqs[i].values[0] = kv[i].value;
        sel->reqs[i].nvalues = 1;
    }
    sel->nreqs = n;
}

const char *const scn_keys_selector[] = {"match_labels", "match_expressions", NULL};
static void parse_selector(const Ctx *c, int idx, SimSelector *sel, const char *path)
{
    const char *const *keys = scn_keys_selector;
    idx = lua_absindex(c->L, idx);
    expect_table(c, idx, path);
    int structured = lua_getfield(c->L, idx, "match_labels") != LUA_TNIL;
    structured |= lua_getfield(c->L, idx, "match_expressions") != LUA_TNIL;
    size_t n = 0;
    char sub[160];
    if (!structured) {
        lua_pop(c->L, 2);
        SimKV *kv = parse_map(c, idx, path, &n);
        labels_to_reqs(c, kv, n, sel);
        return;
    }
    check_table(c, idx, path, keys);
    if (!lua_isnil(c->L, -2)) {
        snprintf(sub, sizeof sub, "%s.match_labels", path);
        SimKV *kv = parse_map(c, -2, sub, &n);
        labels_to_reqs(c, kv, n, sel);
    }
    if (!lua_isnil(c->L, -1)) {
        snprintf(sub, sizeof sub, "%s.match_expressions", path);
        parse_reqs(c, -1, sel, sub);
    }
    lua_pop(c->L, 2);
}

void scn_selector(lua_State *L, ScnScenario *s, const ScnDecl *d, int idx, const char *path, SimSelector *sel)
{
    Ctx c = {L, s, d};
    parse_selector(&c, idx, sel, path);
}

/* ---- tolerations ------------------------------------------------------------ */
static int effect_of(const char *text)
{
    static const char *const names[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};
    for (int i = 0; i < 3; i++)
        if (strcmp(text, names[i]) == 0)
            return i;
    return -2;
}

/* "key=value:Effect" (Equal), "key:Effect" (Exists), "key" (Exists, every effect). */
static void toleration_string(const Ctx *c, const char *text, SimToleration *t, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    t->effect = -1;
    t->seconds = -1;
    char *colon = strrchr(buf, ':');
    if (colon) {
        *colon = '\0';
        if ((t->effect = effect_of(colon + 1)) == -2)
            fail(c, path, "\"%s\": effect must be NoSchedule, PreferNoSchedule or NoExecute", text);
    }
    char *eq = strchr(buf, '=');
    t->op = eq ? SIM_TOL_EQUAL : SIM_TOL_EXISTS;
    if (eq)
        *eq = '\0';
    t->key = scn_arena_strdup(c->L, c->s, buf);
    t->value = scn_arena_strdup(c->L, c->s, eq ? eq + 1 : "");
}

const char *const scn_keys_pod_toleration[] = {"key", "operator", "value", "effect", "seconds", NULL};
static void toleration_table(const Ctx *c, int idx, SimToleration *t, const char *path)
{
    const char *const *keys = scn_keys_pod_toleration;
    check_table(c, idx, path, keys);
    const char *key = get_string(c, idx, "key", path, 0);
    const char *op = get_string(c, idx, "operator", path, 0);
    const char *value = get_string(c, idx, "value", path, 0);
    const char *effect = get_string(c, idx, "effect", path, 0);
    if (op && strcmp(op, "Equal") != 0 && strcmp(op, "Exists") != 0)
        fail(c, path, "operator must be Equal or Exists");
    t->op = op && strcmp(op, "Exists") == 0 ? SIM_TOL_EXISTS : SIM_TOL_EQUAL;
    if (t->op == SIM_TOL_EXISTS && value && *value)
        fail(c, path, "operator Exists takes no value");
    if (t->op == SIM_TOL_EQUAL && (key == NULL || *key == '\0'))
        fail(c, path, "operator Equal needs a key");
    t->key = (char *)(key ? key : scn_arena_strdup(c->L, c->s, ""));
    t->value = (char *)(value ? value : scn_arena_strdup(c->L, c->s, ""));
    t->effect = effect ? effect_of(effect) : -1;
    if (t->effect == -2)
        fail(c, path, "effect must be NoSchedule, PreferNoSchedule or NoExecute");
    t->seconds = get_int(c, idx, "seconds", path, -1, -1, INT64_C(1) << 40);
}

static void parse_tolerations(const Ctx *c, int idx, SimPodSpec *spec)
{
    expect_table(c, idx, "tolerations");
    spec->ntolerations = (size_t)luaL_len(c->L, idx);
    spec->tolerations = scn_arena_alloc(c->L, c->s, (spec->ntolerations + 1) * sizeof *spec->tolerations);
    for (size_t i = 0; i < spec->ntolerations; i++) {
        char path[64];
        snprintf(path, sizeof path, "tolerations[%zu]", i + 1);
        int t = lua_geti(c->L, idx, (lua_Integer)i + 1);
        if (t == LUA_TSTRING)
            toleration_string(c, lua_tostring(c->L, -1), &spec->tolerations[i], path);
        else if (t == LUA_TTABLE)
            toleration_table(c, lua_absindex(c->L, -1), &spec->tolerations[i], path);
        else
            fail(c, path, "expected \"key=value:Effect\" or a table");
        lua_pop(c->L, 1);
    }
}

/* ---- affinity ----------------------------------------------------------------- */
static size_t list_len(const Ctx *c, int idx, const char *path)
{
    expect_table(c, idx, path);
    return (size_t)luaL_len(c->L, idx);
}

const char *const scn_keys_pod_node_affinity[] = {"required", "preferred", NULL};
const char *const scn_keys_pod_node_preferred[] = {"weight", "match", NULL};
static void node_affinity(const Ctx *c, int idx, SimPodSpec *spec)
{
    const char *const *keys = scn_keys_pod_node_affinity;
    const char *const *pkeys = scn_keys_pod_node_preferred;
    check_table(c, idx, "affinity.node", keys);
    if (lua_getfield(c->L, idx, "required") != LUA_TNIL) {
        size_t n = list_len(c, -1, "affinity.node.required");
        spec->node_required = scn_arena_alloc(c->L, c->s, (n + 1) * sizeof *spec->node_required);
        for (size_t i = 0; i < n; i++, spec->nnode_required++) {
            char path[96];
            snprintf(path, sizeof path, "affinity.node.required[%zu]", i + 1);
            lua_geti(c->L, -1, (lua_Integer)i + 1);
            parse_reqs(c, -1, &spec->node_required[i], path);
            lua_pop(c->L, 1);
        }
    }
    lua_pop(c->L, 1);
    if (lua_getfield(c->L, idx, "preferred") != LUA_TNIL) {
        size_t n = list_len(c, -1, "affinity.node.preferred");
        spec->node_preferred = scn_arena_alloc(c->L, c->s, (n + 1) * sizeof *spec->node_preferred);
        for (size_t i = 0; i < n; i++, spec->nnode_preferred++) {
            char path[96];
            snprintf(path, sizeof path, "affinity.node.preferred[%zu]", i + 1);
            lua_geti(c->L, -1, (lua_Integer)i + 1);
            expect_table(c, -1, path);
            check_table(c, -1, path, pkeys);
            spec->node_preferred[i].weight = (int32_t)get_int(c, lua_absindex(c->L, -1), "weight", path, 1, 1, 100);
            lua_getfield(c->L, -1, "match");
            parse_reqs(c, -1, &spec->node_preferred[i].term, path);
            lua_pop(c->L, 2);
        }
    }
    lua_pop(c->L, 1);
}

const char *const scn_keys_pod_term_required[] = {"selector", "topology_key", NULL};
const char *const scn_keys_pod_term_preferred[] = {"selector", "topology_key", "weight", NULL};
static void pod_term(const Ctx *c, int idx, SimPodAffinityTerm *t, int preferred, const char *path)
{
    const char *const *rkeys = scn_keys_pod_term_required;
    const char *const *pkeys = scn_keys_pod_term_preferred;
    idx = lua_absindex(c->L, idx);
    expect_table(c, idx, path);
    check_table(c, idx, path, preferred ? pkeys : rkeys);
    t->topology_key = (char *)get_string(c, idx, "topology_key", path, 1);
    t->weight = preferred ? (int32_t)get_int(c, idx, "weight", path, 1, 1, 100) : 0;
    char sub[160];
    snprintf(sub, sizeof sub, "%s.selector", path);
    if (lua_getfield(c->L, idx, "selector") == LUA_TNIL)
        fail(c, path, "'selector' is required");
    parse_selector(c, -1, &t->selector, sub);
    lua_pop(c->L, 1);
}

static SimPodAffinityTerm *pod_terms(const Ctx *c, int idx, const char *key, int preferred, const char *base,
                                     size_t *n)
{
    SimPodAffinityTerm *terms = NULL;
    *n = 0;
    if (lua_getfield(c->L, idx, key) != LUA_TNIL) {
        char path[96];
        snprintf(path, sizeof path, "%s.%s", base, key);
        size_t len = list_len(c, -1, path);
        terms = scn_arena_alloc(c->L, c->s, (len + 1) * sizeof *terms);
        for (size_t i = 0; i < len; i++, (*n)++) {
            char sub[128];
            snprintf(sub, sizeof sub, "%.90s[%zu]", path, i + 1);
            lua_geti(c->L, -1, (lua_Integer)i + 1);
            pod_term(c, -1, &terms[i], preferred, sub);
            lua_pop(c->L, 1);
        }
    }
    lua_pop(c->L, 1);
    return terms;
}

const char *const scn_keys_pod_affinity_terms[] = {"required", "preferred", NULL};
static void pod_affinity(const Ctx *c, int idx, SimPodAffinity *a, int anti)
{
    const char *const *keys = scn_keys_pod_affinity_terms;
    const char *base = anti ? "affinity.pod_anti" : "affinity.pod";
    check_table(c, idx, base, keys);
    if (anti) {
        a->req_anti = pod_terms(c, idx, "required", 0, base, &a->nreq_anti);
        a->pref_anti = pod_terms(c, idx, "preferred", 1, base, &a->npref_anti);
    } else {
        a->req_affinity = pod_terms(c, idx, "required", 0, base, &a->nreq_affinity);
        a->pref_affinity = pod_terms(c, idx, "preferred", 1, base, &a->npref_affinity);
    }
}

const char *const scn_keys_pod_affinity[] = {"node", "pod", "pod_anti", NULL};
static void parse_affinity(const Ctx *c, int idx, SimPodSpec *spec)
{
    const char *const *keys = scn_keys_pod_affinity;
    expect_table(c, idx, "affinity");
    check_table(c, idx, "affinity", keys);
    if (lua_getfield(c->L, idx, "node") != LUA_TNIL) {
        expect_table(c, -1, "affinity.node");
        node_affinity(c, lua_absindex(c->L, -1), spec);
    }
    if (lua_getfield(c->L, idx, "pod") != LUA_TNIL) {
        expect_table(c, -1, "affinity.pod");
        pod_affinity(c, lua_absindex(c->L, -1), &spec->affinity, 0);
    }
    if (lua_getfield(c->L, idx, "pod_anti") != LUA_TNIL) {
        expect_table(c, -1, "affinity.pod_anti");
        pod_affinity(c, lua_absindex(c->L, -1), &spec->affinity, 1);
    }
    lua_pop(c->L, 3);
}

const char *const scn_keys_pod_spread[] = {"max_skew", "topology_key", "when_unsatisfiable", "selector",
                                           "min_domains", NULL};
/* ---- topology spread -------------------------------------------------------- */
static void spread_one(const Ctx *c, int idx, SimSpread *sp, const char *path)
{
    const char *const *keys = scn_keys_pod_spread;
    idx = lua_absindex(c->L, idx);
    expect_table(c, idx, path);
    check_table(c, idx, path, keys);
    sp->max_skew = (int32_t)get_int(c, idx, "max_skew", path, 1, 1, 1000000);
    sp->topology_key = (char *)get_string(c, idx, "topology_key", path, 1);
    const char *when = get_string(c, idx, "when_unsatisfiable", path, 0);
    if (when && strcmp(when, "DoNotSchedule") != 0 && strcmp(when, "ScheduleAnyway") != 0)
        fail(c, path, "when_unsatisfiable must be DoNotSchedule or ScheduleAnyway");
    sp->do_not_schedule = when == NULL || strcmp(when, "DoNotSchedule") == 0;
    sp->min_domains = (int32_t)get_int(c, idx, "min_domains", path, 0, 0, 1000000);
    if (sp->min_domains > 0 && !sp->do_not_schedule)
        fail(c, path, "min_domains needs when_unsatisfiable = DoNotSchedule");
    if (lua_getfield(c->L, idx, "selector") != LUA_TNIL) {
        char sub[96];
        snprintf(sub, sizeof sub, "%s.selector", path);
        parse_selector(c, -1, &sp->selector, sub);
    }
    lua_pop(c->L, 1);
}

static void parse_spread(const Ctx *c, int idx, SimPodSpec *spec)
{
    size_t n = list_len(c, idx, "spread");
    spec->spread = scn_arena_alloc(c->L, c->s, (n + 1) * sizeof *spec->spread);
    for (size_t i = 0; i < n; i++, spec->nspread++) {
        char path[64];
        snprintf(path, sizeof path, "spread[%zu]", i + 1);
        lua_geti(c->L, idx, (lua_Integer)i + 1);
        spread_one(c, -1, &spec->spread[i], path);
        lua_pop(c->L, 1);
    }
}

const char *const scn_keys_pod_usage[] = {"cpu", "memory", NULL};
/* usage = { cpu = "300m", memory = "1Gi" }: what each Running pod uses, as
 * metrics-server would report it, for workloads whose load no model computes. */
static void parse_usage(const Ctx *c, int idx, SimPodSpec *spec)
{
    const char *const *keys = scn_keys_pod_usage;
    char what[200];
    expect_table(c, idx, "usage");
    check_table(c, idx, "usage", keys);
    snprintf(what, sizeof what, "%s '%s': field 'usage'", c->d->what, c->d->name ? c->d->name : "?");
    ScnDecl sub = {what, NULL, idx};
    spec->usage_cpu_m = scn_opt_quantity(c->L, &sub, "cpu", 1, 0);
    spec->usage_mem = scn_opt_quantity(c->L, &sub, "memory", 0, 0);
}

/* ---- the pod spec ------------------------------------------------------------- */
static void default_labels(const Ctx *c, SimPodSpec *spec)
{
    spec->labels = scn_arena_alloc(c->L, c->s, sizeof *spec->labels);
    spec->labels[0].key = scn_arena_strdup(c->L, c->s, "app");
    spec->labels[0].value = scn_arena_strdup(c->L, c->s, c->d->name);
    spec->nlabels = 1;
}

/* A boolean field; -1 when absent. */
static int opt_flag(const Ctx *c, const char *key)
{
    int t = scn_field(c->L, c->d, key), v = -1;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(c->L, -1);
    else if (t != LUA_TNIL)
        scn_field_error(c->L, c->d, key, "expected true or false, got %s", lua_typename(c->L, t));
    lua_pop(c->L, 1);
    return v;
}

/* The cluster autoscaler's view of the pods: the annotation
 * cluster-autoscaler.kubernetes.io/safe-to-evict and emptyDir/hostPath
 * volumes (k8s-behaviour.md §2.3). */
static void podspec_ca_fields(const Ctx *c, SimPodSpec *spec)
{
    int safe = opt_flag(c, "safe_to_evict");
    spec->safe_to_evict = (int8_t)(safe < 0 ? 0 : safe ? 1 : -1);
    spec->local_storage = (uint8_t)(opt_flag(c, "local_storage") == 1);
}

/* terminationGracePeriodSeconds: whole seconds, as the API has them; unset
 * means upstream's default (30 s). */
static void podspec_grace(const Ctx *c, SimPodSpec *spec)
{
    SimTime g = scn_opt_duration(c->L, c->d, "termination_grace", -1);
    if (g < 0)
        return;
    if (g % SIM_NS_PER_S != 0)
        scn_field_error(c->L, c->d, "termination_grace", "must be whole seconds "
                        "(terminationGracePeriodSeconds), got %lld ms", (long long)(g / SIM_MS(1)));
    spec->termination_grace = g;
    spec->termination_grace_set = 1;
}

void scn_podspec(lua_State *L, ScnScenario *s, const ScnDecl *d, SimPodSpec *spec)
{
    Ctx c = {L, s, d};
    if (scn_field(L, d, "labels") != LUA_TNIL)
        spec->labels = parse_map(&c, -1, "labels", &spec->nlabels);
    else
        default_labels(&c, spec);
    if (scn_field(L, d, "node_selector") != LUA_TNIL) {
        size_t n;
        SimKV *kv = parse_map(&c, -1, "node_selector", &n);
        labels_to_reqs(&c, kv, n, &spec->node_selector);
    }
    if (scn_field(L, d, "tolerations") != LUA_TNIL)
        parse_tolerations(&c, lua_absindex(L, -1), spec);
    if (scn_field(L, d, "affinity") != LUA_TNIL)
        parse_affinity(&c, lua_absindex(L, -1), spec);
    if (scn_field(L, d, "spread") != LUA_TNIL)
        parse_spread(&c, lua_absindex(L, -1), spec);
    lua_pop(L, 5);
    if (scn_field(L, d, "usage") != LUA_TNIL)
        parse_usage(&c, lua_absindex(L, -1), spec);
    lua_pop(L, 1);
    const char *pc = scn_opt_string(L, d, "priority_class", NULL);
    if (pc)
        scn_policy_check_class(L, s, d, "priority_class", pc);   /* declared earlier (api_policy.c) */
    spec->priority_class = pc ? scn_arena_strdup(L, s, pc) : NULL;
    podspec_ca_fields(&c, spec);
    podspec_grace(&c, spec);
}
