#!/usr/bin/env bash
# tests/container/check_runtime_libs.sh KUBESIM SRC
#
# The runtime stage of SRC/Containerfile installs scripts/packages-runtime.txt
# on debian:12-slim (whose packages kubesim may use are listed in
# scripts/packages-base.txt). This checks that those packages cover what the
# built binary KUBESIM loads, with the Debian package database of this
# machine (the build stage's distribution):
#
#  - every library the binary names itself (its DT_NEEDED entries) comes from
#    a package of the runtime or the base list;
#  - every library ldd resolves (the whole tree) comes from one of those or
#    from a package they depend on (Depends and Pre-Depends, followed
#    recursively: apt-get installs them);
#  - the files kubesim opens by path are there too: replay's default font
#    (DejaVuSans.ttf) and the time zones of scenario clocks (tzdata);
#  - Containerfile's build stage installs scripts/packages-build.txt, which
#    scripts/deps.sh also reads, and its runtime stage packages-runtime.txt.
#
# Then it checks that it can fail: with the runtime list less the package of
# each library the binary names, the check must find that library missing.
# Exit 0 when covered, 1 when not (naming library, path and package), 77
# (skipped) without dpkg, ldd or readelf (not a Debian-like machine).
set -uo pipefail
bin=${1:?usage: check_runtime_libs.sh KUBESIM SRC}
src=${2:?usage: check_runtime_libs.sh KUBESIM SRC}
for tool in dpkg dpkg-query ldd readelf; do
  command -v "$tool" >/dev/null || { echo "check_runtime_libs: no $tool here: skipped" >&2; exit 77; }
done

list() { sed 's/#.*//' "$1" | tr -s ' \t' '\n\n' | sed '/^$/d'; }
runtime_list="$src/scripts/packages-runtime.txt"
base_list="$src/scripts/packages-base.txt"
fail=0
problem() { echo "check_runtime_libs: $*" >&2; fail=1; }

# Installed packages and what they provide (for virtual names such as
# libblas.so.3 in a Depends).
declare -A installed provider depends
while IFS=';' read -r pkg status provides deps; do
  [[ "$status" == installed ]] || continue
  installed[$pkg]=1
  depends[$pkg]=$deps
  IFS=',' read -ra prov <<<"$provides"
  for p in "${prov[@]}"; do
    p=${p%%(*}; p=${p// /}
    [[ -n "$p" && -z "${provider[$p]:-}" ]] && provider[$p]=$pkg
  done
done < <(dpkg-query -W -f='${Package};${db:Status-Status};${Provides};${Depends},${Pre-Depends}\n')

# The package that satisfies one alternative group of a Depends field
# ("a (>= 1) | b"): the first installed one, or a provider of a virtual name;
# into $sat ("" when none), without a subshell (it runs for every edge).
satisfier() {
  local alt name alts
  sat=""
  IFS='|' read -ra alts <<<"$1"
  for alt in "${alts[@]}"; do
    name=${alt%%(*}; name=${name// /}; name=${name%%:*}
    [[ -n "${installed[$name]:-}" ]] && { sat=$name; return; }
    [[ -n "${provider[$name]:-}" ]] && { sat=${provider[$name]}; return; }
  done
}

# The runtime list, its dependencies (recursively), and the base list.
# $1: the runtime list file. Sets the associative array `covered`.
declare -A covered direct
closure() {
  covered=() direct=()
  local queue=() pkg group groups head=0
  for pkg in $(list "$1"); do
    [[ -n "${installed[$pkg]:-}" ]] || problem "$1: $pkg is not installed here, so what it covers cannot be checked (scripts/deps.sh installs the build's packages, whose libraries these are)"
    queue+=("$pkg"); direct[$pkg]=1
  done
  for pkg in $(list "$base_list"); do covered[$pkg]=1; direct[$pkg]=1; done
  while [[ $head -lt ${#queue[@]} ]]; do
    pkg=${queue[$head]}; head=$((head + 1))
    [[ -n "${covered[$pkg]:-}" ]] && continue
    covered[$pkg]=1
    [[ -n "${installed[$pkg]:-}" ]] || continue
    IFS=',' read -ra groups <<<"${depends[$pkg]}"
    for group in "${groups[@]}"; do
      [[ -z "${group// /}" ]] && continue
      satisfier "$group"
      [[ -n "$sat" && -z "${covered[$sat]:-}" ]] && queue+=("$sat")
    done
  done
}

# The package owning a file, through Debian 12's merged /usr (the database
# may name /lib/... for /usr/lib/... and the reverse) and through symlinks
# (the BLAS and LAPACK alternatives). One `dpkg -S` for every candidate path
# (it reads the whole file database each time).
declare -A path_pkg realpath_of
cand=()
candidates() {   # into $cand, without a subshell
  local p
  cand=()
  for p in "$1" "${realpath_of[$1]:-$1}"; do
    case "$p" in /usr/*) cand+=("$p" "${p#/usr}") ;; *) cand+=("$p" "/usr$p") ;; esac
  done
}
lookup() {   # $@: files
  local f line pkgs path all=() reals
  mapfile -t reals < <(realpath -m -- "$@")
  for ((i = 0; i < $#; i++)); do
    f=${*:i+1:1}
    realpath_of[$f]=${reals[$i]}
    candidates "$f"
    all+=("${cand[@]}")
  done
  while IFS= read -r line; do
    pkgs=${line%%: /*}; path=/${line#*: /}
    [[ "$pkgs" == "$line" || "$pkgs" == diversion* ]] && continue
    pkgs=${pkgs%%,*}
    path_pkg[$path]=${pkgs%%:*}
  done < <(dpkg -S "${all[@]}" 2>/dev/null)
}
owner() {
  local p
  candidates "$1"
  for p in "${cand[@]}"; do
    [[ -n "${path_pkg[$p]:-}" ]] && { echo "${path_pkg[$p]}"; return; }
  done
}

# ldd's answer once: "NAME PATH" a line.
[[ -x "$bin" ]] || { echo "check_runtime_libs: $bin: not an executable" >&2; exit 1; }
mapfile -t libs < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3; next } $1 ~ /^\// { print $1, $1 }')
[[ ${#libs[@]} -gt 3 ]] || { echo "check_runtime_libs: ldd $bin found ${#libs[@]} libraries: $(ldd "$bin" 2>&1)" >&2; exit 1; }
mapfile -t needed < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
files=(/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/zoneinfo/America/New_York)
lookup "${files[@]}" $(for l in "${libs[@]}"; do echo "${l#* }"; done)
declare -A pkg_of
for l in "${libs[@]}"; do
  name=${l%% *}; path=${l#* }
  p=$(owner "$path")
  [[ -n "$p" ]] || { problem "$name ($path) belongs to no Debian package"; continue; }
  pkg_of[$name]=$p
done

# Files kubesim opens by path: replay's default font, a scenario clock's zone.
declare -A file_pkg
for f in "${files[@]}"; do
  file_pkg[$f]=$(owner "$f")
done

# $1: runtime list. Prints one line per library or file it leaves out (run
# in this shell, not in $(...): it sets `covered`).
check() {
  closure "$1"
  local name path p n
  for n in "${needed[@]}"; do
    p=${pkg_of[$n]:-}
    [[ -z "$p" ]] && { echo "$n: kubesim needs it and ldd did not resolve it"; continue; }
    [[ -n "${direct[$p]:-}" ]] || echo "$n: kubesim needs it; it is in $p, which neither $(basename "$1") nor packages-base.txt lists"
  done
  for l in "${libs[@]}"; do
    name=${l%% *}; path=${l#* }
    p=${pkg_of[$name]:-}
    [[ -z "$p" || -n "${covered[$p]:-}" ]] && continue
    echo "$name ($path): in $p, which neither $(basename "$1"), the packages they depend on nor packages-base.txt holds"
  done
  for f in "${!file_pkg[@]}"; do
    p=${file_pkg[$f]}
    [[ -n "$p" ]] || { echo "$f: not installed here"; continue; }
    [[ -n "${direct[$p]:-}" ]] || echo "$f: kubesim opens it; it is in $p, which $(basename "$1") does not list"
  done
}

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.out"' EXIT
check "$runtime_list" >"$tmp.out"
out=$(cat "$tmp.out")
[[ -z "$out" ]] || problem "the runtime packages miss:"$'\n'"$out"
echo "check_runtime_libs: ${#libs[@]} libraries (${#needed[@]} named by kubesim), ${#covered[@]} packages in the runtime image's closure"

# The lists are the ones the Containerfile and deps.sh use.
cf="$src/Containerfile"
grep -q '^FROM debian:12 AS build' "$cf" || problem "$cf: no 'FROM debian:12 AS build' stage"
grep -q '^FROM debian:12-slim AS runtime' "$cf" || problem "$cf: no 'FROM debian:12-slim AS runtime' stage"
grep -q 'packages-build.txt' "$cf" || problem "$cf: the build stage does not install scripts/packages-build.txt"
grep -q 'packages-runtime.txt' "$cf" || problem "$cf: the runtime stage does not install scripts/packages-runtime.txt"
grep -q '^USER 65532' "$cf" || problem "$cf: does not run as user 65532 (the runAsUser of export-sweep's pods)"
grep -q 'packages-build.txt' "$src/scripts/deps.sh" || problem "scripts/deps.sh does not read scripts/packages-build.txt"

# The check can fail: each package that holds a library kubesim names,
# taken out of the list, is missed.
for pkg in $(list "$runtime_list"); do
  hit=""
  for n in "${needed[@]}"; do [[ "${pkg_of[$n]:-}" == "$pkg" ]] && hit=$n; done
  [[ -n "$hit" ]] || continue
  list "$runtime_list" | grep -vx "$pkg" >"$tmp"
  check "$tmp" >"$tmp.out"
  out=$(cat "$tmp.out")
  grep -q "^$hit: kubesim needs it; it is in $pkg," <<<"$out" ||
    problem "without $pkg in the list, $hit was not reported missing (the check cannot fail): $out"
done
exit $fail
