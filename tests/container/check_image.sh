#!/usr/bin/env bash
# tests/container/check_image.sh SRC WORKDIR
#
# Builds SRC/Containerfile (docker, or podman) and runs the image as a
# cluster would: `kubesim --version` as its non-root user, a short run of a
# shipped scenario from the image's own copy, and the two shards of a sweep
# writing into a mounted folder, merged by `kubesim sweep --merge` in the
# image, compared with the same sweep run in one piece in the image.
#
# It pulls debian:12 and debian:12-slim and installs packages from the
# Debian archive, so it runs only when asked: KUBESIM_TEST_IMAGE=1 (and a
# container engine that answers). Otherwise exit 77 (skipped), never pass.
set -euo pipefail
src=${1:?usage: check_image.sh SRC WORKDIR}
work=${2:?usage: check_image.sh SRC WORKDIR}
if [[ "${KUBESIM_TEST_IMAGE:-}" != 1 ]]; then
  echo "check_image: set KUBESIM_TEST_IMAGE=1 to build and run the image (it pulls debian:12 and debian:12-slim): skipped" >&2
  exit 77
fi
engine=""
for e in docker podman; do
  if command -v "$e" >/dev/null && "$e" info >/dev/null 2>&1; then engine=$e; break; fi
done
[[ -n "$engine" ]] || { echo "check_image: no docker or podman that answers: skipped" >&2; exit 77; }

tag=kubesim-test:check
rm -rf "$work" && mkdir -p "$work/results"
chmod 0777 "$work/results"   # written by the image's user 65532
"$engine" build -f "$src/Containerfile" -t "$tag" "$src"
run() { "$engine" run --rm --read-only --tmpfs /tmp -v "$work/results:/results" -w /results "$tag" "$@"; }

v=$(run --version)
[[ "$v" == kubesim* ]] || { echo "check_image: --version printed '$v'" >&2; exit 1; }
[[ $("$engine" run --rm --entrypoint id "$tag" -u) == 65532 ]] || { echo "check_image: the image does not run as 65532" >&2; exit 1; }
run run /usr/local/share/kubesim/scenarios/quota_contention.lua --set scenario.duration=10m --quiet --out /results/run
test -s "$work/results/run/summary.json"
vary=(--vary surge=5,10 --vary gpu-us-east.max=2,4)
run sweep "${vary[@]}" --set scenario.duration=20m --shard 0/2 --jobs 1 --quiet --out /results/shards/0
run sweep "${vary[@]}" --set scenario.duration=20m --shard 1/2 --jobs 1 --quiet --out /results/shards/1
run sweep --merge /results/shards/0 /results/shards/1 --quiet --out /results/merged
run sweep "${vary[@]}" --set scenario.duration=20m --quiet --out /results/whole || true   # exit 1: none passes
diff -r "$work/results/merged" "$work/results/whole"
echo "check_image: $engine built $tag; $v runs as 65532; the shards merge into the whole sweep"
