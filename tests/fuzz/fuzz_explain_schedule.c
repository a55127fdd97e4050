/*
 * fuzz_explain_schedule.c: `kubesim explain schedule CASE.json` (the scheduler's decision for one pod): the
 * input is the case's JSON text, answered as text and as JSON (both writers
 * run), the answer discarded. The text is NUL-terminated, as the command's
 * file reader leaves it.
 */
#include "fz.h"

#include <stdlib.h>

#include "scheduler/explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SimErr err = SIM_ERR_INIT;
    char *text = fz_text(data, size);
    SimMem m;
    sim_mem_init(&m);
    for (int as_json = 0; as_json < 2; as_json++)
        if (sched_explain_case(&m, text, size, "case.json", as_json, fz_null(), &err) != SIM_OK)
            break;
    free(text);
    return 0;
}
