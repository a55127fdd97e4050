/*
 * observed.h: what a real cluster's kube-state-metrics series say about the
 * delays kubesim models (prefix cli_obs_), read from a folder of Prometheus
 * range-query answers (sim/promrange.h), one file per metric named after it:
 *
 *   kube_pod_created.json            {namespace, pod}: creation, Unix s
 *   kube_pod_start_time.json         {namespace, pod}: kubelet start, Unix s
 *   kube_pod_status_ready_time.json  {namespace, pod}: Ready since, Unix s
 *     or kube_pod_status_ready.json  {namespace, pod, condition="true"}: 0/1
 *   kube_pod_info.json / kube_pod_owner.json (optional): the owner
 *                                    (created_by_kind/_name, owner_kind/_name)
 *   kube_node_created.json           {node}: creation (registration), Unix s
 *   kube_node_status_condition.json  {node, condition="Ready", status="true"}: 0/1
 *   kube_node_labels.json (optional) {node, label_...}: the node group label
 *   kube_horizontalpodautoscaler_status_desired_replicas.json
 *                                    {namespace, horizontalpodautoscaler
 *                                     [, scaletargetref_name]}
 *   kube_deployment_status_replicas_available.json {namespace, deployment}
 *
 * Every file is optional; a folder with none of them is an error. A pod's
 * workload is its owner's name (a ReplicaSet's without its pod-template-hash
 * suffix), else its name without the generated suffixes. Samples:
 *   start-up      = ready - start (the simulation's bind -> Running)
 *   provisioning  = Ready - created per node (the first Ready sample; the
 *                   transition is put midway between it and the sample before)
 *   hpa_reaction  = the first pod of the target created after a rise of the
 *                   HPA's desired replicas, from the middle of the two samples
 *                   around the rise
 * Invariant: everything is allocated through CliObs.m and freed by cli_obs_free.
 */
#ifndef KUBESIM_CLI_OBSERVED_H
#define KUBESIM_CLI_OBSERVED_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

typedef struct CliObsSamples {
    double *v;
    size_t n, cap;
} CliObsSamples;

typedef struct CliObsWl {
    char *ns, *name;
    CliObsSamples startup, reaction;
    int64_t *rep_t_ms;           /* kube_deployment_status_replicas_available */
    double *rep_v;
    size_t nrep, caprep, caprep_v;
} CliObsWl;

typedef struct CliObsGroup {
    char *name;
    CliObsSamples prov;
} CliObsGroup;

typedef struct CliObs {
    SimMem *m;
    CliObsWl *wl;
    size_t nwl, capwl;
    CliObsGroup *groups;
    size_t ngroups, capgroups;
    size_t files;                /* series files found */
    int64_t t0_ms, t1_ms;        /* the time range the series cover (t1 < t0: none) */
} CliObs;

/* Reads dir into o. group_label: the node label naming a node's group
 * (NULL: the first present of label_kubesim_io_node_group,
 * label_eks_amazonaws_com_nodegroup, label_cloud_google_com_gke_nodepool,
 * label_karpenter_sh_nodepool, label_kubernetes_azure_com_agentpool,
 * label_node_kubernetes_io_instance_type). SIM_OK, or an error with "FILE:
 * where: why" in err; o is the caller's to free either way. */
int cli_obs_read(SimMem *m, const char *dir, const char *group_label, CliObs *o, SimErr *err);
void cli_obs_free(CliObs *o);
/* The workload (ns may be NULL: any) or group named so, or NULL. */
const CliObsWl *cli_obs_wl(const CliObs *o, const char *ns, const char *name);
const CliObsGroup *cli_obs_group(const CliObs *o, const char *name);

#endif
