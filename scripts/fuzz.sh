#!/usr/bin/env bash
# Fuzzes kubesim's loaders with libFuzzer.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Builds the sanitizer build (build-asan: clang, ASan + UBSan, the harnesses
# of tests/fuzz/; the same build scripts/test.sh makes), then runs each
# target (default: all) for SECONDS (default 60), one after the other, one
# process at a time. The working corpus of TARGET is .cache/fuzz/TARGET/,
# seeded from the target's seeds (tests/fuzz/CMakeLists.txt) and kept between
# sessions; the committed seeds are never written. Every crash, timeout,
# out-of-memory or leak input found is copied to tests/fuzz/crashes/TARGET/
# (commit it: the test suite then runs it every time), and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
jobs=$(nproc)

if [[ -f build-asan/CMakeCache.txt ]] && ! grep -q '^CMAKE_C_COMPILER:.*clang' build-asan/CMakeCache.txt; then
  rm -rf build-asan   # an older gcc sanitizer build: the compiler cannot change in place
fi
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKUBESIM_WERROR=ON -DKUBESIM_SANITIZE=ON \
  -DKUBESIM_FUZZ=ON -DKUBESIM_FUZZ_COVERAGE=ON >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(cut -f1 build-asan/tests/fuzz/targets.txt)
fi

found=0
for t in "${targets[@]}"; do
  seeds=$(awk -F'\t' -v t="$t" '$1 == t { print $2 }' build-asan/tests/fuzz/targets.txt)
  [[ -n "$seeds" ]] || { echo "fuzz.sh: no target '$t' (see build-asan/tests/fuzz/targets.txt)" >&2; exit 2; }
  # tmp is this process's own: libFuzzer's fork mode keeps its work there, and
  # two fuzz.sh runs side by side (one per core) must not remove each other's.
  corpus=.cache/fuzz/$t art=.cache/fuzz/artifacts/$t/ tmp=.cache/fuzz/tmp-$$
  mkdir -p "$corpus" "$art" "$tmp"
  rm -f "$art"*
  for f in $seeds tests/fuzz/crashes/"$t"/*; do   # globs: unquoted on purpose
    [[ -f "$f" ]] && cp -n "$f" "$corpus/" 2>/dev/null || true
  done
  echo "== $t: ${secs}s from $(ls "$corpus" | wc -l) inputs" >&2
  # fork=1: one child at a time; a crash is saved and fuzzing goes on.
  TMPDIR=$PWD/$tmp build-asan/tests/fuzz/fuzz_"$t" "$corpus" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 -fork=1 -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -artifact_prefix="$art" -print_final_stats=1 \
    >".cache/fuzz/$t.log" 2>&1 || true
  rm -rf "${tmp:?}"
  new=$(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \
        -o -name 'leak-*' -o -name 'slow-unit-*' \) | sort)
  if [[ -n "$new" ]]; then
    mkdir -p tests/fuzz/crashes/"$t"
    cp $new tests/fuzz/crashes/"$t"/
    echo "fuzz.sh: $t: $(echo "$new" | wc -l) input(s) copied to tests/fuzz/crashes/$t/ (log .cache/fuzz/$t.log)" >&2
    found=1
  fi
  tail -n 3 ".cache/fuzz/$t.log" >&2
done
exit $found
