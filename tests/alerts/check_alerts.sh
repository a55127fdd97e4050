#!/usr/bin/env bash
# check_alerts.sh KUBESIM SRC WORKDIR: the alert rules of `kubesim export
# --alerts` and the test file of `kubesim run --alerts-test`, checked with the
# real promtool (issue 17, item 4):
#   1. `promtool check rules` passes on every shipped scenario's alerts.rules.yaml
#      and on the groups of each region's PrometheusRule;
#   2. `promtool test rules` passes on the built-in scenario's generated test,
#      and on quota_contention's, where quota alerts fire;
#   3. its expected SLO alert is the surge's: us-east quant-api firing in the
#      minutes an independent reading of metrics.csv gives (p95 over 150 ms
#      for 3 consecutive samples, `for: 3m`), inside the surge;
#   4. promtool FAILS when the expectation is wrong: an eval_time one minute
#      early, the wrong service, a rule without its `for:`.
# Exit 77 (skipped) when promtool is missing; 1 on a failed check.
set -euo pipefail
bin=$1 src=$2 work=$3
command -v promtool >/dev/null || { echo "check_alerts: promtool not installed (scripts/deps.sh --test)"; exit 77; }
command -v python3 >/dev/null || { echo "check_alerts: python3 not installed"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"
fail() { echo "check_alerts: FAIL: $*" >&2; exit 1; }

# 1. every shipped scenario's rules, plain and as PrometheusRule groups
n=0
files=()
for s in "$src"/scenarios/*.lua; do
  name=$(basename "$s" .lua)
  "$bin" export "$s" --alerts --out "ex-$name" --quiet
  files+=("ex-$name/alerts.rules.yaml")
  for pr in "ex-$name"/*/prometheusrules.yaml; do
    grep -q '^kind: PrometheusRule$' "$pr" || fail "$pr: not a PrometheusRule"
    grep -q -- '- prometheusrules.yaml' "$(dirname "$pr")/kustomization.yaml" || fail "$pr: not in the kustomization"
    sed -n '/^spec:$/,$p' "$pr" | tail -n +2 | sed 's/^  //' >"$pr.groups.yaml"
    files+=("$pr.groups.yaml")
  done
  n=$((n + 1))
done
promtool check rules "${files[@]}" >rules.out 2>&1 || fail "promtool check rules: $(grep -B2 -A3 FAILED rules.out)"
[[ $(grep -c SUCCESS rules.out) -eq ${#files[@]} ]] || fail "promtool checked $(grep -c SUCCESS rules.out) of ${#files[@]} files"
[[ $n -ge 6 ]] || fail "only $n shipped scenarios"

# 2. the built-in scenario's test passes
mkdir at
"$bin" run --out run --alerts-test at/test.yaml --quiet
promtool test rules at/test.yaml || fail "promtool test rules at/test.yaml"

# 2b. a quota scenario: its quota alerts fire, and promtool agrees
mkdir qt
"$bin" run "$src/scenarios/quota_contention.lua" --out run-quota --alerts-test qt/test.yaml --quiet
promtool test rules qt/test.yaml || fail "promtool test rules qt/test.yaml"
# (counted, not `grep -q`: under pipefail, grep -q's early exit can kill the
# first grep with SIGPIPE and fail the pipeline although it matched)
quota_alerts=$(grep -A12 'alertname: KubesimQuotaNearLimit' qt/test.yaml | grep -c 'resourcequota: ' || true)
[[ $quota_alerts -gt 0 ]] || fail "no quota alert fires in quota_contention"

# 3. the SLO alert fires in the surge's minutes, as metrics.csv says
python3 - run/metrics.csv at/test.yaml <<'PY' || fail "the SLO alert's minutes"
import csv, re, sys
over = {}
for r in csv.DictReader(open(sys.argv[1])):
    if r["object"] == "service" and r["metric"] == "latency_p95_ms" and r["region"] == "us-east":
        over[int(float(r["t_seconds"])) // 60] = float(r["value"]) > 150
firing, run = set(), 0
for m in range(max(over) + 1):
    run = run + 1 if over.get(m) else 0
    if run >= 4:            # active at the first, firing 3 minutes later
        firing.add(m)
assert firing, "the surge never breaks the SLO for 3 minutes"
assert all(150 <= m < 210 for m in firing), f"firing outside the surge (09:30-10:30): {sorted(firing)}"
text = open(sys.argv[2]).read()
tests = re.findall(r'- eval_time: "?(\d+)m"?\n\s+alertname: KubesimSLOLatencyOverTarget\n\s+exp_alerts:(.*?)(?=\n  - eval_time|\Z)',
                   text, re.S)
assert tests, "no SLO alert test in the file"
for minute, body in tests:
    m = int(minute)
    fires = "service: quant-api" in body and "region: us-east" in body
    assert fires == (m in firing), f"minute {m}: file says firing={fires}, metrics say {m in firing}"
starts = sorted(m for m in firing if m - 1 not in firing)
assert any(int(mm) == starts[0] for mm, _ in tests), f"no test at the first firing minute {starts[0]}"
print("SLO alert fires at minutes", sorted(firing))
PY

# 4. wrong expectations fail
first=$(grep -B0 -A3 'alertname: KubesimSLOLatencyOverTarget' at/test.yaml | grep -c 'exp_labels' || true)
[[ $first -ge 1 ]] || fail "no firing SLO alert expected"
python3 - at/test.yaml <<'PY'
import re, sys
t = open(sys.argv[1]).read()
# the first eval_time whose SLO expectation is non-empty, one minute earlier
m = re.search(r'- eval_time: "?(\d+)m"?\n(\s+alertname: KubesimSLOLatencyOverTarget\n\s+exp_alerts:\n\s+- exp_labels)', t)
early = t[:m.start()] + f'- eval_time: "{int(m.group(1)) - 1}m"\n' + m.group(2) + t[m.end():]
open("at/early.yaml", "w").write(early)
open("at/service.yaml", "w").write(t.replace("service: quant-api", "service: other-api", 1))
PY
sed 's/for: "3m"/for: "0m"/' at/alerts.rules.yaml >at/nofor.rules.yaml
sed 's/^- alerts.rules.yaml$/- nofor.rules.yaml/' at/test.yaml >at/nofor.yaml
for bad in early service nofor; do
  if promtool test rules "at/$bad.yaml" >"at/$bad.out" 2>&1; then
    fail "promtool test rules passed at/$bad.yaml, a wrong expectation"
  fi
  grep -q 'alertname: KubesimSLOLatencyOverTarget, time:' "at/$bad.out" ||
    fail "at/$bad.yaml failed for another reason than the alert: $(head -3 "at/$bad.out")"
done
echo "check_alerts: ok ($n scenarios' rules; the built-in's alert test and three broken copies)"
