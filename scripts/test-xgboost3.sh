#!/usr/bin/env bash
# Runs the runtime's tests once more against XGBoost 3: the binding, training, serving, batch
# transform and the parity checks against Python XGBoost, inside a Debian chroot whose libxgboost
# and python3-xgboost are XGBoost 3 (trixie's, 3.0). The chroot is made once with mmdebstrap and
# cached; this machine's Node and the repository are used as they are, so the XGBoost version is
# the only thing that changes. Part of `npm test` (scripts/test.sh). Needs root (mounts, chroot).
#
#   scripts/test-xgboost3.sh [test files or dirs]   default: packages/runtime test/training test/contract test/transform
#   scripts/test-xgboost3.sh --root                 make the chroot when missing and print its path
#                                                   (the image tests run Python XGBoost 3.0 in it)
#
# SAGEBREW_XGBOOST3_SUITE picks another Debian suite (sid: XGBoost 3.3); SAGEBREW_XGBOOST3_OPTIONAL=1
# turns a suite that cannot be installed into a warning; SAGEBREW_CACHE_DIR moves the cache
# (default /var/cache/sagebrew).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
if [ "$(id -u)" != 0 ]; then
  echo "test-xgboost3: needs root (it makes a chroot); run it as root to test against XGBoost 3" >&2
  exit 1
fi
SUITE=${SAGEBREW_XGBOOST3_SUITE:-trixie}
CACHE=${SAGEBREW_CACHE_DIR:-/var/cache/sagebrew}
MIRROR=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1 | tr -d ' ' || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# sid names the library package after its soname (libxgboost3); trixie still calls it libxgboost0.
LIB=libxgboost0
if [ "$SUITE" = sid ] || [ "$SUITE" = unstable ]; then LIB=libxgboost3; fi
# libatomic1: Node.js 24 and later link it (the node copied in below).
PACKAGES="$LIB,python3-xgboost,python3-pandas,python3-numpy,libatomic1"
ROOT="$CACHE/rootfs-$SUITE-$(echo "v1 $PACKAGES $MIRROR" | sha256sum | cut -c1-12)"

if [ ! -x "$ROOT/usr/bin/python3" ]; then
  echo "test-xgboost3: making a $SUITE chroot with $PACKAGES ($MIRROR); cached in $ROOT" >&2
  mkdir -p "$CACHE"
  rm -rf "$ROOT.tmp"
  # A mirror may serve a snapshot of a suite whose Release file has expired (sid): accept it.
  if ! mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
    --include="$PACKAGES" "$SUITE" "$ROOT.tmp" "$MIRROR"; then
    rm -rf "$ROOT.tmp"
    # An unstable suite may be uninstallable for a while (a transition): that is the mirror's
    # state, not a test result, so such a suite may be marked optional.
    if [ -n "${SAGEBREW_XGBOOST3_OPTIONAL:-}" ]; then
      echo "test-xgboost3: WARNING: could not make a $SUITE chroot; its XGBoost was NOT tested" >&2
      exit 0
    fi
    exit 1
  fi
  mv "$ROOT.tmp" "$ROOT"
fi
if [ "${1:-}" = --root ]; then echo "$ROOT"; exit 0; fi
install -m 0755 "$(command -v node)" "$ROOT/usr/local/bin/node"

TESTS=("$@")
if [ ${#TESTS[@]} -eq 0 ]; then TESTS=(packages/runtime test/training test/contract test/transform); fi

# A private mount namespace: every mount below disappears when this command ends, however it ends.
exec unshare --mount --propagation private bash -euo pipefail -c '
  root=$1 repo=$2; shift 2
  mount -t tmpfs tmpfs "$root/tmp" # first: the repository itself may live under /tmp
  mount -t proc proc "$root/proc"
  mount --bind /dev "$root/dev"
  mkdir -p "$root$repo"
  mount --bind "$repo" "$root$repo"
  cd "$root$repo"
  chroot "$root" /usr/bin/env -u NODE_EXTRA_CA_CERTS /usr/local/bin/node -e "
    import(\"$repo/packages/runtime/dist/index.js\").then((m) => {
      const [major] = m.xgboostVersion();
      console.log(\"test-xgboost3: libxgboost \" + m.xgboostVersion().join(\".\") + \", Node \" + process.version);
      if (major < 3) { console.error(\"test-xgboost3: expected XGBoost 3 in the chroot\"); process.exit(1); }
    });"
  chroot "$root" /usr/bin/python3 -c "import xgboost; print(\"test-xgboost3: Python xgboost\", xgboost.__version__)"
  exec chroot "$root" /usr/bin/env -u NODE_EXTRA_CA_CERTS -C "$repo" PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
    /usr/local/bin/node scripts/run-tests.mjs "$@"
' test-xgboost3 "$ROOT" "$REPO" "${TESTS[@]}"
