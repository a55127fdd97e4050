/*
 * cmd_diff.c: `kubesim diff RUN_A RUN_B [--json]`: what differs between two
 * runs (two run folders, or two configurations of a sweep kept with
 * --keep-runs). Argument parsing only; render/diff*.c does the work.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>

#include "render/rnd.h"
#include "scenarios/scn.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim diff RUN_A RUN_B [--json]\n\n"
               "Compares two runs, each a run folder (kubesim run --out) or a sweep's\n"
               "configuration folder SWEEP_DIR/configs/N (kept whole by kubesim sweep\n"
               "--keep-runs); each folder needs summary.json, metrics.csv and trace.kst.\n\n"
               "Prints:\n"
               "  - every summary.json value that differs (cost by region, node group and\n"
               "    namespace, SLOs, pods, HPA, autoscaler, jobs, ...): A, B, B - A and the\n"
               "    change in per cent of A;\n"
               "  - the metrics.csv series where the runs differ most, each at the sample\n"
               "    where the gap is largest (ranked by the gap over the series' largest value);\n"
               "  - when both ran the same scenario: the declarations that differ (node\n"
               "    groups, workloads, ...) and the first decision where the traces part, in\n"
               "    words: \"first divergence 09:31:20: autoscaler chose gpu-a100 +2 (for 4\n"
               "    pods) in A, autoscaler chose gpu-l4 +3 (for 4 pods) in B\". Times are on\n"
               "    the scenario's clock when it has one, else +H:MM:SS from the start.\n\n"
               "  --json   the answer as JSON: a, b {dir, scenario, seed}, same_scenario,\n"
               "           summary[{key, a, b, delta, percent}], metrics[{series, t_seconds, time,\n"
               "           a, b, delta}], configuration[TEXT], divergence {t_seconds, time, a, b\n"
               "           {t_seconds, time, kind, text}, message} or null\n\n"
               "exit codes: 0 success, 2 a missing folder or file (named), a damaged file, or\n"
               "bad usage.\n");
}

int cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    int as_json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': as_json = 1; break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_BAD_INPUT;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "kubesim diff: expected two run folders: diff RUN_A RUN_B (see kubesim diff --help)\n");
        return CLI_BAD_INPUT;
    }
    SimMem m;
    sim_mem_init(&m);
    SimTrSchema schema;
    SimErr err = SIM_ERR_INIT;
    if (scn_trace_schema(&schema) != SIM_OK) {
        fprintf(stderr, "kubesim diff: the trace schema cannot be built\n");
        return CLI_BAD_INPUT;
    }
    if (rnd_diff(&m, &schema, argv[optind], argv[optind + 1], as_json, stdout, &err) != SIM_OK) {
        fprintf(stderr, "kubesim diff: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}
