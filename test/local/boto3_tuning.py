"""Hyperparameter tuning jobs through boto3, as AWS's docs write them, against `sagebrew local`
with nothing but AWS_ENDPOINT_URL set: the iris data uploaded to sagebrew local's S3, one small
job per strategy (Random, Grid, Bayesian, Hyperband) with the built-in XGBoost image, a warm start
from the Random job, each followed with describe_hyper_parameter_tuning_job and its training jobs
read with boto3's own paginators. Prints one JSON line of what it saw.

    python3 boto3_tuning.py <iris.csv>
"""
import json
import sys
import time

import boto3
import botocore

IRIS = sys.argv[1]
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
BUCKET = "sagemaker-tuning-example"
STATICS = {"objective": "multi:softprob", "num_class": "3", "num_round": "6"}

s3 = boto3.client("s3")
sm = boto3.client("sagemaker")
seen = {}


def channel(name):
    return {
        "ChannelName": name,
        "ContentType": "text/csv",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/iris/"}},
    }


def definition(statics=None):
    return {
        "StaticHyperParameters": statics or STATICS,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [channel("train"), channel("validation")],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def config(strategy, jobs, ranges, **more):
    limits = {"MaxParallelTrainingJobs": 2}
    if jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = jobs
    return {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:mlogloss"},
        "ResourceLimits": limits,
        "ParameterRanges": ranges,
        **more,
    }


CONTINUOUS = {
    "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Auto"}],
    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "5"}],
}


def tune(name, cfg, **more):
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=cfg, **more
    )
    while True:
        d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if d["HyperParameterTuningJobStatus"] not in ("InProgress", "Stopping"):
            break
        time.sleep(0.2)
    trials = []
    pages = sm.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=name, PaginationConfig={"PageSize": 2}
    )
    for page in pages:
        trials.extend(page["TrainingJobSummaries"])
    first = sm.describe_training_job(TrainingJobName=trials[0]["TrainingJobName"])
    return {
        "status": d["HyperParameterTuningJobStatus"],
        "counters": d["TrainingJobStatusCounters"],
        "objectives": d["ObjectiveStatusCounters"],
        "best": d.get("BestTrainingJob", {}).get("TrainingJobName"),
        "bestValue": d.get("BestTrainingJob", {}).get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value"),
        "overallBest": d.get("OverallBestTrainingJob", {}).get("TrainingJobName"),
        "trials": [
            {
                "name": t["TrainingJobName"],
                "status": t["TrainingJobStatus"],
                "tuned": t["TunedHyperParameters"],
                "value": t.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value"),
            }
            for t in trials
        ],
        "firstJob": {
            "tuningJobArn": first.get("TuningJobArn"),
            "hyperParameters": first["HyperParameters"],
            "model": first["ModelArtifacts"]["S3ModelArtifacts"],
        },
    }


s3.create_bucket(Bucket=BUCKET)
s3.upload_file(IRIS, BUCKET, "iris/iris.csv")

seen["random"] = tune("py-random", config("Random", 4, CONTINUOUS, RandomSeed=11), TrainingJobDefinition=definition())
seen["grid"] = tune(
    "py-grid",
    config("Grid", None, {"CategoricalParameterRanges": [{"Name": "max_depth", "Values": ["2", "3", "4"]}]}),
    TrainingJobDefinition=definition(),
)
seen["bayesian"] = tune(
    "py-bayes",
    config("Bayesian", 4, CONTINUOUS, RandomSeed=11),
    TrainingJobDefinition=definition(),
    WarmStartConfig={
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "py-random"}],
        "WarmStartType": "IdenticalDataAndAlgorithm",
    },
)
seen["hyperband"] = tune(
    "py-hyperband",
    config(
        "Hyperband",
        4,
        CONTINUOUS,
        StrategyConfig={"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 6}},
    ),
    TrainingJobDefinition=definition(),
)

listed = []
for page in sm.get_paginator("list_hyper_parameter_tuning_jobs").paginate(
    SortBy="CreationTime", SortOrder="Descending", PaginationConfig={"PageSize": 3}
):
    listed.extend(j["HyperParameterTuningJobName"] for j in page["HyperParameterTuningJobSummaries"])
seen["listed"] = listed

try:
    sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="py-none")
except botocore.exceptions.ClientError as e:
    seen["missing"] = {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}

print(json.dumps(seen))
