/*
 * cmd_explain.c: `kubesim explain schedule|hpa|autoscaler CASE.json [--json]`.
 * Reads the case and prints why the scheduler would place the pod where it
 * does, what one HPA sync decides, or what one cluster-autoscaler loop
 * decides.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "scheduler/explain.h"
#include "sim/fileio.h"
#include "workloads/hpa.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim explain schedule CASE.json [--json]\n"
               "       kubesim explain schedule --from RUN_DIR --pod NAME --at TIME [--case FILE]\n"
               "                               [--scenario FILE] [--set NAME=VALUE]... [--json]\n"
               "       kubesim explain hpa CASE.json [--json]\n"
               "       kubesim explain hpa --from RUN_DIR --hpa NAME --at TIME [--case FILE]\n"
               "                          [--scenario FILE] [--set NAME=VALUE]... [--json]\n"
               "       kubesim explain autoscaler CASE.json [--json]\n"
               "       kubesim explain autoscaler --from RUN_DIR --at TIME [--region NAME] [--case FILE]\n"
               "                                 [--scenario FILE] [--set NAME=VALUE]... [--json]\n\n"
               "Shows the decision kube-scheduler's default profile takes for one pod:\n"
               "per node, the filter verdict in Kubernetes' own words, each plugin's\n"
               "normalised score and the weighted total, the node chosen, and the\n"
               "preemption victims when no node fits.\n\n"
               "CASE.json: {\"nodes\": [v1 Node], \"pods\": [v1 Pod with spec.nodeName],\n"
               "  \"pod\": v1 Pod to place, \"priorityClasses\": [...], \"pdbs\": [...],\n"
               "  \"namespaces\": [...], \"resourceQuotas\": [...], \"limitRanges\": [...]}\n\n"
               "  --json   the answer as JSON: nodes[{name, filter{passed, plugin, reason},\n"
               "           scores{PLUGIN: score}, total}], selected, nominatedNodeName, victims\n\n"
               "--from RUN_DIR rebuilds the case from a run: the scenario its trace names is\n"
               "simulated again with the run's seed up to --at, and the case is the cluster\n"
               "of the pod's region as the run's scheduler saw it when it placed the pod\n"
               "(bound at --at), or after every event at --at (pending then).\n"
               "  --pod NAME        the pod (WORKLOAD-N, as kubesim trace dump names it)\n"
               "  --at TIME         14:05[:30] on the scenario's clock, or +1h30m, 5400s, 5400: as\n"
               "                    replay --at reads it\n"
               "  --case FILE       also write the case there (JSON), to edit and explain again\n"
               "  --scenario FILE   the run's scenario file (default: the built-in one when the\n"
               "                    trace names it, else scenarios/NAME.lua)\n"
               "  --set NAME=VALUE  the run's --set values (repeatable): the rerun must be the run\n"
               "  --hpa NAME        (explain hpa) the HPA, as the trace and kubesim why name it; the\n"
               "                    case is what its last sync at or before --at read (HPAs sync\n"
               "                    every 15 s), and \"run\" holds that sync's own decision\n"
               "  --region NAME     (explain autoscaler) the region; default: the only one, else the\n"
               "                    one whose loop scaled up at --at. The case is the region at the\n"
               "                    start of its last loop at or before --at (every scan interval,\n"
               "                    10 s), and \"run\" holds that loop's own scale-up or null.\n"
               "                    The case has no place for backoffs, timers or PDBs\n\n"
               "explain hpa shows one HorizontalPodAutoscaler sync (autoscaling/v2): each\n"
               "metric's proposal with its pod groups, the stabilisation window, the\n"
               "scaling policies and the clamp. In a run an HPA is first synced one sync\n"
               "period (15 s) after it is added, as upstream, then every 15 s; that first\n"
               "sync records the current replicas as a recommendation (give it in history).\n\n"
               "CASE.json: {\"hpa\": spec {minReplicas, maxReplicas, metrics, behavior},\n"
               "  \"currentReplicas\": N, \"statusReplicas\": N, \"tolerance\": 0.1,\n"
               "  \"pods\": [{phase, ready, startedSecondsAgo, readyTransitionSecondsAgo,\n"
               "            sampleAgeSeconds, sampleWindowSeconds, requests{cpu, memory},\n"
               "            usage{cpu, memory}, metrics{NAME: value}, nodeReady,\n"
               "            kubeletUnreachableSecondsAgo, kubeletBackSecondsAgo}],\n"
               "  \"objectMetrics\": {NAME: value}, \"externalMetrics\": {NAME: value},\n"
               "  \"history\": {recommendations: [{replicas, ageSeconds}],\n"
               "              scaleEvents: [{replicas (signed change), ageSeconds}]}}\n\n"
               "  --json   (hpa) currentReplicas, calculatorReplicas, stabilizedReplicas,\n"
               "           desiredReplicas, limitedBy (none, tolerance, stabilization, policy,\n"
               "           min, max, invalid-metric), reason, perMetric[{metric, proposal, ratio,\n"
               "           readyPods, unreadyPods, missingPods, ignoredPods, excluded[{pod,\n"
               "           group (unready, missing, ignored), reason}], ...}]\n\n"
               "explain autoscaler shows one cluster-autoscaler loop: the pending pods the\n"
               "scheduler could not place, per node group whether its template fits them,\n"
               "how many nodes it needs and its expander score (or why it is left out),\n"
               "the expander's choice, and per node its utilisation against the threshold,\n"
               "the pods that block its removal and the verdict (explain has no timers:\n"
               "unneeded means the node passes every scale-down check now). In a run the\n"
               "loop runs every scan-interval (10 s) from one scan-interval after the start,\n"
               "as upstream, so a node unneeded from the start goes at 10 s + 10 min.\n\n"
               "CASE.json: {\"nodeGroups\": [{name, min, max, current, template: v1 Node,\n"
               "            pricePerHour, priority}],\n"
               "  \"nodes\": [v1 Node labelled kubesim.io/node-group: GROUP],\n"
               "  \"pods\": [v1 Pod, bound (spec.nodeName) or pending],\n"
               "  \"expander\": \"least-waste\" | \"priority,least-waste\" | [names],\n"
               "  \"priorityClasses\": [...], \"podDisruptionBudgets\": [...], \"namespaces\": [...],\n"
               "  flags: maxNodesTotal, maxNodesPerScaleup, expendablePodsPriorityCutoff,\n"
               "         scaleDownEnabled, scaleDownUtilizationThreshold,\n"
               "         scaleDownGpuUtilizationThreshold}\n"
               "  current above the nodes listed: the rest are still provisioning.\n\n"
               "  --json   (autoscaler) scaleUp{unschedulable, candidates, expander, options[{group,\n"
               "           nodes, pods, score} or {group, excluded}], chosen{group, delta} or null},\n"
               "           scaleDown{nodes[{name, utilization, threshold, unneeded, reason,\n"
               "           blockedBy[{pod, reason}]}]}\n");
}

/* The object --from explains, per decision: "--pod NAME", "--hpa NAME", or none. */
static int from_args_ok(const CliExplainFrom *f)
{
    if (strcmp(f->decision, "schedule") == 0)
        return f->pod && !f->hpa && !f->region;
    if (strcmp(f->decision, "hpa") == 0)
        return f->hpa && !f->pod && !f->region;
    return !f->hpa && !f->pod;
}

static int explain_from(int argc, char **argv, CliExplainFrom *f, int as_json)
{
    static const char *const forms[] = {"explain schedule --from RUN_DIR --pod NAME --at TIME",
                                        "explain hpa --from RUN_DIR --hpa NAME --at TIME",
                                        "explain autoscaler --from RUN_DIR --at TIME [--region NAME]"};
    int k = argc - optind != 1 ? -1 : strcmp(argv[optind], "schedule") == 0 ? 0
                                   : strcmp(argv[optind], "hpa") == 0     ? 1
                                   : strcmp(argv[optind], "autoscaler") == 0 ? 2 : -1;
    if (k < 0) {
        fprintf(stderr, "kubesim explain: --from takes a decision (schedule, hpa or autoscaler) and no CASE.json: "
                        "%s, %s or %s\n", forms[0], forms[1], forms[2]);
        return CLI_BAD_INPUT;
    }
    f->decision = argv[optind];
    if (f->run == NULL || f->at == NULL || !from_args_ok(f)) {
        fprintf(stderr, "kubesim explain: %s: %s\n",
                f->run ? "these options do not go together" : "--pod, --hpa, --region, --at, --case, --scenario and "
                                                               "--set belong to --from", forms[k]);
        return CLI_BAD_INPUT;
    }
    SimErr err = SIM_ERR_INIT;
    if (cli_explain_from(f, as_json, &err) != SIM_OK) {
        fprintf(stderr, "kubesim explain: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

#define MAX_SETS 256

int cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
                                         {"from", required_argument, NULL, 'F'}, {"pod", required_argument, NULL, 'p'},
                                         {"at", required_argument, NULL, 'a'}, {"case", required_argument, NULL, 'c'},
                                         {"scenario", required_argument, NULL, 's'},
                                         {"set", required_argument, NULL, 'S'}, {"hpa", required_argument, NULL, 'H'},
                                         {"region", required_argument, NULL, 'r'}, {0, 0, 0, 0}};
    int as_json = 0, c;
    char *sets[MAX_SETS];
    CliExplainFrom from = {.sets = sets};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': as_json = 1; break;
        case 'F': from.run = optarg; break;
        case 'p': from.pod = optarg; break;
        case 'H': from.hpa = optarg; break;
        case 'r': from.region = optarg; break;
        case 'a': from.at = optarg; break;
        case 'c': from.case_out = optarg; break;
        case 's': from.scenario = optarg; break;
        case 'S':
            if (cli_push("explain", sets, &from.nsets, MAX_SETS, optarg, "--set"))
                return CLI_BAD_INPUT;
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_BAD_INPUT;
        }
    }
    if (from.run || from.pod || from.hpa || from.region || from.at || from.case_out || from.scenario || from.nsets)
        return explain_from(argc, argv, &from, as_json);
    int hpa = argc - optind == 2 && strcmp(argv[optind], "hpa") == 0;
    int ca = argc - optind == 2 && strcmp(argv[optind], "autoscaler") == 0;
    if (argc - optind >= 1 && !hpa && !ca && strcmp(argv[optind], "schedule") != 0 &&
        strcmp(argv[optind], "hpa") != 0 && strcmp(argv[optind], "autoscaler") != 0) {
        fprintf(stderr, "kubesim explain: unknown decision '%s': schedule, hpa or autoscaler (see kubesim "
                        "explain --help)\n", argv[optind]);
        return CLI_BAD_INPUT;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "kubesim explain: %s (see kubesim explain --help)\n",
                argc - optind < 2 ? "needs a decision and a CASE.json: explain schedule|hpa|autoscaler CASE.json"
                                  : "takes one CASE.json");
        return CLI_BAD_INPUT;
    }
    size_t len;
    const char *path = argv[optind + 1];
    SimErr err = SIM_ERR_INIT;
    SimMem m;
    sim_mem_init(&m);
    char *text = cli_read_input(&m, path, SIM_FILE_MAX_JSON, "an explain case", &len, &err);
    if (text == NULL) {
        fprintf(stderr, "kubesim explain: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    int rc = hpa  ? wl_hpa_explain_case(&m, text, len, path, as_json, stdout, &err)
             : ca ? sched_ca_explain_case(&m, text, len, path, as_json, stdout, &err)
                  : sched_explain_case(&m, text, len, path, as_json, stdout, &err);
    sim_mem_free(&m, text, len + 1);
    if (rc != SIM_OK) {
        fprintf(stderr, "kubesim explain: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}
