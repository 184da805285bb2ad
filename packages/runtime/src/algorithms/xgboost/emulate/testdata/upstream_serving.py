"""Runs SageMaker's XGBoost container's own serving app (`algorithm_mode/serve.py`, Flask, through its
test client) on sagebrew's request cases and prints every answer: status, Content-Type and body.

    /usr/bin/python3 upstream_serving.py models          # writes models/<name>/xgboost-model (XGBoost 1.7.4, UBJ)
    /usr/bin/python3 upstream_serving.py <checkout>/src <version> > serving-<version>.json

The app reads SAGEMAKER_BATCH, SAGEMAKER_INFERENCE_OUTPUT and SM_MODEL_DIR when it is imported, so
each configuration runs in a process of its own.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")


def make_models():
    import numpy as np
    import xgboost as xgb

    rng = np.random.RandomState(0)
    x = rng.rand(80, 4)
    y3 = (x[:, 0] > 0.5).astype(int) + (x[:, 1] > 0.5).astype(int)
    y2 = (x[:, 2] > 0.5).astype(int)
    yr = x @ np.array([1.0, -2.0, 0.5, 3.0])
    specs = {
        "softprob": ({"objective": "multi:softprob", "num_class": 3}, y3),
        "softmax": ({"objective": "multi:softmax", "num_class": 3}, y3),
        "logistic": ({"objective": "binary:logistic"}, y2),
        "regression": ({"objective": "reg:squarederror"}, yr),
        "pairwise": ({"objective": "rank:pairwise"}, y2),
    }
    for name, (params, y) in specs.items():
        booster = xgb.train({**params, "max_depth": 2, "seed": 0, "nthread": 1}, xgb.DMatrix(x, label=y), 3)
        os.makedirs(os.path.join(MODELS, name), exist_ok=True)
        with open(os.path.join(MODELS, name, "xgboost-model"), "wb") as f:
            f.write(booster.save_raw("ubj"))


ROW = "0.1,0.2,0.3,0.4"
REQUESTS = [
    ("text/csv", None, ROW),
    ("text/csv", None, ROW + "\n0.9,0.9,0.1,0.1\n"),
    ("text/csv", None, ""),
    ("text/csv", None, "\n"),
    ("text/csv", "application/json", ROW + "\n0.9,0.9,0.1,0.1"),
    ("text/csv", "application/jsonlines", ROW),
    ("text/csv", "application/x-recordio-protobuf", ROW),
    ("text/csv", "text/libsvm", ROW),
    ("text/csv", "text/csv, application/json", ROW),
    ("text/csv", "*/*", ROW),
    ("text/csv", "application/json;verbose=True", ROW),
    ("text/csv", "Application/JSON", ROW),
    ("text/csv", None, "0.1,0.2,0.3"),
    ("text/csv", None, "0.1,0.2,0.3,0.4,0.5"),
    ("text/csv", None, "0.1,,0.3,0.4"),
    ("text/csv", None, "0.1,abc,0.3,0.4"),
    ("text/csv", None, "0.1;0.2;0.3;0.4"),
    ("text/csv", None, "0.1,0.2,0.3,0.4\n0.1,0.2"),
    ("text/csv", None, "0.5"),
    ("text/csv; charset=utf-8", None, ROW),
    ("text/csv; label_size=1", None, ROW),
    ("text/csv; label_size=2", None, ROW),
    ("csv", None, ROW),
    ("Text/CSV", None, ROW),
    ("text/libsvm", None, "0 0:0.1 1:0.2 2:0.3 3:0.4"),
    ("text/libsvm", None, "1:0.1 2:0.2"),
    ("text/x-libsvm", None, "0 0:0.1 3:0.4\n1 1:0.9"),
    ("text/libsvm", None, "0 0:0.1 1.5:0.2"),
    ("application/json", None, "[[0.1, 0.2, 0.3, 0.4]]"),
    ("application/x-parquet", None, ROW),
    (None, None, "0 0:0.1 1:0.2"),
]
CONFIGS = [
    ("softprob", {}),
    ("softmax", {}),
    ("logistic", {}),
    ("regression", {}),
    ("softprob", {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/json"}),
    ("softprob", {"SAGEMAKER_BATCH": "true"}),
    ("regression", {"SAGEMAKER_BATCH": "true"}),
    ("logistic", {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label,probability,probabilities,labels,raw_score,raw_scores"}),
    ("softprob", {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label, Probabilities"}),
    ("softmax", {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label,labels,raw_scores"}),
    ("regression", {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_score"}),
    ("regression", {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label"}),
    ("softprob", {"SAGEMAKER_INFERENCE_OUTPUT": "probabilities", "SAGEMAKER_BATCH": "true"}),
    ("pairwise", {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label"}),
]


def run_config(src, model, env):
    sys.path.insert(0, HERE)
    import harness_stubs  # noqa: F401

    sys.path.insert(0, src)
    from sagemaker_xgboost_container.algorithm_mode import serve

    client = serve.ScoringService.app.test_client()
    out = []
    for content_type, accept, body in REQUESTS:
        headers = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        r = client.post("/invocations", data=body.encode(), headers=headers)
        data = r.data
        try:
            text = data.decode()
        except UnicodeDecodeError:
            text = None
        out.append({
            "contentType": content_type, "accept": accept, "body": body, "status": r.status_code,
            "responseType": r.headers.get("Content-Type"), "response": text if text is not None else data.hex(),
            **({"binary": True} if text is None else {}),
        })
    return out


def main():
    if sys.argv[1] == "models":
        make_models()
        return
    src, version = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        model, env = sys.argv[3], json.loads(sys.argv[4])
        json.dump(run_config(src, model, env), sys.stdout)
        return
    results = []
    for model, env in CONFIGS:
        child_env = {**os.environ, **env, "SM_MODEL_DIR": os.path.join(MODELS, model)}
        p = subprocess.run([sys.executable, __file__, src, version, model, json.dumps(env)],
                           env=child_env, capture_output=True, text=True, check=True)
        results.append({"model": model, "env": env, "requests": json.loads(p.stdout)})
    json.dump({"version": version, "serving": results}, sys.stdout, indent=None)
    sys.stdout.write("\n")


main()
