/*
 * fuzz_import.c: `kubesim import FILE.yaml`: the input is one manifest file
 * (multi-document YAML) of region "imported", turned into a Lua scenario in
 * memory by kx_import, as the command does after reading the file.
 */
#include "fz.h"

#include <stdlib.h>

#include "k8s-export/kx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SimErr err = SIM_ERR_INIT;
    char *text = fz_text(data, size), *out = NULL;
    size_t len = 0;
    SimMem m;
    sim_mem_init(&m);
    KxImportFile f = {.path = "manifest.yaml", .text = text, .len = size, .region = "imported"};
    KxImportOptions o = {.name = NULL, .start = NULL, .duration = NULL};
    if (kx_import(&m, &f, 1, &o, &out, &len, &err) == SIM_OK)
        sim_mem_free(&m, out, len + 1);
    free(text);
    return 0;
}
