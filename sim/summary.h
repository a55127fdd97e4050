/*
 * summary.h: summary.json, exactly the keys of DESIGN.md §5, built from
 * sections. The engine writes its own (the run, regions, namespaces, pods,
 * quota, expectations); every other module registers a section at start-up
 * that adds its keys. Sections are emitted in ascending rank, so the key
 * order is fixed whatever order the modules start in. The ranks in use:
 *
 *     0  engine       schema scenario seed sim_seconds wall_seconds events
 *                     trace_sha256 cost_usd regions namespaces pods
 *   100  hpa          workloads/hpa.c
 *   200  autoscaler   scheduler/ca.c
 *   300  quota        engine (admission)
 *   400  jobs         workloads/job.c
 *   500  faults       workloads/faults.c
 *   600  backtests    workloads/backtests.c
 *   700  slo          workloads/traffic_out.c
 *   900  expectations engine (from SimSummaryInfo; the scenario fills it)
 *
 * A new controller takes a free rank where its keys belong. A summary built
 * without a module (a bare engine in a test) lacks that module's keys.
 */
#ifndef KUBESIM_SIM_SUMMARY_H
#define KUBESIM_SIM_SUMMARY_H

#include <cjson/cJSON.h>

#include "sim/model.h"

#define SIM_SUMMARY_SCHEMA "kubesim.summary/v1"

enum {
    SIM_SUMMARY_RANK_ENGINE = 0,
    SIM_SUMMARY_RANK_HPA = 100,
    SIM_SUMMARY_RANK_AUTOSCALER = 200,
    SIM_SUMMARY_RANK_QUOTA = 300,
    SIM_SUMMARY_RANK_JOBS = 400,
    SIM_SUMMARY_RANK_FAULTS = 500,
    SIM_SUMMARY_RANK_BACKTESTS = 600,
    SIM_SUMMARY_RANK_SLO = 700,
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
