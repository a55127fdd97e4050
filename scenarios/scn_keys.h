/*
 * scn_keys.h: the key lists of the tables nested in declarations (a
 * deployment's strategy and serve, an hpa's metrics and behavior, the
 * pod-template's affinity, ...), as the declarations check them. The arrays
 * are defined next to the code that checks them; scn_key_lists() gathers
 * them with the path of the field they belong to, so that tests/test_docs.c
 * can check that scenarios/README.md documents every nested key.
 */
#ifndef KUBESIM_SCN_KEYS_H
#define KUBESIM_SCN_KEYS_H

#include <stddef.h>

typedef struct ScnKeyList {
    const char *decl;            /* "deployment", or "pod-template" for the shared fields, "selector" */
    const char *field;           /* the top-level field holding the table: "strategy" */
    const char *path;            /* the nested path in messages: "metrics[].target" */
    const char *const *keys;     /* NULL-terminated */
} ScnKeyList;

/* The lists, n of them; with quota's hard resource names. */
const ScnKeyList *scn_key_lists(size_t *n);

extern const char *const scn_keys_deployment_strategy[];
extern const char *const scn_keys_deployment_serve[];
extern const char *const scn_keys_rollout_usage[];
extern const char *const scn_keys_backtest_params[];
extern const char *const scn_keys_backtest_universe[];
extern const char *const scn_keys_hpa_metric[];
extern const char *const scn_keys_hpa_target[];
extern const char *const scn_keys_hpa_behavior[];
extern const char *const scn_keys_hpa_rules[];
extern const char *const scn_keys_hpa_policy[];
extern const char *const scn_keys_job_fail[];
extern const char *const scn_keys_cronjob_job[];
extern const char *const scn_keys_limitrange_cpu_mem[];
extern const char *const scn_keys_traffic_surge[];
extern const char *const scn_keys_selector[];
extern const char *const scn_keys_selector_expression[];
extern const char *const scn_keys_pod_toleration[];
extern const char *const scn_keys_pod_affinity[];
extern const char *const scn_keys_pod_node_affinity[];
extern const char *const scn_keys_pod_node_preferred[];
extern const char *const scn_keys_pod_affinity_terms[];
extern const char *const scn_keys_pod_term_required[];
extern const char *const scn_keys_pod_term_preferred[];
extern const char *const scn_keys_pod_spread[];
extern const char *const scn_keys_pod_usage[];

#endif
