#!/usr/bin/env bash
# Installs the Debian packages sagebrew's demo, tests and benchmarks use. Idempotent.
#   scripts/install-system-deps.sh            runtime + tests: libxgboost, Python XGBoost (parity),
#                                             a Docker engine, a registry, mmdebstrap and skopeo (image tests)
#   scripts/install-system-deps.sh --demo     only what the demo needs (libxgboost, libatomic1)
#   scripts/install-system-deps.sh --bench    also the classic Python serving stack and wrk
set -euo pipefail
# libatomic1: the Node.js 24/26 binaries from the npm registry (scripts/node.sh) link it.
DEMO=(libxgboost0 libatomic1)
TEST=(libxgboost0 libatomic1 python3-xgboost python3-pandas python3-numpy docker.io docker-registry mmdebstrap skopeo iproute2 ca-certificates)
BENCH=(nginx gunicorn python3-flask python3-gevent wrk hyperfine time)
case "${1:-}" in
  --demo) PKGS=("${DEMO[@]}") ;;
  --bench) PKGS=("${TEST[@]}" "${BENCH[@]}") ;;
  "") PKGS=("${TEST[@]}") ;;
  *) echo "usage: $0 [--demo|--bench]" >&2; exit 2 ;;
esac
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "sagebrew needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
