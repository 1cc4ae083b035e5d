/**
 * Drift verification's triggers: the timer (NCRONTAB from `DRIFT_SCHEDULE`, by default every 15
 * minutes) that starts one check per network with a recorded deployment, and the HTTP API —
 * latest reports, one network's latest with findings, its history, and "run now" (202, or 409
 * while a check runs). A check is the singleton orchestration `drift-<network>`: a tick that finds
 * it running is skipped and says so, and the instance store lets only one of two simultaneous
 * starts create it. Reports are read from blob storage, where the checks keep them.
 */
import type { HttpRequest, HttpResponseInit, Timer } from "@azure/functions";
import type { DurableClient, HttpDurableClientOptions, TimerDurableClientOptions } from "durable-functions";
import { apiAuthMode, appSettings, driftSchedule } from "../lib/config.js";
import { driftIndexName, driftIndexSchema, driftReportSchema, type DriftIndex } from "../lib/domain/drift/report.js";
import { log } from "../lib/telemetry/log.js";
import { driftCheckOrchestration, driftCheckStatusSchema, driftInstanceId } from "../orchestrators/drift/contract.js";
import { requesterOf } from "./authorization.js";
import { errorResponse as error, jsonResponse as json } from "./responses.js";
import { stateDocuments } from "./state.js";

const RUNNING = new Set(["Pending", "Running", "Suspended", "ContinuedAsNew"]);
const NETWORK_RECORD = /^networks\/([a-z][a-z0-9-]*[a-z0-9])\/network\.json$/;
const NETWORK_NAME = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;

/** Networks with a recorded deployment: those with a network record. */
async function recordedNetworks(): Promise<string[]> {
  return (await stateDocuments().listDocuments("networks/"))
    .map((entry) => NETWORK_RECORD.exec(entry.name)?.[1])
    .filter((name): name is string => name !== undefined);
}

async function indexOf(network: string): Promise<DriftIndex | undefined> {
  const parsed = driftIndexSchema.safeParse(await stateDocuments().readDocument(driftIndexName(network)));
  return parsed.success ? parsed.data : undefined;
}

/** The check that runs now for a network, if one does: its published status. */
async function runningCheck(client: DurableClient, network: string): Promise<Record<string, unknown> | undefined> {
  const status = await client.getStatus(driftInstanceId(network)).catch(() => undefined);
  if (status === undefined || !RUNNING.has(String(status.runtimeStatus))) return undefined;
  const published = driftCheckStatusSchema.safeParse(status.customStatus);
  return { instanceId: driftInstanceId(network), ...(published.success ? published.data : {}) };
}

/** Starts the network's check unless one runs; `started: false` names the running one. */
async function startCheck(
  client: DurableClient,
  network: string,
  trigger: "timer" | "api",
  /** Who asked, for the audit of the changes a check's healing makes. */
  by: string,
): Promise<{ started: boolean }> {
  if ((await runningCheck(client, network)) !== undefined) return { started: false };
  try {
    await client.startNew(driftCheckOrchestration.name, {
      instanceId: driftInstanceId(network),
      input: { network, trigger, audit: { by, target: network } },
    });
    return { started: true };
  } catch (startError) {
    // Another start won the race: the instance store let only one create it.
    if ((await runningCheck(client, network)) !== undefined) return { started: false };
    throw startError;
  }
}

/** Each network's check, started by a tick; a tick missed while the host was down runs once at start. */
export function driftTimerFunctions(env: NodeJS.ProcessEnv): Record<string, TimerDurableClientOptions> {
  return {
    driftTimer: {
      schedule: driftSchedule(env),
      handler: async (timer: Timer, client) => {
        const networks = await recordedNetworks();
        for (const network of networks) {
          const { started } = await startCheck(client, network, "timer", "drift schedule");
          log(
            "info",
            started
              ? `drift: check of ${network} started${timer.isPastDue ? " (a tick missed while the host was down)" : ""}`
              : `drift: check of ${network} skipped: the previous check still runs`,
          );
        }
        if (networks.length === 0) log("info", "drift: no network with a recorded deployment; nothing to check");
      },
    },
  };
}

const statusUrl = (request: HttpRequest, network: string): string => new URL(`/api/drift/${network}`, request.url).href;

/** A handler of `drift/{network}…`: the name checked, 404 for a network without a record. */
function onNetwork(
  route: string,
  methods: ("GET" | "POST")[],
  handle: (request: HttpRequest, client: DurableClient, network: string) => Promise<HttpResponseInit>,
): HttpDurableClientOptions {
  return {
    route,
    methods,
    authLevel: "function",
    handler: async (request, client) => {
      const network = request.params.network ?? "";
      if (!NETWORK_NAME.test(network))
        return error(400, "InvalidRequest", `'${network}' is not a network name`, {
          problems: [{ path: "network", message: "must be a network name, e.g. chain138" }],
        });
      if (!(await recordedNetworks()).includes(network))
        return error(404, "NetworkNotFound", `network ${network} has no recorded deployment`);
      return handle(request, client, network);
    },
  };
}

const driftList: HttpDurableClientOptions = {
  route: "drift",
  methods: ["GET"],
  authLevel: "function",
  handler: async (_request, client) => {
    const networks = await recordedNetworks();
    return json(
      200,
      await Promise.all(
        networks.map(async (network) => ({
          network,
          latest: (await indexOf(network))?.reports[0] ?? null,
          running: (await runningCheck(client, network)) ?? null,
        })),
      ),
    );
  },
};

const driftGet = onNetwork("drift/{network}", ["GET"], async (_request, client, network) => {
  const latest = (await indexOf(network))?.reports[0];
  const report =
    latest === undefined
      ? undefined
      : driftReportSchema.safeParse(await stateDocuments().readDocument(latest.document));
  return json(200, {
    network,
    report: report?.success ? report.data : null,
    running: (await runningCheck(client, network)) ?? null,
  });
});

const driftHistory = onNetwork("drift/{network}/history", ["GET"], async (_request, _client, network) =>
  json(200, { network, reports: (await indexOf(network))?.reports ?? [] }),
);

const driftRun = onNetwork("drift/{network}", ["POST"], async (request, client, network) => {
  const { started } = await startCheck(client, network, "api", requesterOf(request, apiAuthMode(appSettings())));
  if (!started)
    return error(409, "DriftCheckRunning", `a drift check of network ${network} is running; wait for it to finish`, {
      statusUrl: statusUrl(request, network),
    });
  return {
    status: 202,
    headers: { Location: statusUrl(request, network) },
    jsonBody: { network, instanceId: driftInstanceId(network), statusUrl: statusUrl(request, network) },
  };
});

/** The drift API's functions, by function name (they use the durable client). */
export const driftClientFunctions: Record<string, HttpDurableClientOptions> = {
  driftList,
  driftGet,
  driftHistory,
  driftRun,
};
