/*
 * fuzz_explain_autoscaler.c: `kubesim explain autoscaler CASE.json` (one cluster-autoscaler loop): the
 * input is the case's JSON text, answered as text and as JSON (both writers
 * run), the answer discarded. The text is NUL-terminated, as the command's
 * file reader leaves it.
 */
#include "fz.h"

#include "scheduler/explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_explain(sched_ca_explain_case, data, size);
    return 0;
}
