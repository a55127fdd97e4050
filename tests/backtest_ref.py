#!/usr/bin/env python3
"""backtest_ref.py: an independent NumPy implementation of BACKTEST.md.

Written from the specification (not from the C code) so that
tests/test_backtest.c can check `workloads/backtest/` against it, and so that
`kubesim bench` can time a vectorised NumPy baseline of kernel (a).

Usage:
  backtest_ref.py --data PRICES.csv --strategy ma_cross|momentum|minvar|meanvar
                  [--fast LIST --slow LIST] [--mode long_flat|long_short]
                  [--lookback L --skip K --hold H --top K]
                  [--window W --hold H --shrink LAMBDA --gamma G] [--cost-bps B]
      prints one JSON object, the same shape as `kubesim backtest --json`.
  backtest_ref.py --batch < LINES
      each input line is one argument list as above; prints one JSON per line.
  backtest_ref.py ... --time REPS
      prints {"seconds": best of REPS} for the computation alone (no I/O).
  backtest_ref.py ... --signals
      ma_cross: each pair also lists its signals S[0..T-2] per asset as "-0+" text.

The equal-weight MA portfolio trades tau_port[t] = mean_a tau[t, a]: its
sleeves hold S[t, a]/N of NAV and are re-set daily at no cost.
"""
import argparse
import json
import math
import shlex
import sys
import time

import numpy as np

EPS = 1e-9
YEAR = 252
DEFAULT_FAST = [2, 3, 5, 8, 10, 13, 15, 20, 25, 30]
DEFAULT_SLOW = [40, 50, 60, 80, 100, 120, 150, 180, 200, 250]


def load_csv(path):
    with open(path, encoding="utf-8") as f:
        lines = [ln.rstrip("\r\n") for ln in f]
    while lines and not lines[-1].strip():
        lines.pop()
    names = [h.strip() for h in lines[0].split(",")[1:]]
    prices = np.array([[float(x) for x in ln.split(",")[1:]] for ln in lines[1:]],
                      dtype=np.float64)
    return names, prices


# ---- metrics ----------------------------------------------------------------

def metrics_columns(r, tau):
    """Metrics of each column of r (n x m net returns) and tau (n x m)."""
    n = r.shape[0]
    equity = np.cumprod(1.0 + r, axis=0)
    running_peak = np.maximum(np.maximum.accumulate(equity, axis=0), 1.0)
    drawdown = np.max(1.0 - equity / running_peak, axis=0)
    cum = equity[-1] - 1.0
    sd = np.std(r, axis=0, ddof=1)
    mean = np.mean(r, axis=0)
    out = []
    for j in range(r.shape[1]):
        sharpe = None if sd[j] == 0 else float(mean[j] / sd[j] * math.sqrt(YEAR))
        out.append({
            "cum_return": float(cum[j]),
            "ann_return": float((1.0 + cum[j]) ** (YEAR / n) - 1.0),
            "ann_vol": float(sd[j] * math.sqrt(YEAR)),
            "sharpe": sharpe,
            "max_drawdown": float(max(drawdown[j], 0.0)),
            "turnover_total": float(tau[:, j].sum()),
            "turnover_ann": float(tau[:, j].sum() / n * YEAR),
            "n_trades": int(np.count_nonzero(tau[:, j] > 0)),
        })
    return out


def metrics(r, tau):
    return metrics_columns(r.reshape(-1, 1), tau.reshape(-1, 1))[0]


def simple_returns(prices):
    rets = np.zeros_like(prices)
    rets[1:] = prices[1:] / prices[:-1] - 1.0
    return rets


# ---- (a) MA crossover -------------------------------------------------------

def sma(prices, w):
    """SMA_w[t] for t >= w-1 (rows before are NaN)."""
    out = np.full_like(prices, np.nan)
    csum = np.cumsum(prices, axis=0)
    out[w - 1] = csum[w - 1] / w
    out[w:] = (csum[w:] - csum[:-w]) / w
    return out


def ma_cross(names, prices, args):
    T, N = prices.shape
    c = args.cost_bps / 1e4
    rets = simple_returns(prices)
    windows = sorted(set(args.fast) | set(args.slow))
    smas = {w: sma(prices, w) for w in windows if w <= T}
    pairs = []
    for f in args.fast:
        for s in args.slow:
            if f >= s:
                continue
            fa, sl = smas[f][: T - 1], smas[s][: T - 1]   # closes t = 0..T-2 trade
            valid = np.arange(T - 1)[:, None] >= s - 1
            with np.errstate(invalid="ignore"):
                gap = fa - sl
                band = EPS * np.abs(sl)
                sig = ((gap > band) & valid).astype(np.float64)
                if args.mode == "long_short":
                    sig -= ((gap < -band) & valid).astype(np.float64)
            prev = np.vstack([np.zeros((1, N)), sig[:-1]])
            tau = np.abs(sig - prev)
            r = (1.0 - c * tau) * (1.0 + sig * rets[1:]) - 1.0
            per_asset = metrics_columns(r, tau)
            port = metrics(r.mean(axis=1), tau.mean(axis=1))
            pair = {"fast": f, "slow": s, "portfolio": port,
                    "assets": dict(zip(names, per_asset))}
            if args.signals:
                pair["signals"] = {name: "".join("-0+"[int(v) + 1] for v in sig[:, j])
                                   for j, name in enumerate(names)}
            pairs.append(pair)
    return {"mode": args.mode, "pairs": pairs}


# ---- the drifting book of (b) and (c) ------------------------------------------

def run_book(prices, rets, first, hold, cost, choose):
    T, N = prices.shape
    dates = set(range(first, T - 1, hold))
    w = np.zeros(N)
    r = np.zeros(T - 1)
    tau = np.zeros(T - 1)
    rebalances = []
    for t in range(T - 1):
        if t >= 1:
            w = w * (1.0 + rets[t]) / (1.0 + np.dot(w, rets[t]))
        if t in dates:
            target, record = choose(t)
            tau[t] = np.sum(np.abs(target - w))
            w = target
            record.update({"t": t, "turnover": float(tau[t])})
            rebalances.append(record)
        r[t] = (1.0 - cost * tau[t]) * (1.0 + np.dot(w, rets[t + 1])) - 1.0
    return {"metrics": metrics(r, tau), "rebalances": rebalances}


# ---- (b) momentum ----------------------------------------------------------------

def momentum(names, prices, args):
    L, k, K = args.lookback, args.skip, args.top
    N = prices.shape[1]

    def choose(t):
        score = prices[t - k] / prices[t - k - L] - 1.0
        order = np.argsort(-score, kind="stable")[:K]
        target = np.zeros(N)
        target[order] = 1.0 / K
        return target, {"selected": [int(i) for i in order]}

    return run_book(prices, simple_returns(prices), L + k, args.hold, args.cost_bps / 1e4,
                    choose)


# ---- (c) minimum variance / mean variance ----------------------------------------

def cov_weights(window, lam, gamma, meanvar):
    W, N = window.shape
    mu = window.mean(axis=0)
    xc = window - mu
    sigma = xc.T @ xc / (W - 1)
    if lam > 0:
        sigma = (1.0 - lam) * sigma + lam * np.trace(sigma) / N * np.eye(N)
    chol = np.linalg.cholesky(sigma)
    rhs = np.column_stack([np.ones(N), mu])
    sol = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
    a, b = sol[:, 0], sol[:, 1]
    w_mv = a / a.sum()
    if not meanvar:
        return w_mv
    return w_mv + (b - b.sum() * w_mv) / gamma


def covariance(names, prices, args):
    rets = simple_returns(prices)
    W = args.window

    def choose(t):
        target = cov_weights(rets[t - W + 1: t + 1], args.shrink, args.gamma,
                             args.strategy == "meanvar")
        return target, {"weights": [float(x) for x in target]}

    return run_book(prices, rets, W, args.hold, args.cost_bps / 1e4, choose)


# ---- command line ------------------------------------------------------------------

def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data")
    p.add_argument("--strategy", choices=["ma_cross", "momentum", "minvar", "meanvar"])
    p.add_argument("--fast", type=int_list, default=DEFAULT_FAST)
    p.add_argument("--slow", type=int_list, default=DEFAULT_SLOW)
    p.add_argument("--mode", choices=["long_flat", "long_short"], default="long_flat")
    p.add_argument("--lookback", type=int, default=126)
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--hold", type=int, default=21)
    p.add_argument("--top", type=int, default=1)
    p.add_argument("--window", type=int, default=250)
    p.add_argument("--shrink", type=float, default=0.0)
    p.add_argument("--gamma", type=float, default=50.0)
    p.add_argument("--cost-bps", type=float, default=5.0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--signals", action="store_true",
                   help="ma_cross: add each pair's signals S[0..T-2] per asset as '-0+' text")
    p.add_argument("--batch", action="store_true")
    p.add_argument("--time", type=int, default=0)
    return p


KERNELS = {"ma_cross": ma_cross, "momentum": momentum, "minvar": covariance,
           "meanvar": covariance}


def run(args, cache):
    if args.data not in cache:
        cache[args.data] = load_csv(args.data)
    names, prices = cache[args.data]
    if args.time > 0:
        best = math.inf
        for _ in range(args.time):
            start = time.perf_counter()
            KERNELS[args.strategy](names, prices, args)
            best = min(best, time.perf_counter() - start)
        return {"seconds": best}
    out = {"strategy": args.strategy, "T": int(prices.shape[0]), "N": int(prices.shape[1]),
           "assets": names, "cost_bps": args.cost_bps}
    out.update(KERNELS[args.strategy](names, prices, args))
    return out


def main():
    args = parser().parse_args()
    cache = {}
    if args.batch:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(run(parser().parse_args(shlex.split(line)), cache)))
        return 0
    if not args.data or not args.strategy:
        parser().error("--data and --strategy are required")
    print(json.dumps(run(args, cache)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
