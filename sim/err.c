/* err.c: error names, the SimErr message holder (the convention is in sim.h)
 * and the invariant assertion (prints what broke, where). */
#include "sim/sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

_Noreturn void sim_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "kubesim: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
    abort();
}

int sim_err_set(SimErr *er, int code, const char *fmt, ...)
{
    if (er == NULL)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(er->msg, sizeof er->msg, fmt, ap);
    va_end(ap);
    er->code = code;
    return code;
}

int sim_err_copy(SimErr *er, const SimErr *src)
{
    int code = sim_err_code(src);
    if (er != NULL && er != src) {
        er->code = code;
        snprintf(er->msg, sizeof er->msg, "%s", sim_err_msg(src));
    }
    return code;
}

const char *sim_err_msg(const SimErr *er) { return er != NULL ? er->msg : ""; }
int sim_err_code(const SimErr *er) { return er != NULL ? er->code : SIM_OK; }
