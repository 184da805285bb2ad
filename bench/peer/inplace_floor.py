"""libxgboost's own prediction cost from Python, the floor of the serving benchmark (issue 22):
Booster.inplace_predict on one thread (nthread=1, as SageMaker's XGBoost container serves) of each
CSV body, already parsed into a float32 numpy array (reading the body is not counted). Prints one
JSON line prefixed "BENCH ": per body, the median CPU and wall microseconds per call over 7
samples of about 40 ms each, after a warm-up.

usage: /usr/bin/python3 inplace_floor.py MODEL BODY.csv [BODY.csv ...]
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def measure(fn):
    for _ in range(50):
        fn()
    calls = 10
    while True:
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - t > 0.04:
            break
        calls *= 2
    cpu, wall = [], []
    for _ in range(7):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(calls):
            fn()
        cpu.append((time.process_time() - c0) / calls * 1e6)
        wall.append((time.perf_counter() - w0) / calls * 1e6)
    return sorted(cpu)[3], sorted(wall)[3]


def main():
    model, bodies = sys.argv[1], sys.argv[2:]
    booster = xgb.Booster()
    booster.load_model(model)
    booster.set_param({"nthread": 1})
    out = {"xgboost": xgb.__version__, "bodies": {}}
    for path in bodies:
        rows = []
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    rows.append([float(v) if v != "" else np.nan for v in line.split(",")])
        x = np.asarray(rows, dtype=np.float32)
        cpu, wall = measure(lambda: booster.inplace_predict(x))
        out["bodies"][str(len(rows))] = {"cpu_us": cpu, "wall_us": wall}
    print("BENCH " + json.dumps(out))


main()
