/**
 * CloudWatch Logs reads (JSON 1.1, `X-Amz-Target: Logs_20140328.<Operation>`) over the log store:
 * DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents, with CloudWatch's
 * tokens and limits, so log-tailing code (the SageMaker Python SDK's `logs=True`, `sagebrew logs`)
 * works unchanged. Requests are checked against CloudWatch Logs' API table first, so the handlers
 * read members of the right types.
 */
import type {
  DescribeLogGroupsRequest,
  DescribeLogGroupsResponse,
  DescribeLogStreamsRequest,
  DescribeLogStreamsResponse,
  FilterLogEventsRequest,
  FilterLogEventsResponse,
  GetLogEventsRequest,
  GetLogEventsResponse,
} from "@aws-sdk/client-cloudwatch-logs";
import { type JsonWire, LOGS, validateInput } from "../../../api/index.js";
import { type ArnScope, logGroupArn, logStreamArn } from "../arn.js";
import { ApiError, unknownOperation } from "../protocol/index.js";
import type { LogEvent, LogStore, LogStream } from "./store.js";

type Body = Record<string, unknown>;

const notFound = (what: "group" | "stream") =>
  new ApiError("ResourceNotFoundException", `The specified log ${what} does not exist.`);
const invalid = (message: string) => new ApiError("InvalidParameterException", message);

/** A string member, already checked against the table. */
function str(body: Body, key: string): string | undefined {
  return typeof body[key] === "string" ? body[key] : undefined;
}

/** A number member, already checked against the table. */
function num(body: Body, key: string): number | undefined {
  return typeof body[key] === "number" ? body[key] : undefined;
}

function token(prefix: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = new RegExp(`^${prefix}/(\\d+)$`).exec(raw);
  if (!m) throw invalid("The specified nextToken is invalid.");
  return Number(m[1]);
}

/** The group a request names: `logGroupName`, or `logGroupIdentifier` (a name or the group's ARN). */
function groupName(body: Body): string {
  const name = str(body, "logGroupName");
  const id = str(body, "logGroupIdentifier");
  if (name !== undefined && id !== undefined) {
    throw invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
  }
  const given = name ?? id?.replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)(:\*)?$/, "$1");
  if (given === undefined) throw invalid("Either logGroupName or logGroupIdentifier must be specified.");
  return given;
}

function groupStreams(store: LogStore, body: Body): LogStream[] {
  const streams = store.streams(groupName(body));
  if (!streams) throw notFound("group");
  return streams;
}

function describeLogGroups(
  store: LogStore,
  body: JsonWire<DescribeLogGroupsRequest>,
  scope: ArnScope,
): JsonWire<DescribeLogGroupsResponse> {
  const prefix = str(body, "logGroupNamePrefix") ?? "";
  const limit = num(body, "limit") ?? 50;
  const start = token("g", str(body, "nextToken")) ?? 0;
  const names = store.groupNames().filter((g) => g.startsWith(prefix));
  const page = names.slice(start, start + limit);
  return {
    logGroups: page.map((g) => {
      const streams = store.streams(g) ?? [];
      return {
        logGroupName: g,
        creationTime: Math.min(...streams.map((s) => s.creationTime)),
        metricFilterCount: 0,
        arn: `${logGroupArn(scope, g)}:*`,
        storedBytes: streams.reduce((n, s) => n + s.storedBytes, 0),
      };
    }),
    ...(start + limit < names.length ? { nextToken: `g/${start + limit}` } : {}),
  };
}

function describeLogStreams(
  store: LogStore,
  body: JsonWire<DescribeLogStreamsRequest>,
  scope: ArnScope,
): JsonWire<DescribeLogStreamsResponse> {
  const streams = groupStreams(store, body);
  const prefix = str(body, "logStreamNamePrefix");
  const orderBy = str(body, "orderBy") ?? "LogStreamName";
  if (prefix !== undefined && orderBy === "LastEventTime") {
    throw invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  const descending = body.descending === true;
  const limit = num(body, "limit") ?? 50;
  const start = token("s", str(body, "nextToken")) ?? 0;
  const last = (s: LogStream) => s.events[s.events.length - 1]?.timestamp ?? 0;
  const picked = streams
    .filter((s) => prefix === undefined || s.name.startsWith(prefix))
    .sort((a, b) =>
      orderBy === "LastEventTime" ? last(a) - last(b) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  if (descending) picked.reverse();
  const page = picked.slice(start, start + limit);
  return {
    logStreams: page.map((s) => ({
      logStreamName: s.name,
      creationTime: s.creationTime,
      ...(s.events.length
        ? {
            firstEventTimestamp: s.events[0]!.timestamp,
            lastEventTimestamp: last(s),
            lastIngestionTime: s.events[s.events.length - 1]!.ingestionTime,
          }
        : {}),
      uploadSequenceToken: String(s.events.length),
      arn: logStreamArn(scope, s.group, s.name),
      storedBytes: s.storedBytes,
    })),
    ...(start + limit < picked.length ? { nextToken: `s/${start + limit}` } : {}),
  };
}

/** Index of the first event at or after `time` (events are in time order per stream). */
function firstAtOrAfter(events: readonly LogEvent[], time: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.timestamp < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function getLogEvents(store: LogStore, body: JsonWire<GetLogEventsRequest>): JsonWire<GetLogEventsResponse> {
  const streams = groupStreams(store, body);
  const name = str(body, "logStreamName")!;
  const stream = streams.find((s) => s.name === name);
  if (!stream) throw notFound("stream");
  const limit = num(body, "limit") ?? 10_000;
  const startTime = typeof body.startTime === "number" ? body.startTime : undefined;
  const endTime = typeof body.endTime === "number" ? body.endTime : undefined;
  const events = stream.events;
  const lo = startTime === undefined ? 0 : firstAtOrAfter(events, startTime);
  const hi = endTime === undefined ? events.length : firstAtOrAfter(events, endTime);
  const raw = str(body, "nextToken");
  let from: number;
  let to: number;
  if (raw?.startsWith("f/")) {
    from = Math.max(lo, token("f", raw)!);
    to = Math.min(hi, from + limit);
  } else if (raw?.startsWith("b/")) {
    to = Math.min(hi, token("b", raw)!);
    from = Math.max(lo, to - limit);
  } else if (raw !== undefined) {
    throw invalid("The specified nextToken is invalid.");
  } else if (body.startFromHead === true) {
    from = lo;
    to = Math.min(hi, lo + limit);
  } else {
    to = hi;
    from = Math.max(lo, hi - limit);
  }
  from = Math.min(from, Math.max(to, lo));
  return {
    events: events.slice(from, Math.max(from, to)).map((e) => ({
      timestamp: e.timestamp,
      message: e.message,
      ingestionTime: e.ingestionTime,
    })),
    nextForwardToken: `f/${Math.max(from, to)}`,
    nextBackwardToken: `b/${from}`,
  };
}

/** CloudWatch's filter patterns, in their simple form: every term (or "quoted phrase") must appear. */
function filterMatcher(pattern: string | undefined): (message: string) => boolean {
  if (!pattern || !pattern.trim()) return () => true;
  const terms = [...pattern.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  return (message) => terms.every((t) => message.includes(t));
}

function filterLogEvents(
  store: LogStore,
  body: JsonWire<FilterLogEventsRequest>,
): JsonWire<FilterLogEventsResponse> {
  const streams = groupStreams(store, body);
  const names = body.logStreamNames as unknown;
  const prefix = str(body, "logStreamNamePrefix");
  if (Array.isArray(names) && prefix !== undefined) {
    throw invalid("logStreamNames and logStreamNamePrefix cannot both be given.");
  }
  const limit = num(body, "limit") ?? 10_000;
  const startTime = typeof body.startTime === "number" ? body.startTime : Number.NEGATIVE_INFINITY;
  const endTime = typeof body.endTime === "number" ? body.endTime : Number.POSITIVE_INFINITY;
  const match = filterMatcher(str(body, "filterPattern"));
  const picked = streams.filter((s) =>
    Array.isArray(names) ? names.includes(s.name) : prefix === undefined || s.name.startsWith(prefix),
  );
  const all: Array<{ stream: LogStream; index: number; event: LogEvent }> = [];
  for (const stream of picked) {
    stream.events.forEach((event, index) => {
      if (event.timestamp >= startTime && event.timestamp < endTime && match(event.message)) {
        all.push({ stream, index, event });
      }
    });
  }
  all.sort(
    (a, b) =>
      a.event.timestamp - b.event.timestamp || (a.stream.name < b.stream.name ? -1 : 1) || a.index - b.index,
  );
  const start = token("e", str(body, "nextToken")) ?? 0;
  const page = all.slice(start, start + limit);
  return {
    events: page.map(({ stream, index, event }) => ({
      logStreamName: stream.name,
      timestamp: event.timestamp,
      message: event.message,
      ingestionTime: event.ingestionTime,
      eventId: `${event.timestamp}-${stream.name}-${index}`,
    })),
    searchedLogStreams: picked.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
    ...(start + limit < all.length ? { nextToken: `e/${start + limit}` } : {}),
  };
}

/** Each operation served, and the AWS SDK's types of its input. */
interface Inputs {
  DescribeLogGroups: DescribeLogGroupsRequest;
  DescribeLogStreams: DescribeLogStreamsRequest;
  GetLogEvents: GetLogEventsRequest;
  FilterLogEvents: FilterLogEventsRequest;
}

/** The CloudWatch Logs operations served, by name. */
export const LOGS_OPERATIONS: {
  readonly [O in keyof Inputs]: (store: LogStore, body: JsonWire<Inputs[O]>, scope: ArnScope) => unknown;
} = {
  DescribeLogGroups: describeLogGroups,
  DescribeLogStreams: describeLogStreams,
  GetLogEvents: getLogEvents,
  FilterLogEvents: filterLogEvents,
};

/**
 * Runs one CloudWatch Logs operation.
 *
 * @throws ApiError in CloudWatch Logs' shapes.
 */
export function runLogsOperation(
  operation: string,
  body: unknown,
  store: LogStore,
  scope: ArnScope,
): unknown {
  const op = Object.hasOwn(LOGS_OPERATIONS, operation)
    ? LOGS_OPERATIONS[operation as keyof Inputs]
    : undefined;
  if (!op)
    throw unknownOperation(
      `Logs_20140328.${operation}`,
      Object.keys(LOGS_OPERATIONS).map((o) => `Logs_20140328.${o}`),
    );
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError("SerializationException", "The request body must be a JSON object.");
  }
  // CloudWatch Logs answers a failed constraint as InvalidParameterException, in the framework's words.
  const problem = validateInput(LOGS, operation, body);
  if (problem) {
    throw problem.kind === "serialization"
      ? new ApiError("SerializationException", problem.message)
      : invalid(problem.message);
  }
  // The body has passed the table's checks of the operation's input shape, which its SDK type describes.
  return (op as (store: LogStore, body: unknown, scope: ArnScope) => unknown)(store, body, scope);
}
