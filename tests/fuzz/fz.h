/*
 * fz.h: what the libFuzzer harnesses share (prefix fz_). Each harness is one
 * LLVMFuzzerTestOneInput that hands the input to a loader through the entry
 * point the kubesim command uses. Loaders that take only a path get the input
 * through a file in a per-process temporary folder, rewritten for every input
 * and removed at exit.
 */
#ifndef KUBESIM_TESTS_FZ_H
#define KUBESIM_TESTS_FZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes the input to TMP/name (TMP made once per process) and returns the
 * path, owned by fz.c; aborts if it cannot (a harness fault, not a finding). */
const char *fz_file(const char *name, const uint8_t *data, size_t size);

/* A stream that discards what is written (the answers of explain). */
FILE *fz_null(void);

/* Reads the trace at path as trace dump, then as the replay (its index,
 * seeks to the middle, the end and the start); fz_trace.c, linked into the
 * trace targets only. */
void fz_read_trace(const char *path);

/* The input as a NUL-terminated string (malloc'ed; the caller frees). */
char *fz_text(const uint8_t *data, size_t size);

/* The entry point of one explain command (sched_explain_case,
 * wl_hpa_explain_case, sched_ca_explain_case). */
typedef int (*FzExplainFn)(SimMem *m, const char *text, size_t len, const char *file, int as_json, FILE *out,
                           SimErr *err);
/* Runs one explain case from the input, answered as text and then as JSON
 * (both writers run), the answers discarded. */
void fz_explain(FzExplainFn fn, const uint8_t *data, size_t size);

#endif
