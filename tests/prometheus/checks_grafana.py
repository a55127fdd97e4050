"""checks_grafana: render/grafana/kubesim.json against the running Prometheus
(a plug-in of check.py: run(ctx) is called with the two built-in runs loaded).

1. The dashboard is provisioning-ready: no numeric id, a stable uid, no
   __inputs, the datasource a template variable of type datasource (query
   prometheus) that every panel, target, variable and annotation uses, and
   variables scenario, run and region as label_values queries.
2. The variables' label_values queries, asked of Prometheus' label API,
   offer the run's scenario, run label and regions.
3. Every panel target's expr, with the variables substituted by the run's
   values (region: All, then one region), returns data over the run's span;
   with both runs selected (compare two runs) it returns each run's series,
   apart by their run label. A query of a missing family returns nothing (the
   check can fail).
4. Every annotation query returns data against a run with faults: the
   region_outage scenario, loaded into a second TSDB served by a second
   Prometheus (started and stopped by its pid like the first).
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "..", "..", "render", "grafana", "kubesim.json")
SCENARIOS = os.path.join(HERE, "..", "..", "scenarios")
main = sys.modules["__main__"]


def fail(msg):
    main.fail("grafana: " + msg)


def walk_datasources(node, path, out):
    if isinstance(node, dict):
        if "datasource" in node:
            out.append((path, node["datasource"]))
        for k, v in node.items():
            walk_datasources(v, path + "/" + str(k), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_datasources(v, "%s[%d]" % (path, i), out)


def check_structure(d):
    if "id" in d and d["id"] is not None:
        fail("a numeric id (provisioning assigns it): %r" % d["id"])
    if d.get("uid") != "kubesim-run":
        fail("uid is %r, not the stable kubesim-run" % d.get("uid"))
    if "__inputs" in d:
        fail("__inputs: the datasource must be a variable, not an import input")
    vars_ = {v["name"]: v for v in d["templating"]["list"]}
    ds = vars_.get("datasource")
    if not ds or ds["type"] != "datasource" or ds["query"] != "prometheus":
        fail("no datasource variable of type datasource, query prometheus")
    for name in ("scenario", "run", "region"):
        v = vars_.get(name)
        if not v or v["type"] != "query" or not v["definition"].startswith("label_values("):
            fail("variable %s is not a label_values query" % name)
    uses = []
    walk_datasources({"panels": d["panels"], "templating": d["templating"], "annotations": d["annotations"]}, "",
                     uses)
    for path, ds_ in uses:
        if ds_.get("type") == "grafana":
            continue   # the built-in annotation
        if ds_ != {"type": "prometheus", "uid": "${datasource}"}:
            fail("%s: datasource %r is not the variable" % (path, ds_))
    targets = [t for p in d["panels"] for t in p.get("targets", [])]
    if len(targets) < 12:
        fail("only %d panel targets" % len(targets))
    titles = " | ".join(p["title"] for p in d["panels"])
    for want in ("Cost per hour by region", "Cumulative cost by region", "node group", "namespace", "SLO latency",
                 "HPA replicas", "Nodes per group", "Pending pods", "Queue backlog"):
        if want.lower() not in titles.lower():
            fail("no panel about %r in: %s" % (want, titles))
    return vars_


def substitute(expr, values):
    for k in sorted(values, key=len, reverse=True):
        expr = expr.replace("$" + k, values[k]).replace("${%s}" % k, values[k])
    if "$" in expr:
        fail("an unknown variable left in %s" % expr)
    return expr


def label_values(prom, definition, values, start, end):
    """label_values(SELECTOR, LABEL) through the label API, as Grafana asks it."""
    m = re.match(r"^label_values\((.*),\s*([a-zA-Z_]+)\)$", definition)
    if not m:
        fail("not label_values(SELECTOR, LABEL): %s" % definition)
    sel = substitute(m.group(1), values)
    return prom.api("label/%s/values" % m.group(2), **{"match[]": sel, "start": "%.3f" % start,
                                                        "end": "%.3f" % end})


def runs_with_data(prom, expr, start, end):
    """The run labels of the series of expr that hold a number over the span."""
    res = prom.query_range(expr, start, end, step=60)
    return {r["metric"].get("run", "") for r in res
            if any(v[1] not in ("NaN", "+Inf", "-Inf") for v in r["values"])}


def has_data(prom, expr, start, end):
    return bool(runs_with_data(prom, expr, start, end))


def check_targets(ctx, d, vars_):
    om = ctx.runs[main.SEEDS[0]]
    labels = next(iter(om.labels.values()))
    one = ctx.run_labels[main.SEEDS[0]]
    both = sorted(ctx.run_labels.values())
    values = {"scenario": labels["scenario"], "run": one}
    got = label_values(ctx.prom, vars_["scenario"]["definition"], values, ctx.start, ctx.end)
    if values["scenario"] not in got:
        fail("variable scenario offers %s, not %s" % (got, values["scenario"]))
    got = label_values(ctx.prom, vars_["run"]["definition"], values, ctx.start, ctx.end)
    if sorted(got) != both:
        fail("variable run offers %s, not the two runs %s" % (got, both))
    regions = label_values(ctx.prom, vars_["region"]["definition"], values, ctx.start, ctx.end)
    if sorted(regions) != ["ap-northeast", "eu-west", "us-east"]:
        fail("variable region offers %s" % regions)
    # the check can fail: a family that is not there gives nothing
    if has_data(ctx.prom, 'kubesim_no_such_family{run="%s"}' % one, ctx.start, ctx.end):
        fail("a query of a missing family returned data: the check could not fail")
    empty = []
    n = 0
    # one run, region All and one region; then both runs (Grafana's multi-value
    # format for Prometheus: a|b), where every query must show each run apart
    for run_v, region in ((one, vars_["region"]["allValue"]), (one, "us-east"), ("|".join(both), ".*")):
        values.update(run=run_v, region=region)
        for p in d["panels"]:
            for t in p.get("targets", []):
                expr = substitute(t["expr"], values)
                n += 1
                runs = runs_with_data(ctx.prom, expr, ctx.start, ctx.end)
                want = set(run_v.split("|"))
                if runs != want:
                    empty.append("%s (run %s, region %s): data for runs %s: %s" % (p["title"], run_v, region,
                                                                                 sorted(runs), expr))
    if empty:
        fail("%d of %d panel queries do not return each run's data:\n  %s" % (len(empty), n, "\n  ".join(empty)))
    print("grafana: %d panel queries return data (one run: region All and us-east; both runs apart)" % n)


def check_annotations(ctx, d):
    """The fault annotations against region_outage, in a Prometheus of its own."""
    work = os.path.join(ctx.workdir, "grafana-faults")
    os.makedirs(work, exist_ok=True)
    om_path = os.path.join(work, "outage.om")
    rc, out = main.run([ctx.kubesim, "run", os.path.join(SCENARIOS, "region_outage.lua"), "--quiet", "--force",
                        "--out", os.path.join(work, "run"), "--openmetrics-pods", "10", "--openmetrics", om_path])
    if rc not in (0, 1):
        fail("kubesim run region_outage: exit %d\n%s" % (rc, out))
    om = main.OmFile(om_path)
    tsdb = os.path.join(work, "tsdb")
    rc, out = main.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", om_path, tsdb])
    if rc != 0:
        fail("promtool tsdb create-blocks-from openmetrics %s: %s" % (om_path, out))
    labels = next(iter(om.labels.values()))
    values = {"scenario": labels["scenario"], "run": labels["run"], "region": ".*"}
    start, end = om.times()
    prom = type(ctx.prom)(work, tsdb)
    try:
        prom.start()
        anns = [a for a in d["annotations"]["list"] if a.get("expr")]
        if not anns:
            fail("no annotation query")
        empty = [a["name"] for a in anns if not has_data(prom, substitute(a["expr"], values), start, end)]
        if empty:
            fail("annotations without data against region_outage: %s" % empty)
    finally:
        prom.stop()
    print("grafana: %d fault annotations return data against region_outage" % len(anns))


def run(ctx):
    with open(DASHBOARD, encoding="utf-8") as f:
        d = json.load(f)
    vars_ = check_structure(d)
    check_targets(ctx, d, vars_)
    check_annotations(ctx, d)
