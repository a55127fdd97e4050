/*
 * test_export.c: `kubesim export` (k8s-export/export*.c). Every shipped
 * scenario and the built-in default export to manifests that pass the
 * offline validator (Kubernetes 1.32 schemas, strict fields), and a broken
 * copy does not; a small scenario with one object of every kind pins the
 * mapping (HPA metrics and behavior, CronJob schedule and policy, quota and
 * LimitRange quantities, scheduling constraints, the restricted Pod
 * Security settings on every pod template); the same scenario gives the
 * same bytes; bad input exits 2 and writes nothing; the emission survives
 * a failed allocation at every point without leaking.
 */
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "k8s-export/kx.h"
#include "scenarios/scn.h"
#include "scheduler/ca.h"
#include "scheduler/sched.h"
#include "tb.h"
#include "tr.h"

/* One object of every kind, in two regions. */
static const char kinds[] =
    "scenario { name = \"kinds\", duration = \"1h\" }\n"
    "region { name = \"r1\", zones = { \"r1-a\", \"r1-b\" } }\n"
    "region { name = \"r2\", zones = { \"r2-a\" } }\n"
    "namespace { name = \"team\" }\n"
    "priorityclass { name = \"serving\", value = 1000, preemption_policy = \"Never\" }\n"
    "quota { name = \"q\", namespace = \"team\", region = \"r1\", priority_classes = { \"serving\" },\n"
    "        hard = { [\"requests.cpu\"] = \"1500m\", [\"limits.memory\"] = \"6Gi\", pods = 20 } }\n"
    "limitrange { name = \"lr\", namespace = \"team\", region = \"r1\", default_request = { cpu = \"250m\", memory = \"256Mi\" },\n"
    "             max = { cpu = \"4\", memory = \"8Gi\" } }\n"
    "nodegroup { name = \"cpu\", region = \"r1\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 5, size = 2, price = 0.5,\n"
    "            labels = { pool = \"general\" } }\n"
    "nodegroup { name = \"gpu\", region = \"r1\", cpu = \"8\", memory = \"32Gi\", gpu = 1, min = 0, max = 2, price = 1.5,\n"
    "            spot = true, taints = { \"nvidia.com/gpu=present:NoSchedule\" } }\n"
    "nodegroup { name = \"cpu2\", region = \"r2\", cpu = \"4\", memory = \"16Gi\", min = 1, max = 2, price = 0.25 }\n"
    "autoscaler { expander = { \"priority\", \"least-waste\" }, scale_down_utilization_threshold = 0.4 }\n"
    "site { name = \"users\" }\n"
    "latency { from = \"users\", to = \"r1\", ms = 5 }\n"
    "deployment { name = \"web\", namespace = \"team\", region = \"r1\", replicas = 2, cpu = \"500m\", memory = \"512Mi\",\n"
    "  memory_limit = \"1Gi\", priority_class = \"serving\", image = \"web:v1\", labels = { app = \"web\" },\n"
    "  strategy = { max_surge = 1, max_unavailable = \"10%\" }, min_ready = \"15s\", progress_deadline = \"120s\",\n"
    "  node_selector = { pool = \"general\" },\n"
    "  affinity = { node = { required = { { { key = \"pool\", operator = \"In\", values = { \"general\" } } } } },\n"
    "               pod_anti = { preferred = { { weight = 50, selector = { app = \"web\" }, topology_key = \"kubernetes.io/hostname\" } } } },\n"
    "  tolerations = { \"dedicated=web:NoSchedule\" },\n"
    "  spread = { { max_skew = 1, topology_key = \"topology.kubernetes.io/zone\", when_unsatisfiable = \"DoNotSchedule\",\n"
    "               selector = { app = \"web\" } } },\n"
    "  serve = { service = \"web\", capacity = 100, cpu_per_request = \"4m\", slo_p95 = \"100ms\", timeout = \"1s\" } }\n"
    "traffic { site = \"users\", service = \"web\", rate = 50, daily = { { \"00:00\", 1 }, { \"12:00\", 2 } } }\n"
    "hpa { name = \"web\", target = \"web\", min = 2, max = 10,\n"
    "      metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", average_utilization = 60 } } },\n"
    "      behavior = { scale_up = { stabilization_window = \"0s\", select_policy = \"Max\",\n"
    "                                policies = { { type = \"Percent\", value = 100, period = \"15s\" }, { type = \"Pods\", value = 4, period = \"15s\" } } },\n"
    "                   scale_down = { stabilization_window = \"300s\", policies = { { type = \"Pods\", value = 1, period = \"60s\" } } } } }\n"
    "queue { name = \"work\", region = \"r1\" }\n"
    "deployment { name = \"workers\", namespace = \"team\", region = \"r1\", queue = \"work\", replicas = 1, cpu = \"1\", memory = \"1Gi\" }\n"
    "hpa { name = \"workers\", target = \"workers\", min = 1, max = 8,\n"
    "      metrics = { { type = \"Resource\", name = \"memory\", target = { type = \"AverageValue\", average_value = \"512Mi\" } },\n"
    "                  { type = \"External\", name = \"work/queue_length\", target = { type = \"AverageValue\", average_value = \"3\" } } } }\n"
    "pdb { name = \"web\", namespace = \"team\", region = \"r1\", selector = { app = \"web\" }, max_unavailable = \"20%\" }\n"
    "statefulset { name = \"db\", namespace = \"team\", region = \"r1\", replicas = 3, cpu = \"1\", memory = \"2Gi\", volume = \"50Gi\" }\n"
    "daemonset { name = \"agent\", region = \"r1\", cpu = \"50m\", memory = \"64Mi\", tolerations = { { operator = \"Exists\" } } }\n"
    "job { name = \"batch\", namespace = \"team\", region = \"r1\", start = \"10m\", completions = 8, parallelism = 4,\n"
    "      completion_mode = \"Indexed\", backoff_limit = 3, active_deadline = \"30m\", ttl_after_finished = \"1h\",\n"
    "      duration = \"5m\", cpu = \"250m\", memory = \"256Mi\", local_storage = true }\n"
    "cronjob { name = \"report\", namespace = \"team\", region = \"r1\", schedule = \"30 16 * * 1-5\", time_zone = \"Europe/London\",\n"
    "          concurrency_policy = \"Replace\", starting_deadline = \"200s\", successful_history = 5, failed_history = 2,\n"
    "          suspend = true, job = { completions = 1, duration = \"2m\", cpu = \"100m\", memory = \"128Mi\" } }\n"
    "deployment { name = \"edge\", region = \"r2\", replicas = 1, cpu = \"100m\", memory = \"64Mi\" }\n"
    ;

/* A file of the suite's folder. */
static const char *at(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", tb_dir(), name);
    return buf;
}

/* Runs the validator once on every Kubernetes file of every region folder of
 * each of DIRS (folder names apart by spaces: one node start for them all;
 * kustomization.yaml is kustomize's, nodepools.yaml a Karpenter CRD,
 * eksctl-cluster.yaml and cluster-autoscaler-values.yaml eksctl's and
 * Helm's input, scaledobjects.yaml a KEDA CRD,
 * prometheus-adapter-values.yaml Helm values: the validator knows none).
 * Returns its exit code; its last line ("N passed, N failed") in last, and
 * the lines before it (one per problem, each naming its file, so its folder)
 * in problems. */
static int validate_dirs(const char *dirs, char *last, size_t n, char *problems, size_t np)
{
    const char *mjs = getenv("KUBESIM_VALIDATOR");
    FILE *probe = mjs ? fopen(mjs, "r") : NULL;
    ck_assert_msg(probe != NULL, "no validator at %s: run scripts/validator.sh (scripts/test.sh does)",
                  mjs ? mjs : "(KUBESIM_VALIDATOR unset)");
    fclose(probe);
    char globs[1500] = "", dir[64];
    for (const char *p = dirs; sscanf(p, " %63s", dir) == 1; p = strstr(p, dir) + strlen(dir))
        snprintf(globs + strlen(globs), sizeof globs - strlen(globs), " %s/*/*.yaml", dir);
    char cmd[2000];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && node '%s' $(ls%s | grep -v -e /kustomization.yaml -e /nodepools.yaml "
             "-e /eksctl-cluster.yaml -e /cluster-autoscaler-values.yaml -e /scaledobjects.yaml "
             "-e /prometheus-adapter-values.yaml) 2>&1",
             tb_dir(), mjs, globs);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    last[0] = problems[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (last[0] && strlen(problems) + strlen(last) < np)
            strcat(problems, last);
        snprintf(last, n, "%.1000s", line);
    }
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *read_out(const char *name)
{
    char p[600];
    char *t = tb_read(at(name, p, sizeof p), NULL);
    ck_assert_msg(t != NULL, "%s unreadable", name);
    return t;
}

static void expect_lines(const char *file, const char *const *want)
{
    char *t = read_out(file);
    for (size_t i = 0; want[i]; i++)
        ck_assert_msg(strstr(t, want[i]) != NULL, "%s: no '%s' in:\n%.1500s", file, want[i], t);
    free(t);
}

/* Every object of every shipped scenario and of the default passes the
 * validator; a broken copy of one file does not, so the check can fail. Two
 * validator runs (each starts node and loads the schemas, about two CPU
 * seconds): the shipped scenarios' folders, then the default's with the
 * broken copy, which must fail in that one file alone. */
START_TEST(export_every_shipped_scenario_validates)
{
    const char *src = getenv("KUBESIM_SRC");
    char pat[600], last[1024], problems[4000], dirs[1000] = "", names[4000] = "";
    snprintf(pat, sizeof pat, "%s/scenarios/*.lua", src ? src : ".");
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 6);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        ck_assert_msg(tb_run("export '%s' --out s%zu --quiet", g.gl_pathv[i], i) == 0, "%.200s: %.1200s", g.gl_pathv[i],
                      tb_err());
        snprintf(dirs + strlen(dirs), sizeof dirs - strlen(dirs), " s%zu", i);
        snprintf(names + strlen(names), sizeof names - strlen(names), "s%zu: %s\n", i, g.gl_pathv[i]);
    }
    globfree(&g);
    /* a problem line names its file, sN/REGION/KIND.yaml; names says which scenario sN is */
    ck_assert_msg(validate_dirs(dirs, last, sizeof last, problems, sizeof problems) == 0, "%s%s%s", problems, last, names);
    ck_assert_msg(strstr(last, " passed, 0 failed\n") != NULL, "%s", last);
    ck_assert_int_eq(tb_run("export --out default"), 0);
    ck_assert_msg(strstr(tb_out(), " objects in ") != NULL, "%.1200s", tb_out());
    char *t = read_out("default/us-east/deployments.yaml");
    char *bad = strstr(t, "replicas: 2");   /* ai-inference (quant-api has an HPA: no replicas) */
    ck_assert_ptr_nonnull(bad);
    memcpy(bad, "replicas: x", 11);
    ck_assert_int_eq(tb_run("export --out broken --quiet"), 0);
    tb_write("broken/us-east/deployments.yaml", t);
    free(t);
    /* issue 15: 27 objects (11 fewer Namespaces, no ConfigMaps) in each copy; only broken's one fails */
    ck_assert_int_eq(validate_dirs("default broken", last, sizeof last, problems, sizeof problems), 1);
    ck_assert_msg(strcmp(last, "53 passed, 1 failed\n") == 0, "%s%s", problems, last);
    ck_assert_msg(strncmp(problems, "broken/us-east/deployments.yaml:", 32) == 0 && strchr(problems, '\n') &&
                      strchr(problems, '\n')[1] == '\0',
                  "%s", problems);
}
END_TEST

/* Each region is a folder whose kustomization lists exactly its files. */
START_TEST(export_regions_and_kustomizations)
{
    tb_write("kinds.lua", kinds);
    ck_assert_msg(tb_run("export kinds.lua --quiet") == 0, "%.1200s", tb_err());   /* default: manifests/NAME */
    ck_assert(tb_exists("manifests/kinds/r1/kustomization.yaml"));
    static const char *const r2[] = {
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: r2\n",
        "resources:\n- priorityclasses.yaml\n- deployments.yaml\n", NULL};   /* eksctl's and Helm's files are not resources */
    expect_lines("manifests/kinds/r2/kustomization.yaml", r2);
    char *t = read_out("manifests/kinds/r2/deployments.yaml");
    ck_assert_msg(strstr(t, "name: edge") && !strstr(t, "name: web"), "%.1200s", t);   /* r1's stay in r1 */
    free(t);
    ck_assert(!tb_exists("manifests/kinds/r2/jobs.yaml"));   /* no object, no file */
}
END_TEST

/* HPAs: Resource metrics as Utilization / AverageValue, the queue's
 * External metric as an adapter serves it, and the behavior block. */
START_TEST(export_hpa_metrics_and_behavior)
{
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --out k --quiet"), 0);
    static const char *const want[] = {
        "  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 2\n"
        "  maxReplicas: 10\n",
        "  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n"
        "        averageUtilization: 60\n",
        "  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: 0\n      selectPolicy: Max\n      policies:\n"
        "      - type: Percent\n        value: 100\n        periodSeconds: 15\n      - type: Pods\n        value: 4\n",
        "    scaleDown:\n      stabilizationWindowSeconds: 300\n",
        "      name: memory\n      target:\n        type: AverageValue\n        averageValue: \"512Mi\"\n",
        "  - type: External\n    external:\n      metric:\n        name: queue_length\n        selector:\n"
        "          matchLabels:\n            queue: work\n      target:\n        type: AverageValue\n"
        "        averageValue: \"3\"\n",
        NULL};
    expect_lines("k/r1/horizontalpodautoscalers.yaml", want);
}
END_TEST

/* CronJobs keep schedule, zone and policies; Jobs their declared spec. */
START_TEST(export_cronjob_and_job_fields)
{
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --out k --quiet"), 0);
    static const char *const cron[] = {
        "  schedule: \"30 16 * * 1-5\"\n  timeZone: Europe/London\n  concurrencyPolicy: Replace\n"
        "  startingDeadlineSeconds: 200\n  successfulJobsHistoryLimit: 5\n  failedJobsHistoryLimit: 2\n"
        "  suspend: true\n",
        "          restartPolicy: Never\n", NULL};
    expect_lines("k/r1/cronjobs.yaml", cron);
    static const char *const job[] = {
        "    kubesim.io/start: \"600s\"\n",
        "  parallelism: 4\n  completions: 8\n  completionMode: Indexed\n  backoffLimit: 3\n"
        "  activeDeadlineSeconds: 1800\n  ttlSecondsAfterFinished: 3600\n",
        "        kubesim.io/duration: \"300s\"\n", "      - name: scratch\n        emptyDir: {}\n", NULL};
    expect_lines("k/r1/jobs.yaml", job);
}
END_TEST

/* Quotas and LimitRanges read back as the same quantities; PDBs and
 * PriorityClasses keep their values. */
START_TEST(export_policy_quantities_round_trip)
{
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --out k --quiet"), 0);
    static const char *const quota[] = {
        "  hard:\n    limits.memory: \"6Gi\"\n    pods: \"20\"\n    requests.cpu: \"1500m\"\n",
        "    - scopeName: PriorityClass\n      operator: In\n      values:\n      - serving\n", NULL};
    expect_lines("k/r1/resourcequotas.yaml", quota);
    static const char *const lr[] = {
        "  - type: Container\n    default:\n      cpu: \"4\"\n      memory: \"8Gi\"\n    defaultRequest:\n"
        "      cpu: \"250m\"\n      memory: \"256Mi\"\n    max:\n      cpu: \"4\"\n      memory: \"8Gi\"\n", NULL};
    expect_lines("k/r1/limitranges.yaml", lr);
    static const char *const pdb[] = {"apiVersion: policy/v1\n", "  maxUnavailable: \"20%\"\n", NULL};
    expect_lines("k/r1/poddisruptionbudgets.yaml", pdb);
    static const char *const pc[] = {"value: 1000\nglobalDefault: false\npreemptionPolicy: Never\n", NULL};
    expect_lines("k/r2/priorityclasses.yaml", pc);   /* cluster set-up: in every region */
}
END_TEST

/* A Deployment keeps its strategy and scheduling constraints; a serving one
 * gets a Service, a port and probes; StatefulSets their headless Service. */
START_TEST(export_deployment_scheduling_and_service)
{
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --out k --quiet"), 0);
    static const char *const dep[] = {
        "    kubesim.io/serve-service: web\n    kubesim.io/serve-capacity: \"100\"\n",
        "      maxSurge: 1\n      maxUnavailable: \"10%\"\n  minReadySeconds: 15\n  progressDeadlineSeconds: 120\n",
        "      priorityClassName: serving\n      nodeSelector:\n        pool: general\n",
        "          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n"
        "            - matchExpressions:\n              - key: pool\n                operator: In\n",
        "        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - weight: 50\n",
        "      - key: dedicated\n        operator: Equal\n        value: web\n        effect: NoSchedule\n",
        "      - maxSkew: 1\n        topologyKey: topology.kubernetes.io/zone\n        whenUnsatisfiable: DoNotSchedule\n",
        "        image: web:v1\n        resources:\n          requests:\n            cpu: \"500m\"\n            memory: \"512Mi\"\n"
        /* the LimitRange's default CPU limit, written out as admitted */
        "          limits:\n            cpu: \"4\"\n            memory: \"1Gi\"\n",
        "        readinessProbe:\n          httpGet:\n            path: /readyz\n            port: http\n",
        "        livenessProbe:\n", "    kubesim.io/queue: work\n", "        image: registry.example/workers:latest\n",
        NULL};
    expect_lines("k/r1/deployments.yaml", dep);
    static const char *const svc[] = {"  name: web\n", "kubesim.io/traffic: users 50 daily 0s=1,43200s=2\n",
                                      "    targetPort: http\n", "  name: db\n", "  clusterIP: None\n", NULL};
    expect_lines("k/r1/services.yaml", svc);
    static const char *const sts[] = {"  serviceName: db\n", "        storage: \"50Gi\"\n", "    whenDeleted: Retain\n",
                                      NULL};
    expect_lines("k/r1/statefulsets.yaml", sts);
}
END_TEST

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* Every pod template meets the restricted Pod Security Standard and carries
 * the scenario's labels. */
START_TEST(export_every_pod_template_is_restricted)
{
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --out k --quiet"), 0);
    static const char *const files[] = {"deployments.yaml", "statefulsets.yaml", "daemonsets.yaml", "jobs.yaml",
                                        "cronjobs.yaml", NULL};
    for (size_t i = 0; files[i]; i++) {
        char name[128];
        snprintf(name, sizeof name, "k/r1/%s", files[i]);
        char *t = read_out(name);
        size_t templates = count(t, "      restartPolicy: ");
        ck_assert_msg(templates >= 1, "%.1200s", files[i]);
        ck_assert_uint_eq(count(t, "allowPrivilegeEscalation: false\n"), templates);
        ck_assert_uint_eq(count(t, "runAsNonRoot: true\n"), 2 * templates);   /* pod and container */
        ck_assert_uint_eq(count(t, "- ALL\n"), templates);
        ck_assert_uint_eq(count(t, "type: RuntimeDefault\n"), 2 * templates);
        ck_assert_uint_ge(count(t, "kubesim.io/scenario: kinds\n"), 2 * templates);   /* the object, its pods */
        free(t);
    }
    /* Pod Security is per pod; the Namespace label only on request. */
    char *t = read_out("k/r1/namespaces.yaml");
    ck_assert_msg(strstr(t, "pod-security") == NULL, "%.1200s", t);
    free(t);
    ck_assert_int_eq(tb_run("export kinds.lua --out kps --quiet --pod-security restricted"), 0);
    static const char *const ns[] = {"pod-security.kubernetes.io/enforce: restricted\n", NULL};
    expect_lines("kps/r1/namespaces.yaml", ns);
}
END_TEST

/* Issue 15, export 3: applying an export changes nothing cluster-wide that
 * the scenario does not set up. A namespace with a quota or LimitRange in a
 * region is set up there; one only workloads use (team in r2, research
 * below) gets no Namespace unless --namespaces; no Pod Security label
 * unless --pod-security; a globalDefault class is written globalDefault:
 * false (annotated, and named by the pods that would get it) unless
 * --global-default-priority. The summary line lists every cluster-scoped
 * object written. */
static const char surprises[] =
    "scenario { name = \"surprises\", start = \"08:00\", duration = \"1h\" }\n"
    "region { name = \"r1\" }\n"
    "namespace { name = \"research\" }\n"
    "priorityclass { name = \"batch\", value = 100, global_default = true }\n"
    "priorityclass { name = \"high\", value = 1000 }\n"
    "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 3 }\n"
    "deployment { name = \"api\", namespace = \"research\", replicas = 1, cpu = \"1\", priority_class = \"high\" }\n"
    "deployment { name = \"worker\", namespace = \"research\", replicas = 1, cpu = \"1\" }\n"
    "deployment { name = \"own\", replicas = 1, cpu = \"1\", priority = 5 }\n";

START_TEST(export_no_cluster_wide_surprises)
{
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --out ks"), 0);
    ck_assert(tb_exists("ks/r1/namespaces.yaml"));   /* team has a quota and a LimitRange in r1 */
    ck_assert(!tb_exists("ks/r2/namespaces.yaml"));  /* and only a workload in r2 */
    ck_assert_msg(strstr(tb_out(), "; cluster-scoped: Namespace/team, PriorityClass/serving\n"), "%s", tb_out());
    ck_assert_int_eq(tb_run("export kinds.lua --out kn --namespaces --quiet"), 0);
    ck_assert(tb_exists("kn/r2/namespaces.yaml"));

    tb_write("surprises.lua", surprises);
    ck_assert_int_eq(tb_run("export surprises.lua --out su"), 0);
    ck_assert(!tb_exists("su/r1/namespaces.yaml"));   /* research: only named by workloads */
    ck_assert_msg(strstr(tb_out(), "; cluster-scoped: PriorityClass/batch, PriorityClass/high\n"), "%s", tb_out());
    char *t = read_out("su/r1/priorityclasses.yaml");
    ck_assert_msg(strstr(t, "globalDefault: true") == NULL, "%.1500s", t);
    ck_assert_msg(strstr(t, "  name: batch\n") && strstr(t, "    kubesim.io/global-default: \"true\"\n"), "%.1500s", t);
    ck_assert_uint_eq(count(t, "globalDefault: false\n"), 2);
    free(t);
    t = read_out("su/r1/deployments.yaml");   /* worker got the default class: it names it */
    const char *api = strstr(t, "  name: api\n"), *worker = strstr(t, "  name: worker\n"), *own = strstr(t, "  name: own\n");
    ck_assert(api && worker && own && api < worker && worker < own);
    const char *cls = strstr(worker, "priorityClassName: ");
    ck_assert_msg(cls && cls < own && strncmp(cls, "priorityClassName: batch\n", 25) == 0, "%.3000s", t);
    ck_assert_msg(strstr(api, "priorityClassName: high\n") < worker, "%.3000s", t);
    ck_assert_msg(strstr(own, "priorityClassName") == NULL, "%.3000s", t);   /* its own priority wins */
    free(t);
    /* The import gives the default class back; the run is the same. */
    ck_assert_msg(tb_run("import su --start 08:00 --duration 1h --out su.lua") == 0, "%s", tb_err());
    t = read_out("su.lua");
    ck_assert_msg(strstr(t, "priorityclass { name = \"batch\", value = 100, global_default = true"), "%.2000s", t);
    free(t);
    ck_assert_msg(tb_run("validate su.lua") == 0, "%s", tb_err());

    ck_assert_int_eq(tb_run("export surprises.lua --out sg --global-default-priority --namespaces "
                            "--pod-security baseline"), 0);
    ck_assert_msg(strstr(tb_out(), "; cluster-scoped: Namespace/research, PriorityClass/batch, PriorityClass/high\n"),
                  "%s", tb_out());
    static const char *const ns[] = {"  name: research\n", "    pod-security.kubernetes.io/enforce: baseline\n", NULL};
    expect_lines("sg/r1/namespaces.yaml", ns);
    t = read_out("sg/r1/priorityclasses.yaml");
    ck_assert_uint_eq(count(t, "globalDefault: true\n"), 1);
    ck_assert_msg(strstr(t, "kubesim.io/global-default") == NULL, "%.1500s", t);
    free(t);
    t = read_out("sg/r1/deployments.yaml");   /* the cluster's admission gives worker the class */
    ck_assert_uint_eq(count(t, "priorityClassName: "), 1);
    free(t);

    ck_assert_int_eq(tb_run("export surprises.lua --out bad --pod-security strict"), 2);
    ck_assert_msg(strstr(tb_err(), "--pod-security takes privileged, baseline or restricted, not 'strict'"), "%s",
                  tb_err());
    ck_assert(!tb_exists("bad"));
}
END_TEST

/* Issue 15, export 4: node groups in the formats their tools read. By
 * default an eksctl ClusterConfig (managed node groups with sizes, zones,
 * labels, taints, spot, the autoscaler's discovery tags and, for a group
 * that scales from zero, its node-template tags) and the upstream
 * cluster-autoscaler chart's values (auto-discovery, every flag in
 * extraArgs, expanderPriorities); neither is in kustomization.yaml, and no
 * ConfigMap is written. Karpenter NodePools on request. */
START_TEST(export_node_groups_both_provisioners)
{
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --out k"), 0);
    ck_assert_msg(strstr(tb_out(), "\nnode groups: eksctl create cluster -f k/REGION/eksctl-cluster.yaml, then helm "
                                   "install cluster-autoscaler autoscaler/cluster-autoscaler -n kube-system -f "
                                   "k/REGION/cluster-autoscaler-values.yaml\n"), "%s", tb_out());
    ck_assert(!tb_exists("k/r1/cluster-autoscaler.yaml"));
    char *t = read_out("k/r1/kustomization.yaml");
    ck_assert_msg(!strstr(t, "eksctl") && !strstr(t, "values") && strstr(t, "- deployments.yaml\n"), "%s", t);
    free(t);
    static const char *const ek[] = {
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: kinds-r1\n  region: r1\n",
        "    kubesim.io/cpu.cpu: \"8\"\n    kubesim.io/cpu.memory: \"32Gi\"\n    kubesim.io/cpu.pods: \"110\"\n"
        "    kubesim.io/cpu.price-per-hour: \"0.5\"\n    kubesim.io/cpu.provisioning-delay: \"90s\"\n",
        "    kubesim.io/gpu.gpu: \"1\"\n",
        "managedNodeGroups:\n- name: cpu\n  instanceType: cpu\n  minSize: 1\n  maxSize: 5\n  desiredCapacity: 2\n"
        "  availabilityZones:\n  - r1-a\n  - r1-b\n  labels:\n    pool: general\n  propagateASGTags: true\n"
        "  tags:\n    k8s.io/cluster-autoscaler/enabled: \"true\"\n    k8s.io/cluster-autoscaler/kinds-r1: owned\n- name: gpu\n",
        /* min 0: the autoscaler learns the taint and the GPUs from tags */
        "- name: gpu\n  instanceTypes:\n  - gpu\n  spot: true\n  minSize: 0\n  maxSize: 2\n  desiredCapacity: 0\n",
        "  taints:\n  - key: nvidia.com/gpu\n    value: present\n    effect: NoSchedule\n",
        "    k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu: present:NoSchedule\n"
        "    k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu: \"1\"\n",
        NULL};
    expect_lines("k/r1/eksctl-cluster.yaml", ek);
    t = read_out("k/r1/eksctl-cluster.yaml");   /* min 1: no template tags needed */
    ck_assert_msg(strstr(t, "node-template/label/pool") == NULL, "%s", t);
    free(t);
    static const char *const hv[] = {
        "cloudProvider: aws\nawsRegion: r1\nadditionalLabels:\n  kubesim.io/region: r1\nautoDiscovery:\n  clusterName: kinds-r1\n  tags:\n"
        "  - k8s.io/cluster-autoscaler/enabled\n  - k8s.io/cluster-autoscaler/kinds-r1\nextraArgs:\n"
        "  expander: priority,least-waste\n  scan-interval: \"10s\"\n",
        "  scale-down-utilization-threshold: \"0.4\"\n", "  max-pod-eviction-time: \"120s\"\n",
        "expanderPriorities:\n  \"0\":\n  - ^cpu$\n  - ^gpu$\n", NULL};
    expect_lines("k/r1/cluster-autoscaler-values.yaml", hv);
    static const char *const r2[] = {"  name: kinds-r2\n  region: r2\n", "- name: cpu2\n", NULL};
    expect_lines("k/r2/eksctl-cluster.yaml", r2);

    /* AWS zones give the AWS region; a group at zero with labels gets label tags. */
    tb_write("aws.lua", "scenario { name = \"aws_x\" }\nregion { name = \"east\", zones = { \"us-east-1a\" } }\n"
                        "nodegroup { name = \"big\", cpu = \"4\", memory = \"16Gi\", min = 0, max = 3, labels = { tier = \"batch\" } }\n"
                        "autoscaler { enabled = false }\n");
    ck_assert_int_eq(tb_run("export aws.lua --out aws --quiet"), 0);
    static const char *const aws[] = {"  name: aws-x-east\n  region: us-east-1\n",
                                      "    k8s.io/cluster-autoscaler/node-template/label/tier: batch\n", NULL};
    expect_lines("aws/east/eksctl-cluster.yaml", aws);
    static const char *const off[] = {"awsRegion: us-east-1\n", "replicaCount: 0\n", NULL};
    expect_lines("aws/east/cluster-autoscaler-values.yaml", off);

    ck_assert_int_eq(tb_run("export kinds.lua --out kk --provisioner karpenter"), 0);
    ck_assert_msg(strstr(tb_out(), "NodePool/cpu, NodePool/gpu, NodePool/cpu2\n"), "%s", tb_out());
    ck_assert_msg(strstr(tb_out(), "eksctl") == NULL, "%s", tb_out());
    ck_assert(!tb_exists("kk/r1/eksctl-cluster.yaml") && !tb_exists("kk/r1/cluster-autoscaler-values.yaml"));
    static const char *const np[] = {
        "apiVersion: karpenter.sh/v1\nkind: NodePool\n", "        values:\n        - spot\n",
        "        effect: NoSchedule\n", "    cpu: \"16\"\n", "    consolidationPolicy: WhenEmptyOrUnderutilized\n",
        "    kubesim.io/min: \"1\"\n    kubesim.io/max: \"5\"\n", "    kubesim.io/cpu: \"8\"\n    kubesim.io/memory: \"32Gi\"\n",
        NULL};
    expect_lines("kk/r1/nodepools.yaml", np);
    static const char *const kz[] = {"- nodepools.yaml\n", NULL};
    expect_lines("kk/r1/kustomization.yaml", kz);
    char last[1024], problems[4000];   /* the rest still validates, with either provisioner */
    ck_assert_msg(validate_dirs("kk k", last, sizeof last, problems, sizeof problems) == 0, "%s%s", problems, last);
}
END_TEST

/* Same scenario, same bytes. */
START_TEST(export_is_deterministic)
{
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --out d1 --quiet"), 0);
    ck_assert_int_eq(tb_run("export kinds.lua --out d2 --quiet"), 0);
    ck_assert_int_eq(tb_run("export --out d3 --quiet"), 0);
    ck_assert_int_eq(tb_run("export --out d4 --quiet"), 0);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cd '%s' && diff -r d1 d2 && diff -r d3 d4", tb_dir());
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Bad input ends with exit 2, a message naming file and line, and nothing
 * written; --help names every flag. */
START_TEST(export_refuses_bad_input)
{
    tb_write("bad.lua", "region { name = \"r1\" }\ndeployment { name = \"web\", replicas = \"many\" }\n");
    ck_assert_int_eq(tb_run("export bad.lua --out b1"), 2);
    ck_assert_msg(strstr(tb_err(), "bad.lua:2:") != NULL, "%.1200s", tb_err());
    ck_assert(!tb_exists("b1"));
    tb_write("kinds.lua", kinds);
    ck_assert_int_eq(tb_run("export kinds.lua --set cpu.maxx=3 --out b2"), 2);
    ck_assert_msg(strstr(tb_err(), "maxx") != NULL, "%.1200s", tb_err());
    ck_assert(!tb_exists("b2"));
    tb_write("file", "x");
    ck_assert_int_eq(tb_run("export kinds.lua --out file/sub"), 2);
    ck_assert_int_eq(tb_run("export kinds.lua --provisioner terraform --out b3"), 2);
    ck_assert(!tb_exists("b3"));
    ck_assert_int_eq(tb_run("export kinds.lua extra --out b4"), 2);
    ck_assert_int_eq(tb_run("export --help"), 0);
    const char *flags[] = {"--out DIR", "--set NAME=VALUE", "--provisioner cluster-autoscaler|karpenter", "--seed N",
                           "--quiet", "kubectl apply -k", NULL};
    for (size_t i = 0; flags[i]; i++)
        ck_assert_msg(strstr(tb_out(), flags[i]) != NULL, "--help lacks %s", flags[i]);
}
END_TEST

/* `kubesim bench --only export --quick` reports objects per second. */
START_TEST(export_bench_reports_objects_per_second)
{
    ck_assert_msg(tb_run("bench --only export --quick --json") == 0, "%.1200s", tb_err());
    ck_assert_msg(strstr(tb_out(), "\"bench\":\"export\"") && strstr(tb_out(), "\"objects_per_s\""), "%s",
                  tb_out());
}
END_TEST

/* ---- out of memory ------------------------------------------------------------- */
typedef struct Built {
    SimMem m;
    ScnScenario *s;
    ScnWorld *w;                 /* built as `kubesim export` builds it */
    SimEngine *e;
    WlControllers *wl;
    SchedCaConfig ca;
} Built;

static void build(Built *b, const char *path)
{
    SimErr err = SIM_ERR_INIT;
    sim_mem_init(&b->m);
    ScnOptions so = {.path = path, .seed = 42};
    b->s = scn_load(&b->m, &so, &err);
    ck_assert_msg(b->s != NULL, "%.1200s", sim_err_msg(&err));
    ScnWorldOptions wo = {.seed = 42, .mem = &b->m};
    ck_assert_msg(scn_world_open(&b->w, b->s, &wo) == SIM_OK, "%s", scn_world_errmsg(b->w));
    b->e = scn_world_engine(b->w);
    b->wl = scn_world_controllers(b->w);
    scn_autoscaler_config(b->s, &b->ca);
}

static void unbuild(Built *b)
{
    scn_world_close(b->w);
    scn_free(b->s);
    ck_assert_int_eq(b->m.live, 0);
}

/* Issue 14: minReplicas 0 needs the feature gate HPAScaleToZero. Export
 * refuses such an HPA when the cluster's gates lack it (a real API server
 * rejects the object), naming the HPA and the gate; with the gate the HPA
 * carries kubesim.io/feature-gates and `kubesim export` says what the
 * clusters need. */
static const char zero[] =
    "scenario { name = \"zero\", duration = \"1h\", feature_gates = { HPAScaleToZero = true } }\n"
    "region { name = \"r1\" }\n"
    "nodegroup { name = \"cpu\", region = \"r1\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 3, size = 1 }\n"
    "queue { name = \"work\", region = \"r1\" }\n"
    "deployment { name = \"workers\", region = \"r1\", queue = \"work\", replicas = 1, cpu = \"1\",\n"
    "             memory = \"1Gi\" }\n"
    "hpa { name = \"workers\", target = \"workers\", min = 0, max = 4,\n"
    "      metrics = { { type = \"External\", name = \"work/queue_length\", target = { type = \"AverageValue\", "
    "average_value = \"3\" } } } }\n";

START_TEST(export_scale_to_zero_needs_the_gate)
{
    Built b;
    build(&b, tb_write("zero.lua", zero));
    KxExportOptions o = {.scenario = "zero", .ca = &b.ca, .gates = 0};
    KxFiles *f = NULL;
    ck_assert_int_eq(kx_export(b.e, b.wl, &o, &f), SIM_EINVAL);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(sim_errmsg(b.e), "hpa 'workers': minReplicas 0 needs the feature gate HPAScaleToZero"),
                  "%s", sim_errmsg(b.e));
    o.gates = scn_feature_gates(b.s);
    ck_assert_int_eq(kx_export(b.e, b.wl, &o, &f), SIM_OK);
    kx_files_free(f);
    unbuild(&b);
    ck_assert_int_eq(tb_run("export zero.lua --out z"), 0);
    ck_assert_msg(strstr(tb_out(), "each cluster needs the feature gate HPAScaleToZero"), "%s", tb_out());
    static const char *const want[] = {"  annotations:\n    kubesim.io/feature-gates: HPAScaleToZero\n",
                                       "  minReplicas: 0\n  maxReplicas: 4\n", NULL};
    expect_lines("z/r1/horizontalpodautoscalers.yaml", want);
}
END_TEST

/* Fail allocation N of the export for every N, with both provisioners: it
 * returns SIM_ENOMEM and leaks nothing; past the last, it succeeds. */
START_TEST(export_out_of_memory_sweep)
{
    Built b;
    build(&b, tb_write("kinds.lua", kinds));
    for (int p = 0; p < 2; p++) {
        KxExportOptions o = {.scenario = "kinds", .provisioner = (KxProvisioner)p, .ca = &b.ca};
        int64_t live = b.m.live;
        for (uint64_t n = 1;; n++) {
            b.m.oom = 0;
            b.m.fail_at = b.m.count + n;
            KxFiles *f = NULL;
            int rc = kx_export(b.e, b.wl, &o, &f);
            ck_assert_msg(rc == SIM_OK || (rc == SIM_ENOMEM && b.m.oom && f == NULL), "allocation %llu: %d",
                          (unsigned long long)n, rc);
            if (rc == SIM_OK)
                ck_assert_uint_ge(kx_files_objects(f), 17);
            kx_files_free(f);
            ck_assert_msg(b.m.live == live, "leak after failing allocation %llu", (unsigned long long)n);
            if (rc == SIM_OK)
                break;
            ck_assert_msg(n < 100000, "no end to the sweep");
        }
    }
    b.m.fail_at = 0;
    b.m.oom = 0;
    unbuild(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("export");
    TCase *mem = tcase_create("memory");
    tcase_add_test(mem, export_out_of_memory_sweep);
    suite_add_tcase(s, mem);
    TCase *bin = tcase_create("binary");
    tcase_set_timeout(bin, 600);
    tcase_add_test(bin, export_every_shipped_scenario_validates);
    tcase_add_test(bin, export_regions_and_kustomizations);
    tcase_add_test(bin, export_hpa_metrics_and_behavior);
    tcase_add_test(bin, export_cronjob_and_job_fields);
    tcase_add_test(bin, export_policy_quantities_round_trip);
    tcase_add_test(bin, export_deployment_scheduling_and_service);
    tcase_add_test(bin, export_every_pod_template_is_restricted);
    tcase_add_test(bin, export_node_groups_both_provisioners);
    tcase_add_test(bin, export_no_cluster_wide_surprises);
    tcase_add_test(bin, export_is_deterministic);
    tcase_add_test(bin, export_refuses_bad_input);
    tcase_add_test(bin, export_scale_to_zero_needs_the_gate);
    tcase_add_test(bin, export_bench_reports_objects_per_second);
    suite_add_tcase(s, bin);
    return s;
}

int main(void)
{
    if (tb_setup("export") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder */
    tb_cleanup();
    return failed ? 1 : 0;
}
