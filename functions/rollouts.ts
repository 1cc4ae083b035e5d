/**
 * The rollout HTTP API (authLevel function). Triggers only: parse and validate input, then start,
 * query or signal orchestrations through the durable client.
 *
 * A rollout is the durable instance `rollout-<network>-<n>` (rollout-instances.ts). Starting one
 * picks the next n; two concurrent starts for one network pick the same id, and the instance store
 * lets only one of them create it, so exactly one gets 202 and the other 409. Bodies are capped and
 * typed by request-body.ts.
 */
import type { HttpFunctionOptions, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { DurableClient, DurableOrchestrationStatus, HttpDurableClientOptions } from "durable-functions";
import { z } from "zod";
import { allRegions } from "../lib/domain/regions.js";
import { selectRegionsToRetry, type RolloutStatus } from "../lib/domain/rollout-status.js";
import { artifactProblems } from "../lib/evm/artifacts.js";
import { type DesiredState } from "../lib/domain/spec.js";
import { formatPath, parseSpecText, type SpecProblem } from "../lib/domain/spec-validation.js";
import {
  CANCEL_EVENT,
  REGION_WORK,
  regionInstanceId,
  rolloutInputSchema,
  rolloutOrchestration,
  type RolloutInput,
} from "../orchestrators/contracts.js";
import { apiAuthMode, appSettings } from "../lib/config.js";
import type { AuditReference } from "../lib/state/audit.js";
import { requesterOf } from "./authorization.js";
import { changePlanFor, dryRunOf } from "./change-plans.js";
import { InstancePages, MAX_PAGE_SIZE } from "./instance-pages.js";
import { expectJson, readBodyText, specFormat, type BodyRead } from "./request-body.js";
import { errorResponse as error, jsonResponse as json } from "./responses.js";
import {
  findRollout,
  isoTime,
  presentStatus,
  readRolloutStatus,
  RUNNING,
  type InstanceView,
} from "./rollout-status.js";
import {
  decodeCursor,
  encodeCursor,
  listRollouts,
  nextRolloutNumber,
  parseRolloutId,
  rolloutsOfNetwork,
} from "./rollout-instances.js";

/** Rollouts per page of GET /api/rollouts when the request names no `top`. */
const DEFAULT_LIST_SIZE = 50;

function statusUrl(request: HttpRequest, rolloutId: string): string {
  return new URL(`/api/rollouts/${rolloutId}`, request.url).href;
}

function summary(instance: InstanceView): Record<string, unknown> {
  const status = presentStatus(instance);
  return {
    rolloutId: instance.instanceId,
    network: status?.network ?? parseRolloutId(instance.instanceId)?.network,
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
  pages: InstancePages,
  spec: DesiredState,
  regions: string[],
  earlierRegions?: RolloutStatus["regions"],
): Promise<HttpResponseInit> {
  const network = spec.network.name;
  const existing = await rolloutsOfNetwork(pages, network);
  const running = existing.find((instance) => RUNNING.has(instance.runtimeStatus));
  if (running) return conflict(running.instanceId, network);
  const rolloutId = `rollout-${network}-${await nextRolloutNumber(network, existing)}`;
  const input: RolloutInput = { rolloutId, spec, regions, ...(earlierRegions ? { earlierRegions } : {}) };
  // Who asked, by name, for the audit of every change the rollout makes (orchestrators/durable.ts).
  const audit: AuditReference = { by: requesterOf(request, apiAuthMode(appSettings())), target: rolloutId };
  try {
    await client.startNew(rolloutOrchestration.name, { instanceId: rolloutId, input: { ...input, audit } });
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

const invalidRequest = (message: string, problems: SpecProblem[]): HttpResponseInit =>
  error(400, "InvalidRequest", message, { problems });

const problemsOf = (zodError: z.ZodError): SpecProblem[] =>
  zodError.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));

const rolloutsCreate: HttpDurableClientOptions = {
  route: "rollouts",
  methods: ["POST"],
  authLevel: "function",
  handler: async (request, client, context) => {
    const dryRun = dryRunOf(request.query);
    if (!dryRun.ok) return dryRun.response;
    const format = specFormat(request);
    if (!format.ok) return format.response;
    const text = await readBodyText(request);
    if (!text.ok) return text.response;
    const validation = parseSpecText(text.value, format.value);
    const problems = validation.ok ? artifactProblems(validation.spec.contracts) : validation.problems;
    if (!validation.ok || problems.length > 0)
      return error(400, "InvalidSpec", `the spec has ${problems.length} problem(s)`, { problems });
    const changes = await changePlanFor(validation.spec);
    if (!changes.ok) return changes.response;
    if (dryRun.dryRun) return json(200, changes.plan);
    return startRollout(
      request,
      client,
      InstancePages.of(context),
      validation.spec,
      validation.spec.regions.map((region) => region.name),
    );
  },
};

const listQuerySchema = z.object({
  top: z
    .string()
    .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.int().min(1).max(MAX_PAGE_SIZE))
    .default(DEFAULT_LIST_SIZE),
  continuationToken: z
    .string()
    .transform((token, context) => {
      const cursor = decodeCursor(token);
      if (cursor === undefined)
        context.addIssue({ code: "custom", message: "is not a token this API gave out (x-continuation-token)" });
      return cursor;
    })
    .optional(),
});

const rolloutsList: HttpDurableClientOptions = {
  route: "rollouts",
  methods: ["GET"],
  authLevel: "function",
  handler: async (request, _client, context) => {
    const query = listQuerySchema.safeParse({
      top: request.query.get("top") ?? undefined,
      continuationToken: request.query.get("continuationToken") ?? undefined,
    });
    if (!query.success) return invalidRequest("the query has problems", problemsOf(query.error));
    const { rollouts, next } = await listRollouts(
      InstancePages.of(context),
      query.data.top,
      query.data.continuationToken,
    );
    rollouts.sort((a, b) => isoTime(b.createdTime).localeCompare(isoTime(a.createdTime)));
    return {
      status: 200,
      jsonBody: rollouts.map(summary),
      headers: next === undefined ? undefined : { "x-continuation-token": encodeCursor(next) },
    };
  },
};

/** Reads and checks what a request carries besides the rollout id. */
type RequestReader<T> = (request: HttpRequest) => Promise<BodyRead<T>>;

type RolloutHandler<T> = (
  request: HttpRequest,
  client: DurableClient,
  context: InvocationContext,
  instance: DurableOrchestrationStatus,
  read: T,
) => Promise<HttpResponseInit>;

const nothingToRead: RequestReader<undefined> = () => Promise.resolve({ ok: true, value: undefined });

/**
 * A handler for /rollouts/{rolloutId}/…: checks the request first (a bad one is refused before any
 * lookup), then looks the rollout up, 404 when there is none.
 */
function onRollout<T>(
  route: string,
  method: "GET" | "POST",
  readRequest: RequestReader<T>,
  handle: RolloutHandler<T>,
): HttpDurableClientOptions {
  return {
    route,
    methods: [method],
    authLevel: "function",
    handler: async (request, client, context) => {
      const read = await readRequest(request);
      if (!read.ok) return read.response;
      const instance = await findRollout(client, request.params.rolloutId ?? "", true);
      if (!instance) return error(404, "NotFound", `no rollout ${request.params.rolloutId ?? ""}`);
      return handle(request, client, context, instance, read.value);
    },
  };
}

const rolloutsGet: HttpDurableClientOptions = {
  route: "rollouts/{rolloutId}",
  methods: ["GET"],
  authLevel: "function",
  handler: async (request, client) => {
    const rolloutId = request.params.rolloutId ?? "";
    const read = await readRolloutStatus(client, rolloutId);
    switch (read.kind) {
      case "status":
        return json(200, read.status);
      case "notFound":
        return error(404, "NotFound", `no rollout ${rolloutId}`);
      case "unreadableInput":
        return error(500, "UnreadableRollout", `rollout ${rolloutId} has an input this version cannot read`);
    }
  },
};

const RETRY_BODY_SHAPE = 'the body must be {"regions": ["<region>", ...]} or empty';

/** The regions a retry names (undefined: every region that did not succeed). */
const readRetryBody: RequestReader<string[] | undefined> = async (request) => {
  const type = expectJson(request);
  if (!type.ok) return type;
  const text = await readBodyText(request);
  if (!text.ok) return text;
  let body: unknown;
  try {
    body = text.value.trim() === "" ? {} : JSON.parse(text.value);
  } catch (parseError) {
    const message = `not valid JSON: ${parseError instanceof Error ? parseError.message : String(parseError)}`;
    return { ok: false, response: invalidRequest(RETRY_BODY_SHAPE, [{ path: "", message }]) };
  }
  const parsed = retryBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, response: invalidRequest(RETRY_BODY_SHAPE, problemsOf(parsed.error)) };
  return { ok: true, value: parsed.data.regions };
};

const rolloutsRetry = onRollout(
  "rollouts/{rolloutId}/retry",
  "POST",
  readRetryBody,
  async (request, client, context, instance, regionsToRetry) => {
    const status = presentStatus(instance);
    const original = rolloutInputSchema.safeParse(instance.input);
    if (!status || !original.success)
      return error(409, "NotRetryable", `rollout ${instance.instanceId} has no recorded status or spec to retry from`);
    const selection = selectRegionsToRetry(status, regionsToRetry);
    if (!selection.ok)
      return error(
        RUNNING.has(String(instance.runtimeStatus)) ? 409 : 400,
        "NotRetryable",
        selection.problems.join("; "),
      );
    // The network may have changed since the rollout ran (another rollout, a removal): the retry
    // runs the plan of its spec against the network as it is now, checked as a start is.
    const changes = await changePlanFor(original.data.spec, `retrying ${instance.instanceId}`);
    if (!changes.ok) return changes.response;
    return startRollout(
      request,
      client,
      InstancePages.of(context),
      original.data.spec,
      selection.regions,
      status.regions.filter((region) => selection.regions.includes(region.region)),
    );
  },
);

const rolloutsCancel = onRollout(
  "rollouts/{rolloutId}/cancel",
  "POST",
  nothingToRead,
  async (_request, client, _context, instance) => {
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
  },
);

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
