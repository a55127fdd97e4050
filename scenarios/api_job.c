/*
 * api_job.c: the Job fields of `job { ... }` (api.c's l_job calls
 * scn_job_fields) and the `cronjob { ... }` declaration, k8s-behaviour.md §5.
 *
 *   job { name = "risk", namespace = "research", region = "eu-west", start = "09:30",
 *         completions = 20, parallelism = 5, duration = "10m",   -- only parallelism: a work queue
 *         completion_mode = "Indexed",          -- or "NonIndexed" (the default)
 *         backoff_limit = 6, active_deadline = "2h", ttl_after_finished = "1h",
 *         fail = { first = 2, probability = 0.05, exit_code = 137 },   -- injected pod failures
 *         cpu = "2", memory = "4Gi", ... }                             -- and the pod-template fields
 *
 *   cronjob { name = "eod-report", namespace = "research", region = "us-east",
 *             schedule = "30 16 * * MON-FRI",   -- five fields, or @hourly, @daily, @weekly...
 *             time_zone = "America/New_York",   -- IANA; default UTC, the scenario clock
 *             concurrency_policy = "Forbid",    -- Allow (default) | Forbid | Replace
 *             starting_deadline = "200s", successful_history = 3, failed_history = 1,
 *             suspend = false,
 *             job = { completions = 4, parallelism = 2, duration = "15m", backoff_limit = 2,
 *                     cpu = "1", memory = "2Gi" } }
 *
 * The scenario clock is UTC: t = 0 is scenario.start on Monday 2026-01-05. A
 * schedule that does not parse, or never fires, and a zone that
 * /usr/share/zoneinfo does not have are refused here, naming the line.
 */
#include "scenarios/scn_int.h"
#include "scenarios/scn_keys.h"

#include <stdio.h>
#include <string.h>

#include "k8s-export/kx.h"

#define CRONJOB_NAME_MAX 52   /* upstream: its Jobs' names append -<minutes>, 11 characters */

static int present(lua_State *L, const ScnDecl *d, const char *key)
{
    int t = scn_field(L, d, key);
    lua_pop(L, 1);
    return t != LUA_TNIL;
}

static int32_t count(lua_State *L, const ScnDecl *d, const char *key, int64_t deflt)
{
    int64_t v = scn_opt_int(L, d, key, deflt, INT64_MIN, INT64_MAX);
    if (v < 0)
        scn_field_error(L, d, key, "must not be negative (got %lld)", (long long)v);
    if (v > 1000000)
        scn_field_error(L, d, key, "%lld is more than 1000000", (long long)v);
    return (int32_t)v;
}

const char *const scn_keys_job_fail[] = {"first", "probability", "exit_code", NULL};
/* fail = { first = N, probability = P, exit_code = C }: kubesim's failure
 * injection (SimJobSpec). */
static void fail_fields(lua_State *L, const ScnDecl *outer, SimJobSpec *js)
{
    const char *const *keys = scn_keys_job_fail;
    if (scn_field(L, outer, "fail") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        scn_field_error(L, outer, "fail", "expected { first = N, probability = P, exit_code = C }");
    char what[160];
    snprintf(what, sizeof what, "%s '%s': field 'fail'", outer->what, outer->name);
    ScnDecl d = {what, NULL, lua_absindex(L, -1)};
    scn_check_keys(L, &d, keys);
    js->fail_first = (int32_t)scn_opt_int(L, &d, "first", 0, 0, 1000000);
    js->fail_probability = scn_opt_number(L, &d, "probability", 0, 0, 1);
    js->fail_exit_code = (int32_t)scn_opt_int(L, &d, "exit_code", 1, 1, 255);
    lua_pop(L, 1);
}

static SimJobMode completion_mode(lua_State *L, const ScnDecl *d)
{
    const char *m = scn_opt_string(L, d, "completion_mode", "NonIndexed");
    if (strcmp(m, "NonIndexed") != 0 && strcmp(m, "Indexed") != 0)
        scn_field_error(L, d, "completion_mode", "\"%s\" is not NonIndexed or Indexed", m);
    return strcmp(m, "Indexed") == 0 ? SIM_JOB_INDEXED : SIM_JOB_NON_INDEXED;
}

void scn_job_fields(lua_State *L, ScnScenario *s, const ScnDecl *d, SimWorkload *w)
{
    (void)s;
    int has_completions = present(L, d, "completions"), has_parallelism = present(L, d, "parallelism");
    w->completions = count(L, d, "completions", 1);
    w->replicas = count(L, d, "parallelism", 1);
    w->job.work_queue = (uint8_t)(!has_completions && has_parallelism);   /* completions stays nil upstream */
    if (w->job.work_queue)
        w->completions = 0;
    w->job.mode = completion_mode(L, d);
    if (w->job.mode == SIM_JOB_INDEXED && !has_completions)
        scn_field_error(L, d, "completion_mode", "Indexed needs completions");
    w->job.backoff_set = (uint8_t)present(L, d, "backoff_limit");
    w->job.backoff_limit = count(L, d, "backoff_limit", 6);
    if (present(L, d, "active_deadline") && (w->job.active_deadline = scn_opt_duration(L, d, "active_deadline", 0)) <= 0)
        scn_field_error(L, d, "active_deadline", "must be positive (e.g. \"2h\")");
    w->job.ttl_set = (uint8_t)present(L, d, "ttl_after_finished");
    w->job.ttl = scn_opt_duration(L, d, "ttl_after_finished", 0);
    fail_fields(L, d, &w->job);
    w->spec.duration = scn_opt_duration(L, d, "duration", 0);
    if (w->spec.duration <= 0)
        scn_field_error(L, d, "duration", "is required and must be positive (e.g. \"10m\")");
}

/* ---- cronjob { ... } ------------------------------------------------------------ */
static const char *const cron_keys[] = {"name", "namespace", "region", "schedule", "time_zone",
                                        "concurrency_policy", "starting_deadline", "successful_history",
                                        "failed_history", "suspend", "job", NULL};
const char *const scn_keys_cronjob_job[] = {"completions", "parallelism", "duration", "completion_mode",
                                            "backoff_limit", "active_deadline", "ttl_after_finished", "fail",
                                            "cpu", "memory", "gpu", "cpu_limit", "memory_limit", "startup",
                                            "priority", NULL};
static const char *const *const template_keys = scn_keys_cronjob_job;

/* The pod template of the Job template (as scn_workload_common reads a
 * workload's), with its labels defaulting to { app = <cronjob> }. */
static void pod_template(lua_State *L, ScnScenario *s, const ScnDecl *d, SimPodSpec *spec)
{
    spec->req.cpu_m = scn_opt_quantity(L, d, "cpu", 1, 0);
    spec->req.mem = scn_opt_quantity(L, d, "memory", 0, 0);
    spec->req.gpu = scn_opt_int(L, d, "gpu", 0, 0, 64);
    spec->req.pods = 1;
    spec->lim_cpu_m = scn_opt_quantity(L, d, "cpu_limit", 1, 0);
    spec->lim_mem = scn_opt_quantity(L, d, "memory_limit", 0, 0);
    spec->startup = scn_opt_duration(L, d, "startup", SIM_SEC(10));
    spec->priority = (int32_t)scn_opt_int(L, d, "priority", 0, -2147483647, 1000000000);
    scn_podspec(L, s, d, spec);
}

static void job_template(lua_State *L, ScnScenario *s, const ScnDecl *d, SimWorkload *w)
{
    if (scn_field(L, d, "job") != LUA_TTABLE)
        scn_field_error(L, d, "job", "is required: the Job template, e.g. { completions = 1, duration = \"5m\" }");
    ScnDecl t = {"job template of cronjob", d->name, lua_absindex(L, -1)};
    scn_check_keys2(L, &t, template_keys, scn_podspec_keys);
    pod_template(L, s, &t, &w->spec);
    scn_job_fields(L, s, &t, w);
    lua_pop(L, 1);
}

static void schedule(lua_State *L, ScnScenario *s, const ScnDecl *d, SimCronSpec *cs)
{
    SimErr why = SIM_ERR_INIT;   /* its reasons print cut at 255 bytes, as they always were */
    WlSchedule sched;
    const char *text = scn_req_string(L, d, "schedule");
    if (wl_schedule_parse(text, &sched, &why) != SIM_OK)
        scn_field_error(L, d, "schedule", "\"%s\": %.255s", text, sim_err_msg(&why));
    cs->schedule = scn_arena_strdup(L, s, text);
    const char *tz = scn_opt_string(L, d, "time_zone", NULL);
    WlZone *zone = NULL;
    int rc = tz ? wl_zone_load(s->mem, tz, &zone, &why) : SIM_OK;
    if (rc == SIM_ENOMEM)
        luaL_error(L, "out of memory");
    if (rc != SIM_OK)
        scn_field_error(L, d, "time_zone", "%.255s", sim_err_msg(&why));
    int64_t first = wl_schedule_next(&sched, zone, cs->epoch);
    wl_zone_free(s->mem, zone);
    if (first == WL_CRON_NEVER)
        scn_field_error(L, d, "schedule", "\"%s\" never fires", text);
    cs->time_zone = tz ? scn_arena_strdup(L, s, tz) : NULL;
}

static SimConcurrency concurrency(lua_State *L, const ScnDecl *d)
{
    static const char *const names[] = {"Allow", "Forbid", "Replace"};
    const char *p = scn_opt_string(L, d, "concurrency_policy", "Allow");
    for (int i = 0; i < 3; i++)
        if (strcmp(p, names[i]) == 0)
            return (SimConcurrency)i;
    scn_field_error(L, d, "concurrency_policy", "\"%s\" is not Allow, Forbid or Replace", p);
    return SIM_CONCURRENCY_ALLOW;
}

static void cron_fields(lua_State *L, ScnScenario *s, const ScnDecl *d, SimCronSpec *cs)
{
    cs->epoch = scn_start_unix(s);
    schedule(L, s, d, cs);
    cs->concurrency = concurrency(L, d);
    cs->deadline_set = (uint8_t)present(L, d, "starting_deadline");
    cs->starting_deadline = scn_opt_duration(L, d, "starting_deadline", 0);
    cs->successful_history = (int32_t)scn_opt_int(L, d, "successful_history", 3, 0, 1000);
    cs->failed_history = (int32_t)scn_opt_int(L, d, "failed_history", 1, 0, 1000);
    cs->suspend = (uint8_t)scn_opt_bool(L, d, "suspend", 0);
}

static int l_cronjob(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = {"cronjob", NULL, 1};
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "cronjob: expected a table of fields, e.g. cronjob { name = \"...\" }");
    const char *why, *name = scn_req_string(L, &d, "name");
    if (!kx_name_valid(name, KX_DNS1123_SUBDOMAIN, &why))
        scn_field_error(L, &d, "name", "'%s' is not a valid Kubernetes name: %s", name, why);
    if (strlen(name) > CRONJOB_NAME_MAX)
        scn_field_error(L, &d, "name", "'%s' is longer than %d characters (its Jobs append -<minutes>)", name,
                        CRONJOB_NAME_MAX);
    d.name = name;   /* first, so that every later message names it */
    scn_check_keys(L, &d, cron_keys);
    SimWorkload *w = SCN_PUSH(L, s, s->workloads);
    w->kind = SIM_WL_CRONJOB;
    w->region = scn_ref_region(L, s, &d);
    w->ns = scn_ref_namespace(L, s, &d);
    scn_check_workload_unique(L, s, &d);
    w->name = scn_strdup(L, s, name);
    cron_fields(L, s, &d, &w->cron);
    job_template(L, s, &d, w);
    return 0;
}

void scn_api_job_register(lua_State *L)
{
    lua_register(L, "cronjob", l_cronjob);
}
