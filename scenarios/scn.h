/*
 * scn.h: scenarios (prefix scn_). A scenario is a Lua 5.4 script that declares
 * the world (regions, node groups, namespaces, workloads), its params and its
 * expectations. Loading runs the script in a sandbox (no io, os, debug,
 * require or bytecode; a memory cap and an instruction budget) and collects
 * the declarations into C; building puts them into an engine. Every error
 * names the script file, the line and the field.
 */
#ifndef KUBESIM_SCN_H
#define KUBESIM_SCN_H

#include <signal.h>

#include <cjson/cJSON.h>

#include "sim/metrics.h"
#include "sim/model.h"
#include "workloads/wl.h"

typedef struct ScnScenario ScnScenario;

/* Backtest data sets (synthetic universes, price CSVs) shared by every
 * scenario loaded with it (ScnOptions.data_cache): each distinct input is
 * made and hashed once, however many configurations of a sweep load it (a
 * sweep's workers inherit the parent's through fork). The cache owns them,
 * in memory from m; the scenarios borrow them, so it outlives them all. */
typedef struct ScnDataCache ScnDataCache;
ScnDataCache *scn_data_cache_new(SimMem *m);   /* NULL on out of memory */
void scn_data_cache_free(ScnDataCache *c);

typedef struct ScnOptions {
    const char *path;            /* script file; NULL runs the built-in default */
    char *const *sets;           /* "NAME=VALUE" overrides of param() */
    size_t nsets;
    size_t lua_mem;              /* bytes; 0 = 256 MiB */
    uint64_t lua_steps;          /* VM instructions; 0 = 100 million */
    uint64_t seed;               /* seeds math.random, so scripts stay deterministic */
    int no_warnings;             /* declarations print no warning on stderr (import's own check) */
    ScnDataCache *data_cache;    /* data sets shared across loads; NULL: the scenario's own */
} ScnOptions;

#define SCN_DEFAULT_LUA_MEM ((size_t)256 << 20)
#define SCN_DEFAULT_LUA_STEPS UINT64_C(100000000)

/* The built-in default scenario (scenarios/market_open_surge.lua). */
extern const char scn_default_source[];
extern const size_t scn_default_source_len;
#define SCN_DEFAULT_NAME "scenarios/market_open_surge.lua"

/* Loads and checks a scenario. NULL on error with the message in err
 * ("FILE:LINE: ..."; no scenario exists yet to hold it). The caller owns the
 * result. */
ScnScenario *scn_load(SimMem *m, const ScnOptions *opt, SimErr *err);
void scn_free(ScnScenario *s);

const char *scn_name(const ScnScenario *s);       /* scenario { name = ... } or the file's stem */
SimTime scn_duration(const ScnScenario *s);
/* The metrics sampling period (scenario { sample_every = ... }). */
SimTime scn_sample_every(const ScnScenario *s);
/* The time of day at simulated time 0 (scenario { start = ... }). */
SimTime scn_start_clock(const ScnScenario *s);
/* The Unix time of simulated time 0: scenario.start on scenario.date
 * (default Monday 2026-01-05) in scenario.timezone (default UTC). */
int64_t scn_start_unix(const ScnScenario *s);
/* The distinct data sets the backtest {} and submit {} requests load or
 * generate: each (universe assets, days, seed) or CSV path once, shared. */
size_t scn_data_sets(const ScnScenario *s);
/* 1 when the scenario sets timezone or date: only then do summary.json and
 * the trace carry the clock (scn_clock_json), so other runs' bytes stay. */
int scn_clock_set(const ScnScenario *s);
/* Adds "timezone", "date" and "clock" {start, start_unix, utc_offsets:
 * [{t_seconds, offset_seconds, abbrev}] at run time 0 and at each change
 * within duration} to o. SIM_OK or SIM_ENOMEM. */
int scn_clock_json(const ScnScenario *s, SimTime duration, cJSON *o);
/* "HH:MM:SS" (with the zone's abbreviation, "14:05:00 EDT", when the clock
 * is set) of simulated time t on the scenario's clock, into buf. */
void scn_clock_format(const ScnScenario *s, SimTime t, char *buf, size_t n);
/* scenario.timezone, or NULL when unset (UTC); scenario.date as
 * "YYYY-MM-DD" into buf (11 bytes), 1 when set, else 0 and buf empty. */
const char *scn_timezone(const ScnScenario *s);
int scn_date(const ScnScenario *s, char buf[11]);
/* What of the scenario Kubernetes manifests cannot hold, as text for
 * `kubesim export` to record ("2 faults, 3 at/every hooks"), into buf;
 * empty when everything it declares has a manifest. */
void scn_not_exported(const ScnScenario *s, char *buf, size_t n);
/* Parses "YYYY-MM-DD" (a real date, year 1970 on). SIM_OK or SIM_EINVAL. */
int scn_parse_date(const char *text, int *y, int *m, int *d);

/* Params in declaration order: name, value as text, default as text, description. */
size_t scn_param_count(const ScnScenario *s);
void scn_param(const ScnScenario *s, size_t i, const char **name, const char **deflt,
               const char **value, const char **desc);

/* Creates the declared objects in e and starts the workloads. Returns SIM_OK
 * or an error with the message on the engine. */
int scn_build(ScnScenario *s, SimEngine *e, WlControllers *wl);

/* The cluster autoscaler's configuration: upstream's defaults, with what
 * the scenario's autoscaler {} sets (scheduler/ca.h; run and export). */
struct SchedCaConfig;
void scn_autoscaler_config(const ScnScenario *s, struct SchedCaConfig *c);
/* The feature gates the cluster runs with (workloads/gates.h): upstream's
 * defaults with what scenario { feature_gates = {...} } turns on or off. */
uint32_t scn_feature_gates(const ScnScenario *s);

/* Runs each expect(name, fn) against the final summary (passed to fn as a Lua
 * table). Returns a cJSON array of {name, passed, detail} in *out (caller
 * owns), or an error with the message on s (scn_errmsg). *failed counts
 * failures. */
int scn_expectations(ScnScenario *s, const cJSON *summary, cJSON **out, int *failed);

/* ---- a world (world.c) ------------------------------------------------------
 * The one builder of a world: run, sweep, validate, export and the
 * benchmarks all assemble here. A world holds an engine, its scheduler and
 * (with a scenario, or SCN_WORLD_CONTROLLERS) the workload controllers, then
 * the objects, then the parts named in ScnWorldOptions.parts. */
typedef struct ScnWorld ScnWorld;
struct SchedScheduler;
struct SchedCa;

enum {
    SCN_WORLD_CONTROLLERS = 1u << 0,   /* the workload controllers (implied by a scenario) */
    SCN_WORLD_AUTOSCALER = 1u << 1,    /* the cluster autoscaler, after the objects */
    SCN_WORLD_FAULTS = 1u << 2,        /* faults and the node lifecycle controller */
    SCN_WORLD_HOOKS = 1u << 3,         /* the scenario's at/every hooks, last */
};
/* What a run simulates with; a world without these parts holds the objects
 * only (export, validate). */
#define SCN_WORLD_RUN (SCN_WORLD_CONTROLLERS | SCN_WORLD_AUTOSCALER | SCN_WORLD_FAULTS | SCN_WORLD_HOOKS)

/* Makes a world's objects without a scenario (a benchmark's synthetic
 * cluster): SIM_OK or an error with the message on the engine. */
typedef int (*ScnWorldPopulate)(void *ctx, SimEngine *e);

typedef struct ScnWorldOptions {
    uint64_t seed;                    /* the engine's random streams */
    unsigned parts;                   /* SCN_WORLD_* */
    SimMem *mem;                      /* NULL: the scenario's; with no scenario, the C library */
    SimTime end;                      /* 0: the scenario's duration */
    const char *dir;                  /* with a scenario: trace.kst and metrics.csv are written
                                         here as the run goes; NULL: neither */
    int quiet;                        /* the hooks' k.log prints nothing */
    const BtThroughput *throughput;   /* reference core for backtests; NULL: built in */
    int traffic_mode;                 /* WlTrafficMode; 0 fluid */
    ScnWorldPopulate populate;        /* with no scenario: makes the objects; NULL: none */
    void *ctx;                        /* populate's */
    const char *kstate;               /* with dir: the kube-state sampler's rows go here
                                         (workloads/kstate.h); NULL: no sampler */
    uint32_t kstate_pods;             /* its bound on per-pod series */
    const struct SchedCaConfig *autoscaler;   /* with SCN_WORLD_AUTOSCALER: its flags; NULL: the
                                                 scenario's autoscaler {} (or upstream's defaults) */
    const struct SimTimings *timings; /* calibrated delays set on the objects after they are
                                         made (sim/timings.h); NULL: the scenario's constants */
    int summary_only;                 /* with dir: trace.kst and metrics.csv are not written (the
                                         trace is hashed all the same): a sweep's runs */
    SimMetricsSink metrics_sink;      /* with dir: also given every metrics row (sim/metrics.h);
                                         NULL: none */
    void *metrics_sink_ctx;
} ScnWorldOptions;

/* Builds a world from loaded scenario s (NULL: from opt->populate) into *w.
 * Returns SIM_OK or an error with the message in scn_world_errmsg(*w); *w is
 * set either way (NULL only when the handle itself could not be allocated)
 * and the caller closes it with scn_world_close. s must outlive the world. */
int scn_world_open(ScnWorld **w, ScnScenario *s, const ScnWorldOptions *opt);
/* The last error's message ("out of memory" for a NULL world). */
const char *scn_world_errmsg(const ScnWorld *w);
/* The world's parts (owned by it; NULL for a part it does not hold). */
SimEngine *scn_world_engine(const ScnWorld *w);
struct SchedCa *scn_world_autoscaler(const ScnWorld *w);
WlControllers *scn_world_controllers(const ScnWorld *w);
/* At the end of a run: the last metrics row and the trace's end record,
 * then closes both files and stores the trace's SHA-256 in hex (empty
 * without outputs). SIM_OK or SIM_EIO. */
int scn_world_finish(ScnWorld *w, char trace_sha256[65]);
/* Frees the world and everything it created; NULL is allowed. */
void scn_world_close(ScnWorld *w);

/* ---- a whole run ------------------------------------------------------- */
typedef struct ScnRunOptions {
    uint64_t seed;
    const char *dir;             /* write summary.json, metrics.csv, trace.kst here */
    int progress;                /* show progress on stderr */
    const BtThroughput *throughput;   /* reference core for backtests; NULL: built in */
    int traffic_mode;            /* serving traffic: 0 fluid (default), 1 every request an event
                                    (WlTrafficMode) */
    const volatile sig_atomic_t *stop;   /* polled between events: nonzero ends the run with
                                            SIM_ESTATE ("stopped"); NULL: never */
    int no_wall_time;            /* summary.json's wall_seconds is null, so the file's bytes depend
                                    only on the scenario and seed (a sweep's configurations) */
    const char *kstate;          /* the kube-state rows for --openmetrics (ScnWorldOptions); NULL: none */
    uint32_t kstate_pods;        /* their bound on per-pod series */
    const struct SimTimings *timings;   /* calibrated delays (sim/timings.h); NULL: the scenario's */
    int summary_only;            /* write summary.json only: no trace.kst (its sha256 in the summary
                                    is the same) and no metrics.csv (a sweep that reads neither) */
    SimMetricsSink metrics_sink; /* also given every metrics row as it is recorded (the report
                                    drawn from memory, rnd_report_metrics_row); NULL: none */
    void *metrics_sink_ctx;
} ScnRunOptions;

typedef struct ScnRunResult {
    int expectations_failed;
    double wall_seconds;
    uint64_t events;
    char trace_sha256[65];
} ScnRunResult;

/* Simulates a loaded scenario and writes its outputs into opt->dir. Returns
 * SIM_OK, or an error with the message on s (an error in an at/every hook
 * ends the run: "FILE:LINE: ..."). */
int scn_run(ScnScenario *s, const ScnRunOptions *opt, ScnRunResult *res);
/* Why the last scn_run or scn_expectations on s failed. */
const char *scn_errmsg(const ScnScenario *s);

/* Fills s with every record kind a kubesim trace may hold: the engine's and
 * each module's (modules.c), for readers without an engine. SIM_OK, or
 * SIM_EINVAL if two modules claim one number or name (a bug). */
int scn_trace_schema(SimTrSchema *s);

/* Parses a duration ("90s", "15m", "2h", "1h30m", "500ms", or a number of
 * seconds) into *out. Returns SIM_OK or SIM_EINVAL. */
int scn_parse_duration(const char *s, SimTime *out);
/* Parses a time of day "HH:MM" or "HH:MM:SS" into an offset from midnight. */
int scn_parse_clock(const char *s, SimTime *out);

/* Declaration counts (api_names.c), for `kubesim validate`. */
size_t scn_region_count(const ScnScenario *s);
size_t scn_group_count(const ScnScenario *s);
size_t scn_workload_count(const ScnScenario *s);
/* Node group i's name when its price is "unknown" (a run reports its cost
 * as unknown and warns), else NULL; i < scn_group_count(s). */
const char *scn_group_unpriced(const ScnScenario *s, size_t i);
/* Node group i's name; i < scn_group_count(s). */
const char *scn_group_name(const ScnScenario *s, size_t i);
/* Workload i's name (NULL for a slot that holds none) and, in *ns, its
 * namespace's; i < scn_workload_count(s). */
const char *scn_workload_name(const ScnScenario *s, size_t i, const char **ns);
/* The global functions a scenario script can call beyond stock Lua's, read
 * from a fresh sandbox, sorted. Stores up to max names in names, the strings
 * in buf (buflen bytes; names that do not fit are left out), and how many in
 * *n. Both Lua states (the sandbox and stock Lua to compare with) allocate
 * through m. Returns SIM_OK, or SIM_ENOMEM with *n 0. */
int scn_api_names(SimMem *m, char *buf, size_t buflen, const char **names, size_t max, size_t *n);
/* The i-th function of a hook's `k` table (k.now, k.scale, ...), or NULL
 * past the last. */
const char *scn_hook_function_name(size_t i);

#endif
