/**
 * Reading a rollout for the API: the durable instance (with its input only when asked), and the
 * status an operator sees, corrected when the orchestration itself died. `GET /api/rollouts/{id}`
 * (the most frequent request by far: the CLI and the dashboard poll it every second or two) shares
 * its instance reads among concurrent and back-to-back polls (lib/recent-reads.ts).
 */
import type { DurableClient, DurableOrchestrationStatus } from "durable-functions";
import { createRolloutStatus, rolloutStatusSchema, type RolloutStatus } from "../lib/domain/rollout-status.js";
import { RecentReads } from "../lib/recent-reads.js";
import { rolloutInputSchema, rolloutOrchestration } from "../orchestrators/contracts.js";
import { parseRolloutId } from "./rollout-instances.js";

/**
 * How old a status poll's answer may be (docs/api.md): polls of one rollout within this time share
 * one read of the task hub. A second is what the CLI's `--watch` waits between polls anyway.
 */
export const STATUS_MAX_AGE_MS = 1_000;

export const RUNNING = new Set(["Pending", "Running", "Suspended", "ContinuedAsNew"]);

/** What the API reads of an instance: the durable client's status of one, or an entry of a list page. */
export interface InstanceView {
  instanceId: string;
  runtimeStatus: string;
  customStatus?: unknown;
  output?: unknown;
  createdTime: Date | string;
  lastUpdatedTime: Date | string;
}

/** The SDK types these as Date but hands over the JSON strings it received. */
export const isoTime = (value: Date | string): string => new Date(value).toISOString();

/** The rollout's status for an operator: the orchestration's custom status, corrected when the orchestration itself died. */
export function presentStatus(instance: InstanceView): RolloutStatus | undefined {
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

/**
 * The rollout instance, with its input only when asked: the input holds the whole spec, and a
 * status poll needs it only before the first status is out.
 */
export async function findRollout(
  client: DurableClient,
  rolloutId: string,
  showInput: boolean,
): Promise<DurableOrchestrationStatus | undefined> {
  if (parseRolloutId(rolloutId) === undefined) return undefined;
  try {
    const instance = await client.getStatus(rolloutId, { showInput });
    return instance && instance.name === rolloutOrchestration.name ? instance : undefined;
  } catch (lookupError) {
    // The SDK reports an unknown instance as an error mentioning the 404; anything else (a timeout,
    // a 5xx) is not "not found" and must surface as a server error, which clients retry.
    if (lookupError instanceof Error && /HTTP 404/.test(lookupError.message)) return undefined;
    throw lookupError;
  }
}

/** What a status poll answers: the rollout's status, or why there is none. */
export type StatusRead = { kind: "status"; status: RolloutStatus } | { kind: "notFound" } | { kind: "unreadableInput" };

/**
 * One app instance's recent status reads, shared by its status polls: the status as presented
 * (checked and corrected once per read, not once per poll), refreshed ahead at half its age limit
 * so that polls rarely wait for the task hub.
 */
const recentStatusReads = new RecentReads<Exclude<StatusRead, { kind: "notFound" }>>({
  maxAgeMs: STATUS_MAX_AGE_MS,
  refreshAfterMs: STATUS_MAX_AGE_MS / 2,
});

/** The rollout's status, at most STATUS_MAX_AGE_MS old; not found for an unknown rollout. */
export async function readRolloutStatus(client: DurableClient, rolloutId: string): Promise<StatusRead> {
  return (await recentStatusReads.read(rolloutId, () => readStatusNow(client, rolloutId))) ?? { kind: "notFound" };
}

async function readStatusNow(
  client: DurableClient,
  rolloutId: string,
): Promise<Exclude<StatusRead, { kind: "notFound" }> | undefined> {
  const instance = await findRollout(client, rolloutId, false);
  if (instance === undefined) return undefined;
  const status = presentStatus(instance);
  if (status) return { kind: "status", status };
  // Started but not yet replayed: the status it is about to publish, from its input.
  const withInput = await findRollout(client, rolloutId, true);
  const input = rolloutInputSchema.safeParse(withInput?.input);
  if (!input.success) return { kind: "unreadableInput" };
  return {
    kind: "status",
    status: createRolloutStatus({
      rolloutId: input.data.rolloutId,
      network: input.data.spec.network.name,
      regions: input.data.regions,
      at: isoTime(instance.createdTime),
      earlier: input.data.earlierRegions,
    }),
  };
}
