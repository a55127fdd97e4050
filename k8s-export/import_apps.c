/*
 * import_apps.c: the workloads: Deployments (with the export's serving and
 * queue annotations), StatefulSets, DaemonSets, Jobs and CronJobs, each with
 * its pod template (import_pod.c).
 *
 * Simplification: a run-to-completion pod's run time is not in a manifest;
 * the export's kubesim.io/duration gives it, else DEFAULT_RUN (a comment in
 * the scenario says to edit it). A Recreate Deployment becomes a rolling
 * update with maxSurge 0 and maxUnavailable 100%, which is what Recreate does
 * to the pod count.
 */
#include "k8s-export/import_int.h"

#include <stdio.h>
#include <string.h>

#include "workloads/traffic.h"

#define DEFAULT_RUN "60s"

static void opt_int(KxImp *c, const KubeYNode *root, const char *path, const char *field, int64_t lo, int64_t hi)
{
    const KubeYNode *n = kube_y_at(c->y, root, path);
    if (n)
        kx_out(c, ", %s = %lld", field, (long long)kx_int(c, n, lo, hi));
}

static void opt_str(KxImp *c, const KubeYNode *root, const char *path, const char *field)
{
    const char *s = kube_y_str(c->y, root, path);
    if (s) {
        kx_out(c, ", %s = ", field);
        kx_out_str(c, s);
    }
}

/* An annotation holding a duration (the export's simulation-only settings). */
static void ann_duration(KxImp *c, const KubeYNode *owner, const char *key, const char *field)
{
    const KubeYNode *n = kx_annotation_node(c, owner, key);
    if (n) {
        kx_out(c, ", %s = ", field);
        kx_out_duration(c, n);
    }
}

/* spec.replicas, or when it is absent (a workload an HPA scales, as the
 * export writes it) the annotation kubesim.io/initial-replicas. */
static void replicas(KxImp *c, const KubeYNode *root)
{
    const KubeYNode *n = kube_y_at(c->y, root, "spec.replicas");
    if (n == NULL)
        n = kx_annotation_node(c, root, "kubesim.io/initial-replicas");
    if (n)
        kx_out(c, ", replicas = %lld", (long long)kx_int(c, n, 0, 1000000));
}

static void image(KxImp *c, const KubeYNode *tmpl)
{
    const KubeYNode *cs = kube_y_seq(c->y, tmpl, "spec.containers");
    const char *img = cs && cs->first ? kube_y_str(c->y, cs->first, "image") : NULL;
    if (img) {
        kx_out(c, ", image = ");
        kx_out_str(c, img);
    }
}

static void int_or_pct(KxImp *c, const KubeYNode *v, const char *field)
{
    if (v == NULL)
        return;
    kx_out(c, "%s = ", field);
    if (v->type == KUBE_Y_SCALAR && strchr(v->s, '%'))
        kx_out_pct(c, v);
    else
        kx_out(c, "%lld", (long long)kx_int(c, v, 0, 1000000000));
}

static void strategy(KxImp *c, const KubeYNode *root)
{
    const char *type = kube_y_str(c->y, root, "spec.strategy.type");
    if (type && strcmp(type, "Recreate") == 0) {
        kx_out(c, ", strategy = { max_surge = 0, max_unavailable = \"100%%\" }");
        return;
    }
    const KubeYNode *ru = kube_y_map(c->y, root, "spec.strategy.rollingUpdate");
    const KubeYNode *s = kube_y_get(ru, "maxSurge"), *u = kube_y_get(ru, "maxUnavailable");
    if (s == NULL && u == NULL)
        return;
    kx_out(c, ", strategy = { ");
    int_or_pct(c, s, "max_surge");
    kx_out(c, s && u ? ", " : "");
    int_or_pct(c, u, "max_unavailable");
    kx_out(c, " }");
}

/* One "pNN=DURATION" of kubesim.io/serve-slo into pcts/targets (text kept
 * for the script); 0 after a message on a bad one. */
static int slo_item(KxImp *c, const KubeYNode *at, char *item, uint32_t *pcts, char **targets, size_t *n)
{
    char *eq = strchr(item, '=');
    uint32_t pct;
    if (eq == NULL) {
        kube_yaml_fail(c->y, NULL, at, "'%s' is not PERCENTILE=DURATION such as p99=250ms",
                       item);
        return 0;
    }
    *eq = '\0';
    if (wl_slo_parse_pct(item, &pct) != SIM_OK) {
        kube_yaml_fail(c->y, NULL, at, "'%s' is not a percentile such as p99 or p99.9", item);
        return 0;
    }
    for (size_t i = 0; i < *n; i++)
        if (pcts[i] == pct) {
            kube_yaml_fail(c->y, NULL, at, "%s is given twice", item);
            return 0;
        }
    if (*n == WL_SLO_MAX) {
        kube_yaml_fail(c->y, NULL, at, "at most %d targets", WL_SLO_MAX);
        return 0;
    }
    /* a valid duration with a nonzero digit is above zero */
    if ((c->o && c->o->is_duration && !c->o->is_duration(eq + 1)) || strpbrk(eq + 1, "123456789") == NULL) {
        kube_yaml_fail(c->y, NULL, at, "%s: '%s' is not a positive duration such as 250ms",
                       item, eq + 1);
        return 0;
    }
    pcts[*n] = pct;
    targets[(*n)++] = eq + 1;
    return 1;
}

/* serve.slo from kubesim.io/serve-slo ("p95=120ms,p99=250ms"), with
 * kubesim.io/serve-slo-p95 as slo_p95 beside it when the list has no p95
 * (the export writes both; they must then agree). */
static void serve_slo(KxImp *c, const KubeYNode *root)
{
    const KubeYNode *n = kx_annotation_node(c, root, "kubesim.io/serve-slo");
    const KubeYNode *p95 = kx_annotation_node(c, root, "kubesim.io/serve-slo-p95");
    uint32_t pcts[WL_SLO_MAX];
    char *targets[WL_SLO_MAX], buf[512];
    size_t k = 0;
    if (n && n->type != KUBE_Y_SCALAR) {
        kube_yaml_fail(c->y, NULL, n, "expected a string such as p99=250ms,p95=120ms");
        return;
    }
    if (n && strlen(n->s) >= sizeof buf) {
        kube_yaml_fail(c->y, NULL, n, "longer than %zu characters", sizeof buf - 1);
        return;
    }
    snprintf(buf, sizeof buf, "%s", n ? n->s : "");
    for (char *save = NULL, *it = strtok_r(buf, ", ", &save); it; it = strtok_r(NULL, ", ", &save))
        if (!slo_item(c, n, it, pcts, targets, &k))
            return;
    int has95 = 0;
    for (size_t i = 0; i < k; i++)
        if (pcts[i] == 95000) {
            has95 = 1;
            if (p95 && (p95->type != KUBE_Y_SCALAR || strcmp(p95->s, targets[i]) != 0)) {
                kube_yaml_fail(c->y, NULL, p95, "differs from p95=%s in kubesim.io/serve-slo",
                               targets[i]);
                return;
            }
        }
    if (!has95)
        ann_duration(c, root, "kubesim.io/serve-slo-p95", "slo_p95");
    if (k == 0)
        return;
    kx_out(c, ", slo = { ");
    for (size_t i = 0; i < k; i++) {
        char name[16];
        wl_slo_pct_name(pcts[i], name, sizeof name);
        kx_out(c, "%s", i ? ", " : "");
        kx_out_key(c, name);
        kx_out_str(c, targets[i]);
    }
    kx_out(c, " }");
}

static void serve(KxImp *c, const KubeYNode *root)
{
    const char *svc = kx_annotation(c, root, "kubesim.io/serve-service");
    if (svc == NULL ||
        !kx_check_label(c, kx_annotation_node(c, root, "kubesim.io/serve-service"), "Service", svc))
        return;
    kx_out(c, ",\n    serve = { service = ");
    kx_out_str(c, svc);
    const KubeYNode *cap = kx_annotation_node(c, root, "kubesim.io/serve-capacity");
    kx_out(c, ", capacity = ");
    if (cap)
        kx_out_number(c, cap);
    else
        kx_out(c, "1");
    const KubeYNode *cpr = kx_annotation_node(c, root, "kubesim.io/serve-cpu-per-request-millicores");
    if (cpr)
        kx_out(c, ", cpu_per_request = "), kx_out_cpu(c, kx_int(c, cpr, 0, INT64_C(1) << 40));
    ann_duration(c, root, "kubesim.io/serve-service-time", "service_time");
    serve_slo(c, root);
    ann_duration(c, root, "kubesim.io/serve-slo-from", "slo_from");
    ann_duration(c, root, "kubesim.io/serve-timeout", "timeout");
    kx_out(c, " }");
}

/* The queue a worker Deployment works off, declared once before its first worker. */
static void queue(KxImp *c, const KxDoc *d)
{
    const char *q = kx_annotation(c, d->root, "kubesim.io/queue");
    if (q == NULL || !kx_check_label(c, kx_annotation_node(c, d->root, "kubesim.io/queue"), "queue", q) ||
        kx_seen(c, "queue", q, ""))
        return;
    kx_out(c, "queue { name = ");
    kx_out_str(c, q);
    kx_out(c, ", region = ");
    kx_out_str(c, d->region);
    kx_out(c, " }\n");
}

void kx_imp_deployments(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "Deployment")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        const KubeYNode *tmpl = kube_y_map(c->y, d->root, "spec.template");
        queue(c, d);
        kx_out_head(c, "deployment", d, 1);
        replicas(c, d->root);
        image(c, tmpl);
        strategy(c, d->root);
        opt_int(c, d->root, "spec.minReadySeconds", "min_ready", 0, INT64_C(1) << 31);
        opt_int(c, d->root, "spec.progressDeadlineSeconds", "progress_deadline", 1, INT64_C(1) << 31);
        if (kx_annotation(c, d->root, "kubesim.io/queue")) {
            kx_out(c, ", queue = ");
            kx_out_str(c, kx_annotation(c, d->root, "kubesim.io/queue"));
        }
        kx_out_pod(c, tmpl);
        serve(c, d->root);
        kx_out(c, " }\n");
    }
}

void kx_imp_statefulsets(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "StatefulSet")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        const KubeYNode *tmpl = kube_y_map(c->y, d->root, "spec.template");
        kx_out_head(c, "statefulset", d, 1);
        replicas(c, d->root);
        image(c, tmpl);
        opt_int(c, d->root, "spec.minReadySeconds", "min_ready", 0, INT64_C(1) << 31);
        const KubeYNode *vct = kube_y_seq(c->y, d->root, "spec.volumeClaimTemplates");
        const KubeYNode *size = vct && vct->first ? kube_y_map(c->y, vct->first, "spec.resources.requests") : NULL;
        size = kube_y_get(size, "storage");
        if (size) {
            kx_out(c, ", volume = ");
            kx_out_quantity(c, size, 0);
        }
        kx_out_pod(c, tmpl);
        kx_out(c, " }\n");
    }
}

void kx_imp_daemonsets(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "DaemonSet")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        kx_out_head(c, "daemonset", d, 1);
        kx_out_pod(c, kube_y_map(c->y, d->root, "spec.template"));
        kx_out(c, " }\n");
    }
}

/* A Job spec's fields (spec: the JobSpec), shared by job and cronjob's job. */
static void job_spec(KxImp *c, const KubeYNode *spec, const KubeYNode *owner)
{
    const KubeYNode *tmpl = kube_y_map(c->y, spec, "template");
    opt_int(c, spec, "completions", "completions", 1, 1000000000);
    opt_int(c, spec, "parallelism", "parallelism", 0, 1000000000);
    const KubeYNode *dn = kx_annotation_node(c, tmpl, "kubesim.io/duration");
    const char *dur = dn ? dn->s : NULL;
    kx_out(c, ", duration = ");
    if (dur && strcmp(dur, "by-work") != 0)
        kx_out_duration(c, dn);
    else
        kx_out_str(c, DEFAULT_RUN);
    opt_str(c, spec, "completionMode", "completion_mode");
    opt_int(c, spec, "backoffLimit", "backoff_limit", 0, 1000000000);
    opt_int(c, spec, "activeDeadlineSeconds", "active_deadline", 1, INT64_C(1) << 40);
    opt_int(c, spec, "ttlSecondsAfterFinished", "ttl_after_finished", 0, INT64_C(1) << 31);
    const KubeYNode *ff = kx_annotation_node(c, owner, "kubesim.io/fail-first");
    const KubeYNode *fp = kx_annotation_node(c, owner, "kubesim.io/fail-probability");
    const KubeYNode *fe = kx_annotation_node(c, owner, "kubesim.io/fail-exit-code");
    if (ff || fp || fe) {
        kx_out(c, ", fail = { exit_code = %lld", fe ? (long long)kx_int(c, fe, 0, 255) : 1LL);
        if (ff)
            kx_out(c, ", first = %lld", (long long)kx_int(c, ff, 0, 1000000000));
        if (fp) {
            kx_out(c, ", probability = ");
            kx_out_number(c, fp);
        }
        kx_out(c, " }");
    }
    kx_out_pod(c, tmpl);
    if (dur == NULL || strcmp(dur, "by-work") == 0)
        kx_out(c, " --[[ run time not in the manifest: edit duration ]]");
}

void kx_imp_jobs(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "Job")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        kx_out_head(c, "job", d, 1);
        /* kubesim.io/start: the offset from the scenario's start; else
         * kubesim.io/start-at, a time of day on its clock (a day's, when
         * it says which: the offset is then the only exact reading). */
        const KubeYNode *start = kx_annotation_node(c, d->root, "kubesim.io/start");
        if (start == NULL)
            start = kx_annotation_node(c, d->root, "kubesim.io/start-at");
        if (start) {
            kx_out(c, ", start = ");
            kx_out_when(c, start);
        } else {   /* suspended by hand: it exists and runs nothing until someone resumes it */
            const char *suspend = kube_y_str(c->y, kube_y_map(c->y, d->root, "spec"), "suspend");
            if (suspend && strcmp(suspend, "true") == 0)
                kx_out(c, ", suspend = true");
        }
        job_spec(c, kube_y_map(c->y, d->root, "spec"), d->root);
        kx_out(c, " }\n");
    }
}

void kx_imp_cronjobs(KxImp *c)
{
    for (KxDoc *d = NULL; (d = kx_next(c, d, "CronJob")) != NULL && kube_yaml_rc(c->y) == SIM_OK;) {
        kx_out_head(c, "cronjob", d, 1);
        const KubeYNode *s = kube_y_map(c->y, d->root, "spec");
        opt_str(c, s, "schedule", "schedule");
        opt_str(c, s, "timeZone", "time_zone");
        opt_str(c, s, "concurrencyPolicy", "concurrency_policy");
        opt_int(c, s, "startingDeadlineSeconds", "starting_deadline", 0, INT64_C(1) << 40);
        opt_int(c, s, "successfulJobsHistoryLimit", "successful_history", 0, 1000000);
        opt_int(c, s, "failedJobsHistoryLimit", "failed_history", 0, 1000000);
        const char *suspend = kube_y_str(c->y, s, "suspend");
        if (suspend && strcmp(suspend, "true") == 0)
            kx_out(c, ", suspend = true");
        kx_out(c, ",\n    job = { ");
        const KubeYNode *jt = kube_y_map(c->y, s, "jobTemplate");
        size_t at = c->len;
        job_spec(c, kube_y_map(c->y, jt, "spec"), jt);
        /* job_spec starts with ", "; a table's first field must not. */
        if (kube_yaml_rc(c->y) == SIM_OK && c->len > at + 2 && c->out[at] == ',')
            memmove(c->out + at, c->out + at + 2, c->len - at - 1), c->len -= 2;
        kx_out(c, " } }\n");
    }
}
