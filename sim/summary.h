/*
 * summary.h: summary.json, exactly the keys of DESIGN.md §5 (keys that later
 * capabilities fill are present with zero values until then).
 */
#ifndef KUBESIM_SIM_SUMMARY_H
#define KUBESIM_SIM_SUMMARY_H

#include <cjson/cJSON.h>

#include "sim/model.h"

#define SIM_SUMMARY_SCHEMA "kubesim.summary/v1"

typedef struct SimSummaryInfo {
    const char *scenario;
    double wall_seconds;
    const char *trace_sha256;
    cJSON *expectations;     /* array, or NULL for []; ownership passes to the summary */
    cJSON *slo;              /* array, or NULL for []; ownership passes to the summary */
    cJSON *backtest_results; /* array, or NULL for []; ownership passes to the summary */
} SimSummaryInfo;

/* Builds the summary of the engine's run so far. NULL on out of memory (the
 * info's arrays are freed either way). The caller owns the result. */
cJSON *sim_summary_build(SimEngine *e, SimSummaryInfo *info);

#endif
