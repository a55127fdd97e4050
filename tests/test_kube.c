/*
 * test_kube.c: the one reader of Kubernetes objects (kube/). A pod's
 * effective request is upstream's (max of the app containers' sum and the
 * largest init container, plus overhead), and the YAML importer counts the
 * same pod the same way; the reader's first problem sticks on the handle.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s-export/kx.h"
#include "kube/kube.h"
#include "scenarios/scn.h"

#include "tb.h"
#include "tr.h"

/* One pod with every part of the formula: two app containers (500m + 250m,
 * 256Mi + 64Mi), an init container larger in CPU (1), and an overhead. */
static const char pod_json[] =
    "{\"metadata\": {\"name\": \"kata\"}, \"spec\": {"
    "\"overhead\": {\"cpu\": \"250m\", \"memory\": \"120Mi\"},"
    "\"initContainers\": [{\"name\": \"init\", \"resources\": {\"requests\": {\"cpu\": \"1\"}}}],"
    "\"containers\": [{\"name\": \"a\", \"resources\": {\"requests\": {\"cpu\": \"500m\", \"memory\": \"256Mi\"}}},"
    "{\"name\": \"b\", \"resources\": {\"requests\": {\"cpu\": \"250m\", \"memory\": \"64Mi\"}}}]}}";

static const char pod_yaml[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kata}\n"
    "spec:\n  selector: {matchLabels: {app: kata}}\n  template:\n    metadata: {labels: {app: kata}}\n"
    "    spec:\n      overhead: {cpu: 250m, memory: 120Mi}\n"
    "      initContainers:\n      - {name: init, image: x, resources: {requests: {cpu: \"1\"}}}\n"
    "      containers:\n"
    "      - {name: a, image: x, resources: {requests: {cpu: 500m, memory: 256Mi}}}\n"
    "      - {name: b, image: x, resources: {requests: {cpu: 250m, memory: 64Mi}}}\n";

typedef struct Reader {
    SimMem mem;
    SimArena arena;
    KubeReader *r;
} Reader;

static void reader_open(Reader *rd)
{
    sim_mem_init(&rd->mem);
    sim_arena_init(&rd->arena, &rd->mem);
    rd->r = kube_reader_new(&rd->arena);
    ck_assert_ptr_nonnull(rd->r);
}

static void reader_close(Reader *rd)
{
    sim_arena_free(&rd->arena);
    ck_assert_int_eq(rd->mem.live, 0);
}

/* upstream resource helpers PodRequests: max(sum(app), max(init)) + overhead. */
START_TEST(kube_pod_request_is_max_of_app_and_init_plus_overhead)
{
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(pod_json);
    ck_assert_ptr_nonnull(j);
    KubePod p;
    kube_pod(rd.r, j, "$.pod", &p);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
    ck_assert_int_eq(p.spec.req.cpu_m, 1000 + 250);          /* the init container wins, then overhead */
    ck_assert_int_eq(p.spec.req.mem, (256 + 64 + 120) << 20); /* the app containers win, then overhead */
    ck_assert_int_eq(p.spec.req.pods, 1);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* terminationGracePeriodSeconds: given (0 included) or the API's default. */
START_TEST(kube_pod_reads_its_termination_grace)
{
    static const char *const cases[] = {
        "{\"metadata\": {\"name\": \"a\"}, \"spec\": {\"terminationGracePeriodSeconds\": 75, \"containers\": [{\"name\": \"c\"}]}}",
        "{\"metadata\": {\"name\": \"a\"}, \"spec\": {\"terminationGracePeriodSeconds\": 0, \"containers\": [{\"name\": \"c\"}]}}",
        "{\"metadata\": {\"name\": \"a\"}, \"spec\": {\"containers\": [{\"name\": \"c\"}]}}",
        "{\"metadata\": {\"name\": \"a\"}, \"spec\": {\"terminationGracePeriodSeconds\": -1, \"containers\": [{\"name\": \"c\"}]}}"};
    static const int set[] = {1, 1, 0, -1};
    static const int64_t secs[] = {75, 0, 30, 0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Reader rd;
        reader_open(&rd);
        cJSON *j = cJSON_Parse(cases[i]);
        ck_assert_ptr_nonnull(j);
        KubePod p;
        kube_pod(rd.r, j, "$.pod", &p);
        if (set[i] < 0) {
            ck_assert_msg(kube_failed(rd.r), "case %zu: a negative grace period passed", i);
        } else {
            ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
            ck_assert_int_eq(p.spec.termination_grace_set, set[i]);
            ck_assert_int_eq(sim_spec_termination_grace(&p.spec), SIM_SEC(secs[i]));
        }
        cJSON_Delete(j);
        reader_close(&rd);
    }
}
END_TEST

START_TEST(kube_effective_request_adds_overhead_to_cpu_and_memory)
{
    SimRes app = {700, 100, 1, 0}, init = {900, 50, 2, 0}, over = {30, 7, 5, 0};
    SimRes r = kube_effective_request(&app, &init, &over);
    ck_assert_int_eq(r.cpu_m, 930);
    ck_assert_int_eq(r.mem, 107);
    ck_assert_int_eq(r.gpu, 2);   /* a RuntimeClass's overhead is CPU and memory */
    SimRes huge = {INT64_MAX - 1, INT64_MAX, 0, 0};
    r = kube_effective_request(&huge, &init, &over);   /* never past INT64_MAX (UBSan would say) */
    ck_assert(r.cpu_m == INT64_MAX && r.mem == INT64_MAX);
}
END_TEST

static int yes(const char *s)
{
    (void)s;
    return 1;
}

/* The scenario `kubesim import` writes for yaml (region "r"), as a string
 * the caller frees; the import leaks nothing. */
static char *imported(const char *path, const char *yaml)
{
    KxImportFile f = {.path = path, .text = yaml, .len = strlen(yaml), .region = "r"};
    KxImportOptions o = {.start = "08:00", .duration = "3h", .is_duration = yes, .is_clock = yes};
    SimMem m;
    sim_mem_init(&m);
    char *text = NULL;
    SimErr err = SIM_ERR_INIT;
    size_t len = 0;
    ck_assert_msg(kx_import(&m, &f, 1, &o, &text, &len, &err) == SIM_OK, "%s", sim_err_msg(&err));
    char *copy = strdup(text);
    sim_mem_free(&m, text, len + 1);
    ck_assert_int_eq(m.live, 0);
    return copy;
}

/* ---- explain and import read a pod's every field the same way ------------- */
/* One pod template with every field kubesim models: requests and limits (a CPU
 * limit given, no memory limit; a GPU given only as a limit), overhead, an
 * init container, nodeSelector, node affinity required and preferred, pod
 * affinity and anti-affinity (matchLabels alone, and with matchExpressions),
 * tolerations with and without operator, topology spread with and without
 * labelSelector, priorityClassName, the autoscaler's annotation and volumes.
 * JSON is YAML too: `explain` reads it as a Pod, `import` as a Deployment's
 * template. */
#define EVERY_FIELD_TEMPLATE                                                                                      \
    "{\"metadata\": {\"labels\": {\"app\": \"web\", \"tier\": \"fe\"}, \"annotations\": {"                        \
    "\"cluster-autoscaler.kubernetes.io/safe-to-evict\": \"false\","                                              \
    "\"cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes\": \"scratch\"}},"                            \
    "\"spec\": {\"priorityClassName\": \"high\", \"terminationGracePeriodSeconds\": 75, \"overhead\": {\"cpu\": \"100m\", \"memory\": \"16Mi\"},"        \
    "\"initContainers\": [{\"name\": \"init\", \"image\": \"x\", \"resources\": {\"requests\": {\"cpu\": \"2\"},"  \
    "\"limits\": {\"memory\": \"1Gi\"}}}],"                                                                       \
    "\"containers\": [{\"name\": \"a\", \"image\": \"x\", \"resources\": {\"requests\": {\"cpu\": \"500m\","       \
    "\"memory\": \"256Mi\"}, \"limits\": {\"cpu\": \"1\"}}},"                                                     \
    "{\"name\": \"b\", \"image\": \"x\", \"resources\": {\"limits\": {\"cpu\": \"250m\", \"nvidia.com/gpu\": \"1\"}}}]," \
    "\"nodeSelector\": {\"disk\": \"ssd\"},"                                                                      \
    "\"affinity\": {\"nodeAffinity\": {\"requiredDuringSchedulingIgnoredDuringExecution\": {\"nodeSelectorTerms\": [" \
    "{\"matchExpressions\": [{\"key\": \"zone\", \"operator\": \"In\", \"values\": [\"a\", \"b\"]}]},"            \
    "{\"matchExpressions\": [{\"key\": \"spot\", \"operator\": \"DoesNotExist\"}]}]},"                            \
    "\"preferredDuringSchedulingIgnoredDuringExecution\": [{\"weight\": 30, \"preference\": {\"matchExpressions\": [" \
    "{\"key\": \"gen\", \"operator\": \"Gt\", \"values\": [\"3\"]}]}}]},"                                         \
    "\"podAffinity\": {\"requiredDuringSchedulingIgnoredDuringExecution\": [{\"labelSelector\": {\"matchLabels\": " \
    "{\"app\": \"db\"}}, \"topologyKey\": \"topology.kubernetes.io/zone\"}]},"                                    \
    "\"podAntiAffinity\": {\"preferredDuringSchedulingIgnoredDuringExecution\": [{\"weight\": 50, "               \
    "\"podAffinityTerm\": {\"labelSelector\": {\"matchLabels\": {\"app\": \"web\"}, \"matchExpressions\": ["       \
    "{\"key\": \"track\", \"operator\": \"NotIn\", \"values\": [\"canary\"]}]}, "                                 \
    "\"topologyKey\": \"kubernetes.io/hostname\"}}]}},"                                                           \
    "\"tolerations\": [{\"key\": \"dedicated\", \"operator\": \"Equal\", \"value\": \"web\", \"effect\": \"NoSchedule\"}," \
    "{\"key\": \"gpu\", \"value\": \"yes\", \"effect\": \"NoExecute\", \"tolerationSeconds\": 60},"              \
    "{\"operator\": \"Exists\"}],"                                                                                \
    "\"topologySpreadConstraints\": [{\"maxSkew\": 2, \"topologyKey\": \"topology.kubernetes.io/zone\", "         \
    "\"whenUnsatisfiable\": \"DoNotSchedule\", \"labelSelector\": {\"matchLabels\": {\"app\": \"web\"}}, "        \
    "\"minDomains\": 3},"                                                                                         \
    "{\"maxSkew\": 1, \"topologyKey\": \"kubernetes.io/hostname\", \"whenUnsatisfiable\": \"ScheduleAnyway\"}],"  \
    "\"volumes\": [{\"name\": \"scratch\", \"emptyDir\": {}}, {\"name\": \"cache\", \"emptyDir\": {\"medium\": "  \
    "\"Memory\"}}, {\"name\": \"logs\", \"hostPath\": {\"path\": \"/var/log\"}}]}}"

static const char priority_class_yaml[] =
    "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n---\n";

/* Two selectors hold the same requirements (in any order: the scenario's
 * tables are maps). */
static int req_eq(const SimSelReq *a, const SimSelReq *b)
{
    if (strcmp(a->key, b->key) != 0 || a->op != b->op || a->nvalues != b->nvalues)
        return 0;
    for (size_t i = 0; i < a->nvalues; i++)
        if (strcmp(a->values[i], b->values[i]) != 0)
            return 0;
    return 1;
}

static void assert_sel_eq(const SimSelector *a, const SimSelector *b, const char *what)
{
    ck_assert_msg(a->nreqs == b->nreqs, "%s: %zu requirements, %zu", what, a->nreqs, b->nreqs);
    for (size_t i = 0; i < a->nreqs; i++) {
        int found = 0;
        for (size_t k = 0; k < b->nreqs && !found; k++)
            found = req_eq(&a->reqs[i], &b->reqs[k]);
        ck_assert_msg(found, "%s: requirement %s not on both sides", what, a->reqs[i].key);
    }
}

static void assert_terms_eq(const SimPodAffinityTerm *a, const SimPodAffinityTerm *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(a[i].weight == b[i].weight, "%s[%zu].weight", what, i);
        ck_assert_str_eq(a[i].topology_key, b[i].topology_key);
        assert_sel_eq(&a[i].selector, &b[i].selector, what);
    }
}

/* What the scheduler and the autoscaler read of a pod: equal field by field. */
static void assert_pod_spec_eq(const SimPodSpec *x, const SimPodSpec *m)
{
    ck_assert(x->req.cpu_m == m->req.cpu_m && x->req.mem == m->req.mem && x->req.gpu == m->req.gpu);
    ck_assert(x->lim_cpu_m == m->lim_cpu_m && x->lim_mem == m->lim_mem);
    ck_assert_str_eq(x->priority_class ? x->priority_class : "", m->priority_class ? m->priority_class : "");
    ck_assert_int_eq(x->safe_to_evict, m->safe_to_evict);
    ck_assert_int_eq(x->local_storage, m->local_storage);
    ck_assert_int_eq(x->termination_grace_set, m->termination_grace_set);
    ck_assert_int_eq(x->termination_grace, m->termination_grace);
    assert_sel_eq(&x->node_selector, &m->node_selector, "nodeSelector");
    ck_assert_uint_eq(x->nnode_required, m->nnode_required);
    for (size_t i = 0; i < x->nnode_required; i++)
        assert_sel_eq(&x->node_required[i], &m->node_required[i], "nodeSelectorTerms");
    ck_assert_uint_eq(x->nnode_preferred, m->nnode_preferred);
    for (size_t i = 0; i < x->nnode_preferred; i++) {
        ck_assert_int_eq(x->node_preferred[i].weight, m->node_preferred[i].weight);
        assert_sel_eq(&x->node_preferred[i].term, &m->node_preferred[i].term, "preferred node term");
    }
    const SimPodAffinity *a = &x->affinity, *b = &m->affinity;
    ck_assert(a->nreq_affinity == b->nreq_affinity && a->npref_affinity == b->npref_affinity);
    ck_assert(a->nreq_anti == b->nreq_anti && a->npref_anti == b->npref_anti);
    assert_terms_eq(a->req_affinity, b->req_affinity, a->nreq_affinity, "podAffinity required");
    assert_terms_eq(a->pref_affinity, b->pref_affinity, a->npref_affinity, "podAffinity preferred");
    assert_terms_eq(a->req_anti, b->req_anti, a->nreq_anti, "podAntiAffinity required");
    assert_terms_eq(a->pref_anti, b->pref_anti, a->npref_anti, "podAntiAffinity preferred");
    ck_assert_uint_eq(x->ntolerations, m->ntolerations);
    for (size_t i = 0; i < x->ntolerations; i++) {
        const SimToleration *t = &x->tolerations[i], *u = &m->tolerations[i];
        ck_assert_msg(strcmp(t->key ? t->key : "", u->key ? u->key : "") == 0, "toleration %zu key", i);
        ck_assert_msg(strcmp(t->value ? t->value : "", u->value ? u->value : "") == 0, "toleration %zu value", i);
        ck_assert_msg(t->op == u->op, "toleration %zu operator", i);
        ck_assert_msg(t->effect == u->effect, "toleration %zu effect", i);
        ck_assert_msg(t->seconds == u->seconds, "toleration %zu seconds: %lld, %lld", i, (long long)t->seconds,
                      (long long)u->seconds);
    }
    ck_assert_uint_eq(x->nspread, m->nspread);
    for (size_t i = 0; i < x->nspread; i++) {
        const SimSpread *p = &x->spread[i], *q = &m->spread[i];
        ck_assert(p->max_skew == q->max_skew && p->do_not_schedule == q->do_not_schedule);
        ck_assert_str_eq(p->topology_key, q->topology_key);
        ck_assert_msg(p->min_domains == q->min_domains, "spread %zu minDomains", i);
        assert_sel_eq(&p->selector, &q->selector, "spread labelSelector");
    }
}

/* a b c d e in one malloc'd string. */
static char *cat(const char *a, const char *b, const char *c, const char *d, const char *e)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + strlen(e) + 1;
    char *s = malloc(n);
    ck_assert_ptr_nonnull(s);
    snprintf(s, n, "%s%s%s%s%s", a, b, c, d, e);
    return s;
}

/* The workload named name of the scenario `kubesim import` wrote for yaml,
 * loaded and built as `kubesim run` builds it; its pod spec compared with
 * what `explain` reads of pod_json. */
static void assert_import_reads_as_explain(const char *pod_json_text, const char *yaml, const char *name)
{
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(pod_json_text);
    ck_assert_ptr_nonnull(j);
    KubePod p;
    kube_pod(rd.r, j, "$.pod", &p);
    kube_pod_eviction(rd.r, j, "$.pod", &p.spec);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));

    char *text = imported("every.yaml", yaml);
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    ScnOptions so = {.path = tb_write("every.lua", text), .seed = 1};
    ScnScenario *s = scn_load(&m, &so, &err);
    ck_assert_msg(s != NULL, "%s\n%s", sim_err_msg(&err), text);
    ScnWorld *w = NULL;
    ScnWorldOptions wo = {.seed = 1, .mem = &m};
    ck_assert_msg(scn_world_open(&w, s, &wo) == SIM_OK, "%s", scn_world_errmsg(w));
    const SimEngine *e = scn_world_engine(w);
    const SimWorkload *wl = NULL;
    for (uint32_t i = 0; i < sim_workload_count(e) && wl == NULL; i++)
        if (strcmp(sim_workload(e, i)->name, name) == 0)
            wl = sim_workload(e, i);
    ck_assert_msg(wl != NULL, "no workload %s in:\n%s", name, text);
    assert_pod_spec_eq(&p.spec, &wl->spec);
    scn_world_close(w);
    scn_free(s);
    ck_assert_int_eq(m.live, 0);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}

/* A pod's every field, read by `explain` (kube_pod) and by `import` (the
 * Deployment's template written as Lua, then loaded): the same spec. */
START_TEST(kube_import_and_explain_read_every_pod_field_alike)
{
    static const char pod[] = "{\"metadata\": {\"name\": \"web\", \"labels\": {\"app\": \"web\", \"tier\": \"fe\"}, "
                              "\"annotations\": {\"cluster-autoscaler.kubernetes.io/safe-to-evict\": \"false\","
                              "\"cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes\": \"scratch\"}},"
                              "\"spec\": " ;
    /* The pod is the template with a name: the same metadata and spec. */
    const char *tmpl = EVERY_FIELD_TEMPLATE, *spec = strstr(tmpl, "\"spec\": ") + strlen("\"spec\": ");
    char *podj = cat(pod, spec, "", "", "");
    char *yaml = cat(priority_class_yaml, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
                     "  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template: ", tmpl, "\n", "");
    assert_import_reads_as_explain(podj, yaml, "web");
    free(podj);
    free(yaml);
}
END_TEST

/* A node affinity term by matchFields (metadata.name, the only field
 * upstream allows): `explain` read it as the node's hostname label; `import`
 * once dropped it, writing an empty term that every node matches. */
START_TEST(kube_import_keeps_a_node_terms_match_fields)
{
    static const char tmpl[] =
        "{\"metadata\": {\"labels\": {\"app\": \"pin\"}}, \"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"x\", "
        "\"resources\": {\"requests\": {\"cpu\": \"100m\"}}}], \"affinity\": {\"nodeAffinity\": {"
        "\"requiredDuringSchedulingIgnoredDuringExecution\": {\"nodeSelectorTerms\": [{\"matchFields\": ["
        "{\"key\": \"metadata.name\", \"operator\": \"In\", \"values\": [\"node-1\"]}]}]}}}}}";
    char *podj = cat("{\"metadata\": {\"name\": \"pin\", \"labels\": {\"app\": \"pin\"}}, ",
                     strstr(tmpl, "\"spec\": "), "", "", "");
    char *yaml = cat("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: pin}\nspec:\n"
                     "  selector: {matchLabels: {app: pin}}\n  template: ", tmpl, "\n", "", "");
    assert_import_reads_as_explain(podj, yaml, "pin");
    free(podj);
    free(yaml);
}
END_TEST

/* A spread constraint without whenUnsatisfiable (required upstream):
 * `explain` refused it, `import` once wrote it through; both refuse it now,
 * import naming the manifest's line and field. */
START_TEST(kube_import_refuses_a_spread_without_when_unsatisfiable_as_explain_does)
{
    static const char yaml[] =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: s}\nspec:\n  selector: {matchLabels: {app: s}}\n"
        "  template:\n    metadata: {labels: {app: s}}\n    spec:\n      containers: [{name: a, image: x}]\n"
        "      topologySpreadConstraints:\n      - maxSkew: 1\n        topologyKey: kubernetes.io/hostname\n";
    KxImportFile f = {.path = "s.yaml", .text = yaml, .len = strlen(yaml), .region = "r"};
    KxImportOptions o = {.start = "08:00", .duration = "3h", .is_duration = yes, .is_clock = yes};
    SimMem m;
    sim_mem_init(&m);
    char *text = NULL;
    size_t len = 0;
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(kx_import(&m, &f, 1, &o, &text, &len, &err), SIM_EINVAL);
    ck_assert_msg(strstr(sim_err_msg(&err), "s.yaml:11: spec.template.spec.topologySpreadConstraints[0]: "
                                            "topologyKey and whenUnsatisfiable are required"),
                  "%s", sim_err_msg(&err));
    ck_assert_int_eq(m.live, 0);

    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse("{\"metadata\": {\"name\": \"s\"}, \"spec\": {\"containers\": [{\"name\": \"a\"}], "
                           "\"topologySpreadConstraints\": [{\"maxSkew\": 1, \"topologyKey\": \"kubernetes.io/hostname\"}]}}");
    KubePod p;
    kube_pod(rd.r, j, "$.pod", &p);
    ck_assert_str_eq(kube_errmsg(rd.r),
                     "$.pod.spec.topologySpreadConstraints[0]: topologyKey and whenUnsatisfiable are required");
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* `import` (YAML) and `explain schedule` (JSON) read the same pod to the same
 * requests: one formula, overhead included. */
START_TEST(kube_import_and_explain_agree_on_a_pods_requests)
{
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(pod_json);
    KubePod p;
    kube_pod(rd.r, j, "$.pod", &p);
    ck_assert(!kube_failed(rd.r));

    char *text = imported("pod.yaml", pod_yaml), want[128], cpu[32], mem[32];
    sim_quantity_format(p.spec.req.cpu_m, 1, cpu, sizeof cpu);   /* as import writes them: "1250m", "440Mi" */
    sim_quantity_format(p.spec.req.mem, 0, mem, sizeof mem);
    snprintf(want, sizeof want, "cpu = \"%s\", memory = \"%s\"", cpu, mem);
    ck_assert_msg(strstr(text, want) != NULL, "want %s in:\n%s", want, text);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* API defaulting (SetDefaults_Pod) fills a request only where the container
 * gives none: `requests: {cpu: "0"}` with a CPU limit of 2 requests 0 CPU,
 * while memory, given only as a limit, requests its limit. The JSON reader
 * once read a written 0 as absent (2000m) where import kept 0; both now ask
 * kube_container_request. */
START_TEST(kube_a_written_zero_request_is_not_defaulted_to_the_limit)
{
    static const char json[] =
        "{\"metadata\": {\"name\": \"z\"}, \"spec\": {\"containers\": [{\"name\": \"a\", \"resources\": {"
        "\"requests\": {\"cpu\": \"0\"}, \"limits\": {\"cpu\": \"2\", \"memory\": \"1Gi\"}}}]}}";
    static const char yaml[] =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: z}\n"
        "spec:\n  selector: {matchLabels: {app: z}}\n  template:\n    metadata: {labels: {app: z}}\n"
        "    spec:\n      containers:\n"
        "      - {name: a, image: x, resources: {requests: {cpu: \"0\"}, limits: {cpu: \"2\", memory: 1Gi}}}\n";
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(json);
    KubePod p;
    kube_pod(rd.r, j, "$.pod", &p);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
    ck_assert_int_eq(p.spec.req.cpu_m, 0);
    ck_assert_int_eq(p.spec.req.mem, INT64_C(1) << 30);

    char *text = imported("z.yaml", yaml);
    /* import writes no cpu when the request is 0, and the memory request. */
    ck_assert_msg(strstr(text, "image = \"x\", memory = \"1Gi\", cpu_limit = 2") != NULL, "%s", text);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

START_TEST(kube_container_request_defaults_absent_requests_only)
{
    KubeContainerRes c = {{0, 5, 0, 0}, {300, 9, 2, 0}, KUBE_RES_CPU | KUBE_RES_MEM, KUBE_RES_CPU | KUBE_RES_GPU};
    SimRes r = kube_container_request(&c);
    ck_assert_int_eq(r.cpu_m, 0);   /* given as 0: stays */
    ck_assert_int_eq(r.mem, 5);     /* given: stays */
    ck_assert_int_eq(r.gpu, 2);     /* absent, with a limit: the limit */
}
END_TEST

/* The message lives on the reader: the first problem sticks, later ones are
 * dropped, and lookups answer "absent" after it. */
START_TEST(kube_first_problem_sticks_on_the_reader)
{
    Reader rd;
    reader_open(&rd);
    ck_assert_str_eq(kube_errmsg(rd.r), "");
    cJSON *j = cJSON_Parse("{\"a\": \"x\", \"b\": 3, \"ok\": true}");
    char sub[KUBE_PATH];
    ck_assert_ptr_null(kube_child(rd.r, j, "a", "$", cJSON_Number, sub));
    ck_assert_str_eq(kube_errmsg(rd.r), "$.a: expected a number");
    kube_fail(rd.r, "$.b", "a second problem");
    ck_assert_str_eq(kube_errmsg(rd.r), "$.a: expected a number");
    ck_assert_ptr_null(kube_child(rd.r, j, "ok", "$", cJSON_True, sub));
    ck_assert_int_eq(kube_get_int(rd.r, j, "b", "$", -1, 0, 10), -1);
    ck_assert(kube_failed(rd.r));
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* The two wordings of a mistyped boolean the explain cases have always used:
 * v1 objects' "a boolean", an HPA case's "true or false". */
START_TEST(kube_boolean_wording_per_caller)
{
    cJSON *j = cJSON_Parse("{\"u\": 1}");
    char sub[KUBE_PATH];
    Reader rd;
    reader_open(&rd);
    (void)kube_child(rd.r, j, "u", "$", cJSON_True, sub);
    ck_assert_str_eq(kube_errmsg(rd.r), "$.u: expected a boolean");
    reader_close(&rd);
    reader_open(&rd);
    (void)kube_child(rd.r, j, "u", "$", KUBE_BOOL_TF, sub);
    ck_assert_str_eq(kube_errmsg(rd.r), "$.u: expected true or false");
    reader_close(&rd);
    cJSON_Delete(j);
}
END_TEST

START_TEST(kube_not_json_names_file_line_and_column)
{
    Reader rd;
    reader_open(&rd);
    const char *text = "{\n  \"a\": ,\n}";
    ck_assert_ptr_null(cJSON_Parse(text));
    ck_assert_int_eq(kube_fail_json(rd.r, "case.json", text, cJSON_GetErrorPtr()), SIM_EINVAL);
    ck_assert_str_eq(kube_errmsg(rd.r), "case.json:2:8: not valid JSON");
    reader_close(&rd);
}
END_TEST

/* Keeps the last document's root and counts the documents. */
typedef struct Docs {
    KubeYNode *root;
    int n;
} Docs;

static void keep_doc(void *ctx, KubeYNode *root, const char *file)
{
    Docs *d = ctx;
    (void)file;
    d->root = root;
    d->n++;
}

/* YAML through the same reader: nodes keep their lines, empty and null
 * documents are skipped as kubectl skips them, and a field of the wrong
 * shape fails on the handle with FILE:LINE: field: why. */
START_TEST(kube_yaml_names_file_line_and_field)
{
    SimMem m;
    SimArena a;
    sim_mem_init(&m);
    sim_arena_init(&a, &m);
    KubeYaml *y = kube_yaml_new(&m, &a);
    ck_assert_ptr_nonnull(y);
    Docs d = {NULL, 0};
    const char *text = "---\n--- ~\n---\nkind: Pod\nspec:\n  containers: x\n";
    ck_assert_int_eq(kube_yaml_read(y, "p.yaml", text, strlen(text), keep_doc, &d), SIM_OK);
    ck_assert_int_eq(d.n, 1);
    ck_assert_str_eq(kube_y_get_str(d.root, "kind"), "Pod");
    ck_assert_int_eq(kube_y_get(d.root, "spec.containers")->line, 6);
    ck_assert_ptr_null(kube_y_seq(y, d.root, "spec.containers"));
    ck_assert_int_eq(kube_yaml_rc(y), SIM_EINVAL);
    ck_assert_str_eq(kube_yaml_errmsg(y), "p.yaml:6: spec.containers: expected a list, not a string");
    kube_yaml_fail(y, NULL, d.root, "a second problem");
    ck_assert_str_eq(kube_yaml_errmsg(y), "p.yaml:6: spec.containers: expected a list, not a string");
    kube_yaml_free(y);
    sim_arena_free(&a);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* What `kubesim import` says about yaml: NULL when it imports, else its
 * message (the caller frees it). */
static char *import_error(const char *path, const char *yaml)
{
    KxImportFile f = {.path = path, .text = yaml, .len = strlen(yaml), .region = "r"};
    KxImportOptions o = {.start = "08:00", .duration = "3h", .is_duration = yes, .is_clock = yes};
    SimMem m;
    sim_mem_init(&m);
    char *text = NULL, *msg = NULL;
    SimErr err = SIM_ERR_INIT;
    size_t len = 0;
    if (kx_import(&m, &f, 1, &o, &text, &len, &err) == SIM_OK)
        sim_mem_free(&m, text, len + 1);
    else
        msg = strdup(sim_err_msg(&err));
    ck_assert_int_eq(m.live, 0);
    return msg;
}

static const char hpa_deploy_yaml[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
    "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
    "    spec:\n      containers:\n      - {name: a, image: x, resources: {requests: {cpu: 500m}}}\n---\n";

/* An HPA manifest (after the Deployment it scales) whose scaleDown policy
 * has the given value and period. */
static void hpa_yaml(char *buf, size_t n, const char *value, const char *period)
{
    snprintf(buf, n,
             "%sapiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n"
             "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
             "  minReplicas: 2\n  maxReplicas: 9\n"
             "  metrics:\n  - type: External\n    external:\n"
             "      metric: {name: depth, selector: {matchLabels: {queue: jobs}}}\n"
             "      target: {type: AverageValue, averageValue: 30}\n"
             "  behavior:\n    scaleDown:\n      policies:\n      - type: Percent\n        value: %s\n"
             "        periodSeconds: %s\n",
             hpa_deploy_yaml, value, period);
}

static void hpa_json(char *buf, size_t n, const char *value, const char *period)
{
    snprintf(buf, n,
             "{\"scaleTargetRef\": {\"kind\": \"Deployment\", \"name\": \"web\"}, \"minReplicas\": 2, "
             "\"maxReplicas\": 9, \"metrics\": [{\"type\": \"External\", \"external\": {\"metric\": {\"name\": "
             "\"depth\", \"selector\": {\"matchLabels\": {\"queue\": \"jobs\"}}}, \"target\": {\"type\": "
             "\"AverageValue\", \"averageValue\": 30}}}], \"behavior\": {\"scaleDown\": {\"policies\": [{\"type\": "
             "\"Percent\", \"value\": %s, \"periodSeconds\": %s}]}}}",
             value, period);
}

/* upstream validateScalingPolicy: a policy's value is an int32 greater than
 * 0 with no other cap, its period 1 to 1800 s. explain capped the value at
 * INT32_MAX and import at 1e9; both now read the HPA with kube_hpa_spec. */
START_TEST(kube_hpa_policy_limits_are_upstreams_for_explain_and_import)
{
    static const struct { const char *value, *period; int ok; } cases[] = {
        {"2000000000", "60", 1}, {"2147483647", "1800", 1}, {"2147483648", "60", 0},
        {"0", "60", 0}, {"5", "1801", 0}, {"5", "0", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[1024], yaml[2048];
        hpa_json(json, sizeof json, cases[i].value, cases[i].period);
        hpa_yaml(yaml, sizeof yaml, cases[i].value, cases[i].period);
        Reader rd;
        reader_open(&rd);
        cJSON *j = cJSON_Parse(json);
        ck_assert_ptr_nonnull(j);
        KubeHpa h;
        kube_hpa_spec(rd.r, j, "$.hpa", &h);
        ck_assert_msg((!kube_failed(rd.r)) == cases[i].ok, "explain, case %zu: %s", i, kube_errmsg(rd.r));
        char *err = import_error("h.yaml", yaml);
        ck_assert_msg((err == NULL) == cases[i].ok, "import, case %zu: %s", i, err ? err : "imported");
        if (err) {   /* the same message as explain's, at the manifest's line */
            const char *why = strstr(kube_errmsg(rd.r), ": ");
            ck_assert_msg(strstr(err, "h.yaml:") == err && strstr(err, why) != NULL, "%s / %s", err, why);
        }
        free(err);
        cJSON_Delete(j);
        reader_close(&rd);
    }
}
END_TEST

/* The same HPA, as an explain case's JSON and as a manifest: import writes
 * what the one reader read (the queue's series, the target as written, the
 * policy, the defaulted scale-down window). */
START_TEST(kube_import_writes_the_hpa_the_reader_read)
{
    char json[1024], yaml[2048];
    hpa_json(json, sizeof json, "50", "30");
    hpa_yaml(yaml, sizeof yaml, "50", "30");
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(json);
    KubeHpa h;
    kube_hpa_spec(rd.r, j, "$.hpa", &h);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
    ck_assert_int_eq(h.nmetrics, 1);
    ck_assert_int_eq(h.metrics[0].source, KUBE_HPA_EXTERNAL);
    ck_assert_int_eq(h.metrics[0].milli, 30000);
    ck_assert_str_eq(h.metrics[0].quantity, "30");
    ck_assert_int_eq(h.down.npolicies, 1);
    ck_assert(!h.down.has_window && !h.up.given);
    char *text = imported("h.yaml", yaml);
    ck_assert_msg(strstr(text, "hpa { name = \"web\", target = \"web\", min = 2, max = 9,\n    metrics = { { type = "
                               "\"External\", name = \"jobs/depth\", target = { type = \"AverageValue\", "
                               "average_value = \"30\" } } },\n    behavior = { scale_down = { stabilization_window "
                               "= 300, policies = { { type = \"Percent\", value = 50, period = 30 } } }, } }") != NULL,
                  "%s", text);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* A field the reader refuses is reported at its manifest line: the reader's
 * JSON path is walked back through the YAML tree. */
START_TEST(kube_yaml_failure_from_the_json_reader_names_the_line)
{
    char yaml[2048];
    hpa_yaml(yaml, sizeof yaml, "5", "1801");
    char *err = import_error("h.yaml", yaml);
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err, "h.yaml:29: spec.behavior.scaleDown.policies[0].periodSeconds: "
                          "expected a whole number from 1 to 1800");
    free(err);
}
END_TEST

/* cluster-autoscaler utils/drain isLocalVolume: hostPath, or an emptyDir
 * whose medium is not Memory. A memory-backed emptyDir (a tmpfs) does not
 * keep a node from draining; explain and import both counted it once. */
START_TEST(kube_memory_emptydir_is_not_local_storage)
{
    static const char *const vols[] = {"{\"emptyDir\": {\"medium\": \"Memory\"}}", "{\"emptyDir\": {}}",
                                       "{\"emptyDir\": {\"medium\": \"\"}}", "{\"hostPath\": {\"path\": \"/x\"}}"};
    static const char *const yvols[] = {"{emptyDir: {medium: Memory}}", "{emptyDir: {}}",
                                        "{emptyDir: {medium: \"\"}}", "{hostPath: {path: /x}}"};
    static const int local[] = {0, 1, 1, 1};
    for (size_t i = 0; i < 4; i++) {
        char json[512], yaml[1024];
        snprintf(json, sizeof json, "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"name\": \"a\"}],"
                 " \"volumes\": [%.*s\"name\": \"v\", %s]}}", 1, vols[i], vols[i] + 1);
        Reader rd;
        reader_open(&rd);
        cJSON *j = cJSON_Parse(json);
        ck_assert_msg(j != NULL, "%s", json);
        SimPodSpec s;
        memset(&s, 0, sizeof s);
        kube_pod_eviction(rd.r, j, "$.pod", &s);
        ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
        ck_assert_msg(s.local_storage == local[i], "explain, %s", vols[i]);
        snprintf(yaml, sizeof yaml,
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p}\n"
                 "spec:\n  selector: {matchLabels: {app: p}}\n  template:\n    metadata: {labels: {app: p}}\n"
                 "    spec:\n      containers:\n      - {name: a, image: x}\n"
                 "      volumes:\n      - {name: v, %.*s}\n", (int)strlen(yvols[i]) - 2, yvols[i] + 1);
        char *text = imported("p.yaml", yaml);
        ck_assert_msg((strstr(text, "local_storage = true") != NULL) == local[i], "import, %s:\n%s", yvols[i], text);
        free(text);
        cJSON_Delete(j);
        reader_close(&rd);
    }
}
END_TEST

/* Upstream merges a LimitRange's Container items: each item defaulted by
 * the API server (default from max, defaultRequest from default or min),
 * then defaults key by key with a later item winning, and every item's min
 * and max applying. The JSON reader let a later item overwrite every field
 * (a memory default of an earlier item was lost) and import took the first
 * item only; both now merge with kube_limitrange_merge. */
START_TEST(kube_limitrange_items_merge_key_by_key)
{
    static const char json[] =
        "{\"metadata\": {\"name\": \"lr\"}, \"spec\": {\"limits\": ["
        "{\"type\": \"Container\", \"default\": {\"cpu\": \"1\", \"memory\": \"1Gi\"}, \"max\": {\"cpu\": \"3\"}},"
        "{\"type\": \"Pod\", \"max\": {\"cpu\": \"100\"}},"
        "{\"type\": \"Container\", \"default\": {\"cpu\": \"2\"}, \"max\": {\"cpu\": \"4\"}, \"min\": {\"memory\": "
        "\"64Mi\"}}]}}";
    static const char yaml[] =
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr}\nspec:\n  limits:\n"
        "  - {type: Container, default: {cpu: \"1\", memory: 1Gi}, max: {cpu: \"3\"}}\n"
        "  - {type: Pod, max: {cpu: \"100\"}}\n"
        "  - {type: Container, default: {cpu: \"2\"}, max: {cpu: \"4\"}, min: {memory: 64Mi}}\n";
    Reader rd;
    reader_open(&rd);
    cJSON *j = cJSON_Parse(json);
    KubeMeta m;
    SimLimitRange lr;
    kube_limitrange(rd.r, j, "$.lr", &m, &lr);
    ck_assert_msg(!kube_failed(rd.r), "%s", kube_errmsg(rd.r));
    ck_assert_int_eq(lr.deflt.cpu_m, 2000);              /* the later item's key */
    ck_assert_int_eq(lr.deflt.mem, INT64_C(1) << 30);    /* the earlier item's, which the later leaves */
    ck_assert_int_eq(lr.deflt_req.cpu_m, 2000);          /* the later item's, defaulted from its default */
    ck_assert_int_eq(lr.deflt_req.mem, 64 << 20);        /* the later item's, defaulted from its min */
    ck_assert_int_eq(lr.min.mem, 64 << 20);
    ck_assert_int_eq(lr.max.cpu_m, 3000);                /* every item's max applies: the smallest */
    char *text = imported("lr.yaml", yaml);
    ck_assert_msg(strstr(text, ", default = { cpu = \"2\", memory = \"1Gi\" }, default_request = { cpu = \"2\", "
                               "memory = \"64Mi\" }, min = { memory = \"64Mi\" }, max = { cpu = \"3\" } }") != NULL,
                  "%s", text);
    free(text);
    cJSON_Delete(j);
    reader_close(&rd);
}
END_TEST

/* A PriorityClass is read by kube_priorityclass for explain and import: its
 * value is required and its preemptionPolicy is PreemptLowerPriority or
 * Never, as upstream validates it. Import once wrote a class without a value
 * as value 0 and passed any policy on; explain took any policy as "not
 * Never". */
START_TEST(kube_priorityclass_is_read_alike_by_explain_and_import)
{
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"globalDefault: false\n", "value is required"},
        {"value: 10\npreemptionPolicy: Sometimes\n", "\"Sometimes\" is not PreemptLowerPriority or Never"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512], json[512];
        snprintf(yaml, sizeof yaml, "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: pc}\n%s",
                 cases[i].body);
        snprintf(json, sizeof json, "{\"metadata\": {\"name\": \"pc\"}, %s}",
                 i == 0 ? "\"globalDefault\": false" : "\"value\": 10, \"preemptionPolicy\": \"Sometimes\"");
        Reader rd;
        reader_open(&rd);
        cJSON *j = cJSON_Parse(json);
        SimPriorityClass pc;
        kube_priorityclass(rd.r, j, "$.pc", &pc);
        ck_assert_msg(strstr(kube_errmsg(rd.r), cases[i].why) != NULL, "explain: %s", kube_errmsg(rd.r));
        char *err = import_error("pc.yaml", yaml);
        ck_assert_msg(err && strstr(err, "pc.yaml:") == err && strstr(err, cases[i].why), "import: %s",
                      err ? err : "imported");
        free(err);
        cJSON_Delete(j);
        reader_close(&rd);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, kube_pod_request_is_max_of_app_and_init_plus_overhead);
    tcase_add_test(tc, kube_pod_reads_its_termination_grace);
    tcase_add_test(tc, kube_effective_request_adds_overhead_to_cpu_and_memory);
    tcase_add_test(tc, kube_import_and_explain_agree_on_a_pods_requests);
    tcase_add_test(tc, kube_import_and_explain_read_every_pod_field_alike);
    tcase_add_test(tc, kube_import_keeps_a_node_terms_match_fields);
    tcase_add_test(tc, kube_import_refuses_a_spread_without_when_unsatisfiable_as_explain_does);
    tcase_add_test(tc, kube_a_written_zero_request_is_not_defaulted_to_the_limit);
    tcase_add_test(tc, kube_container_request_defaults_absent_requests_only);
    tcase_add_test(tc, kube_first_problem_sticks_on_the_reader);
    tcase_add_test(tc, kube_boolean_wording_per_caller);
    tcase_add_test(tc, kube_not_json_names_file_line_and_column);
    tcase_add_test(tc, kube_yaml_names_file_line_and_field);
    tcase_add_test(tc, kube_hpa_policy_limits_are_upstreams_for_explain_and_import);
    tcase_add_test(tc, kube_import_writes_the_hpa_the_reader_read);
    tcase_add_test(tc, kube_yaml_failure_from_the_json_reader_names_the_line);
    tcase_add_test(tc, kube_memory_emptydir_is_not_local_storage);
    tcase_add_test(tc, kube_limitrange_items_merge_key_by_key);
    tcase_add_test(tc, kube_priorityclass_is_read_alike_by_explain_and_import);
    suite_add_tcase(s, tc);
    return tr_run(s, 0) ? 1 : 0;
}
