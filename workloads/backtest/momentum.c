/*
 * momentum.c: kernel (b), cross-sectional momentum with periodic rebalancing.
 *
 * At each rebalance date t = L+k, L+k+H, ... <= T-2 the score of asset a is
 * M = P[t-k,a] / P[t-k-L,a] - 1; the top K by descending score (ties: the
 * lower column index, as a stable sort gives) get 1/K each, the rest 0.
 * Between rebalances the weights drift (book.c).
 * Invariant: the ranking is a total order (score, then index), so qsort's
 * instability cannot change a selection.
 */
#include "workloads/backtest/bt.h"

#include <stdlib.h>

#include "workloads/backtest/bt_int.h"

typedef struct Score {
    double m;
    size_t a;
} Score;

typedef struct Mom {
    const double *P;
    size_t N, L, skip, K;
    Score *sc;
    int32_t *selected;   /* the result's nrebal x K */
} Mom;

static int by_score(const void *x, const void *y)
{
    const Score *p = x, *q = y;
    if (p->m != q->m)
        return p->m > q->m ? -1 : 1;
    return p->a < q->a ? -1 : (p->a > q->a);
}

static int target(void *ud, size_t t, size_t k, double *tgt)
{
    Mom *m = ud;
    const double *now = m->P + (t - m->skip) * m->N, *then = now - m->L * m->N;
    for (size_t a = 0; a < m->N; a++) {
        m->sc[a] = (Score){now[a] / then[a] - 1.0, a};
        tgt[a] = 0.0;
    }
    qsort(m->sc, m->N, sizeof *m->sc, by_score);
    double wk = 1.0 / (double)m->K;
    for (size_t i = 0; i < m->K; i++) {
        tgt[m->sc[i].a] = wk;
        m->selected[k * m->K + i] = (int32_t)m->sc[i].a;
    }
    return SIM_OK;
}

int bt_momentum_run(BtCtx *c, const BtData *d, BtResult *r)
{
    const BtParams *p = &r->params;
    Mom m = {.P = d->prices, .N = d->assets, .L = (size_t)p->lookback,
             .skip = (size_t)p->skip, .K = (size_t)p->top};
    BtBook b = {.t0 = m.L + m.skip, .hold = (size_t)p->hold, .target = target, .ud = &m};
    r->nrebal = bt_nrebal(d->rows, b.t0, b.hold);
    r->selected = bt_alloc(c, r->nrebal * m.K, sizeof *r->selected);
    m.sc = bt_alloc(c, m.N, sizeof *m.sc);
    double *R = bt_returns_rowmajor(c, d);
    b.R = R;
    int rc = (r->selected && m.sc && R) ? SIM_OK : SIM_ENOMEM;
    m.selected = r->selected;
    if (rc == SIM_OK)
        rc = bt_book_run(c, &b, r);
    bt_free(c->mem, R, d->rows * d->assets, sizeof *R);
    bt_free(c->mem, m.sc, m.N, sizeof *m.sc);
    return rc;
}
