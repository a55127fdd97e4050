/*
 * export_meta.c: the pieces every exported object shares: document heads,
 * metadata and the scenario's labels, selectors, quantities and durations.
 * Values are written as Kubernetes prints them (sim_quantity_format), so
 * what a scenario declared reads back as the same exact integer.
 */
#include "k8s-export/export_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/json.h"

void kx_doc_begin(KxCtx *c, const char *api, const char *kind)
{
    kx_yaml_doc_begin(c->y);
    kx_yaml_map_begin(c->y);
    kx_yaml_kv_str(c->y, "apiVersion", api);
    kx_yaml_kv_str(c->y, "kind", kind);
}

void kx_doc_end(KxCtx *c)
{
    kx_yaml_map_end(c->y);
    kx_yaml_doc_end(c->y);
    c->docs++;
}

void kx_label_value(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    for (const char *p = s; *p && k + 1 < n && k < 63; p++) {
        int ok = isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-';
        if (k > 0 || isalnum((unsigned char)*p))
            buf[k++] = ok ? *p : '-';
    }
    while (k > 0 && !isalnum((unsigned char)buf[k - 1]))
        k--;
    buf[k] = '\0';
}

void kx_labels_begin(KxCtx *c, const char *name)
{
    char v[64];
    kx_label_value(name, v, sizeof v);
    kx_yaml_str(c->y, "labels");
    kx_yaml_map_begin(c->y);
    kx_yaml_kv_str(c->y, "app.kubernetes.io/name", v);
    kx_yaml_kv_str(c->y, "app.kubernetes.io/part-of", c->scenario);
    kx_yaml_kv_str(c->y, "app.kubernetes.io/managed-by", "kubesim");
    kx_yaml_kv_str(c->y, "kubesim.io/scenario", c->scenario);
    /* Which cluster the object belongs to, so the files imported as a flat
     * list keep each object in its region. */
    kx_yaml_kv_str(c->y, "kubesim.io/region", sim_region(c->e, c->region)->name);
}

void kx_labels(KxCtx *c, const char *name)
{
    kx_labels_begin(c, name);
    kx_yaml_map_end(c->y);
}

void kx_meta(KxCtx *c, const char *name, const char *ns, int open)
{
    kx_yaml_str(c->y, "metadata");
    kx_yaml_map_begin(c->y);
    kx_yaml_kv_str(c->y, "name", name);
    if (ns)
        kx_yaml_kv_str(c->y, "namespace", ns);
    kx_labels(c, name);
    if (!open)
        kx_yaml_map_end(c->y);
}

static const char *const sel_ops[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"};

static int single_in(const SimSelReq *r)
{
    return r->op == SIM_SEL_IN && r->nvalues == 1;
}

static void requirement(KxYaml *y, const SimSelReq *r)
{
    kx_yaml_map_begin(y);
    kx_yaml_kv_str(y, "key", r->key);
    kx_yaml_kv_str(y, "operator", sel_ops[r->op]);
    if (r->op != SIM_SEL_EXISTS && r->op != SIM_SEL_DOES_NOT_EXIST) {
        kx_yaml_str(y, "values");
        kx_yaml_seq_begin(y);
        for (size_t i = 0; i < r->nvalues; i++)
            kx_yaml_str(y, r->values[i]);
        kx_yaml_seq_end(y);
    }
    kx_yaml_map_end(y);
}

static void match_labels(KxYaml *y, const SimSelector *sel)
{
    kx_yaml_str(y, "matchLabels");
    kx_yaml_map_begin(y);
    for (size_t i = 0; i < sel->nreqs; i++)
        if (single_in(&sel->reqs[i]))
            kx_yaml_kv_str(y, sel->reqs[i].key, sel->reqs[i].values[0]);
    kx_yaml_map_end(y);
}

void kx_label_selector(KxYaml *y, const SimSelector *sel)
{
    size_t plain = 0;
    for (size_t i = 0; i < sel->nreqs; i++)
        plain += (size_t)single_in(&sel->reqs[i]);
    kx_yaml_map_begin(y);
    if (plain > 0)
        match_labels(y, sel);
    if (plain < sel->nreqs) {
        kx_yaml_str(y, "matchExpressions");
        kx_yaml_seq_begin(y);
        for (size_t i = 0; i < sel->nreqs; i++)
            if (!single_in(&sel->reqs[i]))
                requirement(y, &sel->reqs[i]);
        kx_yaml_seq_end(y);
    }
    kx_yaml_map_end(y);
}

void kx_node_requirements(KxYaml *y, const SimSelector *sel)
{
    kx_yaml_seq_begin(y);
    for (size_t i = 0; i < sel->nreqs; i++)
        requirement(y, &sel->reqs[i]);
    kx_yaml_seq_end(y);
}

void kx_kv_quantity(KxYaml *y, const char *key, int64_t v, int milli)
{
    char buf[64];
    sim_quantity_format(v, milli, buf, sizeof buf);
    kx_yaml_kv_str(y, key, buf);
}

void kx_kv_seconds(KxYaml *y, const char *key, SimTime t)
{
    kx_yaml_kv_int(y, key, (t + SIM_NS_PER_S - 1) / SIM_NS_PER_S);
}

void kx_duration(SimTime t, char *buf, size_t n)
{
    if (t % SIM_NS_PER_S == 0)
        snprintf(buf, n, "%" PRId64 "s", t / SIM_NS_PER_S);
    else if (t % SIM_MS(1) == 0)
        snprintf(buf, n, "%" PRId64 "ms", t / SIM_MS(1));
    else
        snprintf(buf, n, "%" PRId64 "ns", t);
}

void kx_kv_duration(KxYaml *y, const char *key, SimTime t)
{
    char buf[32];
    kx_duration(t, buf, sizeof buf);
    kx_yaml_kv_str(y, key, buf);
}

void kx_clock(SimTime t, char *buf, size_t n)
{
    int64_t s = (t / SIM_NS_PER_S) % 86400;
    if (s % 60)
        snprintf(buf, n, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    else
        snprintf(buf, n, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
}

void kx_kv_double(KxYaml *y, const char *key, double v)
{
    char buf[SIM_NUM_LEN];
    kx_yaml_kv_str(y, key, sim_num(v, buf));
}

const char *kx_taint_effect(int effect)
{
    static const char *const names[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};
    return effect >= 0 && effect <= 2 ? names[effect] : "NoSchedule";
}

const char *kx_ns_name(KxCtx *c, uint32_t ns)
{
    return sim_namespace(c->e, ns)->name;
}

const char *kx_pod_label(const SimPodSpec *spec, const char *key)
{
    for (size_t i = 0; i < spec->nlabels; i++)
        if (strcmp(spec->labels[i].key, key) == 0)
            return spec->labels[i].value;
    return NULL;
}

void kx_buf_printf(KxCtx *c, KxBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sim_mem_grow(sim_mem(c->e), (void **)&b->s, &b->cap, b->len + (size_t)n + 1, 1) != SIM_OK) {
        c->rc = SIM_ENOMEM;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void kx_buf_free(KxCtx *c, KxBuf *b)
{
    sim_mem_free(sim_mem(c->e), b->s, b->cap);
    *b = (KxBuf){0};
}
