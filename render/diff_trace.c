/*
 * diff_trace.c: where two runs of one scenario first decide differently.
 * Both traces are read side by side; each record is written out with the
 * objects it names resolved to their names (pod 17 -> open-backtests-4), so
 * two runs whose ids differ still compare. Declarations (regions, zones,
 * node groups, namespaces, workloads, queues) are the configuration: they
 * are compared by name at the end, field by field. Samples (traffic, the end
 * record) are observations, not decisions. Every other record is a
 * decision; the first one that differs in time or content is the
 * divergence, told in words.
 *
 * Invariant: a side's name tables hold every object declared up to the
 * record being read, so a record's words name what the run knew then.
 */
#include "render/diff_int.h"

#include <stdio.h>
#include <string.h>

#include "sim/arena.h"
#include "sim/json.h"

enum { T_REGION, T_ZONE, T_GROUP, T_NS, T_WL, T_NODE, T_POD, T_QUEUE, T_N };

#define DESC_LEN 1024
#define MAX_DECLS 100000

typedef struct Names {
    const char **v;
    size_t cap;
} Names;

typedef struct Decl {
    const char *key;                 /* "nodegroup cpu-us-east" */
    const SimTrKindDef *def;
    const char *val[SIM_TRACE_MAX_FIELDS];
} Decl;

typedef struct Side {
    SimMem *m;
    const char *path;
    const SimTrSchema *schema;
    SimTraceReader *r;
    int done;                        /* the end marker was read */
    SimArena arena;
    Names names[T_N];
    Decl *decl;
    size_t ndecl, capdecl;
    SimTraceRec rec;
    const SimTrKindDef *def;
    char key[DESC_LEN];              /* the decision read last, every field */
    int oom;
} Side;

static int table(const char *field)
{
    static const char *const f[] = {"region", "zone", "group", "ns", "wl", "node", "pod", "queue", "by"};
    for (int i = 0; i < 9; i++)
        if (strcmp(field, f[i]) == 0)
            return i == 8 ? T_POD : i;
    return -1;
}

static int is_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

static const char *const config_kinds[] = {"region", "zone", "nodegroup", "namespace", "workload", "queue",
                                           "serve", NULL};
static const char *const naming_kinds[] = {"region", "zone", "nodegroup", "namespace", "workload",
                                           "queue", "node_add", "pod_create", NULL};
static const char *const sample_kinds[] = {"traffic", "end", NULL};

static int field_ix(const SimTrKindDef *d, const char *name)
{
    for (int i = 0; d->fields[i]; i++)
        if (strcmp(d->fields[i], name) == 0)
            return i;
    return -1;
}

/* A declaring record names its first field's object. */
static void learn(Side *s)
{
    int t = table(s->def->fields[0]), nf = field_ix(s->def, "name");
    int64_t id = s->rec.v[0].i;
    if (t < 0 || nf < 0 || id < 0 || id > UINT32_MAX)
        return;
    Names *n = &s->names[t];
    size_t old = n->cap;
    if (sim_mem_grow(s->m, (void **)&n->v, &n->cap, (size_t)id + 1, sizeof *n->v) != SIM_OK) {
        s->oom = 1;
        return;
    }
    memset(n->v + old, 0, (n->cap - old) * sizeof *n->v);
    if ((n->v[id] = sim_arena_strdup(&s->arena, s->rec.v[nf].s)) == NULL)
        s->oom = 1;
}

/* Field i of the current record as words: a name for an object, else the value. */
static void value(const Side *s, int i, char *buf, size_t n)
{
    int t = table(s->def->fields[i]);
    int64_t id = s->rec.v[i].i;
    if (s->def->types[i] == 's')
        snprintf(buf, n, "%s", s->rec.v[i].s);
    else if (t >= 0 && id >= 0 && (size_t)id < s->names[t].cap && s->names[t].v[id])
        snprintf(buf, n, "%s", s->names[t].v[id]);
    else
        snprintf(buf, n, "%lld", (long long)id);
}

/* Every field, "pod_bind pod=web-1 node=cpu-us-east-3" (from: the first field shown). */
static void full(const Side *s, int from, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "%s", s->def->name);
    char v[256];
    for (int i = from; s->def->fields[i] && k < n; i++) {
        value(s, i, v, sizeof v);
        k += (size_t)snprintf(buf + k, n - k, " %s=%s", s->def->fields[i], v);
    }
}

/* The decisions in words, "%field" replaced by the field's value. */
static const char *const phrases[][2] = {
    {"ca_decision", "autoscaler chose %group +%delta (for %pods pods, expander %expander)"},
    {"ca_no_scale_up", "autoscaler cannot help pod %pod: %reason"},
    {"ca_scale_up", "autoscaler chose %group +%delta (for %pods pods)"},
    {"ca_scale_down", "autoscaler removed node %node (%reason)"},
    {"ca_backoff", "autoscaler backed off %group (%reason)"},
    {"pod_bind", "pod %pod bound to %node"},
    {"pod_unschedulable", "pod %pod unschedulable: %reason"},
    {"pod_sched_fail", "pod %pod still unschedulable (attempt %attempts): %reason"},
    {"pod_preempt", "pod %pod preempted by %by on %node"},
    {"pod_nominate", "pod %pod nominated to %node"},
    {"pod_evict", "pod %pod evicted (%reason)"},
    {"pod_create", "pod %name created"},
    {"pod_running", "pod %pod running"},
    {"pod_delete", "pod %pod deleted"},
    {"node_add", "node %name added to %group"},
    {"node_ready", "node %node ready"},
    {"node_remove", "node %node removed"},
    {"hpa", "HPA %hpa wants %desired replicas of %current (limited by %limited_by)"},
    {"hpa_sync", "HPA %hpa wants %desired replicas of %current (limited by %limited_by: %reason; %metrics)"},
    {"scale", "%wl scaled %from -> %to"},
    {"quota_reject", "admission rejected a pod of %wl: %reason"},
    {"job_end", "Job %wl ended (%reason)"},
    {"fault", "fault %fault on %target (%detail)"},
};

static void phrase(const Side *s, char *buf, size_t n)
{
    const char *tpl = NULL;
    for (size_t i = 0; i < sizeof phrases / sizeof *phrases; i++)
        if (strcmp(phrases[i][0], s->def->name) == 0)
            tpl = phrases[i][1];
    if (strcmp(s->def->name, "pod_end") == 0) {   /* phase 0 Succeeded, 1 Failed */
        char v[256];
        value(s, 0, v, sizeof v);
        snprintf(buf, n, "pod %s %s", v, s->rec.v[1].i == 0 ? "succeeded" : "failed");
        return;
    }
    if (tpl == NULL) {
        full(s, 0, buf, n);
        return;
    }
    size_t k = 0;
    char word[64], v[256];
    while (*tpl && k + 1 < n) {
        size_t w = 0;
        if (*tpl != '%') {
            buf[k++] = *tpl++;
            continue;
        }
        for (tpl++; (*tpl >= 'a' && *tpl <= 'z') || *tpl == '_'; tpl++)
            if (w + 1 < sizeof word)
                word[w++] = *tpl;
        word[w] = '\0';
        int f = field_ix(s->def, word);
        if (f < 0)
            snprintf(v, sizeof v, "?");
        else
            value(s, f, v, sizeof v);
        k += (size_t)snprintf(buf + k, n - k, "%s", v);
        k = k < n ? k : n - 1;
    }
    buf[k] = '\0';
    int rj = field_ix(s->def, "rejected");
    if (strcmp(s->def->name, "ca_decision") == 0 && rj >= 0 && s->rec.v[rj].s && *s->rec.v[rj].s && k < n)
        snprintf(buf + k, n - k, "; rejected %s", s->rec.v[rj].s);
}

static void keep_decl(Side *s)
{
    char key[300], v[256];
    int nf = field_ix(s->def, "name");
    if (nf < 0)
        nf = field_ix(s->def, "service");   /* serve: a service's declaration */
    snprintf(key, sizeof key, "%s %s", s->def->name, nf >= 0 ? s->rec.v[nf].s : "?");
    if (s->ndecl >= MAX_DECLS ||
        sim_mem_grow(s->m, (void **)&s->decl, &s->capdecl, s->ndecl + 1, sizeof *s->decl) != SIM_OK) {
        s->oom = s->ndecl < MAX_DECLS;
        return;
    }
    Decl *d = &s->decl[s->ndecl++];
    memset(d, 0, sizeof *d);
    d->def = s->def;
    d->key = sim_arena_strdup(&s->arena, key);
    for (int i = 1; s->def->fields[i]; i++) {   /* the first is the id */
        value(s, i, v, sizeof v);
        d->val[i] = sim_arena_strdup(&s->arena, v);
        s->oom |= d->val[i] == NULL;
    }
    s->oom |= d->key == NULL;
}

/* The next decision into s->rec and s->key: SIM_OK, SIM_DONE at the end, or an error. */
static int next_decision(Side *s, int only_decls)
{
    int rc;
    if (s->done)
        return SIM_DONE;
    while ((rc = sim_trace_next(s->r, &s->rec)) == SIM_OK) {
        s->def = sim_trschema_get(s->schema, s->rec.kind);
        if (is_in(s->def->name, naming_kinds))
            learn(s);
        if (is_in(s->def->name, config_kinds)) {
            keep_decl(s);
            continue;
        }
        if (s->oom)
            return SIM_ENOMEM;
        if (only_decls || is_in(s->def->name, sample_kinds))
            continue;
        full(s, 0, s->key, sizeof s->key);
        return SIM_OK;
    }
    s->done = rc == SIM_DONE;
    return s->oom ? SIM_ENOMEM : rc;
}

/* Decisions that explain the others of their instant, best first: a node
 * added follows the autoscaler's choice, a pod created follows a scale. */
static const char *const headline_kinds[] = {"ca_decision", "ca_scale_up", "ca_scale_down", "ca_backoff",
                                             "pod_preempt", "pod_evict", "fault", "hpa_sync", "hpa", "scale",
                                             "quota_reject", "ca_no_scale_up", "pod_unschedulable",
                                             "pod_sched_fail", "pod_nominate", "pod_bind", NULL};

static int rank(const char *kind)
{
    int i = 0;
    for (; headline_kinds[i]; i++)
        if (strcmp(kind, headline_kinds[i]) == 0)
            return i;
    return i;
}

typedef struct Head {
    SimTime t;
    const char *kind;
    char text[DESC_LEN];
} Head;

/* The side's headline at its divergent record's instant: the first record
 * there of the best-ranked kind. Reads on through that instant (the rest of
 * the trace is only drained after). */
static int headline(Side *s, int rc, Head *h)
{
    h->t = s->rec.t;
    h->kind = s->def->name;
    phrase(s, h->text, sizeof h->text);
    int best = rank(h->kind);
    while (rc == SIM_OK && best > 0 && (rc = next_decision(s, 0)) == SIM_OK && s->rec.t == h->t)
        if (rank(s->def->name) < best) {
            best = rank(s->def->name);
            h->kind = s->def->name;
            phrase(s, h->text, sizeof h->text);
        }
    return rc == SIM_DONE ? SIM_OK : rc;
}

static cJSON *side_json(const Head *h, int rc, const RndClock *c)
{
    if (rc != SIM_OK)
        return cJSON_CreateNull();
    char when[32];
    rnd_diff_time(c, (double)h->t / 1e9, when, sizeof when);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "t_seconds", (double)h->t / 1e9);
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddStringToObject(o, "kind", h->kind);
    cJSON_AddStringToObject(o, "text", h->text);
    return o;
}

/* "first divergence 09:31:20: autoscaler chose gpu-a100 +2 (...) in A, ... in B". */
static void message(cJSON *dv, const cJSON *a, const cJSON *b, char *buf, size_t n)
{
    const cJSON *ta = cJSON_GetObjectItemCaseSensitive(a, "t_seconds");
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(b, "t_seconds");
    const char *xa = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "text"));
    const char *xb = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "text"));
    const char *wa = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "time"));
    const char *wb = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "time"));
    int a_first = tb == NULL || (ta != NULL && ta->valuedouble < tb->valuedouble);
    if (ta && tb && ta->valuedouble == tb->valuedouble)
        snprintf(buf, n, "first divergence %s: %s in A, %s in B", wa, xa, xb);
    else if (a_first && xb)
        snprintf(buf, n, "first divergence %s: %s in A; B's next decision at %s: %s", wa, xa, wb, xb);
    else if (a_first)
        snprintf(buf, n, "first divergence %s: %s in A; B has no more decisions", wa, xa);
    else if (xa)
        snprintf(buf, n, "first divergence %s: %s in B; A's next decision at %s: %s", wb, xb, wa, xa);
    else
        snprintf(buf, n, "first divergence %s: %s in B; A has no more decisions", wb, xb);
    cJSON_AddNumberToObject(dv, "t_seconds", a_first ? ta->valuedouble : tb->valuedouble);
    cJSON_AddStringToObject(dv, "time", a_first ? wa : wb);
}

static int divergence(Side *a, Side *b, const RndClock *c, cJSON *answer)
{
    int ra, rb;
    for (;;) {
        ra = next_decision(a, 0), rb = next_decision(b, 0);
        if ((ra != SIM_OK && ra != SIM_DONE) || (rb != SIM_OK && rb != SIM_DONE))
            return ra != SIM_OK && ra != SIM_DONE ? ra : rb;
        if (ra == SIM_DONE && rb == SIM_DONE) {
            cJSON_AddNullToObject(answer, "divergence");
            return SIM_DONE;
        }
        if (ra != rb || a->rec.t != b->rec.t || strcmp(a->key, b->key) != 0)
            break;
    }
    Head ha, hb;
    int ea = ra == SIM_OK ? headline(a, ra, &ha) : SIM_OK, eb = rb == SIM_OK ? headline(b, rb, &hb) : SIM_OK;
    if (ea != SIM_OK || eb != SIM_OK)
        return ea != SIM_OK ? ea : eb;
    cJSON *dv = sim_json_add_item(answer, "divergence", cJSON_CreateObject());
    cJSON *ja = sim_json_add_item(dv, "a", side_json(&ha, ra, c));
    cJSON *jb = sim_json_add_item(dv, "b", side_json(&hb, rb, c));
    char msg[3 * DESC_LEN];
    if (dv == NULL || ja == NULL || jb == NULL)
        return SIM_ENOMEM;
    message(dv, ja, jb, msg, sizeof msg);
    cJSON_AddStringToObject(dv, "message", msg);
    return SIM_OK;
}

static const Decl *find_decl(const Side *s, const char *key)
{
    for (size_t i = 0; i < s->ndecl; i++)
        if (strcmp(s->decl[i].key, key) == 0)
            return &s->decl[i];
    return NULL;
}

/* "nodegroup cpu-us-east: max 8 in A, 16 in B; min 3 in A, 4 in B". */
static void compare_decl(const Decl *x, const Decl *y, cJSON *list)
{
    char buf[DESC_LEN];
    size_t k = (size_t)snprintf(buf, sizeof buf, "%s:", x->key);
    int diff = 0;
    for (int i = 1; x->def->fields[i] && k < sizeof buf; i++)
        if (x->val[i] && y->val[i] && strcmp(x->val[i], y->val[i]) != 0)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s %s %s in A, %s in B", diff++ ? ";" : "",
                                  x->def->fields[i], x->val[i], y->val[i]);
    if (diff)
        cJSON_AddItemToArray(list, cJSON_CreateString(buf));
}

static void configuration(const Side *a, const Side *b, cJSON *answer)
{
    cJSON *list = sim_json_add_item(answer, "configuration", cJSON_CreateArray());
    char buf[DESC_LEN];
    for (size_t i = 0; i < a->ndecl; i++) {
        const Decl *y = find_decl(b, a->decl[i].key);
        if (y == NULL) {
            snprintf(buf, sizeof buf, "%s only in A", a->decl[i].key);
            cJSON_AddItemToArray(list, cJSON_CreateString(buf));
        } else if (find_decl(a, a->decl[i].key) == &a->decl[i]) {
            compare_decl(&a->decl[i], y, list);
        }
    }
    for (size_t i = 0; i < b->ndecl; i++)
        if (find_decl(a, b->decl[i].key) == NULL) {
            snprintf(buf, sizeof buf, "%s only in B", b->decl[i].key);
            cJSON_AddItemToArray(list, cJSON_CreateString(buf));
        }
}

static int drain(Side *s)
{
    int rc;
    while ((rc = next_decision(s, 1)) == SIM_OK) {}
    return rc == SIM_DONE ? SIM_OK : rc;
}

static int open_side(Side *s, SimMem *m, const SimTrSchema *schema, const char *path, SimErr *err)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->path = path;
    s->schema = schema;
    sim_arena_init(&s->arena, m);
    s->r = sim_trace_open(m, schema, path, err);
    return s->r ? SIM_OK : (err && err->code ? err->code : SIM_EIO);
}

static void close_side(Side *s)
{
    if (s->r)
        sim_trace_close_reader(s->r);
    for (int t = 0; t < T_N; t++)
        sim_mem_free(s->m, s->names[t].v, s->names[t].cap * sizeof *s->names[t].v);
    sim_mem_free(s->m, s->decl, s->capdecl * sizeof *s->decl);
    sim_arena_free(&s->arena);
}

static int side_err(const Side *s, int rc, SimErr *err)
{
    if (rc == SIM_ENOMEM)
        return sim_err_set(err, rc, "out of memory reading %s", s->path);
    return sim_err_set(err, rc, "%s", sim_trace_error(s->r));
}

int rnd_diff_traces(SimMem *m, const SimTrSchema *schema, const char *apath, const char *bpath, const RndClock *c,
                    cJSON *answer, SimErr *err)
{
    Side a, b;
    int rc = open_side(&a, m, schema, apath, err);
    if (rc == SIM_OK)
        rc = open_side(&b, m, schema, bpath, err);
    else
        memset(&b, 0, sizeof b);
    if (rc == SIM_OK) {
        rc = divergence(&a, &b, c, answer);
        int ra = rc == SIM_OK ? drain(&a) : SIM_OK, rb = rc == SIM_OK ? drain(&b) : SIM_OK;
        if (rc == SIM_DONE)
            rc = SIM_OK;
        if (rc == SIM_OK && (ra != SIM_OK || rb != SIM_OK))
            rc = side_err(ra != SIM_OK ? &a : &b, ra != SIM_OK ? ra : rb, err);
        else if (rc != SIM_OK)
            rc = side_err(a.oom || sim_trace_error(a.r)[0] ? &a : &b, rc, err);
    }
    if (rc == SIM_OK)
        configuration(&a, &b, answer);
    close_side(&a);
    close_side(&b);
    return rc;
}
