/*
 * run_end.c: the short block `kubesim run` prints after its end line: the
 * SLOs missed (summary.json slo[]: each target with time over it) and the three
 * reasons pods waited most (trace.kst pod_unschedulable records).
 *
 * Both are read back from the run's finished files, so the block adds no
 * summary key and no trace record (no golden hash moves), and it says only
 * what the files say. A pod "waits for a reason" once per time the scheduler
 * marks it unschedulable; the scheduler's upstream-worded message
 * ("0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had untolerated
 * taint {...}.") counts that wait once under each reason it lists, without
 * the node counts. A file that cannot be read leaves its part out: the run
 * already succeeded, and its own files are the authority.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/scn.h"
#include "sim/fileio.h"
#include "sim/trace.h"

#define END_MAX_REASONS 64
#define END_MAX_SLOS 5
#define END_REASON_LEN 160

typedef struct EndReason {
    char text[END_REASON_LEN];
    uint64_t waits;
} EndReason;

typedef struct EndReasons {
    EndReason r[END_MAX_REASONS];
    size_t n;
    uint64_t other;   /* waits under reasons past the table's size */
} EndReasons;

static void count_reason(EndReasons *rs, const char *text, size_t len)
{
    while (len > 0 && (text[len - 1] == '.' || text[len - 1] == ' '))
        len--;
    if (len == 0)
        return;
    if (len >= END_REASON_LEN)
        len = END_REASON_LEN - 1;
    for (size_t i = 0; i < rs->n; i++)
        if (strlen(rs->r[i].text) == len && memcmp(rs->r[i].text, text, len) == 0) {
            rs->r[i].waits++;
            return;
        }
    if (rs->n == END_MAX_REASONS) {
        rs->other++;
        return;
    }
    memcpy(rs->r[rs->n].text, text, len);
    rs->r[rs->n].text[len] = '\0';
    rs->r[rs->n++].waits = 1;
}

/* "0/N nodes are available: 3 Insufficient cpu, 2 node(s) ...." -> each
 * item without its count; any other message counts whole. */
static void count_message(EndReasons *rs, const char *msg)
{
    const char *colon = strstr(msg, "nodes are available: ");
    if (colon == NULL) {
        count_reason(rs, msg, strlen(msg));
        return;
    }
    const char *p = colon + strlen("nodes are available: ");
    while (*p) {
        const char *end = strstr(p, ", ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *item = p;
        size_t skip = strspn(item, "0123456789");
        if (skip > 0 && skip < len && item[skip] == ' ')
            skip++;
        else
            skip = 0;
        count_reason(rs, item + skip, len - skip);
        p = end ? end + 2 : p + len;
    }
}

static int by_waits(const void *a, const void *b)
{
    const EndReason *x = a, *y = b;
    if (x->waits != y->waits)
        return x->waits < y->waits ? 1 : -1;
    return strcmp(x->text, y->text);   /* ties in a fixed order */
}

static int read_reasons(const char *dir, EndReasons *rs)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/trace.kst", dir);
    SimTrSchema schema;
    if (scn_trace_schema(&schema) != SIM_OK)
        return -1;
    int kind = sim_trschema_find(&schema, "pod_unschedulable");
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    SimTraceReader *r = sim_trace_open(&m, &schema, path, &err);
    if (r == NULL || kind == 0) {
        if (r)
            sim_trace_close_reader(r);
        return -1;
    }
    SimTraceRec rec;
    int rc;
    while ((rc = sim_trace_next(r, &rec)) == SIM_OK)
        if (rec.kind == kind && rec.n >= 2 && rec.v[1].s != NULL)
            count_message(rs, rec.v[1].s);
    sim_trace_close_reader(r);
    if (rc != SIM_DONE)
        return -1;
    qsort(rs->r, rs->n, sizeof rs->r[0], by_waits);
    return 0;
}

static double num_or(const cJSON *o, const char *k, double d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : d;
}

static const char *str_or(const cJSON *o, const char *k, const char *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : d;
}

/* One missed target: a target and time over it. */
static void print_target(FILE *out, const cJSON *svc, const cJSON *t, const char *pct, const char *value_key,
                         int *any)
{
    double target = num_or(t, "target_ms", -1), over = num_or(t, "violation_seconds", 0);
    if (target < 0 || over <= 0)
        return;
    if (*any == 0)
        fprintf(out, "SLOs missed:\n");
    if (++*any > END_MAX_SLOS)
        return;   /* one short block: the rest as a count */
    fprintf(out, "  %s in %s: %s target %g ms, over it for %.0f s", str_or(svc, "service", "?"),
            str_or(svc, "region", "?"), pct, target, over);
    double v = num_or(t, value_key, -1);
    if (v >= 0)
        fprintf(out, " (whole run %s %.1f ms)", pct, v);
    fputc('\n', out);
}

/* slo[]: each entry's targets[] (one per percentile), or the entry itself
 * (target_ms at p95) in a summary without them. */
static void print_missed(FILE *out, const cJSON *slo, int *any)
{
    const cJSON *e, *t;
    cJSON_ArrayForEach(e, slo) {
        const cJSON *targets = cJSON_GetObjectItemCaseSensitive(e, "targets");
        if (!cJSON_IsArray(targets)) {
            print_target(out, e, e, "p95", "latency_p95_ms", any);
            continue;
        }
        cJSON_ArrayForEach(t, targets)
            print_target(out, e, t, str_or(t, "percentile", "?"), "latency_ms", any);
    }
}

static void print_slos(FILE *out, const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    char *text = NULL;
    size_t len = 0;
    if (sim_file_read(&m, path, SIM_FILE_MAX_JSON, "a summary", &text, &len, &err) != SIM_OK)
        return;
    cJSON *root = cJSON_Parse(text);
    sim_mem_free(&m, text, len + 1);
    if (root == NULL)
        return;
    int any = 0;
    print_missed(out, cJSON_GetObjectItemCaseSensitive(root, "slo"), &any);
    if (!any)
        fprintf(out, "SLOs missed: none\n");
    else if (any > END_MAX_SLOS)
        fprintf(out, "  ... and %d more (summary.json slo[])\n", any - END_MAX_SLOS);
    cJSON_Delete(root);
}

void cli_run_end_block(FILE *out, const char *dir)
{
    print_slos(out, dir);
    SimMem m;
    sim_mem_init(&m);
    EndReasons *rs = sim_mem_calloc(&m, 1, sizeof *rs);
    if (rs == NULL || read_reasons(dir, rs) != 0) {
        sim_mem_free(&m, rs, sizeof *rs);
        return;
    }
    if (rs->n == 0)
        fprintf(out, "pods waited: never unschedulable\n");
    else
        fprintf(out, "pods waited most for (pod-waits):\n");
    for (size_t i = 0; i < rs->n && i < 3; i++)
        fprintf(out, "  %6llu  %s\n", (unsigned long long)rs->r[i].waits, rs->r[i].text);
    sim_mem_free(&m, rs, sizeof *rs);
}
