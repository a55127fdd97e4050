#!/usr/bin/env bash
# The whole test suite, as README.md gives it: installs what is missing,
# installs ../shared/validate-manifests into .cache/, builds twice (normal
# with -Werror; and with clang, AddressSanitizer + UndefinedBehaviorSanitizer
# and the libFuzzer harnesses of tests/fuzz/, also with -Werror) and runs
# every CTest suite in both builds. In the sanitizer build each fuzz target
# runs once over its seeds and every crash input kept in tests/fuzz/crashes/.
#
# The sanitizer build compiles while the normal build's tests run (they wait
# on files and child processes much of the time), and is optimised at -O1
# with assertions on (Debug's -g, no NDEBUG): AddressSanitizer's own advice,
# about three times faster than -O0 for the same checks. The harnesses are
# built without libFuzzer's coverage instrumentation (KUBESIM_FUZZ_COVERAGE=OFF:
# replaying their inputs needs none, and it made every suite of the build
# about three times slower; scripts/fuzz.sh turns it back on). The tests that
# check outputs with external tools (Chromium, Prometheus, promtool, kubectl)
# run in the normal build only (tests/CMakeLists.txt). Each phase's time goes
# to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
scripts/validator.sh >/dev/null   # the manifest validator, for the export tests
jobs=$(nproc)
t0=$SECONDS
phase() { echo "== $1 ($((SECONDS - t0)) s since the start)" >&2; }

phase "normal build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKUBESIM_WERROR=ON
cmake --build build -j "$jobs"

# clang's UBSan checks more than gcc's (float-to-integer casts, pointer
# overflow); the compiler of a build folder cannot change in place.
if [[ -f build-asan/CMakeCache.txt ]] && ! grep -q '^CMAKE_C_COMPILER:.*clang' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
phase "sanitizer build (clang, ASan + UBSan, fuzz harnesses) in the background, log in build-asan/build.log"
mkdir -p build-asan && rm -f build-asan/build.log
# In its own process group (setsid), so that it can be stopped whole.
setsid bash -c 'CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
    -DKUBESIM_WERROR=ON -DKUBESIM_SANITIZE=ON -DKUBESIM_FUZZ=ON -DKUBESIM_FUZZ_COVERAGE=OFF \
    && cmake --build build-asan -j "$1"' _ "$jobs" \
  >build-asan/build.log 2>&1 &
asan=$!
# Whatever happens next, the background build does not outlive this script.
trap 'kill -- -"$asan" 2>/dev/null || true' EXIT

phase "normal build: tests"
(cd build && ctest --output-on-failure -j "$jobs")
phase "normal build: tests passed; waiting for the sanitizer build"
built=0
wait "$asan" || built=$?
trap - EXIT
if [[ $built -ne 0 ]]; then
  tail -n 60 build-asan/build.log >&2
  echo "test.sh: the sanitizer build failed (exit $built; all of it in build-asan/build.log)" >&2
  exit 1
fi

phase "sanitizer build: tests"
(cd build-asan && ctest --output-on-failure -j "$jobs")
phase "done"
