#!/usr/bin/env bash
# The whole test suite, as README.md gives it: installs what is missing,
# installs ../shared/validate-manifests into .cache/, builds twice (normal
# with -Werror; and with clang, AddressSanitizer + UndefinedBehaviorSanitizer
# and the libFuzzer harnesses of tests/fuzz/, also with -Werror) and runs
# every CTest suite in both builds. In the sanitizer build each fuzz target
# runs once over its seeds and every crash input kept in tests/fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
scripts/validator.sh >/dev/null   # the manifest validator, for the export tests
jobs=$(nproc)

echo "== normal build" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKUBESIM_WERROR=ON
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== sanitizer build (clang, ASan + UBSan, fuzz harnesses)" >&2
# clang's UBSan checks more than gcc's (float-to-integer casts, pointer
# overflow); the compiler of a build folder cannot change in place.
if [[ -f build-asan/CMakeCache.txt ]] && ! grep -q '^CMAKE_C_COMPILER:.*clang' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKUBESIM_WERROR=ON -DKUBESIM_SANITIZE=ON \
  -DKUBESIM_FUZZ=ON
cmake --build build-asan -j "$jobs"
(cd build-asan && ctest --output-on-failure -j "$jobs")
