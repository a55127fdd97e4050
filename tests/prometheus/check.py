#!/usr/bin/env python3
"""prometheus_check: `kubesim run --openmetrics` against the real Prometheus tools.

  check.py KUBESIM_BIN WORKDIR

1. Two runs of the built-in scenario (seeds 42 and 7) write OpenMetrics text.
2. The text keeps the conventions (checked here): # HELP, # TYPE and # UNIT on
   every family, a unit is the family name's suffix, counter samples end
   _total and never go down, every sample has the scenario, seed and run
   labels, no object name inside a metric name, no `name` label, no _ms.
3. `promtool check metrics` finds no problem in the last sample of every
   series, written as the text exposition format (no timestamps) it reads.
4. `promtool tsdb create-blocks-from openmetrics` loads both runs into one TSDB.
5. A real `prometheus` on 127.0.0.1 (a free port, that TSDB) answers PromQL
   over its HTTP API: the two runs are told apart by their labels, every
   family of the file is there, the kube-state-metrics names answer with
   their labels. The process is stopped by its pid whatever happens.
6. Every checks_*.py beside this file is imported and its run(ctx) called
   with the running Prometheus (ctx: see Ctx), so more queries (a dashboard's,
   alert rules') are added as files, not edits.

Exits 0 when every check passes, 1 on a failure, 77 (skipped, never passed)
when promtool or prometheus is missing: scripts/deps.sh --test installs both
(Debian package prometheus). Bounded in time: each step has a deadline.
"""
import glob
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = (42, 7)
POD_BOUND = "10"           # --openmetrics-pods: per-pod families stay small
STEP_TIMEOUT = 120         # seconds, any one external command
READY_TIMEOUT = 60         # seconds for Prometheus to answer /-/ready
COMMON = ("scenario", "seed", "run")


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def run(cmd, **kw):
    """Runs cmd with a deadline; its output on failure."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=STEP_TIMEOUT, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace")


# ---- the OpenMetrics text ---------------------------------------------------------
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class OmFile:
    """One --openmetrics file, parsed: families with their metadata, and every
    series' samples (value, timestamp) in file order."""

    def __init__(self, path):
        self.path = path
        self.meta = {}         # family -> {"HELP": .., "TYPE": .., "UNIT": ..}
        self.order = []        # families in file order
        self.series = {}       # (family, sample name, labels text) -> [(value, ts)]
        self.labels = {}       # labels text -> dict
        self._parse()

    def _parse(self):
        fam = None
        with open(self.path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines[-2:] != ["# EOF", ""]:
            fail("%s: does not end with # EOF" % self.path)
        for n, line in enumerate(lines[:-2], 1):
            if line.startswith("# "):
                parts = line.split(" ", 3)
                if len(parts) < 3 or parts[1] not in ("HELP", "TYPE", "UNIT"):
                    fail("%s:%d: unknown descriptor: %s" % (self.path, n, line))
                kind, fam = parts[1], parts[2]
                if fam not in self.meta:
                    self.meta[fam] = {}
                    self.order.append(fam)
                self.meta[fam][kind] = parts[3] if len(parts) > 3 else ""
                continue
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+) (\S+)$', line)
            if not m:
                fail("%s:%d: not a sample with labels and a timestamp: %s" % (self.path, n, line))
            name, labels, value, ts = m.groups()
            if fam is None or not (name == fam or name == fam + "_total"):
                fail("%s:%d: sample %s outside its family %s" % (self.path, n, name, fam))
            if labels not in self.labels:
                self.labels[labels] = dict(LABEL_RE.findall(labels))
            self.series.setdefault((fam, name, labels), []).append((float(value), float(ts)))

    def times(self):
        ts = [s[1] for v in self.series.values() for s in v]
        return min(ts), max(ts)

    def sample_names(self):
        return sorted({k[1] for k in self.series})

    def last(self, name, **want):
        """The last value of the one series of sample name whose labels include want."""
        hits = [v[-1][0] for (f, n, l), v in self.series.items()
                if n == name and all(self.labels[l].get(k) == x for k, x in want.items())]
        if len(hits) != 1:
            fail("%s: %d series of %s with %s, expected one" % (self.path, len(hits), name, want))
        return hits[0]


def check_conventions(om, seed):
    """The Prometheus naming guide's and the OpenMetrics spec's rules."""
    for fam in om.order:
        meta = om.meta[fam]
        for kind in ("HELP", "TYPE", "UNIT"):
            if kind not in meta:
                fail("%s: family %s has no # %s" % (om.path, fam, kind))
        if meta["HELP"].strip() == "":
            fail("%s: family %s has an empty # HELP" % (om.path, fam))
        unit = meta["UNIT"]
        if unit and not fam.endswith("_" + unit):
            fail("%s: unit %s is not a suffix of %s" % (om.path, unit, fam))
        if re.search(r"_(ms|milliseconds|minutes|hours|kb|mb|gb|percent)(_|$)", fam):
            fail("%s: %s is not in base units" % (om.path, fam))
        if meta["TYPE"] not in ("gauge", "counter"):
            fail("%s: %s has type %s" % (om.path, fam, meta["TYPE"]))
    for (fam, name, labels), samples in om.series.items():
        lab = om.labels[labels]
        counter = om.meta[fam]["TYPE"] == "counter"
        if counter != name.endswith("_total") or (counter and name != fam + "_total"):
            fail("%s: sample %s of %s family %s" % (om.path, name, om.meta[fam]["TYPE"], fam))
        for k in COMMON:
            if not lab.get(k):
                fail("%s: %s{%s} has no %s label" % (om.path, name, labels, k))
        if lab["seed"] != str(seed) or lab["scenario"] != "market_open_surge":
            fail("%s: %s{%s}: wrong scenario or seed" % (om.path, name, labels))
        if "name" in lab:
            fail("%s: %s{%s}: an object's name in label `name`" % (om.path, name, labels))
        ts = [s[1] for s in samples]
        if ts != sorted(ts) or len(set(ts)) != len(ts):
            fail("%s: %s{%s}: timestamps not increasing" % (om.path, name, labels))
        vals = [s[0] for s in samples]
        if counter and any(b < a for a, b in zip(vals, vals[1:])):
            fail("%s: counter %s{%s} goes down" % (om.path, name, labels))
    for n in om.sample_names():   # e.g. kubesim_hpa_reviews_queue_length: an object's name in a metric name
        if n.startswith(("kubesim_hpa_", "kubesim_deployment_", "kubesim_job_")):
            fail("%s: %s: a kind the kube-state names carry, or an object's name in a metric name" % (om.path, n))


def exposition(om):
    """The last sample of every series as the text exposition format (version
    0.0.4: no # UNIT, a counter's TYPE names its _total, no timestamps), which
    is what promtool check metrics reads."""
    out = []
    for fam in om.order:
        meta = om.meta[fam]
        name = fam + "_total" if meta["TYPE"] == "counter" else fam
        out.append("# HELP %s %s" % (name, meta["HELP"].replace('\\"', '"')))
        out.append("# TYPE %s %s" % (name, meta["TYPE"]))
        for (f, n, labels), samples in om.series.items():
            if f == fam:
                v = samples[-1][0]
                out.append("%s{%s} %s" % (n, labels, repr(v) if math.isfinite(v) else str(v)))
    return "\n".join(out) + "\n"


# ---- Prometheus ---------------------------------------------------------------------
def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A prometheus process serving tsdb (blocks only: it scrapes nothing)."""

    def __init__(self, workdir, tsdb):
        self.workdir, self.tsdb = workdir, tsdb
        self.proc = None
        self.url = None

    def start(self):
        cfg = os.path.join(self.workdir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        self.log = open(os.path.join(self.workdir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + self.tsdb,
             "--storage.tsdb.retention.time=100y",   # the scenario's dates may be long past
             "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + READY_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("prometheus exited with %d (see %s/prometheus.log)" % (self.proc.returncode, self.workdir))
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        fail("prometheus not ready in %d s" % READY_TIMEOUT)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)   # the one process we started, by its id
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)

    def api(self, path, **params):
        url = "%s/api/v1/%s?%s" % (self.url, path, urllib.parse.urlencode(params))
        with urllib.request.urlopen(url, timeout=30) as r:
            body = json.load(r)
        if body.get("status") != "success":
            fail("%s: %s" % (url, body))
        return body["data"]

    def query(self, expr, at):
        """An instant query: the result vector, [{metric: {..}, value: [t, "v"]}]."""
        return self.api("query", query=expr, time="%.3f" % at)["result"]

    def query_range(self, expr, start, end, step=60):
        return self.api("query_range", query=expr, start="%.3f" % start, end="%.3f" % end, step=str(step))["result"]


class Ctx:
    """What checks_*.py modules get: the running Prometheus, the two runs'
    files (OmFile), their run labels, the time span, the kubesim binary, a
    work directory, and expect_series."""

    def __init__(self, prom, runs, kubesim, workdir):
        self.prom, self.runs, self.kubesim, self.workdir = prom, runs, kubesim, workdir
        self.run_labels = {seed: next(iter(om.labels.values()))["run"] for seed, om in runs.items()}
        t0, t1 = runs[SEEDS[0]].times()
        self.start, self.end = t0, t1
        self.mid = (t0 + t1) / 2

    def expect_series(self, expr, at=None, min_series=1, what=None):
        """Fails unless the instant query expr has at least min_series series."""
        res = self.prom.query(expr, self.mid if at is None else at)
        if len(res) < min_series:
            fail("%s: %d series, expected at least %d (%s)" % (expr, len(res), min_series, what or "query"))
        return res


# ---- the checks -------------------------------------------------------------------------
def check_runs_apart(ctx):
    """Both runs are in the one TSDB and their labels tell them apart."""
    res = ctx.expect_series("count by (scenario, seed, run) (kubesim_cost_usd_total)", min_series=2)
    got = {(r["metric"]["seed"], r["metric"]["run"]) for r in res}
    want = {(str(s), ctx.run_labels[s]) for s in SEEDS}
    if got != want:
        fail("runs in Prometheus %s, expected %s" % (sorted(got), sorted(want)))
    if len(set(ctx.run_labels.values())) != 2:
        fail("the two runs share a run label: %s" % ctx.run_labels)
    for seed in SEEDS:   # each run's own numbers, not a merge of both
        want_v = ctx.runs[seed].last("kubesim_cost_usd_total", region="us-east")
        res = ctx.prom.query('kubesim_cost_usd_total{region="us-east",run="%s"}' % ctx.run_labels[seed], ctx.end)
        if len(res) != 1 or abs(float(res[0]["value"][1]) - want_v) > 1e-9 * max(1, abs(want_v)):
            fail("run %d: cost in Prometheus %s, in the file %r" % (seed, res, want_v))


def check_every_family(ctx):
    """Every sample name of each file answers in Prometheus for its run."""
    for seed, om in ctx.runs.items():
        run_l = ctx.run_labels[seed]
        names = om.sample_names()
        res = ctx.prom.query('count by (__name__) ({run="%s"})' % run_l, ctx.end)
        have = {r["metric"]["__name__"] for r in res}
        # a series may end before the last sample (a pod's); ask over the whole run
        missing = [n for n in names if n not in have and not ctx.prom.query(
            'count(count_over_time(%s{run="%s"}[%ds]))' % (n, run_l, int(ctx.end - ctx.start) + 60), ctx.end)]
        if missing:
            fail("run %d: families missing in Prometheus: %s" % (seed, missing))


def check_kube_state_names(ctx):
    """kube-state-metrics' and cAdvisor's names with their label spellings."""
    for expr in ('kube_deployment_spec_replicas{namespace!="",deployment!=""}',
                 'kube_deployment_status_replicas_available{namespace!="",deployment!=""}',
                 'kube_horizontalpodautoscaler_status_current_replicas{namespace!="",horizontalpodautoscaler!=""}',
                 'kube_horizontalpodautoscaler_status_desired_replicas{horizontalpodautoscaler!=""}',
                 'kube_horizontalpodautoscaler_spec_max_replicas{horizontalpodautoscaler!=""}',
                 'kube_horizontalpodautoscaler_spec_min_replicas{horizontalpodautoscaler!=""}',
                 'kube_node_info{node!=""}',
                 'kube_node_status_allocatable{node!="",resource="cpu",unit="core"}',
                 'kube_node_status_allocatable{node!="",resource="memory",unit="byte"}',
                 'kube_pod_status_phase{namespace!="",pod!="",phase="Running"} == 1',
                 'kube_pod_container_resource_requests{pod!="",container!="",resource="cpu",unit="core"}',
                 'kube_resourcequota{resourcequota!="",resource!="",type="hard"}',
                 'kube_resourcequota{resourcequota!="",type="used"}',
                 'rate(container_cpu_usage_seconds_total{pod!="",container!=""}[5m]) > 0'):
        ctx.expect_series(expr, what="a kube-state-metrics name")
    # Jobs run at the open: their counts, and the simulator's own counter of them
    ctx.expect_series('max_over_time(kube_job_status_succeeded{job_name!="",namespace!=""}[%ds])'
                      % int(ctx.end - ctx.start), at=ctx.end)
    ctx.expect_series('kubesim_jobs_succeeded_total > 0', at=ctx.end)
    # the HPA on a queue: the metric name is a label value now
    ctx.expect_series('kube_horizontalpodautoscaler_status_target_metric{metric_name="reviews/queue_length"}')
    ctx.expect_series('sum by (run) (increase(kubesim_cost_usd_total[1h])) > 0', min_series=2)


def plugins():
    for path in sorted(glob.glob(os.path.join(HERE, "checks_*.py"))):
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        yield os.path.basename(path), mod.run


# ---- main ---------------------------------------------------------------------------------
def make_runs(kubesim, workdir):
    procs = {}
    for seed in SEEDS:
        out = os.path.join(workdir, "run-%d" % seed)
        procs[seed] = subprocess.Popen([kubesim, "run", "--quiet", "--force", "--seed", str(seed), "--out", out,
                                        "--openmetrics-pods", POD_BOUND, "--openmetrics", out + ".om"],
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    runs = {}
    for seed, p in procs.items():
        out, _ = p.communicate(timeout=STEP_TIMEOUT)
        if p.returncode != 0:
            fail("kubesim run --seed %d: exit %d\n%s" % (seed, p.returncode, out.decode()))
        runs[seed] = OmFile(os.path.join(workdir, "run-%d.om" % seed))
    return runs


def lint(om, workdir, seed):
    path = os.path.join(workdir, "run-%d.prom" % seed)
    with open(path, "w") as f:
        f.write(exposition(om))
    with open(path, "rb") as f:
        p = subprocess.run(["promtool", "check", "metrics"], stdin=f, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=STEP_TIMEOUT)
    out = p.stdout.decode("utf-8", "replace").strip()
    if p.returncode != 0 or out:
        fail("promtool check metrics on %s (exit %d):\n%s" % (path, p.returncode, out[:4000]))


def main():
    if len(sys.argv) != 3:
        print("usage: check.py KUBESIM_BIN WORKDIR", file=sys.stderr)
        return 2
    kubesim, workdir = sys.argv[1], sys.argv[2]
    for tool in ("promtool", "prometheus"):
        if shutil.which(tool) is None:
            print("prometheus_check: %s is missing (scripts/deps.sh --test installs it): skipped" % tool)
            return SKIP
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    prom = None
    try:
        runs = make_runs(kubesim, workdir)
        for seed, om in runs.items():
            check_conventions(om, seed)
            lint(om, workdir, seed)
        tsdb = os.path.join(workdir, "tsdb")
        for seed in SEEDS:
            rc, out = run(["promtool", "tsdb", "create-blocks-from", "openmetrics", runs[seed].path, tsdb])
            if rc != 0:
                fail("promtool tsdb create-blocks-from openmetrics %s: exit %d\n%s" % (runs[seed].path, rc, out))
        prom = Prometheus(workdir, tsdb)
        prom.start()
        ctx = Ctx(prom, runs, kubesim, workdir)
        for name, fn in [("runs apart", check_runs_apart), ("every family", check_every_family),
                         ("kube-state names", check_kube_state_names)] + list(plugins()):
            fn(ctx)
            print("ok: %s" % name)
    except (Failure, subprocess.TimeoutExpired, OSError) as e:
        print("prometheus_check: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        if prom is not None:
            prom.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
