/*
 * explain_from_hpa.c: `kubesim explain hpa --from RUN_DIR --hpa NAME --at
 * TIME [--case FILE]`. The run's scenario is simulated again (explain_from.c)
 * up to TIME, a watcher on the HPA controller writes the case at the HPA's
 * last sync at or before TIME from exactly what that sync reads (its spec,
 * the target's replicas, its pods and their metrics, its history with the
 * first-sight recommendation in), and the case goes through `explain hpa`
 * as a file would. The run's own decision at that sync is printed beside it.
 *
 * Invariant: the case is taken before the sync decides and the run's
 * decision after it, from the same sync: an HPA syncs every 15 s, so the
 * sync taken is the one in the 15 s up to TIME, and none when its region's
 * control plane was down then (an error naming the last sync before).
 */
#include "cli/explain_from.h"

#include <stdio.h>
#include <string.h>

#include "sim/fileio.h"
#include "sim/json.h"
#include "workloads/hpa.h"

typedef struct HpaSnap {
    SimMem *m;
    const char *name;            /* --hpa */
    SimTime at;
    size_t hpa;                  /* its index, once seen syncing */
    int seen;
    SimTime last;                /* its last sync so far */
    char *text;                  /* the case at the sync taken; NULL: none yet */
    size_t len;
    SimTime taken;               /* that sync's time */
    int oom;
} HpaSnap;

static void take(HpaSnap *s, WlControllers *c, size_t hpa, const WlHpaInput *in)
{
    SimJsonScope js;
    sim_json_begin(&js, s->m);
    if (cli_from_keep(s->m, &js, wl_hpa_explain_case_from(c, hpa, in), &s->text, &s->len) != SIM_OK) {
        s->oom = 1;
        return;
    }
    s->taken = in->now;
}

/* Every sync of every HPA: ours, in the last sync period up to --at, is taken. */
static void on_sync(void *ctx, WlControllers *c, size_t hpa, const WlHpaInput *in)
{
    HpaSnap *s = ctx;
    char buf[320];
    const char *label = wl_hpa_label(c, hpa, buf, sizeof buf);
    if (s->oom || label == NULL || strcmp(label, s->name) != 0)
        return;
    s->seen = 1;
    s->hpa = hpa;
    s->last = in->now;
    if (in->now <= s->at && in->now + WL_HPA_SYNC_PERIOD > s->at)
        take(s, c, hpa, in);
}

/* No sync taken: the HPA does not exist (nearest names), had not synced yet,
 * or skipped its last sync. */
static int missing(const HpaSnap *s, WlControllers *c, const CliExplainFrom *f, SimErr *err)
{
    const char *best[3] = {NULL, NULL, NULL};
    size_t dist[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    char names[3][320];
    if (s->seen)
        return sim_err_set(err, SIM_EINVAL, "--hpa %s: no sync in the %.0f s up to --at %s (its region's control "
                                            "plane was down then); its last sync was at %+.3f s from the start",
                           f->hpa, (double)WL_HPA_SYNC_PERIOD / 1e9, f->at, (double)s->last / 1e9);
    for (size_t i = 0; i < wl_hpa_count(c); i++) {
        char buf[320];
        const char *label = wl_hpa_label(c, i, buf, sizeof buf);
        if (strcmp(label, f->hpa) == 0)
            return sim_err_set(err, SIM_EINVAL, "--hpa %s: it had not synced by --at %s (an HPA first syncs %.0f s "
                                                "after it is added)", f->hpa, f->at,
                               (double)WL_HPA_SYNC_PERIOD / 1e9);
        size_t d = sim_edit_distance(label, f->hpa);
        for (int k = 0; k < 3; k++)
            if (d < dist[k]) {
                for (int j = 2; j > k; j--) {
                    dist[j] = dist[j - 1];
                    memcpy(names[j], names[j - 1], sizeof names[j]);
                    best[j] = best[j - 1] ? names[j] : NULL;
                }
                dist[k] = d;
                snprintf(names[k], sizeof names[k], "%s", label);
                best[k] = names[k];
                break;
            }
    }
    if (best[0] == NULL)
        return sim_err_set(err, SIM_EINVAL, "--hpa %s: the run has no HPA by --at %s", f->hpa, f->at);
    return sim_err_set(err, SIM_EINVAL, "--hpa %s: no such HPA in the run by --at %s; nearest: %s%s%s%s%s", f->hpa,
                       f->at, best[0], best[1] ? ", " : "", best[1] ? best[1] : "", best[2] ? ", " : "",
                       best[2] ? best[2] : "");
}

typedef struct RunDecision {
    int32_t current, desired;
    const char *limited_by;      /* static */
    const char *reason;          /* static */
} RunDecision;

static int rerun(const CliFromRun *r, HpaSnap *s, const CliExplainFrom *f, RunDecision *d, SimErr *err)
{
    ScnWorld *w = NULL;
    int rc = cli_from_world(r, &w);
    SimEngine *e = w ? scn_world_engine(w) : NULL;
    WlControllers *c = w ? scn_world_controllers(w) : NULL;
    if (rc == SIM_OK)
        wl_hpa_watch(c, on_sync, s);
    while (rc == SIM_OK && !s->oom)
        rc = sim_step(e);
    if (rc == SIM_DONE && s->text == NULL && !s->oom)
        rc = missing(s, c, f, err);
    else if (rc == SIM_DONE && !s->oom) {
        const WlHpaDecision *dec = wl_hpa_last(c, s->hpa);
        *d = (RunDecision){dec->current, dec->desired, wl_hpa_limit_name(dec->limited_by),
                           dec->reason ? dec->reason : ""};
    } else if (rc != SIM_OK && rc != SIM_DONE && !s->oom)
        sim_err_set(err, rc, "the rerun of the scenario failed: %s", e ? sim_errmsg(e) : scn_world_errmsg(w));
    if (c)
        wl_hpa_watch(c, NULL, NULL);
    scn_world_close(w);
    return s->oom ? sim_err_set(err, SIM_ENOMEM, "out of memory") : rc == SIM_DONE ? SIM_OK : rc;
}

/* explain's answer and the run's: "run": {syncedAt, currentReplicas,
 * desiredReplicas, limitedBy, reason} in JSON, a line in text. */
static int answer(SimMem *m, const HpaSnap *s, const RunDecision *d, const char *file, int as_json, SimErr *err)
{
    cJSON *ans;
    int rc = cli_from_answer(m, wl_hpa_explain_case, s->text, s->len, file, &ans, err);
    if (rc != SIM_OK)
        return rc;
    cJSON *run = cJSON_AddObjectToObject(ans, "run");
    cJSON_AddNumberToObject(run, "syncedAt", (double)s->taken / 1e9);
    cJSON_AddNumberToObject(run, "currentReplicas", d->current);
    cJSON_AddNumberToObject(run, "desiredReplicas", d->desired);
    cJSON_AddStringToObject(run, "limitedBy", d->limited_by);
    cJSON_AddStringToObject(run, "reason", d->reason);
    if (as_json)
        cli_from_print_json(ans);
    else {
        rc = wl_hpa_explain_case(m, s->text, s->len, file, 0, stdout, err);
        if (rc == SIM_OK)
            printf("\nthe run: desired %d (current %d, limited by %s%s%s) at its sync at %+.0f s from the start\n",
                   (int)d->desired, (int)d->current, d->limited_by, *d->reason ? ": " : "", d->reason,
                   (double)s->taken / 1e9);
    }
    cJSON_Delete(ans);
    return rc;
}

int cli_explain_from_hpa(const CliExplainFrom *f, int as_json, SimErr *err)
{
    SimMem m;
    sim_mem_init(&m);
    CliFromRun r;
    RunDecision d = {0, 0, "", ""};
    HpaSnap s = {.m = &m, .name = f->hpa};
    int rc = cli_from_open(&m, f, &r, err);
    s.at = r.at;
    if (rc == SIM_OK)
        rc = rerun(&r, &s, f, &d, err);
    if (rc == SIM_OK && f->case_out)
        rc = sim_file_replace(f->case_out, s.text, s.len, err);
    if (rc == SIM_OK)
        rc = answer(&m, &s, &d, f->case_out ? f->case_out : "(the rebuilt case)", as_json, err);
    if (s.text)
        sim_mem_free(&m, s.text, s.len + 1);
    cli_from_close(&r);
    return rc;
}
