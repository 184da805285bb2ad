"""Runs SageMaker's XGBoost container's own validation code on sagebrew's case list and writes what
it answers: the expected outcomes of `SAGEBREW_EMULATE=sagemaker-xgboost:<version>`.

    /usr/bin/python3 upstream_cases.py <sagemaker-xgboost-container checkout or archive>/src <version> > expected-<version>.json

The upstream code is imported unchanged from the release branch of each version (see README.md);
harness_stubs.py stands in for the packages the checked functions import but never call (mlio,
pyarrow, scikit-learn, protobuf), with the real sagemaker_containers/_content_types.py and friends
from REAL_SRC. Debian bookworm's python3 runs it (Python 3.11, XGBoost 1.7.4, numpy, pandas, scipy).

Each case is run through the same calls the container makes in `algorithm_mode/train.py`
(`sagemaker_train`) and records either the validated result or the exception's class and text.
"""
import json
import math
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness_stubs  # noqa: E402,F401  (installs the import hooks)

SRC, VERSION = sys.argv[1], sys.argv[2]
sys.path.insert(0, SRC)

from sagemaker_algorithm_toolkit import exceptions as exc  # noqa: E402
from sagemaker_xgboost_container.algorithm_mode import channel_validation as cv  # noqa: E402
from sagemaker_xgboost_container.algorithm_mode import hyperparameter_validation as hpv  # noqa: E402
from sagemaker_xgboost_container.algorithm_mode import metrics as metrics_mod  # noqa: E402
from sagemaker_xgboost_container import data_utils  # noqa: E402


def jsonable(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if abs(v) < 2**53 else str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def outcome(fn):
    try:
        return {"ok": jsonable(fn())}
    except exc.BaseToolkitError as e:
        return {"error": type(e).__name__, "message": str(e)}
    except Exception as e:  # what the container would crash with
        return {"crash": type(e).__name__, "message": str(e)}


# --- hyperparameters -------------------------------------------------------------------------

NR = {"num_round": "10"}


def hp_cases():
    cases = []

    def add(name, hp):
        cases.append({"name": name, "hyperparameters": hp})

    # test/unit/algorithm_mode/test_algorithm_mode.py, TestAlgorithmModeHyperparameters
    add("test_hyperparameters", {"max_depth": "5", "eta": "0.2", "gamma": "4", "min_child_weight": "6",
                                 "subsample": "0.8", "objective": "binary:logistic", "num_round": "100"})
    add("test_hyperparameters2", {"eval_metric": "auc", "objective": "binary:logistic", "num_round": "100",
                                  "rate_drop": "0.3", "tweedie_variance_power": "1.4"})
    add("test_hyperparameters4", {"max_depth": "5", "eta": "0.2", "gamma": "4", "min_child_weight": "6",
                                  "objective": "multi:softmax", "num_class": "10", "num_round": "10"})
    add("test_hyperparameters5", {"max_depth": "5", "eta": "0.2", "gamma": "4", "min_child_weight": "6",
                                  "tree_method": "exact", "objective": "multi:softmax", "num_class": "10",
                                  "num_round": "10", "monotone_constraints": "(1,0)",
                                  "interaction_constraints": "[[1,2,4],[3,5]]"})
    add("test_hyperparameters6", {"tree_method": "approx", "objective": "multi:softmax", "num_class": "10",
                                  "num_round": "10", "interaction_constraints": "[[1,2,4],[3,5]]"})
    add("test_hyperparameters7", {"learning_rate": "0.2", "objective": "multi:softmax", "num_class": "10",
                                  "num_round": "10"})
    add("test_hyperparameters8", {"min_split_loss": "4", "num_round": "10"})
    add("test_hyperparameters9", {"reg_lambda": "10", "num_round": "10"})
    add("test_hyperparameters10", {"reg_alpha": "10", "num_round": "10"})
    add("test_hyperparameters11", {"reg_alpha": "10", "objective": "multi:softmax", "num_class": "10",
                                   "num_round": "10", "_kfold": "5"})
    # test/unit/algorithm_mode/test_hyperparameter_validation.py
    for objective in ["count:poisson", "reg:gamma", "reg:logistic", "reg:squarederror", "reg:tweedie",
                      "multi:softmax", "multi:softprob", "survival:cox"]:
        add(f"test_auc_invalid_objective {objective}", {"eval_metric": "auc", "objective": objective})
    for v in ["0", "3", "4"]:
        add(f"test_verbosity {v}", {"num_round": "1", "verbosity": v})
    for v in ["10", "-1", "0"]:
        add(f"test_num_parallel_tree {v}", {"num_round": "5", "num_parallel_tree": v})
    for v in ["true", "false", "incorrect"]:
        add(f"test_save_model_on_termination {v}", {"num_round": "5", "save_model_on_termination": v})
    add("test_survival_analysis 1", {"num_round": "1", "eval_metric": "aft-nloglik", "objective": "reg:squarederror"})
    add("test_survival_analysis 2", {"num_round": "1", "eval_metric": "aft-nloglik", "objective": "survival:aft"})

    # Required, extraneous, aliases, reserved keys.
    add("no hyperparameters", {})
    add("num_round only", dict(NR))
    add("unknown name", {**NR, "silent": "0"})
    add("unknown name first", {"n_estimators": "10", **NR})
    add("sagemaker_ key", {**NR, "sagemaker_region": "us-east-1"})
    add("alias and name", {**NR, "eta": "0.1", "learning_rate": "0.2"})
    add("name and alias", {**NR, "learning_rate": "0.2", "eta": "0.1"})
    add("every alias", {**NR, "learning_rate": "0.1", "min_split_loss": "1", "reg_lambda": "2", "reg_alpha": "3"})

    # Every scalar hyperparameter over a row of typical and edge values.
    ints = ["num_round", "csv_weights", "early_stopping_rounds", "verbosity", "nthread", "max_depth",
            "refresh_leaf", "max_leaves", "max_bin", "one_drop", "num_class", "seed", "num_parallel_tree",
            "prob_buffer_row", "_kfold", "_num_cv_round", "_nfold", "silent"]
    floats = ["eta", "gamma", "min_child_weight", "max_delta_step", "subsample", "colsample_bytree",
              "colsample_bylevel", "colsample_bynode", "lambda", "alpha", "sketch_eps", "scale_pos_weight",
              "rate_drop", "skip_drop", "lambda_bias", "tweedie_variance_power", "base_score",
              "aft_loss_distribution_scale"]
    values = ["0", "1", "2", "-1", "0.5", "1.5", "3", "1000", " 7 ", "+4", "1_0", "1e3", "abc", "",
              "nan", "inf", "-inf", "Infinity", "0x10", "2147483646", "2147483647", "-2147483647",
              "-2147483648", "99999999999999999999", "1.", ".5", "1e-5", "4.0"]
    for name in ints + floats:
        for v in values:
            hp = {**NR, name: v} if name != "num_round" else {name: v}
            add(f"{name}={v!r}", hp)
    cats = {
        "booster": ["gbtree", "gblinear", "dart", "GBTREE", " gbtree", "linear"],
        "tree_method": ["auto", "exact", "approx", "hist", "gpu_hist", "HIST", "fast"],
        "dsplit": ["row", "col", "column"],
        "process_type": ["default", "update", "Default"],
        "grow_policy": ["depthwise", "lossguide", "depth"],
        "predictor": ["auto", "cpu_predictor", "gpu_predictor", "cpu"],
        "sample_type": ["uniform", "weighted", "Uniform"],
        "normalize_type": ["tree", "forest", "forests"],
        "save_model_on_termination": ["true", "false", "True", "1"],
        "deterministic_histogram": ["true", "false", "TRUE"],
        "sampling_method": ["uniform", "gradient_based", "gradient"],
        "aft_loss_distribution": ["normal", "logistic", "extreme", "Normal"],
        "single_precision_histogram": ["true", "false", "yes"],
        "use_dask_gpu_training": ["true", "false", "False"],
        "objective": ["reg:squarederror", "reg:linear", "binary:logistic", "binary:logitraw", "binary:hinge",
                      "count:poisson", "rank:pairwise", "rank:ndcg", "rank:map", "reg:logistic", "reg:gamma",
                      "reg:pseudohubererror", "reg:squaredlogerror", "reg:absoluteerror", "reg:tweedie",
                      "survival:aft", "survival:cox", "aft_loss_distribution", "reg:quantileerror",
                      "multi:softprob", "binary:LOGISTIC", "reg:squarederror "],
    }
    for name, vs in cats.items():
        for v in vs:
            add(f"{name}={v!r}", {**NR, name: v})
    # num_class and objective (objective_validator)
    add("multi:softprob without num_class", {**NR, "objective": "multi:softprob"})
    add("multi:softmax without num_class", {**NR, "objective": "multi:softmax"})
    add("multi:softprob num_class=3", {**NR, "objective": "multi:softprob", "num_class": "3"})
    add("num_class without objective", {**NR, "num_class": "3"})
    add("num_class with binary", {**NR, "objective": "binary:logistic", "num_class": "2"})
    add("num_class=1", {**NR, "objective": "multi:softprob", "num_class": "1"})
    # eval_metric (range and dependency validators)
    metrics = ["rmse", "mae", "logloss", "error", "error@0.7", "error@", "error@abc", "ndcg@3", "map@5",
               "ndcg@3-", "map@5-", "auc", "aucpr", "merror", "mlogloss", "accuracy", "f1", "f1_binary",
               "f1_macro", "balanced_accuracy", "precision", "precision_macro", "precision_micro", "recall",
               "recall_macro", "recall_micro", "mse", "r2", "mape", "mphe", "rmsle", "poisson-nloglik",
               "gamma-nloglik", "gamma-deviance", "tweedie-nloglik", "cox-nloglik", "aft-nloglik",
               "interval-regression-accuracy", "rmse,mae", "rmse, mae", "rmse,", ",rmse", "RMSE", "foo",
               "rmse@0.5", "<function f>", "pre@5", "tweedie-nloglik@1.5"]
    for m in metrics:
        add(f"eval_metric={m!r} binary", {**NR, "objective": "binary:logistic", "eval_metric": m})
    for m in ["rmse", "auc", "aft-nloglik", "f1_binary"]:
        add(f"eval_metric={m!r} multi", {**NR, "objective": "multi:softprob", "num_class": "3", "eval_metric": m})
        add(f"eval_metric={m!r} no objective", {**NR, "eval_metric": m})
        add(f"eval_metric={m!r} survival:aft", {**NR, "objective": "survival:aft", "eval_metric": m})
    # _tuning_objective_metric
    for m in ["validation:rmse", "validation:auc", "validation:accuracy", "validation:f1_binary",
              "validation:mape", "validation:error@0.5", "rmse", "train:rmse", "validation:foo"]:
        add(f"_tuning_objective_metric={m!r}", {**NR, "objective": "binary:logistic", "_tuning_objective_metric": m})
    # updater (range and dependency validators)
    for u in ["grow_colmaker", "grow_histmaker", "grow_quantile_histmaker", "grow_local_histmaker", "distcol",
              "grow_skmaker", "sync", "refresh", "prune", "refresh,prune", "grow_colmaker,prune",
              "grow_colmaker,grow_histmaker", "shotgun", "coord_descent", "grow_colmaker, prune", "foo", ""]:
        add(f"updater={u!r}", {**NR, "updater": u})
        add(f"updater={u!r} gblinear", {**NR, "booster": "gblinear", "updater": u})
        add(f"updater={u!r} update", {**NR, "process_type": "update", "updater": u})
    # monotone_constraints and interaction_constraints
    for t in ["exact", "hist", "approx", "auto", None]:
        for v in ["(1,0)", "(1,0,-1)", "[1,0]", "(1)", "(1,)", "(2,0)", "(1.5,0)", "(True,0)", "()", "abc", "foo",
                  "(1,0", "1", "'10'", "(-1, 1)"]:
            hp = {**NR, "monotone_constraints": v}
            if t:
                hp["tree_method"] = t
            add(f"monotone_constraints={v!r} tree_method={t}", hp)
        for v in ["[[1,2,4],[3,5]]", "[[0,1]]", "[[1.5]]", "[1,2]", "[['a']]", "[[1,2]", "[]", "[[]]", "abc",
                  "[[True]]", "((1,2),)"]:
            hp = {**NR, "interaction_constraints": v}
            if t:
                hp["tree_method"] = t
            add(f"interaction_constraints={v!r} tree_method={t}", hp)
    return cases


def run_hyperparameters(hp):
    metrics = metrics_mod.initialize()
    hps = hpv.initialize(metrics)
    return hps.validate(dict(hp))


# --- channels ----------------------------------------------------------------------------------


def channel(ct="text/csv", mode="File", dist="FullyReplicated", wrapper="None", drop=()):
    c = {"ContentType": ct, "TrainingInputMode": mode, "S3DistributionType": dist, "RecordWrapperType": wrapper}
    for k in drop:
        c.pop(k, None)
    return c


def channel_cases():
    cases = []

    def add(name, config):
        cases.append({"name": name, "inputdataconfig": config})

    # test/unit/algorithm_mode/test_algorithm_mode.py, TestAlgorithmModeChannels
    add("test_channels", {"train": channel("csv"), "validation": channel("csv")})
    add("test_channels_train_only", {"train": channel("csv")})
    # test/unit/algorithm_mode/test_channel_validation.py: the default content type
    add("no ContentType", {"train": channel(drop=("ContentType",))})
    content_types = ["csv", "text/csv", "libsvm", "text/libsvm", "text/x-libsvm", "parquet", "application/x-parquet",
                     "recordio-protobuf", "application/x-recordio-protobuf", "text/csv; label_size=1",
                     "text/csv;label_size=1", "Text/CSV", "TEXT/CSV", "application/json", "text/plain", ""]
    for ct in content_types:
        for mode in ["File", "Pipe", "FastFile"]:
            add(f"{ct!r} {mode}", {"train": channel(ct, mode)})
        add(f"{ct!r} File ShardedByS3Key", {"train": channel(ct, "File", "ShardedByS3Key")})
    add("no train", {"validation": channel()})
    add("training", {"training": channel()})
    add("train and training", {"train": channel(), "training": channel()})
    add("train and test", {"train": channel(), "test": channel()})
    add("code", {"train": channel(), "code": channel("text/python", "File", "FullyReplicated")})
    add("code sharded", {"train": channel(), "code": channel("text/python", "File", "ShardedByS3Key")})
    add("validation libsvm, train csv", {"train": channel("csv"), "validation": channel("libsvm")})
    add("no S3DistributionType", {"train": channel(drop=("S3DistributionType",))})
    add("no RecordWrapperType", {"train": channel(drop=("RecordWrapperType",))})
    add("RecordIO wrapper", {"train": channel("text/csv", "Pipe", "FullyReplicated", "RecordIO")})
    add("no TrainingInputMode", {"train": channel(drop=("TrainingInputMode",))})
    add("quote in ContentType", {"train": channel("text/csv; x=\"a'b\"")})
    return cases


def run_channels(config):
    channels = cv.initialize()
    validated = channels.validate(json.loads(json.dumps(config)))
    return {k: v.get("ContentType") for k, v in validated.items()}


# --- content types (data_utils.get_content_type) -----------------------------------------------


def content_type_cases():
    # test/unit/test_data_utils.py, test_get_content_type, and more
    values = ["libsvm", "text/libsvm", "text/x-libsvm", "csv", "text/csv", "text/csv; label_size=1",
              "text/csv;label_size = 1", "text/csv; charset=utf-8", "text/csv; label_size=1; charset=utf-8",
              "parquet", "application/x-parquet", "recordio-protobuf", "application/x-recordio-protobuf",
              "incorrect_format", "text/csv; label_size=5", "text/csv; label_size=1=1",
              "text/csv; label_size=1; label_size=2", "label_size=1; text/csv", "TEXT/CSV", " text/csv ",
              "text/csv;", "text/csv; label_size=\"1\"", "application/json", "", None]
    return [{"name": repr(v), "contentType": v} for v in values]


def run_content_type(value):
    return data_utils.get_content_type(value)


# --- data files (get_size, validate_data_file_path, get_dmatrix) -----------------------------


def data_cases():
    cases = []

    def add(name, content_type, files, csv_weights=0):
        cases.append({"name": name, "contentType": content_type, "files": files, "csvWeights": csv_weights})

    iris = "5.1,3.5,1.4,0.2\n"
    add("csv numbers", "csv", {"a.csv": "0,5.1,3.5\n1,4.9,3.0\n"})
    add("csv class names", "csv", {"iris.csv": "setosa,5.1,3.5,1.4,0.2\nversicolor,7.0,3.2,4.7,1.4\nvirginica,6.3,3.3,6.0,2.5\n"})
    add("csv header", "csv", {"a.csv": "label,f1,f2\n0,5.1,3.5\n1,4.9,3.0\n"})
    add("csv semicolons", "csv", {"a.csv": "0;5.1;3.5\n1;4.9;3.0\n"})
    add("csv tabs", "csv", {"a.csv": "0\t5.1\t3.5\n1\t4.9\t3.0\n"})
    add("csv one column", "csv", {"a.csv": "0\n1\n"})
    add("csv empty first line", "csv", {"a.csv": "\n0,5.1,3.5\n"})
    add("csv weights", "csv", {"a.csv": "0,0.5,5.1,3.5\n1,2,4.9,3.0\n"}, 1)
    add("csv two files", "csv", {"a.csv": "0,1,2\n", "b.csv": "1,3,4\n"})
    add("csv in a subdirectory", "csv", {"part/a.csv": "0,1,2\n1,3,4\n"})
    add("csv four levels deep", "csv", {"a.csv": "0,1,2\n", "x/y/z/w/b.csv": "1,3,4\n"})
    add("csv hidden file", "csv", {"a.csv": "0,1,2\n", ".hidden": "x"})
    add("csv _SUCCESS marker", "csv", {"a.csv": "0,1,2\n1,3,4\n", "_SUCCESS": ""})
    add("csv empty file", "csv", {"a.csv": ""})
    add("csv nan and empty fields", "csv", {"a.csv": "0,nan,\n1,,3\n"})
    add("csv junk feature", "csv", {"a.csv": "0,abc,3\n1,2,3\n"})
    add("csv iris names, no label", "csv", {"a.csv": iris})
    add("libsvm", "libsvm", {"a.libsvm": "0 1:5.1 2:3.5\n1 1:4.9 2:3.0\n"})
    add("libsvm class names", "libsvm", {"a.libsvm": "setosa 1:5.1 2:3.5\nversicolor 1:4.9 2:3.0\n"})
    add("libsvm weights", "libsvm", {"a.libsvm": "0:0.5 1:5.1 2:3.5\n1:2 1:4.9 2:3.0\n"})
    add("libsvm given csv", "libsvm", {"a.csv": "0,5.1,3.5\n1,4.9,3.0\n"})
    add("libsvm one feature", "libsvm", {"a.libsvm": "0 1:5.1\n1 1:4.9\n"})
    add("libsvm no features", "libsvm", {"a.libsvm": "0\n1\n"})
    add("libsvm index without value", "libsvm", {"a.libsvm": "0 1:5.1 3:\n1 1:4.9 2:3.0\n"})
    add("csv given libsvm", "csv", {"a.libsvm": "0 1:5.1 2:3.5\n1 1:4.9 2:3.0\n"})
    add("no files", "csv", {})
    return cases


def run_data(case, root):
    train = os.path.join(root, "train")
    os.makedirs(train)
    for rel, text in case["files"].items():
        path = os.path.join(train, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    content_type = data_utils.get_content_type(case["contentType"])
    # algorithm_mode/train.py, get_validated_dmatrices (File mode)
    size = data_utils.get_size(train)
    if size > 0:
        data_utils.validate_data_file_path(train, content_type)
    dmatrix = data_utils.get_dmatrix(train, content_type, csv_weights=case["csvWeights"]) if size > 0 else None
    if dmatrix is None:
        # algorithm_mode/train.py, sagemaker_train (one host)
        raise exc.UserError("No data in training channel path {}".format(train))
    labels = [float(x) for x in dmatrix.get_label()]
    weights = [float(x) for x in dmatrix.get_weight()]
    return {"rows": dmatrix.num_row(), "cols": dmatrix.num_col(), "labels": labels, "weights": weights}


def main():
    out = {"version": VERSION, "hyperparameters": [], "channels": [], "contentTypes": [], "data": []}
    for case in hp_cases():
        out["hyperparameters"].append({**case, "outcome": outcome(lambda: run_hyperparameters(case["hyperparameters"]))})
    for case in channel_cases():
        out["channels"].append({**case, "outcome": outcome(lambda: run_channels(case["inputdataconfig"]))})
    for case in content_type_cases():
        out["contentTypes"].append({**case, "outcome": outcome(lambda: run_content_type(case["contentType"]))})
    for case in data_cases():
        root = tempfile.mkdtemp()
        try:
            result = outcome(lambda: run_data(case, root))
        finally:
            shutil.rmtree(root)
            shutil.rmtree("/tmp/sagemaker_xgboost_input_data", ignore_errors=True)
        if "message" in result:
            result["message"] = result["message"].replace(root, "<root>")
        out["data"].append({**case, "outcome": result})
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


main()
