/*
 * sweep_job.c: a sweep as Kubernetes objects (kx_sweep_job, kx.h). Four
 * documents: a ConfigMap holding the scenario script, a ReadWriteMany
 * PersistentVolumeClaim for the results, an Indexed Job whose pod with
 * completion index I runs `kubesim sweep ... --shard I/N --out
 * /results/shards/I`, and a merge Job that waits for every shard's
 * sweep.csv and runs `kubesim sweep --merge` into /results/merged.
 *
 * A shard's folder appears whole (kubesim writes a temporary folder and
 * renames it), so the merge Job's wait for /results/shards/I/sweep.csv never
 * sees half a shard. The shards carry the sweep's --seeds, --pass-rate and
 * --objective; each shard's sweep.json records them (and the scenario's
 * clock), which is all the merge needs. Pods run under the restricted Pod Security Standard
 * (kx_restricted_pod/_container, shared with the export).
 */
#include "k8s-export/export_int.h"

#include <stdio.h>
#include <string.h>

static void labels(KxYaml *y, const KxSweepJob *j, const char *component)
{
    kx_yaml_str(y, "labels");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "app.kubernetes.io/name", "kubesim-sweep");
    kx_yaml_kv_str(y, "app.kubernetes.io/instance", j->name);
    kx_yaml_kv_str(y, "app.kubernetes.io/component", component);
    char v[64];
    kx_label_value(j->scenario, v, sizeof v);
    kx_yaml_kv_str(y, "kubesim.io/scenario", v);
    kx_yaml_map_end(y);
}

static void meta(KxYaml *y, const KxSweepJob *j, const char *suffix, const char *component)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", j->name, suffix);
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", name);
    kx_yaml_kv_str(y, "namespace", j->ns);
    labels(y, j, component);
    kx_yaml_map_end(y);
}

static void head(KxYaml *y, const char *api, const char *kind)
{
    kx_yaml_doc_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "apiVersion", api);
    kx_yaml_kv_str(y, "kind", kind);
}

static void tail(KxYaml *y)
{
    kx_yaml_map_end(y);
    kx_yaml_doc_end(y);
}

static void config_map(KxYaml *y, const KxSweepJob *j)
{
    head(y, "v1", "ConfigMap");
    meta(y, j, "-scenario", "scenario");
    kx_yaml_str(y, "data");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "scenario.lua");
    kx_yaml_block(y, j->script);
    kx_yaml_map_end(y);
    tail(y);
}

static void claim(KxYaml *y, const KxSweepJob *j)
{
    head(y, "v1", "PersistentVolumeClaim");
    meta(y, j, "-results", "results");
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "accessModes");
    kx_yaml_seq_begin(y);
    kx_yaml_str(y, "ReadWriteMany");   /* every shard's pod writes, the merge reads */
    kx_yaml_seq_end(y);
    if (j->storage_class)
        kx_yaml_kv_str(y, "storageClassName", j->storage_class);
    kx_yaml_str(y, "resources");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "requests");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "storage", j->storage);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    tail(y);
}

static void resources(KxYaml *y, const KxSweepJob *j)
{
    static const char *const which[] = {"requests", "limits"};
    kx_yaml_str(y, "resources");
    kx_yaml_map_begin(y);
    for (int k = 0; k < 2; k++) {   /* equal: Guaranteed QoS, so a shard's run is not throttled apart */
        kx_yaml_str(y, which[k]);
        kx_yaml_map_begin(y);
        kx_yaml_kv_str(y, "cpu", j->cpu);
        kx_yaml_kv_str(y, "memory", j->memory);
        kx_yaml_map_end(y);
    }
    kx_yaml_map_end(y);
}

static void mount(KxYaml *y, const char *name, const char *path, int ro)
{
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", name);
    kx_yaml_kv_str(y, "mountPath", path);
    if (ro)
        kx_yaml_kv_bool(y, "readOnly", 1);
    kx_yaml_map_end(y);
}

/* A volume `name` from a source of kind `kind` whose reference is ref_key:
 * NAME<suffix>. */
static void volume(KxYaml *y, const KxSweepJob *j, const char *name, const char *kind, const char *ref_key,
                   const char *suffix)
{
    char ref[256];
    snprintf(ref, sizeof ref, "%s%s", j->name, suffix);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", name);
    kx_yaml_str(y, kind);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, ref_key, ref);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

static void volumes(KxYaml *y, const KxSweepJob *j, int merge)
{
    kx_yaml_str(y, "volumes");
    kx_yaml_seq_begin(y);
    if (!merge)   /* the merge reads only the results */
        volume(y, j, "scenario", "configMap", "name", "-scenario");
    volume(y, j, "results", "persistentVolumeClaim", "claimName", "-results");
    kx_yaml_seq_end(y);
}

/* The sweep's arguments: the same grid on every shard. */
static void shard_args(KxYaml *y, const KxSweepJob *j)
{
    char buf[64];
    kx_yaml_str(y, "args");
    kx_yaml_seq_begin(y);
    kx_yaml_str(y, "sweep");
    kx_yaml_str(y, "/scenario/scenario.lua");
    for (size_t i = 0; i < j->nvaries; i++) {
        kx_yaml_str(y, "--vary");
        kx_yaml_str(y, j->varies[i]);
    }
    for (size_t i = 0; i < j->nsets; i++) {
        kx_yaml_str(y, "--set");
        kx_yaml_str(y, j->sets[i]);
    }
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)j->seed);
    kx_yaml_str(y, "--seed");
    kx_yaml_str(y, buf);
    if (j->seeds > 1) {   /* every shard runs its configurations with every seed */
        snprintf(buf, sizeof buf, "%zu", j->seeds);
        kx_yaml_str(y, "--seeds");
        kx_yaml_str(y, buf);
    }
    if (j->pass_rate) {
        kx_yaml_str(y, "--pass-rate");
        kx_yaml_str(y, j->pass_rate);
    }
    if (j->objective) {
        kx_yaml_str(y, "--objective");
        kx_yaml_str(y, j->objective);
    }
    snprintf(buf, sizeof buf, "$(JOB_COMPLETION_INDEX)/%zu", j->shards);
    kx_yaml_str(y, "--shard");
    kx_yaml_str(y, buf);
    kx_yaml_str(y, "--jobs");
    kx_yaml_str(y, "1");
    kx_yaml_str(y, "--quiet");
    kx_yaml_str(y, "--out");
    kx_yaml_str(y, "/results/shards/$(JOB_COMPLETION_INDEX)");
    kx_yaml_seq_end(y);
}

static void index_env(KxYaml *y)
{
    kx_yaml_str(y, "env");
    kx_yaml_seq_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", "JOB_COMPLETION_INDEX");
    kx_yaml_str(y, "valueFrom");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "fieldRef");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "fieldPath", "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
    kx_yaml_seq_end(y);
}

/* The merge: wait for shard 0..N-1 in turn, then merge them in that order. */
static void merge_args(KxYaml *y, const KxSweepJob *j)
{
    char script[512];
    snprintf(script, sizeof script,
             "set --; i=0; while [ \"$i\" -lt %zu ]; do "
             "until [ -f \"/results/shards/$i/sweep.csv\" ]; do sleep 15; done; "
             "set -- \"$@\" \"/results/shards/$i\"; i=$((i + 1)); done; "
             "exec kubesim sweep --merge \"$@\" --out /results/merged",
             j->shards);
    kx_yaml_str(y, "command");
    kx_yaml_seq_begin(y);
    kx_yaml_str(y, "/bin/sh");
    kx_yaml_str(y, "-c");
    kx_yaml_str(y, script);
    kx_yaml_seq_end(y);
}

static void pod_template(KxYaml *y, const KxSweepJob *j, int merge)
{
    kx_yaml_str(y, "template");
    kx_yaml_map_begin(y);
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    labels(y, j, merge ? "merge" : "shard");
    kx_yaml_map_end(y);
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "restartPolicy", "Never");
    kx_restricted_pod(y, 1);   /* the results volume is written as that user */
    kx_yaml_str(y, "containers");
    kx_yaml_seq_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", merge ? "merge" : "kubesim");
    kx_yaml_kv_str(y, "image", j->image);
    if (merge) {
        merge_args(y, j);
    } else {
        kx_yaml_str(y, "command");
        kx_yaml_seq_begin(y);
        kx_yaml_str(y, "kubesim");
        kx_yaml_seq_end(y);
        shard_args(y, j);
        index_env(y);
    }
    resources(y, j);
    kx_restricted_container(y, 1);
    kx_yaml_str(y, "volumeMounts");
    kx_yaml_seq_begin(y);
    if (!merge)
        mount(y, "scenario", "/scenario", 1);
    mount(y, "results", "/results", 0);
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
    kx_yaml_seq_end(y);
    volumes(y, j, merge);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

static void shard_job(KxYaml *y, const KxSweepJob *j)
{
    head(y, "batch/v1", "Job");
    meta(y, j, "", "shard");
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "completionMode", "Indexed");
    kx_yaml_kv_int(y, "completions", (int64_t)j->shards);
    kx_yaml_kv_int(y, "parallelism", (int64_t)j->parallelism);
    kx_yaml_kv_int(y, "backoffLimit", (int64_t)j->shards * 2);   /* a retry or two per shard */
    pod_template(y, j, 0);
    kx_yaml_map_end(y);
    tail(y);
}

static void merge_job(KxYaml *y, const KxSweepJob *j)
{
    head(y, "batch/v1", "Job");
    meta(y, j, "-merge", "merge");
    kx_yaml_str(y, "spec");
    kx_yaml_map_begin(y);
    kx_yaml_kv_int(y, "backoffLimit", 2);
    pod_template(y, j, 1);
    kx_yaml_map_end(y);
    tail(y);
}

int kx_sweep_job(const KxSweepJob *j, KxYaml *y)
{
    const char *why;
    char name[256];
    snprintf(name, sizeof name, "%s-scenario", j->name);   /* the longest name made from it */
    if (!kx_name_valid(name, KX_DNS1123_LABEL, &why) || !kx_name_valid(j->ns, KX_DNS1123_LABEL, &why))
        return SIM_EINVAL;
    config_map(y, j);
    claim(y, j);
    shard_job(y, j);
    merge_job(y, j);
    return SIM_OK;
}
