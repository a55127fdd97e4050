/*
 * fuzz_explain_schedule.c: `kubesim explain schedule CASE.json` (the scheduler's decision for one pod): the
 * input is the case's JSON text, answered as text and as JSON (both writers
 * run), the answer discarded. The text is NUL-terminated, as the command's
 * file reader leaves it.
 */
#include "fz.h"

#include "scheduler/explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_explain(sched_explain_case, data, size);
    return 0;
}
