#!/usr/bin/env bash
# Looks at report.html and sweep.html as a person would: headless Chromium
# takes a screenshot of each (kept next to the pages for a human to open) and
# renders a copy with a checker script that writes into the DOM every table
# wider than its card and every chart with no drawn line. The pages
# themselves carry no script; only the copy does.
#   check_pages.sh KUBESIM_BIN OUTDIR
# Exit 0 all good, 1 a problem found, 77 (skipped) when chromium is absent.
set -euo pipefail
bin=$1 out=$2
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z "$chrome" ]]; then
  echo "SKIP: chromium not installed (scripts/deps.sh --test installs it)" >&2
  exit 77
fi
rm -rf "$out" && mkdir -p "$out"
"$bin" run --quiet --force --out "$out/run" >/dev/null
"$bin" sweep --vary cpu-us-east.max=8,12 --quiet --force --out "$out/sweep" >/dev/null

# The checker (checker.js) is appended to a copy of each page.
here=$(cd "$(dirname "$0")" && pwd)
# One page: a screenshot at a desktop width, then the DOM check of a copy
# at a narrower one (tables must fit there too). Chromium takes seconds to
# start, so the two pages run side by side.
look() {
  local page=$1 name
  name=$(basename "$page" .html)
  "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --window-size=1280,2400 --screenshot="$out/$name.png" "file://$out/$page" >/dev/null 2>&1 || true
  [[ -s "$out/$name.png" ]] || echo "BAD no screenshot" > "$out/$name.result"
  { cat "$out/$page"; printf '<script>\n'; cat "$here/checker.js"; printf '</script>\n'; } \
    > "$out/$name-check.html"
  "$chrome" --headless --no-sandbox --disable-gpu --no-first-run --window-size=900,2400 \
    --virtual-time-budget=2000 --dump-dom "file://$out/$name-check.html" 2>/dev/null \
    | sed -n '/<pre id="kubesim-check">/,/<\/pre>/p' | sed 's/<[^>]*>//g' >> "$out/$name.result"
}

look run/report.html & look sweep/sweep.html & wait
status=0
for name in report sweep; do
  result=$(cat "$out/$name.result")
  echo "$name: $(tr '\n' ';' <<<"$result")"
  if ! grep -q '^CHARTS [1-9]' <<<"$result"; then echo "FAIL $name: no chart, or the checker did not run" >&2; status=1; fi
  if grep -q 'BAD ' <<<"$result"; then grep 'BAD ' <<<"$result" | sed "s/^/FAIL $name: /" >&2; status=1; fi
done
echo "screenshots: $out/report.png $out/sweep.png"
exit $status
