/*
 * summary.h: summary.json, built from sections. The engine writes its own:
 * rank 0 (schema scenario seed sim_seconds wall_seconds events trace_sha256
 * cost_usd regions namespaces pods), rank 300 (quota) and rank 900
 * (expectations, from SimSummaryInfo); every other module registers a
 * section at start-up that adds its keys. Sections are emitted in ascending
 * rank, so the key order is fixed whatever order the modules start in. The
 * whole table of ranks (DESIGN.md §5's key order) is in scenarios/modules.c;
 * a new controller takes a free rank where its keys belong. A summary built
 * without a module (a bare engine in a test) lacks that module's keys.
 */
#ifndef KUBESIM_SIM_SUMMARY_H
#define KUBESIM_SIM_SUMMARY_H

#include <cjson/cJSON.h>

#include "sim/model.h"

#define SIM_SUMMARY_SCHEMA "kubesim.summary/v1"

enum {
    SIM_SUMMARY_RANK_ENGINE = 0,
    SIM_SUMMARY_RANK_QUOTA = 300,
    SIM_SUMMARY_RANK_EXPECTATIONS = 900
};
#define SIM_SUMMARY_MAX_SECTIONS 16

typedef struct SimSummaryInfo {
    const char *scenario;
    double wall_seconds;
    const char *trace_sha256;
    cJSON *expectations;     /* array, or NULL for []; ownership passes to the summary */
} SimSummaryInfo;

/* A section adds its keys to the summary object. SIM_OK, or SIM_ENOMEM when
 * a cJSON call returned NULL (what it added so far is freed with the whole). */
typedef int (*SimSummaryFn)(void *ctx, SimEngine *e, cJSON *summary);

/* Registers a section at rank (above 0, below SIM_SUMMARY_RANK_EXPECTATIONS
 * and not one of the engine's). ctx must outlive the summary's building.
 * SIM_OK, or SIM_EINVAL with a message when the rank is taken or not
 * allowed, SIM_ESTATE when all SIM_SUMMARY_MAX_SECTIONS are. */
int sim_summary_section(SimEngine *e, int rank, SimSummaryFn fn, void *ctx);

/* Builds the summary of the engine's run so far: the engine's sections and
 * the registered ones in rank order. NULL on out of memory (the info's array
 * is freed either way). The caller owns the result. */
cJSON *sim_summary_build(SimEngine *e, SimSummaryInfo *info);

/* Helpers for sections; each returns SIM_OK or SIM_ENOMEM. */
typedef struct SimSummaryNum {
    const char *key;
    double value;
} SimSummaryNum;
int sim_summary_add_number(cJSON *o, const char *key, double v);
/* o[key] = {nums[0].key: nums[0].value, ...} */
int sim_summary_add_counts(cJSON *o, const char *key, const SimSummaryNum *nums, size_t n);
/* o[key] = item; item NULL (a failed build) is SIM_ENOMEM; on failure item
 * is freed. */
int sim_summary_add_item(cJSON *o, const char *key, cJSON *item);

#endif
