/*
 * bench_export.c: `kubesim bench --only export`. A platform-sized world
 * (3 regions, each with 500 Deployments behind HPAs with a behavior block,
 * spread and tolerations, 100 Jobs, 100 CronJobs, 50 StatefulSets, PDBs,
 * quotas and LimitRanges per namespace, node groups) is loaded and built
 * once, then exported in memory several times: objects written per wall
 * second of kx_export (YAML emission included, files not written). --quick
 * uses a tenth of the world and fewer repetitions.
 *
 * `kubesim bench --only import` reads that export back (kx_import, in
 * memory, one region per folder as `kubesim import DIR` does): objects read
 * per wall second, the Lua scenario written included.
 */
#include "cli/bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "scheduler/ca.h"

static const char WORLD_LUA[] =
    "local scale = param('scale', 1, 'divides the world')\n"
    "scenario { name = 'export-world', duration = '1h' }\n"
    "local function n(x) return math.max(1, x // scale) end\n"
    "priorityclass { name = 'serving', value = 100000 }\n"
    "for _, t in ipairs({ 'quant', 'risk', 'web', 'batch' }) do namespace { name = t } end\n"
    "for _, r in ipairs({ 'us-east', 'eu-west', 'ap-northeast' }) do\n"
    "  region { name = r, zones = { r .. '-a', r .. '-b', r .. '-c' } }\n"
    "  nodegroup { name = 'cpu-' .. r, region = r, cpu = '32', memory = '128Gi', min = 3, max = 400, size = 3,\n"
    "              price = 1.5, labels = { pool = 'general' } }\n"
    "  nodegroup { name = 'gpu-' .. r, region = r, cpu = '16', memory = '64Gi', gpu = 4, min = 0, max = 40,\n"
    "              price = 12, taints = { 'nvidia.com/gpu=present:NoSchedule' } }\n"
    "  for _, t in ipairs({ 'quant', 'risk', 'web', 'batch' }) do\n"
    "    quota { name = 'q-' .. t, namespace = t, region = r, hard = { ['requests.cpu'] = '400', pods = 2000 } }\n"
    "    limitrange { name = 'lr-' .. t, namespace = t, region = r, default_request = { cpu = '100m', memory = '128Mi' } }\n"
    "  end\n"
    "  for k = 1, n(500) do\n"
    "    local name = string.format('svc-%03d-%s', k, r)\n"
    "    deployment { name = name, namespace = 'web', region = r, replicas = 3, cpu = '250m', memory = '512Mi',\n"
    "                 memory_limit = '1Gi', priority_class = 'serving', labels = { app = name },\n"
    "                 node_selector = { pool = 'general' }, tolerations = { 'dedicated=web:NoSchedule' },\n"
    "                 spread = { { max_skew = 1, topology_key = 'topology.kubernetes.io/zone',\n"
    "                              when_unsatisfiable = 'ScheduleAnyway', selector = { app = name } } } }\n"
    "    hpa { name = name, target = name, min = 3, max = 30,\n"
    "          metrics = { { type = 'Resource', name = 'cpu', target = { type = 'Utilization', average_utilization = 70 } } },\n"
    "          behavior = { scale_down = { stabilization_window = '300s' } } }\n"
    "    if k % 10 == 0 then pdb { name = name, namespace = 'web', region = r, selector = { app = name }, max_unavailable = 1 } end\n"
    "  end\n"
    "  for k = 1, n(100) do\n"
    "    job { name = string.format('job-%03d-%s', k, r), namespace = 'batch', region = r, completions = 10,\n"
    "          parallelism = 5, duration = '5m', cpu = '1', memory = '2Gi', backoff_limit = 3 }\n"
    "    cronjob { name = string.format('cron-%03d-%s', k, r), namespace = 'batch', region = r,\n"
    "              schedule = '*/15 * * * *', job = { completions = 1, duration = '1m', cpu = '100m', memory = '128Mi' } }\n"
    "  end\n"
    "  for k = 1, n(50) do\n"
    "    statefulset { name = string.format('db-%03d-%s', k, r), namespace = 'quant', region = r, replicas = 3,\n"
    "                  cpu = '1', memory = '4Gi', volume = '100Gi' }\n"
    "  end\n"
    "end\n";

/* Loads the world from a file in a fresh folder; NULL after a message. */
static ScnScenario *load_world(SimMem *m, int quick)
{
    char dir[] = "/tmp/kubesim-bench-export-XXXXXX", path[64];
    SimErr err = SIM_ERR_INIT;
    if (mkdtemp(dir) == NULL) {
        perror("bench export: mkdtemp");
        return NULL;
    }
    snprintf(path, sizeof path, "%s/world.lua", dir);
    FILE *f = fopen(path, "w");
    int ok = f && fputs(WORLD_LUA, f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    char scale[] = "scale=10";
    char *sets[] = {scale};
    ScnOptions opt = {.path = path, .sets = sets, .nsets = quick ? 1 : 0, .seed = 42};
    ScnScenario *s = ok ? scn_load(m, &opt, &err) : NULL;
    if (s == NULL)
        fprintf(stderr, "bench export: %s%s\n", ok ? sim_err_msg(&err) : "cannot write the world's script: ",
                ok ? "" : strerror(errno));
    unlink(path);
    rmdir(dir);
    return s;
}

/* The world loaded and built once, with the options every export of it
 * takes; both benchmarks start here. */
typedef struct World {
    SimMem m;
    ScnScenario *s;
    CliExport x;
    SchedCaConfig ca;
    KxExportOptions o;
    int built;          /* x was set up (even partly): world_close frees it */
} World;

static int world_open(World *w, int quick, const char *bench)
{
    SimErr err = SIM_ERR_INIT;
    memset(w, 0, sizeof *w);
    sim_mem_init(&w->m);
    if ((w->s = load_world(&w->m, quick)) == NULL)
        return -1;
    scn_autoscaler_config(w->s, &w->ca);
    w->o = (KxExportOptions){.scenario = scn_name(w->s), .ca = &w->ca};
    w->built = 1;   /* a failed build leaves parts to free too */
    if (cli_export_build(w->s, &w->m, &w->o, 0, &w->x, &err) != SIM_OK) {
        fprintf(stderr, "bench %s: %s\n", bench, sim_err_msg(&err));
        return -1;
    }
    return 0;
}

static void world_close(World *w)
{
    if (w->built)
        cli_export_free(&w->x);
    scn_free(w->s);
}

/* Exports reps times; the seconds, or a negative number on failure. */
static double timed_exports(World *w, int reps, size_t *objects, size_t *bytes)
{
    double t0 = bench_now();
    for (int i = 0; i < reps; i++) {
        KxFiles *f;
        if (kx_export(scn_world_engine(w->x.w), scn_world_controllers(w->x.w), &w->o, &f) != SIM_OK)
            return -1;
        *objects = kx_files_objects(f);
        *bytes = 0;
        for (size_t k = 0; k < kx_files_count(f); k++) {
            const char *path, *text;
            size_t len;
            kx_files_get(f, k, &path, &text, &len);
            *bytes += len;
        }
        kx_files_free(f);
    }
    return bench_now() - t0;
}

int bench_export(cJSON *out, int quick)
{
    World w;
    int reps = quick ? 2 : 5;
    size_t objects = 0, bytes = 0;
    double t = world_open(&w, quick, "export") == 0 ? timed_exports(&w, reps, &objects, &bytes) : -1;
    world_close(&w);
    if (t <= 0) {
        fprintf(stderr, "bench export: the export failed\n");
        return -1;
    }
    cJSON_AddNumberToObject(out, "objects", (double)objects);
    cJSON_AddNumberToObject(out, "bytes", (double)bytes);
    cJSON_AddNumberToObject(out, "seconds_per_export", t / reps);
    cJSON_AddNumberToObject(out, "objects_per_s", (double)objects * reps / t);
    return 0;
}

/* The export's files as import inputs, each in the region of its folder;
 * regions[] holds the names. */
static KxImportFile *import_inputs(SimMem *m, const KxFiles *f, char (*regions)[64])
{
    size_t n = kx_files_count(f);
    KxImportFile *in = sim_mem_calloc(m, n ? n : 1, sizeof *in);
    for (size_t k = 0; in && k < n; k++) {
        const char *path, *text;
        size_t len;
        kx_files_get(f, k, &path, &text, &len);
        snprintf(regions[k], sizeof regions[k], "%.*s", (int)strcspn(path, "/"), path);
        in[k] = (KxImportFile){path, text, len, regions[k]};
    }
    return in;
}

static double timed_imports(const KxFiles *f, SimMem *m, int reps, size_t *lua_bytes)
{
    size_t n = kx_files_count(f);
    char(*regions)[64] = sim_mem_calloc(m, n ? n : 1, sizeof *regions);
    KxImportFile *in = regions ? import_inputs(m, f, regions) : NULL;
    KxImportOptions o = {.name = "export-world"};
    double t0 = bench_now(), t = -1;
    int ok = in != NULL;
    for (int i = 0; ok && i < reps; i++) {
        char *text;
        SimErr err = SIM_ERR_INIT;
        if (kx_import(m, in, n, &o, &text, lua_bytes, &err) != SIM_OK) {
            fprintf(stderr, "bench import: %s\n", sim_err_msg(&err));
            ok = 0;
            break;
        }
        sim_mem_free(m, text, *lua_bytes + 1);
    }
    if (ok)
        t = bench_now() - t0;
    sim_mem_free(m, in, (n ? n : 1) * sizeof *in);
    sim_mem_free(m, regions, (n ? n : 1) * sizeof *regions);
    return t;
}

int bench_import(cJSON *out, int quick)
{
    World w;
    int reps = quick ? 2 : 5;
    size_t objects = 0, lua = 0;
    double t = -1;
    KxFiles *f = NULL;
    if (world_open(&w, quick, "import") == 0 && kx_export(scn_world_engine(w.x.w), scn_world_controllers(w.x.w), &w.o, &f) == SIM_OK) {
        objects = kx_files_objects(f);
        t = timed_imports(f, &w.m, reps, &lua);
    }
    kx_files_free(f);
    world_close(&w);
    if (t <= 0) {
        fprintf(stderr, "bench import: the import failed\n");
        return -1;
    }
    cJSON_AddNumberToObject(out, "objects", (double)objects);
    cJSON_AddNumberToObject(out, "lua_bytes", (double)lua);
    cJSON_AddNumberToObject(out, "seconds_per_import", t / reps);
    cJSON_AddNumberToObject(out, "objects_per_s", (double)objects * reps / t);
    return 0;
}
