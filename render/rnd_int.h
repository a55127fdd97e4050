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

typedef struct RndSeries {
    uint32_t region;         /* string ids (RndMetrics.strs) */
    uint32_t name;
    RndPoint *pts;
    size_t n, cap;
    double vmin, vmax;       /* over finite values; vmin > vmax when none */
    double last;             /* last finite value, NaN when none */
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
    size_t rows;
    double tmin, tmax;       /* over all rows; tmin > tmax when none */
} RndMetrics;

void rnd_metrics_init(RndMetrics *m, SimMem *mem);
void rnd_metrics_free(RndMetrics *m);
/* Adds the rows of one CSV text. Returns 0, SIM_EINVAL with "name:line: why"
 * in err, or SIM_ENOMEM. Rows added before an error stay. */
int rnd_metrics_parse(RndMetrics *m, const char *text, size_t len, const char *name,
                      char *err, size_t errlen);
/* Sorts points by time, computes ranges and attaches SLO targets to their
 * latency charts. Call after the last parse; calling again is harmless. */
void rnd_metrics_finish(RndMetrics *m);
/* Indexes of the charts to draw, in page order, into a new array of *n
 * entries (free with sim_mem_free(mem, p, n * sizeof *p)). Returns 0 or
 * SIM_ENOMEM; *order is NULL when there is nothing to draw. */
int rnd_metrics_order(const RndMetrics *m, uint32_t **order, size_t *n);
const char *rnd_metrics_str(const RndMetrics *m, uint32_t id);

/* ---- drawing -------------------------------------------------------------- */
/* Appends one chart card (title, inline SVG, legend) for chart c, with the
 * time axis from t0 to t1 seconds shared by every chart of the page. */
int rnd_svg_chart(RndBuf *b, const RndMetrics *m, const RndChart *c, double t0, double t1);
/* Reduces n points to at most cap (cap >= 4) by keeping the minimum and the
 * maximum of each bucket in time order; a bucket without finite values keeps
 * one NaN so a gap stays a gap. Returns the number written to out. */
size_t rnd_downsample(const RndPoint *in, size_t n, RndPoint *out, size_t cap);

/* ---- summary.json --------------------------------------------------------- */
struct cJSON;
/* The sections of the page drawn from summary.json: each tolerates missing
 * keys and shows keys it does not know in a generic table. */
void rnd_sum_header(RndBuf *b, const struct cJSON *root);
void rnd_sum_headline(RndBuf *b, const struct cJSON *root);
void rnd_sum_regions(RndBuf *b, const struct cJSON *root);
void rnd_sum_slo(RndBuf *b, const struct cJSON *root);
void rnd_sum_expectations(RndBuf *b, const struct cJSON *root);
void rnd_sum_extra_tables(RndBuf *b, const struct cJSON *root);

#endif
