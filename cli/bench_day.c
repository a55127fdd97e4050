/*
 * bench_day.c: the headline benchmark, DESIGN.md §6's first target: one
 * trading day (24 h) of a 3-region cluster at the Kubernetes scale envelope,
 * with every control loop on. Each region has 1,600 CPU nodes and 66 GPU
 * nodes (4,998 in all), a serving API and a GPU inference service behind
 * HPAs and traffic with a daily curve and a surge at the open, 45 background
 * Deployments of 1,000 pods, and a 20,000-completion backtest Job at the
 * close; the cluster autoscaler runs in each region. About 150,000 pods are
 * live at once. The figures are simulated seconds per wall second of the
 * whole run (load, simulate, write the outputs) and the peak resident memory
 * of the process that ran it (a child, so the bench's own memory does not
 * count). --quick simulates 2 hours of a tenth of the cluster.
 */
#include "cli/bench.h"

#include <stdio.h>
#include <string.h>

#include "sim/fileio.h"

/* `scale` divides the node and pod counts; `hours` is the simulated span. */
static const char DAY_LUA[] =
    "local hours = param('hours', 24, 'simulated hours')\n"
    "local scale = param('scale', 1, 'divides the cluster')\n"
    "local size = param('size', 1, 'multiplies each region')\n"
    "local nregions = param('regions', 3, 'regions (at most 10)')\n"
    "local daily = param('daily', 0, '1: the backtests are a CronJob every day at 17:00')\n"
    "local sample = param('sample', 300, 'seconds between metrics samples')\n"
    "scenario { name = 'trading-day', start = '00:00', duration = hours * 3600, sample_every = sample }\n"
    "local all_regions = { 'us-east', 'eu-west', 'ap-northeast', 'us-west', 'eu-central', 'ap-southeast',\n"
    "                      'sa-east', 'ca-central', 'ap-south', 'me-central' }\n"
    "local all_sites = { 'new-york', 'london', 'seoul', 'san-francisco', 'frankfurt', 'singapore',\n"
    "                    'sao-paulo', 'toronto', 'mumbai', 'dubai' }\n"
    "local regions, sites = {}, {}\n"
    "for i = 1, nregions do regions[i], sites[i] = all_regions[i], all_sites[i] end\n"
    "for i, r in ipairs(regions) do\n"
    "  region { name = r, zones = { r .. '-a', r .. '-b', r .. '-c' } }\n"
    "  site { name = sites[i] }\n"
    "end\n"
    "for i, s in ipairs(sites) do\n"
    "  for j, r in ipairs(regions) do latency { from = s, to = r, ms = (i == j) and 5 or 80 } end\n"
    "end\n"
    "for _, n in ipairs({ 'quant', 'ai', 'batch', 'web' }) do namespace { name = n } end\n"
    "local function n(x) return math.max(1, x * size // scale) end\n"
    "for i, r in ipairs(regions) do\n"
    "  nodegroup { name = 'cpu-' .. r, region = r, cpu = '32', memory = '128Gi', pods = 110, price = 1.5,\n"
    "              min = n(1400), max = n(1800), size = n(1600) }\n"
    "  nodegroup { name = 'gpu-' .. r, region = r, cpu = '16', memory = '64Gi', gpu = 4, price = 12.0,\n"
    "              min = n(20), max = n(120), size = n(66), taints = { 'nvidia.com/gpu=present:NoSchedule' } }\n"
    "  deployment { name = 'quant-api-' .. r, namespace = 'quant', region = r, replicas = n(400), cpu = '500m',\n"
    "               memory = '1Gi', serve = { service = 'quant-api', capacity = 50, service_time = '20ms',\n"
    "               slo_p95 = '150ms' } }\n"
    "  hpa { name = 'quant-api-' .. r, target = 'quant-api-' .. r, min = n(200), max = n(4000),\n"
    "        metrics = { { type = 'Resource', name = 'cpu', target = { type = 'Utilization', average_utilization = 70 } } } }\n"
    "  deployment { name = 'inference-' .. r, namespace = 'ai', region = r, replicas = n(60), cpu = '2', memory = '8Gi',\n"
    "               gpu = 1, tolerations = { 'nvidia.com/gpu=present:NoSchedule' },\n"
    "               serve = { service = 'inference', capacity = 20, service_time = '200ms', slo_p95 = '1s' } }\n"
    "  hpa { name = 'inference-' .. r, target = 'inference-' .. r, min = n(20), max = n(400),\n"
    "        metrics = { { type = 'Resource', name = 'cpu', target = { type = 'Utilization', average_utilization = 60 } } } }\n"
    "  for k = 1, 45 do\n"
    "    deployment { name = string.format('svc-%02d-%s', k, r), namespace = 'web', region = r, replicas = n(1000),\n"
    "                 cpu = '200m', memory = '512Mi', usage = { cpu = '100m' } }\n"
    "  end\n"
    "  if daily == 1 then\n"
    "    cronjob { name = 'backtests-' .. r, namespace = 'batch', region = r, schedule = '0 17 * * *',\n"
    "              successful_history = 1, job = { completions = n(20000), parallelism = n(4000),\n"
    "              duration = '10m', cpu = '1', memory = '2Gi' } }\n"
    "  else\n"
    "    job { name = 'backtests-' .. r, namespace = 'batch', region = r, start = '17:00', completions = n(20000),\n"
    "          parallelism = n(4000), duration = '10m', cpu = '1', memory = '2Gi' }\n"
    "  end\n"
    "  traffic { site = sites[i], service = 'quant-api', rate = 4000 * size / scale,\n"
    "            daily = { { '00:00', 0.2 }, { '07:00', 0.4 }, { '09:30', 1.0 }, { '16:00', 0.7 }, { '20:00', 0.2 } },\n"
    "            surges = { { start = '09:30', ramp = '2m', hold = '30m', decay = '15m', factor = 3 } } }\n"
    "  traffic { site = sites[i], service = 'inference', rate = 300 * size / scale }\n"
    "end\n";

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

/* Reads DIR/out/summary.json of run r into the bench's figures: the whole
 * run's wall and CPU time and the child's peak memory. */
static int report(const char *bench, const BenchChild *c, cJSON *out)
{
    SimErr err = SIM_ERR_INIT;
    char path[512], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/out/summary.json", c->dir);
    SimMem m;
    sim_mem_init(&m);
    if (sim_file_read(&m, path, SIM_FILE_MAX_JSON, "a summary", &text, &len, &err) != SIM_OK) {
        fprintf(stderr, "bench %s: %s\n", bench, sim_err_msg(&err));
        return -1;
    }
    cJSON *sum = cJSON_Parse(text);
    sim_mem_free(&m, text, len + 1);
    if (sum == NULL) {
        fprintf(stderr, "bench %s: %s does not parse\n", bench, path);
        return -1;
    }
    double nodes = 0, sim = num(sum, "sim_seconds", NULL), wall = c->wall_seconds;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(sum, "regions"))
        nodes += num(r, "nodes_peak", NULL);
    cJSON_AddNumberToObject(out, "regions", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sum, "regions")));
    cJSON_AddNumberToObject(out, "nodes", nodes);
    cJSON_AddNumberToObject(out, "pods_created", num(sum, "pods", "created"));
    cJSON_AddNumberToObject(out, "sim_hours", sim / 3600);
    cJSON_AddNumberToObject(out, "events", num(sum, "events", NULL));
    cJSON_AddNumberToObject(out, "wall_seconds", wall);
    cJSON_AddNumberToObject(out, "cpu_seconds", c->cpu_seconds);
    cJSON_AddNumberToObject(out, "sim_per_wall", wall > 0 ? sim / wall : 0);
    /* CPU seconds per node-day: flat when the cost grows linearly with the fleet */
    cJSON_AddNumberToObject(out, "cpu_s_per_node_day", nodes > 0 && sim > 0 ? c->cpu_seconds / (nodes * sim / 86400) : 0);
    cJSON_AddNumberToObject(out, "peak_rss_mib", c->peak_rss_mib);
    cJSON_Delete(sum);
    return 0;
}

/* One run of the script with these --set values into out; 0 or -1. */
static int day_run(const char *bench, char **sets, size_t nsets, cJSON *out, double *peak_rss)
{
    BenchChild r;
    int rc = bench_child_run(bench, DAY_LUA, sets, nsets, &r);
    if (rc == 0)
        rc = report(bench, &r, out);
    if (peak_rss)
        *peak_rss = r.peak_rss_mib;
    bench_child_done(bench, &r);
    return rc;
}

int bench_trading_day(cJSON *out, int quick)
{
    char hours[] = "hours=2", scale[] = "scale=10";
    char *sets[] = {hours, scale};
    return day_run("trading_day", quick ? sets : NULL, quick ? 2 : 0, out, NULL);
}

/* Ten regions of the trading day's, each three times as large (4,998 nodes),
 * for one day. --quick: 2 hours of a hundredth of it. */
int bench_fleet_day(cJSON *out, int quick)
{
    char regions[] = "regions=10", size[] = "size=3", hours[] = "hours=2", scale[] = "scale=100";
    char *sets[] = {regions, size, hours, scale};
    return day_run("fleet_day", sets, quick ? 4 : 2, out, NULL);
}

/* The trading day for 7 days, the backtests a CronJob every day at 17:00
 * (each day's pods replace the day before's), against the same script for
 * 1 day: the memory of a run should follow the objects alive, not the days
 * simulated. --quick: a hundredth of the cluster, sampled hourly, for 3 days
 * against 1 (a smoke test: the ratio is not the week's). */
int bench_week(cJSON *out, int quick)
{
    char daily[] = "daily=1", scale[] = "scale=100", sample[] = "sample=3600", day[] = "hours=24",
         week[] = "hours=168", days3[] = "hours=72";
    char *sets1[] = {daily, day, scale, sample}, *sets7[] = {daily, quick ? days3 : week, scale, sample};
    size_t nsets = quick ? 4 : 2;
    double rss1 = 0, rss7 = 0;
    cJSON *one = cJSON_AddObjectToObject(out, "day");
    if (one == NULL || day_run("week", sets1, nsets, one, &rss1) != 0)
        return -1;
    if (day_run("week", sets7, nsets, out, &rss7) != 0)
        return -1;
    cJSON_AddNumberToObject(out, "rss_ratio_to_day", rss1 > 0 ? rss7 / rss1 : 0);
    return 0;
}
