/*
 * rnd.h: the public API of render/ (prefix rnd_): the report writer and, at
 * the end, the trace replay.
 *
 * The report is one self-contained HTML page (inline CSS, inline SVG charts
 * drawn here, no scripts, fonts or network) built from a run's summary.json
 * and metrics.csv only. Invariant: the page is a pure function of those two
 * texts; it carries no time of generation and no file paths, so the same run
 * gives the same bytes.
 *
 * Both inputs are read generically: a summary key or a metrics.csv
 * (object, metric) pair that this code has never heard of still appears in
 * the page, in a table or as a chart of its own.
 */
#ifndef KUBESIM_RENDER_RND_H
#define KUBESIM_RENDER_RND_H

#include <stddef.h>
#include <stdio.h>

#include "sim/sim.h"
#include "sim/trace.h"

/* Points drawn per series at most; longer series are reduced to the minimum
 * and maximum of each time bucket so spikes survive. */
#define RND_MAX_POINTS 600
/* Series drawn per chart at most (the ones with the highest peaks); the chart
 * says how many were left out. */
#define RND_MAX_SERIES 16

/* A report being built: the loaded inputs, the page and the last error. */
typedef struct RndReport RndReport;

/* Creates an empty report. Every allocation goes through mem, which must
 * outlive the report; NULL means the C library. Returns NULL on out of memory. */
RndReport *rnd_report_create(SimMem *mem);

/* Frees the report, its inputs and the page rnd_report_render() returned. */
void rnd_report_destroy(RndReport *r);

/* Loads summary.json text (len bytes, need not be NUL-terminated). name is
 * used in error messages only. Returns 0, SIM_EINVAL (not JSON, or not an
 * object; the message names the file and line) or SIM_ENOMEM. A second call
 * replaces the first summary. */
int rnd_report_set_summary(RndReport *r, const char *json, size_t len, const char *name);

/* Loads metrics.csv text (header `t_seconds,region,object,name,metric,value`,
 * columns found by name, extra columns ignored, "quoted" fields allowed).
 * A value that is nan or inf is drawn as a gap. Returns 0, SIM_EINVAL (the
 * message names the file and line) or SIM_ENOMEM. A second call adds rows. */
int rnd_report_set_metrics(RndReport *r, const char *csv, size_t len, const char *name);

/* Builds the page. On success *html points at len bytes plus a NUL, owned by
 * r and valid until the next render or rnd_report_destroy(). Returns 0,
 * SIM_ESTATE (no summary loaded) or SIM_ENOMEM. */
int rnd_report_render(RndReport *r, const char **html, size_t *len);

/* The message of the last error ("" when there was none); owned by r. */
const char *rnd_report_errmsg(const RndReport *r);

/* Reads summary_json_path and metrics_csv_path (NULL: a page without charts),
 * writes the page to out_html_path (created or truncated). Every allocation
 * goes through mem (NULL: the C library). Returns 0, or a negative SIM_E*
 * with a message naming the file (and the line for bad input) in err (err
 * may be NULL). */
int rnd_report_write(SimMem *mem, const char *summary_json_path, const char *metrics_csv_path,
                     const char *out_html_path, SimErr *err);

/* rnd_report_write with a "Why pods waited" section read from the run's
 * trace at trace_path (kinds known to schema: scn_trace_schema): pending
 * pod-time by the scheduler's reason, the workloads that waited most, and
 * per window a service spent over its SLO the headline `kubesim why` gives.
 * The page is then a pure function of the three files. */
int rnd_report_write_run(SimMem *m, const char *summary_json_path, const char *metrics_csv_path,
                         const char *trace_path, const SimTrSchema *schema, const char *out_html_path, SimErr *err);

/* The report drawn from memory: the recorder gives each metrics row to
 * rnd_report_metrics_row (a SimMetricsSink, ctx the report) as the run
 * records it, and rnd_report_write_rows then reads summary.json (and the
 * trace, when trace_path is not NULL) and writes the page that
 * rnd_report_write_run would write from the same run's metrics.csv, without
 * reading that file again. Out of memory while keeping the rows is sticky
 * and reported by rnd_report_write_rows. r stays the caller's to destroy. */
void rnd_report_metrics_row(void *ctx, SimTime t, const char *region, const char *object, const char *name,
                            const char *metric, double value);
int rnd_report_write_rows(RndReport *r, const char *summary_json_path, const char *trace_path,
                          const SimTrSchema *schema, const char *out_html_path, SimErr *err);

/* One run's metrics for rnd_openmetrics_write. */
typedef struct RndOmRun {
    const char *metrics_csv;   /* the run's metrics.csv */
    const char *kstate;        /* the kube-state sampler's rows (wl_kstate_open), or NULL */
    int64_t base_unix;         /* Unix seconds of simulated time 0 */
    const char *scenario;      /* labels on every sample: scenario, seed, run ... */
    uint64_t seed;
    const char *run;
    const char *config;        /* ... and config, a sweep's configuration index (NULL: none) */
} RndOmRun;

/* Writes a run's metrics as OpenMetrics text for promtool / Prometheus:
 * metrics.csv's rows as kubesim_* families (base units, counters _total),
 * the kube-state rows under their kube_* / container_* names, # HELP, # TYPE
 * and # UNIT on every family, the run's labels on every sample, timestamps
 * in Unix seconds, "# EOF" last. Every allocation goes through m. Returns 0,
 * or SIM_EINVAL / SIM_EIO / SIM_ENOMEM with a message naming the file and
 * line; out_path is then untouched. */
int rnd_openmetrics_write(SimMem *m, const RndOmRun *in, const char *out_path, SimErr *err);

/* Writes the page of a sweep (`kubesim sweep`) from its sweep.json: the
 * cheapest configuration that meets every expectation, cost against SLO
 * violation per configuration, and the table of every configuration. Same
 * file, same bytes. Every allocation goes through m. Returns 0, or an error
 * (SIM_ENOMEM included) with a message naming the file. */
int rnd_sweep_write(SimMem *m, const char *sweep_json_path, const char *out_html_path, SimErr *err);

/* ---- `kubesim why` (why.c) ------------------------------------------------ */
typedef enum RndWhyKind { RND_WHY_POD = 0, RND_WHY_WORKLOAD, RND_WHY_NODE, RND_WHY_SERVICE } RndWhyKind;

typedef struct RndWhyReq {
    RndWhyKind kind;
    const char *name;          /* the object's name as the trace spells it */
    const char *at;            /* NULL: the whole run; else a time as `replay --at` reads it */
    int json;                  /* machine output */
} RndWhyReq;

/* Writes to out one causal timeline for the object, read from the trace at
 * trace_path (kinds known to schema: scn_trace_schema): a title, a headline
 * (a pod: how long it waited and for what, naming the autoscaler's scale-up
 * it waited for; a workload: its pods' waits; a node: its life; a service:
 * each window over its p95 target with its causes: region down, the HPA
 * limited by a policy or maxReplicas, pods pending for nodes), then the
 * records of every component about it in time order, times on the scenario's
 * clock. With at, the story up to that time. SIM_OK; SIM_EINVAL with a
 * message in err for a name the run lacks (the nearest names) or a time
 * outside the run (the run's span); SIM_EIO/SIM_ECORRUPT for the trace. */
int rnd_why(SimMem *m, const SimTrSchema *schema, const char *trace_path, const RndWhyReq *q, FILE *out, SimErr *err);

/* ---- the replay: `kubesim replay` (replay*.c) ----------------------------- */
/* A trace loaded for replay: the cluster rebuilt at any simulated time from
 * trace.kst alone, with keyframes so a seek costs the records since the
 * nearest one. Every allocation goes through the SimMem given to open. */
typedef struct RndReplay RndReplay;

/* Reads and indexes the trace at path, whose record kinds schema knows (every
 * module's: scn_trace_schema); the controllers' records it draws (traffic,
 * hpa, queue*) are found by name. Returns 0 with *out, or SIM_EIO (cannot
 * read), SIM_ECORRUPT (checksum, framing, end marker), SIM_EINVAL (a record
 * names an object the trace never declared) or SIM_ENOMEM, with a message
 * naming the file in err. The caller frees *out with rnd_replay_close. */
int rnd_replay_open(SimMem *m, const SimTrSchema *schema, const char *path, RndReplay **out, SimErr *err);
void rnd_replay_close(RndReplay *r);

SimTime rnd_replay_duration(const RndReplay *r);   /* the run's length (meta, or last record) */
/* Shows the state at t (clamped to [-1, duration]): every record at or before
 * t applied, none after; -1 is the state before the first record. */
void rnd_replay_seek(RndReplay *r, SimTime t);
/* Applies the next record if its time is at most limit: 1, else 0. Between
 * two records of one instant the state is one the run passed through, which
 * is what a metrics sample taken during that instant saw. */
int rnd_replay_step(RndReplay *r, SimTime limit);
/* A hash of the whole shown state (nodes, requests, counters): equal states,
 * equal digests. For tests of seeking. */
uint64_t rnd_replay_digest(const RndReplay *r);

/* Figures of the shown state, by name as the trace spells it. */
typedef enum RndStat {
    RND_STAT_NODES,          /* live nodes (provisioning, Ready, NotReady) */
    RND_STAT_READY,          /* Ready nodes */
    RND_STAT_PENDING,        /* unschedulable pods (a region only) */
    RND_STAT_CPU_REQ_M,      /* requested CPU on live nodes, millicores */
    RND_STAT_CPU_ALLOC_M,    /* allocatable CPU of live nodes */
    RND_STAT_MEM_REQ,        /* bytes */
    RND_STAT_MEM_ALLOC,
    RND_STAT_COST_USD        /* billed so far (a region only) */
} RndStat;
/* A region's (group == 0) or a node group's (group != 0) figure, or NaN when
 * no such name or figure. */
double rnd_replay_stat(const RndReplay *r, int group, const char *name, RndStat s);
/* Parses a simulated time since the run's start: "90m", "1h30m", "45s",
 * "5400" (seconds), "1:30" or "01:30:00" (hours:minutes[:seconds]). 0 or -1. */
int rnd_parse_time(const char *s, SimTime *out);
/* The run time `replay --at` means: "+1h30m", "+90m", "+1:30" are offsets
 * from the start (so are "90m", "5400s", "5400" without the +); "14:05" or
 * "14:05:30" is that wall time on the scenario's clock (the first at or after
 * the start) when the trace carries one (scenario.timezone or date), else an
 * offset as before. SIM_OK with *out, or SIM_EINVAL with a message naming
 * the time and the run's span when it cannot be read or lies outside the run
 * (never clamped). */
int rnd_replay_at(const RndReplay *r, const char *text, SimTime *out, SimErr *err);

/* Drawing options: the window's size, a TrueType font (NULL or missing: no
 * text, everything else drawn), and what the status line says. */
typedef struct RndFrameOpts {
    int w, h;
    const char *font;
    double speed;            /* simulated seconds per wall second, for the status line */
    int paused;
} RndFrameOpts;

/* Renders the state at t into a software surface and writes it as PNG to
 * png_path through sim_file_replace (written beside it, then renamed: nothing
 * is left on failure; a device is written in place; every write checked).
 * 0, or a negative SIM_E* with a message on r (rnd_replay_errmsg). */
int rnd_replay_png(RndReplay *r, SimTime t, const RndFrameOpts *o, const char *png_path);
/* Plays nframes frames evenly over the run into a software surface, no
 * window; *fps gets frames per wall second. 0 or a negative SIM_E*, with
 * a message on r. */
int rnd_replay_frames(RndReplay *r, int nframes, const RndFrameOpts *o, double *fps);
/* Opens a window and plays the run until the user quits (space pause,
 * left/right seek, +/- speed, Home/End, q/Escape quit, click on the time line
 * seeks). 0 or a negative SIM_E* (no display) with a message on r. */
int rnd_replay_window(RndReplay *r, const RndFrameOpts *o);
/* Why the last rnd_replay_png, rnd_replay_frames or rnd_replay_window on r failed. */
const char *rnd_replay_errmsg(const RndReplay *r);

/* ---- `kubesim diff RUN_A RUN_B` (diff*.c) --------------------------------- */
/* Compares two run folders (summary.json, metrics.csv, trace.kst each): the
 * summary values that differ (B - A and per cent of A), the metrics series
 * that differ most and when, and, when both ran the same scenario, the
 * configuration that differs and the first decision where the traces part,
 * in words. Writes the answer to out as text, or as JSON (as_json). schema
 * knows every record kind (scn_trace_schema). Every allocation goes through
 * m. SIM_OK, or SIM_EIO (a folder or file missing or unreadable: the message
 * names it), SIM_EINVAL / SIM_ECORRUPT (a file is not what it should be) or
 * SIM_ENOMEM, with the message in err and nothing written to out. */
int rnd_diff(SimMem *m, const SimTrSchema *schema, const char *run_a, const char *run_b, int as_json, FILE *out,
             SimErr *err);

#endif
