/*
 * modules.c: the one place that knows every module's registrations, so a
 * reader without an engine (`kubesim trace dump`, the replay, the fuzzers,
 * tests) gets the whole trace schema, and the numbers and ranks in use are
 * listed together. Each module registers its own kinds and sections with
 * the engine when it starts; a new controller adds a line here.
 *
 * Trace record numbers (the file format: never renumbered, never reused):
 *    1-14, 16-20, 27, 37-39, 44, 45  sim/trace.h  the engine's objects, pods, nodes, end;
 *                                               45 pod_sched_fail (the scheduler's later reasons)
 *   15, 28-34                workloads/wl.h     scale, Jobs, CronJobs, ReplicaSets, Deployments,
 *                                               StatefulSet volumes, workload deletes
 *   21-26                    workloads/queue.h  backtest queues
 *   35, 48                   workloads/hpa.h    hpa, hpa_sync
 *   36, 49                   workloads/traffic.h traffic, serve (service -> workload)
 *   40-42, 46-47             scheduler/ca.h     the cluster autoscaler (46 ca_decision,
 *                                               47 ca_no_scale_up)
 *   43                       workloads/faults.h faults and the node lifecycle controller
 *   next free: 50 (45-59 are issue 18's: why18)
 *
 * summary.json sections by rank (DESIGN.md §5's key order; tests/test_registry.c):
 *     0  engine       schema scenario seed sim_seconds wall_seconds events trace_sha256
 *                     cost_usd regions namespaces pods
 *   100  hpa          workloads/hpa.c
 *   200  autoscaler   scheduler/ca.c (nodes_added is the engine's counter)
 *   300  quota        engine (admission)
 *   400  jobs         workloads/job.c
 *   500  faults       workloads/faults.c
 *   600  backtests    workloads/backtests.c
 *   700  slo          workloads/traffic_out.c
 *   900  expectations engine (the scenario's expect() results)
 *
 * Event kinds are numbered by the engine as modules ask (sim_event_kind):
 * "sched_cycle", "workload", "hpa", "traffic", "queue", "autoscaler",
 * "fault", "hook"; the numbers are internal and order nothing.
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
