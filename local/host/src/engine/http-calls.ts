/**
 * `context.df.callHttp`: the Durable extension runs each CallHttp action as its built-in HTTP
 * activity and records the response ({statusCode, headers, content}) as the task's result. With
 * replay schema V3 (what this host announces) and polling enabled, the SDK emits one CallHttp
 * action and, when a result is a 202 with `Location`, only reserves two sequence numbers (a timer,
 * then the next call) that it expects the extension to fill: the extension waits `Retry-After`
 * seconds (else 30) on a durable timer, then GETs the `Location`, until an answer is not a 202.
 * Like a retry, a 202 is numbered while the SDK processes it, so an episode takes it first.
 */
import { EventType, type HistoryEvent, type SdkAction } from "../protocol.js";
import type { RuntimeState } from "./instance-state.js";

/** The activity name the Durable extension gives CallHttp tasks in history. */
export const HTTP_ACTIVITY = "BuiltIn::HttpActivity";

/** The extension's default wait between polls without Retry-After (defaultHttpAsyncRequestSleepTimeMillseconds). */
const DEFAULT_POLL_INTERVAL_MS = 30_000;

/** The SDK's DurableHttpRequest. */
export interface DurableHttpRequest {
  method: string;
  uri: string;
  content?: string;
  headers?: Record<string, string>;
  tokenSource?: unknown;
  asynchronousPatternEnabled?: boolean;
}

interface DurableHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  content: string;
}

/** The scheduling event of a new CallHttp action; remembers whether its 202s are polled. */
export function httpCallScheduled(runtime: RuntimeState, action: SdkAction, id: number, now: string): HistoryEvent {
  const request = (action as SdkAction & { httpRequest: DurableHttpRequest }).httpRequest;
  if (request.asynchronousPatternEnabled !== false) runtime.httpPolls[String(id)] = { phase: "call" };
  return httpTaskScheduled(id, now, request);
}

const httpTaskScheduled = (id: number, now: string, request: DurableHttpRequest): HistoryEvent => ({
  EventType: EventType.TaskScheduled,
  EventId: id,
  IsPlayed: false,
  Timestamp: now,
  Name: HTTP_ACTIVITY,
  Input: JSON.stringify(request),
});

/** A polled call's 202 with Location: the SDK numbers a timer and a call while processing it. */
export function isPollingResponse(runtime: RuntimeState, event: HistoryEvent): boolean {
  return (
    event.EventType === EventType.TaskCompleted &&
    runtime.httpPolls[String(event.TaskScheduledId)]?.phase === "call" &&
    nextPoll(event) !== undefined
  );
}

/** Where and when to poll after a completed call, or undefined when its answer is final. */
function nextPoll(event: HistoryEvent): { location: string; delayMs: number } | undefined {
  if (event.EventType !== EventType.TaskCompleted) return undefined;
  const response = JSON.parse(String(event.Result)) as DurableHttpResponse;
  const location = header(response.headers, "location");
  if (response.statusCode !== 202 || location === undefined) return undefined;
  const retryAfter = Number(header(response.headers, "retry-after") ?? Number.NaN);
  return {
    location,
    delayMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : DEFAULT_POLL_INTERVAL_MS,
  };
}

/**
 * Moves the polls the episode's events touch one step in `runtime` and returns what that
 * schedules: after a 202 the timer (sequence numbers: timer, then next call, as the SDK reserves
 * them); after that timer the GET of the Location; any other answer ends the polling.
 */
export function advancePolls(runtime: RuntimeState, events: HistoryEvent[], now: string): HistoryEvent[] {
  const scheduled: HistoryEvent[] = [];
  for (const event of events) {
    const id = String(event.EventType === EventType.TimerFired ? event.TimerId : event.TaskScheduledId);
    const poll = runtime.httpPolls[id];
    if (!poll) continue;
    delete runtime.httpPolls[id];
    if (poll.phase === "timer") {
      runtime.httpPolls[String(poll.callId)] = { phase: "call" };
      scheduled.push(httpTaskScheduled(poll.callId, now, poll.request));
      continue;
    }
    const next = nextPoll(event);
    if (!next) continue;
    const timerId = runtime.nextSequence++;
    const callId = runtime.nextSequence++;
    runtime.httpPolls[String(timerId)] = { phase: "timer", callId, request: { method: "GET", uri: next.location } };
    scheduled.push({
      EventType: EventType.TimerCreated,
      EventId: timerId,
      IsPlayed: false,
      Timestamp: now,
      FireAt: new Date(Date.parse(now) + next.delayMs).toISOString(),
    });
  }
  return scheduled;
}

const header = (headers: Record<string, string>, name: string): string | undefined =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];

/** Runs one built-in HTTP activity; throws (a failed task) for what the host cannot do. */
export async function callHttp(inputJson: string): Promise<DurableHttpResponse> {
  const request = JSON.parse(inputJson) as DurableHttpRequest;
  if (request.tokenSource) {
    throw new Error("callHttp with a tokenSource (managed identity tokens) is not supported by the local host.");
  }
  const response = await fetch(request.uri, {
    method: request.method,
    headers: request.headers,
    body: request.content,
    redirect: "manual",
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  // NOTE: a relative Location is resolved here, so the poll that follows has an absolute URL.
  if (headers.location !== undefined) headers.location = new URL(headers.location, request.uri).href;
  return { statusCode: response.status, headers, content: await response.text() };
}
