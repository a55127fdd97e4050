#!/bin/sh
# golden.sh BIN SRC: one line "WHAT sha256" for everything kubesim decides from
# the shipped scenarios and the tests/fixtures cases: each scenario's trace,
# summary (without wall_seconds, the one figure that is a measurement),
# metrics.csv and exported manifests at two seeds; `explain --json` of every
# fixture (with its exit code); the import of tests/fixtures/import. test_golden
# compares the lines with tests/golden/hashes.txt, so a redesign that changes a
# decision fails until its commit regenerates the file and says why.
set -eu
bin=$1 src=$2
h() { sha256sum | cut -c1-64; }
for s in "$src"/scenarios/*.lua; do
    stem=$(basename "$s" .lua)
    for seed in 42 7; do
        d="run-$stem-$seed"
        "$bin" run "$s" --seed "$seed" --out "$d" --quiet --force || [ $? -eq 1 ]
        echo "run/$stem/$seed/trace $(sed -n 's/.*"trace_sha256":[[:space:]]*"\([0-9a-f]*\)".*/\1/p' "$d/summary.json")"
        echo "run/$stem/$seed/summary $(grep -v '"wall_seconds"' "$d/summary.json" | h)"
        echo "run/$stem/$seed/metrics $(h < "$d/metrics.csv")"
        rm -rf "$d"
    done
    e="export-$stem"
    "$bin" export "$s" --out "$e" --quiet --force
    echo "export/$stem $( (cd "$e" && find . -type f ! -name .kubesim | LC_ALL=C sort | while read -r f; do echo "== $f"; cat "$f"; done) | h)"
    rm -rf "$e"
done
for kind in explain:schedule explain_hpa:hpa explain_autoscaler:autoscaler; do
    dir=${kind%%:*} cmd=${kind##*:}
    for f in "$src"/tests/fixtures/"$dir"/*.json; do
        rc=0
        out=$("$bin" explain "$cmd" "$f" --json 2>&1) || rc=$?
        echo "explain/$dir/$(basename "$f" .json) $rc $(printf '%s\n' "$out" | h)"
    done
done
for f in "$src"/tests/fixtures/import/*.yaml; do
    "$bin" import "$f" --out imported.lua 2>/dev/null
    echo "import/$(basename "$f" .yaml) $(h < imported.lua)"
    rm -f imported.lua
done
