/**
 * What a multi-model load request (`POST /models`) asks for: `{"model_name", "url"}` from the
 * JSON body, or from the query as MMS also takes it; the name within SageMaker's limits and the
 * url inside the models root (`_models-root.ts`).
 */
import { SagebrewError } from "../errors/index.js";
import type { AppRequest } from "./_app-types.js";
import { modelNameProblem, resolveModelUrl } from "./_models-root.js";

/** A load request, its url resolved to an absolute directory inside the models root. */
export interface LoadRequest {
  readonly name: string;
  readonly url: string;
}

const SHAPE = `{"model_name": …, "url": …}`;

/**
 * Reads a load request.
 *
 * @throws SagebrewError SB_BAD_REQUEST for a body that is not a JSON object with string
 * `model_name` and `url`, a name outside SageMaker's limits or a NUL in `url`; SB_FORBIDDEN for a
 * `url` outside `modelsRoot`.
 */
export function parseLoadRequest(req: AppRequest, modelsRoot: string): LoadRequest {
  const params = new URLSearchParams(req.url.split("?", 2)[1] ?? "");
  let fields: Record<string, unknown> = { model_name: params.get("model_name"), url: params.get("url") };
  const text = new TextDecoder().decode(req.body ?? new Uint8Array(0)).trim();
  if (text !== "") fields = jsonObject(text);
  const { model_name: name, url } = fields;
  if (typeof name !== "string" || name.trim() === "") {
    throw bad(`Cannot load a model: model_name is missing or not a string (send ${SHAPE})`);
  }
  if (typeof url !== "string" || url.trim() === "") {
    throw bad(`Cannot load model ${name}: url is missing or not a string (send ${SHAPE})`);
  }
  const problem = modelNameProblem(name);
  if (problem !== undefined) {
    throw bad(`Cannot load model ${clipName(name)}: model_name is not valid: ${problem}`);
  }
  return { name, url: resolveModelUrl(modelsRoot, url) };
}

function jsonObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw bad(`Cannot load a model: the request body is not JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw bad(`Cannot load a model: expected a JSON object ${SHAPE}`);
  }
  return parsed as Record<string, unknown>;
}

function bad(message: string): SagebrewError {
  return new SagebrewError("SB_BAD_REQUEST", message);
}

/** A model name for a message: quoted, and cut short when long. */
export function clipName(name: string): string {
  const quoted = JSON.stringify(name);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}..."` : quoted;
}
