"""Python XGBoost's own tracker, for sagebrew's tests: prints `PORT <n>`, then waits for the
workers to finish. 1.7's is the Python one; 2.1+ wraps the C tracker. Usage: ring_tracker.py N"""
import sys

import xgboost as xgb
from xgboost.tracker import RabitTracker

n = int(sys.argv[1])
version = tuple(int(p) for p in xgb.__version__.split(".")[:2])
if version >= (2, 1):
    tracker = RabitTracker(n_workers=n, host_ip="127.0.0.1", port=0, sortby="task")
    tracker.start()
    print("PORT", tracker.worker_args()["dmlc_tracker_port"], flush=True)
    tracker.wait_for()
else:
    tracker = RabitTracker(host_ip="127.0.0.1", n_workers=n, port=0, sortby="task")
    print("PORT", tracker.port, flush=True)
    tracker.start(n)
    tracker.join()
print("DONE", flush=True)
