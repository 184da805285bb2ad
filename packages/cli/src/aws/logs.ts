/**
 * The CloudWatch Logs reads sagebrew needs to show a job's or an endpoint's container output:
 * the streams under a prefix and the events of one stream, over `@aws-sdk/client-cloudwatch-logs`.
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { type AwsOptions, clientConfig, deferred, loadLogs } from "./_sdk.js";
import { isNotFound } from "./errors.js";
import { FAIL, send } from "./send.js";

/** One log line as CloudWatch stores it. */
export interface LogEvent {
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly message: string;
}

/** The CloudWatch Logs operations the commands compose; `sdkLogs()` implements it over the SDK. */
export interface LogsApi {
  /** Stream names under `prefix` in `group`, by name; none when the group does not exist yet. */
  streams(group: string, prefix: string): Promise<string[]>;
  /**
   * One page of a stream's events from `startTime` (inclusive), oldest first. `nextToken` continues
   * a previous page; an empty page means the reader is caught up.
   */
  events(
    group: string,
    stream: string,
    options: { startTime?: number; nextToken?: string },
  ): Promise<{ events: LogEvent[]; nextToken?: string }>;
}

type Sdk = typeof import("@aws-sdk/client-cloudwatch-logs");

/** Adapts a `CloudWatchLogsClient` to `LogsApi`. */
export function logsApiFromClient(client: CloudWatchLogsClient, sdk: Sdk): LogsApi {
  // A group appears with the first container output: before that there is nothing to read.
  const none =
    <T>(value: T) =>
    (e: unknown) =>
      isNotFound(e) ? value : FAIL;
  return {
    async streams(group, prefix) {
      const names: string[] = [];
      const call = {
        action: "logs:DescribeLogStreams",
        resource: group,
        doing: `list the log streams of ${group}`,
      };
      let token: string | undefined;
      do {
        const page = await send(
          client,
          new sdk.DescribeLogStreamsCommand({
            logGroupName: group,
            logStreamNamePrefix: prefix,
            orderBy: "LogStreamName",
            nextToken: token,
          }),
          call,
          none(undefined),
        );
        if (!page) return [];
        for (const s of page.logStreams ?? []) if (s.logStreamName) names.push(s.logStreamName);
        token = page.nextToken;
      } while (token);
      return names;
    },
    async events(group, stream, options) {
      const page = await send(
        client,
        new sdk.GetLogEventsCommand({
          logGroupName: group,
          logStreamName: stream,
          startFromHead: true,
          ...(options.nextToken ? { nextToken: options.nextToken } : { startTime: options.startTime }),
        }),
        { action: "logs:GetLogEvents", resource: `${group}:${stream}`, doing: `read log stream ${stream}` },
        none(undefined),
      );
      if (!page) return { events: [] };
      const events = (page.events ?? []).map((e) => ({
        timestamp: e.timestamp ?? 0,
        message: e.message ?? "",
      }));
      return { events, ...(page.nextForwardToken ? { nextToken: page.nextForwardToken } : {}) };
    },
  };
}

/** A `LogsApi` over a real `CloudWatchLogsClient` (credentials, region and endpoint from the standard chain). */
export function sdkLogs(options: AwsOptions = {}): LogsApi {
  let api: Promise<LogsApi> | undefined;
  return deferred(() => {
    api ??= loadLogs().then((sdk) =>
      logsApiFromClient(new sdk.CloudWatchLogsClient(clientConfig(options)), sdk),
    );
    return api;
  });
}
