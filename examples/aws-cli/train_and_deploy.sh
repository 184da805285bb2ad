#!/usr/bin/env bash
# SageMaker's whole cycle with the AWS CLI alone: `aws s3 cp/sync/ls/rm` for the data and results,
# `aws sagemaker …` to train with the built-in XGBoost image, deploy, run a batch transform S3 -> S3
# and delete; `aws sagemaker-runtime invoke-endpoint` for one prediction and `invoke-endpoint-async`
# for one more through an asynchronous endpoint (input and answer in S3).
#
# Written for SageMaker, it runs unchanged against `sagebrew local`:
#   sagebrew local --state .sagebrew/local &
#   export AWS_ENDPOINT_URL=http://127.0.0.1:8081 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
#   bash examples/aws-cli/train_and_deploy.sh
# On SageMaker, set SAGEMAKER_ROLE (and BUCKET, else SageMaker's default bucket is used); the image
# is the us-east-1 one: set XGBOOST_IMAGE for another region.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
iris="$here/../iris-xgboost/local_test/builtin_dir/input/data/train/iris.csv"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
account="$(aws sts get-caller-identity --query Account --output text)"
role="${SAGEMAKER_ROLE:-arn:aws:iam::$account:role/SageMakerRole}"
bucket="${BUCKET:-sagemaker-$region-$account}"
image="${XGBOOST_IMAGE:-683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1}"
stamp="$(date +%Y%m%d-%H%M%S)"
name="iris-cli-$stamp"
prefix="aws-cli-example/$stamp"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Polls a describe command until its status is one of the final ones; prints the last.
wait_for() { # <describe command…> -- <query> <final statuses…>
  local cmd=() status
  while [ "$1" != "--" ]; do cmd+=("$1"); shift; done
  shift
  local query="$1"; shift
  for _ in $(seq 1800); do
    status="$("${cmd[@]}" --query "$query" --output text)"
    for final in "$@"; do [ "$status" = "$final" ] && { echo "$status"; return; }; done
    sleep 2
  done
  echo "timed out: $status"
}

# 1. The bucket and the data: a training file over 8 MB (so `aws s3 cp` uploads it in parts) and a
#    batch of rows to score, both synced up.
aws s3 mb "s3://$bucket" >/dev/null 2>&1 || aws s3api head-bucket --bucket "$bucket"
mkdir -p "$work/train" "$work/batch"
for _ in $(seq 3300); do cat "$iris"; done > "$work/train/iris.csv"
printf '5.1,3.5,1.4,0.2\n7,3.2,4.7,1.4\n6.3,3.3,6,2.5\n' > "$work/batch/rows.csv"
aws s3 cp --only-show-errors "$work/train/iris.csv" "s3://$bucket/$prefix/train/iris.csv"
aws s3 sync --only-show-errors "$work/batch" "s3://$bucket/$prefix/batch"
aws s3 ls --recursive "s3://$bucket/$prefix/"

# 2. Training with the built-in XGBoost image.
aws sagemaker create-training-job --training-job-name "$name" --role-arn "$role" \
  --algorithm-specification "TrainingImage=$image,TrainingInputMode=File" \
  --hyper-parameters objective=multi:softmax,num_class=3,num_round=20,max_depth=3 \
  --input-data-config "[{\"ChannelName\":\"train\",\"ContentType\":\"text/csv\",\"DataSource\":{\"S3DataSource\":{\"S3DataType\":\"S3Prefix\",\"S3Uri\":\"s3://$bucket/$prefix/train/\"}}}]" \
  --output-data-config "S3OutputPath=s3://$bucket/$prefix/output" \
  --resource-config InstanceType=ml.m5.large,InstanceCount=1,VolumeSizeInGB=5 \
  --stopping-condition MaxRuntimeInSeconds=3600 >/dev/null
status="$(wait_for aws sagemaker describe-training-job --training-job-name "$name" -- TrainingJobStatus Completed Failed Stopped)"
[ "$status" = Completed ] || { aws sagemaker describe-training-job --training-job-name "$name" --query FailureReason; exit 1; }
artifact="$(aws sagemaker describe-training-job --training-job-name "$name" --query ModelArtifacts.S3ModelArtifacts --output text)"
echo "training job $name: Completed, model $artifact"

# 3. The model, an endpoint config and an endpoint.
aws sagemaker create-model --model-name "$name" --execution-role-arn "$role" \
  --primary-container "Image=$image,ModelDataUrl=$artifact" >/dev/null
aws sagemaker create-endpoint-config --endpoint-config-name "$name" \
  --production-variants "VariantName=main,ModelName=$name,InitialInstanceCount=1,InstanceType=ml.m5.large" >/dev/null
aws sagemaker create-endpoint --endpoint-name "$name" --endpoint-config-name "$name" >/dev/null
status="$(wait_for aws sagemaker describe-endpoint --endpoint-name "$name" -- EndpointStatus InService Failed)"
[ "$status" = InService ] || exit 1
echo "endpoint $name: InService"

# 4. One prediction.
printf '5.1,3.5,1.4,0.2' > "$work/row.csv"
aws sagemaker-runtime invoke-endpoint --endpoint-name "$name" --content-type text/csv \
  --body "fileb://$work/row.csv" "$work/prediction" >/dev/null
echo "prediction for 5.1,3.5,1.4,0.2: $(cat "$work/prediction")"

# 5. Asynchronous inference: an endpoint on the same model whose config has an AsyncInferenceConfig
#    takes requests whose input is in S3, queues them, and writes each answer (or failure) to S3.
aws sagemaker create-endpoint-config --endpoint-config-name "$name-async" \
  --production-variants "VariantName=main,ModelName=$name,InitialInstanceCount=1,InstanceType=ml.m5.large" \
  --async-inference-config "OutputConfig={S3OutputPath=s3://$bucket/$prefix/async-out,S3FailurePath=s3://$bucket/$prefix/async-failures}" >/dev/null
aws sagemaker create-endpoint --endpoint-name "$name-async" --endpoint-config-name "$name-async" >/dev/null
status="$(wait_for aws sagemaker describe-endpoint --endpoint-name "$name-async" -- EndpointStatus InService Failed)"
[ "$status" = InService ] || exit 1
aws s3 cp --only-show-errors "$work/row.csv" "s3://$bucket/$prefix/async-in/row.csv"
locations="$(aws sagemaker-runtime invoke-endpoint-async --endpoint-name "$name-async" \
  --content-type text/csv --input-location "s3://$bucket/$prefix/async-in/row.csv" \
  --query '[OutputLocation,FailureLocation]' --output text)"
read -r output failure <<<"$locations"
# Either the answer or the failure object appears.
for _ in $(seq 900); do
  aws s3 cp --only-show-errors "$output" "$work/async.out" 2>/dev/null && break
  if aws s3 cp --only-show-errors "$failure" "$work/async.err" 2>/dev/null; then cat "$work/async.err" >&2; exit 1; fi
  sleep 2
done
echo "async prediction for 5.1,3.5,1.4,0.2: $(cat "$work/async.out") ($output)"

# 6. A batch transform from S3 to S3, and its results copied back.
aws sagemaker create-transform-job --transform-job-name "$name" --model-name "$name" \
  --transform-input "{\"DataSource\":{\"S3DataSource\":{\"S3DataType\":\"S3Prefix\",\"S3Uri\":\"s3://$bucket/$prefix/batch/\"}},\"ContentType\":\"text/csv\",\"SplitType\":\"Line\"}" \
  --transform-output "S3OutputPath=s3://$bucket/$prefix/batch-out,AssembleWith=Line" \
  --transform-resources InstanceType=ml.m5.large,InstanceCount=1 >/dev/null
status="$(wait_for aws sagemaker describe-transform-job --transform-job-name "$name" -- TransformJobStatus Completed Failed Stopped)"
[ "$status" = Completed ] || exit 1
aws s3 sync --only-show-errors "s3://$bucket/$prefix/batch-out" "$work/out"
echo "batch transform: $(tr '\n' ' ' < "$work/out/rows.csv.out")"

# 7. Clean up: the endpoints, their configs, the model, and what was uploaded (the bucket stays).
aws sagemaker delete-endpoint --endpoint-name "$name"
aws sagemaker delete-endpoint-config --endpoint-config-name "$name"
aws sagemaker delete-endpoint --endpoint-name "$name-async"
aws sagemaker delete-endpoint-config --endpoint-config-name "$name-async"
aws sagemaker delete-model --model-name "$name"
aws s3 rm --only-show-errors --recursive "s3://$bucket/$prefix/"
echo "deleted endpoint $name, its config and model, and s3://$bucket/$prefix/"
echo "deleted endpoint $name-async and its config"
