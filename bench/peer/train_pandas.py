"""The peer for the training benchmark: Python XGBoost reading the CSV with pandas, as the classic
SageMaker "bring your own container" trainers do (pandas.read_csv(header=None), label in column 0,
xgboost.DMatrix, xgboost.train). Prints XGBoost's per-round eval lines, then one JSON line with
the phase timings, prefixed with "BENCH ".

usage: /usr/bin/python3 train_pandas.py CSV MODEL_OUT --nthread N [--params JSON]
"""
import argparse
import json
import time

t_start = time.perf_counter()
import pandas as pd  # noqa: E402
import xgboost as xgb  # noqa: E402

t_imported = time.perf_counter()

parser = argparse.ArgumentParser()
parser.add_argument("csv")
parser.add_argument("model_out")
parser.add_argument("--nthread", type=int, required=True)
parser.add_argument("--params", default="{}")
args = parser.parse_args()

params = json.loads(args.params)
num_round = int(params.pop("num_round", 100))
params["nthread"] = args.nthread

t0 = time.perf_counter()
df = pd.read_csv(args.csv, header=None)
t_read = time.perf_counter()
dtrain = xgb.DMatrix(df.iloc[:, 1:], label=df.iloc[:, 0], nthread=args.nthread)
t_dmatrix = time.perf_counter()
booster = xgb.train(params, dtrain, num_boost_round=num_round, evals=[(dtrain, "train")], verbose_eval=True)
t_train = time.perf_counter()
booster.save_model(args.model_out)
t_saved = time.perf_counter()

print(
    "BENCH "
    + json.dumps(
        {
            "rows": int(df.shape[0]),
            "columns": int(df.shape[1]),
            "import_s": t_imported - t_start,
            "read_csv_s": t_read - t0,
            "dmatrix_s": t_dmatrix - t_read,
            "load_s": t_dmatrix - t0,
            "train_s": t_train - t_dmatrix,
            "save_s": t_saved - t_train,
            "xgboost": xgb.__version__,
            "pandas": pd.__version__,
        }
    ),
    flush=True,
)
