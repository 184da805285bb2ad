"""Parity helper for sagebrew's multi-host tests: trains Python XGBoost's own N-worker ring on the
given shards (its own tracker, ranks in shard order, xgb.train on a DMatrix), then predicts every
row with that model and with sagebrew's. Reads JSON on stdin: {"shards": [csv…], "params": {…},
"num_round": n, "model": sagebrew's model path}. Prints JSON."""
import json
import multiprocessing as mp
import sys

import numpy as np
import xgboost as xgb
from xgboost import collective
from xgboost.tracker import RabitTracker

VERSION = tuple(int(p) for p in xgb.__version__.split(".")[:2])


def load(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
    return data[:, 1:], data[:, 0]


def worker(args, rank, shard, params, rounds, out):
    args = dict(args)
    if VERSION >= (2, 1):
        args["dmlc_task_id"] = f"w{rank}"
    else:
        args.update({"DMLC_TASK_ID": f"w{rank}", "rabit_world_size": str(args.pop("n"))})
    args.pop("n", None)
    collective.init(**args)
    X, y = load(shard)
    booster = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=rounds)
    if collective.get_rank() == 0:
        booster.save_model(out)
    collective.finalize()


def main():
    spec = json.load(sys.stdin)
    n = len(spec["shards"])
    out = spec["model"] + ".python.json"
    if VERSION >= (2, 1):
        tracker = RabitTracker(n_workers=n, host_ip="127.0.0.1", port=0, sortby="task")
        tracker.start()
        a = tracker.worker_args()
        args = {"dmlc_tracker_uri": a["dmlc_tracker_uri"], "dmlc_tracker_port": a["dmlc_tracker_port"], "n": n}
    else:
        tracker = RabitTracker(host_ip="127.0.0.1", n_workers=n, port=0, sortby="task")
        tracker.start(n)
        args = {"DMLC_TRACKER_URI": "127.0.0.1", "DMLC_TRACKER_PORT": str(tracker.port), "n": n}
    procs = [
        mp.Process(target=worker, args=(args, r, s, spec["params"], spec["num_round"], out))
        for r, s in enumerate(spec["shards"])
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0, f"worker exited with {p.exitcode}"
    X = np.vstack([load(s)[0] for s in spec["shards"]])
    d = xgb.DMatrix(X)
    theirs = xgb.Booster(model_file=out).predict(d)
    ours = xgb.Booster(model_file=spec["model"]).predict(d)
    print(json.dumps({
        "xgboost": xgb.__version__,
        "rows": int(X.shape[0]),
        "max_abs_diff": float(np.max(np.abs(theirs.astype(np.float64) - ours.astype(np.float64)))),
        "python_trees": len(xgb.Booster(model_file=out).get_dump()),
        "sagebrew_trees": len(xgb.Booster(model_file=spec["model"]).get_dump()),
    }))


if __name__ == "__main__":
    main()
