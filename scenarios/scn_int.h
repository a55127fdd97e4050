/*
 * scn_int.h: the scenario's layout, shared by the files of scenarios/ only.
 * Declarations are stored as the engine's own structs with ids that are
 * indices into these arrays; building adds them to the engine in the same
 * order, so the ids agree.
 */
#ifndef KUBESIM_SCN_INT_H
#define KUBESIM_SCN_INT_H

#include <lauxlib.h>
#include <lua.h>

#include "scenarios/scn.h"
#include "sim/arena.h"

#define SCN_ERR_LEN 512
/* The region of a script that declares no region {} (README "region"). */
#define SCN_IMPLIED_REGION "default"

/* One data set the script's backtest requests use: generated or loaded once
 * per distinct spec (a universe's assets, days, seed; a CSV's path) and
 * shared by every backtest {} and submit {} naming it. */
typedef struct ScnData {
    char *key;                   /* "u:ASSETS:DAYS:SEED" or "f:PATH" */
    BtData *data;                /* owned, unless borrowed from the ScnDataCache */
    int borrowed;
} ScnData;

struct ScnDataCache {
    SimMem *mem;
    ScnData *v;                  /* keys and data owned */
    size_t n, cap;
    BtMemo *memo;                /* the kernels' results, shared by the runs (NULL until one asks) */
};
/* The cache's memo of kernel results, made on first use; NULL on out of
 * memory. */
BtMemo *scn_data_cache_memo(ScnDataCache *c);

typedef struct ScnParam {
    char *name, *deflt, *value, *desc;
} ScnParam;

/* A --set NAME=VALUE: a param's value, or NAME.FIELD[.FIELD...] overriding
 * a field of the declaration called NAME (fields.c). */
typedef struct ScnSet {
    char *name, *value;
    int used;
    char missed[96];             /* a declaration NAME matched but has no such field: its label */
    const char *near;            /* then the nearest field it has, or NULL */
} ScnSet;

typedef struct ScnGroupDecl {
    SimNodeGroup g;              /* region and zones are scenario indices */
    int32_t size;                /* nodes at the start */
    uint8_t scale_down_disabled; /* the cluster autoscaler never removes its nodes */
    size_t zcap, lcap, tcap;     /* allocated lengths of g.zones, g.labels, g.taints */
} ScnGroupDecl;

typedef struct ScnExpect {
    char *name;
    int ref;                     /* the function, in the Lua registry */
} ScnExpect;

typedef struct ScnZoneDecl {
    char *name;
    uint32_t region;
} ScnZoneDecl;

typedef struct ScnBacktest {
    size_t workload;             /* index of its Job in workloads */
    BtData *data;                /* borrowed from s->data */
    BtParams params;
} ScnBacktest;

#define SCN_VEC(T) struct { T *v; size_t n, cap; }

/* at(time, fn) and every(period, fn, {start, stop}) (hooks.c). */
typedef struct ScnHook {
    struct ScnHook *next;        /* declaration order */
    int ref;                     /* the function, in the Lua registry */
    int line;                    /* of the declaration */
    SimTime at, every, stop;     /* first call; period (0: once); no call at or after stop */
} ScnHook;

typedef struct ScnHooks {
    uint16_t ev;                 /* our event kind: obj = the hook's index */
    ScnHook *head, **tail;       /* in the arena */
    uint32_t n;
    int closed;                  /* the script has loaded: at/every refuse */
    int k;                       /* the hooks' `k` table in the registry; 0 until built */
    uint64_t steps;              /* instruction budget of each call */
    SimEngine *e;                /* the running engine, NULL outside a run */
    WlControllers *wl;
    struct WlFaults *faults;     /* k.fail injects here (api_fault.c); NULL outside a run */
    uint8_t quiet;               /* k.log prints nothing (kubesim run --quiet) */
    uint8_t after;               /* the run is over (expectations): k reads the run, acting is refused */
    char err[SCN_ERR_LEN];       /* the first error of a hook: ends the run */
} ScnHooks;

struct ScnScenario {
    SimMem *mem;
    ScnDataCache *cache;         /* ScnOptions.data_cache, borrowed; NULL: none */
    lua_State *L;
    char *chunk;                 /* the file name used in messages */
    char *name;
    SimTime duration, start_clock, sample_every;
    struct {
        WlZone *zone;            /* scenario.timezone, loaded; NULL: UTC */
        const char *tz;          /* its name, in the arena; NULL unset */
        int y, m, d, date_set;   /* scenario.date */
        int used;                /* a time of day has been resolved (the zone may no longer change) */
    } clock;                     /* clock.c */
    uint8_t no_warnings;         /* ScnOptions.no_warnings */
    uint32_t gates;              /* feature gates on (WlGates): defaults, then scenario { feature_gates } */
    uint32_t gates_relied;       /* gates an earlier declaration needed on (turning one off is refused) */
    size_t lua_mem, lua_used;
    int lua_cap_hit;             /* the last failed Lua allocation was refused by the cap */
    uint64_t steps_left;
    uint64_t objects;            /* tables, functions, threads, userdata created: their numbers (sandbox.c) */
    char src[64];                /* the chunk as Lua names it in positions ("t.lua") */
    char err_where[200];
    int spent;                   /* the budget ran out since scn_sandbox_arm (sandbox.c) */
    char spent_msg[200];         /* and where, when the count hook or a charge saw it */         /* where a non-string error left a coroutine (sandbox.c) */
    SimRng rng;                  /* math.random */
    SimArena arena;              /* pod specs' nested arrays */
    struct ScnPolicy *policy;    /* policy declarations, in the arena (api_policy.c) */
    SCN_VEC(char *) regions;
    int region_implied;          /* regions.v[0] is the implied one (api.c scn_ref_region) */
    SCN_VEC(ScnZoneDecl) zones;
    SCN_VEC(char *) namespaces;
    SCN_VEC(ScnGroupDecl) groups;
    SCN_VEC(SimWorkload) workloads;
    SCN_VEC(ScnParam) params;
    SCN_VEC(ScnExpect) expects;
    SCN_VEC(ScnSet) sets;
    SCN_VEC(ScnBacktest) backtests;
    SCN_VEC(ScnData) data;       /* every distinct data set, once (api_backtest.c); decls borrow them */
    struct ScnQueues *queues;    /* queue/submit declarations (api_queue.c); NULL if none */
    struct ScnTraffic *traffic;  /* site/latency/traffic/serve declarations, in the arena (api_traffic.c) */
    struct ScnHpas *hpas;        /* hpa declarations, in the arena (api_hpa.c); NULL if none */
    struct ScnFaults *faults;    /* fault declarations, in the arena (api_fault.c); NULL if none */
    struct ScnAutoscaler *autoscaler;   /* autoscaler {} (api_autoscaler.c); NULL: upstream defaults */
    ScnHooks hooks;              /* at/every (hooks.c) */
    SimErr err;                  /* why the last scn_run or scn_expectations failed (scn_errmsg) */
};

/* Grows vec by one zeroed element and returns a pointer to it, or raises a
 * Lua memory error. */
#define SCN_PUSH(L, s, vec) ((vec).n < (vec).cap || scn_grow((L), (s), (void **)&(vec).v, &(vec).cap, sizeof *(vec).v) \
    ? (memset(&(vec).v[(vec).n], 0, sizeof *(vec).v), &(vec).v[(vec).n++]) : NULL)
int scn_grow(lua_State *L, ScnScenario *s, void **v, size_t *cap, size_t sz);
/* Reallocates an array of cap elements to exactly n (the engine frees
 * labels, taints and zones by their count). */
void scn_shrink(lua_State *L, ScnScenario *s, void **v, size_t *cap, size_t n, size_t sz);

ScnScenario *scn_from_lua(lua_State *L);
char *scn_strdup(lua_State *L, ScnScenario *s, const char *str);   /* raises on OOM */

/* sandbox.c */
lua_State *scn_sandbox_new(ScnScenario *s);
void scn_sandbox_arm(ScnScenario *s, uint64_t steps);   /* (re)starts the budget */
/* Turns a failed lua_pcall's error (the host's own, e.g. loading) into a
 * message in err; pops it. */
void scn_error_message(ScnScenario *s, int status, SimErr *err);
/* Calls the function below nargs arguments on s->L's stack, in a thread of
 * its own, under the budget set by scn_sandbox_arm. LUA_OK with nres
 * results, or an error status with one message in err ("FILE:LINE: what",
 * whatever the script raised, a memory error included) and nothing pushed. */
int scn_sandbox_call(ScnScenario *s, int nargs, int nres, SimErr *err);
/* The SIM_E* of a failed call's status: SIM_ENOMEM when the allocator (not
 * the script's --lua-mem cap or budget) refused memory, else SIM_EINVAL. */
int scn_sandbox_rc(const ScnScenario *s, int status);
/* Spends cost steps of the budget, or raises "what: instruction budget exceeded". */
void scn_charge(lua_State *L, uint64_t cost, const char *what);
/* The object's number: tables, functions, threads and userdata are numbered
 * in the order the state creates them, the same in every process. */
uint64_t scn_object_number(lua_State *L, int idx);

/* order.c: what a script sees does not depend on the process. */
/* Pushes a sequence of the keys of table idx in key order (raw keys with
 * values); charges the sort. */
void scn_sorted_keys(lua_State *L, int idx);
/* Pushes tostring(value at idx) without addresses ("table: 12"); raises as
 * __tostring may. */
const char *scn_tostring(lua_State *L, int idx, size_t *len);
/* Replaces pairs, next, tostring, string.format and table.sort in the sandbox. */
void scn_order_install(lua_State *L);

/* fields.c: reading declaration tables with checked keys. Each raises a Lua
 * error naming the line, the declaration and the field. */
typedef struct ScnDecl {
    const char *what;            /* "deployment" */
    const char *name;            /* its name, once known */
    int idx;                     /* the table's stack index */
} ScnDecl;
void scn_check_keys(lua_State *L, const ScnDecl *d, const char *const *allowed);
const char *scn_opt_string(lua_State *L, const ScnDecl *d, const char *key, const char *deflt);
const char *scn_req_string(lua_State *L, const ScnDecl *d, const char *key);
int64_t scn_opt_int(lua_State *L, const ScnDecl *d, const char *key, int64_t deflt, int64_t lo, int64_t hi);
double scn_opt_number(lua_State *L, const ScnDecl *d, const char *key, double deflt, double lo, double hi);
int64_t scn_opt_quantity(lua_State *L, const ScnDecl *d, const char *key, int milli, int64_t deflt);
SimTime scn_opt_duration(lua_State *L, const ScnDecl *d, const char *key, SimTime deflt);
/* A time in the run: "HH:MM" (clock time, relative to scenario start) or a
 * duration from the start ("90m"). */
SimTime scn_opt_when(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, SimTime deflt);
/* Pushes field key of the declaration (nil if absent) and returns its type. */
int scn_field(lua_State *L, const ScnDecl *d, const char *key);
__attribute__((noreturn, format(printf, 4, 5)))
void scn_field_error(lua_State *L, const ScnDecl *d, const char *key, const char *fmt, ...);

/* clock.c: times of day on the scenario's clock. */
enum { SCN_SUMMARY_RANK_CLOCK = 10 };   /* right after the engine's head */
void scn_clock_decl(lua_State *L, ScnScenario *s, const ScnDecl *d);   /* scenario { timezone, date } */
void scn_clock_free(ScnScenario *s);
const WlZone *scn_clock_zone(const ScnScenario *s);
/* Run time of wall time clock (seconds after midnight) `day` days after the
 * date; on day 0 a time before the start is the next day's. */
SimTime scn_clock_time(const ScnScenario *s, SimTime clock, int day);
/* Days from the scenario's date to y-m-d. */
int scn_clock_day(const ScnScenario *s, int y, int m, int d);

/* arena.c: memory that lives as long as the scenario; raises on OOM. */
void *scn_arena_alloc(lua_State *L, ScnScenario *s, size_t n);
char *scn_arena_strdup(lua_State *L, ScnScenario *s, const char *str);
void scn_arena_free(ScnScenario *s);

/* podspec.c: the pod-template fields every workload declaration shares
 * (labels, node_selector, tolerations, affinity, spread, priority_class). */
extern const char *const scn_podspec_keys[];
void scn_podspec(lua_State *L, ScnScenario *s, const ScnDecl *d, SimPodSpec *spec);
/* A selector at idx (a map of labels, or { match_labels, match_expressions })
 * into sel, its problems named by path (a field of d). */
void scn_selector(lua_State *L, ScnScenario *s, const ScnDecl *d, int idx, const char *path, SimSelector *sel);
/* Checks d's keys against its own list plus scn_podspec_keys. */
void scn_check_keys2(lua_State *L, const ScnDecl *d, const char *const *own, const char *const *more);

/* api.c */
void scn_api_register(lua_State *L);
/* Index of name in names, or SIM_NONE. */
uint32_t scn_find_name(char **names, size_t n, const char *name);
/* A declaration's `region` (optional when the scenario has one region) and
 * `namespace` (default "default", which exists in every cluster): they must
 * name something declared earlier; raise a Lua error otherwise. */
uint32_t scn_ref_region(lua_State *L, ScnScenario *s, const ScnDecl *d);
uint32_t scn_ref_namespace(lua_State *L, ScnScenario *s, const ScnDecl *d);
/* Names are unique per namespace and kind, as in Kubernetes. A reference to
 * a workload is "NAMESPACE/NAME", or a bare NAME: the one in namespace
 * ns_ctx (SIM_NONE: no context) if there is one, else the only one of that
 * name. kinds is a mask of (1u << SimWlKind), 0 for any kind. Returns its
 * index in s->workloads, SIM_NONE or SIM_AMBIGUOUS (several match). */
uint32_t scn_find_workload(const ScnScenario *s, const char *ref, unsigned kinds, uint32_t ns_ctx);
/* scn_find_workload, raising on field key of d when none or several match:
 * what names the kinds in messages ("deployment"). */
uint32_t scn_ref_workload(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, unsigned kinds,
                          uint32_t ns_ctx, const char *what);
/* The workload just pushed (the last one, its name not yet set) must be the
 * only one of its kind named d->name in its namespace; raises otherwise. */
void scn_check_workload_unique(lua_State *L, ScnScenario *s, const ScnDecl *d);
/* api_backtest.c */
void scn_api_backtest_register(lua_State *L);
/* Workload fields every declaration shares (name is already read). */
void scn_workload_common(lua_State *L, ScnScenario *s, ScnDecl *d, SimWorkload *w);
/* Reads a backtest request's strategy, params and data|universe fields
 * into *params and *data (which must be a slot the scenario frees, so a
 * later error does not leak the data) and checks them against each other. */
void scn_backtest_request(lua_State *L, ScnScenario *s, const ScnDecl *d, BtParams *params, BtData **data);
/* A price CSV (backtest data: a header, then closes per asset) at file,
 * relative to the scenario file's folder, loaded once per path and kept
 * until the scenario is freed (borrowed); raises on field key of d. */
BtData *scn_price_file(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, const char *file);
/* api_market.c: prices { data, asset }, the closes of one asset as a list */
void scn_api_market_register(lua_State *L);
/* api_queue.c: queue, submit, and a deployment's `queue` field */
void scn_api_queue_register(lua_State *L);
/* Reads field `queue` of deployment d (the workload at index wl), if set. */
void scn_queue_worker(lua_State *L, ScnScenario *s, const ScnDecl *d, size_t wl);
/* Adds the queues, their workers and submissions to wl (after the workloads). */
int scn_queue_build(ScnScenario *s, WlControllers *wl);
void scn_queue_free(ScnScenario *s);
/* api_traffic.c: site, latency, traffic, and a deployment's `serve` field */
void scn_api_traffic_register(lua_State *L);
/* Reads field `serve` of deployment d (the workload at index wl), if set. */
void scn_traffic_serve(lua_State *L, ScnScenario *s, const ScnDecl *d, size_t wl);
/* Hands sites, latencies, serving Deployments and flows to wl (after the workloads). */
int scn_traffic_build(ScnScenario *s, WlControllers *wl);
/* api_rates.c: a traffic's recorded rate (traffic { from, series, max_gap }) */
typedef struct ScnRecorded {
    const int64_t *t;            /* Unix ms, strictly increasing (arena); n == 0: no recording */
    const double *v;             /* requests/s as recorded (NaN kept: checked against the run) */
    size_t n;
    int csv;                     /* where samples are: CSV lines from line0, or data.result[si] */
    size_t line0, si;
    int64_t step_ms, max_gap_ms;
    const char *file, *where, *label;   /* for messages: the path as written, "script:LINE:", "a -> b" */
} ScnRecorded;
/* Reads from/series/max_gap of traffic declaration d into *rec (all zero
 * without `from`); raises naming the file and sample when it cannot. */
void scn_rates_decl(lua_State *L, ScnScenario *s, const ScnDecl *d, ScnRecorded *rec);
/* Checks the recording against the run's window (date, start, timezone,
 * duration): SIM_OK or SIM_EINVAL with "script:LINE: traffic ...: field
 * 'from': FILE: SAMPLE: why" in err. */
int scn_rates_check(const ScnScenario *s, const ScnRecorded *rec, SimErr *err);
/* How many traffic declarations take a recorded rate (export writes only their factor). */
size_t scn_traffic_recorded_count(const ScnScenario *s);
/* Every traffic's scn_rates_check (after the script has run). */
int scn_traffic_check(const ScnScenario *s, SimErr *err);
/* api_hpa.c: hpa */
void scn_api_hpa_register(lua_State *L);
/* Adds the HPAs to wl (after the workloads they scale). */
int scn_hpa_build(ScnScenario *s, WlControllers *wl);
/* api_apps.c: rollout, statefulset, and a deployment's image, strategy,
 * min_ready and progress_deadline (read into workload wl) */
void scn_api_apps_register(lua_State *L);
void scn_deployment_apps(lua_State *L, ScnScenario *s, const ScnDecl *d, size_t wl);
/* api_job.c: cronjob, and the Job fields of job and of a cronjob's template */
void scn_api_job_register(lua_State *L);
/* Reads completions, parallelism (only parallelism: work-queue mode),
 * duration, completion_mode, backoff_limit, active_deadline,
 * ttl_after_finished and fail into w. */
void scn_job_fields(lua_State *L, ScnScenario *s, const ScnDecl *d, SimWorkload *w);
/* api_autoscaler.c: autoscaler {} (scn_autoscaler_config is public, scn.h) */
void scn_api_autoscaler_register(lua_State *L);
/* A true/false field (deflt when absent); raises on any other type. */
int scn_opt_bool(lua_State *L, const ScnDecl *d, const char *key, int deflt);
/* "hpa 'web': field 'KEY'" (or "...field 'KEY[i]'" when i > 0): how messages
 * name a nested table. */
void scn_field_label(char *what, size_t n, const ScnDecl *d, const char *key, lua_Integer i);
/* A sub-table of the declaration as a declaration of its own, so its keys and
 * values are checked the same way; left on the stack until the caller pops
 * it. 0 (and nothing pushed) when the field is nil. */
int scn_sub_decl(lua_State *L, const ScnDecl *d, const char *key, ScnDecl *sub, char *what, size_t n);
/* api_policy.c: priorityclass, pdb, quota, limitrange */
void scn_api_policy_register(lua_State *L);
/* Raises a field error unless a priorityclass of that name was declared. */
void scn_policy_check_class(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, const char *name);
/* Adds the policy objects to e (before any workload starts). */
int scn_policy_build(ScnScenario *s, SimEngine *e);
/* Declarations counted for scn_not_exported: submit {} and fault {}. */
size_t scn_submit_count(const ScnScenario *s);
size_t scn_fault_count(const ScnScenario *s);
/* api_fault.c: fault, and the hooks' k.fail (a Lua C function; raises) */
void scn_api_fault_register(lua_State *L);
int scn_k_fail(lua_State *L);
/* api_queue.c: the hooks' k.submit (a Lua C function; raises) */
int scn_k_submit(lua_State *L);
/* Hands the declared faults to f (after scn_build: the world exists). */
int scn_fault_build(ScnScenario *s, struct WlFaults *f);
/* hooks.c: at, every, and the `k` table their functions receive */
void scn_api_hooks_register(lua_State *L);
/* Ends the declarations, registers the hooks' event kind on e (only when
 * the scenario has hooks) and schedules each hook's first call. SIM_OK or
 * SIM_ENOMEM (message on e). */
int scn_hooks_start(ScnScenario *s, SimEngine *e, WlControllers *wl);
/* The run's first hook error ("FILE:LINE: ..."), or NULL. */
const char *scn_hooks_error(const ScnScenario *s);
/* Pushes the hooks' k (nil outside a run), for the expectations' second
 * argument: with hooks.after set, it reads the finished run. */
void scn_hooks_push_k(lua_State *L);
/* Forgets the run's engine: `k` refuses from now on. */
void scn_hooks_stop(ScnScenario *s);

#endif
