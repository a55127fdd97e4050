/*
 * rnd_int.h: layouts shared by the files of render/ (no other module includes
 * this). A page is appended to one RndBuf; metrics.csv becomes a set of charts,
 * one per (object, metric), each holding series, one per (region, name).
 *
 * Invariant: strings from the inputs reach the page only through
 * rnd_buf_esc(), so a name like "<script>" is shown, never run.
 */
#ifndef KUBESIM_RENDER_RND_INT_H
#define KUBESIM_RENDER_RND_INT_H

#include <stddef.h>
#include <stdint.h>

#include "render/rnd.h"

/* ---- text buffer --------------------------------------------------------- */
/* Growable text with a sticky out-of-memory flag, SQLite style: once an
 * allocation failed every later append does nothing, so writers need not check
 * each call; the page builder checks oom once at the end. p is NUL-terminated
 * whenever it is not NULL. */
typedef struct RndBuf {
    SimMem *mem;
    char *p;
    size_t len;
    size_t cap;
    int oom;
} RndBuf;

void rnd_buf_init(RndBuf *b, SimMem *mem);
void rnd_buf_free(RndBuf *b);
void rnd_buf_reset(RndBuf *b);                  /* len = 0, keeps the memory */
void rnd_buf_add(RndBuf *b, const char *s, size_t n);
void rnd_buf_str(RndBuf *b, const char *s);
void rnd_buf_fmt(RndBuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void rnd_buf_esc(RndBuf *b, const char *s);     /* HTML/XML-escaped text */

/* The pages' shared stylesheet (report.c): system fonts, nothing external. */
extern const char rnd_page_css[];

/* ---- numbers as people read them ---------------------------------------- */
void rnd_buf_num(RndBuf *b, double v);          /* 12,345 / 3.14 / 0.0123 */
void rnd_buf_usd(RndBuf *b, double v);          /* $1,234.56 */
void rnd_buf_duration(RndBuf *b, double s);     /* 45 s / 12 min 30 s / 6 h 30 min */
/* A value formatted by what its key says it is: *_usd money, *_seconds a
 * duration, *_ms milliseconds, anything else a plain number. */
void rnd_buf_keyed(RndBuf *b, const char *key, double v);
/* A key as a label: known keys get their proper names ("nodes_peak" ->
 * "Peak nodes", "hpa" -> "HPA"), others "queue_length" -> "Queue length"
 * (capital) or "queue length". */
void rnd_buf_label(RndBuf *b, const char *key, int capital);
/* The proper name of a known key, or NULL. */
const char *rnd_known_label(const char *key);

/* ---- metrics.csv -------------------------------------------------------- */
typedef struct RndPoint {
    double t;        /* seconds since the scenario's start */
    double v;        /* NaN: no value here (drawn as a gap) */
} RndPoint;

/* A series is its samples (level 0), or once a recorded series (one
 * rnd_metrics_add_row keeps) outgrows RND_SERIES_RAW samples, buckets of
 * 2^level consecutive samples: pts holds each bucket as two points, its
 * minimum and maximum in time order (the same point twice when they are one
 * sample; one gap twice when the bucket has no finite value), and pend the
 * samples of the bucket being filled. Buckets merge in pairs when there are
 * RND_SERIES_RAW / 2, so a series holds at most RND_SERIES_RAW points
 * whatever the run's length, and draws (rnd_series_draw_points) the minimum
 * and maximum of each drawn bucket as a level-0 series draws them. The
 * statistics below cover every sample either way. */
#define RND_SERIES_RAW (2 * RND_MAX_POINTS)

typedef struct RndSeries {
    uint32_t region;         /* string ids (RndMetrics.strs) */
    uint32_t name;
    RndPoint *pts;
    size_t n, cap;
    unsigned level;          /* 0: pts are the samples; else buckets of 2^level samples */
    int bounded;             /* may be bucketed (recorded rows, not a cost or rps series) */
    RndPoint pend[2];        /* the bucket being filled (level > 0) */
    size_t npend;            /* its samples */
    double vmin, vmax;       /* over finite values; vmin > vmax when none */
    double last;             /* last finite value, NaN when none */
    double minpos;           /* smallest positive finite value, NaN when none */
    int integral;            /* every finite value is a whole number */
} RndSeries;

typedef struct RndChart {
    uint32_t object;         /* string ids */
    uint32_t metric;
    uint32_t *series;        /* indexes into RndMetrics.series */
    size_t n, cap;
    int32_t threshold;       /* chart drawn dashed on this one (SLO target), -1 none */
    int absorbed;            /* drawn on another chart, not on its own */
} RndChart;

/* Open addressing map from a key of three ids to a value; slots hold value+1
 * so zero means empty. Only ever looked up, never iterated, so its layout
 * cannot leak into the page. */
typedef struct RndMapSlot {
    uint32_t k[3];
    uint32_t v1;
} RndMapSlot;

typedef struct RndMap {
    RndMapSlot *slots;
    size_t cap;              /* a power of two, or 0 */
    size_t used;
} RndMap;

/* The k-th row of the last sample time: its strings' ids (object, metric,
 * region, name) and series. The recorder writes the same rows in the same
 * order at every sample, so a row is usually its position's again. */
typedef struct RndRowMemo {
    uint32_t ids[4];
    uint32_t series;
} RndRowMemo;

typedef struct RndMetrics {
    SimMem *mem;
    char **strs;             /* interned strings; id = index */
    size_t nstrs, capstrs;
    uint32_t *strslots;      /* string hash table: id+1, 0 empty */
    size_t capslots;
    RndChart *charts;
    size_t ncharts, capcharts;
    RndSeries *series;
    size_t nseries, capseries;
    RndMap chartmap;         /* (object, metric, 0) -> chart */
    RndMap seriesmap;        /* (chart, region, name) -> series */
    RndBuf line;             /* scratch: the unquoted fields of one line */
    RndRowMemo *memo;        /* rnd_metrics_add_row: the series of the k-th row of a sample */
    size_t nmemo, capmemo, memo_pos;
    double memo_t;           /* the sample time memo_pos counts the rows of */
    size_t rows;
    double tmin, tmax;       /* over all rows; tmin > tmax when none */
} RndMetrics;

void rnd_metrics_init(RndMetrics *m, SimMem *mem);
void rnd_metrics_free(RndMetrics *m);
/* Adds the rows of one CSV text. Returns 0, SIM_EINVAL with "name:line: why"
 * in err, or SIM_ENOMEM. Rows added before an error stay. */
int rnd_metrics_parse(RndMetrics *m, const char *text, size_t len, const char *name, SimErr *err);
/* Adds one row as the recorder gives it (sim/metrics.h's SimMetricsSink):
 * the time and value are rounded as metrics.csv prints them, so the page
 * drawn from memory is the page drawn from the file. SIM_OK or SIM_ENOMEM. */
int rnd_metrics_add_row(RndMetrics *m, SimTime t, const char *region, const char *object, const char *name,
                        const char *metric, double value);
/* Sorts points by time, computes ranges and attaches SLO targets to their
 * latency charts. Call after the last parse; calling again is harmless. */
void rnd_metrics_finish(RndMetrics *m);
/* Adds, after finish, a "cost_per_hour_usd" chart for each cumulative
 * cost_usd chart of regions, node groups and namespaces: each sample's cost
 * since the one before, per hour. Does nothing when that chart exists.
 * Returns 0 or SIM_ENOMEM. */
int rnd_metrics_cost_rates(RndMetrics *m);
/* Indexes of the charts to draw, in page order, into a new array of *n
 * entries (free with sim_mem_free(mem, p, n * sizeof *p)). Returns 0 or
 * SIM_ENOMEM; *order is NULL when there is nothing to draw. */
int rnd_metrics_order(const RndMetrics *m, uint32_t **order, size_t *n);
const char *rnd_metrics_str(const RndMetrics *m, uint32_t id);

/* ---- the scenario's clock (clock.c) ---------------------------------------- */
struct cJSON;
#define RND_CLOCK_MAX_OFFSETS 64
typedef struct RndClockOffset {
    double t;                /* run seconds from which it holds */
    int32_t off;             /* seconds east of UTC */
    char abbrev[16];         /* "EDT" */
} RndClockOffset;
/* The clock a run's summary.json or trace header carries; set 0 when it
 * carries none (a scenario without timezone or date): show run times then. */
typedef struct RndClock {
    int set;
    char tz[64];             /* "America/New_York" */
    int64_t start_unix;      /* run time 0 */
    size_t n;
    RndClockOffset offs[RND_CLOCK_MAX_OFFSETS];
} RndClock;
/* Reads "timezone" and "clock" from root (summary.json or a trace's meta). */
void rnd_clock_read(RndClock *c, const struct cJSON *root);
/* Wall time at run time t as Unix-like local seconds (offset added). */
int64_t rnd_clock_local(const RndClock *c, double t);
const char *rnd_clock_abbrev(const RndClock *c, double t);
/* "14:05" (secs: "14:05:30"), the date "2026-03-18", and the label
 * "14:05 EDT (America/New_York)" of run time t. */
void rnd_clock_fmt(const RndClock *c, double t, int secs, char *buf, size_t n);
void rnd_clock_date(const RndClock *c, double t, char *buf, size_t n);
void rnd_clock_label(const RndClock *c, double t, char *buf, size_t n);
/* The first run time t >= 0 whose wall time is clock (seconds after
 * midnight): 1 with *out, 0 when there is none within the clock's offsets'
 * reach (the caller checks the run's end). */
int rnd_clock_at(const RndClock *c, SimTime clock, SimTime *out);
/* "+01:30:00 (2026-03-18 14:05 EDT)": how a message names run time t. */
void rnd_name_time(const RndClock *c, SimTime t, char *buf, size_t n);
/* rnd_replay_at's reading of text for a run of that duration on clock clk
 * (replay_state.c): SIM_OK with *out, or SIM_EINVAL with the run's span. */
int rnd_time_at(const RndClock *clk, SimTime duration, const char *text, SimTime *out, SimErr *err);

/* ---- drawing -------------------------------------------------------------- */
/* Appends one chart card (title, inline SVG, legend) for chart c, with the
 * time axis from t0 to t1 seconds shared by every chart of the page, labelled
 * in wall time on clk when it is set (else hours:minutes since the start). */
/* Spans of the run to shade on every time chart: traffic surges and faults
 * (summary.json's faults.list). Each band has its label (its title, and one
 * legend entry per distinct label) and whether it is a fault (another colour). */
#define RND_MAX_BANDS 32
#define RND_BAND_LABEL 96
typedef struct RndBands {
    double t[RND_MAX_BANDS][2];   /* [start, end) in seconds */
    char label[RND_MAX_BANDS][RND_BAND_LABEL];
    uint8_t fault[RND_MAX_BANDS];
    size_t n;
} RndBands;

int rnd_svg_chart(RndBuf *b, const RndMetrics *m, const RndChart *c, double t0, double t1,
                  const RndClock *clk, const RndBands *bands);
/* Reduces n points to at most cap (cap >= 4) by keeping the minimum and the
 * maximum of each bucket in time order; a bucket without finite values keeps
 * one NaN so a gap stays a gap. Returns the number written to out. */
size_t rnd_downsample(const RndPoint *in, size_t n, RndPoint *out, size_t cap);
/* The points a chart draws of series s, at most cap (even) into out: a
 * level-0 series downsampled (rnd_downsample), a bucketed one's buckets
 * merged to at most cap / 2, each as its minimum and maximum in time order. */
size_t rnd_series_draw_points(const RndSeries *s, RndPoint *out, size_t cap);

/* ---- summary.json --------------------------------------------------------- */
struct cJSON;
/* The sections of the page drawn from summary.json: each tolerates missing
 * keys and shows keys it does not know in a generic table. */
void rnd_sum_header(RndBuf *b, const struct cJSON *root);
void rnd_sum_headline(RndBuf *b, const struct cJSON *root);
void rnd_sum_regions(RndBuf *b, const struct cJSON *root);
void rnd_sum_slo(RndBuf *b, const struct cJSON *root);
/* why.c: the report's "Why pods waited" data from a trace: {pending_by_reason:
 * [{reason, pod_seconds, waits}], top_workloads: [{workload, namespace, region,
 * pod_seconds, pods, longest_seconds}], slo_windows: [{service, region,
 * from_seconds, to_seconds, headline}]}, a new object in *out (caller deletes). */
int rnd_why_report(SimMem *m, const SimTrSchema *schema, const char *trace_path, struct cJSON **out, SimErr *err);
void rnd_sum_expectations(RndBuf *b, const struct cJSON *root);
/* summary.json's "observed" (run --compare-to) as "Simulated against observed". */
void rnd_sum_observed(RndBuf *b, const struct cJSON *root);
/* The tables of the top-level keys in keys (others = 0) or of every key not
 * in keys (others = 1); keys is NULL-terminated. */
void rnd_sum_extra_tables(RndBuf *b, const struct cJSON *root, const char *const *keys, int others);

/* ---- the replay (replay*.c) ----------------------------------------------- */
/* Loading turns the trace into static tables (regions, groups, nodes, pods,
 * services, HPAs, queues: what never changes once named) and a time-ordered
 * array of ops, each a delta that needs no other state to apply: the loader
 * already resolved which record frees a pod's requests (its first pod_end or
 * pod_delete after its bind) and which ones start and stop it being pending.
 * Invariant: the state after ops[0..k) is a pure function of k, so a keyframe
 * copied and played forward equals the same state played from the start. */
enum { RND_NODE_ABSENT, RND_NODE_PROV, RND_NODE_READY, RND_NODE_NOTREADY, RND_NODE_GONE };

typedef enum RndOpKind {
    RND_OP_NODE_ADD, RND_OP_NODE_READY, RND_OP_NODE_REMOVE, RND_OP_NODE_STATE, RND_OP_NODE_CORDON,
    RND_OP_POD_BIND, RND_OP_POD_FREE, RND_OP_PENDING, RND_OP_HPA, RND_OP_TRAFFIC, RND_OP_QUEUE
} RndOpKind;

typedef struct RndOp {
    SimTime t;
    uint32_t kind;
    uint32_t a;              /* node, pod, region, HPA or service */
    int64_t b;               /* flag, node, delta, replicas or p95 in us */
} RndOp;

typedef struct RndRNode {    /* a node's state at one time */
    int64_t cpu_m, mem, gpu; /* requested by the pods bound to it */
    uint8_t state;           /* RND_NODE_* */
    uint8_t cordon;
} RndRNode;

typedef struct RndRRegion {  /* a region's counters at one time */
    int64_t pending;         /* pods the scheduler found no node for */
    int64_t backlog;         /* backtest requests queued, not taken */
    double cost_usd;         /* billed up to cost_t */
    double rate;             /* USD per simulated ns at cost_t */
    SimTime cost_t;
} RndRRegion;

typedef struct RndState {
    size_t op;               /* ops[0..op) applied */
    RndRNode *nodes;
    RndRRegion *regions;
    int64_t *hpa;            /* desired replicas per HPA */
    int64_t *p95;            /* last p95 latency per service, us */
} RndState;

typedef struct RndRGroup {
    char *name;
    uint32_t region;
    int64_t cpu_m, mem, gpu; /* allocatable of each node */
    double usd_per_ns;
    uint32_t *nodes;         /* every node ever added, in id order */
    size_t nnodes, capnodes;
} RndRGroup;

typedef struct RndRPod {
    int64_t cpu_m, mem, gpu;
    uint32_t region;
    uint32_t node;           /* bound node, UINT32_MAX before */
    uint8_t phase;           /* loader only: 0 pending, 1 unschedulable, 2 bound, 3 over */
} RndRPod;

typedef struct RndNamed {    /* a service or HPA: a name and its region */
    char *name;
    uint32_t region;
    int64_t init;            /* an HPA's replicas before its first record (that record's current) */
    int seeded;              /* loader only: init was set */
} RndNamed;

#define RND_SERIES_N 512     /* samples per over-time series */
enum { RND_SER_PENDING, RND_SER_NODES, RND_SER_P95, RND_SER_BACKLOG, RND_SER_COUNT };

struct RndReplay {
    SimMem *mem;
    SimErr err;              /* why the last png/frames/window call failed (rnd_replay_errmsg) */
    char *path;
    char *meta;              /* the header's JSON text */
    char *scenario;
    SimTime duration;
    RndClock clock;          /* the scenario's wall clock, from the header (set 0: none) */
    char **regions;
    size_t nregions, capregions;
    RndRGroup *groups;
    size_t ngroups, capgroups;
    uint32_t *node_group;    /* per node id */
    size_t capng;
    char **node_names;
    size_t nnodes, capnodes;
    RndRPod *pods;
    size_t npods, cappods;
    RndNamed *svcs, *hpas;
    size_t nsvcs, capsvcs, nhpas, caphpas;
    uint32_t *wl_region;     /* per workload id (HPAs name their target) */
    size_t nwls, capwls;
    uint32_t *queue_region;
    size_t nqueues, capqueues;
    RndOp *ops;
    size_t nops, capops;
    RndState *keys;          /* keys[i] holds the state after ops[0..i*every) */
    size_t nkeys;
    size_t every;
    RndState cur;            /* the state shown */
    SimTime now;
    double *series;          /* [RND_SER_COUNT][nregions][RND_SERIES_N] */
    double ser_max[RND_SER_COUNT];
    double *svc_series;      /* [nsvcs][RND_SERIES_N]: each service's p95 in ms */
    double svc_max;
};

/* replay_state.c */
int rnd_state_alloc(RndReplay *r, RndState *s);
void rnd_state_free(RndReplay *r, RndState *s);
void rnd_state_copy(RndReplay *r, RndState *dst, const RndState *src);
void rnd_state_apply(RndReplay *r, RndState *s, const RndOp *op);
/* Keyframes and over-time series, after the ops are loaded. 0 or SIM_ENOMEM. */
int rnd_replay_index(RndReplay *r);
/* The state before any record: every HPA at the replicas its first record
 * says it had (so a frame shows them from the start, not 0). */
void rnd_state_seed(const RndReplay *r, RndState *s);
/* A chart's time label for run time t: the scenario's wall time "14:05"
 * when the trace carries a clock, else the offset "+1:30" (hours:minutes). */
void rnd_replay_time_label(const RndReplay *r, SimTime t, char *buf, size_t n);
/* A region's value of series k at time t (cost extrapolated etc.). */
double rnd_state_region(const RndReplay *r, const RndState *s, uint32_t region, int k, SimTime t);

/* replay_draw.c: one frame of the replay. A painter holds the renderer, the
 * font (NULL: frames without text) and scratch rectangles, one list per cell
 * colour so a frame fills all cells of a colour with one call. */
struct SDL_Renderer;
struct _TTF_Font;
#define RND_CELL_COLOURS 14
typedef struct RndPaint {
    SimMem *mem;
    struct SDL_Renderer *ren;
    struct _TTF_Font *font;
    int w, h;
    struct SDL_Rect *cells[RND_CELL_COLOURS];
    size_t ncells[RND_CELL_COLOURS];
    size_t cap;
} RndPaint;

/* Opens the font (when given and present; TTF_Init is the caller's) and the
 * scratch space. 0 or SIM_ENOMEM. */
int rnd_paint_init(RndPaint *p, RndReplay *r, struct SDL_Renderer *ren, const RndFrameOpts *o);
void rnd_paint_free(RndPaint *p);
/* Draws the state r shows now over the whole w x h target. */
void rnd_paint_frame(RndPaint *p, RndReplay *r, const RndFrameOpts *o);
/* The side of a node cell in a region panel pw x ph: the largest with which
 * every group's rows fit, from 2 px up to the panel's size. */
int rnd_paint_cell_size(const RndReplay *r, uint32_t region, int pw, int ph);
#define RND_LEGEND_H 16      /* the charts' legend strip, just above them */
#define RND_LEGEND_SWATCH 9  /* a legend swatch's side, px */
/* The simulated time under window point (x, y) when it is on the time line:
 * 1 and *t, else 0. */
int rnd_paint_time_at(const RndPaint *p, const RndReplay *r, int x, int y, SimTime *t);

#endif
