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
    ck_assert_msg(strstr(s, "priority_class = \"system-node-critical\"") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "priority_class = \"system-cluster-critical\"") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "priorityclass {") == NULL, "a built-in class is not declared:\n%s", s);
    ck_assert_msg(strstr(s, "value = 0") == NULL, "%s", s);
    free(s);
    /* The scenario knows them too: the export names the class and writes no PriorityClass of it. */
    ck_assert_msg(tb_run("export crit.lua --out crit-m --quiet") == 0, "%.3000s", tb_err());
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "grep -rq 'kind: PriorityClass' '%s/crit-m'", tb_dir());
    ck_assert_int_ne(system(cmd), 0);
    char *ds = read_out("crit-m/imported/daemonsets.yaml");
    ck_assert_msg(strstr(ds, "priorityClassName: system-node-critical") != NULL, "%s", ds);
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
    ck_assert_msg(strstr(s, "deployment { name = \"web\", namespace = \"shop\"") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "-- not simulated: Secret/shop/creds\n") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "(Services without kubesim.io/ annotations: no traffic model): Service/shop/web\n"), "%s", s);
    ck_assert_msg(strstr(s, "runs in the cluster): Pod/shop/web-5d8f-abcde\n"), "%s", s);
    const char *e = import_err;
    ck_assert_msg(strstr(e, "kubesim import: 3 objects are not simulated"), "%s", e);
    ck_assert_msg(strstr(e, "  not simulated: Secret/shop/creds\n"), "%s", e);
    ck_assert_msg(strstr(e, "Service/shop/web"), "%s", e);
    ck_assert_msg(strstr(e, "Pod/shop/web-5d8f-abcde"), "%s", e);
    free(s);
    /* An item in the wrong place is refused at its own line. */
    tb_write("badlist.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n"
                             "  metadata: {name: x}\n  spec: {replicas: many}\n");
    ck_assert_int_eq(tb_run("import badlist.yaml --out badlist.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "badlist.yaml:7:"), "%.1500s", tb_err());
    ck_assert(!tb_exists("badlist.lua"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("import_dump");
    TCase *bin = tcase_create("binary");
    tcase_set_timeout(bin, 300);
    tcase_add_test(bin, import_knows_the_builtin_priority_classes);
    tcase_add_test(bin, import_lists_what_it_leaves_out);
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
