"""SageMaker's whole cycle with boto3 alone: upload the data to S3, train with SageMaker's built-in
XGBoost image, deploy the model, invoke the endpoint, invoke an asynchronous endpoint (input and
answer in S3), run a batch transform S3 -> S3, read its results, and delete what was made.

It is written for SageMaker and runs unchanged against `sagebrew local`:

    sagebrew local --state .sagebrew/local &
    export AWS_ENDPOINT_URL=http://127.0.0.1:8081 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    python3 examples/boto3/train_and_deploy.py

On SageMaker, set SAGEMAKER_ROLE to a role SageMaker may assume (and BUCKET to a bucket of yours,
else SageMaker's default bucket of the account is used, created when missing). The image is the
us-east-1 one; set XGBOOST_IMAGE for another region.
"""
import os
import pathlib
import tempfile
import time

import boto3
from botocore.exceptions import ClientError

HERE = pathlib.Path(__file__).resolve().parent
# Iris with numeric labels (the class in the first column): SageMaker's XGBoost reads CSV labels as numbers.
IRIS = HERE.parent / "iris-xgboost" / "local_test" / "builtin_dir" / "input" / "data" / "train" / "iris.csv"

session = boto3.session.Session()
region = session.region_name or "us-east-1"
account = session.client("sts").get_caller_identity()["Account"]
role = os.environ.get("SAGEMAKER_ROLE", f"arn:aws:iam::{account}:role/SageMakerRole")
bucket = os.environ.get("BUCKET", f"sagemaker-{region}-{account}")
image = os.environ.get("XGBOOST_IMAGE", "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")
prefix = f"boto3-example/{time.strftime('%Y%m%d-%H%M%S')}"
name = f"iris-boto3-{time.strftime('%Y%m%d-%H%M%S')}"
# Waiters poll every 5 s (their defaults wait 30-120 s between polls).
wait = {"Delay": 5, "MaxAttempts": 720}

s3 = session.client("s3")
sm = session.client("sagemaker")
runtime = session.client("sagemaker-runtime")

# 1. The bucket and the data. The training file is iris repeated to 8 MB and more, so that
#    upload_file sends it as a multipart upload, as it does for any large file.
try:
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    print(f"created bucket s3://{bucket}")
except ClientError as e:
    if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
        raise
with tempfile.TemporaryDirectory() as tmp:
    train_file = pathlib.Path(tmp) / "iris.csv"
    train_file.write_bytes(IRIS.read_bytes() * 3300)
    s3.upload_file(str(train_file), bucket, f"{prefix}/train/iris.csv")
head = s3.head_object(Bucket=bucket, Key=f"{prefix}/train/iris.csv")
print(f"uploaded s3://{bucket}/{prefix}/train/iris.csv ({head['ContentLength']} bytes, ETag {head['ETag']})")

# 2. Training with the built-in XGBoost image.
sm.create_training_job(
    TrainingJobName=name,
    RoleArn=role,
    AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
    HyperParameters={"objective": "multi:softmax", "num_class": "3", "num_round": "20", "max_depth": "3"},
    InputDataConfig=[
        {
            "ChannelName": "train",
            "ContentType": "text/csv",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{bucket}/{prefix}/train/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }
    ],
    OutputDataConfig={"S3OutputPath": f"s3://{bucket}/{prefix}/output"},
    ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
    StoppingCondition={"MaxRuntimeInSeconds": 3600},
)
sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig=wait)
job = sm.describe_training_job(TrainingJobName=name)
if job["TrainingJobStatus"] != "Completed":
    raise SystemExit(f"training job {name}: {job['TrainingJobStatus']}: {job.get('FailureReason')}")
artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
print(f"training job {name}: Completed, model {artifact}")

# 3. The model, an endpoint config and an endpoint.
sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": image, "ModelDataUrl": artifact})
sm.create_endpoint_config(
    EndpointConfigName=name,
    ProductionVariants=[
        {"VariantName": "main", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
    ],
)
sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=wait)
print(f"endpoint {name}: InService")

# 4. One prediction.
answer = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"5.1,3.5,1.4,0.2")
print(f"prediction for 5.1,3.5,1.4,0.2: {answer['Body'].read().decode().strip()}")

# 5. Asynchronous inference: an endpoint on the same model whose config has an AsyncInferenceConfig
#    takes requests whose input is in S3, queues them, and writes each answer (or failure) to S3.
async_name = f"{name}-async"
sm.create_endpoint_config(
    EndpointConfigName=async_name,
    ProductionVariants=[
        {"VariantName": "main", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
    ],
    AsyncInferenceConfig={
        "OutputConfig": {
            "S3OutputPath": f"s3://{bucket}/{prefix}/async-out",
            "S3FailurePath": f"s3://{bucket}/{prefix}/async-failures",
        }
    },
)
sm.create_endpoint(EndpointName=async_name, EndpointConfigName=async_name)
sm.get_waiter("endpoint_in_service").wait(EndpointName=async_name, WaiterConfig=wait)
s3.put_object(Bucket=bucket, Key=f"{prefix}/async-in/row.csv", Body=b"5.1,3.5,1.4,0.2")
queued = runtime.invoke_endpoint_async(
    EndpointName=async_name, InputLocation=f"s3://{bucket}/{prefix}/async-in/row.csv", ContentType="text/csv"
)


def s3_text(uri):
    """The object at an s3:// URI, or None while there is none."""
    b, key = uri[len("s3://"):].split("/", 1)
    try:
        return s3.get_object(Bucket=b, Key=key)["Body"].read().decode()
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchKey":
            raise
        return None


# Either the answer or the failure object appears (the SageMaker Python SDK's AsyncPredictor polls so).
for _ in range(900):
    result, failure = s3_text(queued["OutputLocation"]), s3_text(queued["FailureLocation"])
    if result is not None or failure is not None:
        break
    time.sleep(2)
if result is None:
    raise SystemExit(f"asynchronous invocation {queued['InferenceId']} failed: {failure}")
print(f"async prediction for 5.1,3.5,1.4,0.2: {result.strip()} ({queued['OutputLocation']})")

# 6. A batch transform from S3 to S3, and its results read back.
s3.put_object(Bucket=bucket, Key=f"{prefix}/batch/rows.csv", Body=b"5.1,3.5,1.4,0.2\n7,3.2,4.7,1.4\n6.3,3.3,6,2.5\n")
sm.create_transform_job(
    TransformJobName=name,
    ModelName=name,
    TransformInput={
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}/batch/"}},
        "ContentType": "text/csv",
        "SplitType": "Line",
    },
    TransformOutput={"S3OutputPath": f"s3://{bucket}/{prefix}/batch-out", "AssembleWith": "Line"},
    TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
)
sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig=wait)
transform = sm.describe_transform_job(TransformJobName=name)
if transform["TransformJobStatus"] != "Completed":
    raise SystemExit(f"transform job {name}: {transform['TransformJobStatus']}: {transform.get('FailureReason')}")
out = s3.get_object(Bucket=bucket, Key=f"{prefix}/batch-out/rows.csv.out")["Body"].read().decode()
print("batch transform: " + " ".join(line.strip() for line in out.splitlines()))

# 7. Clean up: the endpoints, their configs, the model, and what was uploaded (the bucket stays).
sm.delete_endpoint(EndpointName=name)
sm.delete_endpoint_config(EndpointConfigName=name)
sm.delete_endpoint(EndpointName=async_name)
sm.delete_endpoint_config(EndpointConfigName=async_name)
sm.delete_model(ModelName=name)
keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix) for o in p.get("Contents", [])]
for i in range(0, len(keys), 1000):
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True})
print(f"deleted endpoint {name}, its config and model, and {len(keys)} objects under s3://{bucket}/{prefix}/")
print(f"deleted endpoint {async_name} and its config")
