/** Who and where: the region the clients use and the account of the credentials (STS). */

import { SagebrewError } from "@sagebrew/runtime/core";
import { type AwsOptions, clientConfig, deferred, loadSts } from "./_sdk.js";
import { send } from "./send.js";

export interface AccountApi {
  /** The region the clients are configured for. */
  region(): Promise<string>;
  /** The 12-digit account of the credentials in use. */
  account(): Promise<string>;
}

/** An `AccountApi` over a real `STSClient` (GetCallerIdentity needs no permission). */
export function sdkAccount(options: AwsOptions = {}): AccountApi {
  let api: Promise<AccountApi> | undefined;
  return deferred(() => {
    api ??= loadSts().then((sdk) => {
      const client = new sdk.STSClient(clientConfig(options));
      let account: Promise<string> | undefined;
      return {
        async region() {
          try {
            return await client.config.region();
          } catch (e) {
            throw new SagebrewError(
              "SB_AWS",
              "Cannot resolve the AWS region: none is set: set AWS_REGION (or AWS_DEFAULT_REGION), a region in the profile, or pass --region",
              { cause: e },
            );
          }
        },
        account() {
          account ??= send(client, new sdk.GetCallerIdentityCommand({}), {
            action: "sts:GetCallerIdentity",
            doing: "identify the AWS account",
          }).then((out) => out.Account ?? "");
          return account;
        },
      };
    });
    return api;
  });
}
