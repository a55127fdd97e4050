/*
 * explain.h: `kubesim explain schedule`: one pod, one cluster, one scheduling
 * cycle, every decision shown (see explain.c for the case format); and
 * `kubesim explain autoscaler`: one cluster-autoscaler loop (ca_explain.c).
 */
#ifndef KUBESIM_SCHED_EXPLAIN_H
#define KUBESIM_SCHED_EXPLAIN_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "scheduler/sched.h"

/* Reads the case from text (file names it in messages), writes the answer to
 * out as JSON (as_json) or as text. Returns SIM_OK, or SIM_EINVAL with
 * "FILE: $.json.path: problem" (or "FILE:LINE:COL: not valid JSON") in err
 * and nothing written to out. */
int sched_explain_case(const char *text, size_t len, const char *file, int as_json, FILE *out, SimErr *err);

/* `kubesim explain autoscaler`: reads a case of node groups, v1 Nodes and
 * v1 Pods, runs the scheduler over the pending pods and writes what one
 * cluster-autoscaler loop decides (sched_ca_plan): the scale-up options, the
 * expander's choice, and each node's scale-down verdict. Same contract as
 * sched_explain_case: SIM_OK, or SIM_EINVAL with "FILE: $.path: problem" in
 * err and nothing written to out. */
int sched_ca_explain_case(const char *text, size_t len, const char *file, int as_json, FILE *out, SimErr *err);

/* Prints an explain answer (explain schedule, hpa, autoscaler): indented
 * JSON (--json), else through text. */
void sched_explain_print(const cJSON *answer, int as_json, FILE *out, void (*text)(const cJSON *, FILE *));

#endif
