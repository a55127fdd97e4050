#!/usr/bin/env python3
# gen_dashboard.py: writes kubesim.json, the Grafana dashboard of kubesim runs
# (`python3 render/grafana/gen_dashboard.py > render/grafana/kubesim.json`).
# Edit here, regenerate, and run the prometheus_check test (its checks_grafana
# plug-in queries every target against a real Prometheus).
import json
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'scenario=~"$scenario",run=~"$run"'
SELR = SEL + ',region=~"$region"'
panels = []
y = 0
def row(title):
    global y
    panels.append({"type": "row", "title": title, "collapsed": False, "id": len(panels) + 1,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
    y += 1
def ts(title, targets, unit="short", x=0, w=12, h=8, desc="", stack=False, newline=False):
    global y
    p = {"type": "timeseries", "title": title, "description": desc, "datasource": DS, "id": len(panels) + 1,
         "gridPos": {"h": h, "w": w, "x": x, "y": y},
         "fieldConfig": {"defaults": {"unit": unit, "custom": {"lineWidth": 1, "fillOpacity": 10 if stack else 0,
                                                                 "stacking": {"mode": "normal" if stack else "none"},
                                                                 "spanNulls": False}},
                         "overrides": []},
         "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                     "tooltip": {"mode": "multi", "sort": "desc"}},
         "interval": "1m",
         "targets": [dict(t, datasource=DS, refId=chr(65 + i)) for i, t in enumerate(targets)]}
    panels.append(p)
    if x + w >= 24:
        y += h
    return p

RATE = "[5m]"   # samples are a minute apart: a 5-minute window always holds several
row("Cost")
ts("Cost per hour by region", [{"expr": "sum by (run, region) (rate(kubesim_cost_usd_total{%s}%s)) * 3600" % (SELR, RATE),
                                 "legendFormat": "{{run}} {{region}}"}], unit="currencyUSD", x=0,
   desc="Node-seconds times price, per hour (the rate of the cumulative cost over 5 minutes).")
ts("Cumulative cost by region", [{"expr": "sum by (run, region) (kubesim_cost_usd_total{%s})" % SELR,
                                   "legendFormat": "{{run}} {{region}}"}], unit="currencyUSD", x=12)
ts("Cost per hour by node group", [{"expr": "sum by (run, region, nodegroup) (rate(kubesim_nodegroup_cost_usd_total{%s}%s)) * 3600" % (SELR, RATE),
                                     "legendFormat": "{{run}} {{region}} {{nodegroup}}"}], unit="currencyUSD", x=0)
ts("Cumulative cost by node group", [{"expr": "sum by (run, region, nodegroup) (kubesim_nodegroup_cost_usd_total{%s})" % SELR,
                                       "legendFormat": "{{run}} {{region}} {{nodegroup}}"}], unit="currencyUSD", x=12)
ts("Cost per hour by namespace", [{"expr": "sum by (run, namespace) (rate(kubesim_namespace_cost_usd_total{%s}%s)) * 3600" % (SEL, RATE),
                                    "legendFormat": "{{run}} {{namespace}}"}], unit="currencyUSD", x=0,
   desc="A namespace's pods' share of their nodes' cost, every region together (the family has no region label).")
ts("Cumulative cost by namespace", [{"expr": "sum by (run, namespace) (kubesim_namespace_cost_usd_total{%s})" % SEL,
                                      "legendFormat": "{{run}} {{namespace}}"}], unit="currencyUSD", x=12)
row("Serving")
ts("SLO latency against target", [
    {"expr": "kubesim_service_latency_seconds{%s} and on (scenario, run, region, service, percentile) kubesim_service_slo_target_seconds{%s}" % (SELR, SELR),
     "legendFormat": "{{run}} {{service}} {{region}} p{{percentile}}"},
    {"expr": "kubesim_service_slo_target_seconds{%s}" % SELR, "legendFormat": "{{run}} target {{service}} {{region}} p{{percentile}}"}],
   unit="s", x=0, w=24, h=9,
   desc="Each service's latency at the percentiles its SLO names, and the targets (KubesimSLOLatencyOverTarget fires after 3 minutes over).")
ts("Requests per second", [{"expr": "sum by (run, region, service) (kubesim_service_requests_per_second{%s})" % SELR,
                             "legendFormat": "{{run}} {{service}} {{region}}"}], unit="reqps", x=0)
ts("Error ratio", [{"expr": "kubesim_service_error_ratio{%s}" % SELR, "legendFormat": "{{run}} {{service}} {{region}}"}],
   unit="percentunit", x=12)
row("Scaling")
ts("HPA replicas: current, desired, max", [
    {"expr": "kube_horizontalpodautoscaler_status_current_replicas{%s}" % SELR, "legendFormat": "{{run}} {{horizontalpodautoscaler}} current"},
    {"expr": "kube_horizontalpodautoscaler_status_desired_replicas{%s}" % SELR, "legendFormat": "{{run}} {{horizontalpodautoscaler}} desired"},
    {"expr": "kube_horizontalpodautoscaler_spec_max_replicas{%s}" % SELR, "legendFormat": "{{run}} {{horizontalpodautoscaler}} max"}],
   x=0, desc="kube-state-metrics names: the same panel works on a real cluster's series.")
ts("Nodes per group", [{"expr": "sum by (run, region, nodegroup) (kubesim_nodegroup_nodes{%s})" % SELR,
                         "legendFormat": "{{run}} {{region}} {{nodegroup}}"}], x=12)
ts("Pending pods", [{"expr": "sum by (run, region) (kubesim_region_pods_pending{%s})" % SELR, "legendFormat": "{{run}} {{region}}"}],
   x=0, desc="Unschedulable Pending pods (KubesimPodsPending fires after 10 minutes above zero).")
ts("Queue backlog", [
    {"expr": "sum by (run, region, queue) (kubesim_queue_length{%s})" % SELR, "legendFormat": "{{run}} queue {{queue}} ({{region}})"},
    {"expr": "sum by (run, region, service) (kubesim_service_backlog_requests{%s})" % SELR, "legendFormat": "{{run}} service {{service}} ({{region}})"}],
   x=12, desc="Backtest queues' waiting requests and serving backlogs (requests waiting for a pod).")
ts("Quota used / hard", [{"expr": "max by (run, region, namespace, resourcequota, resource) (kube_resourcequota{%s,type=\"used\"} / ignoring(type) kube_resourcequota{%s,type=\"hard\"})" % (SELR, SELR),
                          "legendFormat": "{{run}} {{namespace}}/{{resourcequota}} {{resource}}"}], unit="percentunit", x=0, w=24,
   desc="KubesimQuotaNearLimit fires after 5 minutes over 0.9.")

def var(name, query, label, multi=False, all_=True):
    v = {"name": name, "label": label, "type": "query", "datasource": DS, "definition": query,
         "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1},
         "refresh": 2, "sort": 1, "hide": 0, "current": {}, "options": [], "regex": ""}
    if multi and all_:
        v.update({"multi": True, "includeAll": True, "allValue": ".*"})
    elif multi:
        v.update({"multi": True, "includeAll": False})
    else:
        v.update({"multi": False, "includeAll": False})
    return v

dash = {
    "uid": "kubesim-run",
    "title": "kubesim run",
    "description": "A simulated run (kubesim run --openmetrics, loaded with promtool tsdb create-blocks-from openmetrics): cost, SLOs, scaling, faults. Pick a scenario and a run; pick two runs (or two scenarios' runs) to compare them on the same panels, each series named by its run label.",
    "tags": ["kubesim", "kubernetes", "simulation"],
    "timezone": "utc",
    "editable": True,
    "graphTooltip": 1,
    "schemaVersion": 39,
    "version": 1,
    "refresh": "",
    "time": {"from": "2026-01-05T07:00:00.000Z", "to": "2026-01-05T17:00:00.000Z"},
    "timepicker": {},
    "links": [],
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": [], "includeAll": False, "multi": False},
        var("scenario", "label_values(kubesim_region_nodes, scenario)", "Scenario", multi=True, all_=False),
        var("run", 'label_values(kubesim_region_nodes{scenario=~"$scenario"}, run)', "Run", multi=True, all_=False),
        var("region", 'label_values(kubesim_region_nodes{scenario=~"$scenario",run=~"$run"}, region)', "Region", multi=True),
    ]},
    "annotations": {"list": [
        {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
         "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
        {"name": "Region outage", "datasource": DS, "enable": True, "hide": False, "iconColor": "red",
         "expr": '1 - kubesim_region_up{%s} > 0' % SELR, "step": "1m",
         "titleFormat": "region {{region}} down ({{run}})", "textFormat": "kubesim_region_up is 0: the region's control plane and nodes are out",
         "tagKeys": "region,scenario,run", "useValueForTime": False},
        {"name": "Nodes not Ready", "datasource": DS, "enable": True, "hide": False, "iconColor": "orange",
         "expr": 'count by (run, region) (kube_node_status_condition{%s,condition="Ready",status!="true"} == 1) > 0' % SELR,
         "step": "1m", "titleFormat": "nodes not Ready in {{region}} ({{run}})",
         "textFormat": "node crash, zone outage or spot interruption", "tagKeys": "region", "useValueForTime": False},
    ]},
    "panels": panels,
}
print(json.dumps(dash, indent=2))
