/*
 * explain_from_ca.c: `kubesim explain autoscaler --from RUN_DIR --at TIME
 * [--region R] [--case FILE]`. The run's scenario is simulated again
 * (explain_from.c) up to TIME; a watcher on the cluster autoscaler writes
 * each region's case at the start of its last loop at or before TIME
 * (sched_ca_explain_case_from), and after the loop keeps the plan the run
 * acted on. The case of the region asked for goes through `explain
 * autoscaler` as a file would, with the run's scale-up (group and nodes, or
 * none) beside it.
 *
 * The region: --region, else the only region the autoscaler looped in, else
 * the one region whose loop at exactly TIME scaled up; else the regions are
 * listed in the error.
 */
#include "cli/explain_from.h"

#include <stdio.h>
#include <string.h>

#include "scheduler/ca.h"
#include "scheduler/explain.h"
#include "sim/fileio.h"
#include "sim/json.h"

#define MAX_REGIONS 64

typedef struct RegionSnap {
    char *text;                  /* the case at its last loop up to --at; NULL: none */
    size_t len;
    SimTime taken;
    char group[256];             /* the run's scale-up at that loop ("": none) */
    int32_t delta;
} RegionSnap;

typedef struct CaSnap {
    SimMem *m;
    SimTime at;
    RegionSnap r[MAX_REGIONS];
    int oom;
} CaSnap;

static void take(CaSnap *s, SchedCa *ca, uint32_t region)
{
    RegionSnap *r = &s->r[region];
    SimJsonScope js;
    sim_json_begin(&js, s->m);
    if (cli_from_keep(s->m, &js, sched_ca_explain_case_from(ca, region), &r->text, &r->len) != SIM_OK) {
        s->oom = 1;
        return;
    }
    r->taken = sim_now(sched_ca_engine(ca));
}

/* Every loop of every region: the one in the last scan interval up to --at is taken. */
static void on_loop(void *ctx, SchedCa *ca, uint32_t region)
{
    CaSnap *s = ctx;
    SimTime now = sim_now(sched_ca_engine(ca));
    if (!s->oom && region < MAX_REGIONS && now <= s->at && now + sched_ca_config(ca)->scan_interval > s->at)
        take(s, ca, region);
}

/* The plans the taken loops acted on. */
static void outcomes(CaSnap *s, SchedCa *ca, SimEngine *e)
{
    for (uint32_t r = 0; r < MAX_REGIONS && r < sim_region_count(e); r++) {
        const SchedCaPlan *p = s->r[r].text ? sched_ca_last_plan(ca, r) : NULL;
        if (p == NULL || p->chosen < 0)
            continue;
        snprintf(s->r[r].group, sizeof s->r[r].group, "%s", sim_nodegroup(e, p->options[p->chosen].group)->name);
        s->r[r].delta = p->delta;
    }
}

static int region_list(SimEngine *e, const CaSnap *s, char *buf, size_t n)
{
    size_t used = 0;
    int count = 0;
    buf[0] = '\0';
    for (uint32_t r = 0; r < MAX_REGIONS && r < sim_region_count(e); r++)
        if (s->r[r].text && used < n) {
            used += (size_t)snprintf(buf + used, n - used, "%s%s", count ? ", " : "", sim_region(e, r)->name);
            count++;
        }
    return count;
}

/* The region to explain (see the header), or SIM_NONE with err set. */
static uint32_t pick(CaSnap *s, SimEngine *e, const CliExplainFrom *f, SimErr *err)
{
    char list[1024];
    int n = region_list(e, s, list, sizeof list);
    uint32_t want = f->region ? sim_region_find(e, f->region) : SIM_NONE, only = SIM_NONE, up = SIM_NONE;
    int nup = 0;
    for (uint32_t r = 0; r < MAX_REGIONS && r < sim_region_count(e); r++) {
        if (s->r[r].text == NULL)
            continue;
        only = r;
        if (s->r[r].taken == s->at && s->r[r].group[0]) {
            up = r;
            nup++;
        }
    }
    if (n == 0)
        sim_err_set(err, SIM_EINVAL, "no autoscaler loop ran by --at %s (the autoscaler loops every scan interval "
                                     "from one scan interval after the start, and not while a region is down)", f->at);
    else if (f->region && (want == SIM_NONE || want >= MAX_REGIONS || s->r[want].text == NULL))
        sim_err_set(err, SIM_EINVAL, "--region %s: no autoscaler loop of that region up to --at %s; regions: %s",
                    f->region, f->at, list);
    else if (f->region)
        return want;
    else if (n == 1)
        return only;
    else if (nup == 1)
        return up;
    else
        sim_err_set(err, SIM_EINVAL, "the run has several regions and %s at --at %s: give --region (one of %s)",
                    nup ? "more than one scaled up" : "none scaled up", f->at, list);
    return SIM_NONE;
}

static int rerun(const CliFromRun *run, CaSnap *s, const CliExplainFrom *f, uint32_t *region, char *rname,
                 size_t n, SimErr *err)
{
    ScnWorld *w = NULL;
    int rc = cli_from_world(run, &w);
    SimEngine *e = w ? scn_world_engine(w) : NULL;
    SchedCa *ca = w ? scn_world_autoscaler(w) : NULL;
    if (rc == SIM_OK && ca == NULL)
        rc = sim_err_set(err, SIM_EINVAL, "the run has no cluster autoscaler");
    if (rc == SIM_OK)
        sched_ca_watch(ca, on_loop, s);
    while (rc == SIM_OK && !s->oom)
        rc = sim_step(e);
    if (rc == SIM_DONE && !s->oom) {
        outcomes(s, ca, e);
        *region = pick(s, e, f, err);
        rc = *region == SIM_NONE ? SIM_EINVAL : SIM_OK;
        if (rc == SIM_OK)
            snprintf(rname, n, "%s", sim_region(e, *region)->name);
    } else if (rc != SIM_OK && rc != SIM_DONE && !s->oom && ca)
        sim_err_set(err, rc, "the rerun of the scenario failed: %s", e ? sim_errmsg(e) : scn_world_errmsg(w));
    if (ca)
        sched_ca_watch(ca, NULL, NULL);
    scn_world_close(w);
    return s->oom ? sim_err_set(err, SIM_ENOMEM, "out of memory") : rc == SIM_DONE ? SIM_OK : rc;
}

/* The expander score explain gives group (scaleUp.options[].score), or -1. */
static double score_of(const cJSON *ans, const char *group)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ans, "scaleUp"),
                                                           "options")) {
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(x, "score");
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "group")), group) == 0)
            return cJSON_IsNumber(sc) ? sc->valuedouble : -1;
    }
    return -1;
}

/* The run chose another group than explain with the same score: the
 * expander's tie, which upstream (and the run) breaks at random and
 * explain's draw breaks anew. */
static int is_tie(const cJSON *ans, const RegionSnap *r)
{
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ans, "scaleUp"), "chosen");
    const char *g = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "group"));
    return r->group[0] && g && strcmp(g, r->group) != 0 && score_of(ans, g) >= 0 &&
           score_of(ans, g) == score_of(ans, r->group);
}

/* explain's answer and the run's: "run": {region, loopAt, chosen {group,
 * delta} or null, tie} in JSON, a line in text. */
static int answer(SimMem *m, const RegionSnap *r, const char *region, const char *file, int as_json, SimErr *err)
{
    cJSON *ans;
    int rc = cli_from_answer(m, sched_ca_explain_case, r->text, r->len, file, &ans, err);
    if (rc != SIM_OK)
        return rc;
    cJSON *run = cJSON_AddObjectToObject(ans, "run");
    cJSON_AddStringToObject(run, "region", region);
    cJSON_AddNumberToObject(run, "loopAt", (double)r->taken / 1e9);
    if (r->group[0]) {
        cJSON *ch = cJSON_AddObjectToObject(run, "chosen");
        cJSON_AddStringToObject(ch, "group", r->group);
        cJSON_AddNumberToObject(ch, "delta", r->delta);
    } else
        cJSON_AddNullToObject(run, "chosen");
    int tie = is_tie(ans, r);
    cJSON_AddBoolToObject(run, "tie", tie);
    if (as_json)
        cli_from_print_json(ans);
    else {
        rc = sched_ca_explain_case(m, r->text, r->len, file, 0, stdout, err);
        if (rc == SIM_OK && r->group[0])
            printf("\nthe run: scale-up %s +%d in region %s at its loop at %+.0f s from the start%s\n", r->group,
                   (int)r->delta, region, (double)r->taken / 1e9,
                   tie ? " (the same expander score as the group chosen here: a tie, broken at random)" : "");
        else if (rc == SIM_OK)
            printf("\nthe run: no scale-up in region %s at its loop at %+.0f s from the start\n", region,
                   (double)r->taken / 1e9);
    }
    cJSON_Delete(ans);
    return rc;
}

int cli_explain_from_ca(const CliExplainFrom *f, int as_json, SimErr *err)
{
    static CaSnap zero;
    SimMem m;
    sim_mem_init(&m);
    CliFromRun run;
    CaSnap *s = sim_mem_alloc(&m, sizeof *s);
    if (s == NULL)
        return sim_err_set(err, SIM_ENOMEM, "out of memory");
    *s = zero;
    s->m = &m;
    uint32_t region = SIM_NONE;
    char rname[256] = "";
    int rc = cli_from_open(&m, f, &run, err);
    s->at = run.at;
    if (rc == SIM_OK)
        rc = rerun(&run, s, f, &region, rname, sizeof rname, err);
    const RegionSnap *r = rc == SIM_OK ? &s->r[region] : NULL;
    if (rc == SIM_OK && f->case_out)
        rc = sim_file_replace(f->case_out, r->text, r->len, err);
    if (rc == SIM_OK)
        rc = answer(&m, r, rname, f->case_out ? f->case_out : "(the rebuilt case)", as_json, err);
    for (size_t i = 0; i < MAX_REGIONS; i++)
        if (s->r[i].text)
            sim_mem_free(&m, s->r[i].text, s->r[i].len + 1);
    sim_mem_free(&m, s, sizeof *s);
    cli_from_close(&run);
    return rc;
}
