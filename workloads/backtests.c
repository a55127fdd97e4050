/*
 * backtests.c: backtest requests as simulated work. A request's Job pod runs
 * the real kernel when it starts (through the memo, so identical requests
 * share one run and the result never depends on timing) and stays Running for
 * the kernel's counted flops and bytes over its node's throughput: the
 * reference core's rates (`kubesim calibrate`) times the node group's speed,
 * and its GPU speed-up for GPU-eligible kernels. Wall-clock time never enters
 * the simulation, so runs stay deterministic.
 */
#include "workloads/wl_int.h"

#include <math.h>
#include <string.h>

int wl_backtest_add(WlControllers *c, const WlBacktest *b)
{
    if (c->memo == NULL && (c->memo = bt_memo_create(sim_mem(c->e))) == NULL)
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    bt_memo_share(c->memo, c->memo_shared);
    if (sim_mem_grow(sim_mem(c->e), (void **)&c->bt, &c->capbt, c->nbt + 1, sizeof *c->bt))
        return sim_fail(c->e, SIM_ENOMEM, "out of memory");
    WlBtReq *r = &c->bt[c->nbt++];
    memset(r, 0, sizeof *r);
    r->b = *b;
    r->last_node = SIM_NONE;
    return SIM_OK;
}

void wl_backtest_share_memo(WlControllers *c, BtMemo *shared)
{
    c->memo_shared = shared;
    if (c->memo)
        bt_memo_share(c->memo, shared);
}

void wl_backtest_set_throughput(WlControllers *c, const BtThroughput *t)
{
    c->tp = *t;
}

static WlBtReq *req_of(WlControllers *c, uint32_t wl)
{
    for (size_t i = 0; i < c->nbt; i++)
        if (c->bt[i].b.wl == wl)
            return &c->bt[i];
    return NULL;
}

/* d times scale (none when scale is 0), rounded to the nanosecond. */
static SimTime scaled(SimTime d, double scale)
{
    if (scale <= 0)
        return d;
    double v = (double)d * scale;
    return v >= (double)INT64_MAX / 2 ? INT64_MAX / 2 : (SimTime)llround(v);
}

int wl_bt_run_on(WlControllers *c, size_t req, uint32_t node, SimTime *out)
{
    WlBtReq *r = &c->bt[req];
    if (r->result == NULL) {
        BtCtx bc;
        bt_ctx_init(&bc, sim_mem(c->e));
        if (bt_memo_run(&bc, c->memo, r->b.data, &r->b.params, &r->result) != SIM_OK)
            return sim_fail(c->e, bc.code ? bc.code : SIM_ENOMEM, "backtest '%s': %s", r->b.name,
                            bt_errmsg(&bc));
    }
    const SimNode *n = sim_node(c->e, node);
    const SimNodeGroup *g = sim_nodegroup(c->e, n->group);
    BtNodeSpeed sp = {g->speed > 0 ? g->speed : 1.0, (uint32_t)n->alloc.gpu,
                      g->gpu_speedup >= 1 ? g->gpu_speedup : 1.0};
    if (r->b.duration > 0)
        r->last_duration = r->b.duration;   /* stated by the user: the node's speed does not enter */
    else
        r->last_duration = scaled(bt_sim_duration(&c->tp, &sp, r->b.params.kernel, bt_result_cost(r->result)),
                                  r->b.work_scale);
    r->last_node = node;
    *out = r->last_duration;
    return SIM_OK;
}

/* The duration hook: run (or reuse) the kernel, then time it on this node. */
static SimTime bt_duration(void *ctx, SimEngine *e, uint32_t pod)
{
    WlControllers *c = ctx;
    const SimPod *p = sim_pod(e, pod);
    WlBtReq *r = req_of(c, p->wl);
    SimTime d = 0;
    if (r != NULL)
        (void)wl_bt_run_on(c, (size_t)(r - c->bt), p->node, &d);   /* a failure leaves 0 and the message */
    return d;
}

void wl_bt_pod_succeeded(WlControllers *c, uint32_t pod)
{
    WlBtReq *r = req_of(c, sim_pod(c->e, pod)->wl);
    if (r == NULL)
        return;
    r->completed++;
    c->stats.backtests_completed++;
}

/* ---- results ------------------------------------------------------------ */
/* The builders below count failed cJSON calls in *ok (0 after any NULL) and
 * the caller frees a result that is not whole: out of memory is NULL, never
 * a summary with a key missing. */
static void num(cJSON *o, const char *k, double v, int *ok)
{
    *ok &= cJSON_AddNumberToObject(o, k, v) != NULL;
}

static void str(cJSON *o, const char *k, const char *v, int *ok)
{
    *ok &= cJSON_AddStringToObject(o, k, v) != NULL;
}

static void item(cJSON *o, const char *k, cJSON *v, int *ok)
{
    int added = v != NULL && cJSON_AddItemToObject(o, k, v);
    if (!added)
        cJSON_Delete(v);
    *ok &= added;
}

/* Frees o unless ok: the one exit of every builder. */
static cJSON *whole(cJSON *o, int ok)
{
    if (ok)
        return o;
    cJSON_Delete(o);
    return NULL;
}

static cJSON *metrics_json(const BtMetrics *m)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    if (!ok)
        return NULL;
    num(o, "cum_return", m->cum_return, &ok);
    num(o, "ann_return", m->ann_return, &ok);
    num(o, "ann_vol", m->ann_vol, &ok);
    if (m->sharpe_null || !isfinite(m->sharpe))
        ok &= cJSON_AddNullToObject(o, "sharpe") != NULL;
    else
        num(o, "sharpe", m->sharpe, &ok);
    num(o, "max_drawdown", m->max_drawdown, &ok);
    num(o, "turnover_total", m->turnover_total, &ok);
    num(o, "turnover_ann", m->turnover_ann, &ok);
    num(o, "n_trades", (double)m->n_trades, &ok);
    return whole(o, ok);
}

/* MA crossover: the equal-weight portfolio of every pair. */
static cJSON *pairs_json(const BtResult *res)
{
    cJSON *arr = cJSON_CreateArray();
    int ok = arr != NULL;
    for (size_t i = 0; ok && i < bt_result_npairs(res); i++) {
        int fast, slow;
        bt_result_pair(res, i, &fast, &slow);
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            ok = 0;
            break;
        }
        num(o, "fast", fast, &ok);
        num(o, "slow", slow, &ok);
        item(o, "portfolio", metrics_json(bt_result_ma_portfolio(res, i)), &ok);
    }
    return whole(arr, ok);
}

static cJSON *request_json(SimEngine *e, const WlBtReq *r)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    if (!ok)
        return NULL;
    BtCost cost = bt_result_cost(r->result);
    str(o, "name", r->b.name, &ok);
    if (r->queue)
        str(o, "queue", r->queue, &ok);
    str(o, "strategy", bt_kernel_name(r->b.params.kernel), &ok);
    str(o, "data", bt_data_source(r->b.data), &ok);
    str(o, "data_sha256", bt_data_hash(r->b.data), &ok);
    num(o, "days", (double)bt_data_rows(r->b.data), &ok);
    num(o, "assets", (double)bt_data_assets(r->b.data), &ok);
    num(o, "runs", (double)r->completed, &ok);
    num(o, "flops", (double)cost.flops, &ok);
    num(o, "bytes", (double)cost.bytes, &ok);
    num(o, "sim_seconds", (double)r->last_duration / (double)SIM_NS_PER_S, &ok);
    if (r->last_node != SIM_NONE)
        str(o, "node_group", sim_nodegroup(e, sim_node(e, r->last_node)->group)->name, &ok);
    if (r->b.params.kernel == BT_MA_CROSS)
        item(o, "pairs", pairs_json(r->result), &ok);
    else
        item(o, "metrics", metrics_json(bt_result_metrics(r->result)), &ok);
    return whole(o, ok);
}

cJSON *wl_backtest_results(WlControllers *c)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < c->nbt; i++) {
        if (c->bt[i].completed == 0 || c->bt[i].result == NULL)
            continue;
        cJSON *o = request_json(c->e, &c->bt[i]);
        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

/* backtests: {completed, results[]}, then the queues' counters */
int wl_backtests_summary(void *ctx, SimEngine *e, cJSON *summary)
{
    WlControllers *c = ctx;
    (void)e;
    cJSON *bt = cJSON_CreateObject();
    int rc = sim_summary_add_item(summary, "backtests", bt);
    if (rc == SIM_OK)
        rc = sim_summary_add_number(bt, "completed", (double)c->stats.backtests_completed);
    if (rc == SIM_OK)
        rc = sim_summary_add_item(bt, "results", wl_backtest_results(c));
    return rc == SIM_OK ? wl_queue_summary(c, summary) : rc;
}

void wl_bt_free(WlControllers *c)
{
    bt_memo_destroy(c->memo);
    sim_mem_free(sim_mem(c->e), c->bt, c->capbt * sizeof *c->bt);
}

/* Called by wl_create. */
void wl_bt_register(WlControllers *c)
{
    bt_throughput_reference(&c->tp);
    sim_set_duration_fn(c->e, bt_duration, c);
}
