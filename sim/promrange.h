/*
 * promrange.h: recorded time series, as Prometheus' range query returns them
 * or as a two-column CSV (prefix sim_prom_).
 *
 * The JSON is what `GET /api/v1/query_range` answers:
 *
 *   {"status": "success", "data": {"resultType": "matrix", "result": [
 *     {"metric": {"__name__": "http_requests", "job": "api"},
 *      "values": [[1773820800, "812.5"], [1773820815, "790"], ...]}, ...]}}
 *
 * (the `data` object alone is accepted too). Each series keeps its labels in
 * the file's order and its samples as (Unix milliseconds, value); values are
 * Prometheus' strings, so "NaN", "+Inf" and "-Inf" parse to those doubles:
 * what a value means (a rate may not be negative, a gauge may) is the
 * caller's to check, naming the sample with sim_prom_where. Times are whole
 * milliseconds (Prometheus' resolution) and strictly increase within a
 * series, or the file is refused.
 *
 * The CSV is `timestamp,value` per line (a header line is skipped when its
 * second field is not a number): the timestamp is Unix seconds (decimals
 * allowed) or RFC 3339 ("2026-03-18T09:30:00Z", "...+01:00"); it gives one
 * series with no labels.
 *
 * Everything a SimPromRange holds is allocated through its SimMem and freed by
 * sim_prom_free. Failures return SIM_EIO (cannot read), SIM_EINVAL (bad
 * content) or SIM_ENOMEM with a whole message in err that starts with the
 * file: "FILE: data.result[0].values[17]: why" or "FILE:LINE: timestamp: why".
 */
#ifndef KUBESIM_SIM_PROMRANGE_H
#define KUBESIM_SIM_PROMRANGE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

typedef struct SimPromLabel {
    char *name, *value;
} SimPromLabel;

typedef struct SimPromSeries {
    SimPromLabel *labels;       /* in the file's order (metric's keys) */
    size_t nlabels;
    int64_t *t_ms;              /* Unix milliseconds, strictly increasing */
    double *v;                  /* the values; NaN and ±Inf as written */
    size_t n;
    size_t cap;                 /* samples allocated (>= n) */
    size_t line0;               /* CSV: the file line of sample 0 (0 for JSON) */
} SimPromSeries;

typedef struct SimPromRange {
    SimMem *m;
    int csv;                    /* read from a CSV (sim_prom_where words lines) */
    char *file;                 /* the file's name as given, for messages */
    SimPromSeries *series;
    size_t nseries;
} SimPromRange;

/* Parses a range-query answer (text, len bytes; file names it in messages)
 * into *out, which the caller frees with sim_prom_free even after a failure.
 * Refused: not JSON, status other than "success" (with Prometheus' error),
 * resultType other than "matrix", a series without values, a sample that is
 * not [time, "value"], times not strictly increasing. */
int sim_prom_parse_json(SimMem *m, const char *text, size_t len, const char *file, SimPromRange *out,
                        SimErr *err);
/* Parses `timestamp,value` lines the same way (one series, no labels). */
int sim_prom_parse_csv(SimMem *m, const char *text, size_t len, const char *file, SimPromRange *out,
                       SimErr *err);
/* Reads path (capped at SIM_FILE_MAX_JSON) and parses it: as CSV when the
 * name ends in ".csv", else as JSON. */
int sim_prom_read(SimMem *m, const char *path, SimPromRange *out, SimErr *err);
void sim_prom_free(SimPromRange *r);

/* The value of label name on series s, or NULL. */
const char *sim_prom_label(const SimPromSeries *s, const char *name);

/* Picks the one series matching selector: `name="value",...` pairs (PromQL
 * equality matchers, optionally in braces and after a metric name, which
 * matches __name__; quotes optional). NULL or "" matches every series. 0 and
 * its index in *index when exactly one matches; SIM_EINVAL with a message
 * listing the series (no match, several, or a malformed selector). */
int sim_prom_select(const SimPromRange *r, const char *selector, size_t *index, SimErr *err);

/* Writes where sample i of series si is into buf: "data.result[0].values[17]
 * (2026-03-18T09:30:00Z)" or, for a CSV, "line 19 (2026-03-18T09:30:00Z)";
 * i == SIZE_MAX names the series alone. Returns buf. */
const char *sim_prom_where(const SimPromRange *r, size_t si, size_t i, char *buf, size_t n);

/* Writes a series' labels as {a="x", b="y"} into buf (at most n bytes).
 * Returns buf. */
const char *sim_prom_labels_text(const SimPromSeries *s, char *buf, size_t n);

/* Formats Unix milliseconds as RFC 3339 UTC ("2026-03-18T09:30:00Z", with
 * ".123" when not whole seconds) into buf (at least 32 bytes). */
void sim_prom_time_text(int64_t t_ms, char *buf, size_t n);
/* Parses a timestamp as the CSV takes it (Unix seconds or RFC 3339) into Unix
 * milliseconds. SIM_OK or SIM_EINVAL. */
int sim_prom_parse_time(const char *text, int64_t *t_ms);

#endif
