#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages kubesim needs that are missing.
#   scripts/deps.sh          to build and run
#   scripts/deps.sh --test   also what the test suite uses (valgrind, NumPy for
#                            the independent backtest reference, promtool,
#                            Node.js for the manifest validator, clang and its
#                            sanitizer and libFuzzer runtimes for the
#                            sanitizer build and scripts/fuzz.sh, Chromium
#                            for the report_browser screenshots test,
#                            mmdebstrap for container_rootfs's Debian 12 root)
# Runs as root, or through sudo when it is there. Installs nothing when
# everything is present, so it is cheap to call every time.
set -euo pipefail

# The build's packages are listed once, in scripts/packages-build.txt, which
# Containerfile's build stage installs too.
here=$(dirname "$0")
mapfile -t pkgs < <(sed 's/#.*//' "$here/packages-build.txt" | xargs -n1)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(valgrind python3 python3-numpy prometheus)   # prometheus: promtool and prometheus check --openmetrics (tests/prometheus)
  # libclang-rt-dev (only recommended by clang) holds the ASan, UBSan and libFuzzer runtimes.
  pkgs+=(clang libclang-rt-dev)
  # chromium: headless screenshots and a DOM check of report.html and sweep.html
  # (tests/browser/check_pages.sh); one already on the PATH is kept.
  command -v chromium >/dev/null || pkgs+=(chromium)
  # node and npm run ../shared/validate-manifests (scripts/validator.sh); a
  # Node.js already there (Debian's or NodeSource's) is kept.
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
  # mmdebstrap builds the debian:12-slim root file system in which
  # container_rootfs (tests/container/check_rootfs.sh) runs the Containerfile's
  # runtime stage; mount and util-linux (unshare, setpriv) run the image in it.
  pkgs+=(mmdebstrap mount util-linux)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps.sh: run as root to install: ${missing[*]}" >&2; exit 2; }
  sudo="sudo"
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
