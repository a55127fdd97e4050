#!/usr/bin/env bash
# tests/container/check_rootfs.sh BUILD SRC WORK CACHE
#
# The runtime stage of SRC/Containerfile, built and run for real without a
# container engine: a Debian 12 root file system made by mmdebstrap the way
# debian:12-slim is made (variant minbase, the slim image's dpkg excludes and
# apt settings), then the runtime stage's own instructions, read from the
# Containerfile and carried out in it: COPY of the package list, RUN (as
# root, through the root's /bin/sh, as `docker build` runs it: apt-get
# installs the runtime packages, groupadd and useradd make user 65532),
# COPY --from=build of `cmake --install BUILD` (the build stage's
# /opt/kubesim), WORKDIR, USER, ENTRYPOINT and CMD. An instruction it does
# not know, a base other than debian:12-slim, or a COPY --from whose source
# is not the build stage's install prefix fails the test, so the
# Containerfile cannot drift away from what is checked here.
#
# Then it runs the image as export-sweep's pods do: read-only root, as the
# Containerfile's USER, in its WORKDIR, with the ENTRYPOINT, no capabilities
# (a non-root uid, no_new_privs), a /proc of its own, /results mounted
# writable and the scenario ConfigMap read-only at /scenario:
#
#  - `kubesim --version` (and CMD's --help) print what the built binary
#    prints; `id` says the USER; ldd finds every library inside the root;
#    no compiler or -dev package is in it;
#  - every shipped scenario, run from /usr/local/share/kubesim/scenarios,
#    writes the same bytes as the same binary run on this machine (the
#    CronJob time zones, the backtest kernels' BLAS and LAPACK); a replay
#    --png frame is the same PNG (the DejaVu font, SDL_image); export,
#    import and export-sweep write the same files (libyaml);
#  - `kubesim export-sweep` of a shipped scenario: its shard Job's command
#    and args run once per index with JOB_COMPLETION_INDEX set (and $(...)
#    expanded as the kubelet does), its merge Job's /bin/sh script runs
#    kubesim sweep --merge, and the merged folder equals the whole sweep run
#    in the image byte for byte, and the same sweep run on this machine
#    (sweep.json's "path" aside: the scenario is at /scenario there).
#
# The root after the cacheable instructions (FROM to the last one before
# COPY --from) is kept in CACHE/KEY/, KEY a hash of those instructions, the
# files they copy and this script's way of building it; a re-run copies it
# with hard links (seconds); KUBESIM_ROOTFS_CACHE=DIR keeps it elsewhere,
# e.g. for a CI that starts from a fresh build folder. Runs as root
# (mmdebstrap, chroot, mounts); exit 77 (skipped) when not root, without
# mmdebstrap/unshare/chroot, or when the Debian mirror cannot be reached; 1
# on any difference.
set -euo pipefail
build=${1:?usage: check_rootfs.sh BUILD SRC WORK CACHE}
src=${2:?usage: check_rootfs.sh BUILD SRC WORK CACHE}
work=${3:?usage: check_rootfs.sh BUILD SRC WORK CACHE}
cache=${4:?usage: check_rootfs.sh BUILD SRC WORK CACHE}
cache=${KUBESIM_ROOTFS_CACHE:-$cache}   # a cache that outlives the build folder (CI)
me=check_rootfs
skip() { echo "$me: $*: skipped" >&2; exit 77; }
die() { echo "$me: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || skip "needs root (mmdebstrap, chroot and mount namespaces)"
for t in mmdebstrap unshare chroot mount setpriv flock cmake sha256sum; do
  command -v "$t" >/dev/null || skip "no $t here (scripts/deps.sh --test installs mmdebstrap)"
done
unshare --mount --pid --fork true 2>/dev/null || skip "cannot make mount and pid namespaces here"
cf="$src/Containerfile"
[[ -f "$cf" ]] || die "$cf: missing"
mkdir -p "$work" "$cache"
work=$(realpath "$work") cache=$(realpath "$cache") build=$(realpath "$build") src=$(realpath "$src")
cf="$src/Containerfile"

# ---------------------------------------------------------------------------
# The Containerfile, as instructions: continuation lines joined, comments
# dropped (as the Dockerfile parser does), one "LINE<TAB>INSTR<TAB>ARGS" each.
mapfile -t instrs < <(awk '
  /^[ \t]*#/ { next }
  { line = $0 }
  cont == "" { start = NR }
  /\\[ \t]*$/ { sub(/\\[ \t]*$/, "", line); cont = cont line " "; next }
  { full = cont line; cont = ""
    sub(/^[ \t]+/, "", full); sub(/[ \t]+$/, "", full); if (full == "") next
    match(full, /^[^ \t]+[ \t]*/); instr = toupper(substr(full, 1, RLENGTH)); sub(/[ \t]+$/, "", instr)
    printf "%d\t%s\t%s\n", start, instr, substr(full, RLENGTH + 1) }' "$cf")
[[ ${#instrs[@]} -gt 0 ]] || die "$cf: no instructions"

# The stages: the build stage's install prefix, the runtime stage = the last.
runtime_at=-1 build_prefix="" build_stage=""
install_re='cmake --install [^ ]+ --prefix ([^ ]+)'
stage=""
for i in "${!instrs[@]}"; do
  IFS=$'\t' read -r ln ins args <<<"${instrs[$i]}"
  if [[ "$ins" == FROM ]]; then
    read -r -a w <<<"$args"
    stage=${w[2]:-}
    [[ "${w[1]:-}" == [Aa][Ss] ]] || stage=""
    runtime_at=$i
  elif [[ "$ins" == RUN && "$args" =~ $install_re ]]; then
    build_prefix=${BASH_REMATCH[1]} build_stage=$stage
  fi
done
IFS=$'\t' read -r from_ln _ from_args <<<"${instrs[$runtime_at]}"
read -r -a w <<<"$from_args"
base=${w[0]}
# debian:12-slim is what this test knows how to make; another base is a
# change the test has to learn first.
[[ "$base" == debian:12-slim ]] ||
  die "$cf:$from_ln: FROM: the runtime stage is based on '$base'; this test builds debian:12-slim (bookworm, minbase, slim) and must be taught another base"
[[ -n "$build_prefix" ]] || die "$cf: no 'cmake --install DIR --prefix PREFIX' in a RUN of the build stage"

# The runtime stage's instructions: those before the first COPY --from are
# cached; the rest are carried out on every run.
declare -a cached=() rest=()
seen_from=0
for ((i = runtime_at + 1; i < ${#instrs[@]}; i++)); do
  IFS=$'\t' read -r ln ins args <<<"${instrs[$i]}"
  [[ "$ins" == COPY && "$args" == --from=* ]] && seen_from=1
  if [[ $seen_from -eq 0 ]]; then cached+=("${instrs[$i]}"); else rest+=("${instrs[$i]}"); fi
done

# ---------------------------------------------------------------------------
# The slim image's settings (debuerreotype's, which builds the official
# Debian images): dpkg leaves out documentation, manuals and translations, apt
# fetches no translations and keeps no packages, no service starts.
slim_dpkg=(
  'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright'
  'path-exclude=/usr/share/groff/*' 'path-exclude=/usr/share/info/*'
  'path-exclude=/usr/share/linda/*' 'path-exclude=/usr/share/lintian/overrides/*'
  'path-exclude=/usr/share/locale/*' 'path-include=/usr/share/locale/locale.alias'
  'path-exclude=/usr/share/man/*'
  'force-unsafe-io'   # no fsync after each package (the image's docker-apt-speedup)
)
slim_apt=('Acquire::Languages "none";' 'Acquire::GzipIndexes "true";'
          'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };')
mirror=${KUBESIM_DEBIAN_MIRROR:-}   # empty: mmdebstrap's default (deb.debian.org, with -updates and -security)
recipe="check_rootfs 1|mmdebstrap --variant=minbase bookworm $mirror|${slim_dpkg[*]}|${slim_apt[*]}|$from_args"

# The files the cached COPY instructions read go into the key too.
key_input=$recipe
for c in "${cached[@]}"; do
  IFS=$'\t' read -r ln ins args <<<"$c"
  key_input+=$'\n'"$ins $args"
  if [[ "$ins" == COPY ]]; then
    read -r -a w <<<"$args"
    for ((j = 0; j < ${#w[@]} - 1; j++)); do
      [[ -f "$src/${w[$j]}" ]] || die "$cf:$ln: COPY: $src/${w[$j]} is not a file (the test copies files only)"
      key_input+=$'\n'"$(sha256sum <"$src/${w[$j]}")"
    done
  fi
done
key=$(sha256sum <<<"$key_input" | cut -c1-16)

# Network failures (mmdebstrap's or the RUN's apt-get) skip; others fail.
offline() { grep -Eq "Temporary failure resolving|Could not resolve|Failed to fetch|Unable to connect|Connection failed|Network is unreachable|Could not connect|No route to host|Connection timed out" "$1"; }

# inroot ROOT UID GID RO CWD NBINDS [HOST DEST MODE]... [NAME=VALUE]... -- CMD...
# (MODE rw, ro, or tmpfs: an empty tmpfs at DEST, HOST unused)
# Runs CMD in ROOT in a mount and pid namespace of its own, with /proc and
# /dev, as UID:GID (no_new_privs), in CWD, with only the given environment
# (plus PATH, HOME and HOSTNAME), the root read-only when RO is 1.
inroot_ns() {
  set -e
  local root=$1 uid=$2 gid=$3 ro=$4 cwd=$5 n=$6
  shift 6
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount -o remount,bind,ro "$root/sys"
  mount -t tmpfs -o mode=0755,nosuid dev "$root/dev"
  local d
  for d in null zero full random urandom tty; do
    touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"
  done
  mkdir -p "$root/dev/shm" "$root/dev/pts"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
  ln -s /proc/self/fd "$root/dev/fd"
  for ((; n > 0; n--)); do
    if [[ "$3" == tmpfs ]]; then mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root$2"
    else mount --bind "$1" "$root$2"; fi
    [[ "$3" == ro ]] && mount -o remount,bind,ro "$root$2"
    shift 3
  done
  [[ "$ro" == 1 ]] && mount -o remount,bind,ro "$root"
  local env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=kubesim-check)
  while [[ "$1" != -- ]]; do env+=("$1"); shift; done
  shift
  local home
  home=$(awk -F: -v u="$uid" '$3 == u { print $6 }' "$root/etc/passwd")
  env+=("HOME=${home:-/}")
  if [[ "$uid" == 0 ]]; then
    exec chroot "$root" /usr/bin/env -i -C "$cwd" "${env[@]}" "$@"
  fi
  exec setpriv --no-new-privs chroot --userspec="$uid:$gid" --groups="$gid" "$root" \
    /usr/bin/env -i -C "$cwd" "${env[@]}" "$@"
}
inroot() {
  timeout 600 unshare --mount --pid --fork --kill-child bash -c "$(declare -f inroot_ns); inroot_ns \"\$@\"" inroot "$@"
}

# ---------------------------------------------------------------------------
# The cached root: mmdebstrap, then the cacheable instructions as root.
run_instr() {   # ROOT LINE INSTR ARGS LOG: one instruction into ROOT
  local root=$1 ln=$2 ins=$3 args=$4 log=$5 w j dest
  case "$ins" in
    COPY)
      read -r -a w <<<"$args"
      [[ "${w[0]}" != --* ]] || die "$cf:$ln: COPY: option ${w[0]} (the test knows COPY --from=$build_stage only)"
      dest=${w[-1]}
      for ((j = 0; j < ${#w[@]} - 1; j++)); do
        if [[ "$dest" == */ ]]; then install -D -m 0644 "$src/${w[$j]}" "$root$dest$(basename "${w[$j]}")"
        else install -D -m 0644 "$src/${w[$j]}" "$root$dest"; fi
      done ;;
    RUN)
      [[ "$args" != \[* ]] || die "$cf:$ln: RUN: the exec form is not emulated here"
      echo "$me: $cf:$ln: RUN $args" >>"$log"
      if ! inroot "$root" 0 0 0 / 1 /etc/resolv.conf /etc/resolv.conf ro -- /bin/sh -c "$args" >>"$log" 2>&1; then
        offline "$log" && skip "$cf:$ln: RUN could not reach the Debian mirror (see $log)"
        tail -30 "$log" >&2
        die "$cf:$ln: RUN failed in the root (log: $log)"
      fi ;;
    LABEL) ;;
    *) die "$cf:$ln: $ins before COPY --from: not emulated by this test (teach it)" ;;
  esac
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # one build of the root at a time
croot="$cache/$key/root"
# A root older than a week is made again, as an image is rebuilt: the
# archive's updates reach this machine's libraries, whose bytes the runs
# are compared with.
if [[ -f "$cache/$key/ok" && -n $(find "$cache/$key/ok" -mtime +"${KUBESIM_ROOTFS_MAX_AGE_DAYS:-7}") ]]; then
  rm -f "$cache/$key/ok"
fi
if [[ ! -f "$cache/$key/ok" ]]; then
  for old in "$cache"/*; do [[ -e "$old" ]] && rm -rf "$old"; done   # an older key's root
  mkdir -p "$cache/$key"
  log="$cache/$key/build.log"
  aptopts=() dpkgopts=()
  for o in "${slim_apt[@]}"; do aptopts+=(--aptopt="$o"); done
  for o in "${slim_dpkg[@]}"; do dpkgopts+=(--dpkgopt="$o"); done
  echo "$me: building the debian:12-slim root in $croot (mmdebstrap; log $log)" >&2
  # shellcheck disable=SC2086
  if ! mmdebstrap --variant=minbase --mode=root "${aptopts[@]}" "${dpkgopts[@]}" \
        bookworm "$croot.tmp" $mirror >"$log" 2>&1; then
    offline "$log" && { rm -rf "$croot.tmp"; skip "mmdebstrap could not reach the Debian mirror (see $log)"; }
    tail -30 "$log" >&2
    die "mmdebstrap failed (log: $log)"
  fi
  touch "$croot.tmp/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$croot.tmp/usr/sbin/policy-rc.d"   # no service starts (as in the image)
  chmod 0755 "$croot.tmp/usr/sbin/policy-rc.d"
  for c in "${cached[@]}"; do
    IFS=$'\t' read -r ln ins args <<<"$c"
    run_instr "$croot.tmp" "$ln" "$ins" "$args" "$log"
  done
  mv "$croot.tmp" "$croot"
  touch "$cache/$key/ok"
fi

# ---------------------------------------------------------------------------
# This run's root: the cached one by hard links, then the rest (the image).
rm -rf "$work"
mkdir -p "$work"
root="$work/root"
cp -al "$croot" "$root" 2>/dev/null || { rm -rf "$root"; cp -a "$croot" "$root"; }   # another file system: a copy
stage="$work/install"
cmake --install "$build" --prefix "$stage" >"$work/install.log"
user="" wdir=/ entry=() cmd=()
json_array() {   # '["a", "b"]' -> one element a line (plain strings only)
  local s=$1
  [[ "$s" =~ ^\[.*\]$ && "$s" != *\\* ]] || return 1
  s=${s#[}; s=${s%]}
  sed 's/^ *"//; s/" *$//; s/" *, *"/\n/g' <<<"$s"
}
for c in "${rest[@]}"; do
  IFS=$'\t' read -r ln ins args <<<"$c"
  case "$ins" in
    COPY)
      read -r -a w <<<"$args"
      [[ "${w[0]}" == "--from=$build_stage" && ${#w[@]} -eq 3 ]] ||
        die "$cf:$ln: COPY $args: the test emulates 'COPY --from=$build_stage $build_prefix/ DEST' only"
      [[ "${w[1]%/}" == "${build_prefix%/}" ]] ||
        die "$cf:$ln: COPY: copies ${w[1]} from stage $build_stage, which installs kubesim into $build_prefix"
      mkdir -p "$root${w[2]}"
      cp -a --remove-destination "$stage/." "$root${w[2]%/}/" ;;
    USER) user=$args ;;
    WORKDIR) wdir=$args; mkdir -p "$root$wdir" ;;
    ENTRYPOINT) mapfile -t entry < <(json_array "$args") || die "$cf:$ln: ENTRYPOINT: only the exec form [\"...\"] is emulated" ;;
    CMD) mapfile -t cmd < <(json_array "$args") || die "$cf:$ln: CMD: only the exec form [\"...\"] is emulated" ;;
    LABEL) ;;
    RUN) run_instr "$root" "$ln" "$ins" "$args" "$work/run.log" ;;
    *) die "$cf:$ln: $ins: not emulated by this test (teach it)" ;;
  esac
done
[[ "$user" =~ ^([0-9]+):([0-9]+)$ ]] || die "$cf: USER '$user': the test wants numeric UID:GID (a pod's runAsUser/runAsGroup)"
uid=${BASH_REMATCH[1]} gid=${BASH_REMATCH[2]}
[[ ${#entry[@]} -ge 1 ]] || die "$cf: no ENTRYPOINT"

# pod [--entrypoint PROG] [-v HOST:DEST[:ro]]... [--tmpfs DEST]... [-e NAME=VALUE]... ARGS...:
# the image run as a pod of export-sweep runs it.
pod() {
  local ep=("${entry[@]}") binds=() envs=() n=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --entrypoint) ep=("$2"); shift 2 ;;
      -v) IFS=: read -r h d m <<<"$2"; mkdir -p "$root$d"; binds+=("$h" "$d" "${m:-rw}"); n=$((n + 1)); shift 2 ;;
      --tmpfs) mkdir -p "$root$2"; binds+=(none "$2" tmpfs); n=$((n + 1)); shift 2 ;;
      -e) envs+=("$2"); shift 2 ;;
      *) break ;;
    esac
  done
  inroot "$root" "$uid" "$gid" 1 "$wdir" "$n" "${binds[@]}" "${envs[@]}" -- "${ep[@]}" "$@"
}
# This machine's side runs with as clean an environment as the pod's: the
# OPENBLAS_* variables of a developer's or CI's shell (OPENBLAS_CORETYPE picks
# the kernels) would otherwise change the backtests' last bits.
host=(env -i "PATH=$PATH" "HOME=${HOME:-/}" "$stage/bin/kubesim")
results="$work/results"
mkdir -p "$results" "$work/host"
chown "$uid:$gid" "$results"

# ---------------------------------------------------------------------------
# The image as such.
v=$(pod --version) || die "kubesim --version failed in the image: $v"
[[ "$v" == "$("${host[@]}" --version)" ]] || die "--version in the image printed '$v', here '$("${host[@]}" --version)'"
[[ $(pod --entrypoint id -u) == "$uid" && $(pod --entrypoint id -g) == "$gid" ]] ||
  die "the image does not run as $uid:$gid ($(pod --entrypoint id))"
pod "${cmd[@]}" >"$work/cmd.out" || die "the image's CMD (${cmd[*]}) exited $?"
"${host[@]}" "${cmd[@]}" | cmp -s - "$work/cmd.out" || die "the image's CMD (${cmd[*]}) printed other than here"
where=$(pod --entrypoint /bin/sh -c 'command -v kubesim') || die "/bin/sh in the image: exit $?"
[[ "$where" == /usr/local/bin/kubesim ]] || die "kubesim on the image's PATH is '$where', not /usr/local/bin/kubesim"
pod --entrypoint ldd /usr/local/bin/kubesim >"$work/ldd.out" 2>&1 || die "ldd in the image: $(cat "$work/ldd.out")"
! grep -q 'not found' "$work/ldd.out" || die "libraries missing in the image:"$'\n'"$(grep 'not found' "$work/ldd.out")"
[[ $(wc -l <"$work/ldd.out") -gt 10 ]] || die "ldd in the image found too little: $(cat "$work/ldd.out")"
dev=$(chroot "$root" dpkg-query -W -f='${Package}\n' | grep -E -- '-dev$|^(gcc|cpp|g\+\+|clang|binutils)(-[0-9.]+)?$' || true)
[[ -z "$dev" ]] || die "the runtime image holds build packages: $(tr '\n' ' ' <<<"$dev")"

# Every shipped scenario, run in the image and here: the same bytes, but for
# the run's wall time (summary.json's wall_seconds, the report's "Wall time"
# and "Speed"), the one figure that is a measurement.
unwall() { sed -E 's/"wall_seconds":[[:space:]]*[-+0-9.eE]+/"wall_seconds": W/; s|<dt>Wall time</dt><dd>[^<]*</dd>|W|; s|<dt>Speed</dt><dd>[^<]*</dd>|S|' "$1"; }
same_run() {   # HOST_DIR IMAGE_DIR
  local f ok=0
  diff -rq "$1" "$2" >/dev/null 2>&1 && return 0
  diff <(cd "$1" && find . | sort) <(cd "$2" && find . | sort) >&2 || return 1
  while IFS= read -r f; do
    case "$f" in
      */summary.json | */report.html) diff <(unwall "$1/$f") <(unwall "$2/$f") >&2 || ok=1 ;;
      *) cmp "$1/$f" "$2/$f" >&2 || ok=1 ;;
    esac
  done < <(cd "$1" && find . -type f)
  return $ok
}
share=/usr/local/share/kubesim/scenarios
nrun=0
for f in "$root$share"/*.lua; do
  name=$(basename "$f" .lua)
  rc=0; pod -v "$results:/results" run "$share/$name.lua" --quiet --out "/results/runs/$name" >"$work/run-$name.log" 2>&1 || rc=$?
  hrc=0; "${host[@]}" run "$stage/share/kubesim/scenarios/$name.lua" --quiet --out "$work/host/runs/$name" >/dev/null 2>&1 || hrc=$?
  [[ $rc == "$hrc" ]] || die "run $name: exit $rc in the image, $hrc here: $(cat "$work/run-$name.log")"
  [[ $rc == 0 ]] || die "run $name exits $rc (here too): $(cat "$work/run-$name.log")"
  same_run "$work/host/runs/$name" "$results/runs/$name" || die "run $name: the image wrote other bytes than this machine"
  nrun=$((nrun + 1))
done
[[ $nrun -ge 3 ]] || die "only $nrun scenarios in $share"
pod -v "$results:/results" replay /results/runs/market_open_surge --png /results/frame.png --size 320x240 --at +2h30m ||
  die "replay --png in the image: exit $?"
"${host[@]}" replay "$work/host/runs/market_open_surge" --png "$work/host/frame.png" --size 320x240 --at +2h30m
cmp "$work/host/frame.png" "$results/frame.png" || die "replay --png drew another frame in the image"

# The backtest command's kernels (OpenBLAS and LAPACKE on two threads) on
# the shipped price file, in the image and here.
for strat in minvar meanvar; do
  pod backtest --data "$share/data/eustockmarkets.csv" --strategy "$strat" --window 60 --threads 2 --json \
    >"$work/bt-$strat.json" || die "backtest --strategy $strat in the image: exit $?"
  "${host[@]}" backtest --data "$stage/share/kubesim/scenarios/data/eustockmarkets.csv" --strategy "$strat" \
    --window 60 --threads 2 --json | cmp - "$work/bt-$strat.json" || die "backtest --strategy $strat printed other figures in the image"
done

# export (libyaml's writer), import of it (its reader) and export-sweep
# itself, in the image and here: the same bytes.
pod -v "$results:/results" export "$share/market_open_surge.lua" --quiet --out /results/export >"$work/export.log" 2>&1 ||
  die "export in the image: exit $?: $(cat "$work/export.log")"
"${host[@]}" export "$stage/share/kubesim/scenarios/market_open_surge.lua" --quiet --out "$work/host/export"
diff -r "$work/host/export" "$results/export" >&2 || die "export wrote other manifests in the image"
# import checks the scenario from a file in TMPDIR (/tmp) before writing
# it: on a read-only root it needs a writable /tmp (docker run --tmpfs /tmp;
# an emptyDir in a pod).
pod -v "$results:/results" --tmpfs /tmp import /results/export --out /results/imported.lua >"$work/import.log" 2>&1 ||
  die "import in the image: exit $?: $(cat "$work/import.log")"
"${host[@]}" import "$work/host/export" --out "$work/host/imported.lua"
cmp "$work/host/imported.lua" "$results/imported.lua" || die "import wrote another scenario in the image"

# ---------------------------------------------------------------------------
# The export-sweep path: the objects of `kubesim export-sweep`, their
# commands run as their pods would.
scn="$stage/share/kubesim/scenarios/market_open_surge.lua"
# shellcheck disable=SC2054
grid=(--vary surge=5,10 --vary api_replicas=6,12)
"${host[@]}" export-sweep "$scn" "${grid[@]}" --shards 3 >"$work/sweep.yaml"
pod export-sweep "$share/market_open_surge.lua" "${grid[@]}" --shards 3 >"$work/sweep-image.yaml" ||
  die "export-sweep in the image: exit $?"
cmp "$work/sweep.yaml" "$work/sweep-image.yaml" || die "export-sweep wrote other objects in the image"
# One "DOC<TAB>KEY<TAB>VALUE" per item of each Job's command and args, the
# ConfigMap's scenario, and the fields checked below.
awk -v out="$work" '
  function unq(s) {
    if (s ~ /^".*"$/) { s = substr(s, 2, length(s) - 2); if (s ~ /\\/) { print "escape in " s > "/dev/stderr"; exit 3 } }
    return s
  }
  /^---/ { doc++; kind = ""; list = ""; inscn = 0; next }
  inscn && /^    / { print substr($0, 5) > (out "/scenario.lua"); next }
  inscn && /^$/ { print "" > (out "/scenario.lua"); next }
  { inscn = 0 }
  /^kind: / { kind = $2 }
  /^  scenario.lua: \|$/ { inscn = 1; next }
  /^ *(command|args):$/ { list = $1; sub(/:$/, "", list); next }
  list != "" && /^ *- / { v = $0; sub(/^ *- /, "", v); print doc "\t" list "\t" unq(v); next }
  { list = "" }
  /^ *(- )?(completionMode|completions|runAsUser|runAsGroup|readOnlyRootFilesystem|mountPath|image|name: JOB_COMPLETION_INDEX)/ {
    v = $0; sub(/^ *(- )?/, "", v); print doc "\t" kind "\t" v }
' "$work/sweep.yaml" >"$work/sweep.fields"
cmp -s "$work/scenario.lua" "$scn" || die "export-sweep's ConfigMap does not hold the scenario ($work/scenario.lua, $scn)"
grep -q $'\tJob\tcompletionMode: Indexed' "$work/sweep.fields" || die "export-sweep wrote no Indexed Job"
shard_doc=$(awk -F'\t' '$3 == "completionMode: Indexed" { print $1 }' "$work/sweep.fields")
shards=$(awk -F'\t' -v d="$shard_doc" '$1 == d && $3 ~ /^completions: / { print $3 }' "$work/sweep.fields")
shards=${shards#completions: }
[[ "$shards" == 3 ]] || die "the Indexed Job has completions '$shards', asked 3"
merge_doc=$(awk -F'\t' -v d="$shard_doc" '$1 != d && $2 == "Job" { print $1; exit }' "$work/sweep.fields")
[[ -n "$merge_doc" ]] || die "export-sweep wrote no merge Job"
for f in "runAsUser: $uid" "runAsGroup: $gid" "readOnlyRootFilesystem: true" "image: kubesim:${v##* }"; do
  [[ $(grep -c $'\tJob\t'"$f"'$' "$work/sweep.fields") -ge 2 ]] ||
    die "export-sweep's Jobs do not both say '$f' (the Containerfile's USER is $uid:$gid, its version ${v##* })"
done
grep -q $'\tJob\tname: JOB_COMPLETION_INDEX' "$work/sweep.fields" || die "the shard Job sets no JOB_COMPLETION_INDEX"
mapfile -t shard_cmd < <(awk -F'\t' -v d="$shard_doc" '$1 == d && ($2 == "command" || $2 == "args") { print $3 }' "$work/sweep.fields")
mapfile -t merge_cmd < <(awk -F'\t' -v d="$merge_doc" '$1 == d && ($2 == "command" || $2 == "args") { print $3 }' "$work/sweep.fields")
[[ ${#shard_cmd[@]} -gt 4 && ${#merge_cmd[@]} -ge 1 ]] || die "no command in export-sweep's Jobs: $(cat "$work/sweep.fields")"
{ grep -q $'\tJob\tmountPath: /scenario$' "$work/sweep.fields" && grep -q $'\tJob\tmountPath: /results$' "$work/sweep.fields"; } ||
  die "the Jobs do not mount /scenario and /results"
mkdir -p "$work/scenario" && cp "$work/scenario.lua" "$work/scenario/scenario.lua"

for ((i = 0; i < shards; i++)); do
  args=()
  for a in "${shard_cmd[@]}"; do a=${a//\$(JOB_COMPLETION_INDEX)/$i}; args+=("$a"); done
  [[ "${args[*]}" != *'$('* ]] || die "the shard Job's args name a variable this test does not set: ${args[*]}"
  pod --entrypoint "${args[0]}" -v "$work/scenario:/scenario:ro" -v "$results:/results" \
      -e JOB_COMPLETION_INDEX=$i "${args[@]:1}" >"$work/shard-$i.log" 2>&1 ||
    die "shard $i exited $? in the image: ${args[*]}: $(cat "$work/shard-$i.log")"
done
pod --entrypoint "${merge_cmd[0]}" -v "$results:/results" "${merge_cmd[@]:1}" >"$work/merge.log" 2>&1 ||
  die "the merge Job's command exited $? in the image: ${merge_cmd[*]}: $(cat "$work/merge.log")"

# The same sweep in one piece: the shard's arguments less --shard and --out.
whole=()
for ((j = 1; j < ${#shard_cmd[@]}; j++)); do
  case "${shard_cmd[$j]}" in
    --shard | --out) j=$((j + 1)) ;;
    *) whole+=("${shard_cmd[$j]}") ;;
  esac
done
rc=0; pod --entrypoint "${shard_cmd[0]}" -v "$work/scenario:/scenario:ro" -v "$results:/results" \
  "${whole[@]}" --out /results/whole >"$work/whole.log" 2>&1 || rc=$?
[[ $rc -le 1 ]] || die "the whole sweep exited $rc in the image: $(cat "$work/whole.log")"
[[ -f "$results/merged/sweep.csv" ]] || die "the merge Job wrote no /results/merged/sweep.csv"
diff -r "$results/whole" "$results/merged" >&2 || die "the merged shards differ from the whole sweep in the image"
hwhole=()
for a in "${whole[@]}"; do [[ "$a" == /scenario/scenario.lua ]] && a=$work/scenario/scenario.lua; hwhole+=("$a"); done
hrc=0; "${host[@]}" "${hwhole[@]}" --out "$work/host/whole" >/dev/null 2>&1 || hrc=$?
[[ $rc == "$hrc" ]] || die "the whole sweep exits $rc in the image, $hrc here"
# The scenario's path is in sweep.json ("path", the rerun line) and the page.
hpath=$(sed 's/[][\\.*^$|]/\\&/g' <<<"$work/scenario/scenario.lua")
sed -i "s|$hpath|/scenario/scenario.lua|g" "$work/host/whole/sweep.json" "$work/host/whole/sweep.html"
diff -r "$work/host/whole" "$results/merged" >&2 || die "the sweep merged in the image differs from the one run here"

# The README's step 4 collects the shards with a pod of the image that runs
# `sleep 3600` and `kubectl cp`, which runs tar in it (read-only claim).
pod --entrypoint sleep 0 || die "no sleep in the image (the README's fetch pod runs it)"
pod --entrypoint tar -v "$results:/results:ro" cf - -C /results merged >"$work/results.tar" ||
  die "tar in the image (kubectl cp runs it) exited $?"
mkdir -p "$work/fetched" && tar xf "$work/results.tar" -C "$work/fetched"
diff -r "$results/merged" "$work/fetched/merged" >&2 || die "tar in the image (kubectl cp) did not carry the merged sweep"

# ---------------------------------------------------------------------------
# The checks can fail: without the zone file a CronJob names, the scenario
# is refused; without DejaVu Sans, replay draws no text (another frame).
# (Removed from this run's copy only: the cached root keeps its links.)
rm "$root/usr/share/zoneinfo/America/New_York"
! pod -v "$results:/results" run "$share/market_open_surge.lua" --quiet --out /results/no-tz >"$work/no-tz.log" 2>&1 ||
  die "market_open_surge ran without /usr/share/zoneinfo/America/New_York: the run check cannot fail"
grep -q 'America/New_York' "$work/no-tz.log" || die "without the zone file: $(cat "$work/no-tz.log")"
rm "$root/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
pod -v "$results:/results" replay /results/runs/market_open_surge --png /results/no-font.png --size 320x240 --at +2h30m ||
  die "replay --png without the font: exit $?"
! cmp -s "$work/host/frame.png" "$results/no-font.png" || die "replay drew the same frame without its font: the frame check cannot fail"

echo "$me: $base root (key $key, $(du -sh --exclude=proc "$root" | cut -f1)) runs $v as $uid:$gid:" \
     "$nrun shipped scenarios and a replay frame as here, $shards shards of export-sweep merged into the whole sweep"
