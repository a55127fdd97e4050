/*
 * test_import_dump.c: `kubesim import` of what a cluster prints
 * (`kubectl get -o yaml`): List documents, server fields, Nodes as node
 * groups, objects a controller owns; nothing left out silently (the header
 * and stderr list what is not simulated, *.yml files are read); the
 * built-in PriorityClasses; quantities written as people write them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"
#include "tr.h"

static char *read_out(const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", tb_dir(), name);
    char *s = tb_read(p, NULL);
    ck_assert_ptr_nonnull(s);
    return s;
}

static char import_err[65536];   /* the last import_run's stderr */

/* Imports args into NAME.lua, validates and runs it (exit 0 or 1: the
 * scenario's expectations, never 2); the scenario's text. */
static char *import_run(const char *args, const char *name)
{
    ck_assert_msg(tb_run("import %s --duration 30m --out %s.lua", args, name) == 0, "%.3000s", tb_err());
    snprintf(import_err, sizeof import_err, "%s", tb_err());
    char lua[256];
    snprintf(lua, sizeof lua, "%s.lua", name);
    char *s = read_out(lua);
    ck_assert_msg(tb_run("run %s.lua --quiet --out %s-run", name, name) <= 1, "%.3000s\n%.3000s", tb_err(), s);
    return s;
}

/* upstream: the API server creates system-cluster-critical (2000000000) and
 * system-node-critical (2000001000); a pod may name them undeclared. */
START_TEST(import_knows_the_builtin_priority_classes)
{
    tb_write("crit.yaml",
             "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: kube-system}\n"
             "spec:\n  selector: {matchLabels: {app: agent}}\n  template:\n"
             "    metadata: {labels: {app: agent}}\n"
             "    spec:\n      priorityClassName: system-node-critical\n"
             "      containers: [{name: a, image: agent, resources: {requests: {cpu: 100m}}}]\n"
             "---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n"
             "metadata: {name: system-cluster-critical}\nvalue: 2000000000\n"
             "description: Used for system critical pods that must run in the cluster.\n"
             "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dns, namespace: kube-system}\n"
             "spec:\n  replicas: 2\n  selector: {matchLabels: {app: dns}}\n  template:\n"
             "    metadata: {labels: {app: dns}}\n"
             "    spec:\n      priorityClassName: system-cluster-critical\n"
             "      containers: [{name: d, image: dns, resources: {requests: {cpu: 100m}}}]\n");
    char *s = import_run("crit.yaml", "crit");
    ck_assert_msg(strstr(s, "priority_class = \"system-node-critical\"") != NULL, "%.3000s", s);
    ck_assert_msg(strstr(s, "priority_class = \"system-cluster-critical\"") != NULL, "%.3000s", s);
    ck_assert_msg(strstr(s, "priorityclass {") == NULL, "a built-in class is not declared:\n%s", s);
    ck_assert_msg(strstr(s, "value = 0") == NULL, "%.3000s", s);
    free(s);
    /* The scenario knows them too: the export names the class and writes no PriorityClass of it. */
    ck_assert_msg(tb_run("export crit.lua --out crit-m --quiet") == 0, "%.3000s", tb_err());
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "grep -rq 'kind: PriorityClass' '%s/crit-m'", tb_dir());
    ck_assert_int_ne(system(cmd), 0);
    char *ds = read_out("crit-m/imported/daemonsets.yaml");
    ck_assert_msg(strstr(ds, "priorityClassName: system-node-critical") != NULL, "%.3000s", ds);
    free(ds);
    /* Declared with another value, it is refused as the API server refuses it. */
    tb_write("bad.lua", "scenario { name = \"b\" }\nregion { name = \"r\" }\n"
                        "priorityclass { name = \"system-node-critical\", value = 5 }\n");
    ck_assert_int_eq(tb_run("validate bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "built-in class (value 2000001000"), "%.1500s", tb_err());
    /* Declared as it is, it is accepted (a no-op). */
    tb_write("ok.lua", "scenario { name = \"ok\" }\nregion { name = \"r\" }\n"
                       "nodegroup { name = \"g\", cpu = \"4\", memory = \"16Gi\", min = 1 }\n"
                       "priorityclass { name = \"system-node-critical\", value = 2000001000 }\n"
                       "daemonset { name = \"a\", cpu = \"100m\", priority_class = \"system-node-critical\" }\n");
    ck_assert_msg(tb_run("validate ok.lua") == 0, "%.1500s", tb_err());
}
END_TEST

/* A folder's *.yml is read; a List's items and a typed list's (no kind of
 * their own) are objects; a Pod its ReplicaSet owns is not imported twice;
 * every object not simulated is in the header and on stderr. */
START_TEST(import_lists_what_it_leaves_out)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/yml'", tb_dir());
    ck_assert_int_eq(system(cmd), 0);
    tb_write("yml/list.yml",
             "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\nitems:\n"
             "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-5d8f-abcde\n    namespace: shop\n"
             "    ownerReferences:\n    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: x, controller: true}\n"
             "  spec: {containers: [{name: w, image: nginx}]}\n"
             "- apiVersion: v1\n  kind: Service\n  metadata: {name: web, namespace: shop}\n  spec: {ports: [{port: 80}]}\n"
             "- apiVersion: v1\n  kind: Secret\n  metadata: {name: creds, namespace: shop}\n"
             "---\napiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
             "- metadata: {name: web, namespace: shop}\n  spec:\n    replicas: 2\n"
             "    selector: {matchLabels: {app: web}}\n    template:\n      metadata: {labels: {app: web}}\n"
             "      spec: {containers: [{name: w, image: nginx, resources: {requests: {cpu: 250m}}}]}\n");
    char *s = import_run("yml", "yml");
    ck_assert_msg(strstr(s, "deployment { name = \"web\", namespace = \"shop\"") != NULL, "%.3000s", s);
    ck_assert_msg(strstr(s, "-- not simulated: Secret/shop/creds\n") != NULL, "%.3000s", s);
    ck_assert_msg(strstr(s, "-- not simulated (no kubesim.io/ traffic annotations): Service/shop/web\n"), "%.3000s", s);
    ck_assert_msg(strstr(s, "-- not imported (made by their controller): Pod/shop/web-5d8f-abcde\n"), "%.3000s", s);
    const char *e = import_err;
    ck_assert_msg(strstr(e, "kubesim import: 3 objects are not simulated"), "%.3000s", e);
    ck_assert_msg(strstr(e, "  not simulated: Secret/shop/creds\n"), "%.3000s", e);
    ck_assert_msg(strstr(e, "Service/shop/web"), "%.3000s", e);
    ck_assert_msg(strstr(e, "Pod/shop/web-5d8f-abcde"), "%.3000s", e);
    free(s);
    /* An item in the wrong place is refused at its own line. */
    tb_write("badlist.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n"
                             "  metadata: {name: x}\n  spec: {replicas: many}\n");
    ck_assert_int_eq(tb_run("import badlist.yaml --out badlist.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "badlist.yaml:7:"), "%.1500s", tb_err());
    ck_assert(!tb_exists("badlist.lua"));
}
END_TEST

static char *dump_dir(void)
{
    static char p[4096];
    snprintf(p, sizeof p, "'%s/tests/fixtures/import/dump'", getenv("KUBESIM_SRC"));
    return p;
}

/* A Node holds no price: a dump's groups take --prices, and a type the
 * table lacks is "unknown" (never $0), with the note that says so. */
START_TEST(import_prices_a_dumps_node_groups)
{
    const char *csv = tb_write("prices.csv", "instance_type,price_per_hour\nm6i.xlarge,0.192\n");
    char args[4400];
    snprintf(args, sizeof args, "%s --prices '%s'", dump_dir(), csv);
    char *s = import_run(args, "priced");
    const char *g = strstr(s, "nodegroup { name = \"general-eu-west-1a\"");
    ck_assert_msg(g && strstr(g, "price = 0.192,") && strstr(g, "price = 0.192,") < strstr(g, "\n    zones"), "%.3000s", s);
    g = strstr(s, "nodegroup { name = \"gpu-eu-west-1a\"");
    ck_assert_msg(g && strstr(g, "price = \"unknown\"") && strstr(g, "-- no price for g5.xlarge"), "%.3000s", s);
    free(s);
}
END_TEST

/* The checks of issue 15: a `kubectl get -o yaml` dump (Lists with Nodes
 * of three instance types in two zones, a tainted GPU Node, Deployments,
 * HPAs, a StatefulSet, a DaemonSet, CronJobs, Services, owned ReplicaSets,
 * Pods and Jobs, status and managedFields) imports with the cluster's own
 * node groups and runs. */
START_TEST(import_reads_a_cluster_dump)
{
    char *s = import_run(dump_dir(), "dump");
    /* Nodes: grouped by pool, type and zone; sized from status.allocatable
     * (the smallest where two Nodes differ), size = min = max = the count. */
    ck_assert_msg(strstr(s, "region { name = \"eu-west-1\", zones = { \"eu-west-1a\", \"eu-west-1b\" } }\n"), "%.3000s", s);
    ck_assert_msg(strstr(s, "nodegroup { name = \"general-eu-west-1a\", region = \"eu-west-1\", instance_type = "
                            "\"m6i.xlarge\", cpu = \"3920m\", memory = \"15147720Ki\", pods = 58, min = 2, max = 2, "
                            "size = 2, price = \"unknown\",\n    zones = { \"eu-west-1a\" }"), "%.3000s", s);
    ck_assert_msg(strstr(s, "nodegroup { name = \"general-eu-west-1b\"") && strstr(s, "min = 1, max = 1, size = 1"), "%.3000s", s);
    ck_assert_msg(strstr(s, "nodegroup { name = \"memory-eu-west-1b\", region = \"eu-west-1\", instance_type = "
                            "\"r6i.2xlarge\", cpu = \"7910m\", memory = \"62Gi\", pods = 58, min = 1, max = 1, size = 1, "
                            "spot = true"), "%.3000s", s);
    ck_assert_msg(strstr(s, "nodegroup { name = \"gpu-eu-west-1a\", region = \"eu-west-1\", instance_type = \"g5.xlarge\", "
                            "cpu = \"3920m\", memory = \"15335696Ki\", gpu = 1, pods = 58"), "%.3000s", s);
    ck_assert_msg(strstr(s, "taints = { \"nvidia.com/gpu=present:NoSchedule\" } }"), "%.3000s", s);
    ck_assert_msg(strstr(s, "max is a guess to edit"), "%.3000s", s);
    /* Per-node labels and passing taints are not the group's; the rest are. */
    ck_assert_msg(!strstr(s, "kubernetes.io/hostname") && !strstr(s, "not-ready") && !strstr(s, "topology.kubernetes.io"),
                  "%.3000s", s);
    ck_assert_msg(strstr(s, "[\"kubernetes.io/os\"] = \"linux\"") && strstr(s, "tier = \"general\""), "%.3000s", s);
    ck_assert_msg(!strstr(s, "No node group came with the manifests"), "%.3000s", s);
    /* Quantities as people write them: "256Mi", not 268435456; 2 cores, not "2000m". */
    ck_assert_msg(strstr(s, "cpu = \"200m\", memory = \"256Mi\", cpu_limit = \"500m\", memory_limit = \"512Mi\""),
                  "%.3000s", s);
    ck_assert_msg(strstr(s, "cpu = 2, memory = \"8Gi\", gpu = 1"), "%.3000s", s);
    ck_assert_msg(strstr(s, "memory = \"70Mi\", memory_limit = \"170Mi\""), "%.3000s", s);
    /* Kinds, once each: the owned ReplicaSet, Pods and Job are not imported again. */
    ck_assert_msg(strstr(s, "deployment { name = \"php-apache\", namespace = \"shop\", region = \"eu-west-1\", replicas = 3"),
                  "%.3000s", s);
    ck_assert_msg(strstr(s, "statefulset { name = \"web\", namespace = \"shop\"") && strstr(s, "volume = \"10Gi\""), "%.3000s", s);
    ck_assert_msg(strstr(s, "daemonset { name = \"node-exporter\", namespace = \"kube-system\""), "%.3000s", s);
    ck_assert_msg(strstr(s, "cronjob { name = \"report\"") && strstr(s, "cronjob { name = \"cleanup\""), "%.3000s", s);
    ck_assert_msg(strstr(s, "hpa { name = \"php-apache\", target = \"php-apache\", min = 1, max = 10"), "%.3000s", s);
    ck_assert_msg(strstr(s, "hpa { name = \"inference\", target = \"inference\", min = 1, max = 2"), "%.3000s", s);
    ck_assert_msg(!strstr(s, "\"report-29423700\"") && !strstr(s, "\njob { name"), "%.3000s", s);
    ck_assert_msg(strstr(s, "priority_class = \"system-node-critical\"") && !strstr(s, "priorityclass {"), "%.3000s", s);
    /* Nothing vanishes: the header and stderr name what is not simulated. */
    ck_assert_msg(strstr(s, "-- not simulated: Secret/shop/registry-creds, ConfigMap/shop/kube-root-ca.crt\n"), "%.3000s", s);
    ck_assert_msg(strstr(s, "Service/shop/php-apache") && strstr(s, "Service/kube-system/kube-dns"), "%.3000s", s);
    ck_assert_msg(strstr(s, "ReplicaSet/shop/php-apache-7d4f9b8c6") && strstr(s, "Job/batch/report-29423700"), "%.3000s", s);
    ck_assert_msg(strstr(s, "-- built in, not declared: PriorityClass/system-cluster-critical"), "%.3000s", s);
    ck_assert_msg(strstr(import_err, "kubesim import: 9 objects are not simulated"), "%.3000s", import_err);
    ck_assert_msg(strstr(import_err, "Pod/kube-system/node-exporter-4xk2p"), "%.3000s", import_err);
    free(s);
    /* The run has the cluster's groups. */
    char *sum = read_out("dump-run/summary.json");
    ck_assert_msg(strstr(sum, "\"general-eu-west-1a\"") && strstr(sum, "\"gpu-eu-west-1a\""), "%.3000s", sum);
    free(sum);
    /* --region names the region: the Nodes' own region stays a label of theirs. */
    char args[4200];
    snprintf(args, sizeof args, "%s --region lab", dump_dir());
    s = import_run(args, "lab");
    ck_assert_msg(strstr(s, "region { name = \"lab\", zones = { \"eu-west-1a\", \"eu-west-1b\" } }"), "%.3000s", s);
    ck_assert_msg(strstr(s, "[\"topology.kubernetes.io/region\"] = \"eu-west-1\""), "%.3000s", s);
    free(s);
}
END_TEST

/* A number the importer computes is written in the shortest text that reads
 * back as it; memory not on a binary suffix stays in bytes. */
START_TEST(import_writes_numbers_as_people_do)
{
    tb_write("num.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n"
             "spec:\n  replicas: 2\n  selector: {matchLabels: {app: api}}\n  template:\n"
             "    metadata: {labels: {app: api}}\n    spec:\n      containers:\n"
             "      - {name: a, image: api, resources: {requests: {cpu: 1500m, memory: 1G}, limits: {memory: 1.5Gi}}}\n"
             "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api}\n"
             "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  minReplicas: 2\n"
             "  maxReplicas: 6\n  metrics:\n  - {type: Resource, resource: {name: cpu, target: {type: Utilization, "
             "averageUtilization: 60}}}\n  behavior:\n    scaleUp: {tolerance: \"0.1\"}\n"
             "    scaleDown: {tolerance: 80m}\n");
    char *s = import_run("num.yaml", "num");
    ck_assert_msg(strstr(s, "cpu = \"1500m\", memory = 1000000000, memory_limit = \"1536Mi\""), "%.3000s", s);
    ck_assert_msg(strstr(s, "tolerance = 0.1,") || strstr(s, "tolerance = 0.1 "), "%.3000s", s);
    ck_assert_msg(strstr(s, "tolerance = 0.08"), "%.3000s", s);
    ck_assert_msg(!strstr(s, "000000000000"), "%.3000s", s);   /* no 0.10000000000000001 */
    free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("import_dump");
    TCase *bin = tcase_create("binary");
    tcase_set_timeout(bin, 300);
    tcase_add_test(bin, import_knows_the_builtin_priority_classes);
    tcase_add_test(bin, import_lists_what_it_leaves_out);
    tcase_add_test(bin, import_reads_a_cluster_dump);
    tcase_add_test(bin, import_prices_a_dumps_node_groups);
    tcase_add_test(bin, import_writes_numbers_as_people_do);
    suite_add_tcase(s, bin);
    return s;
}

int main(void)
{
    if (tb_setup("import_dump") != 0)
        return 2;
    int failed = tr_run(suite(), 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
