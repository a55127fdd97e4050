/*
 * fuzz_explain_hpa.c: `kubesim explain hpa CASE.json` (one HorizontalPodAutoscaler sync): the
 * input is the case's JSON text, answered as text and as JSON (both writers
 * run), the answer discarded. The text is NUL-terminated, as the command's
 * file reader leaves it.
 */
#include "fz.h"

#include "workloads/hpa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_explain(wl_hpa_explain_case, data, size);
    return 0;
}
