/*
 * export_nodes.c: node groups. Kubernetes has no node-group object: with
 * the cluster autoscaler they live in the cloud provider's configuration and
 * the autoscaler's flags, so the export writes a ConfigMap in kube-system
 * holding both: `flags` (the scenario's autoscaler flags and one --nodes
 * MIN:MAX:NAME per group, one per line, for the autoscaler's container
 * args) and `node-groups.yaml` (each group's shape, zones, labels, taints,
 * price, spot, provisioning delay), plus the priority expander's ConfigMap
 * when that expander is in the chain. With Karpenter each group is a v1
 * NodePool (a CRD: its own file, nodepools.yaml).
 */
#include "k8s-export/export_int.h"

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

static void flag_duration(KxCtx *c, KxBuf *b, const char *flag, SimTime t)
{
    char d[32];
    kx_duration(t, d, sizeof d);
    kx_buf_printf(c, b, "--%s=%s\n", flag, d);
}

static void flag_list(KxCtx *c, KxBuf *b, const SchedCaConfig *f)
{
    kx_buf_printf(c, b, "--expander=");
    for (size_t i = 0; i < f->nexpanders; i++)
        kx_buf_printf(c, b, "%s%s", i ? "," : "", sched_ca_expander_name(f->expanders[i]));
    kx_buf_printf(c, b, "\n");
    flag_duration(c, b, "scan-interval", f->scan_interval);
    kx_buf_printf(c, b, "--max-nodes-total=%d\n--max-nodes-per-scaleup=%d\n", (int)f->max_nodes_total,
                  (int)f->max_nodes_per_scaleup);
    flag_duration(c, b, "max-node-provision-time", f->max_node_provision_time);
    flag_duration(c, b, "initial-node-group-backoff-duration", f->initial_backoff);
    flag_duration(c, b, "max-node-group-backoff-duration", f->max_backoff);
    kx_buf_printf(c, b, "--expendable-pods-priority-cutoff=%d\n", (int)f->expendable_pods_priority_cutoff);
    kx_buf_printf(c, b, "--scale-down-enabled=%s\n", f->scale_down_enabled ? "true" : "false");
    kx_buf_printf(c, b, "--scale-down-utilization-threshold=%.15g\n", f->scale_down_utilization_threshold);
    kx_buf_printf(c, b, "--scale-down-gpu-utilization-threshold=%.15g\n", f->scale_down_gpu_utilization_threshold);
    flag_duration(c, b, "scale-down-unneeded-time", f->scale_down_unneeded_time);
    flag_duration(c, b, "scale-down-unready-time", f->scale_down_unready_time);
    flag_duration(c, b, "scale-down-delay-after-add", f->scale_down_delay_after_add);
    flag_duration(c, b, "scale-down-delay-after-delete", f->scale_down_delay_after_delete);
    flag_duration(c, b, "scale-down-delay-after-failure", f->scale_down_delay_after_failure);
    kx_buf_printf(c, b, "--max-empty-bulk-delete=%d\n", (int)f->max_empty_bulk_delete);
    flag_duration(c, b, "unremovable-node-recheck-timeout", f->unremovable_node_recheck_timeout);
}

static void flags(KxCtx *c, KxBuf *b)
{
    SchedCaConfig f;
    cfg(c, &f);
    flag_list(c, b, &f);
    for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++) {
        const SimNodeGroup *ng = sim_nodegroup(c->e, g);
        if (ng->region == c->region)
            kx_buf_printf(c, b, "--nodes=%d:%d:%s\n", (int)ng->min, (int)ng->max, ng->name);
    }
}

static void group_kv(KxCtx *c, KxBuf *b, const char *key, const SimKV *kv, size_t n)
{
    kx_buf_printf(c, b, "  %s:%s\n", key, n ? "" : " {}");
    for (size_t i = 0; i < n; i++)
        kx_buf_printf(c, b, "    \"%s\": \"%s\"\n", kv[i].key, kv[i].value);
}

/* One group as YAML text (names and values are Kubernetes names and label
 * values, which need no escaping inside double quotes). */
static void group_text(KxCtx *c, KxBuf *b, uint32_t g)
{
    const SimNodeGroup *ng = sim_nodegroup(c->e, g);
    char cpu[32], mem[32], delay[32];
    sim_quantity_format(ng->alloc.cpu_m, 1, cpu, sizeof cpu);
    sim_quantity_format(ng->alloc.mem, 0, mem, sizeof mem);
    kx_duration(ng->provision_delay, delay, sizeof delay);
    kx_buf_printf(c, b, "- name: \"%s\"\n  instanceType: \"%s\"\n  min: %d\n  max: %d\n  size: %d\n", ng->name,
                  ng->instance_type ? ng->instance_type : "", (int)ng->min, (int)ng->max, (int)start_size(c, g));
    kx_buf_printf(c, b, "  capacity: {cpu: \"%s\", memory: \"%s\", nvidia.com/gpu: %lld, pods: %lld}\n", cpu, mem,
                  (long long)ng->alloc.gpu, (long long)ng->alloc.pods);
    if (!ng->price_unknown)   /* no price: none written, so the import reads it back as unknown */
        kx_buf_printf(c, b, "  pricePerHour: %.15g\n", ng->price_per_hour);
    kx_buf_printf(c, b, "  spot: %s\n  spotInterruptionsPerHour: %.15g\n", ng->spot ? "true" : "false",
                  ng->spot_interruptions_per_hour);
    kx_buf_printf(c, b, "  provisioningDelay: \"%s\"\n  expanderPriority: %d\n  speed: %.15g\n  gpuSpeedup: %.15g\n",
                  delay, (int)ng->expander_priority, ng->speed, ng->gpu_speedup);
    kx_buf_printf(c, b, "  zones: [");
    for (size_t i = 0; i < ng->nzones; i++)
        kx_buf_printf(c, b, "%s\"%s\"", i ? ", " : "", sim_zone(c->e, ng->zones[i])->name);
    kx_buf_printf(c, b, "]\n");
    group_kv(c, b, "labels", ng->labels, ng->nlabels);
    kx_buf_printf(c, b, "  taints:%s\n", ng->ntaints ? "" : " []");
    for (size_t i = 0; i < ng->ntaints; i++)
        kx_buf_printf(c, b, "  - {key: \"%s\", value: \"%s\", effect: %s}\n", ng->taints[i].key,
                      ng->taints[i].value ? ng->taints[i].value : "", kx_taint_effect((int)ng->taints[i].effect));
}

static void config_map(KxCtx *c, const char *name, const char *const *keys, KxBuf *texts, size_t n)
{
    kx_doc_begin(c, "v1", "ConfigMap");
    kx_meta(c, name, "kube-system", 0);
    kx_yaml_str(c->y, "data");
    kx_yaml_map_begin(c->y);
    for (size_t i = 0; i < n; i++) {
        kx_yaml_str(c->y, keys[i]);
        kx_yaml_block(c->y, texts[i].s ? texts[i].s : "");
    }
    kx_yaml_map_end(c->y);
    kx_doc_end(c);
}

/* upstream's priority expander ConfigMap: priority -> name regexps, highest first. */
static void priorities(KxCtx *c)
{
    SchedCaConfig f;
    cfg(c, &f);
    int used = 0;
    for (size_t i = 0; i < f.nexpanders; i++)
        used |= f.expanders[i] == SCHED_CA_PRIORITY;
    if (!used)
        return;
    KxBuf b = {0};
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
        kx_buf_printf(c, &b, "%d:\n", (int)p);
        for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++) {
            const SimNodeGroup *ng = sim_nodegroup(c->e, g);
            if (ng->region == c->region && ng->expander_priority == p)
                kx_buf_printf(c, &b, "  - ^%s$\n", ng->name);
        }
        last = p;
    }
    static const char *const keys[] = {"priorities"};
    config_map(c, "cluster-autoscaler-priority-expander", keys, &b, 1);
    kx_buf_free(c, &b);
}

void kx_emit_autoscaler(KxCtx *c)
{
    KxBuf t[2] = {{0}, {0}};
    int any = 0;
    flags(c, &t[0]);
    for (uint32_t g = 0; g < sim_nodegroup_count(c->e); g++)
        if (sim_nodegroup(c->e, g)->region == c->region) {
            group_text(c, &t[1], g);
            any = 1;
        }
    if (any) {
        static const char *const keys[] = {"flags", "node-groups.yaml"};
        config_map(c, "kubesim-node-groups", keys, t, 2);
        priorities(c);
    }
    kx_buf_free(c, &t[0]);
    kx_buf_free(c, &t[1]);
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

/* Karpenter has no minimum or price: they stay kubesim.io/ annotations. */
static void pool_annotations(KxCtx *c, uint32_t g)
{
    const SimNodeGroup *ng = sim_nodegroup(c->e, g);
    char buf[32];
    kx_yaml_str(c->y, "annotations");
    kx_yaml_map_begin(c->y);
    snprintf(buf, sizeof buf, "%d", (int)ng->min);
    kx_yaml_kv_str(c->y, "kubesim.io/min", buf);
    snprintf(buf, sizeof buf, "%d", (int)start_size(c, g));
    kx_yaml_kv_str(c->y, "kubesim.io/size", buf);
    if (!ng->price_unknown)
        kx_kv_double(c->y, "kubesim.io/price-per-hour", ng->price_per_hour);
    kx_kv_duration(c->y, "kubesim.io/provisioning-delay", ng->provision_delay);
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
