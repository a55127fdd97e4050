/*
 * buf.c: the growable text the page is written into, HTML escaping, and
 * numbers formatted for people. Invariant: after a failed allocation the
 * buffer keeps what it had, sets oom and ignores every later append.
 */
#include "render/rnd_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rnd_buf_init(RndBuf *b, SimMem *mem)
{
    memset(b, 0, sizeof *b);
    b->mem = mem;
}

void rnd_buf_free(RndBuf *b)
{
    sim_mem_free(b->mem, b->p, b->cap);
    b->p = NULL;
    b->len = b->cap = 0;
}

void rnd_buf_reset(RndBuf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

static int reserve(RndBuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (extra >= SIZE_MAX - b->len || sim_mem_grow(b->mem, (void **)&b->p, &b->cap,
                                                   b->len + extra + 1, 1) != SIM_OK) {
        b->oom = 1;
        return 0;
    }
    return 1;
}

void rnd_buf_add(RndBuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void rnd_buf_str(RndBuf *b, const char *s)
{
    rnd_buf_add(b, s, strlen(s));
}

void rnd_buf_fmt(RndBuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        rnd_buf_add(b, small, (size_t)n);
        return;
    }
    /* Rare: a long argument. Print straight into the buffer's own memory. */
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static const char *entity(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

/* Copies runs of safe bytes at once; control bytes other than tab and newline
 * become U+FFFD so a stray byte cannot break the page's text. */
void rnd_buf_esc(RndBuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *ent = entity(*s);
        if (ent == NULL && (c >= 0x20 || c == '\t' || c == '\n') && c != 0x7f)
            continue;
        rnd_buf_add(b, run, (size_t)(s - run));
        rnd_buf_str(b, ent ? ent : "\xEF\xBF\xBD");
        run = s + 1;
    }
    rnd_buf_add(b, run, (size_t)(s - run));
}

/* ---- numbers -------------------------------------------------------------- */

/* Appends digits (optionally signed, optionally with a fraction) with a comma
 * between each group of three integer digits. */
static void grouped(RndBuf *b, const char *digits)
{
    if (*digits == '-')
        rnd_buf_add(b, digits++, 1);
    size_t whole = strcspn(digits, ".");
    for (size_t i = 0; i < whole; i++) {
        if (i > 0 && (whole - i) % 3 == 0)
            rnd_buf_add(b, ",", 1);
        rnd_buf_add(b, digits + i, 1);
    }
    rnd_buf_str(b, digits + whole);
}

static int decimals_for(double a)
{
    if (a >= 100)
        return 1;
    if (a >= 1)
        return 2;
    return 3;
}

/* A fraction without trailing zeros: 2.50 -> 2.5. */
static void trimmed(char *tmp, size_t n, int decimals, double v)
{
    snprintf(tmp, n, "%.*f", decimals, v);
    size_t len = strlen(tmp);
    while (len > 0 && tmp[len - 1] == '0')
        tmp[--len] = '\0';
    if (len > 0 && tmp[len - 1] == '.')
        tmp[--len] = '\0';
}

void rnd_buf_num(RndBuf *b, double v)
{
    char tmp[64];
    if (!isfinite(v)) {
        rnd_buf_str(b, "n/a");
        return;
    }
    if (v == 0)
        v = 0;   /* no "-0" */
    double a = fabs(v);
    if (a >= 1e15 || (a > 0 && a < 1e-3))
        snprintf(tmp, sizeof tmp, "%.3g", v);
    else if (v == floor(v))
        snprintf(tmp, sizeof tmp, "%.0f", v);
    else
        trimmed(tmp, sizeof tmp, decimals_for(a), v);
    grouped(b, tmp);
}

void rnd_buf_usd(RndBuf *b, double v)
{
    char tmp[64];
    if (!isfinite(v) || fabs(v) >= 1e15) {
        rnd_buf_num(b, v);
        return;
    }
    if (v < 0)
        rnd_buf_add(b, "-", 1);
    rnd_buf_add(b, "$", 1);
    snprintf(tmp, sizeof tmp, "%.2f", fabs(v));
    grouped(b, tmp);
}

void rnd_buf_duration(RndBuf *b, double s)
{
    if (!isfinite(s)) {
        rnd_buf_str(b, "n/a");
        return;
    }
    if (s < 0) {
        rnd_buf_add(b, "-", 1);
        s = -s;
    }
    if (s < 59.5) {
        rnd_buf_fmt(b, "%.3g s", s);
        return;
    }
    long long r = llround(s);
    if (r < 3600)
        rnd_buf_fmt(b, r % 60 ? "%lld min %02lld s" : "%lld min", r / 60, r % 60);
    else if (r < 86400 * 3)
        rnd_buf_fmt(b, "%lld h %02lld min", r / 3600, (r / 60) % 60);
    else
        rnd_buf_fmt(b, "%lld d %lld h", r / 86400, (r / 3600) % 24);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

void rnd_buf_keyed(RndBuf *b, const char *key, double v)
{
    if (ends_with(key, "_usd") || strcmp(key, "cost") == 0) {
        rnd_buf_usd(b, v);
    } else if (ends_with(key, "_seconds")) {
        rnd_buf_duration(b, v);
    } else if (ends_with(key, "_ms")) {
        rnd_buf_num(b, v);
        rnd_buf_str(b, " ms");
    } else {
        rnd_buf_num(b, v);
    }
}

/* Names that a plain "underscores to spaces" would get wrong. */
const char *rnd_known_label(const char *key)
{
    static const char *const pairs[][2] = {
        {"cost_usd", "Cost"}, {"nodes_peak", "Peak nodes"},
        {"pending_peak", "Peak pending"}, {"latency_p95_ms", "p95 latency"},
        {"target_ms", "Target"}, {"violation_seconds", "Time in violation"},
        {"sim_seconds", "Simulated time"}, {"wall_seconds", "Wall time"},
        {"trace_sha256", "Trace SHA-256"}, {"hpa", "HPA"},
        {"slo", "SLO"}, {"slo_target_ms", "SLO target"},
        {"pods_running", "Running pods"}, {"pods_pending", "Pending pods"},
        {"nodegroup", "node group"}, {"desired_replicas", "Desired replicas"},
        {"latency_p50_ms", "p50 latency"}, {"latency_p90_ms", "p90 latency"},
        {"latency_p99_ms", "p99 latency"}, {"slo_from_seconds", "SLO clock from"},
        {"latency_ms", "Whole run"}, {"worst_1m_ms", "Worst 1-min window"},
        {"worst_5m_ms", "Worst 5-min window"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(key, pairs[i][0]) == 0)
            return pairs[i][1];
    return NULL;
}

void rnd_buf_label(RndBuf *b, const char *key, int capital)
{
    const char *known = rnd_known_label(key);
    if (known) {
        rnd_buf_str(b, known);
        return;
    }
    size_t start = b->len;
    rnd_buf_esc(b, key);
    if (b->oom)
        return;
    for (size_t i = start; i < b->len; i++)
        if (b->p[i] == '_')
            b->p[i] = ' ';
    if (capital && b->len > start && b->p[start] >= 'a' && b->p[start] <= 'z')
        b->p[start] = (char)(b->p[start] - 'a' + 'A');
}
