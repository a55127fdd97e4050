/*
 * compare.h: `kubesim run --compare-to DIR`: the run against a real
 * cluster's series for the period the scenario covers (prefix cli_cmp_).
 * DIR is read as `calibrate --from-prometheus` reads it (cli/observed.h);
 * the run's side comes from its own trace.kst. Per workload and node group
 * it measures:
 *   replicas      Ready pods (Running, not terminating) against
 *                 kube_deployment_status_replicas_available at each observed
 *                 sample inside the run: mean absolute error
 *   startup       two-sample KS distance of bind -> Running against the
 *                 observed ready - start
 *   provisioning  the same for node launch -> Ready against created -> Ready
 * and gives each figure a verdict: replicas "close" when the error is at most
 * 10 % of the observed mean, "fair" up to 25 %, else "off"; a distribution
 * "close" when the KS test cannot tell the two apart at 5 % (p >= 0.05),
 * "fair" when D <= 0.2, else "off". The rows go into summary.json under
 * "observed" (report.html's "Simulated against observed").
 * Simulated time 0 is Unix time start_unix (the scenario's clock).
 */
#ifndef KUBESIM_CLI_COMPARE_H
#define KUBESIM_CLI_COMPARE_H

#include <stdint.h>

#include "sim/sim.h"

/* Compares the run in run_dir (its trace.kst) with obs_dir and adds the
 * "observed" key to run_dir/summary.json (rewritten whole). SIM_OK, or an
 * error with the message in err. */
int cli_cmp_run(SimMem *m, const char *run_dir, const char *obs_dir, int64_t start_unix, SimErr *err);

#endif
