#!/usr/bin/env bash
# The classic SageMaker bring-your-own-container tutorial, done with sagebrew, end to end on this
# machine and without Docker: train XGBoost on iris, serve the model, predict payload.csv → setosa.
# Installs what it needs (libxgboost from Debian, Node.js 26 from the npm registry when the machine's
# Node is older than 22, npm packages) and builds the project first.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "system packages (libxgboost)"
bash scripts/install-system-deps.sh --demo

step "Node.js (22 or later)"
PATH="$(bash scripts/node.sh supported):$PATH"
export PATH
echo "node $(node --version)"

step "npm packages and build"
if [ ! -d node_modules/koffi ]; then npm ci --no-audit --no-fund; fi
npm run --silent build

SAGEBREW="node $REPO/packages/cli/bin/sagebrew"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sagebrew-demo.XXXXXX")
SERVER_PID=""
cleanup() {
  local status=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    # serve stops within its drain time; one that does not is a fault to report, not to wait on
    for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "demo: serve (pid $SERVER_PID) did not exit within 30 s of SIGTERM; killed it" >&2
      tail -n 5 "$WORK/serve.log" >&2 || true
      kill -KILL "$SERVER_PID" 2>/dev/null || true
      status=1
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
cp -r examples/iris-xgboost/local_test/test_dir "$WORK/opt_ml"

step "train (the train_local.sh equivalent)"
$SAGEBREW train "$WORK/opt_ml" --plain

step "serve (the serve_local.sh equivalent), on a free port"
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
$SAGEBREW serve "$WORK/opt_ml" --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "http://127.0.0.1:$PORT/ping"; then
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/serve.log" >&2; echo "serve exited" >&2; exit 1; fi
  sleep 0.1
done
echo "serving on http://127.0.0.1:$PORT (pid $SERVER_PID)"

step "predict payload.csv (the predict.sh equivalent)"
$SAGEBREW predict examples/iris-xgboost/local_test/payload.csv --content-type text/csv --url "http://127.0.0.1:$PORT"
