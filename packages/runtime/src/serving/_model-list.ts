/**
 * `GET /models` pages (https://docs.aws.amazon.com/sagemaker/latest/dg/mms-container-apis.html): models by name, `limit` per page (default 100, at most
 * 1000), and an opaque `nextPageToken` when more follow, given back as `next_page_token`.
 */
import { SagebrewError } from "../errors/index.js";

/** Models per page of `GET /models` when no `limit` is given. */
export const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** One page of the list, as the multi-model contract shows it. */
export interface ModelListPage {
  models: Array<{ modelName: string; modelUrl: string }>;
  nextPageToken?: string;
}

/**
 * The page of `models` (name → url) that the query of `url` asks for.
 *
 * @throws SagebrewError SB_BAD_REQUEST for a `limit` out of range or a token this server did not give.
 */
export function listPage(models: ReadonlyMap<string, string>, url: string): ModelListPage {
  const params = new URLSearchParams(url.split("?", 2)[1] ?? "");
  const rawLimit = params.get("limit");
  const limit = rawLimit === null || rawLimit === "" ? DEFAULT_PAGE_SIZE : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new SagebrewError(
      "SB_BAD_REQUEST",
      `Cannot list models with limit=${rawLimit}: expected a whole number from 1 to ${MAX_PAGE_SIZE}`,
    );
  }
  const token = params.get("next_page_token") ?? params.get("nextPageToken");
  let after: string | undefined;
  if (token !== null && token !== "") {
    after = decodeToken(token);
    if (after === undefined) {
      throw new SagebrewError(
        "SB_BAD_REQUEST",
        `Cannot list models after next_page_token ${JSON.stringify(token)}: it is not a token this server gave`,
      );
    }
  }
  const names = [...models.keys()].filter((n) => after === undefined || n > after).sort(byCodeUnits);
  const page = names.slice(0, limit);
  const body: ModelListPage = { models: page.map((n) => ({ modelName: n, modelUrl: models.get(n)! })) };
  if (names.length > limit) body.nextPageToken = encodeToken(page[page.length - 1]!);
  return body;
}

/** Orders names by UTF-16 code units, the same on every machine. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeToken(name: string): string {
  return Buffer.from(`m:${name}`, "utf8").toString("base64url");
}

function decodeToken(token: string): string | undefined {
  const text = Buffer.from(token, "base64url").toString("utf8");
  return text.startsWith("m:") && encodeToken(text.slice(2)) === token ? text.slice(2) : undefined;
}
