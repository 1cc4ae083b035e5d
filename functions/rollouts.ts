/**
 * The rollout HTTP API (authLevel function). Triggers only: parse and validate input, then start,
 * query or signal orchestrations through the durable client.
 *
 * A rollout is the durable instance `rollout-<network>-<n>`. Starting one picks the next n; two
 * concurrent starts for one network pick the same id, and the instance store lets only one of
 * them create it, so exactly one gets 202 and the other 409.
 */
import type { HttpFunctionOptions, HttpRequest, HttpResponseInit } from "@azure/functions";
import type { DurableClient, DurableOrchestrationStatus, HttpDurableClientOptions } from "durable-functions";
import { z } from "zod";
import { allRegions } from "../lib/domain/regions.js";
import {
  createRolloutStatus,
  rolloutStatusSchema,
  selectRegionsToRetry,
  type RolloutStatus,
} from "../lib/domain/rollout-status.js";
import { parseSpecText, type DesiredState } from "../lib/domain/spec.js";
import {
  CANCEL_EVENT,
  REGION_WORK,
  regionInstanceId,
  rolloutInputSchema,
  rolloutOrchestration,
  type RolloutInput,
} from "../orchestrators/contracts.js";

const RUNNING = new Set(["Pending", "Running", "Suspended", "ContinuedAsNew"]);
const INSTANCE_ID = /^rollout-([a-z0-9-]+)-(\d+)$/;

const json = (status: number, body: unknown): HttpResponseInit => ({ status, jsonBody: body });
const error = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): HttpResponseInit =>
  json(status, { error: code, message, ...extra });

/** The SDK types these as Date but hands over the JSON strings it received. */
const isoTime = (value: Date | string): string => new Date(value).toISOString();

function statusUrl(request: HttpRequest, rolloutId: string): string {
  return new URL(`/api/rollouts/${rolloutId}`, request.url).href;
}

/** The rollout's status for an operator: the orchestration's custom status, corrected when the orchestration itself died. */
export function presentStatus(instance: DurableOrchestrationStatus): RolloutStatus | undefined {
  const parsed = rolloutStatusSchema.safeParse(instance.customStatus);
  if (!parsed.success) return undefined;
  const status = parsed.data;
  const runtime = String(instance.runtimeStatus);
  if (status.state === "Running" && !RUNNING.has(runtime)) {
    // The orchestration ended without publishing a final status (a bug or a termination).
    const reason =
      runtime === "Terminated"
        ? "the rollout orchestration was terminated"
        : `the rollout orchestration ${runtime.toLowerCase()}: ${String(instance.output ?? "no detail")}`;
    return {
      ...status,
      state: "Failed",
      failure: { phase: status.phase, reason },
      finishedAt: isoTime(instance.lastUpdatedTime),
    };
  }
  return status;
}

async function rolloutInstances(client: DurableClient): Promise<DurableOrchestrationStatus[]> {
  const all = await client.getStatusAll();
  return all.filter((instance) => instance.name === rolloutOrchestration.name && INSTANCE_ID.test(instance.instanceId));
}

function summary(instance: DurableOrchestrationStatus): Record<string, unknown> {
  const status = presentStatus(instance);
  return {
    rolloutId: instance.instanceId,
    network: status?.network ?? INSTANCE_ID.exec(instance.instanceId)?.[1],
    state: status?.state ?? (RUNNING.has(String(instance.runtimeStatus)) ? "Running" : "Failed"),
    phase: status?.phase ?? "preflight",
    createdAt: isoTime(instance.createdTime),
    updatedAt: isoTime(instance.lastUpdatedTime),
    counts: status?.counts,
  };
}

/** Starts a rollout of `spec` over `regions`, or answers 409 naming the one already running. */
async function startRollout(
  request: HttpRequest,
  client: DurableClient,
  spec: DesiredState,
  regions: string[],
  earlierRegions?: RolloutStatus["regions"],
): Promise<HttpResponseInit> {
  const network = spec.network.name;
  const existing = (await rolloutInstances(client)).filter(
    (instance) => INSTANCE_ID.exec(instance.instanceId)?.[1] === network,
  );
  const running = existing.find((instance) => RUNNING.has(String(instance.runtimeStatus)));
  if (running) return conflict(running.instanceId, network);
  const next = 1 + Math.max(0, ...existing.map((instance) => Number(INSTANCE_ID.exec(instance.instanceId)?.[2] ?? 0)));
  const rolloutId = `rollout-${network}-${next}`;
  const input: RolloutInput = { rolloutId, spec, regions, ...(earlierRegions ? { earlierRegions } : {}) };
  try {
    await client.startNew(rolloutOrchestration.name, { instanceId: rolloutId, input });
  } catch (startError) {
    const current = await client.getStatus(rolloutId).catch(() => undefined);
    if (current && RUNNING.has(String(current.runtimeStatus))) return conflict(rolloutId, network);
    throw startError;
  }
  return {
    status: 202,
    headers: { Location: statusUrl(request, rolloutId) },
    jsonBody: { rolloutId, statusUrl: statusUrl(request, rolloutId) },
  };
}

function conflict(runningRolloutId: string, network: string): HttpResponseInit {
  return error(
    409,
    "RolloutRunning",
    `rollout ${runningRolloutId} of network ${network} is still running; wait for it, or cancel it, before starting another`,
    { runningRolloutId },
  );
}

const retryBodySchema = z.object({ regions: z.array(z.string().min(1)).optional() }).strict();

const rolloutsCreate: HttpDurableClientOptions = {
  route: "rollouts",
  methods: ["POST"],
  authLevel: "function",
  handler: async (request, client) => {
    const contentType = request.headers.get("content-type") ?? "";
    const format = /ya?ml/i.test(contentType) ? "yaml" : /json/i.test(contentType) ? "json" : "auto";
    const validation = parseSpecText(await request.text(), format);
    if (!validation.ok)
      return error(400, "InvalidSpec", `the spec has ${validation.problems.length} problem(s)`, {
        problems: validation.problems,
      });
    return startRollout(
      request,
      client,
      validation.spec,
      validation.spec.regions.map((region) => region.name),
    );
  },
};

const rolloutsList: HttpDurableClientOptions = {
  route: "rollouts",
  methods: ["GET"],
  authLevel: "function",
  handler: async (_request, client) => {
    const instances = await rolloutInstances(client);
    instances.sort((a, b) => isoTime(b.createdTime).localeCompare(isoTime(a.createdTime)));
    return json(200, instances.map(summary));
  },
};

async function findRollout(client: DurableClient, rolloutId: string): Promise<DurableOrchestrationStatus | undefined> {
  if (!INSTANCE_ID.test(rolloutId)) return undefined;
  try {
    const instance = await client.getStatus(rolloutId, { showInput: true });
    return instance && instance.name === rolloutOrchestration.name ? instance : undefined;
  } catch (lookupError) {
    // The SDK reports an unknown instance as an error mentioning the 404; anything else (a timeout,
    // a 5xx) is not "not found" and must surface as a server error, which clients retry.
    if (lookupError instanceof Error && /HTTP 404/.test(lookupError.message)) return undefined;
    throw lookupError;
  }
}

type RolloutHandler = (
  request: HttpRequest,
  client: DurableClient,
  instance: DurableOrchestrationStatus,
) => Promise<HttpResponseInit>;

/** A handler for /rollouts/{rolloutId}/…: looks the rollout up first, 404 when there is none. */
function onRollout(route: string, method: "GET" | "POST", handle: RolloutHandler): HttpDurableClientOptions {
  return {
    route,
    methods: [method],
    authLevel: "function",
    handler: async (request, client) => {
      const instance = await findRollout(client, request.params.rolloutId ?? "");
      if (!instance) return error(404, "NotFound", `no rollout ${request.params.rolloutId ?? ""}`);
      return handle(request, client, instance);
    },
  };
}

const rolloutsGet = onRollout("rollouts/{rolloutId}", "GET", async (_request, _client, instance) => {
  const status = presentStatus(instance);
  if (status) return json(200, status);
  // Started but not yet replayed: the status it is about to publish.
  const input = rolloutInputSchema.safeParse(instance.input);
  if (!input.success)
    return error(500, "UnreadableRollout", `rollout ${instance.instanceId} has an input this version cannot read`);
  return json(
    200,
    createRolloutStatus({
      rolloutId: input.data.rolloutId,
      network: input.data.spec.network.name,
      regions: input.data.regions,
      at: isoTime(instance.createdTime),
      earlier: input.data.earlierRegions,
    }),
  );
});

const rolloutsRetry = onRollout("rollouts/{rolloutId}/retry", "POST", async (request, client, instance) => {
  const text = await request.text();
  let body: unknown = {};
  try {
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    return error(400, "InvalidRequest", 'the body must be JSON: {"regions": ["<region>", ...]} or empty');
  }
  const parsedBody = retryBodySchema.safeParse(body);
  if (!parsedBody.success) {
    return error(400, "InvalidRequest", 'the body must be {"regions": ["<region>", ...]} or empty', {
      problems: parsedBody.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
    });
  }
  const status = presentStatus(instance);
  const original = rolloutInputSchema.safeParse(instance.input);
  if (!status || !original.success)
    return error(409, "NotRetryable", `rollout ${instance.instanceId} has no recorded status or spec to retry from`);
  const selection = selectRegionsToRetry(status, parsedBody.data.regions);
  if (!selection.ok)
    return error(
      RUNNING.has(String(instance.runtimeStatus)) ? 409 : 400,
      "NotRetryable",
      selection.problems.join("; "),
    );
  return startRollout(
    request,
    client,
    original.data.spec,
    selection.regions,
    status.regions.filter((region) => selection.regions.includes(region.region)),
  );
});

const rolloutsCancel = onRollout("rollouts/{rolloutId}/cancel", "POST", async (_request, client, instance) => {
  if (!RUNNING.has(String(instance.runtimeStatus)))
    return error(
      409,
      "AlreadyFinished",
      `rollout ${instance.instanceId} already finished (${presentStatus(instance)?.state ?? String(instance.runtimeStatus)})`,
    );
  const requestedAt = new Date().toISOString();
  await client.raiseEvent(instance.instanceId, CANCEL_EVENT, { requestedAt });
  // The regions at work hear it too, so they stop at their next step instead of finishing it all.
  // A region not started (or already done) has no running instance: that raise fails, harmlessly.
  const input = rolloutInputSchema.safeParse(instance.input);
  const regionsOfRollout = input.success ? input.data.regions : [];
  await Promise.allSettled(
    regionsOfRollout.flatMap((region) =>
      REGION_WORK.map((work) =>
        client.raiseEvent(regionInstanceId(instance.instanceId, instance.instanceId, work, region), CANCEL_EVENT, {
          requestedAt,
        }),
      ),
    ),
  );
  return json(202, { rolloutId: instance.instanceId, state: "Running", cancelRequested: true });
});

const regions: HttpFunctionOptions = {
  route: "regions",
  methods: ["GET"],
  authLevel: "function",
  handler: () =>
    json(
      200,
      allRegions().map((region) => ({
        name: region.name,
        displayName: region.displayName,
        geography: region.geography,
        role: region.role,
      })),
    ),
};

/** The rollout API's functions that use the durable client, by function name. */
export const rolloutClientFunctions: Record<string, HttpDurableClientOptions> = {
  rolloutsCreate,
  rolloutsList,
  rolloutsGet,
  rolloutsRetry,
  rolloutsCancel,
};

/** The rollout API's plain HTTP functions, by function name. */
export const rolloutHttpFunctions: Record<string, HttpFunctionOptions> = { regions };
