/**
 * Amazon ECR through the AWS SDK v3: region and account from the standard credential chain and
 * config, idempotent repository creation, and registry login with GetAuthorizationToken.
 */
import type { CreateRepositoryCommand, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { SagebrewError } from "@sagebrew/runtime/core";

import { type AwsOptions, clientConfig, loadEcr as loadSdk } from "./_sdk.js";
import { FAIL, send } from "./send.js";

/** The ECR operations a push needs; `sdkEcr()` implements it, tests pass a fake. */
export interface EcrApi {
  /** The region the client is configured for (env, profile or option). */
  region(): Promise<string>;
  /** Creates `name`; resolves to `"exists"` when it already exists. */
  createRepository(name: string, options?: { scanOnPush?: boolean }): Promise<"created" | "exists">;
  /** Base64 `AWS:<password>` and the registry endpoint (`https://<account>.dkr.ecr.<region>.amazonaws.com`). */
  getAuthorizationToken(): Promise<{ token: string; proxyEndpoint: string; expiresAt?: Date }>;
}

/** The slice of `ECRClient` that `ecrApiFromClient` uses (a fake in tests). */
export interface EcrClientLike {
  send(command: CreateRepositoryCommand | GetAuthorizationTokenCommand): Promise<unknown>;
  readonly config: { region: () => Promise<string> };
}

/** Adapts an SDK `ECRClient` (or a fake with the same `send`) to `EcrApi`. */
export function ecrApiFromClient(client: EcrClientLike): EcrApi {
  return {
    async region() {
      try {
        return await client.config.region();
      } catch (e) {
        throw new SagebrewError(
          "SB_AWS",
          `Cannot resolve the AWS region: ${(e as Error).message} (set AWS_REGION or AWS_DEFAULT_REGION, a profile region, or --region)`,
          { cause: e },
        );
      }
    },
    async createRepository(name, options = {}) {
      const { CreateRepositoryCommand } = await loadSdk();
      const created = await send(
        client,
        new CreateRepositoryCommand({
          repositoryName: name,
          imageScanningConfiguration: { scanOnPush: options.scanOnPush ?? false },
          imageTagMutability: "MUTABLE",
        }),
        { action: "ecr:CreateRepository", resource: name, doing: `create ECR repository ${name}` },
        (e) => ((e as { name?: string }).name === "RepositoryAlreadyExistsException" ? "exists" : FAIL),
      );
      return created === "exists" ? "exists" : "created";
    },
    async getAuthorizationToken() {
      const { GetAuthorizationTokenCommand } = await loadSdk();
      const out = await send(client, new GetAuthorizationTokenCommand({}), {
        action: "ecr:GetAuthorizationToken",
        resource: "*",
        doing: "log in to ECR",
      });
      const data = out.authorizationData?.[0];
      if (!data?.authorizationToken || !data.proxyEndpoint) {
        throw new SagebrewError("SB_AWS", "Cannot log in to ECR: GetAuthorizationToken returned no token");
      }
      return {
        token: data.authorizationToken,
        proxyEndpoint: data.proxyEndpoint,
        ...(data.expiresAt ? { expiresAt: data.expiresAt } : {}),
      };
    },
  };
}

/**
 * An `EcrApi` over a real `ECRClient` (credentials from the standard chain; the region as every
 * other client takes it, AWS_DEFAULT_REGION included).
 */
export function sdkEcr(options: AwsOptions = {}): EcrApi {
  const config = clientConfig(options);
  let api: Promise<EcrApi> | undefined;
  const get = () => {
    api ??= loadSdk().then(({ ECRClient }) =>
      ecrApiFromClient(new ECRClient(config) as unknown as EcrClientLike),
    );
    return api;
  };
  return {
    region: async () => (await get()).region(),
    createRepository: async (name, opts) => (await get()).createRepository(name, opts),
    getAuthorizationToken: async () => (await get()).getAuthorizationToken(),
  };
}

/** Where and how to push to ECR. */
export interface EcrTarget {
  readonly account: string;
  readonly region: string;
  /** Registry host: `<account>.dkr.ecr.<region>.amazonaws.com`. */
  readonly host: string;
  readonly repository: string;
  /** `host/repository`. */
  readonly uri: string;
  /** `Authorization` header value for the registry API. */
  readonly authorization: string;
  readonly created: boolean;
}

/** Reads account and region from an ECR registry host or endpoint URL. */
export function parseEcrHost(endpoint: string): { account: string; region: string; host: string } {
  const host = endpoint.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host);
  if (!m)
    throw new SagebrewError(
      "SB_AWS",
      `Cannot parse ECR endpoint ${endpoint}: expected <account>.dkr.ecr.<region>.amazonaws.com`,
    );
  return { account: m[1] as string, region: m[2] as string, host };
}

/**
 * Creates the repository if needed and logs in: resolves the account (from the token's endpoint),
 * region, registry host and `Authorization` header for a push.
 *
 * @throws SagebrewError SB_AWS when a call fails (credentials, permissions, region).
 * @example const target = await prepareEcrPush(sdkEcr(), "iris-xgboost");
 */
export async function prepareEcrPush(
  ecr: EcrApi,
  repository: string,
  options: { scanOnPush?: boolean } = {},
): Promise<EcrTarget> {
  if (
    !/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(repository) ||
    repository.length > 256
  ) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot use ECR repository name ${repository}: lower-case letters, digits, and . _ - / separators only`,
    );
  }
  const region = await ecr.region();
  const outcome = await ecr.createRepository(repository, options);
  const auth = await ecr.getAuthorizationToken();
  const parsed = parseEcrHost(auth.proxyEndpoint);
  if (parsed.region !== region) {
    throw new SagebrewError(
      "SB_AWS",
      `Cannot log in to ECR: token endpoint ${auth.proxyEndpoint} is not in region ${region}`,
    );
  }
  return {
    account: parsed.account,
    region,
    host: parsed.host,
    repository,
    uri: `${parsed.host}/${repository}`,
    authorization: `Basic ${auth.token}`,
    created: outcome === "created",
  };
}
