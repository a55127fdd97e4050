/* tl.c: see tl.h. */
#include "tl.h"

#include "scenarios/scn.h"
#include "ts.h"

/* A refused load is checked for leaks only (ts_oom_sweep, not exact): the
 * sweep ends at the first load that succeeds with no allocation failed. */
static int load(void *ctx, SimMem *m)
{
    ScnOptions o = {.path = ctx};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(m, &o, &err);
    scn_free(s);
    return s == NULL;
}

uint64_t tl_load_oom_sweep(const char *path)
{
    return ts_oom_sweep(load, (void *)path, 0, 100000);
}
