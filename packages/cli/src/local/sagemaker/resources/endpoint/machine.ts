/**
 * An endpoint's state machine, as SageMaker's DescribeEndpoint shows it: `EndpointStatus`
 * Creating → InService | Failed; InService → Updating → InService (the new config serving, or the
 * old one still serving with the update's `FailureReason`); any → Deleting → gone. Besides the
 * status, the document records what serves (`_live`) and what a create or update rolls out
 * (`_pending`), each a frozen deployment with a generation number, so that the endpoint engine's
 * reports about an earlier rollout are refused rather than applied. Plain functions; the only
 * place an endpoint's status is written.
 */
import type {
  AsyncInferenceConfig,
  DeployedVariant,
  Deployment,
  EndpointDoc,
  ProductionVariantSummary,
} from "../../docs.js";
import { MAX_REASON_CHARS, type Transition } from "../transition.js";

/** What can happen to an endpoint: asked for by a request, or reported by the endpoint engine. */
export type EndpointEvent =
  /** UpdateEndpoint: roll out `config` (its variants and their models, frozen) beside what serves. */
  | {
      readonly type: "update-requested";
      readonly config: string;
      readonly variants: DeployedVariant[];
      readonly asyncInference?: AsyncInferenceConfig;
    }
  /** DeleteEndpoint. */
  | { readonly type: "delete-requested" }
  /** Every container of rollout `generation` answers /ping: it serves now. */
  | { readonly type: "deployed"; readonly generation: number; readonly variants: ProductionVariantSummary[] }
  /** Rollout `generation` could not start. */
  | { readonly type: "deploy-failed"; readonly generation: number; readonly reason: string }
  /** After a restart, the serving deployment `generation` could not start again. */
  | { readonly type: "restart-failed"; readonly generation: number; readonly reason: string }
  /** Every container stopped and its files removed, after a delete. */
  | { readonly type: "removed" };

/** The next document, gone, or why the event does not apply. */
export type EndpointTransition = Transition<EndpointDoc> | { readonly removed: true };

function refuse(doc: EndpointDoc, event: EndpointEvent): EndpointTransition {
  return {
    refused: `Cannot apply ${event.type} to endpoint ${doc.EndpointName}: it is ${doc.EndpointStatus}`,
  };
}

/** The document with `change` applied and the keys of `drop` removed. */
function changed(
  doc: EndpointDoc,
  now: number,
  change: Partial<EndpointDoc>,
  drop: ReadonlyArray<keyof EndpointDoc> = [],
): EndpointTransition {
  const next: Record<string, unknown> = { ...doc, ...change, LastModifiedTime: now };
  for (const k of drop) delete next[k];
  return { doc: next as EndpointDoc };
}

/**
 * The endpoint after `event` at `now` (epoch seconds).
 *
 * @example endpointTransition(doc, { type: "delete-requested" }, Date.now() / 1000);
 */
export function endpointTransition(doc: EndpointDoc, event: EndpointEvent, now: number): EndpointTransition {
  const status = doc.EndpointStatus;
  switch (event.type) {
    case "update-requested":
      if (status === "Failed") return { refused: `Cannot update failed endpoint "${doc.EndpointArn}".` };
      if (status !== "InService")
        return { refused: `Cannot update in-progress endpoint "${doc.EndpointArn}".` };
      if (!isServerless(doc._live?.variants) && isServerless(event.variants))
        return {
          refused: `Cannot update endpoint "${doc.EndpointArn}" to serverless endpoint configuration ${event.config}: an endpoint on instances cannot become serverless (a serverless endpoint can move to instances).`,
        };
      return changed(
        doc,
        now,
        {
          EndpointStatus: "Updating",
          _pending: {
            generation: (doc._live?.generation ?? 0) + 1,
            config: event.config,
            variants: event.variants,
            ...(event.asyncInference ? { asyncInference: event.asyncInference } : {}),
          },
        },
        ["FailureReason"],
      );
    case "delete-requested":
      return changed(doc, now, { EndpointStatus: "Deleting" });
    case "deployed":
      if ((status !== "Creating" && status !== "Updating") || doc._pending?.generation !== event.generation)
        return refuse(doc, event);
      return changed(
        doc,
        now,
        {
          EndpointStatus: "InService",
          EndpointConfigName: doc._pending.config,
          ProductionVariants: event.variants,
          ...(doc._pending.asyncInference ? { AsyncInferenceConfig: doc._pending.asyncInference } : {}),
          _live: doc._pending,
        },
        doc._pending.asyncInference
          ? ["_pending", "FailureReason"]
          : ["_pending", "FailureReason", "AsyncInferenceConfig"],
      );
    case "deploy-failed": {
      if ((status !== "Creating" && status !== "Updating") || doc._pending?.generation !== event.generation)
        return refuse(doc, event);
      const FailureReason = event.reason.slice(0, MAX_REASON_CHARS);
      // A failed update leaves the old deployment serving, as SageMaker rolls it back.
      return status === "Updating"
        ? changed(doc, now, { EndpointStatus: "InService", FailureReason }, ["_pending"])
        : changed(doc, now, { EndpointStatus: "Failed", FailureReason }, ["_pending"]);
    }
    case "restart-failed":
      if ((status !== "InService" && status !== "Updating") || doc._live?.generation !== event.generation)
        return refuse(doc, event);
      return changed(
        doc,
        now,
        { EndpointStatus: "Failed", FailureReason: event.reason.slice(0, MAX_REASON_CHARS) },
        ["_pending"],
      );
    case "removed":
      if (status !== "Deleting") return refuse(doc, event);
      return { removed: true };
  }
}

/** True when a deployment's variants are serverless (a serverless config has one variant). */
function isServerless(variants: readonly DeployedVariant[] | undefined): boolean {
  return variants?.some((v) => v.variant.ServerlessConfig !== undefined) ?? false;
}

/** An endpoint as CreateEndpoint makes it: Creating, its config's first rollout pending. */
export function newEndpoint(o: {
  readonly name: string;
  readonly arn: string;
  readonly config: string;
  readonly variants: DeployedVariant[];
  readonly asyncInference?: AsyncInferenceConfig;
  readonly tags?: EndpointDoc["Tags"];
  readonly now: number;
}): EndpointDoc {
  return {
    name: o.name,
    EndpointName: o.name,
    EndpointArn: o.arn,
    EndpointConfigName: o.config,
    EndpointStatus: "Creating",
    CreationTime: o.now,
    LastModifiedTime: o.now,
    ...(o.tags ? { Tags: o.tags } : {}),
    _pending: {
      generation: 1,
      config: o.config,
      variants: o.variants,
      ...(o.asyncInference ? { asyncInference: o.asyncInference } : {}),
    } satisfies Deployment,
  };
}
