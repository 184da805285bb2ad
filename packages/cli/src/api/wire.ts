/**
 * An AWS SDK type as it travels in a JSON protocol's body (AWS JSON 1.1, REST-JSON): timestamps as
 * epoch seconds, blobs as base64 text. `sagebrew local`'s handlers take the SDK's own input types
 * in this form (`JsonWire<CreateTrainingJobRequest>`), imported with `import type` so that no SDK
 * code loads.
 */
export type JsonWire<T> = T extends Date
  ? number
  : T extends Uint8Array
    ? string
    : T extends readonly (infer U)[]
      ? JsonWire<U>[]
      : T extends object
        ? { [K in keyof T]: JsonWire<T[K]> }
        : T;
