/*
 * export_policy.c: cluster set-up: Namespaces (those the scenario sets up,
 * or all with --namespaces; the Pod Security label only with
 * --pod-security), PriorityClasses (globalDefault only with
 * --global-default-priority), ResourceQuotas, LimitRanges and
 * PodDisruptionBudgets.
 */
#include "k8s-export/export_int.h"

#include <stdio.h>
#include <string.h>

int kx_pod_security_level(const char *level)
{
    return strcmp(level, "privileged") == 0 || strcmp(level, "baseline") == 0 || strcmp(level, "restricted") == 0;
}

/* The scenario sets a namespace up in a region when it gives it a quota or
 * a LimitRange there; a namespace only its workloads use is taken to exist
 * in the cluster already (a team's namespace), so the export leaves it, its
 * labels and its lifetime alone (`kubectl delete -k` would delete it). */
static int set_up(KxCtx *c, uint32_t ns)
{
    for (uint32_t i = 0; i < sim_quota_count(c->e); i++)
        if (sim_quota(c->e, i)->ns == ns && sim_quota(c->e, i)->region == c->region)
            return 1;
    for (uint32_t i = 0; i < sim_limitrange_count(c->e); i++)
        if (sim_limitrange(c->e, i)->ns == ns && sim_limitrange(c->e, i)->region == c->region)
            return 1;
    return 0;
}

void kx_emit_namespaces(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_namespace_count(c->e); i++) {
        const char *name = kx_ns_name(c, i);
        if (strcmp(name, "default") == 0 || !(c->o->namespaces || set_up(c, i)))   /* every cluster has default */
            continue;
        kx_doc_begin(c, "v1", "Namespace");
        kx_yaml_str(c->y, "metadata");
        kx_yaml_map_begin(c->y);
        kx_yaml_kv_str(c->y, "name", name);
        kx_labels_begin(c, name);
        if (c->o->pod_security)   /* every pod we export meets restricted; the level is the team's call */
            kx_yaml_kv_str(c->y, "pod-security.kubernetes.io/enforce", c->o->pod_security);
        kx_yaml_map_end(c->y);
        kx_yaml_map_end(c->y);
        kx_doc_end(c);
        kx_cluster_scoped(c, "Namespace", name);
    }
}

/* A globalDefault class changes the priority of every pod of the cluster
 * created without one, the scenario's or not: written as such only on
 * request. Otherwise it is a plain class, annotated so that import gives the
 * scenario back, and the exported pods that would get it name it
 * (export_pod.c), so they run at the priority the simulation gave them. */
void kx_emit_priorityclasses(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_priorityclass_count(c->e); i++) {
        const SimPriorityClass *pc = sim_priorityclass(c->e, i);
        if (pc->builtin)
            continue;   /* the API server has it: applying it again would be refused */
        int quiet_default = pc->global_default && !c->o->global_default_priority;
        kx_doc_begin(c, "scheduling.k8s.io/v1", "PriorityClass");
        kx_meta(c, pc->name, NULL, quiet_default);
        if (quiet_default) {
            kx_yaml_str(c->y, "annotations");
            kx_yaml_map_begin(c->y);
            kx_yaml_kv_str(c->y, "kubesim.io/global-default", "true");
            kx_yaml_map_end(c->y);
            kx_yaml_map_end(c->y);
        }
        kx_yaml_kv_int(c->y, "value", pc->value);
        kx_yaml_kv_bool(c->y, "globalDefault", pc->global_default && !quiet_default);
        kx_yaml_kv_str(c->y, "preemptionPolicy", pc->preempt_never ? "Never" : "PreemptLowerPriority");
        kx_doc_end(c);
        kx_cluster_scoped(c, "PriorityClass", pc->name);
    }
}

static void quota_scope(KxYaml *y, const SimSelector *scope)
{
    static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", "In", "In"};
    kx_yaml_str(y, "scopeSelector");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "matchExpressions");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < scope->nreqs; i++) {
        const SimSelReq *r = &scope->reqs[i];
        kx_yaml_map_begin(y);
        kx_yaml_kv_str(y, "scopeName", "PriorityClass");
        kx_yaml_kv_str(y, "operator", ops[r->op]);
        if (r->nvalues > 0) {
            kx_yaml_str(y, "values");
            kx_yaml_seq_begin(y);
            for (size_t k = 0; k < r->nvalues; k++)
                kx_yaml_str(y, r->values[k]);
            kx_yaml_seq_end(y);
        }
        kx_yaml_map_end(y);
    }
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
}

static void quota(KxCtx *c, const SimQuota *q)
{
    char buf[64];
    kx_doc_begin(c, "v1", "ResourceQuota");
    kx_meta(c, q->name, kx_ns_name(c, q->ns), 0);
    kx_yaml_str(c->y, "spec");
    kx_yaml_map_begin(c->y);
    kx_yaml_str(c->y, "hard");
    kx_yaml_map_begin(c->y);
    for (int r = 0; r < SIM_QR_COUNT; r++)
        if (q->hard_set & (1u << r)) {
            sim_quota_res_format((SimQuotaRes)r, q->hard[r], buf, sizeof buf);
            kx_yaml_kv_str(c->y, sim_quota_res_name((SimQuotaRes)r), buf);
        }
    kx_yaml_map_end(c->y);
    if (q->scope.nreqs > 0)
        quota_scope(c->y, &q->scope);
    kx_yaml_map_end(c->y);
    kx_doc_end(c);
}

void kx_emit_quotas(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_quota_count(c->e); i++)
        if (sim_quota(c->e, i)->region == c->region)
            quota(c, sim_quota(c->e, i));
}

static void cpu_mem(KxYaml *y, const char *key, const SimCpuMem *v)
{
    if (v->cpu_m == 0 && v->mem == 0)
        return;
    kx_yaml_str(y, key);
    kx_yaml_map_begin(y);
    if (v->cpu_m)
        kx_kv_quantity(y, "cpu", v->cpu_m, 1);
    if (v->mem)
        kx_kv_quantity(y, "memory", v->mem, 0);
    kx_yaml_map_end(y);
}

/* The LimitRange after upstream's defaulting (the engine keeps it so):
 * applying it gives the same object back. */
static void limitrange(KxCtx *c, const SimLimitRange *lr)
{
    kx_doc_begin(c, "v1", "LimitRange");
    kx_meta(c, lr->name, kx_ns_name(c, lr->ns), 0);
    kx_yaml_str(c->y, "spec");
    kx_yaml_map_begin(c->y);
    kx_yaml_str(c->y, "limits");
    kx_yaml_seq_begin(c->y);
    kx_yaml_map_begin(c->y);
    kx_yaml_kv_str(c->y, "type", "Container");
    cpu_mem(c->y, "default", &lr->deflt);
    cpu_mem(c->y, "defaultRequest", &lr->deflt_req);
    cpu_mem(c->y, "min", &lr->min);
    cpu_mem(c->y, "max", &lr->max);
    kx_yaml_map_end(c->y);
    kx_yaml_seq_end(c->y);
    kx_yaml_map_end(c->y);
    kx_doc_end(c);
}

void kx_emit_limitranges(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_limitrange_count(c->e); i++)
        if (sim_limitrange(c->e, i)->region == c->region)
            limitrange(c, sim_limitrange(c->e, i));
}

static void pdb(KxCtx *c, const SimPdb *p)
{
    kx_doc_begin(c, "policy/v1", "PodDisruptionBudget");
    kx_meta(c, p->name, kx_ns_name(c, p->ns), 0);
    kx_yaml_str(c->y, "spec");
    kx_yaml_map_begin(c->y);
    const char *key = p->max_unavailable ? "maxUnavailable" : "minAvailable";
    if (p->percent) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d%%", (int)p->value);
        kx_yaml_kv_str(c->y, key, buf);
    } else {
        kx_yaml_kv_int(c->y, key, p->value);
    }
    kx_yaml_str(c->y, "selector");
    kx_label_selector(c->y, &p->selector);
    kx_yaml_map_end(c->y);
    kx_doc_end(c);
}

void kx_emit_pdbs(KxCtx *c)
{
    for (uint32_t i = 0; i < sim_pdb_count(c->e); i++)
        if (sim_pdb(c->e, i)->region == c->region)
            pdb(c, sim_pdb(c->e, i));
}
