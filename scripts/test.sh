#!/usr/bin/env bash
# The whole test suite, as README.md gives it: installs what is missing,
# installs ../shared/validate-manifests into .cache/, builds twice (normal
# with -Werror, and with AddressSanitizer + UndefinedBehaviorSanitizer) and
# runs every CTest suite in both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
scripts/validator.sh >/dev/null   # the manifest validator, for the export tests
jobs=$(nproc)

echo "== normal build" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKUBESIM_WERROR=ON
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== sanitizer build (ASan + UBSan)" >&2
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKUBESIM_WERROR=ON -DKUBESIM_SANITIZE=ON
cmake --build build-asan -j "$jobs"
(cd build-asan && ctest --output-on-failure -j "$jobs")
