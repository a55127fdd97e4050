/*
 * export_pod.c: a workload's pod template. One container (kubesim's model
 * has one per pod) with the declared image or a placeholder, the declared
 * requests and the limits as admitted (a LimitRange's default limit is
 * written out; request defaults are left to the API server),
 * the scheduling constraints as declared, and the restricted Pod Security
 * Standard. Serving pods get a port and HTTP probes. What has no Kubernetes
 * field (start-up delay, run time, declared usage) goes into kubesim.io/
 * annotations.
 */
#include "k8s-export/export_int.h"

#include <stdio.h>
#include <string.h>

#include "workloads/queue.h"
#include "workloads/traffic.h"

void kx_pod_app(const SimWorkload *w, char *buf, size_t n)
{
    const char *v = kx_pod_label(&w->spec, "app.kubernetes.io/name");
    kx_label_value(v ? v : w->name, buf, n);
}

/* The declared labels, then ours where the scenario did not set them. */
static void pod_labels(KxCtx *c, const SimWorkload *w)
{
    char app[64];
    kx_pod_app(w, app, sizeof app);
    kx_yaml_str(c->y, "labels");
    kx_yaml_map_begin(c->y);
    for (size_t i = 0; i < w->spec.nlabels; i++)
        kx_yaml_kv_str(c->y, w->spec.labels[i].key, w->spec.labels[i].value);
    if (!kx_pod_label(&w->spec, "app.kubernetes.io/name"))
        kx_yaml_kv_str(c->y, "app.kubernetes.io/name", app);
    if (!kx_pod_label(&w->spec, "app.kubernetes.io/part-of"))
        kx_yaml_kv_str(c->y, "app.kubernetes.io/part-of", c->scenario);
    if (!kx_pod_label(&w->spec, "kubesim.io/scenario"))
        kx_yaml_kv_str(c->y, "kubesim.io/scenario", c->scenario);
    kx_yaml_map_end(c->y);
}

void kx_pod_match_labels(KxCtx *c, uint32_t wl)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    const char *scn = kx_pod_label(&w->spec, "kubesim.io/scenario");
    char app[64];
    kx_pod_app(w, app, sizeof app);
    kx_yaml_map_begin(c->y);
    kx_yaml_kv_str(c->y, "app.kubernetes.io/name", app);
    kx_yaml_kv_str(c->y, "kubesim.io/scenario", scn ? scn : c->scenario);
    kx_yaml_map_end(c->y);
}

void kx_pod_selector(KxCtx *c, uint32_t wl)
{
    kx_yaml_str(c->y, "selector");
    kx_yaml_map_begin(c->y);
    kx_yaml_str(c->y, "matchLabels");
    kx_pod_match_labels(c, wl);
    kx_yaml_map_end(c->y);
}

/* Simulation-only settings of the pod, for a later import. */
static void pod_annotations(KxCtx *c, const SimWorkload *w)
{
    const SimPodSpec *s = &w->spec;
    KxYaml *y = c->y;
    kx_yaml_str(y, "annotations");
    kx_yaml_map_begin(y);
    kx_kv_duration(y, "kubesim.io/startup", s->startup);
    if (s->duration == SIM_DURATION_BY_WORK)
        kx_yaml_kv_str(y, "kubesim.io/duration", "by-work");
    else if (s->duration > 0)
        kx_kv_duration(y, "kubesim.io/duration", s->duration);
    if (s->usage_cpu_m > 0)
        kx_kv_quantity(y, "kubesim.io/usage-cpu", s->usage_cpu_m, 1);
    if (s->usage_mem > 0)
        kx_kv_quantity(y, "kubesim.io/usage-memory", s->usage_mem, 0);
    if (s->priority != 0 && s->priority_class == NULL) {   /* kubesim's shorthand: no such pod field */
        char buf[16];
        snprintf(buf, sizeof buf, "%d", (int)s->priority);
        kx_yaml_kv_str(y, "kubesim.io/priority", buf);
    }
    if (s->preempt_never)
        kx_yaml_kv_str(y, "kubesim.io/preemption-policy", "Never");
    if (s->node_name)
        kx_yaml_kv_str(y, "kubesim.io/node-name", s->node_name);
    if (s->safe_to_evict)
        kx_yaml_kv_str(y, "cluster-autoscaler.kubernetes.io/safe-to-evict", s->safe_to_evict > 0 ? "true" : "false");
    kx_yaml_map_end(y);
}

static void tolerations(KxYaml *y, const SimPodSpec *s)
{
    kx_yaml_str(y, "tolerations");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < s->ntolerations; i++) {
        const SimToleration *t = &s->tolerations[i];
        kx_yaml_map_begin(y);
        if (t->key && *t->key)
            kx_yaml_kv_str(y, "key", t->key);
        kx_yaml_kv_str(y, "operator", t->op == SIM_TOL_EXISTS ? "Exists" : "Equal");
        if (t->op == SIM_TOL_EQUAL && t->value)
            kx_yaml_kv_str(y, "value", t->value);
        if (t->effect >= 0)
            kx_yaml_kv_str(y, "effect", kx_taint_effect(t->effect));
        if (t->seconds >= 0)
            kx_yaml_kv_int(y, "tolerationSeconds", t->seconds);
        kx_yaml_map_end(y);
    }
    kx_yaml_seq_end(y);
}

static void spread(KxYaml *y, const SimPodSpec *s)
{
    kx_yaml_str(y, "topologySpreadConstraints");
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < s->nspread; i++) {
        const SimSpread *t = &s->spread[i];
        kx_yaml_map_begin(y);
        kx_yaml_kv_int(y, "maxSkew", t->max_skew);
        kx_yaml_kv_str(y, "topologyKey", t->topology_key);
        kx_yaml_kv_str(y, "whenUnsatisfiable", t->do_not_schedule ? "DoNotSchedule" : "ScheduleAnyway");
        kx_yaml_str(y, "labelSelector");
        kx_label_selector(y, &t->selector);
        if (t->min_domains > 0)
            kx_yaml_kv_int(y, "minDomains", t->min_domains);
        kx_yaml_map_end(y);
    }
    kx_yaml_seq_end(y);
}

static void node_affinity(KxYaml *y, const SimPodSpec *s)
{
    kx_yaml_str(y, "nodeAffinity");
    kx_yaml_map_begin(y);
    if (s->nnode_required > 0) {
        kx_yaml_str(y, "requiredDuringSchedulingIgnoredDuringExecution");
        kx_yaml_map_begin(y);
        kx_yaml_str(y, "nodeSelectorTerms");
        kx_yaml_seq_begin(y);
        for (size_t i = 0; i < s->nnode_required; i++) {
            kx_yaml_map_begin(y);
            kx_yaml_str(y, "matchExpressions");
            kx_node_requirements(y, &s->node_required[i]);
            kx_yaml_map_end(y);
        }
        kx_yaml_seq_end(y);
        kx_yaml_map_end(y);
    }
    if (s->nnode_preferred > 0) {
        kx_yaml_str(y, "preferredDuringSchedulingIgnoredDuringExecution");
        kx_yaml_seq_begin(y);
        for (size_t i = 0; i < s->nnode_preferred; i++) {
            kx_yaml_map_begin(y);
            kx_yaml_kv_int(y, "weight", s->node_preferred[i].weight);
            kx_yaml_str(y, "preference");
            kx_yaml_map_begin(y);
            kx_yaml_str(y, "matchExpressions");
            kx_node_requirements(y, &s->node_preferred[i].term);
            kx_yaml_map_end(y);
            kx_yaml_map_end(y);
        }
        kx_yaml_seq_end(y);
    }
    kx_yaml_map_end(y);
}

static void pod_term(KxYaml *y, const SimPodAffinityTerm *t)
{
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "labelSelector");
    kx_label_selector(y, &t->selector);
    kx_yaml_kv_str(y, "topologyKey", t->topology_key);
    kx_yaml_map_end(y);
}

/* One of podAffinity / podAntiAffinity from its required and preferred terms. */
static void pod_terms(KxYaml *y, const char *key, const SimPodAffinityTerm *req, size_t nreq,
                      const SimPodAffinityTerm *pref, size_t npref)
{
    if (nreq + npref == 0)
        return;
    kx_yaml_str(y, key);
    kx_yaml_map_begin(y);
    if (nreq > 0) {
        kx_yaml_str(y, "requiredDuringSchedulingIgnoredDuringExecution");
        kx_yaml_seq_begin(y);
        for (size_t i = 0; i < nreq; i++)
            pod_term(y, &req[i]);
        kx_yaml_seq_end(y);
    }
    if (npref > 0) {
        kx_yaml_str(y, "preferredDuringSchedulingIgnoredDuringExecution");
        kx_yaml_seq_begin(y);
        for (size_t i = 0; i < npref; i++) {
            kx_yaml_map_begin(y);
            kx_yaml_kv_int(y, "weight", pref[i].weight);
            kx_yaml_str(y, "podAffinityTerm");
            pod_term(y, &pref[i]);
            kx_yaml_map_end(y);
        }
        kx_yaml_seq_end(y);
    }
    kx_yaml_map_end(y);
}

static void affinity(KxYaml *y, const SimPodSpec *s)
{
    const SimPodAffinity *a = &s->affinity;
    int node = s->nnode_required + s->nnode_preferred > 0;
    int pod = a->nreq_affinity + a->npref_affinity + a->nreq_anti + a->npref_anti > 0;
    if (!node && !pod)
        return;
    kx_yaml_str(y, "affinity");
    kx_yaml_map_begin(y);
    if (node)
        node_affinity(y, s);
    pod_terms(y, "podAffinity", a->req_affinity, a->nreq_affinity, a->pref_affinity, a->npref_affinity);
    pod_terms(y, "podAntiAffinity", a->req_anti, a->nreq_anti, a->pref_anti, a->npref_anti);
    kx_yaml_map_end(y);
}

/* One of requests / limits; GPUs are an extended resource, equal in both. */
static void res_map(KxYaml *y, const char *key, int64_t cpu_m, int64_t mem, int64_t gpu)
{
    if (cpu_m <= 0 && mem <= 0 && gpu <= 0)
        return;
    kx_yaml_str(y, key);
    kx_yaml_map_begin(y);
    if (cpu_m > 0)
        kx_kv_quantity(y, "cpu", cpu_m, 1);
    if (mem > 0)
        kx_kv_quantity(y, "memory", mem, 0);
    if (gpu > 0)
        kx_kv_quantity(y, "nvidia.com/gpu", gpu, 0);
    kx_yaml_map_end(y);
}

/* Requests as declared; limits as the pod was admitted in the simulation:
 * declared, else the namespace's LimitRange default. Writing the default
 * out changes nothing on the cluster (the LimitRanger would apply the same
 * value) and makes every container carry its limits, as policies that
 * require limits expect. */
static void resources(KxCtx *c, uint32_t wl, const SimPodSpec *s)
{
    KxYaml *y = c->y;
    SimAdmitted a;
    int64_t lim_cpu = s->lim_cpu_m, lim_mem = s->lim_mem;
    if (sim_admission_resolve(c->e, wl, &a) == SIM_OK) {
        lim_cpu = lim_cpu ? lim_cpu : a.lim_cpu_m;
        lim_mem = lim_mem ? lim_mem : a.lim_mem;
    }
    kx_yaml_str(y, "resources");
    kx_yaml_map_begin(y);
    res_map(y, "requests", s->req.cpu_m, s->req.mem, s->req.gpu);
    res_map(y, "limits", lim_cpu, lim_mem, s->req.gpu);
    kx_yaml_map_end(y);
}

static void probe(KxYaml *y, const char *key, const char *path, int64_t delay_s, int64_t period_s)
{
    kx_yaml_str(y, key);
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "httpGet");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "path", path);
    kx_yaml_kv_str(y, "port", "http");
    kx_yaml_map_end(y);
    kx_yaml_kv_int(y, "initialDelaySeconds", delay_s);
    kx_yaml_kv_int(y, "periodSeconds", period_s);
    kx_yaml_map_end(y);
}

/* The port and probes of a serving pod: Ready after its start-up delay, as
 * the simulation makes it. */
static void serving(KxYaml *y, const SimPodSpec *s)
{
    int64_t ready_s = (s->startup + SIM_NS_PER_S - 1) / SIM_NS_PER_S;
    kx_yaml_str(y, "ports");
    kx_yaml_seq_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", "http");
    kx_yaml_kv_int(y, "containerPort", KX_SERVE_PORT);
    kx_yaml_kv_str(y, "protocol", "TCP");
    kx_yaml_map_end(y);
    kx_yaml_seq_end(y);
    probe(y, "readinessProbe", "/readyz", ready_s, 5);
    probe(y, "livenessProbe", "/healthz", ready_s + 10, 10);
}

void kx_restricted_container(KxYaml *y, int read_only_root)
{
    kx_yaml_str(y, "securityContext");
    kx_yaml_map_begin(y);
    kx_yaml_kv_bool(y, "allowPrivilegeEscalation", 0);
    if (read_only_root)
        kx_yaml_kv_bool(y, "readOnlyRootFilesystem", 1);
    kx_yaml_kv_bool(y, "runAsNonRoot", 1);
    kx_yaml_str(y, "capabilities");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "drop");
    kx_yaml_seq_begin(y);
    kx_yaml_str(y, "ALL");
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "seccompProfile");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "type", "RuntimeDefault");
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

void kx_restricted_pod(KxYaml *y, int fs_group)
{
    kx_yaml_str(y, "securityContext");
    kx_yaml_map_begin(y);
    kx_yaml_kv_bool(y, "runAsNonRoot", 1);
    kx_yaml_kv_int(y, "runAsUser", KX_RUN_AS);
    kx_yaml_kv_int(y, "runAsGroup", KX_RUN_AS);
    if (fs_group)
        kx_yaml_kv_int(y, "fsGroup", KX_RUN_AS);
    kx_yaml_str(y, "seccompProfile");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "type", "RuntimeDefault");
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

static void container(KxCtx *c, uint32_t wl, const SimWorkload *w, int serves, int volume)
{
    KxYaml *y = c->y;
    char image[300];
    if (w->spec.image)
        snprintf(image, sizeof image, "%s", w->spec.image);
    else
        snprintf(image, sizeof image, "registry.example/%s:latest", w->name);
    kx_yaml_str(y, "containers");
    kx_yaml_seq_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", KX_CONTAINER);
    kx_yaml_kv_str(y, "image", image);
    resources(c, wl, &w->spec);
    if (serves)
        serving(y, &w->spec);
    kx_restricted_container(y, 0);
    if (volume || w->spec.local_storage) {
        kx_yaml_str(y, "volumeMounts");
        kx_yaml_seq_begin(y);
        kx_yaml_map_begin(y);
        kx_yaml_kv_str(y, "name", volume ? "data" : "scratch");
        kx_yaml_kv_str(y, "mountPath", volume ? "/data" : "/scratch");
        kx_yaml_map_end(y);
        kx_yaml_seq_end(y);
    }
    kx_yaml_map_end(y);
    kx_yaml_seq_end(y);
}

/* A pod that mounts local storage gets an emptyDir (what blocks the
 * autoscaler's scale-down of its node). */
static void scratch_volume(KxYaml *y)
{
    kx_yaml_str(y, "volumes");
    kx_yaml_seq_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", "scratch");
    kx_yaml_str(y, "emptyDir");
    kx_yaml_map_begin(y);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_seq_end(y);
}

static void scheduling(KxCtx *c, uint32_t wl, const SimPodSpec *s)
{
    KxYaml *y = c->y;
    const SimPriorityClass *pc = sim_priorityclass_of(c->e, wl);
    if (s->priority_class)
        kx_yaml_kv_str(y, "priorityClassName", s->priority_class);
    else if (pc && !c->o->global_default_priority)   /* the default class, not written as one (export_policy.c) */
        kx_yaml_kv_str(y, "priorityClassName", pc->name);
    if (s->node_selector.nreqs > 0) {
        kx_yaml_str(y, "nodeSelector");
        kx_yaml_map_begin(y);
        for (size_t i = 0; i < s->node_selector.nreqs; i++)
            kx_yaml_kv_str(y, s->node_selector.reqs[i].key, s->node_selector.reqs[i].values[0]);
        kx_yaml_map_end(y);
    }
    affinity(y, s);
    if (s->ntolerations > 0)
        tolerations(y, s);
    if (s->nspread > 0)
        spread(y, s);
}

void kx_pod_template(KxCtx *c, uint32_t wl, KxPodKind kind)
{
    const SimWorkload *w = sim_workload(c->e, wl);
    WlServe serve;
    int serves = kind == KX_POD_SERVICE && wl_traffic_serving(c->wl, wl, &serve);
    int volume = w->kind == SIM_WL_STATEFULSET && w->volume > 0;
    KxYaml *y = c->y;
    kx_yaml_str(y, "template");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    pod_labels(c, w);
    pod_annotations(c, w);
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "restartPolicy", kind == KX_POD_BATCH ? "Never" : "Always");
    if (w->spec.termination_grace_set)   /* unset: the API's default, 30 s */
        kx_yaml_kv_int(y, "terminationGracePeriodSeconds", w->spec.termination_grace / SIM_NS_PER_S);
    scheduling(c, wl, &w->spec);
    kx_restricted_pod(y, 0);
    container(c, wl, w, serves, volume);
    if (w->spec.local_storage && !volume)
        scratch_volume(y);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}
