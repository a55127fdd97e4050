/*
 * modules.c: the one place that knows every module with trace record kinds,
 * so a reader without an engine (`kubesim trace dump`, the replay, the
 * fuzzers, tests) gets the whole schema. Each module registers its own kinds
 * into the engine's table when it starts; this lists the same functions.
 * A new controller with record kinds adds its registration function here.
 */
#include "scenarios/scn.h"

#include "scheduler/ca.h"
#include "workloads/faults.h"
#include "workloads/wl.h"

int scn_trace_schema(SimTrSchema *s)
{
    sim_trschema_init(s);
    int rc = sim_trschema_add_core(s);
    if (rc == SIM_OK)
        rc = wl_trace_kinds(s);            /* apps and Jobs, queues, the HPA, traffic */
    if (rc == SIM_OK)
        rc = wl_fault_trace_kinds(s);
    return rc == SIM_OK ? sched_ca_trace_kinds(s) : rc;
}
