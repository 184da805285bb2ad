/**
 * The one way sagebrew sends an AWS SDK v3 command: typed by the command (its output is the
 * answer's type), and every failure turned into one `SagebrewError` that says what was being
 * done, the IAM action and resource, and why — or into an answer, for the errors that mean one (a
 * missing resource, a bucket already ours). Requests are checked against the API table by the
 * adapters that have one (SageMaker's, the runtime's) before they get here; this module loads no
 * table, so that ECR, S3 or STS alone start without it.
 */
import { type AwsCall, awsError } from "./errors.js";

/** An SDK v3 command: its input, and the handler whose answer carries its output type. */
export interface SdkCommand {
  readonly input: object;
  resolveMiddleware(...args: never[]): (...args: never[]) => Promise<{ output: object }>;
}

/** The output type of an SDK v3 command (`GetObjectCommand` → `GetObjectCommandOutput`). */
export type OutputOf<C> = C extends {
  resolveMiddleware(...args: never[]): (...args: never[]) => Promise<{ output: infer O }>;
}
  ? O
  : never;

/** Any SDK v3 client (or a fake with its `send`). */
export interface SdkClient {
  send(command: never): Promise<unknown>;
}

/** What `otherwise` returns to throw the error as every other failure is thrown. */
export const FAIL: unique symbol = Symbol("fail");

/**
 * Sends `command` with `client` and returns its output.
 *
 * @throws SagebrewError SB_AWS naming the call, its IAM action and the reason.
 * @example const out = await send(s3, new GetObjectCommand({ Bucket, Key }), { action: "s3:GetObject", resource, doing: `read ${uri}` });
 */
export function send<C extends SdkCommand>(
  client: SdkClient,
  command: C,
  call: AwsCall,
): Promise<OutputOf<C>>;
/**
 * Sends `command`; an error that is an answer becomes what `otherwise` returns for it (`FAIL` for
 * the others, thrown as `send` throws them).
 */
export function send<C extends SdkCommand, F>(
  client: SdkClient,
  command: C,
  call: AwsCall,
  otherwise: (error: unknown) => F | typeof FAIL,
): Promise<OutputOf<C> | F>;
export async function send<C extends SdkCommand, F>(
  client: SdkClient,
  command: C,
  call: AwsCall,
  otherwise?: (error: unknown) => F | typeof FAIL,
): Promise<OutputOf<C> | F> {
  try {
    return (await client.send(command as never)) as OutputOf<C>;
  } catch (e) {
    const answer = otherwise ? otherwise(e) : FAIL;
    if (answer !== FAIL) return answer;
    throw awsError(call, e);
  }
}
