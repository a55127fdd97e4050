/*
 * openmetrics.c: a run's metrics as OpenMetrics text, so that Prometheus'
 * `promtool tsdb create-blocks-from openmetrics` can load a run and Grafana
 * can show it. Two inputs: metrics.csv (the simulator's own quantities,
 * mapped to kubesim_* families by the table below) and, when the run had
 * one, the kube-state sampler's rows (kube_*, container_* and a few
 * kubesim_* families, written by workloads/kstate.c with their labels
 * ready). Conventions (Prometheus' naming guide, the OpenMetrics spec):
 * base units, counters end _total, # HELP / # TYPE / # UNIT on every family,
 * object names as label values, and every sample labelled with the run's
 * scenario, seed and run id (and its sweep configuration) so that runs can
 * share one TSDB.
 *
 * OpenMetrics wants every family's samples together and each series'
 * timestamps increasing, so the rows are read whole and sorted (both inputs
 * are written time-major). Timestamps are seconds since the Unix epoch:
 * simulated time 0 is mapped to base_unix.
 */
#include "render/rnd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/rnd_int.h"
#include "sim/fileio.h"

/* ---- the families ------------------------------------------------------------ */
typedef struct Fam {
    const char *name;   /* without _total */
    const char *type;   /* "gauge" or "counter" */
    const char *unit;   /* "" for a dimensionless count */
    const char *help;
} Fam;

#define G "gauge"
#define C "counter"
static const Fam known[] = {
    /* metrics.csv */
    {"kubesim_region_nodes", G, "", "Nodes of the region, in any state (added and not removed)."},
    {"kubesim_region_pods_running", G, "", "Running pods of the region."},
    {"kubesim_region_pods_pending", G, "", "Unschedulable Pending pods of the region (PodScheduled=False)."},
    {"kubesim_cost_usd", C, "usd", "Cost of the region's nodes since the start of the run."},
    {"kubesim_idle_cost_usd", C, "usd", "Part of the region's cost that no pod requested."},
    {"kubesim_namespace_cost_usd", C, "usd", "Cost paid by the namespace's pods (their share of their nodes)."},
    {"kubesim_nodegroup_nodes", G, "", "Nodes of the node group, in any state."},
    {"kubesim_nodegroup_cost_usd", C, "usd", "Cost of the node group's nodes since the start of the run."},
    {"kubesim_nodegroup_cpu_requested_ratio", G, "ratio", "CPU requested over allocatable in the node group."},
    {"kubesim_nodegroup_memory_requested_ratio", G, "ratio", "Memory requested over allocatable in the node group."},
    {"kubesim_service_requests_per_second", G, "", "Requests per second arriving at the service over the last interval."},
    {"kubesim_service_latency_seconds", G, "seconds", "Latency percentile of the service's requests over the last interval."},
    {"kubesim_service_slo_target_seconds", G, "seconds", "The service's latency SLO target at that percentile."},
    {"kubesim_service_error_ratio", G, "ratio", "Failed over all requests of the service in the last interval."},
    {"kubesim_service_backlog_requests", G, "requests", "Requests waiting at the service."},
    {"kubesim_queue_length", G, "", "Items waiting in the work queue."},
    {"kubesim_queue_oldest_age_seconds", G, "seconds", "Age of the oldest waiting item of the queue."},
    {"kubesim_queue_busy_workers", G, "", "Workers of the queue processing an item."},
    {"kubesim_queue_completed", C, "", "Items the queue's workers completed."},
    {"kubesim_queue_requeued", C, "", "Items put back on the queue (their worker went away)."},
    {"kubesim_replicaset_replicas", G, "", "Desired replicas of the ReplicaSet."},
    {"kubesim_replicaset_available_replicas", G, "", "Available replicas of the ReplicaSet."},
    /* the kube-state sampler: the simulator's own */
    {"kubesim_region_up", G, "", "1 while the region's control plane is up, 0 during an outage."},
    {"kubesim_pods_created", C, "", "Pods created in the region."},
    {"kubesim_jobs_succeeded", C, "", "Jobs that completed (deleted ones still count)."},
    {"kubesim_jobs_failed", C, "", "Jobs that failed (deleted ones still count)."},
    {"kubesim_openmetrics_pods_omitted", G, "", "Existing pods left out of the per-pod families (--openmetrics-pods)."},
    /* kube-state-metrics */
    {"kube_deployment_spec_replicas", G, "", "Number of desired pods for a deployment."},
    {"kube_deployment_status_replicas_ready", G, "", "The number of ready replicas per deployment."},
    {"kube_deployment_status_replicas_available", G, "", "The number of available replicas per deployment."},
    {"kube_deployment_status_replicas_updated", G, "", "The number of updated replicas per deployment."},
    {"kube_statefulset_replicas", G, "", "Number of desired pods for a StatefulSet."},
    {"kube_statefulset_status_replicas_ready", G, "", "The number of ready replicas per StatefulSet."},
    {"kube_daemonset_status_desired_number_scheduled", G, "", "The number of nodes that should be running the daemon pod."},
    {"kube_daemonset_status_number_ready", G, "", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."},
    {"kube_job_spec_parallelism", G, "", "The maximum desired number of pods the job should run at any given time."},
    {"kube_job_spec_completions", G, "", "The desired number of successfully finished pods the job should be run with."},
    {"kube_job_status_active", G, "", "The number of actively running pods."},
    {"kube_job_status_succeeded", G, "", "The number of pods which reached Phase Succeeded."},
    {"kube_job_status_failed", G, "", "The number of pods which reached Phase Failed."},
    {"kube_cronjob_status_active", G, "", "Active holds pointers to currently running jobs."},
    {"kube_horizontalpodautoscaler_spec_min_replicas", G, "", "Lower limit for the number of pods that can be set by the autoscaler, default 1."},
    {"kube_horizontalpodautoscaler_spec_max_replicas", G, "", "Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas."},
    {"kube_horizontalpodautoscaler_status_current_replicas", G, "", "Current number of replicas of pods managed by this autoscaler."},
    {"kube_horizontalpodautoscaler_status_desired_replicas", G, "", "Desired number of replicas of pods managed by this autoscaler."},
    {"kube_horizontalpodautoscaler_spec_target_metric", G, "", "The metric specifications used by this autoscaler when calculating the desired replica count."},
    {"kube_horizontalpodautoscaler_status_target_metric", G, "", "The current metric status used by this autoscaler when calculating the desired replica count."},
    {"kube_node_info", G, "", "Information about a cluster node."},
    {"kube_node_status_allocatable", G, "", "The allocatable for different resources of a node that are available for scheduling."},
    {"kube_node_spec_unschedulable", G, "", "Whether a node can schedule new pods."},
    {"kube_node_status_condition", G, "", "The condition of a cluster node."},
    {"kube_pod_info", G, "", "Information about pod."},
    {"kube_pod_status_phase", G, "", "The pods current phase."},
    {"kube_pod_container_resource_requests", G, "", "The number of requested request resource by a container."},
    {"kube_pod_container_resource_limits", G, "", "The number of requested limit resource by a container."},
    {"kube_resourcequota", G, "", "Information about resource quota."},
    /* cAdvisor */
    {"container_cpu_usage_seconds", C, "seconds", "Cumulative cpu time consumed in seconds."},
    {"container_memory_working_set_bytes", G, "bytes", "Current working set in bytes."},
};
#undef G
#undef C
#define NKNOWN (sizeof known / sizeof known[0])

/* metrics.csv rows: (object, metric) to a family, the label that carries the
 * name column, an extra label, and a scale to base units. */
typedef struct CsvMap {
    const char *object, *metric, *family, *key, *extra;
    double scale;
} CsvMap;

static const CsvMap csv_map[] = {
    {"region", "nodes", "kubesim_region_nodes", "region", NULL, 1},
    {"region", "pods_running", "kubesim_region_pods_running", "region", NULL, 1},
    {"region", "pods_pending", "kubesim_region_pods_pending", "region", NULL, 1},
    {"region", "cost_usd", "kubesim_cost_usd", "region", NULL, 1},
    {"region", "idle_cost_usd", "kubesim_idle_cost_usd", "region", NULL, 1},
    {"namespace", "cost_usd", "kubesim_namespace_cost_usd", "namespace", NULL, 1},
    {"nodegroup", "nodes", "kubesim_nodegroup_nodes", "nodegroup", NULL, 1},
    {"nodegroup", "cost_usd", "kubesim_nodegroup_cost_usd", "nodegroup", NULL, 1},
    {"nodegroup", "cpu_requested_ratio", "kubesim_nodegroup_cpu_requested_ratio", "nodegroup", NULL, 1},
    {"nodegroup", "memory_requested_ratio", "kubesim_nodegroup_memory_requested_ratio", "nodegroup", NULL, 1},
    {"service", "rps", "kubesim_service_requests_per_second", "service", NULL, 1},
    {"service", "latency_p50_ms", "kubesim_service_latency_seconds", "service", "percentile=\"50\"", 1e-3},
    {"service", "latency_p90_ms", "kubesim_service_latency_seconds", "service", "percentile=\"90\"", 1e-3},
    {"service", "latency_p95_ms", "kubesim_service_latency_seconds", "service", "percentile=\"95\"", 1e-3},
    {"service", "latency_p99_ms", "kubesim_service_latency_seconds", "service", "percentile=\"99\"", 1e-3},
    {"service", "error_rate", "kubesim_service_error_ratio", "service", NULL, 1},
    {"service", "backlog", "kubesim_service_backlog_requests", "service", NULL, 1},
    {"queue", "length", "kubesim_queue_length", "queue", NULL, 1},
    {"queue", "oldest_age_seconds", "kubesim_queue_oldest_age_seconds", "queue", NULL, 1},
    {"queue", "busy_workers", "kubesim_queue_busy_workers", "queue", NULL, 1},
    {"queue", "completed", "kubesim_queue_completed", "queue", NULL, 1},
    {"queue", "requeued", "kubesim_queue_requeued", "queue", NULL, 1},
    {"replicaset", "replicas", "kubesim_replicaset_replicas", "replicaset", NULL, 1},
    {"replicaset", "available", "kubesim_replicaset_available_replicas", "replicaset", NULL, 1},
};

/* Objects whose rows the kube-state sampler carries under kube_* names (with
 * their namespace, which metrics.csv lacks). */
static const char *const csv_dropped[] = {"deployment", "job", "cronjob", "daemonset", "statefulset", "pod", "hpa"};

/* ---- rows -------------------------------------------------------------------- */
typedef struct Row {
    uint32_t fam;       /* index into Rows.fams */
    const char *fname;  /* its name (static or owned by the family: it never moves) */
    char *labels;       /* k="v",...: escaped; owned when from metrics.csv */
    double t, v;
    size_t seq;         /* keeps equal keys in file order: a stable sort */
    uint8_t owned;
} Row;

typedef struct FamSlot {
    const Fam *k;       /* a known family, or NULL */
    char *name;         /* an other family's name (owned) */
    char *help;         /* its help (owned) */
} FamSlot;

typedef struct Rows {
    SimMem *m;          /* every allocation below */
    Row *v;
    size_t n, cap;
    FamSlot *fams;
    size_t nfams, capfams;
    uint32_t last_fam;  /* the family of the last lookup: rows come in runs */
    char *text[2];      /* the files, fields cut in place */
    size_t len[2];      /* of text, without its NUL */
    RndBuf scratch;
} Rows;

static const char *fam_name(const Rows *r, uint32_t i)
{
    return r->fams[i].k ? r->fams[i].k->name : r->fams[i].name;
}

/* Metric and label names allow [a-zA-Z0-9_:] (labels no ':'); anything else
 * becomes '_'. */
static void sanitize(char *s, int colon)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              (colon && *s == ':')))
            *s = '_';
}

/* The family's index; a name outside the table gets a gauge of its own with
 * help (copied). -1 when out of memory. */
static int64_t fam_find(Rows *r, const char *name, const char *help)
{
    if (r->last_fam < r->nfams && strcmp(fam_name(r, r->last_fam), name) == 0)
        return r->last_fam;
    for (size_t i = 0; i < r->nfams; i++)
        if (strcmp(fam_name(r, (uint32_t)i), name) == 0)
            return r->last_fam = (uint32_t)i;
    if (sim_mem_grow(r->m, (void **)&r->fams, &r->capfams, r->nfams + 1, sizeof *r->fams) != SIM_OK)
        return -1;
    FamSlot *s = &r->fams[r->nfams];
    *s = (FamSlot){NULL, NULL, NULL};
    for (size_t i = 0; i < NKNOWN && s->k == NULL; i++)
        if (strcmp(known[i].name, name) == 0)
            s->k = &known[i];
    if (s->k == NULL) {
        s->name = sim_mem_strdup(r->m, name);
        s->help = sim_mem_strdup(r->m, help);
        if (s->name == NULL || s->help == NULL) {
            sim_mem_strfree(r->m, s->name);
            sim_mem_strfree(r->m, s->help);
            return -1;
        }
    }
    return r->last_fam = (uint32_t)r->nfams++;
}

static int oom(const char *path, size_t line, SimErr *err)
{
    return sim_err_set(err, SIM_ENOMEM, "%s:%zu: out of memory", path, line);
}

static int push(Rows *r, int64_t fam, char *labels, int owned, double t, double v)
{
    if (fam < 0 || sim_mem_grow(r->m, (void **)&r->v, &r->cap, r->n + 1, sizeof *r->v) != SIM_OK) {
        if (owned)
            sim_mem_strfree(r->m, labels);
        return SIM_ENOMEM;
    }
    r->v[r->n] = (Row){(uint32_t)fam, fam_name(r, (uint32_t)fam), labels, t, v, r->n, (uint8_t)owned};
    r->n++;
    return SIM_OK;
}

/* Label values escape backslash, quote and newline. */
static void label_value(RndBuf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\n') {
            rnd_buf_str(b, "\\n");
            continue;
        }
        if (*v == '\\' || *v == '"')
            rnd_buf_add(b, "\\", 1);
        rnd_buf_add(b, v, 1);
    }
}

static void label(RndBuf *b, const char *key, const char *value)
{
    if (b->len)
        rnd_buf_add(b, ",", 1);
    rnd_buf_fmt(b, "%s=\"", key);
    label_value(b, value);
    rnd_buf_add(b, "\"", 1);
}

/* ---- metrics.csv ---------------------------------------------------------------- */
static int split(char *line, char **f, int want, char sep)
{
    int n = 0;
    for (char *p = line; n < want; n++) {
        f[n] = p;
        char *cut = strchr(p, sep);
        if (cut == NULL) {
            n++;
            break;
        }
        *cut = '\0';
        p = cut + 1;
    }
    return n;
}

/* "slo_p99.9_target_ms" -> percentile "99.9" in q; 0 if metric is not one. */
static int slo_percentile(const char *metric, char *q, size_t n)
{
    size_t len = strlen(metric);
    if (strncmp(metric, "slo_p", 5) != 0 || len < 16 || strcmp(metric + len - 10, "_target_ms") != 0)
        return 0;
    char *end;
    double pct = strtod(metric + 5, &end);
    if (end != metric + len - 10 || !(pct > 0 && pct < 100))
        return 0;
    snprintf(q, n, "%.10g", pct);
    return 1;
}

typedef struct CsvRow {
    const char *family, *key, *extra;
    char percentile[32];
    char generic[256], help[320];
    double scale;
} CsvRow;

/* Where a metrics.csv row goes: 1 mapped, 0 dropped (carried elsewhere). */
static int csv_route(const char *object, const char *metric, CsvRow *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof csv_dropped / sizeof *csv_dropped; i++)
        if (strcmp(object, csv_dropped[i]) == 0)
            return 0;
    if (strcmp(object, "service") == 0 && strcmp(metric, "slo_target_ms") == 0)
        return 0;   /* the p95 target, also written as slo_p95_target_ms */
    for (size_t i = 0; i < sizeof csv_map / sizeof *csv_map; i++)
        if (strcmp(object, csv_map[i].object) == 0 && strcmp(metric, csv_map[i].metric) == 0) {
            c->family = csv_map[i].family;
            c->key = csv_map[i].key;
            c->extra = csv_map[i].extra;
            c->scale = csv_map[i].scale;
            return 1;
        }
    if (strcmp(object, "service") == 0 && slo_percentile(metric, c->percentile, sizeof c->percentile)) {
        c->family = "kubesim_service_slo_target_seconds";
        c->key = "service";
        c->scale = 1e-3;
        return 1;
    }
    snprintf(c->generic, sizeof c->generic, "kubesim_%s_%s", object, metric);
    sanitize(c->generic, 1);
    snprintf(c->help, sizeof c->help, "metrics.csv rows of object %s, metric %s.", object, metric);
    c->family = c->generic;   /* key NULL: the object's name, sanitized */
    c->scale = 1;
    return 1;
}

static int csv_labels(Rows *r, char **f, const CsvRow *c)
{
    RndBuf *b = &r->scratch;
    char key[128];
    snprintf(key, sizeof key, "%s%s", f[2][0] >= '0' && f[2][0] <= '9' ? "_" : "", f[2]);
    sanitize(key, 0);
    rnd_buf_reset(b);
    if (strcmp(f[1], "all") != 0 && strcmp(c->key ? c->key : key, "region") != 0)
        label(b, "region", f[1]);
    label(b, c->key ? c->key : key, f[3]);
    if (c->extra) {
        rnd_buf_add(b, ",", 1);
        rnd_buf_str(b, c->extra);
    }
    if (c->percentile[0])
        label(b, "percentile", c->percentile);
    rnd_buf_add(b, "", 1);
    return b->oom ? SIM_ENOMEM : SIM_OK;
}

static int csv_row(Rows *r, char **f, size_t line, const char *path, SimErr *err)
{
    char *end1, *end2;
    double t = strtod(f[0], &end1), v = strtod(f[5], &end2);
    if (*end1 != '\0' || *end2 != '\0' || f[0][0] == '\0' || f[5][0] == '\0')
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: not a number in t_seconds or value", path, line);
    CsvRow c;
    if (!csv_route(f[2], f[4], &c))
        return SIM_OK;
    if (csv_labels(r, f, &c) != SIM_OK)
        return oom(path, line, err);
    char *labels = sim_mem_strdup(r->m, r->scratch.p);
    if (labels == NULL)
        return oom(path, line, err);
    if (push(r, fam_find(r, c.family, c.help), labels, 1, t, v * c.scale) != SIM_OK)
        return oom(path, line, err);
    return SIM_OK;
}

static int parse_csv(Rows *r, const char *path, SimErr *err)
{
    size_t line = 1;
    char *save = NULL;
    char *l = strtok_r(r->text[0], "\n", &save);
    if (l == NULL || strncmp(l, "t_seconds,region,object,name,metric,value", 41) != 0)
        return sim_err_set(err, SIM_EINVAL, "%s:%zu: not a kubesim metrics.csv (header)", path, line);
    while ((l = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[6];
        line++;
        if (split(l, f, 6, ',') != 6)
            return sim_err_set(err, SIM_EINVAL, "%s:%zu: expected 6 fields", path, line);
        int rc = csv_row(r, f, line, path, err);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* ---- the kube-state sampler's rows: t TAB family TAB labels TAB value ------------ */
static int parse_kstate(Rows *r, const char *path, SimErr *err)
{
    size_t line = 0;
    for (char *l = r->text[1], *next; l && *l; l = next) {
        char *nl = strchr(l, '\n'), *f[4], *end1, *end2;
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        line++;
        if (split(l, f, 4, '\t') != 4)
            return sim_err_set(err, SIM_EINVAL, "%s:%zu: expected 4 fields", path, line);
        double t = strtod(f[0], &end1), v = strtod(f[3], &end2);
        if (*end1 != '\0' || *end2 != '\0' || f[0][0] == '\0' || f[3][0] == '\0')
            return sim_err_set(err, SIM_EINVAL, "%s:%zu: not a number in time or value", path, line);
        if (push(r, fam_find(r, f[1], "kubesim kube-state sampler."), f[2], 0, t, v) != SIM_OK)
            return oom(path, line, err);
    }
    return SIM_OK;
}

/* ---- output ------------------------------------------------------------------------ */
static int row_cmp(const void *pa, const void *pb)
{
    const Row *a = pa, *b = pb;
    int c = a->fam == b->fam ? 0 : strcmp(a->fname, b->fname);
    if (c == 0)
        c = strcmp(a->labels, b->labels);
    if (c == 0)
        c = (a->t > b->t) - (a->t < b->t);
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static void help_text(RndBuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            rnd_buf_str(b, "\\n");
        else {
            if (*s == '\\' || *s == '"')
                rnd_buf_add(b, "\\", 1);
            rnd_buf_add(b, s, 1);
        }
    }
}

static int is_counter(const Rows *r, uint32_t fam)
{
    return r->fams[fam].k && strcmp(r->fams[fam].k->type, "counter") == 0;
}

static void family_head(const Rows *r, RndBuf *b, uint32_t fam)
{
    const FamSlot *s = &r->fams[fam];
    const char *name = fam_name(r, fam);
    rnd_buf_fmt(b, "# HELP %s ", name);
    help_text(b, s->k ? s->k->help : s->help);
    rnd_buf_fmt(b, "\n# TYPE %s %s\n# UNIT %s %s\n", name, s->k ? s->k->type : "gauge", name, s->k ? s->k->unit : "");
}

static void value(RndBuf *b, double v)
{
    if (isnan(v))
        rnd_buf_str(b, "NaN");
    else if (isinf(v))
        rnd_buf_str(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        rnd_buf_fmt(b, "%.0f", v);   /* bytes and counts exactly */
    else
        rnd_buf_fmt(b, "%.10g", v);
}

static void write_rows(const Rows *r, RndBuf *b, const char *common, int64_t base_unix)
{
    for (size_t i = 0; i < r->n; i++) {
        const Row *x = &r->v[i], *p = i ? &r->v[i - 1] : NULL;
        if (p && x->fam == p->fam && strcmp(x->labels, p->labels) == 0 && x->t == p->t)
            continue;   /* one sample per series and time: the first written wins */
        if (p == NULL || x->fam != p->fam)
            family_head(r, b, x->fam);
        rnd_buf_fmt(b, "%s%s{%s%s%s} ", fam_name(r, x->fam), is_counter(r, x->fam) ? "_total" : "", x->labels,
                    x->labels[0] ? "," : "", common);
        value(b, x->v);
        rnd_buf_fmt(b, " %.3f\n", (double)base_unix + x->t);
    }
    rnd_buf_str(b, "# EOF\n");
}

static void common_labels(RndBuf *b, const RndOmRun *in)
{
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)in->seed);
    label(b, "scenario", in->scenario ? in->scenario : "");
    label(b, "seed", seed);
    label(b, "run", in->run ? in->run : "");
    if (in->config)
        label(b, "config", in->config);
    rnd_buf_add(b, "", 1);
}

static void rows_free(Rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].owned)
            sim_mem_strfree(r->m, r->v[i].labels);
    sim_mem_free(r->m, r->v, r->cap * sizeof *r->v);
    for (size_t i = 0; i < r->nfams; i++) {
        sim_mem_strfree(r->m, r->fams[i].name);
        sim_mem_strfree(r->m, r->fams[i].help);
    }
    sim_mem_free(r->m, r->fams, r->capfams * sizeof *r->fams);
    for (int i = 0; i < 2; i++)
        if (r->text[i])
            sim_mem_free(r->m, r->text[i], r->len[i] + 1);
    rnd_buf_free(&r->scratch);
}

/* The text is built in memory and written by sim_file_replace, so a failed
 * write is reported with its reason under the name the user gave, and the
 * destination is the whole file or untouched. */
static int write_text(const Rows *r, const RndOmRun *in, const char *out_path, SimErr *err)
{
    RndBuf b, common;
    rnd_buf_init(&b, r->m);
    rnd_buf_init(&common, r->m);
    common_labels(&common, in);
    if (!common.oom)
        write_rows(r, &b, common.p, in->base_unix);
    int rc = b.oom || common.oom ? sim_err_set(err, SIM_ENOMEM, "%s: out of memory", out_path)
                                 : sim_file_replace(out_path, b.p, b.len, err);
    rnd_buf_free(&common);
    rnd_buf_free(&b);
    return rc;
}

int rnd_openmetrics_write(SimMem *m, const RndOmRun *in, const char *out_path, SimErr *err)
{
    /* Both inputs are kubesim's own output, read back at once; the cap is the
     * one for backtest CSVs, which no run's metrics come near. */
    Rows r = {.m = m, .last_fam = UINT32_MAX};
    rnd_buf_init(&r.scratch, m);
    int rc = sim_file_read(m, in->metrics_csv, SIM_FILE_MAX_CSV, "a metrics CSV", &r.text[0], &r.len[0], err);
    if (rc == SIM_OK && in->kstate)
        rc = sim_file_read(m, in->kstate, SIM_FILE_MAX_CSV, "kube-state rows", &r.text[1], &r.len[1], err);
    if (rc == SIM_OK)
        rc = parse_csv(&r, in->metrics_csv, err);
    if (rc == SIM_OK && in->kstate)
        rc = parse_kstate(&r, in->kstate, err);
    if (rc == SIM_OK) {
        qsort(r.v, r.n, sizeof *r.v, row_cmp);
        rc = write_text(&r, in, out_path, err);
    }
    rows_free(&r);
    return rc;
}
