/*
 * import_pod.c: a pod template as the pod-template fields of a workload
 * declaration. Requests and limits are summed over the containers, and an
 * init container's count when it is larger (init containers run one at a
 * time before the others), as the scheduler computes a pod's request; GPUs
 * are nvidia.com/gpu. The export's kubesim.io/ annotations restore the
 * simulation-only settings.
 *
 * The pod's overhead (spec.overhead, set from its RuntimeClass) is added to
 * the requests, as upstream's scheduler does (requests + overhead) and as
 * `explain schedule` reads a pod (kube_effective_request); limits stay as
 * declared.
 *
 * The cluster autoscaler's annotations (safe-to-evict, and the local volumes
 * declared safe to evict) mean what the kube reader says they mean
 * (kube_safe_to_evict, kube_volume_blocks), as for `explain autoscaler`.
 *
 * Simplification: sidecar init containers (restartPolicy Always, counted with
 * the app containers upstream) are not distinguished: every init container
 * counts as a plain one.
 */
#include "k8s-export/import_int.h"

#include "kube/kube.h"

/* One container's fields, as the kube reader defaults them
 * (kube_container_request: a limit without a request sets the request). */
static void add_container(KxImp *c, const KubeYNode *ct, KxPodRes *sum, int init)
{
    const KubeYNode *req = kube_y_map(c->y, ct, "resources.requests"), *lim = kube_y_map(c->y, ct, "resources.limits");
    KubeContainerRes k = {{0, 0, 0, 0}, {0, 0, 0, 0}, 0, 0};
    const KubeYNode *x;
    if ((x = kube_y_get(req, "cpu")) != NULL)
        k.req.cpu_m = kx_quantity(c, x, 1), k.given_req |= KUBE_RES_CPU;
    if ((x = kube_y_get(req, "memory")) != NULL)
        k.req.mem = kx_quantity(c, x, 0), k.given_req |= KUBE_RES_MEM;
    if ((x = kube_y_child(req, "nvidia.com/gpu")) != NULL)
        k.req.gpu = kx_int(c, x, 0, 64), k.given_req |= KUBE_RES_GPU;
    if ((x = kube_y_get(lim, "cpu")) != NULL)
        k.lim.cpu_m = kx_quantity(c, x, 1), k.given_lim |= KUBE_RES_CPU;
    if ((x = kube_y_get(lim, "memory")) != NULL)
        k.lim.mem = kx_quantity(c, x, 0), k.given_lim |= KUBE_RES_MEM;
    if ((x = kube_y_child(lim, "nvidia.com/gpu")) != NULL)
        k.lim.gpu = kx_int(c, x, 0, 64), k.given_lim |= KUBE_RES_GPU;
    SimRes r = kube_container_request(&k);
    KxPodRes one = {r.cpu_m, r.mem, r.gpu, k.lim.cpu_m, k.lim.mem, (k.given_lim & KUBE_RES_CPU) != 0,
                    (k.given_lim & KUBE_RES_MEM) != 0};
    if (init) {
        sum->cpu = sum->cpu > one.cpu ? sum->cpu : one.cpu;
        sum->memory = sum->memory > one.memory ? sum->memory : one.memory;
        sum->gpu = sum->gpu > one.gpu ? sum->gpu : one.gpu;
        return;
    }
    sum->cpu += one.cpu, sum->memory += one.memory, sum->gpu += one.gpu;
    sum->cpu_limit += one.cpu_limit, sum->memory_limit += one.memory_limit;
    sum->has_cpu_limit |= one.has_cpu_limit, sum->has_memory_limit |= one.has_memory_limit;
}

void kx_pod_resources(KxImp *c, const KubeYNode *spec, KxPodRes *r)
{
    KxPodRes app = {0}, init = {0};
    const KubeYNode *cs = kube_y_seq(c->y, spec, "containers"), *is = kube_y_seq(c->y, spec, "initContainers");
    for (const KubeYNode *ct = cs ? cs->first : NULL; ct && kube_y_want(c->y, ct, KUBE_Y_MAP); ct = ct->next)
        add_container(c, ct, &app, 0);
    for (const KubeYNode *ct = is ? is->first : NULL; ct && kube_y_want(c->y, ct, KUBE_Y_MAP); ct = ct->next)
        add_container(c, ct, &init, 1);
    const KubeYNode *over = kube_y_map(c->y, spec, "overhead"), *x;
    SimRes a = {app.cpu, app.memory, app.gpu, 0}, i = {init.cpu, init.memory, init.gpu, 0}, o = {0, 0, 0, 0};
    if ((x = kube_y_get(over, "cpu")) != NULL)
        o.cpu_m = kx_quantity(c, x, 1);
    if ((x = kube_y_get(over, "memory")) != NULL)
        o.mem = kx_quantity(c, x, 0);
    SimRes eff = kube_effective_request(&a, &i, &o);   /* the formula explain reads pods with */
    *r = app;
    r->cpu = eff.cpu_m, r->memory = eff.mem, r->gpu = eff.gpu;
}

static void resources(KxImp *c, const KubeYNode *spec)
{
    KxPodRes r;
    kx_pod_resources(c, spec, &r);
    if (r.cpu)
        kx_out(c, ", cpu = \"%lldm\"", (long long)r.cpu);
    if (r.memory)
        kx_out(c, ", memory = %lld", (long long)r.memory);
    if (r.gpu)
        kx_out(c, ", gpu = %lld", (long long)r.gpu);
    if (r.has_cpu_limit)
        kx_out(c, ", cpu_limit = \"%lldm\"", (long long)r.cpu_limit);
    if (r.has_memory_limit)
        kx_out(c, ", memory_limit = %lld", (long long)r.memory_limit);
}

static void toleration(KxImp *c, const KubeYNode *t)
{
    static const char *const keys[] = {"key", "operator", "value", "effect", NULL};
    kx_out(c, "{");
    int first = 1;
    for (size_t i = 0; keys[i] && kube_y_want(c->y, t, KUBE_Y_MAP); i++) {
        const char *v = kube_y_str(c->y, t, keys[i]);
        if (v == NULL)
            continue;
        kx_out(c, "%s%s = ", first ? " " : ", ", keys[i]);
        kx_out_str(c, v);
        first = 0;
    }
    const KubeYNode *s = kube_y_get(t, "tolerationSeconds");
    if (s)
        kx_out(c, "%sseconds = %lld", first ? " " : ", ", (long long)kx_int(c, s, 0, INT64_C(1) << 40));
    kx_out(c, " }");
}

static void tolerations(KxImp *c, const KubeYNode *seq)
{
    if (kube_y_want(c->y, seq, KUBE_Y_SEQ) == NULL || seq->n == 0)
        return;
    kx_out(c, ",\n    tolerations = {");
    for (const KubeYNode *t = seq->first; t; t = t->next) {
        kx_out(c, t == seq->first ? " " : ", ");
        toleration(c, t);
    }
    kx_out(c, " }");
}

static void node_affinity(KxImp *c, const KubeYNode *na)
{
    const KubeYNode *req = kube_y_seq(c->y, na, "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
    const KubeYNode *pref = kube_y_seq(c->y, na, "preferredDuringSchedulingIgnoredDuringExecution");
    kx_out(c, "node = {");
    if (req) {
        kx_out(c, " required = {");
        for (const KubeYNode *t = req->first; t && kube_y_want(c->y, t, KUBE_Y_MAP); t = t->next) {
            kx_out(c, t == req->first ? " " : ", ");
            kx_out_exprs(c, kube_y_get(t, "matchExpressions"));
        }
        kx_out(c, " }%s", pref ? "," : "");
    }
    if (pref) {
        kx_out(c, " preferred = {");
        for (const KubeYNode *t = pref->first; t && kube_y_want(c->y, t, KUBE_Y_MAP); t = t->next) {
            const KubeYNode *w = kube_y_get(t, "weight");
            kx_out(c, "%s{ weight = %lld, match = ", t == pref->first ? " " : ", ",
                   w ? (long long)kx_int(c, w, 1, 100) : 1LL);
            kx_out_exprs(c, kube_y_seq(c->y, t, "preference.matchExpressions"));
            kx_out(c, " }");
        }
        kx_out(c, " }");
    }
    kx_out(c, " }");
}

static void pod_term(KxImp *c, const KubeYNode *t, const KubeYNode *weight)
{
    kx_out(c, "{ ");
    if (weight)
        kx_out(c, "weight = %lld, ", (long long)kx_int(c, weight, 1, 100));
    kx_out(c, "selector = ");
    kx_out_selector(c, kube_y_map(c->y, t, "labelSelector"));
    const char *key = kube_y_str(c->y, t, "topologyKey");
    if (key == NULL)
        kube_yaml_fail(c->y, NULL, t, "a pod affinity term needs topologyKey");
    kx_out(c, ", topology_key = ");
    kx_out_str(c, key ? key : "");
    kx_out(c, " }");
}

static void pod_affinity(KxImp *c, const char *name, const KubeYNode *pa)
{
    const KubeYNode *req = kube_y_seq(c->y, pa, "requiredDuringSchedulingIgnoredDuringExecution");
    const KubeYNode *pref = kube_y_seq(c->y, pa, "preferredDuringSchedulingIgnoredDuringExecution");
    kx_out(c, "%s = {", name);
    if (req) {
        kx_out(c, " required = {");
        for (const KubeYNode *t = req->first; t && kube_y_want(c->y, t, KUBE_Y_MAP); t = t->next) {
            kx_out(c, t == req->first ? " " : ", ");
            pod_term(c, t, NULL);
        }
        kx_out(c, " }%s", pref ? "," : "");
    }
    if (pref) {
        kx_out(c, " preferred = {");
        for (const KubeYNode *t = pref->first; t && kube_y_want(c->y, t, KUBE_Y_MAP); t = t->next) {
            kx_out(c, t == pref->first ? " " : ", ");
            pod_term(c, kube_y_map(c->y, t, "podAffinityTerm"), kube_y_get(t, "weight"));
        }
        kx_out(c, " }");
    }
    kx_out(c, " }");
}

static void affinity(KxImp *c, const KubeYNode *a)
{
    const KubeYNode *na = kube_y_map(c->y, a, "nodeAffinity"), *pa = kube_y_map(c->y, a, "podAffinity"),
                 *anti = kube_y_map(c->y, a, "podAntiAffinity");
    if (na == NULL && pa == NULL && anti == NULL)
        return;
    kx_out(c, ",\n    affinity = { ");
    if (na)
        node_affinity(c, na);
    if (pa) {
        kx_out(c, na ? ", " : "");
        pod_affinity(c, "pod", pa);
    }
    if (anti) {
        kx_out(c, na || pa ? ", " : "");
        pod_affinity(c, "pod_anti", anti);
    }
    kx_out(c, " }");
}

static void spread_one(KxImp *c, const KubeYNode *s)
{
    const KubeYNode *skew = kube_y_get(s, "maxSkew"), *md = kube_y_get(s, "minDomains");
    kx_out(c, "{ max_skew = %lld, topology_key = ", skew ? (long long)kx_int(c, skew, 1, 1000000) : 1LL);
    const char *key = kube_y_str(c->y, s, "topologyKey"), *when = kube_y_str(c->y, s, "whenUnsatisfiable");
    if (key == NULL)
        kube_yaml_fail(c->y, NULL, s, "a topology spread constraint needs topologyKey");
    kx_out_str(c, key ? key : "");
    if (when) {
        kx_out(c, ", when_unsatisfiable = ");
        kx_out_str(c, when);
    }
    if (kube_y_map(c->y, s, "labelSelector")) {
        kx_out(c, ", selector = ");
        kx_out_selector(c, kube_y_get(s, "labelSelector"));
    }
    if (md)
        kx_out(c, ", min_domains = %lld", (long long)kx_int(c, md, 0, 1000000));
    kx_out(c, " }");
}

static void spread(KxImp *c, const KubeYNode *seq)
{
    if (kube_y_want(c->y, seq, KUBE_Y_SEQ) == NULL || seq->n == 0)
        return;
    kx_out(c, ",\n    spread = {");
    for (const KubeYNode *s = seq->first; s && kube_y_want(c->y, s, KUBE_Y_MAP); s = s->next) {
        kx_out(c, s == seq->first ? " " : ", ");
        spread_one(c, s);
    }
    kx_out(c, " }");
}

/* Does a volume keep the autoscaler from draining the pod's node? The kube
 * reader decides (kube_volume_local, kube_volume_blocks), as it does for
 * `explain autoscaler`: a hostPath, or an emptyDir not in memory, not named in
 * the template's safe-to-evict-local-volumes annotation. */
static int local_storage(KxImp *c, const KubeYNode *tmpl, const KubeYNode *spec)
{
    const char *safe = kx_annotation(c, tmpl, KUBE_ANN_SAFE_LOCAL_VOLUMES);
    const KubeYNode *vs = kube_y_seq(c->y, spec, "volumes");
    int blocks = 0;
    for (const KubeYNode *v = vs ? vs->first : NULL; v && kube_y_want(c->y, v, KUBE_Y_MAP); v = v->next) {
        int local = kube_volume_local(kube_y_get(v, "emptyDir") != NULL, kube_y_get_str(v, "emptyDir.medium"),
                                      kube_y_get(v, "hostPath") != NULL);
        blocks |= kube_volume_blocks(kube_y_str(c->y, v, "name"), local, safe);
    }
    return blocks;
}

/* The simulation-only settings the export keeps in annotations. */
static void annotations(KxImp *c, const KubeYNode *tmpl)
{
    const char *v;
    const KubeYNode *n;
    if ((n = kx_annotation_node(c, tmpl, "kubesim.io/startup")) != NULL) {
        kx_out(c, ", startup = ");
        kx_out_duration(c, n);
    }
    if ((v = kx_annotation(c, tmpl, "kubesim.io/priority")) != NULL)
        kx_out(c, ", priority = %lld",
               (long long)kx_int(c, kx_annotation_node(c, tmpl, "kubesim.io/priority"), -2147483647, 1000000000));
    const char *uc = kx_annotation(c, tmpl, "kubesim.io/usage-cpu"), *um = kx_annotation(c, tmpl, "kubesim.io/usage-memory");
    if (uc || um) {
        kx_out(c, ", usage = {");
        if (uc) {
            kx_out(c, " cpu = ");
            kx_out_str(c, uc);
        }
        if (um) {
            kx_out(c, "%s memory = ", uc ? "," : "");
            kx_out_str(c, um);
        }
        kx_out(c, " }");
    }
    /* "true" and "false" only: any other value leaves it unset, as upstream
     * and the kube reader read it (kube_safe_to_evict). */
    int8_t safe = kube_safe_to_evict(kx_annotation(c, tmpl, KUBE_ANN_SAFE_TO_EVICT));
    if (safe != 0)
        kx_out(c, ", safe_to_evict = %s", safe > 0 ? "true" : "false");
}

void kx_out_pod(KxImp *c, const KubeYNode *tmpl)
{
    const KubeYNode *spec = kube_y_map(c->y, tmpl, "spec");
    resources(c, spec);
    annotations(c, tmpl);
    if (local_storage(c, tmpl, spec))
        kx_out(c, ", local_storage = true");
    const char *pc = kube_y_str(c->y, spec, "priorityClassName");
    if (pc) {
        kx_out(c, ", priority_class = ");
        kx_out_str(c, pc);
    }
    const KubeYNode *labels = kube_y_map(c->y, tmpl, "metadata.labels");
    if (labels && labels->n) {
        kx_out(c, ",\n    labels = ");
        kx_out_string_map(c, labels);
    }
    const KubeYNode *ns = kube_y_map(c->y, spec, "nodeSelector");
    if (ns && ns->n) {
        kx_out(c, ",\n    node_selector = ");
        kx_out_string_map(c, ns);
    }
    tolerations(c, kube_y_get(spec, "tolerations"));
    affinity(c, kube_y_map(c->y, spec, "affinity"));
    spread(c, kube_y_get(spec, "topologySpreadConstraints"));
}
