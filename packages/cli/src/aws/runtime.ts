/**
 * InvokeEndpoint over `@aws-sdk/client-sagemaker-runtime`, its input first checked against SageMaker
 * Runtime's API table (a request it would refuse is not sent). A ModelError (HTTP 424: the
 * container answered with an error) is an answer, not a failure: it comes back with the container's
 * status and message so that callers print it the way `predict --url` prints a non-2xx answer.
 */
import type { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { SagebrewError } from "@sagebrew/runtime/core";
import { SAGEMAKER_RUNTIME, validateInput } from "../api/index.js";
import { type AwsOptions, clientConfig, deferred, loadSageMakerRuntime } from "./_sdk.js";
import { FAIL, send } from "./send.js";

export interface InvokeOptions {
  readonly contentType?: string;
  readonly accept?: string;
  readonly customAttributes?: string;
  /** Multi-model endpoints: the model archive to use (relative to the model data URL). */
  readonly targetModel?: string;
  readonly targetVariant?: string;
  readonly inferenceId?: string;
}

/** What the endpoint answered. */
export interface InvokeResult {
  /** 200, or 424 for a ModelError. */
  readonly status: number;
  readonly body: Uint8Array;
  readonly contentType?: string;
  readonly customAttributes?: string;
  readonly invokedVariant?: string;
  /** Set for a ModelError: what the container itself answered. */
  readonly modelError?: {
    readonly originalStatusCode?: number;
    readonly originalMessage?: string;
    readonly logStreamArn?: string;
  };
}

export interface EndpointRuntimeApi {
  invoke(endpoint: string, body: Uint8Array, options: InvokeOptions): Promise<InvokeResult>;
}

type Sdk = typeof import("@aws-sdk/client-sagemaker-runtime");

/** Adapts a `SageMakerRuntimeClient` to `EndpointRuntimeApi`. */
export function runtimeApiFromClient(client: SageMakerRuntimeClient, sdk: Sdk): EndpointRuntimeApi {
  return {
    async invoke(endpoint, body, options) {
      const input = {
        EndpointName: endpoint,
        Body: body,
        ContentType: options.contentType,
        Accept: options.accept,
        CustomAttributes: options.customAttributes,
        TargetModel: options.targetModel,
        TargetVariant: options.targetVariant,
        InferenceId: options.inferenceId,
      };
      const invalid = validateInput(SAGEMAKER_RUNTIME, "InvokeEndpoint", input);
      if (invalid) {
        throw new SagebrewError(
          "SB_USAGE",
          `Cannot invoke endpoint ${endpoint}: ValidationError: ${invalid.message}`,
        );
      }
      const out = await send(
        client,
        new sdk.InvokeEndpointCommand(input),
        { action: "sagemaker:InvokeEndpoint", resource: endpoint, doing: `invoke endpoint ${endpoint}` },
        // The container's own error status is an answer, not a failure of the call.
        (e) => (e instanceof sdk.ModelError ? e : FAIL),
      );
      if (out instanceof sdk.ModelError) {
        const message = out.OriginalMessage ?? out.message;
        return {
          status: out.$metadata.httpStatusCode ?? 424,
          body: new TextEncoder().encode(message),
          modelError: {
            ...(out.OriginalStatusCode !== undefined ? { originalStatusCode: out.OriginalStatusCode } : {}),
            ...(message ? { originalMessage: message } : {}),
            ...(out.LogStreamArn ? { logStreamArn: out.LogStreamArn } : {}),
          },
        };
      }
      return {
        status: out.$metadata.httpStatusCode ?? 200,
        body: out.Body ?? new Uint8Array(),
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
        ...(out.CustomAttributes ? { customAttributes: out.CustomAttributes } : {}),
        ...(out.InvokedProductionVariant ? { invokedVariant: out.InvokedProductionVariant } : {}),
      };
    },
  };
}

/** An `EndpointRuntimeApi` over a real `SageMakerRuntimeClient`. */
export function sdkRuntime(options: AwsOptions = {}): EndpointRuntimeApi {
  let api: Promise<EndpointRuntimeApi> | undefined;
  return deferred(() => {
    api ??= loadSageMakerRuntime().then((sdk) =>
      runtimeApiFromClient(new sdk.SageMakerRuntimeClient(clientConfig(options)), sdk),
    );
    return api;
  });
}
