#!/usr/bin/env bash
# The test command (`npm test`): installs what the tests need on a fresh Debian machine (system
# packages when root, npm packages when missing), then lint, build, typecheck (bench/ reads the built dist), generated-docs
# check, and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -d node_modules/koffi ] || [ ! -d node_modules/typescript ]; then npm ci --no-audit --no-fund; fi
npm run --silent lint
npm run --silent build
npm run --silent typecheck
npm run --silent docs:check
node scripts/run-tests.mjs
