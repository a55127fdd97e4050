/*
 * api_keys.c: every nested key list the declarations check, with where it
 * sits (scn_keys.h). A new nested table belongs here too, so the docs test
 * sees its keys.
 */
#include "scenarios/scn_keys.h"

#include "sim/policy.h"
#include "workloads/gates.h"

const ScnKeyList *scn_key_lists(size_t *n)
{
    static const ScnKeyList lists[] = {
        {"scenario", "feature_gates", "feature_gates", wl_gate_names},
        {"deployment", "strategy", "strategy", scn_keys_deployment_strategy},
        {"deployment", "serve", "serve", scn_keys_deployment_serve},
        {"rollout", "usage", "usage", scn_keys_rollout_usage},
        {"backtest", "params", "params", scn_keys_backtest_params},
        {"backtest", "universe", "universe", scn_keys_backtest_universe},
        {"hpa", "metrics", "metrics[]", scn_keys_hpa_metric},
        {"hpa", "metrics", "metrics[].target", scn_keys_hpa_target},
        {"hpa", "behavior", "behavior", scn_keys_hpa_behavior},
        {"hpa", "behavior", "behavior.scale_up/scale_down", scn_keys_hpa_rules},
        {"hpa", "behavior", "behavior.*.policies[]", scn_keys_hpa_policy},
        {"job", "fail", "fail", scn_keys_job_fail},
        {"cronjob", "job", "job", scn_keys_cronjob_job},
        {"limitrange", "default", "default/default_request/min/max", scn_keys_limitrange_cpu_mem},
        {"traffic", "surges", "surges[]", scn_keys_traffic_surge},
        {"quota", "hard", "hard", sim_quota_res_names},
        {"selector", NULL, "selector", scn_keys_selector},
        {"selector", NULL, "selector.match_expressions[]", scn_keys_selector_expression},
        {"pod-template", "tolerations", "tolerations[]", scn_keys_pod_toleration},
        {"pod-template", "affinity", "affinity", scn_keys_pod_affinity},
        {"pod-template", "affinity", "affinity.node", scn_keys_pod_node_affinity},
        {"pod-template", "affinity", "affinity.node.preferred[]", scn_keys_pod_node_preferred},
        {"pod-template", "affinity", "affinity.pod/pod_anti", scn_keys_pod_affinity_terms},
        {"pod-template", "affinity", "affinity.pod.required[]", scn_keys_pod_term_required},
        {"pod-template", "affinity", "affinity.pod.preferred[]", scn_keys_pod_term_preferred},
        {"pod-template", "spread", "spread[]", scn_keys_pod_spread},
        {"pod-template", "usage", "usage", scn_keys_pod_usage},
    };
    *n = sizeof lists / sizeof lists[0];
    return lists;
}
