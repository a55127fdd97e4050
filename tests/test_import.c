/*
 * test_import.c: `kubesim import`. Every real manifest from kubernetes/website
 * imports into a scenario that validates and runs (the legacy batch/v1beta1
 * CronJob is refused naming batch/v1); the mappings are pinned; an export
 * imported back simulates to the same summary; bad input names file, line
 * and field and writes nothing; the same input gives the same bytes; and
 * the importer survives failing allocation N for every N without leaking.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctype.h>
#include <unistd.h>

#include "k8s-export/kx.h"
#include "kube/kube.h"
#include "sim/arena.h"
#include "scenarios/scn.h"
#include "tb.h"
#include "tr.h"

static const char *shared(void)
{
    const char *s = getenv("KUBESIM_SHARED");
    return s ? s : "/work/shared";
}

static char real[4096];

static const char *manifest(const char *name)
{
    snprintf(real, sizeof real, "%s/real-manifests/kubernetes-website/%s", shared(), name);
    return real;
}

START_TEST(import_every_real_manifest_validates_and_runs)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/real-manifests/kubernetes-website/*.yaml", shared());
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 12);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *p = g.gl_pathv[i];
        if (strstr(p, "LEGACY")) {
            ck_assert_int_eq(tb_run("import '%s' --out legacy.lua", p), 2);
            ck_assert_msg(strstr(tb_err(), "batch/v1beta1") && strstr(tb_err(), "use batch/v1"), "%.1500s", tb_err());
            ck_assert(!tb_exists("legacy.lua"));
            continue;
        }
        ck_assert_msg(tb_run("import '%s' --out real%zu.lua", p, i) == 0, "%s: %.1500s", p, tb_err());
        ck_assert_msg(tb_run("validate real%zu.lua", i) == 0, "%s: %.1500s", p, tb_err());
        ck_assert_msg(tb_run("run real%zu.lua --quiet --out real%zu", i, i) == 0, "%s: %.1500s", p, tb_err());
    }
    globfree(&g);
}
END_TEST

static char *imported(const char *args)
{
    ck_assert_msg(tb_run("import %s --out pin.lua", args) == 0, "%.1500s", tb_err());
    char path[4096];
    snprintf(path, sizeof path, "%s/pin.lua", tb_dir());
    char *text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    return text;
}

START_TEST(import_pins_the_mappings)
{
    char args[9000];
    snprintf(args, sizeof args, "'%s'", manifest("application_php-apache.yaml"));
    snprintf(args + strlen(args), sizeof args - strlen(args), " '%s'", manifest("application_hpa_php-apache.yaml"));
    char *s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "deployment { name = \"php-apache\""));
    ck_assert_ptr_nonnull(strstr(s, "cpu = \"200m\", cpu_limit = \"500m\""));
    ck_assert_ptr_nonnull(strstr(s, "hpa { name = \"php-apache\", target = \"php-apache\", min = 1, max = 10"));
    ck_assert_ptr_nonnull(strstr(s, "type = \"Utilization\", average_utilization = 50"));
    free(s);
    snprintf(args, sizeof args, "'%s'", manifest("admin_resource_quota-mem-cpu.yaml"));
    s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "[\"requests.cpu\"] = \"1\", [\"requests.memory\"] = \"1Gi\", "
                                    "[\"limits.cpu\"] = \"2\", [\"limits.memory\"] = \"2Gi\""));
    free(s);
    snprintf(args, sizeof args, "'%s'", manifest("admin_resource_memory-defaults.yaml"));
    s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "default = { memory = \"512Mi\" }, default_request = { memory = \"256Mi\" }"));
    free(s);
    snprintf(args, sizeof args, "'%s'", manifest("policy_zookeeper-pod-disruption-budget-minavailable.yaml"));
    s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "min_available = 2"));
    free(s);
    snprintf(args, sizeof args, "'%s'", manifest("service_networking_minimal-ingress.yaml"));
    s = imported(args);
    ck_assert_ptr_nonnull(strstr(s, "-- not simulated: Ingress/minimal-ingress"));
    free(s);
}
END_TEST

/* A summary without what cannot match: the run's wall time, the trace hash
 * (the trace names the scenario), the name, expectations (an import has no
 * expect) and the event count (hooks are events; an import has none). */
static void strip(char *cmd, size_t n, const char *dir)
{
    snprintf(cmd, n,
             "python3 -c \"import json,sys; d=json.load(open('%s/%s/summary.json'));"
             "[d.pop(k,None) for k in ('wall_seconds','trace_sha256','scenario','expectations','events')];"
             "d.get('namespaces',[]).sort(key=lambda n: n['name']);"
             "print(json.dumps(d,sort_keys=True))\" > %s/%s.json",
             tb_dir(), dir, tb_dir(), dir);
}

static void round_trip(const char *scenario, const char *start, const char *duration, const char *tag)
{
    ck_assert_msg(tb_run("run '%s' --quiet --out %s-a", scenario, tag) <= 1, "%.1500s", tb_err());
    ck_assert_msg(tb_run("export '%s' --out %s-m --quiet", scenario, tag) == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("import %s-m --start %s --duration %s --out %s.lua", tag, start, duration, tag) == 0, "%.1500s",
                  tb_err());
    ck_assert_msg(tb_run("run %s.lua --quiet --out %s-b", tag, tag) == 0, "%.1500s", tb_err());
    char cmd[8192], a[256], b[256];
    snprintf(a, sizeof a, "%s-a", tag);
    snprintf(b, sizeof b, "%s-b", tag);
    strip(cmd, sizeof cmd, a);
    ck_assert_int_eq(system(cmd), 0);
    strip(cmd, sizeof cmd, b);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cmp -s %s/%s.json %s/%s.json", tb_dir(), a, tb_dir(), b);
    ck_assert_msg(system(cmd) == 0, "%s: the summaries differ", scenario);
}

static const char small[] =
    "scenario { name = \"small\", start = \"08:00\", duration = \"3h\" }\n"
    "region { name = \"r1\", zones = { \"r1-a\", \"r1-b\" } }\n"
    "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 2, max = 6, price = 0.4,\n"
    "            labels = { tier = \"general\" } }\n"
    "nodegroup { name = \"tainted\", cpu = \"16\", memory = \"64Gi\", min = 0, max = 2, taints = { \"batch=yes:NoSchedule\" } }\n"
    "namespace { name = \"team\" }\n"
    "priorityclass { name = \"high\", value = 1000 }\n"
    "quota { name = \"q\", namespace = \"team\", hard = { [\"requests.cpu\"] = \"20\", pods = 50, [\"count/pods\"] = 200 } }\n"
    "limitrange { name = \"lr\", namespace = \"team\", default_request = { cpu = \"250m\", memory = \"256Mi\" } }\n"
    "deployment { name = \"api\", namespace = \"team\", replicas = 3, cpu = \"500m\", memory = \"512Mi\",\n"
    "             priority_class = \"high\", spread = { { max_skew = 1, topology_key = \"topology.kubernetes.io/zone\" } },\n"
    "             usage = { cpu = \"400m\" }, strategy = { max_surge = 1, max_unavailable = 0 } }\n"
    "hpa { name = \"api\", target = \"api\", min = 3, max = 8,\n"
    "      metrics = { { type = \"Resource\", name = \"cpu\", target = { type = \"Utilization\", average_utilization = 50 } } },\n"
    "      behavior = { scale_down = { stabilization_window = \"60s\" } } }\n"
    "pdb { name = \"api\", namespace = \"team\", selector = { app = \"api\" }, min_available = 2 }\n"
    "statefulset { name = \"db\", replicas = 2, cpu = \"1\", memory = \"2Gi\", volume = \"10Gi\" }\n"
    "daemonset { name = \"agent\", cpu = \"100m\", memory = \"64Mi\", tolerations = { { operator = \"Exists\" } } }\n"
    "job { name = \"batch\", start = \"20m\", completions = 6, parallelism = 3, duration = \"15m\", cpu = \"2\",\n"
    "      tolerations = { \"batch=yes:NoSchedule\" }, fail = { first = 1, exit_code = 3 } }\n"
    "cronjob { name = \"nightly\", schedule = \"*/30 * * * *\", concurrency_policy = \"Forbid\",\n"
    "          job = { duration = \"5m\", cpu = \"1\" } }\n"
    /* GPUs: nvidia.com/gpu has dots, so the importer must not read it as a path. */
    "nodegroup { name = \"gpu\", cpu = \"8\", memory = \"32Gi\", gpu = 2, min = 0, max = 2, price = 2.5,\n"
    "            taints = { \"nvidia.com/gpu=present:NoSchedule\" } }\n"
    "job { name = \"train\", start = \"10m\", completions = 4, parallelism = 4, duration = \"30m\", cpu = \"2\",\n"
    "      gpu = 1, tolerations = { \"nvidia.com/gpu=present:NoSchedule\" } }\n";

START_TEST(import_round_trips_an_export)
{
    tb_write("small.lua", small);
    round_trip("small.lua", "08:00", "3h", "small");
    char path[1024];   /* count/pods (a limit on pod objects, ended ones included) goes both ways */
    snprintf(path, sizeof path, "%s/small.lua", tb_dir());
    char *text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "[\"count/pods\"] = 200") != NULL, "%.3000s", text);
    free(text);
    char p[4096];
    snprintf(p, sizeof p, "%s/scenarios/quota_contention.lua", getenv("KUBESIM_SRC"));
    round_trip(p, "09:00", "6h", "quota");
    snprintf(p, sizeof p, "%s/scenarios/nightly_data_pipeline.lua", getenv("KUBESIM_SRC"));
    char start[16] = "", dur[16] = "";
    FILE *f = fopen(p, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (!start[0])
            (void)sscanf(line, " start = \"%15[^\"]\"", start);
        if (!dur[0])
            (void)sscanf(line, " duration = \"%15[^\"]\"", dur);
    }
    if (f)
        fclose(f);
    round_trip(p, start, dur, "nightly");
    /* GPU groups and requests, site latencies (kubesim.io/latency). */
    snprintf(p, sizeof p, "%s/scenarios/gpu_training_burst.lua", getenv("KUBESIM_SRC"));
    round_trip(p, "08:00", "5h", "gpu");
}
END_TEST

/* Issue 15, export 4: node groups read back from every form an export has
 * written, each giving the scenario's groups and autoscaler flags (the runs'
 * summaries, which hold each group's nodes and cost, match the original):
 * the eksctl ClusterConfig with the chart's values (default), the ConfigMap
 * kube-system/kubesim-node-groups of older exports, and Karpenter NodePools
 * with their kubesim.io/ annotations. */
static const char groups[] =
    "scenario { name = \"groups\", start = \"08:00\", duration = \"2h\" }\n"
    "region { name = \"r1\", zones = { \"r1-a\", \"r1-b\" } }\n"
    "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 6, size = 2, price = 0.4,\n"
    "            labels = { tier = \"general\" }, expander_priority = 10, provision_delay = \"120s\" }\n"
    "nodegroup { name = \"spot\", instance_type = \"m6i.2xlarge\", cpu = \"8\", memory = \"32Gi\", min = 0, max = 4,\n"
    "            price = 0.15, spot = true, zones = { \"r1-b\" }, expander_priority = 20, taints = { \"spot=true:NoSchedule\" } }\n"
    "nodegroup { name = \"gpu\", cpu = \"8\", memory = \"32Gi\", gpu = 2, min = 0, max = 2, price = 2.5,\n"
    "            taints = { \"nvidia.com/gpu=present:NoSchedule\" } }\n"
    "autoscaler { expander = { \"priority\", \"least-waste\" }, scale_down_unneeded_time = \"5m\", scan_interval = \"20s\",\n"
    "             max_pod_eviction_time = \"90s\" }\n"
    "deployment { name = \"api\", replicas = 10, cpu = \"2\", memory = \"4Gi\" }\n"
    "deployment { name = \"batchy\", replicas = 6, cpu = \"2\", memory = \"2Gi\", tolerations = { \"spot=true:NoSchedule\" } }\n"
    "job { name = \"train\", start = \"10m\", completions = 2, parallelism = 2, duration = \"20m\", cpu = \"2\", gpu = 1,\n"
    "      tolerations = { \"nvidia.com/gpu=present:NoSchedule\" } }\n";

/* The same groups and flags as an export before issue 15 wrote them. */
static const char old_form[] =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kubesim-node-groups\n  namespace: kube-system\ndata:\n"
    "  flags: |\n    --expander=priority,least-waste\n    --scan-interval=20s\n    --scale-down-unneeded-time=300s\n"
    "    --max-pod-eviction-time=90s\n    --nodes=1:6:cpu\n"
    "  node-groups.yaml: |\n"
    "    - name: \"cpu\"\n      instanceType: \"cpu\"\n      min: 1\n      max: 6\n      size: 2\n"
    "      capacity: {cpu: \"8\", memory: \"32Gi\", nvidia.com/gpu: 0, pods: 110}\n      pricePerHour: 0.4\n"
    "      spot: false\n      provisioningDelay: \"120s\"\n      expanderPriority: 10\n      zones: [\"r1-a\", \"r1-b\"]\n"
    "      labels:\n        \"tier\": \"general\"\n      taints: []\n"
    "    - name: \"spot\"\n      instanceType: \"m6i.2xlarge\"\n      min: 0\n      max: 4\n      size: 0\n"
    "      capacity: {cpu: \"8\", memory: \"32Gi\", nvidia.com/gpu: 0, pods: 110}\n      pricePerHour: 0.15\n"
    "      spot: true\n      provisioningDelay: \"90s\"\n      expanderPriority: 20\n      zones: [\"r1-b\"]\n"
    "      labels: {}\n      taints:\n      - {key: \"spot\", value: \"true\", effect: NoSchedule}\n"
    "    - name: \"gpu\"\n      instanceType: \"gpu\"\n      min: 0\n      max: 2\n      size: 0\n"
    "      capacity: {cpu: \"8\", memory: \"32Gi\", nvidia.com/gpu: 2, pods: 110}\n      pricePerHour: 2.5\n"
    "      spot: false\n      provisioningDelay: \"90s\"\n      zones: [\"r1-a\", \"r1-b\"]\n"
    "      labels: {}\n      taints:\n      - {key: \"nvidia.com/gpu\", value: \"present\", effect: NoSchedule}\n";

static char *read_text(const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", tb_dir(), name);
    char *t = tb_read(p, NULL);
    ck_assert_msg(t != NULL, "%s unreadable", name);
    return t;
}

/* The stripped summaries of runs a and b are the same. */
static void same_summary(const char *a, const char *b)
{
    char cmd[8192];
    strip(cmd, sizeof cmd, a);
    ck_assert_int_eq(system(cmd), 0);
    strip(cmd, sizeof cmd, b);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cmp -s %s/%s.json %s/%s.json", tb_dir(), a, tb_dir(), b);
    ck_assert_msg(system(cmd) == 0, "%s and %s: the summaries differ", a, b);
}

START_TEST(import_reads_node_groups_in_every_form)
{
    tb_write("groups.lua", groups);
    ck_assert_msg(tb_run("run groups.lua --quiet --out ga") <= 1, "%.1500s", tb_err());
    ck_assert_msg(tb_run("export groups.lua --out gm --quiet") == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("import gm --start 08:00 --duration 2h --out gb.lua") == 0, "%.1500s", tb_err());
    char *t = read_text("gb.lua");   /* both files read: groups, flags, priorities; nothing "not simulated" */
    ck_assert_msg(strstr(t, "-- not simulated") == NULL, "%.3000s", t);
    ck_assert_msg(strstr(t, "nodegroup { name = \"spot\", region = \"r1\", instance_type = \"m6i.2xlarge\", min = 0, "
                            "max = 4, size = 0, spot = true, price = 0.15, cpu = \"8\", memory = \"32Gi\", pods = 110, "
                            "provision_delay = \"90s\", expander_priority = 20,\n    zones = { \"r1-b\" }") != NULL,
                  "%.3000s", t);
    ck_assert_msg(strstr(t, "expander = { \"priority\", \"least-waste\" }, scan_interval = \"20s\"") &&
                  strstr(t, "scale_down_unneeded_time = \"300s\"") && strstr(t, "max_pod_eviction_time = \"90s\""),
                  "%.3000s", t);
    free(t);
    ck_assert_msg(tb_run("run gb.lua --quiet --out gb") <= 1, "%.1500s", tb_err());
    same_summary("ga", "gb");

    /* An export from before issue 15: the ConfigMap instead of the two files. */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd %s && mkdir -p old/r1 && cp gm/r1/*.yaml old/r1/ && "
             "rm old/r1/eksctl-cluster.yaml old/r1/cluster-autoscaler-values.yaml", tb_dir());
    ck_assert_int_eq(system(cmd), 0);
    tb_write("old/r1/cluster-autoscaler.yaml", old_form);
    ck_assert_msg(tb_run("import old --start 08:00 --duration 2h --out gc.lua") == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("run gc.lua --quiet --out gc") <= 1, "%.1500s", tb_err());
    same_summary("ga", "gc");

    /* Karpenter: the NodePools and their annotations. */
    ck_assert_msg(tb_run("export groups.lua --provisioner karpenter --out gk --quiet") == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("import gk --start 08:00 --duration 2h --out gk.lua") == 0, "%.1500s", tb_err());
    t = read_text("gk.lua");
    ck_assert_msg(strstr(t, "-- not simulated") == NULL, "%.3000s", t);
    ck_assert_msg(strstr(t, "nodegroup { name = \"spot\", region = \"r1\", instance_type = \"m6i.2xlarge\", spot = true, "
                            "min = 0, max = 4, size = 0, price = 0.15, cpu = \"8\", memory = \"32Gi\", pods = 110, "
                            "provision_delay = \"90s\", expander_priority = 20,\n    zones = { \"r1-b\" }, labels = {}, "
                            "taints = { \"spot=true:NoSchedule\" } }") != NULL, "%.3000s", t);
    ck_assert_msg(strstr(t, "autoscaler { enabled = true, scale_down_unneeded_time = \"300s\" }"), "%.3000s", t);
    free(t);
}
END_TEST

/* A Karpenter export round-trips: the run of the import has the summary of
 * the scenario's (groups, sizes, prices, taints, consolidation time). */
START_TEST(import_round_trips_a_karpenter_export)
{
    tb_write("kgroups.lua",
             "scenario { name = \"kgroups\", start = \"08:00\", duration = \"2h\" }\n"
             "region { name = \"r1\", zones = { \"r1-a\", \"r1-b\" } }\n"
             "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 6, size = 2, price = 0.4,\n"
             "            labels = { tier = \"general\" }, provision_delay = \"120s\" }\n"
             "nodegroup { name = \"gpu\", cpu = \"8\", memory = \"32Gi\", gpu = 2, min = 0, max = 2, price = 2.5,\n"
             "            spot = true, taints = { \"nvidia.com/gpu=present:NoSchedule\" } }\n"
             "autoscaler { scale_down_unneeded_time = \"5m\" }\n"
             "deployment { name = \"api\", replicas = 10, cpu = \"2\", memory = \"4Gi\" }\n"
             "job { name = \"train\", start = \"10m\", completions = 2, parallelism = 2, duration = \"20m\", cpu = \"2\",\n"
             "      gpu = 1, tolerations = { \"nvidia.com/gpu=present:NoSchedule\" } }\n");
    ck_assert_msg(tb_run("run kgroups.lua --quiet --out ka") <= 1, "%.1500s", tb_err());
    ck_assert_msg(tb_run("export kgroups.lua --provisioner karpenter --out km --quiet") == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("import km --start 08:00 --duration 2h --out kb.lua") == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("run kb.lua --quiet --out kb") <= 1, "%.1500s", tb_err());
    same_summary("ka", "kb");
}
END_TEST

/* terminationGracePeriodSeconds: written into the pod template only when the
 * scenario sets termination_grace, and read back as the same field. */
START_TEST(import_round_trips_termination_grace)
{
    tb_write("grace.lua",
             "scenario { name = \"grace\", start = \"08:00\", duration = \"1h\" }\n"
             "region { name = \"r1\" }\n"
             "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 2 }\n"
             "deployment { name = \"slow\", replicas = 1, cpu = \"1\", termination_grace = \"600s\" }\n"
             "deployment { name = \"plain\", replicas = 1, cpu = \"1\" }\n");
    ck_assert_msg(tb_run("export grace.lua --out grace-m --quiet") == 0, "%.1500s", tb_err());
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "test $(cat %s/grace-m/*/*.yaml | grep -c 'terminationGracePeriodSeconds: 600$') = 1 "
             "&& test $(cat %s/grace-m/*/*.yaml | grep -c terminationGracePeriodSeconds) = 1", tb_dir(), tb_dir());
    ck_assert_msg(system(cmd) == 0, "the export has not exactly one terminationGracePeriodSeconds: 600");
    ck_assert_msg(tb_run("import grace-m --start 08:00 --duration 1h --out grace-b.lua") == 0, "%.1500s", tb_err());
    char path[4096];
    snprintf(path, sizeof path, "%s/grace-b.lua", tb_dir());
    char *text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    const char *slow = strstr(text, "deployment { name = \"slow\""), *plain = strstr(text, "deployment { name = \"plain\"");
    ck_assert_ptr_nonnull(slow);
    ck_assert_ptr_nonnull(plain);
    const char *grace = strstr(text, "termination_grace = \"600s\"");
    ck_assert_ptr_nonnull(grace);
    ck_assert_ptr_null(strstr(grace + 1, "termination_grace"));   /* only once */
    ck_assert_msg(slow < plain ? grace > slow && grace < plain : grace > slow, "%s", text);
    free(text);
    ck_assert_msg(tb_run("run grace-b.lua --quiet --out grace-b") == 0, "%.1500s", tb_err());
}
END_TEST

/* Every SLO target (serve.slo) and serve.slo_from go out as
 * kubesim.io/serve-slo and kubesim.io/serve-slo-from (beside serve-slo-p95,
 * which an older import reads) and come back as the same declaration: the
 * run of the import has the same slo[] (targets, slo_from_seconds). */
START_TEST(import_round_trips_every_slo_target_and_slo_from)
{
    tb_write("slo.lua",
             "scenario { name = \"slo\", start = \"08:00\", duration = \"40m\" }\n"
             "region { name = \"r1\" }\n"
             "nodegroup { name = \"cpu\", cpu = \"8\", memory = \"32Gi\", min = 2, max = 2 }\n"
             "deployment { name = \"api\", replicas = 2, cpu = \"1\", memory = \"1Gi\",\n"
             "  serve = { service = \"api\", capacity = 100, service_time = \"20ms\", timeout = \"2s\",\n"
             "            slo = { p99 = \"60ms\", p95 = \"45ms\", [\"p99.9\"] = \"1s\" }, slo_from = \"08:10\" } }\n"
             "deployment { name = \"old\", replicas = 1, cpu = \"1\", memory = \"1Gi\",\n"
             "  serve = { service = \"old\", capacity = 100, slo_p95 = \"150ms\" } }\n"
             "site { name = \"hq\" }\n"
             "latency { from = \"hq\", to = \"r1\", ms = 2 }\n"
             "traffic { site = \"hq\", service = \"api\", rate = 150 }\n"
             "traffic { site = \"hq\", service = \"old\", rate = 20 }\n");
    round_trip("slo.lua", "08:00", "40m", "slo");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "grep -q 'kubesim.io/serve-slo: p95=45ms,p99=60ms,p99.9=1s$' %s/slo-m/r1/deployments.yaml"
             " && grep -q 'kubesim.io/serve-slo-p95: \"45ms\"$' %s/slo-m/r1/deployments.yaml"
             " && grep -q 'kubesim.io/serve-slo-from: \"600s\"$' %s/slo-m/r1/deployments.yaml"
             " && test $(grep -c 'kubesim.io/serve-slo:' %s/slo-m/r1/deployments.yaml) = 1"
             " && test $(grep -c 'kubesim.io/serve-slo-from' %s/slo-m/r1/deployments.yaml) = 1",
             tb_dir(), tb_dir(), tb_dir(), tb_dir(), tb_dir());
    ck_assert_msg(system(cmd) == 0, "the export lacks the SLO annotations (or has them on 'old')");
    char path[4096];
    snprintf(path, sizeof path, "%s/slo.lua", tb_dir());
    char *text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "slo = { p95 = \"45ms\", p99 = \"60ms\", [\"p99.9\"] = \"1s\" }, slo_from = \"600s\""),
                  "%s", text);
    ck_assert_msg(strstr(text, "slo_p95 = \"150ms\"") && !strstr(text, "slo_p95 = \"45ms\""), "%s", text);
    free(text);
    snprintf(path, sizeof path, "%s/slo-b/summary.json", tb_dir());
    text = tb_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "\"percentile\":\t\"p99.9\"") && strstr(text, "\"slo_from_seconds\":\t600"), "%.3000s",
                  text);
    free(text);
}
END_TEST

/* A hand-written serve-slo beside serve-slo-p95 (no p95 in the list): both
 * are kept; the annotations' bad forms are refused naming file and line. */
START_TEST(import_reads_serve_slo_and_refuses_its_bad_forms)
{
    static const char head[] = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  annotations:\n"
                               "    kubesim.io/serve-service: api\n";
    static const char tail[] = "spec:\n  template:\n    spec: {containers: [{name: c, resources: {requests: {cpu: "
                               "\"1\"}}}]}\n";
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%s    kubesim.io/serve-slo-p95: 120ms\n    kubesim.io/serve-slo: p99=250ms, "
             "p99.95=2s\n%s", head, tail);
    tb_write("s.yaml", yaml);
    char *s = imported("s.yaml");
    ck_assert_msg(strstr(s, "slo_p95 = \"120ms\", slo = { p99 = \"250ms\", [\"p99.95\"] = \"2s\" }"), "%s", s);
    free(s);
    static const struct {
        const char *ann, *want;
    } bad[] = {
        {"kubesim.io/serve-slo: p101=1s", "s.yaml:7: metadata.annotations.kubesim.io/serve-slo: 'p101' is not a percentile"},
        {"kubesim.io/serve-slo: p99", "s.yaml:7: metadata.annotations.kubesim.io/serve-slo: 'p99' is not PERCENTILE=DURATION"},
        {"kubesim.io/serve-slo: p99=fast", "s.yaml:7: metadata.annotations.kubesim.io/serve-slo: p99: 'fast' is not a positive duration"},
        {"kubesim.io/serve-slo: p99=0ms", "s.yaml:7: metadata.annotations.kubesim.io/serve-slo: p99: '0ms' is not a positive duration"},
        {"kubesim.io/serve-slo: p99=1s,p99=2s", "s.yaml:7: metadata.annotations.kubesim.io/serve-slo: p99 is given twice"},
        {"kubesim.io/serve-slo: [p99]", "s.yaml:7: metadata.annotations.kubesim.io/serve-slo: expected a string"},
        {"kubesim.io/serve-slo: p95=100ms\n    kubesim.io/serve-slo-p95: 120ms",
         "s.yaml:8: metadata.annotations.kubesim.io/serve-slo-p95: differs from p95=100ms in kubesim.io/serve-slo"},
        {"kubesim.io/serve-slo-from: later", "s.yaml:7: metadata.annotations.kubesim.io/serve-slo-from: 'later'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(yaml, sizeof yaml, "%s    %s\n%s", head, bad[i].ann, tail);
        tb_write("s.yaml", yaml);
        ck_assert_int_eq(tb_run("import s.yaml --out s.lua"), 2);
        ck_assert_msg(strstr(tb_err(), bad[i].want), "case %zu: %.1500s", i, tb_err());
        ck_assert(!tb_exists("s.lua"));
    }
}
END_TEST

START_TEST(import_every_shipped_export_validates_and_runs)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/scenarios/*.lua", getenv("KUBESIM_SRC"));
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        ck_assert_int_eq(tb_run("export '%s' --out ship%zu --quiet", g.gl_pathv[i], i), 0);
        ck_assert_msg(tb_run("import ship%zu --out ship%zu.lua", i, i) == 0, "%s: %.1500s", g.gl_pathv[i], tb_err());
        ck_assert_msg(tb_run("validate ship%zu.lua", i) == 0, "%s: %.1500s", g.gl_pathv[i], tb_err());
        ck_assert_msg(tb_run("run ship%zu.lua --quiet --out ship%zu-run", i, i) == 0, "%s: %.1500s", g.gl_pathv[i],
                      tb_err());
    }
    globfree(&g);
}
END_TEST

START_TEST(import_refuses_bad_input)
{
    tb_write("bad.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [x\n");
    ck_assert_int_eq(tb_run("import bad.yaml --out bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "bad.yaml:") && strstr(tb_err(), "malformed YAML"), "%.1500s", tb_err());
    ck_assert(!tb_exists("bad.lua"));
    tb_write("q.yaml", "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\nspec:\n  hard:\n"
                       "    requests.cpu: 2x\n");
    ck_assert_int_eq(tb_run("import q.yaml --out bad.lua"), 2);
    /* The quota is read by kube_quota, so the message is explain's. */
    ck_assert_msg(strstr(tb_err(), "q.yaml:7: spec.hard.requests.cpu: \"2x\" is not a quantity"), "%.1500s", tb_err());
    ck_assert(!tb_exists("bad.lua"));
    ck_assert_int_eq(tb_run("import missing.yaml --out bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "missing.yaml"), "%.1500s", tb_err());
    tb_write("pdb.yaml", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\n");
    ck_assert_int_eq(tb_run("import pdb.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "pdb.yaml:1: apiVersion: ") && strstr(tb_err(), "use policy/v1"), "%.1500s",
                  tb_err());
    ck_assert(!tb_exists("bad.lua"));
}
END_TEST

/* Text from the manifests never reaches the script as code: names and
 * strings are quoted, numbers must read as numbers, and a newline in a name
 * cannot end a comment. */
START_TEST(import_keeps_manifest_text_out_of_the_code)
{
    tb_write("evil.yaml",
             "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: \"a\\nprint('x')\"\n---\n"
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
             "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n"
             "    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
             "      - name: c\n        image: \"x\\\"); os.exit(1) --\"\n"
             "        resources: {requests: {cpu: 100m, memory: 64Mi}}\n");
    ck_assert_msg(tb_run("import evil.yaml --out evil.lua") == 0, "%.1500s", tb_err());
    char p[600], text[8192];
    snprintf(p, sizeof p, "%s/evil.lua", tb_dir());
    tb_slurp(p, text, sizeof text);
    ck_assert_msg(strstr(text, "\nprint('x')") == NULL, "%.1500s", text);
    ck_assert_msg(strstr(text, "image = \"x\\034); os.exit(1) --\"") != NULL, "%.1500s", text);
    ck_assert_msg(tb_run("validate evil.lua") == 0, "%.700s\n%.700s", tb_err(), text);
    /* A name the scenario would refuse is refused by the import, naming the
     * annotation, with its control characters made harmless. */
    tb_write("svc.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
             "  annotations:\n    kubesim.io/serve-service: \"we\\\"b\\n\"\n"
             "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n"
             "    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
             "      - name: c\n        image: x\n");
    ck_assert_int_eq(tb_run("import svc.yaml --out svc.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "svc.yaml:6: metadata.annotations.kubesim.io/serve-service: 'we\"b?' is not a "
                                   "valid Service name") != NULL, "%.1500s", tb_err());
    ck_assert(!tb_exists("svc.lua"));
    tb_write("rate.yaml",
             "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n"
             "    kubesim.io/traffic: \"desk 10}print(1)--\"\nspec:\n  ports: [{port: 80}]\n---\n"
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
             "  annotations: {kubesim.io/serve-service: web}\n"
             "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n"
             "    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
             "      - name: c\n        image: x\n");
    ck_assert_int_eq(tb_run("import rate.yaml --out rate.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "is not a number") != NULL, "%.1500s", tb_err());
    ck_assert(!tb_exists("rate.lua"));
}
END_TEST

/* The benchmark runs (a smoke test: timings belong to kubesim bench). */
START_TEST(import_bench_reports_its_figures)
{
    ck_assert_msg(tb_run("bench --quick --only import") == 0, "%.1500s", tb_err());
    ck_assert_msg(strstr(tb_out(), "{\"bench\":\"import\",\"objects\":444,") != NULL, "%.1500s", tb_out());
    ck_assert_msg(strstr(tb_out(), "\"objects_per_s\":") != NULL, "%.1500s", tb_out());
}
END_TEST

START_TEST(import_is_deterministic)
{
    tb_write("small.lua", small);
    ck_assert_int_eq(tb_run("export small.lua --out det --quiet"), 0);
    ck_assert_int_eq(tb_run("import det --out d1.lua"), 0);
    ck_assert_int_eq(tb_run("import det --out d2.lua"), 0);
    size_t n1, n2;
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/d1.lua", tb_dir());
    snprintf(p2, sizeof p2, "%s/d2.lua", tb_dir());
    char *a = tb_read(p1, &n1), *b = tb_read(p2, &n2);
    ck_assert(a && b);
    ck_assert_uint_eq(n1, n2);
    ck_assert_int_eq(memcmp(a, b, n1), 0);
    free(a);
    free(b);
}
END_TEST

static const char oom_yaml[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team\nspec:\n  replicas: 2\n"
    "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: a\n"
    "        image: nginx\n        resources: {requests: {cpu: 250m, memory: 64Mi}}\n"
    "      tolerations: [{key: k, operator: Exists}]\n---\n"
    "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: team}\nspec: {hard: {pods: \"10\"}}\n---\n"
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: in}\n";

START_TEST(import_out_of_memory_sweep)
{
    KxImportFile f = {.path = "oom.yaml", .text = oom_yaml, .len = sizeof oom_yaml - 1, .region = "r"};
    SimErr err = SIM_ERR_INIT;
    int ok = 0;
    for (uint64_t n = 1; n < 10000 && !ok; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        char *text;
        size_t len, norg = 0;
        KxImportOrigin *org = NULL;
        KxImportOptions o = {.origins = &org, .norigins = &norg};   /* their allocations fail too */
        int rc = kx_import(&m, &f, 1, &o, &text, &len, &err);
        if (rc == SIM_OK) {
            /* Every line has an origin; the Deployment's come from its document. */
            size_t lines = 1;
            for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
                lines++;
            ck_assert_uint_eq(norg, lines);
            const char *dep = strstr(text, "deployment {");
            ck_assert_ptr_nonnull(dep);
            size_t at = 0;
            for (const char *p = text; p < dep; p++)
                at += *p == '\n';
            ck_assert_str_eq(org[at].file, "oom.yaml");
            ck_assert_int_eq(org[at].line, 1);
            sim_mem_free(&m, org, norg * sizeof *org);
            sim_mem_free(&m, text, len + 1);
            ok = 1;
        } else {
            ck_assert_int_eq(rc, SIM_ENOMEM);
        }
        ck_assert_int_eq(m.live, 0);
    }
    ck_assert(ok);
}
END_TEST


/* ---- hostile and awkward input (issue 12) -------------------------------- */

static int is_duration(const char *s)
{
    SimTime t;
    return scn_parse_duration(s, &t) == SIM_OK && t >= 0;
}

static int is_clock(const char *s)
{
    SimTime t;
    return scn_parse_clock(s, &t) == SIM_OK;
}

/* Imports text in-process (file "rich.yaml", region "r"): the rc, the
 * message in err, the scenario in *out (freed by the caller) on success. */
static int import_text(const char *text, char **out, SimErr *err)
{
    KxImportFile f = {.path = "rich.yaml", .text = text, .len = strlen(text), .region = "r"};
    KxImportOptions o = {.start = "08:00", .duration = "3h", .is_duration = is_duration, .is_clock = is_clock};
    SimMem m;
    sim_mem_init(&m);
    char *t = NULL;
    size_t len = 0;
    int rc = kx_import(&m, &f, 1, &o, &t, &len, err);
    *out = NULL;
    if (rc == SIM_OK) {
        *out = strdup(t);
        sim_mem_free(&m, t, len + 1);
    }
    ck_assert_int_eq(m.live, 0);
    return rc;
}

/* Pod overhead (spec.overhead, from the pod's RuntimeClass) counts in the
 * imported requests as upstream's scheduler counts it and as `explain
 * schedule` reads the same pod: max(sum of containers, largest init
 * container) + overhead; limits are left as declared. */
START_TEST(import_adds_pod_overhead_to_requests)
{
    static const char yaml[] =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kata}\n"
        "spec:\n  replicas: 2\n  selector: {matchLabels: {app: kata}}\n"
        "  template:\n    metadata: {labels: {app: kata}}\n    spec:\n"
        "      runtimeClassName: kata\n"
        "      overhead: {cpu: 250m, memory: 120Mi}\n"
        "      initContainers:\n      - {name: init, image: x, resources: {requests: {cpu: \"1\"}}}\n"
        "      containers:\n      - name: app\n        image: x\n"
        "        resources: {requests: {cpu: 500m, memory: 256Mi}, limits: {cpu: \"2\"}}\n";
    char *out = NULL;
    SimErr err = SIM_ERR_INIT;
    ck_assert_msg(import_text(yaml, &out, &err) == SIM_OK, "%s", sim_err_msg(&err));
    /* 1000m (the init container) + 250m; 256Mi + 120Mi = 376Mi. */
    ck_assert_msg(strstr(out, "cpu = \"1250m\", memory = \"376Mi\", cpu_limit = 2") != NULL, "%s", out);
    free(out);
}
END_TEST

/* One autoscaler case: the safe-to-evict annotation (NULL: absent), the
 * safe-to-evict-local-volumes annotation (NULL: absent), the volumes as a
 * YAML flow list and as JSON, and what upstream's drain rules make of them
 * (safe 1/-1/0, local storage blocking 1/0). */
typedef struct EvictCase {
    const char *safe, *local_ok, *vols_yaml, *vols_json;
    int want_safe, want_local;
} EvictCase;

/* The annotations block of both forms ("" when there is none). */
static void evict_annotations(const EvictCase *k, char *yaml, char *json, size_t n)
{
    char ys[128] = "", yl[128] = "", js[128] = "", jl[128] = "";
    if (k->safe)
        snprintf(ys, sizeof ys, "cluster-autoscaler.kubernetes.io/safe-to-evict: \"%s\"", k->safe),
            snprintf(js, sizeof js, "\"cluster-autoscaler.kubernetes.io/safe-to-evict\": \"%s\"", k->safe);
    if (k->local_ok)
        snprintf(yl, sizeof yl, "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes: \"%s\"", k->local_ok),
            snprintf(jl, sizeof jl, "\"cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes\": \"%s\"",
                     k->local_ok);
    const char *sep = k->safe && k->local_ok ? ", " : "";
    snprintf(yaml, n, ", annotations: {%s%s%s}", ys, sep, yl);
    snprintf(json, n, ", \"annotations\": {%s%s%s}", js, sep, jl);
}

/* What `explain autoscaler` reads of the pod (the kube reader's JSON side). */
static SimPodSpec evict_by_kube(const EvictCase *k, const char *ann)
{
    char json[1024];
    snprintf(json, sizeof json, "{\"metadata\": {\"name\": \"p\"%s}, \"spec\": {\"volumes\": %s}}", ann,
             k->vols_json);
    SimMem m;
    sim_mem_init(&m);
    SimArena a;
    sim_arena_init(&a, &m);
    KubeReader *r = kube_reader_new(&a);
    cJSON *j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    SimPodSpec s;
    memset(&s, 0, sizeof s);
    kube_pod_eviction(r, j, "$", &s);
    ck_assert_msg(!kube_failed(r), "%s", kube_errmsg(r));
    cJSON_Delete(j);
    sim_arena_free(&a);
    return s;
}

/* cluster-autoscaler.kubernetes.io/safe-to-evict is "true" or "false" or
 * nothing (upstream drain: == "true", == "false"; "maybe" is neither), and a
 * local volume (emptyDir, hostPath) named in safe-to-evict-local-volumes
 * (comma-separated, names as written) does not block a scale-down. `import`
 * and the kube reader `explain autoscaler` uses agree on every case, because
 * both ask kube_safe_to_evict and kube_volume_blocks. */
START_TEST(import_reads_the_autoscaler_annotations_as_explain_does)
{
    static const EvictCase cases[] = {
        {"true", NULL, "[]", "[]", 1, 0},
        {"false", NULL, "[]", "[]", -1, 0},
        {"maybe", NULL, "[]", "[]", 0, 0},
        {"True", NULL, "[]", "[]", 0, 0},
        {NULL, NULL, "[{name: scratch, emptyDir: {}}]", "[{\"name\": \"scratch\", \"emptyDir\": {}}]", 0, 1},
        {NULL, "scratch", "[{name: scratch, emptyDir: {}}]", "[{\"name\": \"scratch\", \"emptyDir\": {}}]", 0, 0},
        {"false", "scratch", "[{name: scratch, emptyDir: {}}, {name: logs, hostPath: {path: /l}}]",
         "[{\"name\": \"scratch\", \"emptyDir\": {}}, {\"name\": \"logs\", \"hostPath\": {\"path\": \"/l\"}}]", -1, 1},
        {NULL, "scratch,logs", "[{name: scratch, emptyDir: {}}, {name: logs, hostPath: {path: /l}}]",
         "[{\"name\": \"scratch\", \"emptyDir\": {}}, {\"name\": \"logs\", \"hostPath\": {\"path\": \"/l\"}}]", 0, 0},
        {NULL, "scratch, logs", "[{name: scratch, emptyDir: {}}, {name: logs, hostPath: {path: /l}}]",
         "[{\"name\": \"scratch\", \"emptyDir\": {}}, {\"name\": \"logs\", \"hostPath\": {\"path\": \"/l\"}}]", 0, 1},
        {NULL, NULL, "[{name: cfg, configMap: {name: c}}]", "[{\"name\": \"cfg\", \"configMap\": {\"name\": \"c\"}}]",
         0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const EvictCase *k = &cases[i];
        char yann[512], jann[512], yaml[2048], *out = NULL;
        SimErr err = SIM_ERR_INIT;
        evict_annotations(k, yann, jann, sizeof yann);
        snprintf(yaml, sizeof yaml,
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\n"
                 "spec:\n  replicas: 1\n  selector: {matchLabels: {app: w}}\n"
                 "  template:\n    metadata: {labels: {app: w}%s}\n    spec:\n"
                 "      volumes: %s\n      containers: [{name: c, image: x}]\n",
                 yann, k->vols_yaml);
        ck_assert_msg(import_text(yaml, &out, &err) == SIM_OK, "case %zu: %s", i, sim_err_msg(&err));
        SimPodSpec s = evict_by_kube(k, jann);
        ck_assert_msg(s.safe_to_evict == k->want_safe && s.local_storage == k->want_local, "case %zu: kube", i);
        const char *safe = strstr(out, "safe_to_evict = ");
        int imp_safe = safe == NULL ? 0 : strncmp(safe + 16, "true", 4) == 0 ? 1 : -1;
        int imp_local = strstr(out, "local_storage = true") != NULL;
        ck_assert_msg(imp_safe == s.safe_to_evict && imp_local == s.local_storage,
                      "case %zu: import says safe %d local %d, explain's reader %d %d\n%s", i, imp_safe, imp_local,
                      s.safe_to_evict, s.local_storage, out);
        free(out);
    }
}
END_TEST

/* Does the scenario load with every check `kubesim validate` makes? */
static int scenario_validates(const char *lua, SimErr *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/shape.lua", tb_dir());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(lua, f);
    fclose(f);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions so = {.path = path, .seed = 42};
    ScnScenario *s = scn_load(&m, &so, err);
    if (s)
        scn_free(s);
    return s != NULL;
}

static char *rich_fixture(void)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/tests/fixtures/import/rich.yaml", getenv("KUBESIM_SRC"));
    char *text = tb_read(p, NULL);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* Where line's value starts ("key: VALUE" or "- VALUE"), or NULL. */
static const char *value_of(const char *line, size_t n)
{
    const char *p = line, *end = line + n;
    while (p < end && *p == ' ')
        p++;
    if (p + 1 < end && p[0] == '-' && p[1] == ' ')
        p += 2;
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (*p == '#' || *p == '-' || p >= end)
        return NULL;
    return colon && colon + 1 < end && colon[1] == ' ' ? colon + 2 : p;
}

/* A variant the importer accepts but the scenario's checks refuse, through
 * the binary: import refuses it naming the manifest's file and line (a check
 * only the scenario makes, reported where it came from), or writes a
 * scenario `kubesim validate` accepts. */
static void through_binary(const char *mut, const char *what)
{
    char old[4200];
    snprintf(old, sizeof old, "%s/rich.lua", tb_dir());
    unlink(old);
    tb_write("rich.yaml", mut);
    int rc = tb_run("import rich.yaml --region r --start 08:00 --duration 3h --out rich.lua");
    if (rc == 2) {
        ck_assert_msg(strncmp(tb_err(), "kubesim import: rich.yaml:", 26) == 0 && isdigit((unsigned char)tb_err()[26]),
                      "%s: %.1500s", what, tb_err());
        ck_assert(!tb_exists("rich.lua"));
        return;
    }
    ck_assert_msg(rc == 0, "%s: exit %d: %.1500s", what, rc, tb_err());
    ck_assert_msg(tb_run("validate rich.lua") == 0, "%s: imported, but: %.1500s", what, tb_err());
}

/* The import audit: every value of a fixture that holds each kind and field
 * the importer reads, replaced in turn by a map, a list, a string, null, an
 * alias, a huge number and empty values: the import never crashes, and it
 * refuses with FILE:LINE or writes what validate accepts. The fixture's node
 * groups live in text inside a ConfigMap, so its zones get the same
 * treatment (a map there crashed the import). */
START_TEST(import_any_wrong_shape_is_refused_with_file_and_line)
{
    static const char *const swaps[] = {"{x: 1}", "[x]", "x", "null", "~", "*a", "99999999999999999999999",
                                        "{}", "[]", "\"\"", NULL};
    char *text = rich_fixture(), what[256];
    SimErr err = SIM_ERR_INIT, verr = SIM_ERR_INIT;
    char *good;
    ck_assert_msg(import_text(text, &good, &err) == SIM_OK, "%s", sim_err_msg(&err));
    ck_assert_msg(scenario_validates(good, &verr), "%s\n%s", sim_err_msg(&verr), good);
    free(good);
    size_t variants = 0, refused = 0;
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        const char *v = value_of(line, n);
        for (size_t k = 0; v && swaps[k]; k++) {
            size_t at = (size_t)(v - text), rest = (size_t)(line + n - text);
            char *mut = malloc(strlen(text) + 64);
            ck_assert_ptr_nonnull(mut);
            snprintf(mut, strlen(text) + 64, "%.*s%s%s", (int)at, text, swaps[k], text + rest);
            snprintf(what, sizeof what, "'%.*s' -> '%s'", (int)(n > 80 ? 80 : n), line, swaps[k]);
            char *out;
            int rc = import_text(mut, &out, &err);
            ck_assert_msg(rc == SIM_OK || rc == SIM_EINVAL, "rc %d for %s", rc, what);
            if (rc == SIM_OK) {
                /* What the scenario's own checks refuse must be refused by
                 * `kubesim import` too, at the manifest. */
                if (!scenario_validates(out, &verr))
                    through_binary(mut, what);
                free(out);
            } else {
                ck_assert_msg(strncmp(sim_err_msg(&err), "rich.yaml:", 10) == 0 &&
                              isdigit((unsigned char)sim_err_msg(&err)[10]), "%s: %s", what, sim_err_msg(&err));
                refused++;
            }
            variants++;
            free(mut);
        }
        line += n + (line[n] == '\n');
    }
    ck_assert_uint_ge(variants, 1000);
    ck_assert_uint_gt(refused, variants / 2);
    free(text);
}
END_TEST

/* The crash the fuzzer found, through the binary: a zone that is a map. */
START_TEST(import_refuses_a_zone_that_is_not_a_string)
{
    tb_write("zones.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kubesim-node-groups\n"
                           "  namespace: kube-system\ndata:\n  node-groups.yaml: |\n    - name: cpu\n"
                           "      capacity: {cpu: \"8\", memory: 32Gi}\n      zones:\n      - a\n"
                           "      - {b: 1}\n");
    ck_assert_int_eq(tb_run("import zones.yaml --out zones.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "zones.yaml:12: data.node-groups.yaml[0].zones[1]: expected a string, not a map"),
                  "%.1500s", tb_err());
    ck_assert(!tb_exists("zones.lua"));
}
END_TEST

/* kubectl skips a document that is empty, only comments, or null. */
START_TEST(import_skips_empty_documents_as_kubectl_does)
{
    tb_write("empty.yaml", "---\n# a comment-only document\n---\napiVersion: v1\nkind: Namespace\n"
                           "metadata: {name: team}\n---\n--- null\n--- ~\n---\n# trailing\n---\n");
    ck_assert_msg(tb_run("import empty.yaml --out empty.lua") == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("validate empty.lua") == 0, "%.1500s", tb_err());
    char p[4200];
    snprintf(p, sizeof p, "%s/empty.lua", tb_dir());
    char *s = tb_read(p, NULL);
    ck_assert_ptr_nonnull(strstr(s, "namespace { name = \"team\" }"));
    free(s);
    /* A document that is a string is not a manifest. */
    tb_write("str.yaml", "--- \"\"\n");
    ck_assert_int_eq(tb_run("import str.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "str.yaml:1: (document): a manifest must be a map"), "%.1500s", tb_err());
}
END_TEST

/* 10,000 nested lists: refused at the cap, at once (libyaml's scanner is
 * quadratic in flow depth; the cap stops it before that matters). */
START_TEST(import_refuses_deep_nesting)
{
    size_t n = 10000;
    char *deep = malloc(2 * n + 16);
    ck_assert_ptr_nonnull(deep);
    memcpy(deep, "a: ", 3);
    memset(deep + 3, '[', n);
    memset(deep + 3 + n, ']', n);
    strcpy(deep + 3 + 2 * n, "\n");
    tb_write("deep.yaml", deep);
    ck_assert_int_eq(tb_run("import deep.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "deep.yaml:1: nesting deeper than 256"), "%.1500s", tb_err());
    free(deep);
}
END_TEST

/* Over the size caps: refused by the size, without reading (a sparse 2 GB
 * file), or while reading (a device with no size). */
START_TEST(import_caps_input_size)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/huge.yaml", tb_dir());
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), (off_t)2 << 30), 0);
    fclose(f);
    ck_assert_int_eq(tb_run("import huge.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "huge.yaml: 2147483648 bytes: larger than the 32 MiB limit of one file"),
                  "%.1500s", tb_err());
    unlink(p);
    ck_assert_int_eq(tb_run("import /dev/zero --out z.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "/dev/zero: larger than the 32 MiB limit of one file"), "%.1500s", tb_err());
    ck_assert(!tb_exists("z.lua"));
}
END_TEST

/* What validate would refuse is refused by the import, naming the input. */
START_TEST(import_refuses_what_validate_would)
{
    static const struct {
        const char *yaml, *args, *want;
    } cases[] = {
        {"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: Web_1\n", "",
         "v.yaml:4: metadata.name: 'Web_1' is not a valid Deployment name"},
        {"apiVersion: v1\nkind: Service\nmetadata:\n  name: 1web\n", "", "is not a valid Service name: a DNS-1035"},
        {"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: a.b\n", "",
         "v.yaml:4: metadata.name: 'a.b' is not a valid StatefulSet name"},
        {"apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: "
         "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij\n", "", "must be no more than 52 characters"},
        {"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: Team\n", "",
         "v.yaml:5: metadata.namespace: 'Team' is not a valid namespace name"},
        {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n"
         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\n", "",
         "v.yaml:7: metadata.name: 'web' is also the name of Deployment/web in namespace 'default' (v.yaml:3)"},
        {"apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n", "--start 99:99", "--start: '99:99' is not a time"},
        {"apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n", "--duration forever",
         "--duration 'forever': not a positive duration"},
        {"apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n", "--region ../x",
         "--region '../x': not a valid region name"},
        {"apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n", "--name ../x",
         "--name: '../x' is not a valid scenario name"},
        {"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    metadata:\n"
         "      annotations: {kubesim.io/duration: forever}\n    spec: {containers: [{name: c, image: x}]}\n", "",
         "v.yaml:8: spec.template.metadata.annotations.kubesim.io/duration: 'forever' is not a duration"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tb_write("v.yaml", cases[i].yaml);
        ck_assert_int_eq(tb_run("import v.yaml %s --out v.lua", cases[i].args), 2);
        ck_assert_msg(strstr(tb_err(), cases[i].want), "case %zu: %.1500s", i, tb_err());
        ck_assert(!tb_exists("v.lua"));
    }
}
END_TEST

/* Awkward but valid input imports into a scenario validate accepts: names
 * at their length limits, unusual but legal quantities, comments, empty
 * documents, a null field. */
START_TEST(import_writes_what_validate_accepts)
{
    char n63[64], n52[53], n253[254];
    memset(n63, 'a', 63), n63[63] = '\0';
    memset(n52, 'c', 52), n52[52] = '\0';
    for (size_t i = 0; i < 253; i++)
        n253[i] = i % 64 == 63 ? '.' : 'd';
    n253[253] = '\0';
    char yaml[8192];
    snprintf(yaml, sizeof yaml,
             "# awkward but valid\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n"
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: %s\n"
             "spec:\n  replicas:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata:\n"
             "      labels: {app: a}  # a comment\n    spec:\n      containers:\n      - name: c\n"
             "        resources:\n          requests: {cpu: \"0.25\", memory: 1e6}\n"
             "          limits: {cpu: 1500m, memory: 0.5Gi}\n---\n"
             "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: %s}\n"
             "spec:\n  schedule: \"0 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
             "          containers: [{name: c, resources: {requests: {cpu: 100m, memory: 100Ki}}}]\n---\n"
             "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: %.63s}\nspec:\n  replicas: 0\n"
             "  template:\n    spec:\n      containers: [{name: c, resources: {requests: {cpu: \"1\", memory: 1Gi}}}]\n"
             "---\n--- null\n",
             n63, n253, n63, n52, "s23456789-123456789-123456789-123456789-123456789-123456789-123");
    tb_write("awk.yaml", yaml);
    ck_assert_msg(tb_run("import awk.yaml --name awkward_ok --region r-1 --start 23:59 --duration 90m --out awk.lua")
                      == 0, "%.1500s", tb_err());
    ck_assert_msg(tb_run("validate awk.lua") == 0, "%.1500s", tb_err());
}
END_TEST

/* Issue 14: manifests with an HPA of minReplicas 0 come from a cluster with
 * the feature gate HPAScaleToZero: the scenario turns it on, so it
 * validates (without the gate, min = 0 is refused). */
START_TEST(import_turns_on_scale_to_zero_for_min_replicas_0)
{
    tb_write("zero.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: workers}\n"
             "spec:\n  replicas: 1\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata:\n"
             "      labels: {app: w}\n    spec:\n      containers:\n      - name: c\n"
             "        resources: {requests: {cpu: \"1\", memory: 1Gi}}\n---\n"
             "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: workers}\n"
             "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: workers}\n"
             "  minReplicas: 0\n  maxReplicas: 4\n  metrics:\n  - type: External\n    external:\n"
             "      metric: {name: queue_length}\n      target: {type: AverageValue, averageValue: \"5\"}\n");
    char *lua = imported("zero.yaml");
    ck_assert_msg(strstr(lua, "feature_gates = { HPAScaleToZero = true }") != NULL, "%s", lua);
    ck_assert_msg(strstr(lua, "min = 0") != NULL, "%s", lua);
    free(lua);
    ck_assert_msg(tb_run("validate pin.lua") == 0, "%.1500s", tb_err());
}
END_TEST

/* A Job suspended by hand (spec.suspend, no kubesim.io/start) exists and
 * runs nothing: it imports as `suspend = true` (it imported as a running
 * Job), runs no pods, is listed as suspended, and exports back suspended. */
START_TEST(import_keeps_a_suspended_job_suspended)
{
    tb_write("held.yaml",
             "apiVersion: batch/v1\nkind: Job\nmetadata: {name: held}\n"
             "spec:\n  suspend: true\n  completions: 2\n  parallelism: 2\n  template:\n    metadata:\n"
             "      annotations: {kubesim.io/duration: 60s}\n    spec:\n      restartPolicy: Never\n"
             "      containers:\n      - name: c\n        resources: {requests: {cpu: \"1\", memory: 1Gi}}\n---\n"
             "apiVersion: batch/v1\nkind: Job\nmetadata: {name: runs}\n"
             "spec:\n  completions: 1\n  template:\n    metadata:\n"
             "      annotations: {kubesim.io/duration: 60s}\n    spec:\n      restartPolicy: Never\n"
             "      containers:\n      - name: c\n        resources: {requests: {cpu: \"1\", memory: 1Gi}}\n");
    char *lua = imported("held.yaml");
    ck_assert_msg(strstr(lua, "job { name = \"held\", region = \"imported\", suspend = true,") != NULL, "%s", lua);
    ck_assert_msg(strstr(lua, "job { name = \"runs\", region = \"imported\", completions") != NULL, "%s", lua);
    free(lua);
    ck_assert_msg(tb_run("run pin.lua --quiet --out held-run") == 0, "%.1500s", tb_err());
    char path[4096];
    snprintf(path, sizeof path, "%s/held-run/summary.json", tb_dir());
    char *sum = tb_read(path, NULL);
    cJSON *j = cJSON_Parse(sum);
    const cJSON *x;
    int seen = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "jobs"), "list")) {
        const char *name = cJSON_GetObjectItem(x, "name")->valuestring;
        const char *status = cJSON_GetObjectItem(x, "status")->valuestring;
        ck_assert_str_eq(status, strcmp(name, "held") == 0 ? "suspended" : "Complete");
        seen++;
    }
    ck_assert_int_eq(seen, 2);
    ck_assert_int_eq((int)cJSON_GetObjectItem(cJSON_GetObjectItem(j, "jobs"), "succeeded")->valuedouble, 1);
    cJSON_Delete(j);
    free(sum);
    ck_assert_msg(tb_run("export pin.lua --out held-export") == 0, "%.1500s", tb_err());
    ck_assert_int_eq(tb_run("import held-export --out again.lua"), 0);
    snprintf(path, sizeof path, "%s/again.lua", tb_dir());
    lua = tb_read(path, NULL);
    const char *held = strstr(lua, "job { name = \"held\"");
    ck_assert_msg(held && strstr(held, "suspend = true") && strstr(held, "suspend = true") < strstr(held, "\n"),
                  "%s", lua);
    ck_assert_ptr_eq(strstr(lua, "suspend = true"), strstr(held, "suspend = true"));   /* "runs" is not */
    free(lua);
}
END_TEST

/* A PodDisruptionBudget's whole selector: import wrote its matchLabels only
 * (a matchExpressions PDB then covered every pod of the namespace); it now
 * reads the PDB with kube_pdb, as explain does, and the scenario's pdb takes
 * { match_labels, match_expressions }. */
START_TEST(import_keeps_a_pdbs_match_expressions)
{
    tb_write("pdb.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n---\n"
                         "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: api, namespace: team}\n"
                         "spec:\n  maxUnavailable: 25%\n  selector:\n    matchLabels: {app: api}\n"
                         "    matchExpressions:\n    - {key: tier, operator: In, values: [web, edge]}\n"
                         "    - {key: canary, operator: DoesNotExist}\n");
    char *text = imported("pdb.yaml");
    ck_assert_msg(strstr(text, "pdb { name = \"api\", namespace = \"team\", region = \"imported\", selector = { "
                               "match_labels = { app = \"api\" }, match_expressions = { { key = \"tier\", operator = "
                               "\"In\", values = { \"web\", \"edge\" } }, { key = \"canary\", operator = "
                               "\"DoesNotExist\" } } }, max_unavailable = \"25%\" }") != NULL,
                  "%s", text);
    free(text);
    ck_assert_msg(tb_run("validate pin.lua") == 0, "%.1500s", tb_err());
    /* A PDB with neither bound is refused where it is, as kube_pdb refuses it for explain. */
    tb_write("pdb2.yaml", "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: api}\n"
                          "spec:\n  selector: {matchLabels: {app: api}}\n");
    ck_assert_int_eq(tb_run("import pdb2.yaml --out pdb2.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "pdb2.yaml:5: spec: exactly one of minAvailable and maxUnavailable is required"),
                  "%.1500s", tb_err());
}
END_TEST

/* A ResourceQuota through kube_quota, as explain reads one: a PriorityClass
 * NotIn scope was written as In (the opposite pods counted) and a resource
 * kubesim does not model passed import to fail later in the scenario; both
 * are now refused at the manifest's line. */
START_TEST(import_reads_a_quota_as_explain_does)
{
    static const struct {
        const char *spec, *want;
    } cases[] = {
        {"  hard: {pods: \"5\"}\n  scopeSelector:\n    matchExpressions:\n"
         "    - {scopeName: PriorityClass, operator: NotIn, values: [low]}\n",
         "q.yaml:7: spec.scopeSelector: a scenario's quota takes one PriorityClass In (...) expression"},
        {"  hard: {pods: \"5\", services: \"3\"}\n",
         "q.yaml:5: spec.hard.services: kubesim does not model quota resource \"services\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec:\n%s",
                 cases[i].spec);
        tb_write("q.yaml", yaml);
        ck_assert_int_eq(tb_run("import q.yaml --out q.lua"), 2);
        ck_assert_msg(strstr(tb_err(), cases[i].want), "case %zu: %.1500s", i, tb_err());
    }
}
END_TEST

/* Messages that say why: a folder where a file belongs, a missing one, and
 * an --out whose folder does not exist. */
START_TEST(import_says_why_it_cannot_read_or_write)
{
    tb_write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n");
    ck_assert_int_eq(tb_run("import ns.yaml --out sub/x.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "cannot write sub/x.lua: the folder sub does not exist"), "%.1500s", tb_err());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/dir/inner.yaml'", tb_dir());
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(tb_run("import dir --out d.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "dir/inner.yaml: is a folder"), "%.1500s", tb_err());
    ck_assert_int_eq(tb_run("import nothere.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "nothere.yaml: cannot read it: No such file or directory"), "%.1500s", tb_err());
    tb_write("bad8.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: \"t\xff\"}\n");
    ck_assert_int_eq(tb_run("import bad8.yaml"), 2);
    ck_assert_msg(strstr(tb_err(), "bad8.yaml:3: not UTF-8 text"), "%.1500s", tb_err());
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("import");
    TCase *mem = tcase_create("memory");
    tcase_add_test(mem, import_out_of_memory_sweep);
    tcase_add_test(mem, import_adds_pod_overhead_to_requests);
    tcase_add_test(mem, import_reads_the_autoscaler_annotations_as_explain_does);
    suite_add_tcase(s, mem);
    TCase *bin = tcase_create("binary");
    tcase_set_timeout(bin, 600);
    tcase_add_test(bin, import_every_real_manifest_validates_and_runs);
    tcase_add_test(bin, import_pins_the_mappings);
    tcase_add_test(bin, import_round_trips_an_export);
    tcase_add_test(bin, import_round_trips_termination_grace);
    tcase_add_test(bin, import_reads_node_groups_in_every_form);
    tcase_add_test(bin, import_round_trips_a_karpenter_export);
    tcase_add_test(bin, import_round_trips_every_slo_target_and_slo_from);
    tcase_add_test(bin, import_reads_serve_slo_and_refuses_its_bad_forms);
    tcase_add_test(bin, import_every_shipped_export_validates_and_runs);
    tcase_add_test(bin, import_refuses_bad_input);
    tcase_add_test(bin, import_is_deterministic);
    tcase_add_test(bin, import_keeps_manifest_text_out_of_the_code);
    tcase_add_test(bin, import_bench_reports_its_figures);
    tcase_add_test(bin, import_any_wrong_shape_is_refused_with_file_and_line);
    tcase_add_test(bin, import_refuses_a_zone_that_is_not_a_string);
    tcase_add_test(bin, import_skips_empty_documents_as_kubectl_does);
    tcase_add_test(bin, import_refuses_deep_nesting);
    tcase_add_test(bin, import_caps_input_size);
    tcase_add_test(bin, import_refuses_what_validate_would);
    tcase_add_test(bin, import_writes_what_validate_accepts);
    tcase_add_test(bin, import_turns_on_scale_to_zero_for_min_replicas_0);
    tcase_add_test(bin, import_keeps_a_suspended_job_suspended);
    tcase_add_test(bin, import_says_why_it_cannot_read_or_write);
    tcase_add_test(bin, import_keeps_a_pdbs_match_expressions);
    tcase_add_test(bin, import_reads_a_quota_as_explain_does);
    suite_add_tcase(s, bin);
    return s;
}

int main(void)
{
    if (tb_setup("import") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
