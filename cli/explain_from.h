/*
 * explain_from.h: what `explain schedule|hpa|autoscaler --from RUN_DIR`
 * share (explain_from.c): the run's scenario and seed from its trace, --at
 * as a time of the run, the scenario loaded as the run loaded it, and the
 * rerun's world opened up to that time. The CLI's own header: no library
 * includes it.
 */
#ifndef KUBESIM_CLI_EXPLAIN_FROM_H
#define KUBESIM_CLI_EXPLAIN_FROM_H

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "sim/json.h"

#define CLI_FROM_MAX_SETS 256   /* as many as explain takes on its command line */

/* The run to rebuild. sc is owned (cli_from_close frees it). */
typedef struct CliFromRun {
    SimTime at;                  /* --at, nanoseconds from the start */
    uint64_t seed;
    ScnScenario *sc;
    char name[256];              /* the scenario's name as the trace has it */
    char path[600];              /* scenarios/NAME.lua when found by name */
    char *sets[CLI_FROM_MAX_SETS]; /* the run's --set values, from the trace's meta (into setbuf) */
    size_t nsets;
    int has_sets;                /* the meta lists them (a run without --set lists none) */
    char setbuf[8192];
} CliFromRun;

/* Reads the run's trace header and --at, and loads its scenario. SIM_OK, or
 * SIM_EIO/SIM_EINVAL with the message in err. */
int cli_from_open(SimMem *m, const CliExplainFrom *f, CliFromRun *r, SimErr *err);
void cli_from_close(CliFromRun *r);
/* Opens the rerun's world, up to r->at (every event at r->at included). */
int cli_from_world(const CliFromRun *r, ScnWorld **w);
/* The whole explain answer of text as JSON (an explain_case function with
 * as_json 1, into memory); NULL with err set, or SIM_ENOMEM. */
typedef int (*CliExplainFn)(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                            SimErr *err);
int cli_from_answer(SimMem *m, CliExplainFn fn, const char *text, size_t len, const char *file, cJSON **ans,
                    SimErr *err);
/* Keeps a case: prints j (built since js began through m), deletes it, ends
 * js, and stores the text in *text (allocated through m, replacing what
 * *text held; *len its length). SIM_OK, or SIM_ENOMEM with *text as it was
 * (a failed print) or NULL (a failed copy). */
int cli_from_keep(SimMem *m, SimJsonScope *js, cJSON *j, char **text, size_t *len);
/* Prints a cJSON tree (--json) and a newline. */
void cli_from_print_json(const cJSON *j);

#endif
