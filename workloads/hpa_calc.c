/*
 * hpa_calc.c: the HPA's replica calculator (k8s-behaviour.md §1.3-§1.5,
 * upstream replica_calculator.go), a pure function of its inputs.
 *
 * Invariant: every number follows upstream's arithmetic: sums of int64
 * milli-values, utilisation truncated to int32 ((Σusage*100)/Σrequest),
 * averages truncated (Σ/n), ratios as float64 quotients, proposals as
 * int32(math.Ceil(ratio * pods)), and the windows' edges as Go's strict
 * Before/After. Pods are classified again in each pass instead of being
 * copied into sets, so the calculator allocates nothing.
 */
#include "workloads/hpa.h"

#include <math.h>
#include <string.h>

enum { CLS_READY = 0, CLS_UNREADY, CLS_MISSING, CLS_IGNORED };

static const char *const res_missing_request[WL_HPA_RES_COUNT] = {"missing request for cpu",
                                                                  "missing request for memory"};

/* The tolerance test of v1.33+ (Tolerances.isWithin); with equal tolerances
 * it is upstream's old |1 - ratio| <= tolerance except at the float edges. */
static int within(double ratio, double down, double up)
{
    return (1.0 - down) <= ratio && ratio <= (1.0 + up);
}

/* Go's int32(x): truncation toward zero. Out of range, Go's result is
 * platform-defined; kubesim saturates. */
static int32_t to_int32(double x)
{
    if (x != x)
        return INT32_MIN;
    if (x >= 2147483647.0)
        return INT32_MAX;
    if (x <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)x;
}

static int32_t ceil32(double x)
{
    return to_int32(ceil(x));
}

/* Saturating int64 sums and products (Go wraps; wrapped sums are upstream
 * bugs no scenario should rely on). */
static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t mul_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return (a > 0) == (b > 0) ? INT64_MAX : INT64_MIN;
    return r;
}

static void fail(WlHpaMetricResult *r, const WlHpaMetric *m, const char *why)
{
    static const char *const reasons[] = {"FailedGetResourceMetric", "FailedGetContainerResourceMetric",
                                          "FailedGetPodsMetric", "FailedGetObjectMetric",
                                          "FailedGetExternalMetric"};
    r->valid = 0;
    r->error = why;
    r->reason = reasons[m->source];
}

static void hold(WlHpaMetricResult *r, int32_t replicas, WlHpaHeld why)
{
    r->valid = 1;
    r->proposal = replicas;
    r->held = why;
}

/* ---- grouping (§1.3, groupPods) ---------------------------------------- */
/* A pod's sample of the metric: its resource usage, or its custom metric. */
static int pod_sample(const WlHpaMetric *m, const WlHpaInput *in, size_t i, int64_t *v)
{
    const WlHpaPod *p = &in->pods[i];
    if (m->source == WL_HPA_PODS)
        return in->pod_metric ? in->pod_metric(in->ctx, i, m->name, v) : 0;
    if (!p->has_usage[m->res])
        return 0;
    *v = p->usage[m->res];
    return 1;
}

/* The cpu-only readiness rules: why the pod is unready, or NULL.
 * "X.After(now)" is X > now; a sample is too fresh when its timestamp is
 * strictly before transition + window. */
static const char *cpu_unready(const WlHpaInput *in, const WlHpaPod *p)
{
    if (p->ready < 0)
        return "no Ready condition";
    if (!p->has_start)
        return "no startTime";
    if (p->start + WL_HPA_CPU_INIT_PERIOD > in->now) {
        if (p->ready == 0)
            return "Ready=False within the CPU initialization period (5m from its start)";
        return p->sample_t < p->transition + p->sample_window
                   ? "its sample began before Ready's last transition (CPU initialization period)"
                   : NULL;
    }
    return p->ready == 0 && p->start + WL_HPA_READINESS_DELAY > p->transition
               ? "Ready=False and never Ready (its Ready condition last changed within 30s of its start)"
               : NULL;
}

static int classify_why(const WlHpaMetric *m, const WlHpaInput *in, size_t i, int64_t *v, const char **why)
{
    const WlHpaPod *p = &in->pods[i];
    int cpu = m->source != WL_HPA_PODS && m->res == WL_HPA_CPU;
    *why = NULL;
    if (p->deleting || p->phase == WL_HPA_POD_FAILED) {
        *why = p->deleting ? "deleting (deletionTimestamp set)" : "phase Failed";
        return CLS_IGNORED;
    }
    if (p->phase == WL_HPA_POD_PENDING) {
        *why = "phase Pending";
        return CLS_UNREADY;
    }
    if (!pod_sample(m, in, i, v)) {
        *why = "no metrics sample";
        return CLS_MISSING;
    }
    if (cpu && (*why = cpu_unready(in, p)) != NULL)
        return CLS_UNREADY;
    return CLS_READY;
}

static int classify(const WlHpaMetric *m, const WlHpaInput *in, size_t i, int64_t *v)
{
    const char *why;
    return classify_why(m, in, i, v, &why);
}

WlHpaGroup wl_hpa_pod_group(const WlHpaMetric *m, const WlHpaInput *in, size_t i, const char **why)
{
    int64_t v = 0;
    const WlHpaPod *p = &in->pods[i];
    *why = NULL;
    if (m->source == WL_HPA_RESOURCE || m->source == WL_HPA_CONTAINER_RESOURCE || m->source == WL_HPA_PODS)
        return (WlHpaGroup)classify_why(m, in, i, &v, why);
    if (m->target != WL_HPA_VALUE || (p->phase == WL_HPA_POD_RUNNING && p->ready == 1))
        return WL_HPA_GROUP_READY;
    *why = "not Running and Ready (not in readyPods)";
    return WL_HPA_GROUP_UNREADY;
}

/* Counts the classes into r and sums the ready pods' samples and requests. */
static void group(const WlHpaMetric *m, const WlHpaInput *in, WlHpaMetricResult *r, int64_t *usage, int64_t *req)
{
    *usage = *req = 0;
    for (size_t i = 0; i < in->npods; i++) {
        int64_t v = 0;
        switch (classify(m, in, i, &v)) {
        case CLS_READY:
            r->ready++;
            *usage = add_sat(*usage, v);
            *req = add_sat(*req, in->pods[i].req[m->res]);
            break;
        case CLS_UNREADY: r->unready++; break;
        case CLS_MISSING: r->missing++; break;
        default: r->ignored++; break;
        }
    }
}

/* ---- the conservative re-computation (§1.4) ---------------------------- */
/* What the missing and unready pods add when the usage is recomputed:
 * per missing pod `missing_value` (or its request times fallback percent
 * when utilization), per unready pod 0; requests always count. */
typedef struct Redo {
    int64_t usage, req;
    int64_t n;
} Redo;

static void redo_add(const WlHpaMetric *m, const WlHpaInput *in, double ratio, int with_unready, int32_t fallback,
                     Redo *x)
{
    for (size_t i = 0; i < in->npods; i++) {
        int64_t v = 0;
        int cls = classify(m, in, i, &v);
        int64_t rq = in->pods[i].req[m->res];
        if (cls == CLS_MISSING && ratio != 1.0) {
            int64_t use = 0;
            if (ratio < 1.0)
                use = m->target == WL_HPA_UTILIZATION ? mul_sat(rq, fallback) / 100 : m->milli;
            x->usage = add_sat(x->usage, use);
            x->req = add_sat(x->req, rq);
            x->n++;
        } else if (cls == CLS_UNREADY && with_unready) {
            x->req = add_sat(x->req, rq);
            x->n++;
        }
    }
}

/* The end of both pod-based calculators: the new ratio decides, and the
 * answer may not move against it. */
static void finish(WlHpaMetricResult *r, const WlHpaInput *in, double ratio, double new_ratio, int64_t n,
                   double tol_down, double tol_up)
{
    int32_t current = in->spec_replicas;
    r->recomputed = 1;
    r->new_ratio = new_ratio;
    if (within(new_ratio, tol_down, tol_up)) {
        hold(r, current, WL_HPA_HELD_TOLERANCE);
        return;
    }
    if ((ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0)) {
        hold(r, current, WL_HPA_HELD_DIRECTION);
        return;
    }
    int32_t proposal = ceil32(new_ratio * (double)n);
    if ((new_ratio < 1.0 && proposal > current) || (new_ratio > 1.0 && proposal < current))
        hold(r, current, WL_HPA_HELD_DIRECTION);
    else
        hold(r, proposal, WL_HPA_HELD_NONE);
}

/* The fast path: no missing pods, and no unready pods on a scale-up. */
static int fast_path(WlHpaMetricResult *r, const WlHpaInput *in, double ratio, double tol_down, double tol_up)
{
    int up_with_unready = r->unready > 0 && ratio > 1.0;
    if (up_with_unready || r->missing > 0)
        return 0;
    if (within(ratio, tol_down, tol_up))
        hold(r, in->spec_replicas, WL_HPA_HELD_TOLERANCE);
    else
        hold(r, ceil32(ratio * (double)r->ready), WL_HPA_HELD_NONE);
    return 1;
}

static int pods_checked(const WlHpaMetric *m, const WlHpaInput *in, WlHpaMetricResult *r)
{
    if (in->npods == 0) {
        fail(r, m, "no pods returned by selector while calculating replica count");
        return 0;
    }
    if (r->ready == 0) {
        fail(r, m, "did not receive metrics for targeted pods (pods might be unready)");
        return 0;
    }
    return 1;
}

/* int32((Σusage * 100) / Σrequest), as GetResourceUtilizationRatio. */
static int32_t utilization(int64_t usage, int64_t req)
{
    return (int32_t)(mul_sat(usage, 100) / req);
}

/* ---- Resource, target Utilization (GetResourceReplicas) ---------------- */
static void calc_utilization(const WlHpaMetric *m, const WlHpaInput *in, double tol_down, double tol_up,
                             WlHpaMetricResult *r)
{
    int64_t usage, req;
    group(m, in, r, &usage, &req);
    if (!pods_checked(m, in, r))
        return;
    for (size_t i = 0; i < in->npods; i++)
        if (!in->pods[i].has_req[m->res]) {
            fail(r, m, res_missing_request[m->res]);
            return;
        }
    if (req == 0) {
        fail(r, m, "no metrics returned matched known pods");
        return;
    }
    int32_t util = utilization(usage, req);
    double ratio = (double)util / (double)m->utilization;
    r->ratio = ratio;
    r->value = util;
    if (fast_path(r, in, ratio, tol_down, tol_up))
        return;
    Redo x = {usage, req, r->ready};
    int32_t fallback = m->utilization > 100 ? m->utilization : 100;
    redo_add(m, in, ratio, ratio > 1.0 && r->unready > 0, fallback, &x);
    double new_ratio = (double)utilization(x.usage, x.req) / (double)m->utilization;
    finish(r, in, ratio, new_ratio, x.n, tol_down, tol_up);
}

/* ---- Resource AverageValue and Pods (calcPlainMetricReplicas) ---------- */
static void calc_plain(const WlHpaMetric *m, const WlHpaInput *in, double tol_down, double tol_up,
                       WlHpaMetricResult *r)
{
    int64_t usage, req;
    group(m, in, r, &usage, &req);
    if (!pods_checked(m, in, r))
        return;
    int64_t avg = usage / r->ready;
    double ratio = (double)avg / (double)m->milli;
    r->ratio = ratio;
    r->value = (double)avg / 1000.0;
    if (fast_path(r, in, ratio, tol_down, tol_up))
        return;
    Redo x = {usage, req, r->ready};
    redo_add(m, in, ratio, ratio > 1.0 && r->unready > 0, 0, &x);
    double new_ratio = (double)(x.usage / x.n) / (double)m->milli;
    finish(r, in, ratio, new_ratio, x.n, tol_down, tol_up);
}

/* ---- Object and External (§1.5) ------------------------------------------ */
#define MAX_SERIES 64

/* The metric's value: an Object metric's single value, or the sum of an
 * External metric's series. per_pod selects the overflow rule of
 * GetExternalPerPodMetricReplicas (a negative running sum saturates). */
static int metric_value(const WlHpaMetric *m, const WlHpaInput *in, int per_pod, int64_t *out)
{
    int64_t vals[MAX_SERIES];
    size_t n = in->value ? in->value(in->ctx, m->source, m->name, vals, MAX_SERIES) : 0;
    if (n == 0)
        return 0;
    if (m->source == WL_HPA_OBJECT) {
        *out = vals[0];
        return 1;
    }
    int64_t sum = 0;
    for (size_t i = 0; i < n && i < MAX_SERIES; i++) {
        if (per_pod) {
            sum = add_sat(sum, vals[i]);
            if (sum < 0) {
                sum = INT64_MAX;
                break;
            }
        } else if (vals[i] > 0 && sum > INT64_MAX - vals[i]) {
            sum = INT64_MAX;
            break;
        } else {
            sum += vals[i];
        }
    }
    *out = sum;
    return 1;
}

/* Pods Running with Ready=True (getReadyPodsCount). */
static int32_t ready_running(const WlHpaInput *in)
{
    int32_t n = 0;
    for (size_t i = 0; i < in->npods; i++)
        n += in->pods[i].phase == WL_HPA_POD_RUNNING && in->pods[i].ready == 1;
    return n;
}

/* Object Value and External Value: getUsageRatioReplicaCount. */
static void calc_value(const WlHpaMetric *m, const WlHpaInput *in, double tol_down, double tol_up,
                       WlHpaMetricResult *r)
{
    int64_t usage;
    if (!metric_value(m, in, 0, &usage)) {
        fail(r, m, "unable to get metric: no value");
        return;
    }
    double ratio = (double)usage / (double)m->milli;
    r->ratio = ratio;
    r->value = (double)usage / 1000.0;
    r->ready = ready_running(in);
    if (in->spec_replicas == 0) {   /* scale to zero, or up from zero */
        hold(r, ceil32(ratio), WL_HPA_HELD_NONE);
        return;
    }
    if (within(ratio, tol_down, tol_up)) {
        hold(r, in->spec_replicas, WL_HPA_HELD_TOLERANCE);
        return;
    }
    if (in->npods == 0) {
        fail(r, m, "unable to calculate ready pods: no pods returned by selector while calculating replica count");
        return;
    }
    double f = ratio * (double)r->ready;
    hold(r, f > (double)INT32_MAX ? INT32_MAX : ceil32(f), WL_HPA_HELD_NONE);
}

/* Object AverageValue and External AverageValue: over status.replicas. */
static void calc_average(const WlHpaMetric *m, const WlHpaInput *in, double tol_down, double tol_up,
                         WlHpaMetricResult *r)
{
    int64_t usage;
    int32_t status = in->status_replicas;
    if (!metric_value(m, in, 1, &usage)) {
        fail(r, m, "unable to get metric: no value");
        return;
    }
    double ratio = status != 0 ? (double)usage / ((double)m->milli * (double)status)
                               : usage > 0 ? INFINITY : NAN;   /* Go's x/0.0 */
    r->ratio = ratio;
    double per = status != 0 ? ceil((double)usage / (double)status) : (double)usage;
    r->value = (m->source == WL_HPA_EXTERNAL && (double)usage >= (double)INT64_MAX ? (double)INT64_MAX : per) / 1000.0;
    if (within(ratio, tol_down, tol_up)) {
        hold(r, status, WL_HPA_HELD_TOLERANCE);
        return;
    }
    double f = ceil((double)usage / (double)m->milli);
    hold(r, f > (double)INT32_MAX ? INT32_MAX : to_int32(f), WL_HPA_HELD_NONE);
}

void wl_hpa_calc_metric(const WlHpaMetric *m, const WlHpaInput *in, double tol_down, double tol_up,
                        WlHpaMetricResult *r)
{
    memset(r, 0, sizeof *r);
    switch (m->source) {
    case WL_HPA_RESOURCE:
    case WL_HPA_CONTAINER_RESOURCE:
        if (m->target == WL_HPA_UTILIZATION)
            calc_utilization(m, in, tol_down, tol_up, r);
        else
            calc_plain(m, in, tol_down, tol_up, r);
        break;
    case WL_HPA_PODS: calc_plain(m, in, tol_down, tol_up, r); break;
    default:
        if (m->target == WL_HPA_VALUE)
            calc_value(m, in, tol_down, tol_up, r);
        else
            calc_average(m, in, tol_down, tol_up, r);
        break;
    }
}
