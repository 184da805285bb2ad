"""The SageMaker cycle with boto3, unchanged, against `sagebrew local`.

Usage: python3 boto3_cycle.py <phase> <endpoint-url> <work-dir> <iris-file>
Prints one JSON object (what the test checks) on the last line of stdout.
Phases: cycle (train, deploy, invoke, stream, update under load, transform, delete, logs),
failures (a failing job, a stopped job, validation errors), restart-before / restart-after.
"""
import json
import os
import sys
import threading
import time

import boto3
import botocore

phase, url, work, iris = sys.argv[1:5]
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
HP = {"objective": "multi:softmax", "num_class": "3", "num_round": "20", "max_depth": "3"}
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
sm = boto3.client("sagemaker", **kw)
rt = boto3.client("sagemaker-runtime", **kw)
logs = boto3.client("logs", **kw)
out = {}


def job(name, hp=None, **over):
    spec = dict(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        HyperParameters=hp or HP,
        InputDataConfig=[
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "file://" + iris}},
            }
        ],
        OutputDataConfig={"S3OutputPath": "file://" + os.path.join(work, "out")},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    spec.update(over)
    return spec


def wait_job(name, until=("Completed", "Failed", "Stopped"), secondary=None):
    for _ in range(1200):
        d = sm.describe_training_job(TrainingJobName=name)
        if d["TrainingJobStatus"] in until or (secondary and d["SecondaryStatus"] == secondary):
            return d
        time.sleep(0.1)
    raise RuntimeError("training job %s did not finish" % name)


def error_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "extra": {k: v for k, v in e.response.items() if k in ("OriginalStatusCode", "OriginalMessage")}}
    return None


def invoke(endpoint, body, **extra):
    r = rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body, **extra)
    return r["Body"].read().decode()


if phase == "cycle":
    sm.create_training_job(**job("iris-py"))
    waiter = sm.get_waiter("training_job_completed_or_stopped")
    waiter.wait(TrainingJobName="iris-py", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    d = sm.describe_training_job(TrainingJobName="iris-py")
    out["training"] = {"status": d["TrainingJobStatus"], "secondary": [t["Status"] for t in d["SecondaryStatusTransitions"]],
                       "artifacts": d["ModelArtifacts"]["S3ModelArtifacts"], "arn": d["TrainingJobArn"]}
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="iris-py/")["logStreams"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=streams[0]["logStreamName"], startFromHead=True)["events"]
    out["logs"] = {"streams": [s["logStreamName"] for s in streams], "lines": [e["message"] for e in events]}

    model = d["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(ModelName="iris-py", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE, "ModelDataUrl": model})
    sm.create_model(ModelName="iris-py-json", ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": model,
                                      "Environment": {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/json"}})
    for cfg, model_name in (("iris-py-1", "iris-py"), ("iris-py-2", "iris-py-json")):
        sm.create_endpoint_config(EndpointConfigName=cfg, ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": model_name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="iris-py", EndpointConfigName="iris-py-1")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="iris-py", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    r = rt.invoke_endpoint(EndpointName="iris-py", ContentType="text/csv", Accept="application/json",
                           Body=b"5.1,3.5,1.4,0.2\n6.7,3.1,5.6,2.4\n", CustomAttributes="trace=1", InferenceId="req-1")
    out["invoke"] = {"body": r["Body"].read().decode(), "contentType": r["ContentType"], "variant": r["InvokedProductionVariant"]}
    out["modelError"] = error_of(lambda: invoke("iris-py", b"5.1,3.5,1.4,0.2,9.9\n"))
    s = rt.invoke_endpoint_with_response_stream(EndpointName="iris-py", ContentType="text/csv", Body=b"5.1,3.5,1.4,0.2\n")
    out["stream"] = b"".join(ev["PayloadPart"]["Bytes"] for ev in s["Body"] if "PayloadPart" in ev).decode()

    stop = threading.Event()
    counts = {"csv": 0, "json": 0, "failed": 0}
    lock = threading.Lock()

    def load():
        client = boto3.client("sagemaker-runtime", **kw)
        while not stop.is_set():
            try:
                text = client.invoke_endpoint(EndpointName="iris-py", ContentType="text/csv", Body=b"5.1,3.5,1.4,0.2\n")["Body"].read().decode()
                key = "csv" if text in ("0\n", "0.0\n") else "json" if text.startswith('{"predictions"') else "failed"
            except Exception:
                key = "failed"
            with lock:
                counts[key] += 1

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    sm.update_endpoint(EndpointName="iris-py", EndpointConfigName="iris-py-2")
    out["updating"] = sm.describe_endpoint(EndpointName="iris-py")["EndpointStatus"]
    sm.get_waiter("endpoint_in_service").wait(EndpointName="iris-py", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    seen = counts["json"]
    for _ in range(100):
        if counts["json"] >= seen + 20:
            break
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    out["update"] = dict(counts, config=sm.describe_endpoint(EndpointName="iris-py")["EndpointConfigName"])

    src = os.path.join(work, "batch-in")
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "rows.csv"), "w") as f:
        f.write("5.1,3.5,1.4,0.2\n6.7,3.1,5.6,2.4\n5.9,3.0,4.2,1.5\n")
    dst = os.path.join(work, "batch-out")
    sm.create_transform_job(TransformJobName="iris-py-batch", ModelName="iris-py", BatchStrategy="SingleRecord",
                            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "file://" + src}},
                                            "ContentType": "text/csv", "SplitType": "Line"},
                            TransformOutput={"S3OutputPath": "file://" + dst, "Accept": "text/csv", "AssembleWith": "Line"},
                            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="iris-py-batch", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    t = sm.describe_transform_job(TransformJobName="iris-py-batch")
    with open(os.path.join(dst, "rows.csv.out")) as f:
        out["transform"] = {"status": t["TransformJobStatus"], "out": f.read()}

    sm.delete_endpoint(EndpointName="iris-py")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="iris-py", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    out["deleted"] = error_of(lambda: sm.describe_endpoint(EndpointName="iris-py"))
    endpoint_streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/Endpoints/iris-py", logStreamNamePrefix="AllTraffic/")
    out["endpointLogStreams"] = len(endpoint_streams["logStreams"])

elif phase == "failures":
    sm.create_training_job(**job("iris-py-bad", hp=dict(HP, eta="fast")))
    d = wait_job("iris-py-bad")
    out["failed"] = {"status": d["TrainingJobStatus"], "reason": d.get("FailureReason", "")}
    sm.create_training_job(**job("iris-py-stop", hp=dict(HP, num_round="1000000")))
    wait_job("iris-py-stop", secondary="Training")
    sm.stop_training_job(TrainingJobName="iris-py-stop")
    d = wait_job("iris-py-stop")
    out["stopped"] = {"status": d["TrainingJobStatus"], "secondary": d["SecondaryStatus"]}
    out["badName"] = error_of(lambda: sm.create_training_job(**job("under_score")))
    out["duplicate"] = error_of(lambda: sm.create_training_job(**job("iris-py-bad")))
    out["noModel"] = error_of(lambda: sm.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "ghost", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]))
    out["notFound"] = error_of(lambda: sm.describe_training_job(TrainingJobName="ghost"))
    out["noEndpoint"] = error_of(lambda: rt.invoke_endpoint(EndpointName="ghost", ContentType="text/csv", Body=b"1"))

elif phase == "restart-before":
    sm.create_model(ModelName="iris-py-keep", ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "file://" + os.path.join(work, "out", "iris-py", "output", "model.tar.gz")})
    sm.create_endpoint_config(EndpointConfigName="iris-py-keep", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "iris-py-keep", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="iris-py-keep", EndpointConfigName="iris-py-keep", Tags=[{"Key": "team", "Value": "ml"}])
    sm.get_waiter("endpoint_in_service").wait(EndpointName="iris-py-keep", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    out["answer"] = invoke("iris-py-keep", b"6.7,3.1,5.6,2.4\n")

elif phase == "restart-after":
    arn = sm.describe_endpoint(EndpointName="iris-py-keep")["EndpointArn"]
    out["status"] = sm.describe_endpoint(EndpointName="iris-py-keep")["EndpointStatus"]
    out["answer"] = invoke("iris-py-keep", b"6.7,3.1,5.6,2.4\n")
    out["tags"] = sm.list_tags(ResourceArn=arn)["Tags"]
    out["jobs"] = sorted(j["TrainingJobName"] for j in sm.list_training_jobs(MaxResults=100)["TrainingJobSummaries"])
    sm.delete_endpoint(EndpointName="iris-py-keep")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="iris-py-keep", WaiterConfig={"Delay": 1, "MaxAttempts": 300})

print(json.dumps(out))
