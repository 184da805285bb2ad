// SageMaker's whole cycle with the AWS SDK for JavaScript v3 alone: upload the data to S3 with
// @aws-sdk/lib-storage's Upload (a multipart upload), train with SageMaker's built-in XGBoost
// image, deploy, invoke, invoke an asynchronous endpoint (input and answer in S3), run a batch
// transform S3 -> S3, read its results, and delete.
//
// Written for SageMaker, it runs unchanged against `sagebrew local`:
//   sagebrew local --state .sagebrew/local &
//   export AWS_ENDPOINT_URL=http://127.0.0.1:8081 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
//   node examples/js-sdk/train_and_deploy.mjs
// On SageMaker, set SAGEMAKER_ROLE (and BUCKET, else SageMaker's default bucket is used); the image
// is the us-east-1 one: set XGBOOST_IMAGE for another region.
import { readFileSync } from "node:fs";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  SageMakerClient,
  waitUntilEndpointInService,
  waitUntilTrainingJobCompletedOrStopped,
  waitUntilTransformJobCompletedOrStopped,
} from "@aws-sdk/client-sagemaker";
import {
  InvokeEndpointAsyncCommand,
  InvokeEndpointCommand,
  SageMakerRuntimeClient,
} from "@aws-sdk/client-sagemaker-runtime";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Upload } from "@aws-sdk/lib-storage";

// Iris with numeric labels (the class in the first column): SageMaker's XGBoost reads CSV labels as numbers.
const IRIS = new URL("../iris-xgboost/local_test/builtin_dir/input/data/train/iris.csv", import.meta.url);

const s3 = new S3Client({});
const sm = new SageMakerClient({});
const runtime = new SageMakerRuntimeClient({});
const region = await sm.config.region();
const { Account: account } = await new STSClient({}).send(new GetCallerIdentityCommand({}));
const role = process.env.SAGEMAKER_ROLE ?? `arn:aws:iam::${account}:role/SageMakerRole`;
const bucket = process.env.BUCKET ?? `sagemaker-${region}-${account}`;
const image =
  process.env.XGBOOST_IMAGE ?? "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
const name = `iris-js-${stamp}`;
const prefix = `js-sdk-example/${stamp}`;
// Waiters poll every 2-5 s (their defaults wait 30-120 s between polls).
const wait = { client: sm, maxWaitTime: 3600, minDelay: 2, maxDelay: 5 };

// 1. The bucket and the data: the training file is iris repeated to 8 MB and more, uploaded by
//    lib-storage's Upload in 5 MiB parts.
try {
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region } }),
    }),
  );
  console.log(`created bucket s3://${bucket}`);
} catch (e) {
  if (e.name !== "BucketAlreadyOwnedByYou") throw e;
}
const iris = readFileSync(IRIS);
const upload = new Upload({
  client: s3,
  params: { Bucket: bucket, Key: `${prefix}/train/iris.csv`, Body: Buffer.concat(Array(3300).fill(iris)) },
  partSize: 5 * 1024 * 1024,
});
const uploaded = await upload.done();
console.log(`uploaded s3://${bucket}/${prefix}/train/iris.csv (ETag ${uploaded.ETag})`);

// 2. Training with the built-in XGBoost image.
await sm.send(
  new CreateTrainingJobCommand({
    TrainingJobName: name,
    RoleArn: role,
    AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: "File" },
    HyperParameters: { objective: "multi:softmax", num_class: "3", num_round: "20", max_depth: "3" },
    InputDataConfig: [
      {
        ChannelName: "train",
        ContentType: "text/csv",
        DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: `s3://${bucket}/${prefix}/train/` } },
      },
    ],
    OutputDataConfig: { S3OutputPath: `s3://${bucket}/${prefix}/output` },
    ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  }),
);
await waitUntilTrainingJobCompletedOrStopped(wait, { TrainingJobName: name });
const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
if (job.TrainingJobStatus !== "Completed")
  throw new Error(`training job ${name}: ${job.TrainingJobStatus}: ${job.FailureReason}`);
const artifact = job.ModelArtifacts.S3ModelArtifacts;
console.log(`training job ${name}: Completed, model ${artifact}`);

// 3. The model, an endpoint config and an endpoint.
await sm.send(
  new CreateModelCommand({
    ModelName: name,
    ExecutionRoleArn: role,
    PrimaryContainer: { Image: image, ModelDataUrl: artifact },
  }),
);
await sm.send(
  new CreateEndpointConfigCommand({
    EndpointConfigName: name,
    ProductionVariants: [
      { VariantName: "main", ModelName: name, InitialInstanceCount: 1, InstanceType: "ml.m5.large" },
    ],
  }),
);
await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
await waitUntilEndpointInService(wait, { EndpointName: name });
console.log(`endpoint ${name}: InService`);

// 4. One prediction.
const answer = await runtime.send(
  new InvokeEndpointCommand({ EndpointName: name, ContentType: "text/csv", Body: "5.1,3.5,1.4,0.2" }),
);
console.log(`prediction for 5.1,3.5,1.4,0.2: ${Buffer.from(answer.Body).toString().trim()}`);

// 5. Asynchronous inference: an endpoint on the same model whose config has an AsyncInferenceConfig
//    takes requests whose input is in S3, queues them, and writes each answer (or failure) to S3.
const asyncName = `${name}-async`;
await sm.send(
  new CreateEndpointConfigCommand({
    EndpointConfigName: asyncName,
    ProductionVariants: [
      { VariantName: "main", ModelName: name, InitialInstanceCount: 1, InstanceType: "ml.m5.large" },
    ],
    AsyncInferenceConfig: {
      OutputConfig: {
        S3OutputPath: `s3://${bucket}/${prefix}/async-out`,
        S3FailurePath: `s3://${bucket}/${prefix}/async-failures`,
      },
    },
  }),
);
await sm.send(new CreateEndpointCommand({ EndpointName: asyncName, EndpointConfigName: asyncName }));
await waitUntilEndpointInService(wait, { EndpointName: asyncName });
await s3.send(
  new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/async-in/row.csv`, Body: "5.1,3.5,1.4,0.2" }),
);
const queued = await runtime.send(
  new InvokeEndpointAsyncCommand({
    EndpointName: asyncName,
    InputLocation: `s3://${bucket}/${prefix}/async-in/row.csv`,
    ContentType: "text/csv",
  }),
);
/** The object at an s3:// URI, or undefined while there is none. */
async function s3Text(uri) {
  const [, b, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  try {
    return await (await s3.send(new GetObjectCommand({ Bucket: b, Key: key }))).Body.transformToString();
  } catch (e) {
    if (e.name === "NoSuchKey") return undefined;
    throw e;
  }
}
// Either the answer or the failure object appears (the SageMaker Python SDK's AsyncPredictor polls so).
let result;
let failure;
for (let i = 0; i < 900 && result === undefined && failure === undefined; i++) {
  if (i > 0) await new Promise((r) => setTimeout(r, 2000));
  [result, failure] = [await s3Text(queued.OutputLocation), await s3Text(queued.FailureLocation)];
}
if (result === undefined) throw new Error(`asynchronous invocation ${queued.InferenceId} failed: ${failure}`);
console.log(`async prediction for 5.1,3.5,1.4,0.2: ${result.trim()} (${queued.OutputLocation})`);

// 6. A batch transform from S3 to S3, and its results read back.
await s3.send(
  new PutObjectCommand({
    Bucket: bucket,
    Key: `${prefix}/batch/rows.csv`,
    Body: "5.1,3.5,1.4,0.2\n7,3.2,4.7,1.4\n6.3,3.3,6,2.5\n",
  }),
);
await sm.send(
  new CreateTransformJobCommand({
    TransformJobName: name,
    ModelName: name,
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: `s3://${bucket}/${prefix}/batch/` } },
      ContentType: "text/csv",
      SplitType: "Line",
    },
    TransformOutput: { S3OutputPath: `s3://${bucket}/${prefix}/batch-out`, AssembleWith: "Line" },
    TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
  }),
);
await waitUntilTransformJobCompletedOrStopped(wait, { TransformJobName: name });
const transform = await sm.send(new DescribeTransformJobCommand({ TransformJobName: name }));
if (transform.TransformJobStatus !== "Completed")
  throw new Error(`transform job ${name}: ${transform.TransformJobStatus}: ${transform.FailureReason}`);
const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/batch-out/rows.csv.out` }));
console.log(`batch transform: ${(await out.Body.transformToString()).trim().split("\n").join(" ")}`);

// 7. Clean up: the endpoints, their configs, the model, and what was uploaded (the bucket stays).
await sm.send(new DeleteEndpointCommand({ EndpointName: name }));
await sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }));
await sm.send(new DeleteEndpointCommand({ EndpointName: asyncName }));
await sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: asyncName }));
await sm.send(new DeleteModelCommand({ ModelName: name }));
const keys = [];
for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
  for (const o of page.Contents ?? []) keys.push(o.Key);
}
for (let i = 0; i < keys.length; i += 1000) {
  await s3.send(
    new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
    }),
  );
}
console.log(
  `deleted endpoint ${name}, its config and model, and ${keys.length} objects under s3://${bucket}/${prefix}/`,
);
console.log(`deleted endpoint ${asyncName} and its config`);
