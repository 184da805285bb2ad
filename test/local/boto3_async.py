"""Asynchronous and serverless endpoints through boto3, as AWS's docs write them, against
`sagebrew local` with nothing but AWS_ENDPOINT_URL set: the input uploaded to S3,
invoke_endpoint_async, the answer read back from S3 (with boto3's own object_exists waiter), a
failure object, the refusals, and a serverless endpoint. Prints one JSON line of what it saw.

    python3 boto3_async.py <model.tar.gz>
"""
import json
import sys

import boto3
import botocore
from botocore.config import Config

MODEL_TAR = sys.argv[1]
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
BUCKET = "sagemaker-async-example"
ROWS = "5.1,3.5,1.4,0.2\n6.7,3.1,5.6,2.4\n"

# Every answer is seen as it comes: boto3 would retry a ThrottlingException by itself.
once = Config(retries={"max_attempts": 1, "mode": "standard"})
s3 = boto3.client("s3")
sm = boto3.client("sagemaker")
runtime = boto3.client("sagemaker-runtime", config=once)
seen = {}


def error_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return {
            "code": e.response["Error"]["Code"],
            "message": e.response["Error"]["Message"],
            "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return None


def wait_for(uri):
    bucket, key = uri[len("s3://"):].split("/", 1)
    s3.get_waiter("object_exists").wait(Bucket=bucket, Key=key, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    obj = s3.get_object(Bucket=bucket, Key=key)
    return {"body": obj["Body"].read().decode(), "contentType": obj["ContentType"]}


def endpoint(name, variant, **config):
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "iris", **variant}],
        **config,
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    return sm.describe_endpoint(EndpointName=name)


s3.create_bucket(Bucket=BUCKET)
s3.upload_file(MODEL_TAR, BUCKET, "model/model.tar.gz")
s3.put_object(Bucket=BUCKET, Key="input/rows.csv", Body=ROWS.encode())
s3.put_object(Bucket=BUCKET, Key="input/bad.csv", Body=b"not,a,number,row\n")
sm.create_model(
    ModelName="iris",
    ExecutionRoleArn=ROLE,
    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/model/model.tar.gz"},
)

# A real-time endpoint of the same model, for the answer to compare with.
endpoint("iris-realtime", {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1})
seen["realtime"] = (
    runtime.invoke_endpoint(EndpointName="iris-realtime", ContentType="text/csv", Body=ROWS)["Body"].read().decode()
)

described = endpoint(
    "iris-async",
    {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
    AsyncInferenceConfig={
        "OutputConfig": {
            "S3OutputPath": f"s3://{BUCKET}/async-output",
            "S3FailurePath": f"s3://{BUCKET}/async-failures",
            "NotificationConfig": {"SuccessTopic": "arn:aws:sns:us-east-1:123456789012:done"},
        },
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
    },
)
seen["describedAsync"] = described["AsyncInferenceConfig"]
response = runtime.invoke_endpoint_async(
    EndpointName="iris-async",
    InputLocation=f"s3://{BUCKET}/input/rows.csv",
    ContentType="text/csv",
    InvocationTimeoutSeconds=3600,
)
seen["async"] = {
    "status": response["ResponseMetadata"]["HTTPStatusCode"],
    "inferenceId": response["InferenceId"],
    "outputLocation": response["OutputLocation"],
    "failureLocation": response["FailureLocation"],
    "output": wait_for(response["OutputLocation"]),
}
bad = runtime.invoke_endpoint_async(
    EndpointName="iris-async", InputLocation=f"s3://{BUCKET}/input/bad.csv", ContentType="text/csv"
)
seen["failure"] = wait_for(bad["FailureLocation"])
seen["realtimeOnAsync"] = error_of(
    lambda: runtime.invoke_endpoint(EndpointName="iris-async", ContentType="text/csv", Body=ROWS)
)
seen["asyncOnRealtime"] = error_of(
    lambda: runtime.invoke_endpoint_async(EndpointName="iris-realtime", InputLocation=f"s3://{BUCKET}/input/rows.csv")
)
seen["badTimeout"] = error_of(
    lambda: runtime.invoke_endpoint_async(
        EndpointName="iris-async", InputLocation=f"s3://{BUCKET}/input/rows.csv", InvocationTimeoutSeconds=3601
    )
)

described = endpoint("iris-serverless", {"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}})
seen["describedServerless"] = described["ProductionVariants"][0]
seen["serverless"] = (
    runtime.invoke_endpoint(EndpointName="iris-serverless", ContentType="text/csv", Body=ROWS)["Body"].read().decode()
)
seen["serverlessTooBig"] = error_of(
    lambda: runtime.invoke_endpoint(
        EndpointName="iris-serverless", ContentType="text/csv", Body=b"1" * (4 * 1024 * 1024 + 1)
    )
)
seen["badMemory"] = error_of(
    lambda: sm.create_endpoint_config(
        EndpointConfigName="bad-memory",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "iris", "ServerlessConfig": {"MemorySizeInMB": 1536, "MaxConcurrency": 5}}
        ],
    )
)
print(json.dumps(seen, default=str))
