"""XGBoost's own memory for the training benchmark's shape, without any CSV or host overhead: a
QuantileDMatrix (what `hist` trains from) built from float32 batches generated on the fly (never
all held at once), then a few hist rounds. Prints one JSON line prefixed "BENCH " with VmRSS
before, after building, after training (kB).

usage: /usr/bin/python3 quantile_floor.py ROWS FEATURES NTHREAD
"""
import gc
import json
import sys

import numpy as np
import xgboost as xgb

rows, features, nthread = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
batch = 100_000


def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


class Batches(xgb.DataIter):
    def __init__(self):
        self.i = 0
        super().__init__()

    def next(self, input_data):
        start = self.i * batch
        if start >= rows:
            return 0
        n = min(batch, rows - start)
        r = np.random.default_rng(self.i)
        input_data(data=r.random((n, features), dtype=np.float32) * 4 - 2, label=(r.random(n) < 0.5).astype(np.float32))
        self.i += 1
        return 1

    def reset(self):
        self.i = 0


gc.collect()
before = rss_kb()
dtrain = xgb.QuantileDMatrix(Batches(), nthread=nthread, max_bin=256)
gc.collect()
built = rss_kb()
xgb.train({"tree_method": "hist", "max_depth": 6, "objective": "binary:logistic", "nthread": nthread}, dtrain, 3)
trained = rss_kb()
print("BENCH " + json.dumps({"before_kb": before, "built_kb": built, "trained_kb": trained, "xgboost": xgb.__version__}))
