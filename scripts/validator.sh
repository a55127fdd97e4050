#!/usr/bin/env bash
# Installs ../shared/validate-manifests (the offline Kubernetes manifest
# validator) into .cache/validate-manifests of this checkout, with npm ci from
# its pinned package-lock.json, so ../shared stays untouched. Does nothing
# when the installed copy is current. Prints the path of its .mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
src=../shared/validate-manifests
dst=.cache/validate-manifests
[[ -f $src/validate-manifests.mjs ]] || { echo "validator.sh: $src is missing" >&2; exit 2; }
if [[ ! -d $dst/node_modules ]] || ! cmp -s "$src/package-lock.json" "$dst/package-lock.json" ||
   ! cmp -s "$src/validate-manifests.mjs" "$dst/validate-manifests.mjs"; then
  rm -rf "$dst"
  mkdir -p "$dst"
  cp "$src/package.json" "$src/package-lock.json" "$src/validate-manifests.mjs" "$dst/"
  (cd "$dst" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
echo "$PWD/$dst/validate-manifests.mjs"
