/*
 * prices.c: `kubesim import --prices FILE` (kx_prices_parse, kx.h): a CSV of
 * `instance_type,price_per_hour`, one instance type a line, an optional
 * header line `instance_type,price_per_hour`, blank lines and `#` comments
 * skipped, CRLF line ends accepted, a field optionally in double quotes.
 *
 * Invariant: a table is returned whole or not at all; every line that is not
 * a header, blank or a comment is one instance type with a finite price in
 * [0, 1e6] USD per node-hour (the scenario's range), each type once.
 */
#include "k8s-export/kx.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One field of the line [p, end), trimmed and unquoted, into buf. 0 if it
 * does not fit or a quote is left open. */
static int field(const char *p, const char *end, char *buf, size_t n)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if (end > p && *p == '"') {
        if (end - p < 2 || end[-1] != '"')
            return 0;
        p++, end--;
    }
    if ((size_t)(end - p) >= n)
        return 0;
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    return 1;
}

static int is_header(const char *type, const char *price)
{
    return strcasecmp(type, "instance_type") == 0 && strcasecmp(price, "price_per_hour") == 0;
}

static int add(SimMem *m, KxPrices *t, const char *type, double price)
{
    if (sim_mem_grow(m, (void **)&t->v, &t->cap, t->n + 1, sizeof *t->v) != SIM_OK)
        return SIM_ENOMEM;
    char *s = sim_mem_strdup(m, type);
    if (s == NULL)
        return SIM_ENOMEM;
    t->v[t->n++] = (KxPrice){s, price};
    return SIM_OK;
}

/* One line (without its end); SIM_OK, or a failure with FILE:LINE in err. */
static int line(SimMem *m, KxPrices *t, const char *path, int no, const char *p, const char *end, SimErr *err)
{
    char type[256], price[64], *stop;
    const char *comma = memchr(p, ',', (size_t)(end - p));
    const char *q = p;
    while (q < end && isspace((unsigned char)*q))
        q++;
    if (q == end || *q == '#')
        return SIM_OK;
    if (comma == NULL || memchr(comma + 1, ',', (size_t)(end - comma - 1)) != NULL)
        return sim_err_set(err, SIM_EINVAL, "%s:%d: expected two fields, instance_type,price_per_hour", path, no);
    if (!field(p, comma, type, sizeof type) || !field(comma + 1, end, price, sizeof price))
        return sim_err_set(err, SIM_EINVAL, "%s:%d: a field is too long or its quote is not closed", path, no);
    if (no == 1 && is_header(type, price))
        return SIM_OK;
    if (type[0] == '\0')
        return sim_err_set(err, SIM_EINVAL, "%s:%d: instance_type: is empty", path, no);
    double v = strtod(price, &stop);
    if (price[0] == '\0' || *stop != '\0' || !isfinite(v) || v < 0 || v > 1e6)
        return sim_err_set(err, SIM_EINVAL, "%s:%d: price_per_hour: '%s' is not a price in USD per node-hour "
                           "(a number from 0 to 1000000)", path, no, price);
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].instance_type, type) == 0)
            return sim_err_set(err, SIM_EINVAL, "%s:%d: instance_type: '%s' is priced twice", path, no, type);
    return add(m, t, type, v) == SIM_OK ? SIM_OK : sim_err_set(err, SIM_ENOMEM, "out of memory");
}

int kx_prices_parse(SimMem *m, const char *path, const char *text, size_t len, KxPrices *out, SimErr *err)
{
    KxPrices t = {0};
    const char *p = text, *end = text + len;
    int rc = SIM_OK;
    for (int no = 1; rc == SIM_OK && p < end; no++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (memchr(p, '\0', (size_t)(e - p)) != NULL)
            rc = sim_err_set(err, SIM_EINVAL, "%s:%d: a NUL byte: not a CSV text file", path, no);
        else
            rc = line(m, &t, path, no, p, e > p && e[-1] == '\r' ? e - 1 : e, err);
        p = nl ? nl + 1 : end;
    }
    if (rc != SIM_OK) {
        kx_prices_free(m, &t);
        return rc;
    }
    *out = t;
    return SIM_OK;
}

const KxPrice *kx_prices_find(const KxPrices *t, const char *instance_type)
{
    for (size_t i = 0; t && instance_type && i < t->n; i++)
        if (strcmp(t->v[i].instance_type, instance_type) == 0)
            return &t->v[i];
    return NULL;
}

void kx_prices_free(SimMem *m, KxPrices *t)
{
    for (size_t i = 0; i < t->n; i++)
        sim_mem_strfree(m, t->v[i].instance_type);
    sim_mem_free(m, t->v, t->cap * sizeof *t->v);
    memset(t, 0, sizeof *t);
}
