/* err.c: error names and the invariant assertion (prints what broke, where). */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>

const char *sim_strerror(int code)
{
    switch (code) {
    case SIM_OK: return "ok";
    case SIM_DONE: return "done";
    case SIM_ENOMEM: return "out of memory";
    case SIM_EINVAL: return "invalid input";
    case SIM_EIO: return "input/output error";
    case SIM_ECORRUPT: return "corrupt data";
    case SIM_ESTATE: return "wrong state";
    case SIM_EFORBIDDEN: return "forbidden";
    default: return "unknown error";
    }
}

void sim_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "kubesim: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
    abort();
}
