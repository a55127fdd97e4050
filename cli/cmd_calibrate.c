/*
 * cmd_calibrate.c: `kubesim calibrate [--out FILE] [--quick]` measures this
 * host's throughput per kernel class, single thread and all cores, and writes
 * the calibration JSON that bt_throughput_parse reads.
 *
 * A class's rates are its kernel's counted work (bt_cost_predict) divided by
 * the measured wall time of a real run on synthetic data, so that
 * bt_sim_duration reproduces the measured time for that size. "All cores"
 * uses each class's natural parallelism: worker threads for ma_cross, one
 * independent run per core for momentum, OpenBLAS threads for the covariance
 * kernel. The OpenBLAS core name is recorded with every calibration
 * (OPENBLAS_CORETYPE is read, never changed).
 *
 * `kubesim calibrate --from-prometheus DIR` instead fits, from a real
 * cluster's kube-state-metrics series (cli/observed.h), the delays the
 * simulation otherwise takes as constants, per workload and node group
 * (sim/dist.h), and writes them as the file's "timings" (sim/timings.h).
 * Invariant: --out FILE is replaced atomically (temporary file, then rename).
 */
#include "cli/cli.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/observed.h"
#include "sim/fileio.h"
#include "sim/json.h"
#include "sim/promrange.h"
#include "sim/sim.h"
#include "sim/timings.h"
#include "workloads/backtest/bt.h"

typedef struct Job {
    BtClass cls;
    const char *name;       /* the class's key in the JSON */
    BtParams p;
    size_t rows, assets;
} Job;

typedef struct Run {
    const BtData *d;
    const BtParams *p;
    int rc;
} Run;

/* ---- measuring ----------------------------------------------------------- */

static void *run_once(void *arg)
{
    Run *r = arg;
    SimMem m;
    BtCtx c;
    BtResult *res = NULL;
    sim_mem_init(&m);
    bt_ctx_init(&c, &m);
    r->rc = bt_run(&c, r->d, r->p, &res);
    bt_result_free(res);
    return NULL;
}

/* Wall seconds of `copies` concurrent runs (1: on this thread). */
static double timed(const BtData *d, const BtParams *p, int copies)
{
    pthread_t tid[256];
    Run runs[256];
    int started[256] = {0};
    double t0 = bench_now();
    for (int i = 0; i < copies; i++) {
        runs[i] = (Run){d, p, 0};
        if (i > 0)
            started[i] = pthread_create(&tid[i], NULL, run_once, &runs[i]) == 0;
    }
    run_once(&runs[0]);
    for (int i = 1; i < copies; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            run_once(&runs[i]);
    }
    return bench_now() - t0;
}

/* The best of several repetitions, repeating until min_total seconds passed. */
static double best_time(const BtData *d, const BtParams *p, int copies, double min_total)
{
    double best = 1e300, total = 0;
    for (int rep = 0; rep < 3 || total < min_total; rep++) {
        double s = timed(d, p, copies);
        best = s < best ? s : best;
        total += s;
        if (rep >= 50)
            break;
    }
    return best;
}

static cJSON *figures(BtCost cost, double seconds, int copies)
{
    cJSON *o = cJSON_CreateObject();
    double f = (double)cost.flops * copies, b = (double)cost.bytes * copies;
    cJSON_AddNumberToObject(o, "seconds", seconds);
    cJSON_AddNumberToObject(o, "flops", f);
    cJSON_AddNumberToObject(o, "bytes", b);
    cJSON_AddNumberToObject(o, "flops_per_s", f / seconds);
    cJSON_AddNumberToObject(o, "bytes_per_s", b / seconds);
    return o;
}

/* ---- the classes --------------------------------------------------------- */

static void jobs_init(Job *jobs, int quick)
{
    static const int qfast[] = {2, 5, 10, 20}, qslow[] = {40, 60, 100, 150};
    for (int k = 0; k < BT_CLASS_COUNT; k++)
        jobs[k].cls = (BtClass)k;
    jobs[0].name = "signal";
    bt_params_default(&jobs[0].p, BT_MA_CROSS);
    jobs[0].rows = quick ? 600 : 2000;
    jobs[0].assets = quick ? 8 : 20;
    if (quick) {
        jobs[0].p.nfast = jobs[0].p.nslow = 4;
        memcpy(jobs[0].p.fast, qfast, sizeof qfast);
        memcpy(jobs[0].p.slow, qslow, sizeof qslow);
    }
    jobs[1].name = "rank";
    bt_params_default(&jobs[1].p, BT_MOMENTUM);
    jobs[1].p.hold = 5;
    jobs[1].p.top = 10;
    jobs[1].rows = quick ? 800 : 4000;
    jobs[1].assets = quick ? 50 : 200;
    jobs[2].name = "blas";
    bt_params_default(&jobs[2].p, BT_MINVAR);
    jobs[2].p.window = quick ? 200 : 500;
    jobs[2].rows = quick ? 600 : 2000;
    jobs[2].assets = quick ? 50 : 200;
}

static const char *method(BtClass k)
{
    switch (k) {
    case BT_CLASS_SIGNAL: return "kernel worker threads";
    case BT_CLASS_RANK: return "one independent run per core";
    default: return "OpenBLAS threads";
    }
}

/* Single thread, then all cores, for one class. NULL on a failed run. */
static cJSON *measure(const Job *jb, const BtData *d, int cores, double min_total)
{
    BtParams p = jb->p;
    BtCost cost = bt_cost_predict(&p, jb->rows, jb->assets);
    int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    p.threads = 1;
    double one = best_time(d, &p, 1, min_total);
    int copies = jb->cls == BT_CLASS_RANK ? cores : 1;
    p.threads = jb->cls == BT_CLASS_SIGNAL ? cores : 1;
    openblas_set_num_threads(jb->cls == BT_CLASS_BLAS ? cores : 1);
    double all = best_time(d, &p, copies, min_total);
    openblas_set_num_threads(saved);
    cJSON *o = cJSON_CreateObject(), *a = figures(cost, all, copies);
    cJSON_AddStringToObject(o, "kernel", bt_kernel_name(p.kernel));
    cJSON_AddNumberToObject(o, "assets", (double)jb->assets);
    cJSON_AddNumberToObject(o, "days", (double)jb->rows);
    sim_json_add_item(o, "single", figures(cost, one, 1));
    cJSON_AddNumberToObject(a, "threads", cores);
    cJSON_AddStringToObject(a, "method", method(jb->cls));
    sim_json_add_item(o, "all", a);
    return o;
}

static int check_run(const Job *jb, const BtData *d)
{
    SimMem m;
    BtCtx c;
    BtResult *r = NULL;
    sim_mem_init(&m);
    bt_ctx_init(&c, &m);
    int rc = bt_run(&c, d, &jb->p, &r);
    if (rc != SIM_OK)
        fprintf(stderr, "kubesim calibrate: %s: %s\n", jb->name, bt_errmsg(&c));
    bt_result_free(r);
    return rc;
}

static int add_class(cJSON *classes, const Job *jb, int cores, int quick)
{
    SimMem m;
    BtCtx c;
    BtData *d = NULL;
    sim_mem_init(&m);
    bt_ctx_init(&c, &m);
    int rc = bt_data_synthetic(&c, jb->rows, jb->assets, 42, &d);
    if (rc == SIM_OK)
        rc = check_run(jb, d);
    if (rc == SIM_OK)
        sim_json_add_item(classes, jb->name, measure(jb, d, cores, quick ? 0.02 : 0.3));
    else if (d == NULL)
        fprintf(stderr, "kubesim calibrate: %s\n", bt_errmsg(&c));
    bt_data_free(d);
    return rc;
}

static cJSON *calibrate(int quick)
{
    Job jobs[BT_CLASS_COUNT];
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    int cores = n < 1 ? 1 : n > 256 ? 256 : (int)n;
    jobs_init(jobs, quick);
    cJSON *root = cJSON_CreateObject(), *classes = cJSON_CreateObject();
    const char *core = openblas_get_corename();
    cJSON_AddNumberToObject(root, "kubesim_calibration", 1);
    cJSON_AddStringToObject(root, "kubesim_version", KUBESIM_VERSION);
    cJSON_AddStringToObject(root, "openblas_corename", core ? core : "unknown");
    cJSON_AddStringToObject(root, "openblas_config", openblas_get_config());
    cJSON_AddNumberToObject(root, "cores", cores);
    cJSON_AddBoolToObject(root, "quick", quick);
    sim_json_add_item(root, "classes", classes);
    for (int k = 0; k < BT_CLASS_COUNT; k++)
        if (add_class(classes, &jobs[k], cores, quick) != SIM_OK) {
            cJSON_Delete(root);
            return NULL;
        }
    return root;
}

/* ---- fitted delays from a real cluster -------------------------------------- */

/* The fit of samples s under key of o (nothing when there are none). */
static int add_fit(cJSON *o, const char *key, CliObsSamples *s, SimErr *err)
{
    if (s->n == 0)
        return SIM_OK;
    SimDist d;
    SimDistFit q;
    if (sim_dist_fit(s->v, s->n, &d, &q) != SIM_OK)
        return sim_err_set(err, SIM_EINVAL, "%s: a negative or non-finite delay", key);
    sim_json_add_item(o, key, sim_dist_json(&d, &q));
    return SIM_OK;
}

static int timings_json(CliObs *ob, cJSON *tm, SimErr *err)
{
    cJSON *wls = cJSON_AddArrayToObject(tm, "workloads"), *groups = cJSON_AddArrayToObject(tm, "node_groups");
    int rc = SIM_OK;
    for (size_t i = 0; rc == SIM_OK && i < ob->nwl; i++) {
        CliObsWl *w = &ob->wl[i];
        if (w->startup.n == 0 && w->reaction.n == 0)
            continue;
        cJSON *o = sim_json_push(wls, cJSON_CreateObject());
        cJSON_AddStringToObject(o, "namespace", w->ns);
        cJSON_AddStringToObject(o, "workload", w->name);
        rc = add_fit(o, "startup", &w->startup, err);
        if (rc == SIM_OK)
            rc = add_fit(o, "hpa_reaction", &w->reaction, err);
    }
    for (size_t i = 0; rc == SIM_OK && i < ob->ngroups; i++) {
        cJSON *o = sim_json_push(groups, cJSON_CreateObject());
        cJSON_AddStringToObject(o, "node_group", ob->groups[i].name);
        rc = add_fit(o, "provisioning", &ob->groups[i].prov, err);
    }
    return rc;
}

/* Copies an earlier calibration's kernel rates ("classes" and the host
 * fields beside them) into root, checked as `run --calibration` reads them. */
static int keep_kernel_rates(SimMem *m, const char *base, cJSON *root, SimErr *err)
{
    static const char *const keys[] = {"openblas_corename", "openblas_config", "cores", "quick", "classes"};
    size_t n;
    char *text = cli_read_input(m, base, SIM_FILE_MAX_CALIBRATION, "a calibration JSON", &n, err);
    if (text == NULL)
        return SIM_EIO;
    BtCtx c;
    BtThroughput t;
    bt_ctx_init(&c, m);
    cJSON *old = cJSON_Parse(text);
    int rc = cJSON_GetObjectItemCaseSensitive(old, "classes") == NULL
                 ? sim_err_set(err, SIM_EINVAL, "--base %s: no \"classes\" (kernel rates) to keep", base)
                 : bt_throughput_parse(&c, text, &t);
    if (rc != SIM_OK && sim_err_code(err) == SIM_OK)
        sim_err_set(err, rc, "--base %s: %s", base, bt_errmsg(&c));
    sim_mem_free(m, text, n + 1);
    for (size_t i = 0; rc == SIM_OK && i < sizeof keys / sizeof *keys; i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(old, keys[i]);
        if (it)
            sim_json_add_item(root, keys[i], cJSON_Duplicate(it, 1));
    }
    cJSON_Delete(old);
    return rc;
}

static cJSON *from_prometheus(SimMem *m, const char *dir, const char *group_label, const char *base)
{
    SimErr err = SIM_ERR_INIT;
    CliObs ob;
    int rc = cli_obs_read(m, dir, group_label, &ob, &err);
    cJSON *root = rc == SIM_OK ? cJSON_CreateObject() : NULL;
    if (root) {
        cJSON *src = cJSON_CreateObject();
        char t0[40] = "", t1[40] = "";
        if (ob.t1_ms >= ob.t0_ms) {
            sim_prom_time_text(ob.t0_ms, t0, sizeof t0);
            sim_prom_time_text(ob.t1_ms, t1, sizeof t1);
        }
        cJSON_AddNumberToObject(root, "kubesim_calibration", 1);
        cJSON_AddStringToObject(root, "kubesim_version", KUBESIM_VERSION);
        cJSON_AddStringToObject(src, "prometheus", dir);
        cJSON_AddNumberToObject(src, "files", (double)ob.files);
        cJSON_AddStringToObject(src, "from", t0);
        cJSON_AddStringToObject(src, "to", t1);
        cJSON_AddStringToObject(src, "method", "shifted lognormal: MLE of log(x - shift) per shift, the shift with "
                                               "the smallest KS distance; under 8 samples the median");
        sim_json_add_item(root, "source", src);
        rc = timings_json(&ob, cJSON_AddObjectToObject(root, "timings"), &err);
        if (rc == SIM_OK && base)
            rc = keep_kernel_rates(m, base, root, &err);
    }
    cli_obs_free(&ob);
    if (rc != SIM_OK) {
        fprintf(stderr, "kubesim calibrate: %s\n", sim_err_msg(&err));   /* names the file */
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- writing ------------------------------------------------------------- */

static int write_atomic(SimMem *m, const char *path, const char *text)
{
    SimErr err = SIM_ERR_INIT;
    size_t len = strlen(text);
    char *line = sim_mem_alloc(m, len + 2);
    if (line == NULL) {
        fprintf(stderr, "kubesim calibrate: out of memory\n");
        return CLI_BAD_INPUT;
    }
    memcpy(line, text, len);
    memcpy(line + len, "\n", 2);
    int rc = sim_file_replace(path, line, len + 1, &err);
    sim_mem_free(m, line, len + 2);
    if (rc != SIM_OK) {
        fprintf(stderr, "kubesim calibrate: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim calibrate [--out FILE] [--quick]\n"
               "       kubesim calibrate --from-prometheus DIR [--group-label LABEL] [--base FILE] [--out FILE]\n\n"
               "Measures this host's throughput per backtest kernel class (flops/s and bytes/s\n"
               "of counted work, single thread and all cores) and writes a calibration JSON to\n"
               "FILE (replaced atomically) or stdout. Records openblas_get_corename(); the\n"
               "OPENBLAS_CORETYPE variable is left as it is.\n"
               "  --out FILE  write here instead of stdout\n"
               "  --quick     small sizes (a smoke test; figures are not representative)\n\n"
               "--from-prometheus DIR fits, instead, a real cluster's delays from its kube-state-metrics\n"
               "series: DIR holds Prometheus range-query answers (the JSON /api/v1/query_range returns),\n"
               "one file per metric named METRIC.json: kube_pod_created, kube_pod_start_time,\n"
               "kube_pod_status_ready_time (or kube_pod_status_ready), kube_pod_info or kube_pod_owner\n"
               "(optional: owners), kube_node_created, kube_node_status_condition, kube_node_labels\n"
               "(optional: groups), kube_horizontalpodautoscaler_status_desired_replicas,\n"
               "kube_deployment_status_replicas_available. Per workload: pod start-up (ready - start)\n"
               "and HPA reaction (a rise of desired replicas -> the first new pod); per node group:\n"
               "provisioning (created -> Ready). Each as a shifted lognormal with its sample count and\n"
               "KS distance, into the file's \"timings\" that `kubesim run --calibration` draws from.\n"
               "  --group-label LABEL  the kube_node_labels label naming a node's group (default: the\n"
               "                       first of label_kubesim_io_node_group, the EKS, GKE, Karpenter,\n"
               "                       AKS ones, label_node_kubernetes_io_instance_type)\n"
               "  --base FILE          keep the kernel rates (\"classes\") of this earlier calibration;\n"
               "                       without it the file has timings only (run: built-in rates)\n");
}

int cmd_calibrate(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"quick", no_argument, NULL, 'q'},
                                         {"from-prometheus", required_argument, NULL, 'p'},
                                         {"group-label", required_argument, NULL, 'g'},
                                         {"base", required_argument, NULL, 'b'},
                                         {0, 0, 0, 0}};
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    const char *out = NULL, *prom = NULL, *glabel = NULL, *base = NULL;
    int quick = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'q')
            quick = 1;
        else if (c == 'p')
            prom = optarg;
        else if (c == 'g')
            glabel = optarg;
        else if (c == 'b')
            base = optarg;
        else {
            usage(stderr);
            return CLI_BAD_INPUT;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kubesim calibrate: unexpected argument '%s'\n", argv[optind]);
        return CLI_BAD_INPUT;
    }
    if ((quick && prom) || ((glabel || base) && !prom)) {
        fprintf(stderr, "kubesim calibrate: %s\n", quick && prom ? "--quick measures kernels, not with --from-prometheus"
                                                                 : "--group-label and --base go with --from-prometheus");
        return CLI_BAD_INPUT;
    }
    SimMem m;
    sim_mem_init(&m);
    SimJsonScope js;   /* the calibration JSON through m: a failed allocation is an error, not a gap */
    sim_json_begin(&js, &m);
    cJSON *root = prom ? from_prometheus(&m, prom, glabel, base) : calibrate(quick);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    root = NULL;
    if (sim_json_end(&js) != SIM_OK) {
        fprintf(stderr, "kubesim calibrate: out of memory\n");
        cJSON_free(text);
        text = NULL;
    }
    int rc = text ? CLI_OK : CLI_BAD_INPUT;
    if (text && out)
        rc = write_atomic(&m, out, text);
    else if (text && (cli_write_stdout("calibrate", text, strlen(text)) != 0 ||
                      cli_write_stdout("calibrate", "\n", 1) != 0))
        rc = CLI_BAD_INPUT;
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}
