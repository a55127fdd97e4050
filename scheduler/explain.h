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
 * out as JSON (as_json) or as text. Every allocation, cJSON's included, goes
 * through m. Returns SIM_OK, or SIM_EINVAL with "FILE: $.json.path: problem"
 * (or "FILE:LINE:COL: not valid JSON") in err, or SIM_ENOMEM with "FILE: out
 * of memory", and nothing written to out on an error. */
int sched_explain_case(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                       SimErr *err);

/* `kubesim explain autoscaler`: reads a case of node groups, v1 Nodes and
 * v1 Pods, runs the scheduler over the pending pods and writes what one
 * cluster-autoscaler loop decides (sched_ca_plan): the scale-up options, the
 * expander's choice, and each node's scale-down verdict. Same contract as
 * sched_explain_case: SIM_OK, or SIM_EINVAL with "FILE: $.path: problem" (or
 * SIM_ENOMEM) in err and nothing written to out. */
int sched_ca_explain_case(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                          SimErr *err);

/* `kubesim explain schedule --from`: the case of pod in e as e stands now
 * (explain_from.c): the Ready nodes of the pod's region, the pods bound to
 * them (pod itself left out, so a pod bound this instant is shown as the
 * pod to place), and the pod; read back by sched_explain_case, it gives the
 * decision the engine's scheduler takes. Built in the caller's sim_json
 * scope; the caller owns it (cJSON_Delete). NULL only when the object
 * itself could not be allocated (the scope says whether anything failed). */
cJSON *sched_explain_case_from(SimEngine *e, uint32_t pod);
/* The case `explain autoscaler` reads for region as ca sees it now (from a
 * loop's watcher, sched_ca_watch): its node groups (template, min, max,
 * current = live nodes, price, priority), its Ready nodes, the pods bound
 * there and the Pending pods the scheduler marked unschedulable (each with
 * its controller as an ownerReference), the expander chain and the flags.
 * Owned by the caller; NULL on out of memory (cJSON's allocator). */
struct SchedCa;
cJSON *sched_ca_explain_case_from(struct SchedCa *ca, uint32_t region);

/* Prints an explain answer (explain schedule, hpa, autoscaler) built in a
 * sim_json scope on m: indented JSON (--json), else through text. Prints
 * nothing when rc is an error (returned as is) or when an allocation failed
 * on m (the answer may be partial): returns SIM_ENOMEM then. */
int sched_explain_print(SimMem *m, int rc, const cJSON *answer, int as_json, FILE *out,
                        void (*text)(const cJSON *, FILE *));
/* The explain commands' last word: rc, except that an error after any failed
 * allocation on m (its sticky oom flag), or SIM_ENOMEM, is SIM_ENOMEM with
 * "FILE: out of memory" in err. */
int sched_explain_oom(const SimMem *m, int rc, const char *file, SimErr *err);

#endif
