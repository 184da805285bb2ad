"""Parity helper for sagebrew's tests: trains with Python XGBoost on the same CSV and parameters,
and predicts with both the Python-trained model and sagebrew's model. Prints JSON."""
import json
import sys

import numpy as np
import pandas as pd
import xgboost as xgb

spec = json.load(sys.stdin)
df = pd.read_csv(spec["csv"], header=None)
labels = df.iloc[:, 0]
if labels.dtype == object:
    classes = sorted(labels.unique())
    y = labels.map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=np.float32)
else:
    y = labels.to_numpy(dtype=np.float32)
X = df.iloc[:, 1:].to_numpy(dtype=np.float32)
dtrain = xgb.DMatrix(X, label=y)
params = dict(spec["params"])
booster = xgb.train(params, dtrain, num_boost_round=spec["num_round"])
ours = xgb.Booster()
ours.load_model(spec["model"])
print(json.dumps({
    "python_model": booster.predict(dtrain).astype(float).ravel().tolist(),
    "sagebrew_model_in_python": ours.predict(dtrain).astype(float).ravel().tolist(),
    "xgboost": xgb.__version__,
}))
