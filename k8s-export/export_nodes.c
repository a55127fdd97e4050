/*
 * export_nodes.c: node groups. Kubernetes has no node-group object: with
 * the cluster autoscaler they live in the cloud provider's configuration and
 * the autoscaler's flags, so the export writes them in the formats the tools
 * that make them read (issue 15): an eksctl ClusterConfig
 * (eksctl-cluster.yaml: each group a managed node group with its size,
 * zones, labels, taints, spot, and the tags the autoscaler discovers it by)
 * and values for the upstream cluster-autoscaler Helm chart
 * (cluster-autoscaler-values.yaml: auto-discovery, every flag, the priority
 * expander's table). Neither is a Kubernetes object (kustomization.yaml does
 * not list them). With Karpenter each group is a v1 NodePool (a CRD:
 * nodepools.yaml). Simulation-only values are kubesim.io/ annotations.
 */
#include "k8s-export/export_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "scheduler/ca.h"

static int32_t start_size(KxCtx *c, uint32_t g)
{
    int32_t n = 0;
    for (uint32_t i = 0; i < sim_node_count(c->e); i++)
        n += sim_node(c->e, i)->group == g && sim_node_live(sim_node(c->e, i));
    return n;
}

static void cfg(KxCtx *c, SchedCaConfig *out)
{
    if (c->o->ca)
        *out = *c->o->ca;
    else
        sched_ca_config_default(out);
}

/* The cluster's name (the autoscaler finds its groups by it): SCENARIO-REGION
 * with what EKS refuses ('_', '.') made '-', starting with a letter. */
static void cluster_name(KxCtx *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s-%s", isalpha((unsigned char)c->scenario[0]) ? "" : "k", c->scenario,
             sim_region(c->e, c->region)->name);
    for (char *p = buf; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-')
            *p = '-';
}

/* The AWS region: the first zone's name without its letter when it reads
 * as an AWS availability zone (us-east-1a), else the region's own name. */
static void aws_region(KxCtx *c, char *buf, size_t n)
{
    const SimRegion *r = sim_region(c->e, c->region);
    const char *z = NULL;
    for (uint32_t i = 0; z == NULL && i < sim_zone_count(c->e); i++)
        if (sim_zone(c->e, i)->region == c->region)
            z = sim_zone(c->e, i)->name;
    size_t len = z ? strlen(z) : 0;
    if (len > 3 && islower((unsigned char)z[len - 1]) && isdigit((unsigned char)z[len - 2]) && strchr(z, '-'))
        snprintf(buf, n, "%.*s", (int)(len - 1), z);
    else
        snprintf(buf, n, "%s", r->name);
}

static int any_group(KxCtx *c)
{
    for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++)
        if (sim_nodegroup(c->e, g)->region == c->region)
            return 1;
    return 0;
}

/* ---- the cluster autoscaler's Helm values -------------------------------- */
static void arg_duration(KxYaml *y, const char *flag, SimTime t)
{
    kx_kv_duration(y, flag, t);
}

static void arg_int(KxYaml *y, const char *flag, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    kx_yaml_kv_str(y, flag, buf);
}

/* Every flag the simulated autoscaler runs with, as the chart's extraArgs
 * (rendered `--KEY=VALUE`): the scenario's and upstream's defaults alike,
 * so the real one decides as the simulated one did. */
static void extra_args(KxCtx *c, const SchedCaConfig *f)
{
    KxYaml *y = c->y;
    char buf[128] = "";
    for (size_t i = 0; i < f->nexpanders; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "",
                 sched_ca_expander_name(f->expanders[i]));
    kx_yaml_str(y, "extraArgs");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "expander", buf);
    arg_duration(y, "scan-interval", f->scan_interval);
    arg_int(y, "max-nodes-total", f->max_nodes_total);
    arg_int(y, "max-nodes-per-scaleup", f->max_nodes_per_scaleup);
    arg_duration(y, "max-node-provision-time", f->max_node_provision_time);
    arg_duration(y, "initial-node-group-backoff-duration", f->initial_backoff);
    arg_duration(y, "max-node-group-backoff-duration", f->max_backoff);
    arg_int(y, "expendable-pods-priority-cutoff", f->expendable_pods_priority_cutoff);
    kx_yaml_kv_str(y, "scale-down-enabled", f->scale_down_enabled ? "true" : "false");
    kx_kv_double(y, "scale-down-utilization-threshold", f->scale_down_utilization_threshold);
    kx_kv_double(y, "scale-down-gpu-utilization-threshold", f->scale_down_gpu_utilization_threshold);
    arg_duration(y, "scale-down-unneeded-time", f->scale_down_unneeded_time);
    arg_duration(y, "scale-down-unready-time", f->scale_down_unready_time);
    arg_duration(y, "scale-down-delay-after-add", f->scale_down_delay_after_add);
    arg_duration(y, "scale-down-delay-after-delete", f->scale_down_delay_after_delete);
    arg_duration(y, "scale-down-delay-after-failure", f->scale_down_delay_after_failure);
    arg_int(y, "max-empty-bulk-delete", f->max_empty_bulk_delete);
    arg_int(y, "scale-down-non-empty-candidates-count", f->scale_down_non_empty_candidates_count);
    kx_kv_double(y, "scale-down-candidates-pool-ratio", f->scale_down_candidates_pool_ratio);
    arg_int(y, "scale-down-candidates-pool-min-count", f->scale_down_candidates_pool_min_count);
    arg_duration(y, "max-pod-eviction-time", f->max_pod_eviction_time);
    arg_duration(y, "unremovable-node-recheck-timeout", f->unremovable_node_recheck_timeout);
    kx_yaml_map_end(y);
}

/* The chart's expanderPriorities (it writes upstream's
 * cluster-autoscaler-priority-expander ConfigMap from them): priority ->
 * the groups' name patterns, highest first; only with the priority expander. */
static void expander_priorities(KxCtx *c, const SchedCaConfig *f)
{
    int used = 0;
    for (size_t i = 0; i < f->nexpanders; i++)
        used |= f->expanders[i] == SCHED_CA_PRIORITY;
    if (!used)
        return;
    kx_yaml_str(c->y, "expanderPriorities");
    kx_yaml_map_begin(c->y);
    int32_t last = INT32_MAX;
    for (;;) {   /* each distinct priority, descending */
        int32_t p = INT32_MIN;
        int found = 0;
        for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++) {
            const SimNodeGroup *ng = sim_nodegroup(c->e, g);
            if (ng->region == c->region && ng->expander_priority < last && (!found || ng->expander_priority > p))
                p = ng->expander_priority, found = 1;
        }
        if (!found)
            break;
        char key[16], re[300];
        snprintf(key, sizeof key, "%d", (int)p);
        kx_yaml_str(c->y, key);
        kx_yaml_seq_begin(c->y);
        for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++) {
            const SimNodeGroup *ng = sim_nodegroup(c->e, g);
            if (ng->region == c->region && ng->expander_priority == p) {
                snprintf(re, sizeof re, "^%s$", ng->name);   /* eksctl names the ASG eks-NAME-...: matched within */
                kx_yaml_str(c->y, re);
            }
        }
        kx_yaml_seq_end(c->y);
        last = p;
    }
    kx_yaml_map_end(c->y);
}

/* Values for the upstream chart kubernetes/autoscaler
 * charts/cluster-autoscaler (`helm install -f`): AWS auto-discovery of the
 * groups eksctl-cluster.yaml creates (by their tags), the flags, and the
 * priority expander's table. Not a Kubernetes object. */
void kx_emit_autoscaler(KxCtx *c)
{
    if (!any_group(c))
        return;
    SchedCaConfig f;
    cfg(c, &f);
    char name[160], region[80], tag[240];
    cluster_name(c, name, sizeof name);
    aws_region(c, region, sizeof region);
    KxYaml *y = c->y;
    kx_yaml_doc_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "cloudProvider", "aws");
    kx_yaml_kv_str(y, "awsRegion", region);
    kx_yaml_str(y, "additionalLabels");   /* the chart's objects, labelled as every exported one; and the
                                             region of this file when imported in a flat list */
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "kubesim.io/region", sim_region(c->e, c->region)->name);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "autoDiscovery");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "clusterName", name);
    kx_yaml_str(y, "tags");
    kx_yaml_seq_begin(y);
    kx_yaml_str(y, "k8s.io/cluster-autoscaler/enabled");
    snprintf(tag, sizeof tag, "k8s.io/cluster-autoscaler/%s", name);
    kx_yaml_str(y, tag);
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
    if (!f.enabled)   /* the scenario runs without an autoscaler: the chart's Deployment at 0 */
        kx_yaml_kv_int(y, "replicaCount", 0);
    extra_args(c, &f);
    expander_priorities(c, &f);
    kx_doc_end(c);
}

/* ---- eksctl ------------------------------------------------------------------ */
static void kv_str_map(KxYaml *y, const char *key, const SimKV *kv, size_t n)
{
    kx_yaml_str(y, key);
    kx_yaml_map_begin(y);
    for (size_t i = 0; i < n; i++)
        kx_yaml_kv_str(y, kv[i].key, kv[i].value);
    kx_yaml_map_end(y);
}

static void taints(KxYaml *y, const SimNodeGroup *ng)
{
    kx_yaml_str(y, "taints");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < ng->ntaints; i++) {
        kx_yaml_map_begin(y);
        kx_yaml_kv_str(y, "key", ng->taints[i].key);
        if (ng->taints[i].value && *ng->taints[i].value)
            kx_yaml_kv_str(y, "value", ng->taints[i].value);
        kx_yaml_kv_str(y, "effect", kx_taint_effect((int)ng->taints[i].effect));
        kx_yaml_map_end(y);
    }
    kx_yaml_seq_end(y);
}

/* The autoscaler's auto-discovery tags; a group that can be at zero nodes
 * also tells it, through node-template tags, the labels, taints and GPUs a
 * new node would have (it has no node to look at). */
static void group_tags(KxCtx *c, const SimNodeGroup *ng, const char *cluster)
{
    KxYaml *y = c->y;
    char key[512], val[512];
    kx_yaml_str(y, "tags");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "k8s.io/cluster-autoscaler/enabled", "true");
    snprintf(key, sizeof key, "k8s.io/cluster-autoscaler/%s", cluster);
    kx_yaml_kv_str(y, key, "owned");
    for (size_t i = 0; ng->min == 0 && i < ng->nlabels; i++) {
        snprintf(key, sizeof key, "k8s.io/cluster-autoscaler/node-template/label/%s", ng->labels[i].key);
        kx_yaml_kv_str(y, key, ng->labels[i].value);
    }
    for (size_t i = 0; ng->min == 0 && i < ng->ntaints; i++) {
        snprintf(key, sizeof key, "k8s.io/cluster-autoscaler/node-template/taint/%s", ng->taints[i].key);
        snprintf(val, sizeof val, "%s:%s", ng->taints[i].value ? ng->taints[i].value : "",
                 kx_taint_effect((int)ng->taints[i].effect));
        kx_yaml_kv_str(y, key, val);
    }
    if (ng->min == 0 && ng->alloc.gpu > 0)
        arg_int(y, "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu", ng->alloc.gpu);
    kx_yaml_map_end(y);
}

static void managed_group(KxCtx *c, uint32_t g, const char *cluster)
{
    const SimNodeGroup *ng = sim_nodegroup(c->e, g);
    KxYaml *y = c->y;
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", ng->name);
    if (ng->instance_type && ng->spot) {   /* eksctl takes a spot group's types as a list */
        kx_yaml_str(y, "instanceTypes");
        kx_yaml_seq_begin(y);
        kx_yaml_str(y, ng->instance_type);
        kx_yaml_seq_end(y);
    } else if (ng->instance_type) {
        kx_yaml_kv_str(y, "instanceType", ng->instance_type);
    }
    if (ng->spot)
        kx_yaml_kv_bool(y, "spot", 1);
    kx_yaml_kv_int(y, "minSize", ng->min);
    kx_yaml_kv_int(y, "maxSize", ng->max);
    kx_yaml_kv_int(y, "desiredCapacity", start_size(c, g));
    kx_yaml_str(y, "availabilityZones");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < ng->nzones; i++)
        kx_yaml_str(y, sim_zone(c->e, ng->zones[i])->name);
    kx_yaml_seq_end(y);
    if (ng->nlabels)
        kv_str_map(y, "labels", ng->labels, ng->nlabels);
    if (ng->ntaints)
        taints(y, ng);
    kx_yaml_kv_bool(y, "propagateASGTags", 1);   /* the node-template tags must reach the ASG */
    group_tags(c, ng, cluster);
    kx_yaml_map_end(y);
}

static void annotation_num(KxYaml *y, const char *group, const char *what, const char *value)
{
    char key[300];
    snprintf(key, sizeof key, "kubesim.io/%s.%s", group, what);
    kx_yaml_kv_str(y, key, value);
}

/* What eksctl has no field for, as annotations `kubesim.io/GROUP.FIELD`
 * that import reads: each node's allocatable (the instance type implies it
 * on AWS, not in the simulation), the price, the provisioning delay, and the
 * simulation's own settings where not their defaults. */
static void group_annotations(KxCtx *c, const SimNodeGroup *ng)
{
    KxYaml *y = c->y;
    char v[64];
    sim_quantity_format(ng->alloc.cpu_m, 1, v, sizeof v);
    annotation_num(y, ng->name, "cpu", v);
    sim_quantity_format(ng->alloc.mem, 0, v, sizeof v);
    annotation_num(y, ng->name, "memory", v);
    snprintf(v, sizeof v, "%lld", (long long)ng->alloc.gpu);
    if (ng->alloc.gpu)
        annotation_num(y, ng->name, "gpu", v);
    snprintf(v, sizeof v, "%lld", (long long)ng->alloc.pods);
    annotation_num(y, ng->name, "pods", v);
    char key[300];
    snprintf(key, sizeof key, "kubesim.io/%s.price-per-hour", ng->name);
    if (!ng->price_unknown)   /* no price: none written, so the import reads it back as unknown */
        kx_kv_double(y, key, ng->price_per_hour);
    kx_duration(ng->provision_delay, v, sizeof v);
    annotation_num(y, ng->name, "provisioning-delay", v);
    if (ng->expander_priority) {
        snprintf(v, sizeof v, "%d", (int)ng->expander_priority);
        annotation_num(y, ng->name, "expander-priority", v);
    }
    snprintf(key, sizeof key, "kubesim.io/%s.speed", ng->name);
    if (ng->speed != 1.0)
        kx_kv_double(y, key, ng->speed);
    snprintf(key, sizeof key, "kubesim.io/%s.gpu-speedup", ng->name);
    if (ng->gpu_speedup != 1.0)
        kx_kv_double(y, key, ng->gpu_speedup);
    snprintf(key, sizeof key, "kubesim.io/%s.spot-interruptions-per-hour", ng->name);
    if (ng->spot_interruptions_per_hour != 0.0)
        kx_kv_double(y, key, ng->spot_interruptions_per_hour);
}

/* An eksctl ClusterConfig (eksctl.io/v1alpha5) holding the region's groups
 * as managed node groups, for `eksctl create cluster -f` (or `eksctl create
 * nodegroup -f` on an existing cluster). Not a Kubernetes object. */
void kx_emit_eksctl(KxCtx *c)
{
    if (!any_group(c))
        return;
    char name[160], region[80];
    cluster_name(c, name, sizeof name);
    aws_region(c, region, sizeof region);
    KxYaml *y = c->y;
    kx_doc_begin(c, "eksctl.io/v1alpha5", "ClusterConfig");
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", name);
    kx_yaml_kv_str(y, "region", region);
    kx_yaml_str(y, "annotations");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "kubesim.io/scenario", c->scenario);
    kx_yaml_kv_str(y, "kubesim.io/region", sim_region(c->e, c->region)->name);
    for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++)
        if (sim_nodegroup(c->e, g)->region == c->region)
            group_annotations(c, sim_nodegroup(c->e, g));
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "managedNodeGroups");
    kx_yaml_seq_begin(y);
    for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++)
        if (sim_nodegroup(c->e, g)->region == c->region)
            managed_group(c, g, name);
    kx_yaml_seq_end(y);
    kx_doc_end(c);
}

/* ---- Karpenter ------------------------------------------------------------ */
static void requirement(KxYaml *y, const char *key, const char *const *values, size_t n)
{
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "key", key);
    kx_yaml_kv_str(y, "operator", "In");
    kx_yaml_str(y, "values");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < n; i++)
        kx_yaml_str(y, values[i]);
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
}

static void pool_requirements(KxCtx *c, const SimNodeGroup *ng)
{
    KxYaml *y = c->y;
    const char *cap = ng->spot ? "spot" : "on-demand";
    kx_yaml_str(y, "requirements");
    kx_yaml_seq_begin(y);
    if (ng->instance_type)
        requirement(y, "node.kubernetes.io/instance-type", (const char *const *)&ng->instance_type, 1);
    requirement(y, "karpenter.sh/capacity-type", &cap, 1);
    for (size_t i = 0; i < ng->nzones; i++) {   /* one requirement listing every zone */
        if (i == 0) {
            kx_yaml_map_begin(y);
            kx_yaml_kv_str(y, "key", "topology.kubernetes.io/zone");
            kx_yaml_kv_str(y, "operator", "In");
            kx_yaml_str(y, "values");
            kx_yaml_seq_begin(y);
        }
        kx_yaml_str(y, sim_zone(c->e, ng->zones[i])->name);
        if (i + 1 == ng->nzones) {
            kx_yaml_seq_end(y);
            kx_yaml_map_end(y);
        }
    }
    kx_yaml_seq_end(y);
}

static void pool_template(KxCtx *c, const SimNodeGroup *ng)
{
    KxYaml *y = c->y;
    kx_yaml_str(y, "template");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "labels");
    kx_yaml_map_begin(y);
    for (size_t i = 0; i < ng->nlabels; i++)
        kx_yaml_kv_str(y, ng->labels[i].key, ng->labels[i].value);
    kx_yaml_kv_str(y, "kubesim.io/node-group", ng->name);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    pool_requirements(c, ng);
    if (ng->ntaints > 0) {
        kx_yaml_str(y, "taints");
        kx_yaml_seq_begin(y);
        for (size_t i = 0; i < ng->ntaints; i++) {
            kx_yaml_map_begin(y);
            kx_yaml_kv_str(y, "key", ng->taints[i].key);
            if (ng->taints[i].value && *ng->taints[i].value)
                kx_yaml_kv_str(y, "value", ng->taints[i].value);
            kx_yaml_kv_str(y, "effect", kx_taint_effect((int)ng->taints[i].effect));
            kx_yaml_map_end(y);
        }
        kx_yaml_seq_end(y);
    }
    kx_yaml_str(y, "nodeClassRef");   /* the cloud's node class: the team's own, named "default" */
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "group", "karpenter.k8s.aws");
    kx_yaml_kv_str(y, "kind", "EC2NodeClass");
    kx_yaml_kv_str(y, "name", "default");
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

static void note_double(KxYaml *y, const char *key, double v, double deflt)
{
    if (v != deflt)
        kx_kv_double(y, key, v);
}

/* Karpenter has no minimum, size or price, and picks the instance type
 * (so a node's allocatable) itself: they stay kubesim.io/ annotations, and
 * import reads them back. */
static void pool_annotations(KxCtx *c, uint32_t g)
{
    const SimNodeGroup *ng = sim_nodegroup(c->e, g);
    char buf[32];
    kx_yaml_str(c->y, "annotations");
    kx_yaml_map_begin(c->y);
    snprintf(buf, sizeof buf, "%d", (int)ng->min);
    kx_yaml_kv_str(c->y, "kubesim.io/min", buf);
    snprintf(buf, sizeof buf, "%d", (int)ng->max);
    kx_yaml_kv_str(c->y, "kubesim.io/max", buf);
    snprintf(buf, sizeof buf, "%d", (int)start_size(c, g));
    kx_yaml_kv_str(c->y, "kubesim.io/size", buf);
    if (!ng->price_unknown)
        kx_kv_double(c->y, "kubesim.io/price-per-hour", ng->price_per_hour);
    kx_kv_duration(c->y, "kubesim.io/provisioning-delay", ng->provision_delay);
    kx_kv_quantity(c->y, "kubesim.io/cpu", ng->alloc.cpu_m, 1);
    kx_kv_quantity(c->y, "kubesim.io/memory", ng->alloc.mem, 0);
    snprintf(buf, sizeof buf, "%lld", (long long)ng->alloc.gpu);
    if (ng->alloc.gpu)
        kx_yaml_kv_str(c->y, "kubesim.io/gpu", buf);
    snprintf(buf, sizeof buf, "%lld", (long long)ng->alloc.pods);
    kx_yaml_kv_str(c->y, "kubesim.io/pods", buf);
    snprintf(buf, sizeof buf, "%d", (int)ng->expander_priority);
    if (ng->expander_priority != 0)   /* weight holds 1-100 only */
        kx_yaml_kv_str(c->y, "kubesim.io/expander-priority", buf);
    note_double(c->y, "kubesim.io/speed", ng->speed, 1.0);
    note_double(c->y, "kubesim.io/gpu-speedup", ng->gpu_speedup, 1.0);
    note_double(c->y, "kubesim.io/spot-interruptions-per-hour", ng->spot_interruptions_per_hour, 0.0);
    kx_yaml_map_end(c->y);
}

static void nodepool(KxCtx *c, uint32_t g)
{
    const SimNodeGroup *ng = sim_nodegroup(c->e, g);
    SchedCaConfig f;
    cfg(c, &f);
    KxYaml *y = c->y;
    kx_doc_begin(c, "karpenter.sh/v1", "NodePool");
    kx_meta(c, ng->name, NULL, 1);
    pool_annotations(c, g);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    pool_template(c, ng);
    kx_yaml_str(y, "limits");   /* max nodes as the resources of max nodes */
    kx_yaml_map_begin(y);
    kx_kv_quantity(y, "cpu", ng->alloc.cpu_m * ng->max, 1);
    kx_kv_quantity(y, "memory", ng->alloc.mem * ng->max, 0);
    if (ng->alloc.gpu > 0)
        kx_kv_quantity(y, "nvidia.com/gpu", ng->alloc.gpu * ng->max, 0);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "disruption");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "consolidationPolicy", "WhenEmptyOrUnderutilized");
    if (f.scale_down_enabled)
        kx_kv_duration(y, "consolidateAfter", f.scale_down_unneeded_time);
    else
        kx_yaml_kv_str(y, "consolidateAfter", "Never");
    kx_yaml_map_end(y);
    if (ng->expander_priority > 0)
        kx_yaml_kv_int(y, "weight", ng->expander_priority > 100 ? 100 : ng->expander_priority);
    kx_yaml_map_end(y);
    kx_doc_end(c);
    kx_cluster_scoped(c, "NodePool", ng->name);
}

void kx_emit_nodepools(KxCtx *c)
{
    for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++)
        if (sim_nodegroup(c->e, g)->region == c->region)
            nodepool(c, g);
}
