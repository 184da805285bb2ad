#!/usr/bin/env bash
# The test command (`npm test`): installs what the tests need on a fresh Debian machine (system
# packages when root, Node.js 26 from the npm registry when the machine's Node is older than 22, npm
# packages when missing), then lint, build, typecheck (bench/ reads the built dist), generated-docs
# check, generated-API check, and every test; then the runtime's tests again on XGBoost 3.0 (Debian trixie) and 3.3
# (sid), each in a chroot (scripts/test-xgboost3.sh; root only).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
# Every test below runs on this Node (the machine's, when it is 22 or later).
PATH="$(bash scripts/node.sh supported):$PATH"
export PATH
echo "npm test: Node.js $(node --version)" >&2
if [ ! -d node_modules/koffi ] || [ ! -d node_modules/typescript ]; then npm ci --no-audit --no-fund; fi
npm run --silent lint
npm run --silent build
npm run --silent typecheck
npm run --silent docs:check
npm run --silent api:check
node scripts/run-tests.mjs
if [ "$(id -u)" = 0 ]; then
  bash scripts/test-xgboost3.sh
  SAGEBREW_XGBOOST3_SUITE=sid SAGEBREW_XGBOOST3_OPTIONAL=1 bash scripts/test-xgboost3.sh
else
  echo "npm test: the XGBoost 3 runs (scripts/test-xgboost3.sh) need root; skipped" >&2
fi
