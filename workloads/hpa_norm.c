/*
 * hpa_norm.c: one HPA reconcile after the calculator (k8s-behaviour.md §1.2,
 * §1.6-§1.8, upstream horizontal.go): the maximum over metrics and the
 * invalid-metric rules, the legacy normalisation (behavior unset) and the
 * behavior path (stabilisation windows, rate-limit policies, selectPolicy),
 * the clamp, and the history both read: recommendations and scale events.
 *
 * Invariant: a window or period keeps upstream's edges exactly. Legacy
 * stabilisation drops a recommendation only when it is strictly older than
 * the window (Before(cutoff)); the behavior windows and the policy periods
 * count an entry only when it is strictly newer than the cutoff
 * (After(cutoff)), so an entry exactly a window old counts in the first and
 * not in the others.
 */
#include "workloads/hpa.h"

#include <math.h>
#include <string.h>

void wl_hpa_rules_default_up(WlHpaRules *r)
{
    memset(r, 0, sizeof *r);
    r->window_s = 0;
    r->select = WL_HPA_SELECT_MAX;
    r->policies[0] = (WlHpaPolicy){0, 4, 15};
    r->policies[1] = (WlHpaPolicy){1, 100, 15};
    r->npolicies = 2;
    r->tolerance = -1;
}

void wl_hpa_rules_default_down(WlHpaRules *r)
{
    memset(r, 0, sizeof *r);
    r->window_s = WL_HPA_DOWNSCALE_WINDOW_S;
    r->select = WL_HPA_SELECT_MAX;
    r->policies[0] = (WlHpaPolicy){1, 100, 15};
    r->npolicies = 1;
    r->tolerance = -1;
}

const char *wl_hpa_limit_name(WlHpaLimit l)
{
    static const char *const names[] = {"none", "tolerance", "stabilization", "policy", "min", "max",
                                        "invalid-metric", "ambiguous-selector"};
    return l <= WL_HPA_LIMIT_AMBIGUOUS ? names[l] : "none";
}

/* ---- history ------------------------------------------------------------- */
void wl_hpa_history_init(WlHpaHistory *h, SimMem *mem)
{
    memset(h, 0, sizeof *h);
    h->mem = mem;
}

void wl_hpa_history_free(WlHpaHistory *h)
{
    sim_mem_free(h->mem, h->recs, h->caprecs * sizeof *h->recs);
    sim_mem_free(h->mem, h->up, h->capup * sizeof *h->up);
    sim_mem_free(h->mem, h->down, h->capdown * sizeof *h->down);
    wl_hpa_history_init(h, h->mem);
}

int wl_hpa_history_add_rec(WlHpaHistory *h, int32_t replicas, SimTime t)
{
    if (sim_mem_grow(h->mem, (void **)&h->recs, &h->caprecs, h->nrecs + 1, sizeof *h->recs) != SIM_OK)
        return SIM_ENOMEM;
    h->recs[h->nrecs++] = (WlHpaRec){replicas, t};
    return SIM_OK;
}

static int push_event(SimMem *m, WlHpaEvent **v, size_t *n, size_t *cap, int32_t change, SimTime t)
{
    if (sim_mem_grow(m, (void **)v, cap, *n + 1, sizeof **v) != SIM_OK)
        return SIM_ENOMEM;
    (*v)[(*n)++] = (WlHpaEvent){change, t, 0};
    return SIM_OK;
}

int wl_hpa_history_add_event(WlHpaHistory *h, int32_t change, SimTime t)
{
    if (change > 0)
        return push_event(h->mem, &h->up, &h->nup, &h->capup, change, t);
    return push_event(h->mem, &h->down, &h->ndown, &h->capdown, -change, t);
}

/* Stores a raw recommendation in slot idx (an old one) or appends it. */
static int store_rec(WlHpaHistory *h, int found, size_t idx, int32_t replicas, SimTime now)
{
    if (!found)
        return wl_hpa_history_add_rec(h, replicas, now);
    h->recs[idx] = (WlHpaRec){replicas, now};
    return SIM_OK;
}

/* ---- legacy normalisation (§1.7) ----------------------------------------- */
/* stabilizeRecommendation: the maximum of the new recommendation and those
 * not older than the 5 min window; the last old slot is reused. */
static int stabilize_legacy(WlHpaHistory *h, SimTime now, int32_t desired, int32_t *out)
{
    int32_t best = desired;
    int found = 0;
    size_t idx = 0;
    SimTime cutoff = now - SIM_SEC(WL_HPA_DOWNSCALE_WINDOW_S);
    for (size_t i = 0; i < h->nrecs; i++) {
        if (h->recs[i].t < cutoff) {
            found = 1;
            idx = i;
        } else if (h->recs[i].replicas > best) {
            best = h->recs[i].replicas;
        }
    }
    *out = best;
    return store_rec(h, found, idx, desired, now);
}

/* convertDesiredReplicasWithRules: clamp to [min, min(max, scaleUpLimit)]. */
static int32_t convert_legacy(int32_t current, int32_t desired, int32_t min, int32_t max, const char **reason)
{
    double lim = 2.0 * (double)current > 4.0 ? 2.0 * (double)current : 4.0;
    int32_t up_limit = lim >= 2147483647.0 ? INT32_MAX : (int32_t)lim;
    int32_t hi = max > up_limit ? up_limit : max;
    const char *hi_reason = max > up_limit ? "ScaleUpLimit" : "TooManyReplicas";
    if (desired < min) {
        *reason = "TooFewReplicas";
        return min;
    }
    if (desired > hi) {
        *reason = hi_reason;
        return hi;
    }
    *reason = "DesiredWithinRange";
    return desired;
}

/* ---- behavior path (§1.8) ------------------------------------------------ */
/* stabilizeRecommendationWithBehaviors: up to the lowest recommendation of
 * the up window, down to the highest of the down window. */
static int stabilize_behavior(const WlHpaSpec *spec, WlHpaHistory *h, SimTime now, int32_t current, int32_t desired,
                              int32_t *out)
{
    SimTime up_cut = now - SIM_SEC(spec->up.window_s), down_cut = now - SIM_SEC(spec->down.window_s);
    int32_t up_rec = desired, down_rec = desired;
    int found = 0;
    size_t idx = 0;
    for (size_t i = 0; i < h->nrecs; i++) {
        const WlHpaRec *r = &h->recs[i];
        if (r->t > up_cut && r->replicas < up_rec)
            up_rec = r->replicas;
        if (r->t > down_cut && r->replicas > down_rec)
            down_rec = r->replicas;
        if (r->t < up_cut && r->t < down_cut) {
            found = 1;
            idx = i;
        }
    }
    int32_t rec = current;
    if (rec < up_rec)
        rec = up_rec;
    if (rec > down_rec)
        rec = down_rec;
    *out = rec;
    return store_rec(h, found, idx, desired, now);
}

/* getReplicasChangePerPeriod: events strictly newer than now - period. */
static int64_t change_in_period(const WlHpaEvent *ev, size_t n, int32_t period_s, SimTime now)
{
    SimTime cutoff = now - SIM_SEC(period_s);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].t > cutoff)
            sum += ev[i].change;
    return sum;
}

static int32_t clamp32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* One policy's bound: up, periodStart + value or ceil(periodStart*(1+v/100));
 * down, periodStart - value or int32(periodStart*(1-v/100)). */
static int32_t policy_bound(const WlHpaPolicy *p, const WlHpaHistory *h, int32_t current, SimTime now, int up)
{
    int64_t added = change_in_period(h->up, h->nup, p->period_s, now);
    int64_t deleted = change_in_period(h->down, h->ndown, p->period_s, now);
    int64_t start = (int64_t)current - added + deleted;
    double pct = (double)p->value / 100;
    if (up)
        return p->percent ? clamp32((int64_t)ceil((double)start * (1 + pct))) : clamp32(start + p->value);
    return p->percent ? clamp32((int64_t)((double)start * (1 - pct))) : clamp32(start - p->value);
}

/* calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors:
 * selectPolicy Max takes the largest change, Min the smallest, Disabled none. */
static int32_t rate_limit(const WlHpaRules *r, const WlHpaHistory *h, int32_t current, SimTime now, int up)
{
    if (r->select == WL_HPA_SELECT_DISABLED)
        return current;
    int want_high = (r->select == WL_HPA_SELECT_MAX) == up;
    int32_t result = want_high ? INT32_MIN : INT32_MAX;
    for (size_t i = 0; i < r->npolicies; i++) {
        int32_t b = policy_bound(&r->policies[i], h, current, now, up);
        if (want_high ? b > result : b < result)
            result = b;
    }
    return result;
}

/* convertDesiredReplicasWithBehaviorRate. */
static int32_t convert_behavior(const WlHpaSpec *spec, const WlHpaHistory *h, SimTime now, int32_t current,
                                int32_t desired, const char **reason)
{
    *reason = "DesiredWithinRange";
    if (desired > current) {
        int32_t limit = rate_limit(&spec->up, h, current, now, 1);
        if (limit < current)
            limit = current;
        int32_t hi = spec->max > limit ? limit : spec->max;
        if (desired > hi) {
            *reason = spec->max > limit ? "ScaleUpLimit" : "TooManyReplicas";
            return hi;
        }
    } else if (desired < current) {
        int32_t limit = rate_limit(&spec->down, h, current, now, 0);
        if (limit > current)
            limit = current;
        int32_t lo = spec->min < limit ? limit : spec->min;
        if (desired < lo) {
            *reason = spec->min < limit ? "ScaleDownLimit" : "TooFewReplicas";
            return lo;
        }
    }
    return desired;
}

/* ---- the reconcile (§1.2) ------------------------------------------------ */
static void tolerances(const WlHpaSpec *spec, double *down, double *up)
{
    *down = *up = spec->tolerance;
    if (!spec->has_behavior)
        return;
    if (spec->down.tolerance >= 0)
        *down = spec->down.tolerance;
    if (spec->up.tolerance >= 0)
        *up = spec->up.tolerance;
}

/* Every metric's proposal; the maximum of the valid ones into d. Returns
 * the number of invalid metrics and the first one's index in *first_bad. */
static size_t compute_metrics(const WlHpaSpec *spec, const WlHpaInput *in, WlHpaMetricResult *per, WlHpaDecision *d,
                              size_t *first_bad)
{
    double down, up;
    size_t bad = 0;
    tolerances(spec, &down, &up);
    for (size_t i = 0; i < spec->nmetrics; i++) {
        wl_hpa_calc_metric(&spec->metrics[i], in, down, up, &per[i]);
        if (!per[i].valid) {
            if (bad++ == 0)
                *first_bad = i;
            continue;
        }
        if (!d->has_calc || per[i].proposal > d->calc)
            d->calc = per[i].proposal;
        d->has_calc = 1;
    }
    return bad;
}

/* An HPA whose selector is ambiguous reads no metric (upstream's
 * computeReplicasForMetrics fails at validateAndParseSelector, before any). */
static size_t no_metrics(const WlHpaSpec *spec, WlHpaMetricResult *per)
{
    for (size_t i = 0; i < spec->nmetrics; i++) {
        memset(&per[i], 0, sizeof per[i]);
        per[i].error = "the target's pods are controlled by multiple HPAs";
        per[i].reason = "AmbiguousSelector";
    }
    return spec->nmetrics;
}

/* Why the answer is what it is: the last rule that moved it. */
static void explain_limit(const WlHpaSpec *spec, const WlHpaMetricResult *per, const char *rate_reason,
                          const char *stab_reason, WlHpaDecision *d)
{
    d->reason = rate_reason;
    if (d->desired != d->stabilized) {
        d->limited_by = strcmp(rate_reason, "TooManyReplicas") == 0   ? WL_HPA_LIMIT_MAX
                        : strcmp(rate_reason, "TooFewReplicas") == 0 ? WL_HPA_LIMIT_MIN
                                                                      : WL_HPA_LIMIT_POLICY;
        return;
    }
    if (d->stabilized != d->calc) {
        d->limited_by = WL_HPA_LIMIT_STABILIZATION;
        d->reason = stab_reason;
        return;
    }
    for (size_t i = 0; d->calc == d->current && i < spec->nmetrics; i++)
        if (per[i].valid && per[i].proposal == d->calc && per[i].held == WL_HPA_HELD_TOLERANCE)
            d->limited_by = WL_HPA_LIMIT_TOLERANCE;
}

static int normalize(const WlHpaSpec *spec, const WlHpaInput *in, WlHpaHistory *h, const WlHpaMetricResult *per,
                     WlHpaDecision *d)
{
    const char *rate_reason, *stab_reason;
    int rc;
    if (!spec->has_behavior) {
        rc = stabilize_legacy(h, in->now, d->calc, &d->stabilized);
        d->desired = convert_legacy(d->current, d->stabilized, spec->min, spec->max, &rate_reason);
        stab_reason = "ScaleDownStabilized";
    } else {
        rc = stabilize_behavior(spec, h, in->now, d->current, d->calc, &d->stabilized);
        d->desired = convert_behavior(spec, h, in->now, d->current, d->stabilized, &rate_reason);
        stab_reason = d->calc >= d->current ? "ScaleUpStabilized" : "ScaleDownStabilized";
    }
    d->normalized = 1;
    explain_limit(spec, per, rate_reason, stab_reason, d);
    return rc;
}

int wl_hpa_decide(const WlHpaSpec *spec, const WlHpaInput *in, WlHpaHistory *h, WlHpaMetricResult *per,
                  WlHpaDecision *d)
{
    memset(d, 0, sizeof *d);
    d->current = d->desired = in->spec_replicas;
    d->reason = "DesiredWithinRange";
    size_t first_bad = 0;
    size_t bad = in->ambiguous ? no_metrics(spec, per) : compute_metrics(spec, in, per, d, &first_bad);
    if (d->current == 0 && spec->min != 0) {
        d->disabled = 1;
        d->reason = "ScalingDisabled";
        return SIM_OK;
    }
    if (d->current > spec->max || d->current < spec->min) {
        int above = d->current > spec->max;
        d->desired = above ? spec->max : spec->min;
        d->limited_by = above ? WL_HPA_LIMIT_MAX : WL_HPA_LIMIT_MIN;
        d->reason = above ? "TooManyReplicas" : "TooFewReplicas";
        return SIM_OK;
    }
    if (in->ambiguous) {   /* validateAndParseSelector failed: no metric was read, no rescale */
        d->limited_by = WL_HPA_LIMIT_AMBIGUOUS;
        d->reason = "AmbiguousSelector";
        return SIM_OK;
    }
    if (bad == spec->nmetrics || (bad > 0 && d->calc < d->current)) {
        d->limited_by = WL_HPA_LIMIT_INVALID;
        d->reason = per[first_bad].reason;
        return SIM_OK;
    }
    return normalize(spec, in, h, per, d);
}

/* ---- after a rescale ----------------------------------------------------- */
static int32_t longest_period(const WlHpaRules *r)
{
    int32_t longest = 0;
    for (size_t i = 0; i < r->npolicies; i++)
        if (r->policies[i].period_s > longest)
            longest = r->policies[i].period_s;
    return longest;
}

/* storeScaleEvent: mark events older than the longest period outdated and
 * put the new one in the last outdated slot, or append it. */
static int store_event(SimMem *m, WlHpaEvent **v, size_t *n, size_t *cap, int32_t longest, int32_t change,
                       SimTime now)
{
    SimTime cutoff = now - SIM_SEC(longest);
    int found = 0;
    size_t idx = 0;
    for (size_t i = 0; i < *n; i++) {
        if ((*v)[i].t < cutoff)
            (*v)[i].outdated = 1;
        if ((*v)[i].outdated) {
            found = 1;
            idx = i;
        }
    }
    if (!found)
        return push_event(m, v, n, cap, change, now);
    (*v)[idx] = (WlHpaEvent){change, now, 0};
    return SIM_OK;
}

int wl_hpa_record_scale(const WlHpaSpec *spec, WlHpaHistory *h, int32_t from, int32_t to, SimTime now)
{
    if (!spec->has_behavior)
        return SIM_OK;   /* upstream stores no event: nothing would read it */
    if (to > from)
        return store_event(h->mem, &h->up, &h->nup, &h->capup, longest_period(&spec->up), to - from, now);
    return store_event(h->mem, &h->down, &h->ndown, &h->capdown, longest_period(&spec->down), from - to, now);
}

/* ---- validation (the API server's, for a spec built in C) ---------------- */
static int check_metric(const WlHpaMetric *m, const char **why)
{
    int pod_based = m->source == WL_HPA_RESOURCE || m->source == WL_HPA_CONTAINER_RESOURCE;
    if (m->name == NULL || m->name[0] == '\0')
        *why = "a metric needs a name";
    else if (m->target == WL_HPA_UTILIZATION && (!pod_based || m->utilization < 1))
        *why = pod_based ? "averageUtilization must be greater than 0" : "only Resource metrics take Utilization";
    else if (m->target != WL_HPA_UTILIZATION && m->milli <= 0)
        *why = "a target value must be positive";
    else if (m->target == WL_HPA_VALUE && m->source != WL_HPA_OBJECT && m->source != WL_HPA_EXTERNAL)
        *why = "only Object and External metrics take a Value target";
    else
        return SIM_OK;
    return SIM_EINVAL;
}

static int check_rules(const WlHpaRules *r, const char **why)
{
    if (r->window_s < 0 || r->window_s > 3600) {
        *why = "stabilizationWindowSeconds must be from 0 to 3600";
        return SIM_EINVAL;
    }
    if (r->npolicies == 0 || r->npolicies > WL_HPA_MAX_POLICIES) {
        *why = "a scaling rule needs 1 to 16 policies";
        return SIM_EINVAL;
    }
    for (size_t i = 0; i < r->npolicies; i++)
        if (r->policies[i].value <= 0 || r->policies[i].period_s <= 0 || r->policies[i].period_s > 1800) {
            *why = "a policy needs a positive value and periodSeconds from 1 to 1800";
            return SIM_EINVAL;
        }
    return SIM_OK;
}

int wl_hpa_spec_check(const WlHpaSpec *spec, const char **why)
{
    int object_or_external = 0;
    if (spec->max < 1 || spec->min < 0 || spec->min > spec->max) {
        *why = spec->max < 1 ? "maxReplicas must be at least 1" : "minReplicas must be from 0 to maxReplicas";
        return SIM_EINVAL;
    }
    if (spec->nmetrics == 0) {
        *why = "an HPA needs at least one metric";
        return SIM_EINVAL;
    }
    for (size_t i = 0; i < spec->nmetrics; i++) {
        if (check_metric(&spec->metrics[i], why) != SIM_OK)
            return SIM_EINVAL;
        object_or_external |= spec->metrics[i].source >= WL_HPA_OBJECT;
    }
    if (spec->min == 0 && !object_or_external) {
        *why = "minReplicas 0 needs an Object or External metric (HPAScaleToZero)";
        return SIM_EINVAL;
    }
    if (spec->has_behavior && (check_rules(&spec->up, why) != SIM_OK || check_rules(&spec->down, why) != SIM_OK))
        return SIM_EINVAL;
    return SIM_OK;
}
