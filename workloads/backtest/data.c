/*
 * data.c: the price table (BtData), the error context and the allocation
 * helpers of the backtest module, and the seeded synthetic universe.
 *
 * Invariant: a BtData is immutable once built, every price is finite and > 0,
 * and its hash covers the sizes, the names and the price bits, so equal hashes
 * mean equal inputs for the memo cache.
 */
#include "workloads/backtest/bt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/trace.h"
#include "workloads/backtest/bt_int.h"

void bt_ctx_init(BtCtx *c, SimMem *m)
{
    c->mem = m;
    c->code = 0;
    c->err[0] = '\0';
    c->blas_ready = 0;
}

const char *bt_errmsg(const BtCtx *c)
{
    return c->err;
}

int bt_fail(BtCtx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->code = code;
    return code;
}

int bt_oom(BtCtx *c)
{
    return bt_fail(c, SIM_ENOMEM, "out of memory");
}

void *bt_alloc(BtCtx *c, size_t n, size_t sz)
{
    void *p = sim_mem_calloc(c->mem, n ? n : 1, sz);
    if (p == NULL)
        bt_oom(c);
    return p;
}

void bt_free(SimMem *m, void *p, size_t n, size_t sz)
{
    sim_mem_free(m, p, (n ? n : 1) * sz);
}

/* ---- building and freeing ------------------------------------------------ */

void bt_data_free(BtData *d)
{
    if (d == NULL)
        return;
    SimMem *m = d->mem;
    if (d->names) {
        for (size_t a = 0; a < d->assets; a++)
            sim_mem_strfree(m, d->names[a]);
        bt_free(m, d->names, d->assets, sizeof *d->names);
    }
    bt_free(m, d->prices, d->rows * d->assets, sizeof *d->prices);
    sim_mem_strfree(m, d->source);
    sim_mem_free(m, d, sizeof *d);
}

/* Hashes sizes, names (with their NULs) and price bits: any change to the
 * inputs of a kernel changes the key. */
static void data_hash(BtData *d)
{
    SimSha256 s;
    uint64_t dims[2] = {d->rows, d->assets};
    sim_sha256_init(&s);
    sim_sha256_update(&s, dims, sizeof dims);
    for (size_t a = 0; a < d->assets; a++)
        sim_sha256_update(&s, d->names[a], strlen(d->names[a]) + 1);
    sim_sha256_update(&s, d->prices, d->rows * d->assets * sizeof *d->prices);
    sim_sha256_hex(&s, d->hash);
}

static int set_names(BtCtx *c, BtData *d, const char *const *names)
{
    char buf[32];
    for (size_t a = 0; a < d->assets; a++) {
        const char *nm = names ? names[a] : buf;
        if (names == NULL)
            snprintf(buf, sizeof buf, "A%zu", a);
        d->names[a] = sim_mem_strdup(c->mem, nm);
        if (d->names[a] == NULL)
            return bt_oom(c);
    }
    return SIM_OK;
}

/* An empty table of rows x assets (prices zeroed, names unset) owned by the
 * caller; the builders fill it, then call bt_data_seal. */
static BtData *data_new(BtCtx *c, const char *source, size_t rows, size_t assets)
{
    if (assets != 0 && rows > SIZE_MAX / sizeof(double) / assets) {
        bt_fail(c, SIM_EINVAL, "%s: table too large", source);
        return NULL;
    }
    BtData *d = bt_alloc(c, 1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->mem = c->mem;
    d->source = sim_mem_strdup(c->mem, source);
    d->prices = bt_alloc(c, rows * assets, sizeof *d->prices);
    d->names = bt_alloc(c, assets, sizeof *d->names);
    d->rows = rows;
    d->assets = assets;
    if (d->source == NULL || d->prices == NULL || d->names == NULL) {
        bt_oom(c);
        bt_data_free(d);
        return NULL;
    }
    return d;
}

int bt_data_build(BtCtx *c, const char *name, size_t first_line, size_t rows, size_t assets,
                  const double *prices, const char *const *names, BtData **out)
{
    *out = NULL;
    if (rows == 0 || assets == 0)
        return bt_fail(c, SIM_EINVAL, "%s: empty price table", name);
    for (size_t i = 0; i < rows * assets; i++)
        if (!(isfinite(prices[i]) && prices[i] > 0))
            return bt_fail(c, SIM_EINVAL, "%s:%zu: column %s: non-positive or non-finite price %.17g",
                           name, first_line + i / assets, names ? names[i % assets] : "?",
                           prices[i]);
    BtData *d = data_new(c, name, rows, assets);
    if (d == NULL)
        return c->code;
    memcpy(d->prices, prices, rows * assets * sizeof *prices);
    if (set_names(c, d, names) != SIM_OK) {
        bt_data_free(d);
        return SIM_ENOMEM;
    }
    d->first_line = first_line;
    data_hash(d);
    *out = d;
    return SIM_OK;
}

int bt_data_from_prices(BtCtx *c, const char *name, size_t rows, size_t assets,
                        const double *prices, const char *const *names, BtData **out)
{
    return bt_data_build(c, name, 0, rows, assets, prices, names, out);
}

/* ---- the synthetic universe ---------------------------------------------- */

/* A standard normal by Box-Muller; 1 - u keeps the log finite. */
static double normal(SimRng *r)
{
    double u = 1.0 - sim_rng_unit(r), v = sim_rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Daily drift and volatility vary by asset so that rankings and covariances
 * are not degenerate; the common factor gives correlation 0.3. */
static void synth_fill(double *P, size_t rows, size_t assets, uint64_t seed)
{
    SimRng rng;
    sim_rng_seed(&rng, seed, UINT64_C(0x6274)); /* "bt" */
    const double rho = sqrt(0.3), idio = sqrt(1.0 - 0.3);
    for (size_t a = 0; a < assets; a++)
        P[a] = 100.0;
    for (size_t t = 1; t < rows; t++) {
        double f = normal(&rng);
        for (size_t a = 0; a < assets; a++) {
            double vol = 0.008 + 0.012 * (double)(a % 7) / 6.0;
            double mu = 0.0002 * ((double)(a % 5) - 1.0) / 3.0;
            double z = rho * f + idio * normal(&rng);
            P[t * assets + a] = P[(t - 1) * assets + a] * exp(mu - 0.5 * vol * vol + vol * z);
        }
    }
}

int bt_data_synthetic(BtCtx *c, size_t rows, size_t assets, uint64_t seed, BtData **out)
{
    *out = NULL;
    if (rows == 0 || assets == 0)
        return bt_fail(c, SIM_EINVAL, "synthetic: need rows > 0 and assets > 0");
    char src[64];
    snprintf(src, sizeof src, "synthetic(seed=%llu)", (unsigned long long)seed);
    BtData *d = data_new(c, src, rows, assets);
    if (d == NULL)
        return c->code;
    synth_fill(d->prices, rows, assets, seed);
    if (set_names(c, d, NULL) != SIM_OK) {
        bt_data_free(d);
        return SIM_ENOMEM;
    }
    data_hash(d);
    *out = d;
    return SIM_OK;
}

/* ---- accessors ----------------------------------------------------------- */

size_t bt_data_rows(const BtData *d) { return d->rows; }
size_t bt_data_assets(const BtData *d) { return d->assets; }
const char *bt_data_name(const BtData *d, size_t asset) { return d->names[asset]; }
const double *bt_data_prices(const BtData *d) { return d->prices; }
const char *bt_data_source(const BtData *d) { return d->source; }
const char *bt_data_hash(const BtData *d) { return d->hash; }

double *bt_returns_rowmajor(BtCtx *c, const BtData *d)
{
    size_t N = d->assets;
    double *R = bt_alloc(c, d->rows * N, sizeof *R);
    if (R == NULL)
        return NULL;
    const double *P = d->prices;
    for (size_t i = N; i < d->rows * N; i++)
        R[i] = P[i] / P[i - N] - 1.0;
    return R;
}

size_t bt_nrebal(size_t rows, size_t t0, size_t h)
{
    if (rows < 2 || t0 > rows - 2 || h == 0)
        return 0;
    return (rows - 2 - t0) / h + 1;
}
