/**
 * The Durable Functions HTTP management API (`/runtime/webhooks/durabletask/...`) with Azure's
 * routes, status codes and JSON, so that the SDK's unmodified DurableClient and any HTTP client
 * following `statusQueryGetUri` work against the local host.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Engine, StartConflictError, UnknownOrchestratorError } from "./engine.js";
import { EVENT_TYPE_NAMES, type HistoryEvent } from "./protocol.js";
import type { InstanceRecord, RuntimeStatus } from "./store.js";

const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  "Pending",
  "Running",
  "Completed",
  "Failed",
  "Terminated",
  "Suspended",
  "ContinuedAsNew",
];
/** The page size when a list names no `top`; an Azure Table query returns at most 1,000 rows a page. */
const PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export interface ManagementUrls {
  /** e.g. `http://127.0.0.1:7071/runtime/webhooks/durabletask` (no trailing slash). */
  webhookBase: string;
  hubName: string;
  systemKey: string;
}

/** The durable client binding the Durable extension hands to client functions. */
export function durableClientBinding(urls: ManagementUrls, rpcBaseUrl: string): Record<string, unknown> {
  const query = `taskHub=${urls.hubName}&connection=Storage&code=${urls.systemKey}`;
  const instance = `${urls.webhookBase}/instances/INSTANCEID`;
  return {
    taskHubName: urls.hubName,
    creationUrls: {
      createNewInstancePostUri: `${urls.webhookBase}/orchestrators/{functionName}[/{instanceId}]?code=${urls.systemKey}`,
      createAndWaitOnNewInstancePostUri: `${urls.webhookBase}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${urls.systemKey}`,
    },
    managementUrls: managementUrlsFor(urls, "INSTANCEID"),
    baseUrl: urls.webhookBase,
    requiredQueryStringParameters: `code=${urls.systemKey}`,
    rpcBaseUrl,
    httpBaseUrl: `${instance.replace("/instances/INSTANCEID", "")}/`,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: "00:01:40",
    query,
  };
}

export function managementUrlsFor(urls: ManagementUrls, instanceId: string): Record<string, string> {
  const query = `taskHub=${urls.hubName}&connection=Storage&code=${urls.systemKey}`;
  const instance = `${urls.webhookBase}/instances/${instanceId}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

class BadRequest extends Error {}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { "Content-Type": "application/json; charset=utf-8" } : {}), ...headers });
  res.end(text);
}

function parseJsonOrNull(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function parseDate(params: URLSearchParams, name: string): Date | undefined {
  const value = params.get(name);
  if (value === null || value === "") return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new BadRequest(`Query parameter '${name}' is not a valid date: ${value}`);
  return date;
}

function parseStatuses(params: URLSearchParams): RuntimeStatus[] | undefined {
  const value = params.get("runtimeStatus");
  if (value === null || value === "") return undefined;
  return value.split(",").map((part) => {
    const status = RUNTIME_STATUSES.find((candidate) => candidate.toLowerCase() === part.trim().toLowerCase());
    if (!status)
      throw new BadRequest(
        `Query parameter 'runtimeStatus' has an unknown value: ${part}. Expected one of ${RUNTIME_STATUSES.join(", ")}.`,
      );
    return status;
  });
}

function parseBool(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null || value === "") return false;
  if (value.toLowerCase() === "true") return true;
  if (value.toLowerCase() === "false") return false;
  throw new BadRequest(`Query parameter '${name}' must be true or false: ${value}`);
}

function historyView(events: HistoryEvent[], withOutput: boolean): Record<string, unknown>[] {
  const view: Record<string, unknown>[] = [];
  const scheduled = new Map<number, HistoryEvent>();
  for (const event of events) {
    const type = EVENT_TYPE_NAMES[event.EventType] ?? String(event.EventType);
    if (event.EventType === 4 || event.EventType === 7 || event.EventType === 10) scheduled.set(event.EventId, event);
    if (
      event.EventType === 12 ||
      event.EventType === 13 ||
      event.EventType === 4 ||
      event.EventType === 10 ||
      event.EventType === 7
    )
      continue;
    const entry: Record<string, unknown> = { EventType: type, Timestamp: event.Timestamp };
    if (typeof event.Name === "string") entry.FunctionName = event.Name;
    const source = scheduled.get(Number(event.TaskScheduledId ?? event.TimerId));
    if (source) {
      if (typeof source.Name === "string") entry.FunctionName = source.Name;
      entry.ScheduledTime = source.Timestamp;
    }
    if (event.EventType === 11) entry.FireAt = event.FireAt;
    if (withOutput && typeof event.Result === "string") entry.Result = parseJsonOrNull(event.Result);
    if (event.FailureDetails) entry.FailureDetails = event.FailureDetails;
    if (typeof event.Reason === "string") entry.Reason = event.Reason;
    if (event.EventType === 15) entry.Name = event.Name;
    view.push(entry);
  }
  return view;
}

function statusView(record: InstanceRecord, showInput: boolean): Record<string, unknown> {
  return {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: showInput ? parseJsonOrNull(record.input) : null,
    customStatus: parseJsonOrNull(record.customStatus),
    output: parseJsonOrNull(record.output),
    createdTime: record.createdTime,
    lastUpdatedTime: record.lastUpdatedTime,
  };
}

const isRunning = (status: RuntimeStatus): boolean =>
  status === "Pending" || status === "Running" || status === "Suspended" || status === "ContinuedAsNew";

/**
 * Serves one management request. `path` is what follows the management prefix (e.g.
 * `instances/abc/terminate`); `publicUrls` builds the URLs returned to callers.
 */
export async function handleManagement(
  engine: Engine,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  params: URLSearchParams,
  body: string,
  publicUrls: ManagementUrls,
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const segments = path
    .split("/")
    .filter((segment) => segment.length > 0)
    .map(decodeURIComponent);
  try {
    if (segments[0] === "orchestrators" && method === "POST" && segments.length >= 2 && segments.length <= 3) {
      await startOrchestration(engine, res, segments[1] as string, segments[2], params, body, publicUrls);
      return;
    }
    if (segments[0] === "entities" && segments.length === 3) {
      await entityRoute(engine, res, method, segments[1] as string, segments[2] as string, params, body);
      return;
    }
    if (segments[0] !== "instances") {
      send(res, 404, { Message: `No management route matches ${method} /${path}.` });
      return;
    }
    const instanceId = segments[1];
    if (instanceId === undefined) {
      if (method === "GET") return await listInstances(engine, req, res, params);
      if (method === "DELETE") return await purgeMany(engine, res, params);
      send(res, 405, { Message: `${method} is not allowed on instances.` });
      return;
    }
    const operation = segments[2];
    if (operation === undefined) {
      if (method === "GET") return await getInstance(engine, res, instanceId, params, publicUrls);
      if (method === "DELETE") {
        const purged = await engine.purge(instanceId);
        if (purged) send(res, 200, { instancesDeleted: 1 });
        else send(res, 404);
        return;
      }
    }
    if (method === "POST" && operation === "raiseEvent" && segments[3] !== undefined && segments.length === 4) {
      if (body.trim() !== "") {
        try {
          JSON.parse(body);
        } catch {
          throw new BadRequest("The event payload must be JSON.");
        }
      }
      const outcome = await engine.raiseEvent(instanceId, segments[3], body.trim() === "" ? "null" : body);
      send(res, outcome === "accepted" ? 202 : outcome === "gone" ? 410 : 404);
      return;
    }
    if (
      method === "POST" &&
      (operation === "terminate" || operation === "suspend" || operation === "resume") &&
      segments.length === 3
    ) {
      const outcome = await engine.control(instanceId, operation, params.get("reason") ?? "");
      send(res, outcome === "accepted" ? 202 : outcome === "gone" ? 410 : 404);
      return;
    }
    if (method === "POST" && operation === "restart" && segments.length === 3) {
      const found = await engine.store.getInstance(instanceId);
      if (!found) {
        send(res, 404);
        return;
      }
      const newId = params.get("restartWithNewInstanceId") === "false" ? instanceId : undefined;
      const id = await engine.startNew(found.record.name, newId, found.record.input);
      send(
        res,
        202,
        { id, ...managementUrlsFor(publicUrls, id) },
        { Location: managementUrlsFor(publicUrls, id).statusQueryGetUri as string },
      );
      return;
    }
    if (method === "POST" && operation === "rewind") {
      send(res, 501, { Message: "Rewind is deprecated and not supported by the local host." });
      return;
    }
    send(res, 404, { Message: `No management route matches ${method} /${path}.` });
  } catch (error) {
    if (error instanceof BadRequest) send(res, 400, { Message: error.message });
    else if (error instanceof UnknownOrchestratorError) send(res, 400, { Message: error.message });
    else if (error instanceof StartConflictError) send(res, 409, { Message: error.message });
    else throw error;
  }
}

async function startOrchestration(
  engine: Engine,
  res: ServerResponse,
  name: string,
  instanceId: string | undefined,
  params: URLSearchParams,
  body: string,
  urls: ManagementUrls,
): Promise<void> {
  let inputJson: string | undefined;
  if (body.trim() !== "") {
    try {
      JSON.parse(body);
    } catch {
      throw new BadRequest("The orchestration input must be JSON.");
    }
    inputJson = body;
  }
  if (instanceId !== undefined && (instanceId.length > 100 || /[\\/#?\u0000-\u001f]/.test(instanceId))) {
    throw new BadRequest(`Invalid instance ID: ${instanceId}`);
  }
  const id = await engine.startNew(name, instanceId, inputJson);
  const management = managementUrlsFor(urls, id);
  const timeout = params.get("timeout");
  if (timeout !== null) {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new BadRequest(`Query parameter 'timeout' must be a number of seconds: ${timeout}`);
    await engine.waitForTerminal(id, seconds * 1000);
    const found = await engine.store.getInstance(id);
    if (found && !isRunning(found.record.runtimeStatus)) {
      send(res, 200, parseJsonOrNull(found.record.output));
      return;
    }
  }
  send(res, 202, management, { Location: management.statusQueryGetUri as string, "Retry-After": "10" });
}

async function getInstance(
  engine: Engine,
  res: ServerResponse,
  instanceId: string,
  params: URLSearchParams,
  urls: ManagementUrls,
): Promise<void> {
  const found = await engine.store.getInstance(instanceId);
  if (!found) {
    send(res, 404, { Message: `No instance with ID '${instanceId}' was found.` });
    return;
  }
  const showHistory = parseBool(params, "showHistory");
  const showHistoryOutput = parseBool(params, "showHistoryOutput");
  const showInput = params.get("showInput") === null ? true : parseBool(params, "showInput");
  const view = statusView(found.record, showInput);
  if (showHistory) {
    const history = (await engine.getHistory(instanceId)) ?? [];
    view.historyEvents = historyView(history, showHistoryOutput);
    // NOTE: the public API documents `historyEvents`; the JS SDK's DurableOrchestrationStatus reads
    // `history`. Both are served so that plain HTTP clients and the SDK see the history.
    view.history = view.historyEvents;
  }
  const status = found.record.runtimeStatus;
  if (isRunning(status)) {
    send(res, 202, view, {
      Location: managementUrlsFor(urls, instanceId).statusQueryGetUri as string,
      "Retry-After": "10",
    });
  } else if (status === "Failed" && parseBool(params, "returnInternalServerErrorOnFailure")) {
    send(res, 500, view);
  } else {
    send(res, 200, view);
  }
}

async function listInstances(
  engine: Engine,
  req: IncomingMessage,
  res: ServerResponse,
  params: URLSearchParams,
): Promise<void> {
  const createdFrom = parseDate(params, "createdTimeFrom");
  const createdTo = parseDate(params, "createdTimeTo");
  const statuses = parseStatuses(params);
  const showInput = parseBool(params, "showInput");
  const topText = params.get("top");
  const top = topText === null || topText === "" ? PAGE_SIZE : Number(topText);
  if (!Number.isInteger(top) || top <= 0)
    throw new BadRequest(`Query parameter 'top' must be a positive integer: ${topText}`);
  const tokenHeader = req.headers["x-ms-continuation-token"];
  const token = typeof tokenHeader === "string" && tokenHeader !== "" ? tokenHeader : undefined;
  const query = { createdFrom, createdTo, statuses, instanceIdPrefix: params.get("instanceIdPrefix") ?? undefined };
  let page;
  try {
    page = await engine.store.listInstancePage(query, Math.min(top, MAX_PAGE_SIZE), token);
  } catch (error) {
    // The table client decodes the token (base64 JSON) before it sends anything.
    if (token !== undefined && error instanceof SyntaxError) throw new BadRequest("Invalid x-ms-continuation-token.");
    throw error;
  }
  const headers: Record<string, string> =
    page.continuationToken === undefined ? {} : { "x-ms-continuation-token": page.continuationToken };
  send(
    res,
    200,
    page.records.map((record) => statusView(record, showInput)),
    headers,
  );
}

async function purgeMany(engine: Engine, res: ServerResponse, params: URLSearchParams): Promise<void> {
  const createdFrom = parseDate(params, "createdTimeFrom");
  if (!createdFrom) throw new BadRequest("Purging several instances needs 'createdTimeFrom'.");
  const createdTo = parseDate(params, "createdTimeTo");
  const statuses = parseStatuses(params);
  const ids: string[] = [];
  for await (const record of engine.store.listInstances({ createdFrom, createdTo, statuses }))
    ids.push(record.instanceId);
  let deleted = 0;
  for (const id of ids) if (await engine.purge(id)) deleted++;
  if (deleted === 0) send(res, 404);
  else send(res, 200, { instancesDeleted: deleted });
}

/** `GET entities/{name}/{key}`: the state (404 when the entity does not exist); `POST …?op=`: a signal, 202. */
async function entityRoute(
  engine: Engine,
  res: ServerResponse,
  method: string,
  name: string,
  key: string,
  params: URLSearchParams,
  body: string,
): Promise<void> {
  if (method === "GET") {
    const snapshot = await engine.readEntityState(name, key);
    if (!snapshot.exists) send(res, 404, { Message: `Entity @${name}@${key} does not exist.` });
    else send(res, 200, JSON.parse(snapshot.state ?? "null"));
    return;
  }
  if (method !== "POST") {
    send(res, 405, { Message: `${method} is not allowed on entities.` });
    return;
  }
  const op = params.get("op") ?? "";
  const input = body.trim() === "" ? undefined : body;
  if (!engine.signalEntity(name, key, { op, ...(input !== undefined && { input }) })) {
    send(res, 400, { Message: `The entity function '${name}' doesn't exist.` });
    return;
  }
  res.writeHead(202).end();
}
