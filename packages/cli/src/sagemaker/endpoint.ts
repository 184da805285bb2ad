/**
 * After a deploy: calling an endpoint, and removing what costs money. `planDelete` says what a
 * name refers to (an endpoint with its config and model, a lone model or config, a running job);
 * `deleteResources` removes it. Training artifacts in S3 are never touched.
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import type { InvokeOptions, InvokeResult } from "../aws/index.js";
import type { AwsClients, Reporter } from "./context.js";
import { SILENT } from "./context.js";

export type { InvokeOptions, InvokeResult };

/** Real-time payload limit of InvokeEndpoint. */
export const MAX_INVOKE_BYTES = 6 * 1024 * 1024;

/**
 * Calls an endpoint. A ModelError (HTTP 424) resolves with the container's own status and message
 * in `modelError`; other failures throw.
 *
 * @throws SagebrewError SB_USAGE over 6 MiB or when no endpoint has that name (told apart from one
 *   that is not InService when `clients.sagemaker` is given), SB_AWS when the call fails.
 * @example const answer = await invokeEndpoint(sdkClients(), "iris", Buffer.from("5.1,3.5,1.4,0.2"), { contentType: "text/csv" });
 */
export async function invokeEndpoint(
  clients: Pick<AwsClients, "runtime"> & Partial<Pick<AwsClients, "sagemaker">>,
  endpoint: string,
  body: Uint8Array,
  options: InvokeOptions = {},
): Promise<InvokeResult> {
  if (body.length > MAX_INVOKE_BYTES) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot invoke endpoint ${endpoint}: the payload is ${body.length} bytes, over SageMaker's 6 MiB limit: split it, or use \`sagebrew transform\``,
    );
  }
  try {
    return await clients.runtime.invoke(endpoint, body, options);
  } catch (e) {
    if (clients.sagemaker && e instanceof SagebrewError && NOT_FOUND.test(e.message))
      throw await whyNotFound(clients.sagemaker, endpoint, e);
    throw e;
  }
}

/** SageMaker Runtime's answer for an endpoint that does not exist, or is not InService. */
const NOT_FOUND = /: ValidationError: Endpoint \S+ of account \d+ not found\.?$/;

/** Tells a name nothing has (a wrong command line) from an endpoint that is not InService yet or any more. */
async function whyNotFound(
  sm: AwsClients["sagemaker"],
  endpoint: string,
  answer: SagebrewError,
): Promise<SagebrewError> {
  let described: Awaited<ReturnType<typeof sm.describeEndpoint>>;
  try {
    described = await sm.describeEndpoint(endpoint);
  } catch {
    // Not allowed to describe it (say): SageMaker Runtime's own answer is all there is.
    return answer;
  }
  if (!described)
    return new SagebrewError(
      "SB_USAGE",
      `Cannot invoke endpoint ${endpoint}: no endpoint has that name (\`sagebrew ls\` lists the endpoints sagebrew made; \`sagebrew deploy\` makes one)`,
      { cause: answer },
    );
  const status = described.EndpointStatus ?? "Unknown";
  const reason = described.FailureReason ? `: ${described.FailureReason}` : "";
  const next =
    status === "Creating" || status === "Updating" || status === "SystemUpdating"
      ? `wait until it is InService (\`sagebrew logs ${endpoint} --follow\`)`
      : status === "Failed"
        ? `deploy again once the cause is fixed (\`sagebrew logs ${endpoint}\` shows its container's lines)`
        : `deploy it again (\`sagebrew deploy … --name ${endpoint}\`)`;
  return new SagebrewError(
    "SB_AWS",
    `Cannot invoke endpoint ${endpoint}: it is ${status}, not InService${reason}; ${next}`,
    { cause: answer },
  );
}

/** What a name refers to, and what deleting it does. */
export type DeletePlan =
  | {
      readonly kind: "endpoint";
      readonly endpoint: string;
      readonly endpointConfig?: string;
      readonly models: readonly string[];
      readonly status?: string;
    }
  | { readonly kind: "endpoint-config"; readonly endpointConfig: string }
  | { readonly kind: "model"; readonly model: string }
  | { readonly kind: "training-job" | "transform-job"; readonly job: string; readonly status: string };

/**
 * Finds what `name` is: an endpoint (first), a model, an endpoint config, or a training or
 * transform job.
 *
 * @throws SagebrewError SB_USAGE when nothing has that name.
 */
export async function planDelete(clients: Pick<AwsClients, "sagemaker">, name: string): Promise<DeletePlan> {
  const sm = clients.sagemaker;
  const endpoint = await sm.describeEndpoint(name);
  if (endpoint) {
    const configName = endpoint.EndpointConfigName;
    const config = configName ? await sm.describeEndpointConfig(configName) : undefined;
    const models = (config?.ProductionVariants ?? []).map((v) => v.ModelName).filter((m): m is string => !!m);
    return {
      kind: "endpoint",
      endpoint: name,
      ...(config && configName ? { endpointConfig: configName } : {}),
      models: [...new Set(models)],
      ...(endpoint.EndpointStatus ? { status: endpoint.EndpointStatus } : {}),
    };
  }
  if (await sm.describeModel(name)) return { kind: "model", model: name };
  if (await sm.describeEndpointConfig(name)) return { kind: "endpoint-config", endpointConfig: name };
  const training = await sm.describeTrainingJob(name);
  if (training) return { kind: "training-job", job: name, status: training.TrainingJobStatus ?? "Unknown" };
  const transform = await sm.describeTransformJob(name);
  if (transform)
    return { kind: "transform-job", job: name, status: transform.TransformJobStatus ?? "Unknown" };
  throw new SagebrewError(
    "SB_USAGE",
    `Cannot delete ${name}: no endpoint, model, endpoint config, training job or transform job has that name (\`sagebrew ls\` lists what sagebrew made)`,
  );
}

/** One line saying what `plan` will do. */
export function describePlan(plan: DeletePlan): string {
  switch (plan.kind) {
    case "endpoint": {
      const rest = `${plan.endpointConfig ? `, its endpoint config ${plan.endpointConfig}` : ""}${plan.models.length ? ` and its model ${plan.models.join(", ")}` : ""}`;
      // DeleteEndpoint answers at once and the endpoint stays Deleting while its instances go.
      if (plan.status === "Deleting") {
        return rest
          ? `delete${rest.replace(/^, its/, " the")} (endpoint ${plan.endpoint} is already being deleted)`
          : `nothing: endpoint ${plan.endpoint} is already being deleted (Deleting); it is gone once its instances are`;
      }
      return `delete endpoint ${plan.endpoint}${plan.status ? ` (${plan.status})` : ""}${rest}`;
    }
    case "endpoint-config":
      return `delete endpoint config ${plan.endpointConfig}`;
    case "model":
      return `delete model ${plan.model}`;
    case "training-job":
    case "transform-job":
      return plan.status === "InProgress"
        ? `stop ${plan.kind.replace("-", " ")} ${plan.job} (its S3 output is kept)`
        : `nothing: ${plan.kind.replace("-", " ")} ${plan.job} is ${plan.status}, and jobs cost nothing once ended (its S3 output is kept)`;
  }
}

/** Carries out a plan; resolves to what was removed or stopped. */
export async function deleteResources(
  clients: Pick<AwsClients, "sagemaker">,
  plan: DeletePlan,
  reporter: Reporter = SILENT,
): Promise<string[]> {
  const sm = clients.sagemaker;
  const done: string[] = [];
  switch (plan.kind) {
    case "endpoint":
      if (plan.status !== "Deleting") {
        await sm.deleteEndpoint(plan.endpoint);
        done.push(`endpoint ${plan.endpoint}`);
        reporter.info(`deleted endpoint ${plan.endpoint}`);
      }
      if (plan.endpointConfig) {
        await sm.deleteEndpointConfig(plan.endpointConfig);
        done.push(`endpoint config ${plan.endpointConfig}`);
        reporter.info(`deleted endpoint config ${plan.endpointConfig}`);
      }
      for (const m of plan.models) {
        await sm.deleteModel(m);
        done.push(`model ${m}`);
        reporter.info(`deleted model ${m}`);
      }
      break;
    case "endpoint-config":
      await sm.deleteEndpointConfig(plan.endpointConfig);
      done.push(`endpoint config ${plan.endpointConfig}`);
      reporter.info(`deleted endpoint config ${plan.endpointConfig}`);
      break;
    case "model":
      await sm.deleteModel(plan.model);
      done.push(`model ${plan.model}`);
      reporter.info(`deleted model ${plan.model}`);
      break;
    case "training-job":
    case "transform-job":
      if (plan.status === "InProgress") {
        if (plan.kind === "training-job") await sm.stopTrainingJob(plan.job);
        else await sm.stopTransformJob(plan.job);
        done.push(`${plan.kind.replace("-", " ")} ${plan.job} (stopping)`);
        reporter.info(`stopping ${plan.kind.replace("-", " ")} ${plan.job}`);
      }
      break;
  }
  return done;
}

/**
 * Deletes an endpoint with its endpoint config and model(s).
 *
 * @throws SagebrewError SB_USAGE when no endpoint has that name, SB_AWS when a call fails.
 * @example await deleteEndpoint(sdkClients(), "iris");
 */
export async function deleteEndpoint(
  clients: Pick<AwsClients, "sagemaker">,
  name: string,
  reporter: Reporter = SILENT,
): Promise<string[]> {
  const plan = await planDelete(clients, name);
  if (plan.kind !== "endpoint") {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot delete endpoint ${name}: it is a ${plan.kind.replace("-", " ")}, not an endpoint`,
    );
  }
  return deleteResources(clients, plan, reporter);
}
