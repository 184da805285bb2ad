#!/usr/bin/env bash
# The Node.js version tiers of CI: the fast tiers of the runtime and the CLI (their in-process tests,
# `run-tests.mjs --fast`: every *.test.ts under packages/ that is not *.e2e.test.ts) and the demo,
# on each supported Node.js line, each installed from the npm registry by scripts/node.sh (pinned,
# cached). The whole suite runs once, on the Node that `npm test` runs on.
#
#   scripts/test-node-versions.sh [--skip MAJOR] [MAJOR...]     default: 22 24 26
#
# --skip MAJOR leaves out the fast tiers on that line (the whole suite just ran on it; its demo
# still runs).
set -euo pipefail
cd "$(dirname "$0")/.."
skip=""
majors=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip) skip=$2; shift 2 ;;
    *) majors+=("$1"); shift ;;
  esac
done
if [ ${#majors[@]} -eq 0 ]; then majors=(22 24 26); fi
for major in "${majors[@]}"; do
  bin=$(bash scripts/node.sh "$major")
  version=$("$bin/node" --version)
  if [ "$major" != "$skip" ]; then
    echo "== Node.js $version: fast tiers of the runtime and the CLI" >&2
    started=$SECONDS
    PATH="$bin:$PATH" node scripts/run-tests.mjs --fast packages/runtime packages/cli
    echo "== Node.js $version: fast tiers passed in $((SECONDS - started)) s" >&2
  fi
  echo "== Node.js $version: the demo" >&2
  started=$SECONDS
  out=$(PATH="$bin:$PATH" bash scripts/demo.sh 2>&1) || { echo "$out" >&2; exit 1; }
  if ! grep -qx 'setosa' <<<"$out"; then
    echo "$out" >&2
    echo "== Node.js $version: the demo did not predict setosa" >&2
    exit 1
  fi
  echo "== Node.js $version: the demo predicted setosa in $((SECONDS - started)) s" >&2
done
