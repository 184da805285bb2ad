/**
 * What a resource's document must hold to be served: read at start, so that a state file that was
 * cut short, edited by hand or written by something else is moved aside (and reported) instead of
 * being answered half-filled or tripping a job's or an endpoint's recovery.
 */
import type { ResourceKind } from "../arn.js";
import type { StoredResource } from "../state/index.js";

const STATUSES: Readonly<Record<string, readonly string[]>> = {
  "training-job": ["InProgress", "Completed", "Failed", "Stopping", "Stopped"],
  "transform-job": ["InProgress", "Completed", "Failed", "Stopping", "Stopped"],
  endpoint: ["Creating", "Updating", "InService", "Deleting", "Failed", "OutOfService"],
  "hyper-parameter-tuning-job": ["InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting"],
};

type Doc = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);

/** The first member of `doc` that is missing or of the wrong type, as a sentence; undefined when all hold. */
function expect(doc: Doc, members: Readonly<Record<string, "string" | "number" | "object" | "array">>) {
  for (const [name, type] of Object.entries(members)) {
    const v = doc[name];
    const ok = type === "array" ? Array.isArray(v) : type === "object" ? isObject(v) : typeof v === type;
    if (!ok) return `${name} is not ${type === "array" || type === "object" ? `an ${type}` : `a ${type}`}`;
  }
  return undefined;
}

/** A deployment (`_live`, `_pending`) as an endpoint records it. */
function deploymentProblem(doc: Doc, key: string): string | undefined {
  const d = doc[key];
  if (d === undefined) return undefined;
  if (
    !isObject(d) ||
    typeof d.generation !== "number" ||
    typeof d.config !== "string" ||
    !Array.isArray(d.variants)
  )
    return `${key} is not a deployment`;
  return undefined;
}

/** The tuning core's state as a tuning job records it (what resuming it reads). */
function tuningStateProblem(doc: Doc): string | undefined {
  const s = doc._state as Doc;
  if (s.version !== 1 || !isObject(s.spec) || !Array.isArray(s.trials) || !Array.isArray(s.parents))
    return "_state is not a tuning state of version 1";
  const spec = s.spec as Doc;
  if (
    !Array.isArray(spec.ranges) ||
    !isObject(spec.objective) ||
    !isObject(spec.objectiveDefinition) ||
    typeof spec.maxJobs !== "number" ||
    typeof spec.maxParallel !== "number"
  )
    return "_state's spec is not a tuning spec";
  if (
    !(s.trials as unknown[]).every((t) => isObject(t) && typeof t.name === "string" && Array.isArray(t.curve))
  )
    return "_state has a trial without a name or objective curve";
  if (doc._runner !== "runtime" && doc._runner !== "docker") return "_runner is not runtime or docker";
  return undefined;
}

/**
 * What is wrong with a document of `kind` read from the state directory, or undefined.
 *
 * @example checkDocument("model", { name: "m" }); // "ModelName is not a string"
 */
export function checkDocument(kind: ResourceKind, doc: StoredResource): string | undefined {
  const d = doc as Doc;
  const statusKey = {
    "training-job": "TrainingJobStatus",
    "transform-job": "TransformJobStatus",
    endpoint: "EndpointStatus",
    "hyper-parameter-tuning-job": "HyperParameterTuningJobStatus",
  }[kind as "training-job"];
  if (statusKey && !STATUSES[kind]!.includes(String(d[statusKey])))
    return `${statusKey} ${JSON.stringify(d[statusKey])} is not one of ${STATUSES[kind]!.join(", ")}`;
  switch (kind) {
    case "training-job":
      return (
        expect(d, {
          TrainingJobName: "string",
          TrainingJobArn: "string",
          SecondaryStatus: "string",
          SecondaryStatusTransitions: "array",
          AlgorithmSpecification: "object",
          OutputDataConfig: "object",
          ResourceConfig: "object",
          StoppingCondition: "object",
          ModelArtifacts: "object",
          CreationTime: "number",
          LastModifiedTime: "number",
        }) ??
        (d._runner === "runtime" || d._runner === "docker" ? undefined : "_runner is not runtime or docker")
      );
    case "transform-job":
      return expect(d, {
        TransformJobName: "string",
        TransformJobArn: "string",
        ModelName: "string",
        TransformInput: "object",
        TransformOutput: "object",
        TransformResources: "object",
        CreationTime: "number",
        LastModifiedTime: "number",
        _model: "object",
      });
    case "model":
      return (
        expect(d, { ModelName: "string", ModelArn: "string", CreationTime: "number" }) ??
        (isObject(d.PrimaryContainer) || (Array.isArray(d.Containers) && isObject(d.Containers[0]))
          ? undefined
          : "it has no container")
      );
    case "endpoint-config":
      return expect(d, {
        EndpointConfigName: "string",
        EndpointConfigArn: "string",
        ProductionVariants: "array",
        CreationTime: "number",
      });
    case "endpoint":
      return (
        expect(d, {
          EndpointName: "string",
          EndpointArn: "string",
          EndpointConfigName: "string",
          CreationTime: "number",
          LastModifiedTime: "number",
        }) ??
        deploymentProblem(d, "_live") ??
        deploymentProblem(d, "_pending")
      );
    case "hyper-parameter-tuning-job":
      return (
        expect(d, {
          HyperParameterTuningJobName: "string",
          HyperParameterTuningJobArn: "string",
          HyperParameterTuningJobConfig: "object",
          CreationTime: "number",
          LastModifiedTime: "number",
          _state: "object",
          _threads: "number",
        }) ?? tuningStateProblem(d)
      );
  }
}
