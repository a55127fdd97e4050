/*
 * admission.c: ResourceQuotas, LimitRanges and the API server's admission of
 * a pod create (k8s-behaviour.md §4), in upstream's order: API defaulting
 * (requests from limits), LimitRanger defaults, Priority (class -> priority),
 * validation (request <= limit), LimitRanger min/max, then ResourceQuota
 * (the constraints of every matching quota, then used + requested <= hard
 * for each). The first failure refuses the pod with upstream's message.
 *
 * Invariant: for every quota q and resource r in q->hard, q->used[r] is the
 * sum of r over the live pods q matches; count/pods also counts the pods
 * that ended (Succeeded, Failed) and still exist, as upstream's evaluator
 * does ("pods" tracks the pods not terminal, count/pods every pod object in
 * storage); count/jobs.batch counts the Jobs admitted in its namespace.
 * sim_pod_create charges a pod once it exists; its end (Succeeded, Failed,
 * or deleted while live) releases all but count/pods, and the deletion of
 * its object (at once for a live pod; for an ended one when its Job is
 * deleted or pod GC removes it with its node) releases count/pods, in
 * amounts recomputed from the same inputs, which is why quotas, LimitRanges
 * and PriorityClasses cannot change once pods exist.
 *
 * Pods share their workload's spec, so the admitted values go to the pod:
 * SimPod.req holds the requests after defaulting (and nz_req, the
 * scheduler's non-zero defaults, follows from it); limits, which no pod
 * field holds, are recomputed when needed (quota release); a class's
 * preemptionPolicy Never is written to the engine's copy of the spec.
 *
 * Simplifications of upstream:
 *  - One container per pod, and a request or limit of 0 means "not set":
 *    `cpu = 0` is missing for "must specify" and is not defaulted around.
 *  - Messages are upstream's reason text without the `pods "x" is
 *    forbidden: ` prefix. "must specify" lists the resources comma-separated
 *    as upstream did before it added " for: <containers>" (no container
 *    names here). Among resources, LimitRange errors come cpu before memory,
 *    min before max (upstream: Go map order).
 *  - Quantities print as sim_quantity_format does: memory with a binary
 *    suffix or in bytes (a quota of "512M" prints as 512000000), counts and
 *    GPUs in decimal SI; upstream keeps each quantity's own format.
 *  - Quotas, LimitRanges and PriorityClasses are cluster set-up: adding one
 *    once pods exist is SIM_ESTATE (upstream's quota controller would
 *    recount; a LimitRange applies to later pods only).
 *  - status.used is exact and immediate: a pod's end frees its quota at once
 *    (upstream charges optimistically at admission, and the quota controller
 *    releases on pod updates/deletes and recounts every 5 min).
 *  - Scopes: only the PriorityClass scope selector (no Terminating,
 *    NotTerminating, BestEffort, NotBestEffort, CrossNamespacePodAffinity).
 *    Resources: those of SimQuotaRes (no ephemeral-storage, services,
 *    secrets, configmaps, PVCs or other count/<resource>.<group>).
 *  - LimitRange: type Container, cpu and memory only, no
 *    maxLimitRequestRatio; several in one namespace apply in the order added
 *    (upstream: informer order).
 *  - An ended pod's object is deleted with its Job (TTL after finished,
 *    CronJob history, Replace) or its node (pod GC), never by the
 *    terminated-pod threshold (upstream's PodGC deletes the oldest ended
 *    pods beyond 12,500 in a cluster) nor with a ReplicaSet, whose pods end
 *    only by deletion here.
 *  - count/jobs.batch counts a Job from its first reconcile (its creation in
 *    kubesim) until it is deleted (TTL after finished, CronJob history,
 *    Replace). A refused Job never runs: the object was never created and no
 *    client resubmits it.
 *  - Every admission refusal (quota, LimitRange, unknown PriorityClass,
 *    request > limit) counts in stats.quota_rejections and is traced as
 *    quota_reject; upstream's request > limit is a 422 Invalid, not a 403.
 */
#include "sim/sim_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BIT(r) (UINT32_C(1) << (r))
#define QLEN 48          /* one formatted quantity */
#define LIST_LEN 200     /* "res=v,res=v" */

enum { KIND_COUNT, KIND_CPU, KIND_MEM, KIND_GPU };

const char *const sim_quota_res_names[SIM_QR_COUNT + 1] = {
    [SIM_QR_COUNT_JOBS] = "count/jobs.batch", [SIM_QR_COUNT_PODS] = "count/pods", [SIM_QR_CPU] = "cpu",
    [SIM_QR_LIMITS_CPU] = "limits.cpu", [SIM_QR_LIMITS_MEMORY] = "limits.memory", [SIM_QR_MEMORY] = "memory",
    [SIM_QR_PODS] = "pods", [SIM_QR_REQUESTS_CPU] = "requests.cpu", [SIM_QR_REQUESTS_MEMORY] = "requests.memory",
    [SIM_QR_REQUESTS_GPU] = "requests.nvidia.com/gpu", [SIM_QR_COUNT] = NULL,
};

static const int kinds[SIM_QR_COUNT] = {
    [SIM_QR_COUNT_JOBS] = KIND_COUNT, [SIM_QR_COUNT_PODS] = KIND_COUNT, [SIM_QR_CPU] = KIND_CPU,
    [SIM_QR_LIMITS_CPU] = KIND_CPU, [SIM_QR_LIMITS_MEMORY] = KIND_MEM, [SIM_QR_MEMORY] = KIND_MEM,
    [SIM_QR_PODS] = KIND_COUNT, [SIM_QR_REQUESTS_CPU] = KIND_CPU, [SIM_QR_REQUESTS_MEMORY] = KIND_MEM,
    [SIM_QR_REQUESTS_GPU] = KIND_GPU,
};

/* Upstream's validationSet: a quota on one of these makes every container
 * state it ("a mistake", says upstream, kept for compatibility). */
#define MUST_SPECIFY (BIT(SIM_QR_CPU) | BIT(SIM_QR_MEMORY) | BIT(SIM_QR_REQUESTS_CPU) | \
                      BIT(SIM_QR_REQUESTS_MEMORY) | BIT(SIM_QR_LIMITS_CPU) | BIT(SIM_QR_LIMITS_MEMORY))
#define ALL_RES (BIT(SIM_QR_COUNT) - 1)

/* ---- resource names and formatting --------------------------------------- */
const char *sim_quota_res_name(SimQuotaRes r)
{
    SIM_ASSERT(r < SIM_QR_COUNT);
    return sim_quota_res_names[r];
}

int sim_quota_res_parse(const char *name)
{
    for (int r = 0; r < SIM_QR_COUNT; r++)
        if (strcmp(sim_quota_res_names[r], name) == 0)
            return r;
    return -1;
}

int sim_quota_res_milli(SimQuotaRes r)
{
    SIM_ASSERT(r < SIM_QR_COUNT);
    return kinds[r] == KIND_CPU;
}

/* Decimal SI in upstream's canonical form: 2000 is "2k", 1500 stays "1500". */
static void format_decimal(int64_t v, char *buf, size_t n)
{
    static const char *const sfx[] = {"", "k", "M", "G", "T", "P", "E"};
    int i = 0;
    while (v != 0 && v % 1000 == 0 && i < 6) {
        v /= 1000;
        i++;
    }
    snprintf(buf, n, "%lld%s", (long long)v, sfx[i]);
}

void sim_quota_res_format(SimQuotaRes r, int64_t v, char *buf, size_t n)
{
    SIM_ASSERT(r < SIM_QR_COUNT);
    if (kinds[r] == KIND_CPU || kinds[r] == KIND_MEM)
        sim_quantity_format(v, kinds[r] == KIND_CPU, buf, n);
    else
        format_decimal(v, buf, n);
}

/* Appends printf text to buf (of size n, holding a string), truncating. */
__attribute__((format(printf, 3, 4)))
static void append(char *buf, size_t n, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

static int frozen(SimEngine *e, const char *what, const char *name)
{
    if (e->pods.n == 0)
        return SIM_OK;
    return sim_fail(e, SIM_ESTATE, "%s '%s': must be added before the first pod (cluster set-up)", what, name);
}

/* ---- ResourceQuota objects ----------------------------------------------- */
static int scope_check(SimEngine *e, const SimQuota *q)
{
    for (size_t i = 0; i < q->scope.nreqs; i++) {
        const SimSelReq *r = &q->scope.reqs[i];
        int set = r->op == SIM_SEL_IN || r->op == SIM_SEL_NOT_IN;
        if (r->key == NULL || strcmp(r->key, "PriorityClass") != 0)
            return sim_fail(e, SIM_EINVAL, "quota '%s': scope '%s' is not modelled (only PriorityClass)",
                            q->name, r->key ? r->key : "");
        if (!set && r->op != SIM_SEL_EXISTS && r->op != SIM_SEL_DOES_NOT_EXIST)
            return sim_fail(e, SIM_EINVAL, "quota '%s': a scope's operator must be In, NotIn, Exists or "
                            "DoesNotExist", q->name);
        if (set != (r->nvalues > 0))
            return sim_fail(e, SIM_EINVAL, "quota '%s': %s", q->name, set ? "In and NotIn need values"
                            : "Exists and DoesNotExist take no values");
    }
    return SIM_OK;
}

static int quota_check(SimEngine *e, const SimQuota *q)
{
    if (q->name == NULL || q->name[0] == '\0')
        return sim_fail(e, SIM_EINVAL, "a quota needs a name");
    int rc = frozen(e, "quota", q->name);
    if (rc != SIM_OK)
        return rc;
    if (q->region >= e->regions.n || q->ns >= e->namespaces.n)
        return sim_fail(e, SIM_EINVAL, "quota '%s': no such region or namespace", q->name);
    if (q->hard_set & ~ALL_RES)
        return sim_fail(e, SIM_EINVAL, "quota '%s': unknown resource bits", q->name);
    for (int r = 0; r < SIM_QR_COUNT; r++)
        if ((q->hard_set & BIT(r)) && q->hard[r] < 0)
            return sim_fail(e, SIM_EINVAL, "quota '%s': %s must not be negative", q->name, sim_quota_res_names[r]);
    for (size_t i = 0; i < e->quotas.n; i++) {
        const SimQuota *o = &e->quotas.v[i];
        if (o->region == q->region && o->ns == q->ns && strcmp(o->name, q->name) == 0)
            return sim_fail(e, SIM_EINVAL, "duplicate quota name '%s' in namespace '%s'", q->name,
                            e->namespaces.v[q->ns].name);
    }
    return scope_check(e, q);
}

int sim_quota_add(SimEngine *e, const SimQuota *q, uint32_t *id)
{
    int rc = quota_check(e, q);
    if (rc != SIM_OK)
        return rc;
    char *nm = sim_mem_strdup(e->mem, q->name);
    uint32_t i = nm ? SIM_VEC_PUSH(e, e->quotas) : SIM_NONE;
    if (i == SIM_NONE) {
        sim_mem_strfree(e->mem, nm);
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    }
    SimQuota *d = &e->quotas.v[i];
    *d = *q;
    d->name = nm;
    memset(d->used, 0, sizeof d->used);
    *id = i;
    return SIM_OK;
}

uint32_t sim_quota_count(const SimEngine *e) { return (uint32_t)e->quotas.n; }

const SimQuota *sim_quota(const SimEngine *e, uint32_t id)
{
    SIM_ASSERT(id < e->quotas.n);
    return &e->quotas.v[id];
}

/* ---- LimitRange objects --------------------------------------------------- */
/* Upstream's SetDefaults_LimitRangeItem for one resource: default from max,
 * defaultRequest from default, else from min. */
static void lr_default_one(int64_t *deflt, int64_t *deflt_req, int64_t min, int64_t max)
{
    if (*deflt == 0)
        *deflt = max;
    if (*deflt_req == 0)
        *deflt_req = *deflt;
    if (*deflt_req == 0)
        *deflt_req = min;
}

/* Upstream's ValidateLimitRange checks for one resource, in its order. */
static int lr_check_one(const char *res, int milli, const int64_t v[4], SimErr *why)
{
    enum { MIN, MAX, DEF, REQ };
    static const struct {
        int a, b;
        const char *la, *lb;
    } rules[] = {
        {MIN, MAX, "min", "max"}, {MIN, REQ, "min", "default request"},
        {REQ, MAX, "default request", "max"}, {REQ, DEF, "default request", "default limit"},
        {MIN, DEF, "min", "default"}, {DEF, MAX, "default", "max"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        int64_t a = v[rules[i].a], b = v[rules[i].b];
        if (a == 0 || b == 0 || a <= b)
            continue;
        char qa[QLEN], qb[QLEN];
        sim_quantity_format(a, milli, qa, sizeof qa);
        sim_quantity_format(b, milli, qb, sizeof qb);
        return sim_err_set(why, SIM_EINVAL, "%s: %s value %s is greater than %s value %s", res, rules[i].la, qa,
                           rules[i].lb, qb);
    }
    return SIM_OK;
}

int sim_limitrange_normalize(SimLimitRange *lr, SimErr *why)
{
    lr_default_one(&lr->deflt.cpu_m, &lr->deflt_req.cpu_m, lr->min.cpu_m, lr->max.cpu_m);
    lr_default_one(&lr->deflt.mem, &lr->deflt_req.mem, lr->min.mem, lr->max.mem);
    const int64_t cpu[4] = {lr->min.cpu_m, lr->max.cpu_m, lr->deflt.cpu_m, lr->deflt_req.cpu_m};
    const int64_t mem[4] = {lr->min.mem, lr->max.mem, lr->deflt.mem, lr->deflt_req.mem};
    for (int i = 0; i < 4; i++)
        if (cpu[i] < 0 || mem[i] < 0)
            return sim_err_set(why, SIM_EINVAL, "quantities must not be negative");
    int rc = lr_check_one("cpu", 1, cpu, why);
    return rc == SIM_OK ? lr_check_one("memory", 0, mem, why) : rc;
}

static int lr_check(SimEngine *e, const SimLimitRange *lr)
{
    if (lr->name == NULL || lr->name[0] == '\0')
        return sim_fail(e, SIM_EINVAL, "a limit range needs a name");
    int rc = frozen(e, "limit range", lr->name);
    if (rc != SIM_OK)
        return rc;
    if (lr->region >= e->regions.n || lr->ns >= e->namespaces.n)
        return sim_fail(e, SIM_EINVAL, "limit range '%s': no such region or namespace", lr->name);
    for (size_t i = 0; i < e->limitranges.n; i++) {
        const SimLimitRange *o = &e->limitranges.v[i];
        if (o->region == lr->region && o->ns == lr->ns && strcmp(o->name, lr->name) == 0)
            return sim_fail(e, SIM_EINVAL, "duplicate limit range name '%s' in namespace '%s'", lr->name,
                            e->namespaces.v[lr->ns].name);
    }
    return SIM_OK;
}

int sim_limitrange_add(SimEngine *e, const SimLimitRange *lr, uint32_t *id)
{
    int rc = lr_check(e, lr);
    if (rc != SIM_OK)
        return rc;
    SimLimitRange copy = *lr;
    SimErr why = SIM_ERR_INIT;
    if (sim_limitrange_normalize(&copy, &why) != SIM_OK)
        return sim_fail(e, SIM_EINVAL, "limit range '%s': %s", lr->name, sim_err_msg(&why));
    char *nm = sim_mem_strdup(e->mem, lr->name);
    uint32_t i = nm ? SIM_VEC_PUSH(e, e->limitranges) : SIM_NONE;
    if (i == SIM_NONE) {
        sim_mem_strfree(e->mem, nm);
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    }
    copy.name = nm;
    e->limitranges.v[i] = copy;
    *id = i;
    return SIM_OK;
}

uint32_t sim_limitrange_count(const SimEngine *e) { return (uint32_t)e->limitranges.n; }

const SimLimitRange *sim_limitrange(const SimEngine *e, uint32_t id)
{
    SIM_ASSERT(id < e->limitranges.n);
    return &e->limitranges.v[id];
}

/* ---- the pod as admitted -------------------------------------------------- */
static int lr_applies(const SimLimitRange *lr, const SimWorkload *w)
{
    return lr->region == w->region && lr->ns == w->ns;
}

/* LimitRanger's mutation: fill what the container leaves unset. */
static void lr_defaults(const SimEngine *e, const SimWorkload *w, SimAdmitted *a)
{
    for (size_t i = 0; i < e->limitranges.n; i++) {
        const SimLimitRange *lr = &e->limitranges.v[i];
        if (!lr_applies(lr, w))
            continue;
        if (a->lim_cpu_m == 0)
            a->lim_cpu_m = lr->deflt.cpu_m;
        if (a->lim_mem == 0)
            a->lim_mem = lr->deflt.mem;
        if (a->req.cpu_m == 0)
            a->req.cpu_m = lr->deflt_req.cpu_m;
        if (a->req.mem == 0)
            a->req.mem = lr->deflt_req.mem;
    }
}

/* Everything admission makes of the spec, without its checks. A pure
 * function of the spec and the policies, so a pod's end can recompute what
 * its admission charged. */
static void effective(const SimEngine *e, uint32_t wl, SimAdmitted *a)
{
    const SimWorkload *w = &e->workloads.v[wl];
    memset(a, 0, sizeof *a);
    a->req = w->spec.req;
    a->req.pods = 1;
    a->lim_cpu_m = w->spec.lim_cpu_m;
    a->lim_mem = w->spec.lim_mem;
    if (a->req.cpu_m == 0)   /* API defaulting: a limit alone is also the request */
        a->req.cpu_m = a->lim_cpu_m;
    if (a->req.mem == 0)
        a->req.mem = a->lim_mem;
    lr_defaults(e, w, a);
    a->pc = sim_priorityclass_of(e, wl);
    a->priority = a->pc ? a->pc->value : w->spec.priority;
    a->preempt_never = w->spec.preempt_never || (a->pc && a->pc->preempt_never);
}

/* Pod validation (ValidateResourceRequirements), as upstream words it. */
static int check_request_limit(SimEngine *e, const char *res, int milli, int64_t req, int64_t lim)
{
    if (lim == 0 || req <= lim)
        return SIM_OK;
    char qr[QLEN], ql[QLEN];
    sim_quantity_format(req, milli, qr, sizeof qr);
    sim_quantity_format(lim, milli, ql, sizeof ql);
    return sim_fail(e, SIM_EFORBIDDEN, "spec.containers[0].resources.requests[%s]: Invalid value: \"%s\": "
                    "must be less than or equal to %s limit of %s", res, qr, res, ql);
}

/* Upstream's errors of one LimitRange, joined as its utilerrors aggregate. */
typedef struct Errs {
    char text[4][160];
    int n;
} Errs;

__attribute__((format(printf, 2, 3)))
static void err_add(Errs *x, const char *fmt, ...)
{
    if (x->n == 4)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->text[x->n++], sizeof x->text[0], fmt, ap);
    va_end(ap);
}

/* Upstream's minConstraint for one resource of one container. */
static void lr_min(Errs *x, const char *res, int milli, int64_t min, int64_t req, int64_t lim)
{
    char qm[QLEN], qv[QLEN];
    if (min == 0)
        return;
    sim_quantity_format(min, milli, qm, sizeof qm);
    sim_quantity_format(req ? (req < min ? req : lim) : 0, milli, qv, sizeof qv);
    if (req == 0)
        err_add(x, "minimum %s usage per Container is %s.  No request is specified", res, qm);
    else if (req < min)
        err_add(x, "minimum %s usage per Container is %s, but request is %s", res, qm, qv);
    else if (lim != 0 && lim < min)
        err_add(x, "minimum %s usage per Container is %s, but limit is %s", res, qm, qv);
}

/* Upstream's maxConstraint for one resource of one container. */
static void lr_max(Errs *x, const char *res, int milli, int64_t max, int64_t req, int64_t lim)
{
    char qm[QLEN], qv[QLEN];
    if (max == 0)
        return;
    sim_quantity_format(max, milli, qm, sizeof qm);
    sim_quantity_format(lim ? (lim > max ? lim : req) : 0, milli, qv, sizeof qv);
    if (lim == 0)
        err_add(x, "maximum %s usage per Container is %s.  No limit is specified", res, qm);
    else if (lim > max)
        err_add(x, "maximum %s usage per Container is %s, but limit is %s", res, qm, qv);
    else if (req != 0 && req > max)
        err_add(x, "maximum %s usage per Container is %s, but request is %s", res, qm, qv);
}

static int errs_fail(SimEngine *e, const Errs *x)
{
    if (x->n == 1)
        return sim_fail(e, SIM_EFORBIDDEN, "%s", x->text[0]);
    char msg[SIM_ERRMSG_LEN] = "[";
    for (int i = 0; i < x->n; i++)
        append(msg, sizeof msg, "%s%s", i ? ", " : "", x->text[i]);
    append(msg, sizeof msg, "]");
    return sim_fail(e, SIM_EFORBIDDEN, "%s", msg);
}

/* LimitRanger's validation: each LimitRange's min and max, first failing wins. */
static int check_limitranges(SimEngine *e, const SimWorkload *w, const SimAdmitted *a)
{
    for (size_t i = 0; i < e->limitranges.n; i++) {
        const SimLimitRange *lr = &e->limitranges.v[i];
        if (!lr_applies(lr, w))
            continue;
        Errs x = {.n = 0};
        lr_min(&x, "cpu", 1, lr->min.cpu_m, a->req.cpu_m, a->lim_cpu_m);
        lr_min(&x, "memory", 0, lr->min.mem, a->req.mem, a->lim_mem);
        lr_max(&x, "cpu", 1, lr->max.cpu_m, a->req.cpu_m, a->lim_cpu_m);
        lr_max(&x, "memory", 0, lr->max.mem, a->req.mem, a->lim_mem);
        if (x.n)
            return errs_fail(e, &x);
    }
    return SIM_OK;
}

int sim_admission_resolve(SimEngine *e, uint32_t wl, SimAdmitted *out)
{
    const SimWorkload *w = sim_workload(e, wl);
    effective(e, wl, out);
    if (w->spec.priority_class && out->pc == NULL)   /* the Priority plugin's words */
        return sim_fail(e, SIM_EFORBIDDEN, "no PriorityClass with name %s was found", w->spec.priority_class);
    int rc = check_request_limit(e, "cpu", 1, out->req.cpu_m, out->lim_cpu_m);
    if (rc == SIM_OK)
        rc = check_request_limit(e, "memory", 0, out->req.mem, out->lim_mem);
    return rc == SIM_OK ? check_limitranges(e, w, out) : rc;
}

/* ---- ResourceQuota admission ---------------------------------------------- */
/* What an object adds to a quota: the resources it has, and how much. */
typedef struct Usage {
    uint32_t set;
    int64_t v[SIM_QR_COUNT];
} Usage;

static void usage_put(Usage *u, SimQuotaRes r, int64_t v)
{
    u->set |= BIT(r);
    u->v[r] = v;
}

/* Upstream's podComputeUsageHelper for a one-container pod. */
static void pod_usage(const SimAdmitted *a, Usage *u)
{
    memset(u, 0, sizeof *u);
    usage_put(u, SIM_QR_PODS, 1);
    usage_put(u, SIM_QR_COUNT_PODS, 1);
    if (a->req.cpu_m > 0) {
        usage_put(u, SIM_QR_CPU, a->req.cpu_m);
        usage_put(u, SIM_QR_REQUESTS_CPU, a->req.cpu_m);
    }
    if (a->req.mem > 0) {
        usage_put(u, SIM_QR_MEMORY, a->req.mem);
        usage_put(u, SIM_QR_REQUESTS_MEMORY, a->req.mem);
    }
    if (a->lim_cpu_m > 0)
        usage_put(u, SIM_QR_LIMITS_CPU, a->lim_cpu_m);
    if (a->lim_mem > 0)
        usage_put(u, SIM_QR_LIMITS_MEMORY, a->lim_mem);
    if (a->req.gpu > 0)   /* extended resources have only the requests.<name> form */
        usage_put(u, SIM_QR_REQUESTS_GPU, a->req.gpu);
}

/* Does the quota cover a pod of this class in this place? The scope selector
 * sees the label set {PriorityClass: name}, empty for a pod without class. */
static int quota_matches(const SimQuota *q, uint32_t region, uint32_t ns, const SimPriorityClass *pc)
{
    if (q->region != region || q->ns != ns)
        return 0;
    SimKV kv = {(char *)"PriorityClass", pc ? pc->name : NULL};
    return sim_selector_matches(&q->scope, &kv, pc ? 1 : 0);
}

/* "res=v,res=v" over the resources of mask, in name order (prettyPrint). */
static void print_list(uint32_t mask, const int64_t *v, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int r = 0; r < SIM_QR_COUNT; r++)
        if (mask & BIT(r)) {
            char q[QLEN];
            sim_quota_res_format((SimQuotaRes)r, v[r], q, sizeof q);
            append(buf, n, "%s%s=%s", buf[0] ? "," : "", sim_quota_res_names[r], q);
        }
}

static int quota_constraints(SimEngine *e, const SimQuota *q, const Usage *u)
{
    uint32_t missing = q->hard_set & MUST_SPECIFY & ~u->set;
    if (missing == 0)
        return SIM_OK;
    char list[LIST_LEN] = "";
    for (int r = 0; r < SIM_QR_COUNT; r++)
        if (missing & BIT(r))
            append(list, sizeof list, "%s%s", list[0] ? "," : "", sim_quota_res_names[r]);
    return sim_fail(e, SIM_EFORBIDDEN, "failed quota: %s: must specify %s", q->name, list);
}

static int quota_fits(SimEngine *e, const SimQuota *q, const Usage *u)
{
    uint32_t over = 0;
    for (int r = 0; r < SIM_QR_COUNT; r++)
        if ((q->hard_set & u->set & BIT(r)) && q->used[r] + u->v[r] > q->hard[r])
            over |= BIT(r);
    if (over == 0)
        return SIM_OK;
    char req[LIST_LEN], used[LIST_LEN], hard[LIST_LEN];
    print_list(over, u->v, req, sizeof req);
    print_list(over, q->used, used, sizeof used);
    print_list(over, q->hard, hard, sizeof hard);
    return sim_fail(e, SIM_EFORBIDDEN, "exceeded quota: %s, requested: %s, used: %s, limited: %s", q->name,
                    req, used, hard);
}

/* Upstream's CheckRequest: every matching quota's constraints, then each
 * one's usage, in order. */
static int quotas_admit_pod(SimEngine *e, const SimWorkload *w, const SimAdmitted *a)
{
    Usage u;
    pod_usage(a, &u);
    for (size_t i = 0; i < e->quotas.n; i++) {
        const SimQuota *q = &e->quotas.v[i];
        int rc = quota_matches(q, w->region, w->ns, a->pc) ? quota_constraints(e, q, &u) : SIM_OK;
        if (rc != SIM_OK)
            return rc;
    }
    for (size_t i = 0; i < e->quotas.n; i++) {
        const SimQuota *q = &e->quotas.v[i];
        int rc = quota_matches(q, w->region, w->ns, a->pc) ? quota_fits(e, q, &u) : SIM_OK;
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* Adds (sign 1) or gives back (-1) the resources of mask in the pod's usage
 * to every quota matching it. */
static void quota_apply(SimEngine *e, uint32_t pod, const SimAdmitted *a, int sign, uint32_t mask)
{
    if (e->quotas.n == 0)
        return;
    const SimPod *p = sim_pod(e, pod);
    Usage u;
    pod_usage(a, &u);
    for (size_t i = 0; i < e->quotas.n; i++) {
        SimQuota *q = &e->quotas.v[i];
        if (!quota_matches(q, p->region, p->ns, a->pc))
            continue;
        for (int r = 0; r < SIM_QR_COUNT; r++)
            if (q->hard_set & u.set & mask & BIT(r)) {
                q->used[r] += sign * u.v[r];
                SIM_ASSERT(q->used[r] >= 0);
            }
    }
}

void sim_quota_charge(SimEngine *e, uint32_t pod, const SimAdmitted *a, int sign)
{
    quota_apply(e, pod, a, sign, ALL_RES);
}

/* What the pod's admission charged: its class from the policies (frozen once
 * pods exist), its requests and limits as the pod keeps them, since a
 * rollout may have changed the template since. */
static void charged(const SimEngine *e, const SimPod *p, SimAdmitted *a)
{
    effective(e, p->wl, a);
    a->req = p->req;
    a->lim_cpu_m = p->lim_cpu_m;
    a->lim_mem = p->lim_mem;
}

void sim_quota_pod_terminated(SimEngine *e, uint32_t pod)
{
    if (e->quotas.n == 0)
        return;
    SimAdmitted a;
    charged(e, sim_pod(e, pod), &a);
    quota_apply(e, pod, &a, -1, ALL_RES & ~BIT(SIM_QR_COUNT_PODS));
}

void sim_quota_pod_removed(SimEngine *e, uint32_t pod)
{
    if (e->quotas.n == 0)
        return;
    SimAdmitted a;
    charged(e, sim_pod(e, pod), &a);
    quota_apply(e, pod, &a, -1, BIT(SIM_QR_COUNT_PODS));
}

static int job_quota(const SimQuota *q, const SimWorkload *w);

/* The resources a pod holds: all while live or Terminating (deleted, still
 * on its node); count/pods alone once it ended and until it is deleted; none
 * once gone. */
static uint32_t held(const SimPod *p)
{
    if (p->terminating)
        return ALL_RES;
    switch (p->phase) {
    case SIM_POD_PENDING: case SIM_POD_BOUND: case SIM_POD_RUNNING: return ALL_RES;
    case SIM_POD_SUCCEEDED: case SIM_POD_FAILED: return BIT(SIM_QR_COUNT_PODS);
    default: return 0;
    }
}

void sim_quota_recount(const SimEngine *e, uint32_t quota, int64_t *used)
{
    const SimQuota *q = &e->quotas.v[quota];
    memset(used, 0, SIM_QR_COUNT * sizeof *used);
    for (size_t i = 0; i < e->pods.n; i++) {
        const SimPod *p = sim_pod(e, (uint32_t)i);
        uint32_t mask = held(p);
        if (mask == 0)
            continue;
        SimAdmitted a;   /* what sim_quota_pod_terminated and _removed will give back */
        charged(e, p, &a);
        if (!quota_matches(q, p->region, p->ns, a.pc))
            continue;
        Usage u;
        pod_usage(&a, &u);
        for (int r = 0; r < SIM_QR_COUNT; r++)
            if (u.set & mask & BIT(r))
                used[r] += u.v[r];
    }
    for (size_t w = 0; w < e->wladmit.n && w < e->workloads.n; w++)
        if (e->wladmit.v[w].job == 1 && job_quota(q, &e->workloads.v[w]))
            used[SIM_QR_COUNT_JOBS]++;
}

/* ---- admitting pods and Jobs ---------------------------------------------- */
/* The workload's admission state, growing the array to every workload. */
static SimWlAdmit *wl_state(SimEngine *e, uint32_t wl)
{
    SIM_ASSERT(wl < e->workloads.n);
    size_t need = e->workloads.n, have = e->wladmit.n;
    if (wl >= have) {
        if (sim_mem_grow(e->mem, (void **)&e->wladmit.v, &e->wladmit.cap, need, sizeof *e->wladmit.v) != SIM_OK)
            return NULL;
        memset(&e->wladmit.v[have], 0, (need - have) * sizeof *e->wladmit.v);
        e->wladmit.n = need;
    }
    return &e->wladmit.v[wl];
}

/* Counts and traces a refusal whose message is already on the engine. */
static int refused(SimEngine *e, uint32_t wl)
{
    e->stats.quota_rejections++;
    SimTrVal v[] = {SIM_TRI(wl), SIM_TRI(e->workloads.v[wl].ns), SIM_TRS(e->errmsg)};
    sim_trace_rec(e, SIM_TR_QUOTA_REJECT, v, 3);
    return SIM_EFORBIDDEN;
}

int sim_admit_pod(SimEngine *e, uint32_t wl, SimAdmitted *out)
{
    int rc = sim_admission_resolve(e, wl, out);
    SimWorkload *w = &e->workloads.v[wl];
    if (rc == SIM_OK)
        rc = quotas_admit_pod(e, w, out);
    if (rc == SIM_OK) {
        w->spec.preempt_never = out->preempt_never;
        return SIM_OK;
    }
    SimWlAdmit *st = wl_state(e, wl);
    if (st == NULL)
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    if (st->refusals++ == 0)
        e->nrefused++;
    return refused(e, wl);
}

uint32_t sim_admission_refusals(SimEngine *e, uint32_t wl)
{
    return wl < e->wladmit.n ? e->wladmit.v[wl].refusals : 0;
}

uint32_t sim_admission_refused_count(const SimEngine *e)
{
    return e->nrefused;
}

void sim_admission_forget(SimEngine *e, uint32_t wl)
{
    if (wl < e->wladmit.n && e->wladmit.v[wl].refusals > 0) {
        e->wladmit.v[wl].refusals = 0;
        e->nrefused--;
    }
}

/* Quotas with a scope select pods only: upstream's object-count evaluator
 * matches no scope. */
static int job_quota(const SimQuota *q, const SimWorkload *w)
{
    return q->region == w->region && q->ns == w->ns && q->scope.nreqs == 0 &&
           (q->hard_set & BIT(SIM_QR_COUNT_JOBS));
}

int sim_admit_job(SimEngine *e, uint32_t wl)
{
    SimWlAdmit *st = wl_state(e, wl);
    if (st == NULL)
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    const SimWorkload *w = &e->workloads.v[wl];
    if (st->job)
        return st->job == 1 ? SIM_OK
                            : sim_fail(e, SIM_EFORBIDDEN, "job '%s' was refused at creation", w->name);
    Usage u;
    memset(&u, 0, sizeof u);
    usage_put(&u, SIM_QR_COUNT_JOBS, 1);
    for (size_t i = 0; i < e->quotas.n; i++)
        if (job_quota(&e->quotas.v[i], w) && quota_fits(e, &e->quotas.v[i], &u) != SIM_OK) {
            st->job = 2;
            return refused(e, wl);
        }
    for (size_t i = 0; i < e->quotas.n; i++)
        if (job_quota(&e->quotas.v[i], w))
            e->quotas.v[i].used[SIM_QR_COUNT_JOBS]++;
    st->job = 1;
    return SIM_OK;
}

void sim_admission_job_deleted(SimEngine *e, uint32_t wl)
{
    if (wl >= e->wladmit.n || e->wladmit.v[wl].job != 1)
        return;
    const SimWorkload *w = &e->workloads.v[wl];
    for (size_t i = 0; i < e->quotas.n; i++)
        if (job_quota(&e->quotas.v[i], w) && e->quotas.v[i].used[SIM_QR_COUNT_JOBS] > 0)
            e->quotas.v[i].used[SIM_QR_COUNT_JOBS]--;
    e->wladmit.v[wl].job = 3;   /* gone: a later admit would not recharge it */
}
