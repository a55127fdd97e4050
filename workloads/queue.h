/*
 * queue.h: backtest queues (prefix wl_queue_). Scenarios submit backtest
 * requests to a named queue; the Running pods of the worker Deployments of
 * that queue take them one at a time, oldest first, each running the real
 * kernel (through the memo: identical requests share one run) and staying
 * busy for its counted work over the node's throughput, exactly as a Job pod
 * of `backtest {}` does. This is the queue-worker pattern: an SQS/RabbitMQ
 * queue, consumers in a Deployment, and an HPA that scales them on the
 * queue's length through a metrics adapter.
 *
 * External metrics, as prometheus-adapter serves them (or KEDA, for the HPA
 * it creates from a ScaledObject), in milli-units through wl_value_metric():
 *   "<queue>/queue_length"              requests waiting in that queue
 *   "<queue>/queue_oldest_age_seconds"  age of its oldest waiting request (0 when empty)
 *   "queue_length", "queue_oldest_age_seconds"
 *                                       the sum over every queue's series
 * The plain names are the metric as an HPA with no selector reads it: the
 * External metrics API returns one series per queue and the HPA sums them
 * (so with one queue they are that queue's values). An HPA that picks one
 * queue with a selector, `metric: {name: queue_length, selector:
 * {matchLabels: {queue: backtests}}}`, reads "backtests/queue_length".
 * Worker pods report CPU (and memory) usage through wl_usage_source(): their
 * request when busy, WL_QUEUE_IDLE_PERMILLE of it when idle, averaged over
 * metrics-server's 15 s window.
 */
#ifndef KUBESIM_WL_QUEUE_H
#define KUBESIM_WL_QUEUE_H

#include "sim/metrics.h"
#include "workloads/wl.h"

/* The queues' trace record kinds (numbers fixed: sim/trace.h). */
enum {
    WL_TR_QUEUE = 21,          /* queue region name: a backtest queue */
    WL_TR_QUEUE_SUBMIT = 22,   /* queue submit count name: count requests of submission `submit` arrive */
    WL_TR_QUEUE_TAKE = 23,     /* queue submit pod duration_ns: a worker takes a request */
    WL_TR_QUEUE_DONE = 24,     /* queue submit pod: the worker finished it */
    WL_TR_QUEUE_REQUEUE = 25,  /* queue submit pod: its worker ended mid-request; back at the head */
    WL_TR_QUEUE_FAIL = 26      /* queue submit pod reason: the kernel failed; the request is dropped */
};
int wl_queue_trace_kinds(SimTrSchema *s);

/* An idle worker uses this share (per mille) of its CPU and memory requests. */
#define WL_QUEUE_IDLE_PERMILLE 50
/* metrics-server's scrape interval: usage is averaged over the 15 s window
 * that ends at the last multiple of it. */
#define WL_QUEUE_SCRAPE SIM_SEC(15)

/* Adds a queue in region (name copied, traced) and registers its External
 * metrics. SIM_OK and its id in *id (ids count from 0 in order), SIM_EINVAL
 * for a duplicate name, SIM_ENOMEM. */
int wl_queue_add(WlControllers *c, const char *name, uint32_t region, uint32_t *id);
/* The id of the queue named name, or SIM_NONE. */
uint32_t wl_queue_find(WlControllers *c, const char *name);

/* The name of the queue Deployment wl works for (the controller's), or NULL. */
const char *wl_queue_of_worker(WlControllers *c, uint32_t wl);

/* Makes Deployment wl a worker of queue q: each of its pods takes requests
 * once Running, and reports usage by how busy it is. SIM_EINVAL if wl is
 * not a Deployment or already serves a queue. */
int wl_queue_worker(WlControllers *c, uint32_t q, uint32_t wl);

/* `count` identical backtest requests: the first arrives at `at` (>= now),
 * then one every `every` (0: all at once). The data and the name are
 * borrowed and must outlive the controllers. Their results go to
 * wl_backtest_results() as one entry named `name`, with the queue's name. */
typedef struct WlQueueSubmit {
    uint32_t queue;
    const char *name;
    const BtData *data;
    BtParams params;
    SimTime at, every;
    int32_t count;
    SimTime duration;           /* each request's stated run time; 0: by work (WlBacktest) */
    double work_scale;          /* the counted work times this; 0: 1 */
} WlQueueSubmit;
int wl_queue_submit(WlControllers *c, const WlQueueSubmit *s);

/* What a queue holds now. */
typedef struct WlQueueStatus {
    uint32_t length;            /* waiting requests */
    SimTime oldest_age;         /* now minus the oldest waiting request's arrival; 0 when empty */
    uint32_t workers, busy;     /* Running worker pods, and those busy with a request */
    uint64_t arrived, completed, requeued, failed;
} WlQueueStatus;
int wl_queue_status(WlControllers *c, uint32_t q, WlQueueStatus *out);

/* A queue's batch service levels so far (times are run times; -1: none). */
typedef struct WlQueueDone {
    SimTime first_arrival, last_done;
    SimTime makespan;           /* last_done - first_arrival */
    SimTime wait;               /* the asked percentile of the completed requests' waits */
    int all_done;               /* every request that arrived is completed or failed */
} WlQueueDone;
/* pct_milli: the wait's percentile in thousandths (95000: p95). */
int wl_queue_completion(WlControllers *c, uint32_t q, uint32_t pct_milli, WlQueueDone *out);
/* The submission whose request worker pod `pod` is busy with, or SIM_NONE. */
uint32_t wl_queue_busy_with(WlControllers *c, uint32_t pod);
/* Successful kernel runs so far, for queues and Jobs alike (the memo's
 * misses), and the submissions or Jobs that reused one (its hits). A
 * submission consults the memo once, however many requests it has. */
void wl_queue_kernel_runs(WlControllers *c, uint64_t *runs, uint64_t *reuses);

/* Adds metrics.csv rows per queue at every sample (object "queue": length,
 * oldest_age_seconds, busy_workers, completed). Nothing without queues. */
int wl_queue_add_sampler(WlControllers *c, SimMetrics *mt);

#endif
