/*
 * export.c: `kubesim export` (kx_export, kx.h): a built scenario as one
 * folder of manifests per region (each region is its own cluster), a file
 * per kind and a kustomization.yaml listing them for `kubectl apply -k`.
 *
 * Invariant: the files come out in a fixed order (regions by id, kinds in
 * the table below, objects by id), and nothing depends on time or addresses,
 * so the same engine gives the same bytes. A kind with no object in a
 * region has no file there.
 *
 * Each kustomization.yaml records the run's settings (start, duration,
 * clock, what manifests cannot hold) as kubesim.io/ annotations on its
 * metadata, which kustomize keeps to itself, so `kubesim import DIR`
 * reproduces the scenario without flags. A region whose files need a person
 * (a Job to start later, a warning) gets a README.md saying what to do.
 */
#include "k8s-export/export_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/outdir.h"

typedef struct KxFile {
    char *path;                 /* REGION/FILE */
    KxYaml *y;                  /* the text of a YAML file; NULL: text holds it */
    size_t docs;
    int tooling;                /* not Kubernetes objects: not in the kustomization */
    KxBuf text;                 /* without y: the text (a README.md, Helm values with comments; owned) */
} KxFile;

struct KxFiles {
    SimMem *m;
    KxFile *v;
    size_t n, cap;
    char **cluster;             /* "KIND/NAME" of cluster-scoped objects, each once */
    size_t ncluster, capcluster;
    KxBuf warnings;             /* one line per warning, every region's */
};

typedef struct KxKind {
    const char *file;
    void (*emit)(KxCtx *c);
    int provisioner;            /* -1: always; else only with this KxProvisioner */
    int tooling;                /* another tool's input (eksctl, Helm), not for kubectl apply */
} KxKind;

/* Cluster set-up first, then workloads, then what scales them: the order
 * kubectl would apply them in if kustomize did not sort. */
static const KxKind kinds[] = {
    {"namespaces.yaml", kx_emit_namespaces, -1, 0},
    {"priorityclasses.yaml", kx_emit_priorityclasses, -1, 0},
    {"resourcequotas.yaml", kx_emit_quotas, -1, 0},
    {"limitranges.yaml", kx_emit_limitranges, -1, 0},
    {"eksctl-cluster.yaml", kx_emit_eksctl, KX_PROV_CLUSTER_AUTOSCALER, 1},
    {"cluster-autoscaler-values.yaml", kx_emit_autoscaler, KX_PROV_CLUSTER_AUTOSCALER, 1},
    {"nodepools.yaml", kx_emit_nodepools, KX_PROV_KARPENTER, 0},
    {"deployments.yaml", kx_emit_deployments, -1, 0},
    {"services.yaml", kx_emit_services, -1, 0},
    {"statefulsets.yaml", kx_emit_statefulsets, -1, 0},
    {"daemonsets.yaml", kx_emit_daemonsets, -1, 0},
    {"jobs.yaml", kx_emit_jobs, -1, 0},
    {"cronjobs.yaml", kx_emit_cronjobs, -1, 0},
    {"poddisruptionbudgets.yaml", kx_emit_pdbs, -1, 0},
    {"horizontalpodautoscalers.yaml", kx_emit_hpas, -1, 0},
    {"scaledobjects.yaml", kx_emit_scaledobjects, -1, 0},   /* KEDA (--metrics-adapter keda) */
    {"prometheusrules.yaml", kx_emit_prometheusrules, -1, 0},   /* only with KxExportOptions.alerts */
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

size_t kx_files_count(const KxFiles *f)
{
    return f->n;
}

void kx_files_get(const KxFiles *f, size_t i, const char **path, const char **text, size_t *len)
{
    SIM_ASSERT(i < f->n);
    *path = f->v[i].path;
    if (f->v[i].y == NULL) {
        *text = f->v[i].text.s;
        *len = f->v[i].text.len;
    } else if (kx_yaml_text(f->v[i].y, text, len) != SIM_OK) {   /* checked when added */
        *text = "";
        *len = 0;
    }
}

size_t kx_files_objects(const KxFiles *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].tooling ? 0 : f->v[i].docs;
    return n;
}

int kx_files_tooling(const KxFiles *f, size_t i)
{
    SIM_ASSERT(i < f->n);
    return f->v[i].tooling;
}

size_t kx_files_cluster_count(const KxFiles *f)
{
    return f->ncluster;
}

const char *kx_files_cluster(const KxFiles *f, size_t i)
{
    SIM_ASSERT(i < f->ncluster);
    return f->cluster[i];
}

void kx_cluster_scoped(KxCtx *c, const char *kind, const char *name)
{
    KxFiles *f = c->files;
    char key[512];
    snprintf(key, sizeof key, "%s/%s", kind, name);
    for (size_t i = 0; i < f->ncluster; i++)   /* few: the classes, namespaces and pools */
        if (strcmp(f->cluster[i], key) == 0)
            return;
    char *p = sim_mem_strdup(f->m, key);
    if (p == NULL || sim_mem_grow(f->m, (void **)&f->cluster, &f->capcluster, f->ncluster + 1, sizeof *f->cluster)) {
        sim_mem_strfree(f->m, p);
        c->rc = SIM_ENOMEM;
        return;
    }
    f->cluster[f->ncluster++] = p;
}

void kx_files_free(KxFiles *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++) {
        sim_mem_strfree(f->m, f->v[i].path);
        kx_yaml_free(f->v[i].y);
        sim_mem_free(f->m, f->v[i].text.s, f->v[i].text.cap);
    }
    for (size_t i = 0; i < f->ncluster; i++)
        sim_mem_strfree(f->m, f->cluster[i]);
    sim_mem_free(f->m, f->cluster, f->capcluster * sizeof *f->cluster);
    sim_mem_free(f->m, f->v, f->cap * sizeof *f->v);
    sim_mem_free(f->m, f->warnings.s, f->warnings.cap);
    sim_mem_free(f->m, f, sizeof *f);
}

/* Takes y (freed here on failure). */
static int add_file(KxFiles *f, const char *region, const char *file, KxYaml *y, size_t docs, int tooling)
{
    char path[512];
    const char *text;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", region, file);
    int rc = kx_yaml_text(y, &text, &len);
    char *p = rc == SIM_OK ? sim_mem_strdup(f->m, path) : NULL;
    if (rc == SIM_OK && (p == NULL || sim_mem_grow(f->m, (void **)&f->v, &f->cap, f->n + 1, sizeof *f->v))) {
        sim_mem_strfree(f->m, p);
        rc = SIM_ENOMEM;
    }
    if (rc != SIM_OK) {
        kx_yaml_free(y);
        return rc;
    }
    f->v[f->n++] = (KxFile){p, y, docs, tooling, {0}};
    return SIM_OK;
}

const char *kx_files_warnings(const KxFiles *f)
{
    return f->warnings.s ? f->warnings.s : "";
}

/* A tooling file written as text (not in the kustomization): takes b's text. */
static int add_raw(KxFiles *f, KxCtx *c, const char *file, KxBuf *b)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", sim_region(c->e, c->region)->name, file);
    char *p = sim_mem_strdup(f->m, path);
    if (p == NULL || sim_mem_grow(f->m, (void **)&f->v, &f->cap, f->n + 1, sizeof *f->v) != SIM_OK) {
        sim_mem_strfree(f->m, p);
        kx_buf_free(c, b);
        return SIM_ENOMEM;
    }
    f->v[f->n++] = (KxFile){p, NULL, 0, 1, *b};
    *b = (KxBuf){0};
    return SIM_OK;
}

/* Files beside the manifests, for the tools that serve them (Helm values). */
static int emit_extras(KxFiles *f, KxCtx *c)
{
    KxBuf b = {0};
    c->rc = SIM_OK;
    kx_emit_adapter_values(c, &b);
    if (c->rc != SIM_OK || b.len == 0) {
        kx_buf_free(c, &b);
        return c->rc;
    }
    return add_raw(f, c, KX_ADAPTER_VALUES, &b);
}

/* One kind's file of one region; none when the kind has no object there. */
static int emit_kind(KxFiles *f, KxCtx *c, const KxKind *k)
{
    c->y = kx_yaml_new(f->m);
    c->docs = 0;
    c->rc = SIM_OK;
    if (c->y == NULL)
        return SIM_ENOMEM;
    k->emit(c);
    if (c->rc != SIM_OK || c->docs == 0) {
        kx_yaml_free(c->y);
        return c->rc;
    }
    return add_file(f, sim_region(c->e, c->region)->name, k->file, c->y, c->docs, k->tooling);
}

/* metadata.annotations of a kustomization: what `kubesim import` needs
 * beside the objects to rebuild the scenario. */
static void run_settings(KxYaml *y, KxCtx *c)
{
    const KxExportOptions *o = c->o;
    char buf[32];
    kx_yaml_str(y, "metadata");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "name", sim_region(c->e, c->region)->name);
    kx_yaml_str(y, "annotations");
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "kubesim.io/scenario", o->scenario ? o->scenario : "kubesim");
    kx_yaml_kv_str(y, "kubesim.io/region", sim_region(c->e, c->region)->name);
    char regions[1024] = "";
    for (uint32_t r = 0, k = 0; r < sim_region_count(c->e) && k < sizeof regions; r++)
        k += (uint32_t)snprintf(regions + k, sizeof regions - k, "%s%s", r ? "," : "", sim_region(c->e, r)->name);
    kx_yaml_kv_str(y, "kubesim.io/regions", regions);   /* their order: the simulation's ids */
    char spaces[2048] = "";
    for (uint32_t n = 0, k = 0; n < sim_namespace_count(c->e) && k < sizeof spaces; n++)
        if (strcmp(kx_ns_name(c, n), "default") != 0)
            k += (uint32_t)snprintf(spaces + k, sizeof spaces - k, "%s%s", k ? "," : "", kx_ns_name(c, n));
    if (spaces[0])   /* likewise, whether or not a Namespace object is written */
        kx_yaml_kv_str(y, "kubesim.io/namespaces", spaces);
    if (o->duration > 0) {
        kx_clock(o->start_clock, buf, sizeof buf);
        kx_yaml_kv_str(y, "kubesim.io/start", buf);
        kx_kv_duration(y, "kubesim.io/duration", o->duration);
    }
    if (o->sample_every > 0)
        kx_kv_duration(y, "kubesim.io/sample-every", o->sample_every);
    if (o->timezone)
        kx_yaml_kv_str(y, "kubesim.io/timezone", o->timezone);
    if (o->date)
        kx_yaml_kv_str(y, "kubesim.io/date", o->date);
    if (o->not_exported && *o->not_exported)
        kx_yaml_kv_str(y, "kubesim.io/not-exported", o->not_exported);
    kx_yaml_map_end(y);
    kx_yaml_map_end(y);
}

static int kustomization(KxFiles *f, KxCtx *c, size_t first)
{
    KxYaml *y = kx_yaml_new(f->m);
    if (y == NULL)
        return SIM_ENOMEM;
    kx_yaml_doc_begin(y);
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "apiVersion", "kustomize.config.k8s.io/v1beta1");
    kx_yaml_kv_str(y, "kind", "Kustomization");
    run_settings(y, c);
    kx_yaml_str(y, "resources");
    kx_yaml_seq_begin(y);
    for (size_t i = first; i < f->n; i++)
        if (!f->v[i].tooling)
            kx_yaml_str(y, strchr(f->v[i].path, '/') + 1);
    kx_yaml_seq_end(y);
    kx_yaml_map_end(y);
    kx_yaml_doc_end(y);
    return add_file(f, sim_region(c->e, c->region)->name, "kustomization.yaml", y, 0, 0);
}

/* The region's README.md, when a Job starts later or a warning stands;
 * takes the text (freed here on failure). */
static int readme(KxFiles *f, KxCtx *c)
{
    if (c->timed->len == 0 && c->warns->len == 0)
        return SIM_OK;
    const char *region = sim_region(c->e, c->region)->name;
    KxBuf b = {0};
    char start[16];
    kx_clock(c->o->start_clock, start, sizeof start);
    kx_buf_printf(c, &b, "# %s: scenario %s, exported by kubesim\n\n"
                  "Apply this folder with `kubectl apply -k .` at the scenario's start, %s%s%s.\n",
                  region, c->scenario, start, c->o->timezone ? " " : " UTC", c->o->timezone ? c->o->timezone : "");
    if (c->timed->len)
        kx_buf_printf(c, &b, "\n## Jobs that start later\n\n"
                      "Each is written with `spec.suspend: true`: `kubectl apply` creates it, and the Job\n"
                      "controller makes no pod until it is resumed. Resume each at its time (its\n"
                      "`kubesim.io/start-at` annotation), for instance from a CronJob or a CI schedule:\n\n%s",
                      c->timed->s);
    if (c->warns->len)
        kx_buf_printf(c, &b, "\n## Where a cluster would do otherwise than the simulation\n\n%s", c->warns->s);
    char path[512];
    snprintf(path, sizeof path, "%s/README.md", region);
    char *p = c->rc == SIM_OK ? sim_mem_strdup(f->m, path) : NULL;
    if (p == NULL || sim_mem_grow(f->m, (void **)&f->v, &f->cap, f->n + 1, sizeof *f->v) != SIM_OK) {
        sim_mem_strfree(f->m, p);
        kx_buf_free(c, &b);
        return SIM_ENOMEM;
    }
    f->v[f->n++] = (KxFile){p, NULL, 0, 1, b};   /* for people: not in the kustomization */
    return SIM_OK;
}

static int export_region(KxFiles *f, KxCtx *c)
{
    size_t first = f->n;
    int rc = SIM_OK;
    c->timed->len = c->warns->len = 0;
    for (size_t k = 0; rc == SIM_OK && k < NKINDS; k++)
        if (kinds[k].provisioner < 0 || kinds[k].provisioner == (int)c->o->provisioner)
            rc = emit_kind(f, c, &kinds[k]);
    if (rc == SIM_OK && c->warns->len) {
        kx_buf_printf(c, &f->warnings, "%s", c->warns->s);
        rc = c->rc;
    }
    if (rc == SIM_OK)
        rc = emit_extras(f, c);
    if (rc == SIM_OK)
        rc = kustomization(f, c, first);
    return rc == SIM_OK ? readme(f, c) : rc;
}

int kx_export(SimEngine *e, WlControllers *wl, const KxExportOptions *o, KxFiles **out)
{
    SimMem *m = sim_mem(e);
    KxFiles *f = sim_mem_calloc(m, 1, sizeof *f);
    *out = NULL;
    if (f == NULL)
        return sim_fail(e, SIM_ENOMEM, "out of memory");
    f->m = m;
    KxBuf timed = {0}, warns = {0};
    KxCtx c = {.e = e, .wl = wl, .o = o, .files = f, .timed = &timed, .warns = &warns};
    kx_label_value(o->scenario ? o->scenario : "kubesim", c.scenario, sizeof c.scenario);
    int rc = SIM_OK;
    for (uint32_t r = 0; rc == SIM_OK && r < sim_region_count(e); r++) {
        c.region = r;
        rc = export_region(f, &c);
    }
    kx_buf_free(&c, &timed);
    kx_buf_free(&c, &warns);
    if (rc != SIM_OK) {
        kx_files_free(f);
        return rc == SIM_ENOMEM ? sim_fail(e, rc, "out of memory") : rc;
    }
    *out = f;
    return SIM_OK;
}

int kx_files_write(const KxFiles *f, const char *dir, SimErr *err)
{
    char path[4600];
    for (size_t i = 0; i < f->n; i++) {
        const char *name, *text;
        size_t len;
        kx_files_get(f, i, &name, &text, &len);
        snprintf(path, sizeof path, "%s/%.*s", dir, (int)(strchr(name, '/') - name), name);
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            return sim_err_set(err, SIM_EIO, "%s: %s", path, strerror(errno));
        }
        snprintf(path, sizeof path, "%s/%s", dir, name);
        int rc = sim_write_file(path, text, len, err);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}
