/*
 * timings.c: a calibration file's fitted delays (timings.h): reading them,
 * writing one distribution, and setting them on the engine's objects.
 * Invariant: only this file and lifecycle.c touch the objects' SimDist
 * fields; a failed read leaves nothing allocated.
 */
#include "sim/timings.h"

#include <math.h>
#include <string.h>

#include "sim/json.h"
#include "sim/sim_int.h"

/* ---- one distribution ------------------------------------------------------- */
static int num(const cJSON *o, const char *key, const char *where, double *v, SimErr *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return sim_err_set(err, SIM_EINVAL, "%s.%s: needs a number", where, key);
    *v = it->valuedouble;
    return SIM_OK;
}

static int lognormal_from_json(const cJSON *o, const char *where, SimDist *d, SimErr *err)
{
    d->family = SIM_DIST_LOGNORMAL;
    int rc = num(o, "shift_s", where, &d->shift_s, err);
    if (rc == SIM_OK)
        rc = num(o, "mu", where, &d->mu, err);
    if (rc == SIM_OK)
        rc = num(o, "sigma", where, &d->sigma, err);
    if (rc == SIM_OK && !(d->sigma > 0))
        rc = sim_err_set(err, SIM_EINVAL, "%s.sigma: must be positive", where);
    if (rc == SIM_OK && d->shift_s < 0 && exp(d->mu) < -d->shift_s * 1e-3)
        rc = sim_err_set(err, SIM_EINVAL, "%s.shift_s: almost every draw would be negative", where);
    return rc;
}

int sim_dist_from_json(const cJSON *o, const char *where, SimDist *d, SimErr *err)
{
    const cJSON *fam = cJSON_GetObjectItemCaseSensitive(o, "family");
    memset(d, 0, sizeof *d);
    if (!cJSON_IsObject(o) || !cJSON_IsString(fam))
        return sim_err_set(err, SIM_EINVAL, "%s.family: needs \"lognormal\" or \"constant\"", where);
    int rc;
    if (strcmp(fam->valuestring, "lognormal") == 0)
        rc = lognormal_from_json(o, where, d, err);
    else if (strcmp(fam->valuestring, "constant") == 0) {
        d->family = SIM_DIST_CONSTANT;
        rc = num(o, "value_s", where, &d->value_s, err);
        if (rc == SIM_OK && d->value_s < 0)
            rc = sim_err_set(err, SIM_EINVAL, "%s.value_s: must not be negative", where);
    } else
        return sim_err_set(err, SIM_EINVAL, "%s.family: '%s' is not \"lognormal\" or \"constant\"", where,
                           fam->valuestring);
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(o, "cap_s");
    if (rc == SIM_OK && cap && (rc = num(o, "cap_s", where, &d->cap_s, err)) == SIM_OK && d->cap_s < 0)
        rc = sim_err_set(err, SIM_EINVAL, "%s.cap_s: must not be negative", where);
    return rc;
}

cJSON *sim_dist_json(const SimDist *d, const SimDistFit *q)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "family", sim_dist_family_name(d->family));
    if (d->family == SIM_DIST_LOGNORMAL) {
        cJSON_AddNumberToObject(o, "shift_s", d->shift_s);
        cJSON_AddNumberToObject(o, "mu", d->mu);
        cJSON_AddNumberToObject(o, "sigma", d->sigma);
    } else
        cJSON_AddNumberToObject(o, "value_s", d->value_s);
    cJSON_AddNumberToObject(o, "cap_s", d->cap_s);
    if (q == NULL)
        return o;
    cJSON_AddNumberToObject(o, "samples", (double)q->n);
    cJSON_AddNumberToObject(o, "ks", q->ks);
    cJSON_AddNumberToObject(o, "ks_p", q->ks_p);
    cJSON_AddNumberToObject(o, "fit_mean_s", sim_dist_mean(d));
    cJSON_AddNumberToObject(o, "mean_s", q->mean_s);
    cJSON_AddNumberToObject(o, "median_s", q->median_s);
    cJSON_AddNumberToObject(o, "p90_s", q->p90_s);
    cJSON_AddNumberToObject(o, "min_s", q->min_s);
    cJSON_AddNumberToObject(o, "max_s", q->max_s);
    return o;
}

/* ---- the file's lists ------------------------------------------------------- */
static int opt_dist(const cJSON *o, const char *key, const char *where, SimDist *d, SimErr *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    char path[256];
    memset(d, 0, sizeof *d);
    if (it == NULL || cJSON_IsNull(it))
        return SIM_OK;
    snprintf(path, sizeof path, "%s.%s", where, key);
    return sim_dist_from_json(it, path, d, err);
}

static int str(SimMem *m, const cJSON *o, const char *key, const char *where, int need, char **out, SimErr *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (it == NULL && !need)
        return SIM_OK;
    if (!cJSON_IsString(it) || it->valuestring[0] == '\0')
        return sim_err_set(err, SIM_EINVAL, "%s.%s: needs a non-empty string", where, key);
    if ((*out = sim_mem_strdup(m, it->valuestring)) == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    return SIM_OK;
}

static int read_wl(SimTimings *t, const cJSON *o, size_t i, SimErr *err)
{
    char where[96];
    snprintf(where, sizeof where, "timings.workloads[%zu]", i);
    SimTimingWl *w = &t->wl[i];
    int rc = str(t->mem, o, "workload", where, 1, &w->name, err);
    if (rc == SIM_OK)
        rc = str(t->mem, o, "namespace", where, 0, &w->ns, err);
    if (rc == SIM_OK)
        rc = opt_dist(o, "startup", where, &w->startup, err);
    if (rc == SIM_OK)
        rc = opt_dist(o, "hpa_reaction", where, &w->hpa_reaction, err);
    return rc;
}

static int read_group(SimTimings *t, const cJSON *o, size_t i, SimErr *err)
{
    char where[96];
    snprintf(where, sizeof where, "timings.node_groups[%zu]", i);
    int rc = str(t->mem, o, "node_group", where, 1, &t->groups[i].name, err);
    return rc == SIM_OK ? opt_dist(o, "provisioning", where, &t->groups[i].provisioning, err) : rc;
}

/* An optional array of objects under key: *n entries of sz bytes in *v. */
static int list(SimTimings *t, const cJSON *tm, const char *key, void **v, size_t *n, size_t sz, SimErr *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(tm, key);
    if (a == NULL)
        return SIM_OK;
    if (!cJSON_IsArray(a))
        return sim_err_set(err, SIM_EINVAL, "timings.%s: needs an array", key);
    size_t cnt = (size_t)cJSON_GetArraySize(a);
    if (cnt && (*v = sim_mem_calloc(t->mem, cnt, sz)) == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    *n = cnt;
    return SIM_OK;
}

static int read_all(SimTimings *t, const cJSON *tm, SimErr *err)
{
    int rc = list(t, tm, "workloads", (void **)&t->wl, &t->nwl, sizeof *t->wl, err);
    if (rc == SIM_OK)
        rc = list(t, tm, "node_groups", (void **)&t->groups, &t->ngroups, sizeof *t->groups, err);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(tm, "workloads");
    for (size_t i = 0; rc == SIM_OK && i < t->nwl; i++)
        rc = read_wl(t, cJSON_GetArrayItem(a, (int)i), i, err);
    a = cJSON_GetObjectItemCaseSensitive(tm, "node_groups");
    for (size_t i = 0; rc == SIM_OK && i < t->ngroups; i++)
        rc = read_group(t, cJSON_GetArrayItem(a, (int)i), i, err);
    return rc;
}

int sim_timings_from_json(SimMem *m, const cJSON *root, SimTimings *t, SimErr *err)
{
    memset(t, 0, sizeof *t);
    t->mem = m;
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(root, "timings");
    if (tm == NULL)
        return SIM_OK;
    if (!cJSON_IsObject(tm))
        return sim_err_set(err, SIM_EINVAL, "timings: needs an object");
    int rc = read_all(t, tm, err);
    if (rc != SIM_OK)
        sim_timings_free(t);
    return rc;
}

void sim_timings_free(SimTimings *t)
{
    for (size_t i = 0; t->wl && i < t->nwl; i++) {
        sim_mem_strfree(t->mem, t->wl[i].ns);
        sim_mem_strfree(t->mem, t->wl[i].name);
    }
    for (size_t i = 0; t->groups && i < t->ngroups; i++)
        sim_mem_strfree(t->mem, t->groups[i].name);
    if (t->wl)
        sim_mem_free(t->mem, t->wl, t->nwl * sizeof *t->wl);
    if (t->groups)
        sim_mem_free(t->mem, t->groups, t->ngroups * sizeof *t->groups);
    SimMem *m = t->mem;
    memset(t, 0, sizeof *t);
    t->mem = m;
}

/* ---- onto the engine -------------------------------------------------------- */
static int wl_matches(const SimEngine *e, const SimWorkload *w, const SimTimingWl *tw)
{
    return strcmp(w->name, tw->name) == 0 && (tw->ns == NULL || strcmp(e->namespaces.v[w->ns].name, tw->ns) == 0);
}

size_t sim_timings_apply(SimEngine *e, const SimTimings *t)
{
    size_t unmatched = 0;
    for (size_t k = 0; k < t->nwl; k++) {
        int hit = 0;
        for (size_t i = 0; i < e->workloads.n; i++) {
            SimWorkload *w = &e->workloads.v[i];
            if (!wl_matches(e, w, &t->wl[k]))
                continue;
            hit = 1;
            if (t->wl[k].startup.family != SIM_DIST_NONE)
                w->startup_dist = t->wl[k].startup;
            if (t->wl[k].hpa_reaction.family != SIM_DIST_NONE)
                w->hpa_reaction = t->wl[k].hpa_reaction;
        }
        unmatched += !hit;
    }
    for (size_t k = 0; k < t->ngroups; k++) {
        uint32_t g = sim_nodegroup_find(e, t->groups[k].name);
        if (g == SIM_NONE || t->groups[k].provisioning.family == SIM_DIST_NONE) {
            unmatched += g == SIM_NONE;
            continue;
        }
        e->groups.v[g].provision_dist = t->groups[k].provisioning;
    }
    return unmatched;
}
