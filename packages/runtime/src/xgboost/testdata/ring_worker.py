"""A Python XGBoost worker of a ring, for sagebrew's tests: joins the tracker given on the command
line (XGBoost 1.7's or 2.1+'s spelling of the settings), trains round by round with update and
eval_set (the calls sagebrew's workers make, in the same order), checks an allreduce, and on rank 0
saves the model as JSON. Usage: ring_worker.py URI PORT TASK WORLD SHARD.csv OUT.json ROUNDS PARAMS_JSON"""
import json
import sys

import numpy as np
import xgboost as xgb
from xgboost import collective

uri, port, task, world, shard, out, rounds, params = sys.argv[1:9]
version = tuple(int(p) for p in xgb.__version__.split(".")[:2])
if version >= (2, 1):
    args = {"dmlc_tracker_uri": uri, "dmlc_tracker_port": int(port), "dmlc_task_id": task}
else:
    args = {"DMLC_TRACKER_URI": uri, "DMLC_TRACKER_PORT": port, "DMLC_TASK_ID": task, "rabit_world_size": world}
collective.init(**args)
data = np.loadtxt(shard, delimiter=",", dtype=np.float32, ndmin=2)
d = xgb.DMatrix(data[:, 1:], label=data[:, 0])
booster = xgb.Booster(json.loads(params), [d])
for i in range(int(rounds)):
    booster.update(d, i)
    print(booster.eval_set([(d, "train")], i), flush=True)
total = collective.allreduce(np.array([float(d.num_row())]), collective.Op.SUM)
print("rows", int(total[0]), "rank", collective.get_rank(), flush=True)
if collective.get_rank() == 0:
    booster.save_model(out)
collective.finalize()
