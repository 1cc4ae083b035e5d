/**
 * The rollouts among the task hub's instances. A rollout is the instance `rollout-<network>-<n>`;
 * its region sub-orchestrations have ids that start with the rollout's own, so a query by prefix
 * returns them too and they are filtered out here. Queries go by prefix (instance-pages.ts): the
 * list reads rollout instances only, a start only its network's.
 *
 * Numbers never repeat, even after retention purged a network's instances: the next number is
 * also above every rollout that left a report (`rollouts/<rolloutId>/report.json`, kept for
 * audit), so a new rollout never overwrites an old one's report.
 */
import { z } from "zod";
import { loadConfig } from "../lib/config.js";
import { documentStoreFor, type DocumentStore } from "../lib/state/documents.js";
import { rolloutOrchestration } from "../orchestrators/contracts.js";
import type { InstancePages, InstanceSummary } from "./instance-pages.js";

export const ROLLOUT_PREFIX = "rollout-";
const INSTANCE_ID = /^rollout-([a-z0-9-]+)-(\d+)$/;
const REPORT_NAME = /^rollouts\/(rollout-[a-z0-9-]+-\d+)\/report\.json$/;

/** A rollout's id split into its network and number; undefined for any other id. */
export function parseRolloutId(instanceId: string): { network: string; number: number } | undefined {
  const match = INSTANCE_ID.exec(instanceId);
  return match ? { network: match[1] as string, number: Number(match[2]) } : undefined;
}

export const isRollout = (instance: { name: string; instanceId: string }): boolean =>
  instance.name === rolloutOrchestration.name && parseRolloutId(instance.instanceId) !== undefined;

/**
 * Where a list page starts: the task hub page it is on (absent: the first) and how many rollouts
 * of that page earlier list pages already returned.
 */
const cursorSchema = z.strictObject({ page: z.string().min(1).optional(), skip: z.int().min(0) });
export type ListCursor = z.output<typeof cursorSchema>;

/** The cursor as an opaque token for a URL. */
export const encodeCursor = (cursor: ListCursor): string =>
  Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");

/** A token made by {@link encodeCursor}; undefined for anything else. */
export function decodeCursor(token: string): ListCursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(token, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Up to `top` rollouts from `from` on, in the task hub's order (instance id order on Azure
 * Storage), and the cursor of the rest. Task hub pages are `top` instances long, so one call reads
 * at most `top` rollouts with their sub-orchestrations.
 */
export async function listRollouts(
  pages: InstancePages,
  top: number,
  from: ListCursor = { skip: 0 },
): Promise<{ rollouts: InstanceSummary[]; next?: ListCursor }> {
  const rollouts: InstanceSummary[] = [];
  let cursor = from;
  for (;;) {
    const page = await pages.page(ROLLOUT_PREFIX, top, cursor.page);
    const unseen = page.instances.filter(isRollout).slice(cursor.skip);
    const room = top - rollouts.length;
    if (unseen.length > room) {
      rollouts.push(...unseen.slice(0, room));
      return { rollouts, next: { ...cursor, skip: cursor.skip + room } };
    }
    rollouts.push(...unseen);
    if (page.continuationToken === undefined) return { rollouts };
    cursor = { page: page.continuationToken, skip: 0 };
    if (rollouts.length === top) return { rollouts, next: cursor };
  }
}

/** Every rollout instance of one network. */
export async function rolloutsOfNetwork(pages: InstancePages, network: string): Promise<InstanceSummary[]> {
  const found: InstanceSummary[] = [];
  for await (const instance of pages.all(`${ROLLOUT_PREFIX}${network}-`))
    // The prefix of network "a" also matches network "a-b".
    if (isRollout(instance) && parseRolloutId(instance.instanceId)?.network === network) found.push(instance);
  return found;
}

let reportStore: DocumentStore | undefined;

/** The state container, where the rollouts' reports are. */
function reports(): DocumentStore {
  reportStore ??= documentStoreFor(loadConfig().storage);
  return reportStore;
}

/** The number of a network's next rollout: above every one in the task hub and every one that left a report. */
export async function nextRolloutNumber(network: string, instances: readonly InstanceSummary[]): Promise<number> {
  const reported = (await reports().listDocuments(`rollouts/${ROLLOUT_PREFIX}${network}-`)).map(
    (entry) => REPORT_NAME.exec(entry.name)?.[1] ?? "",
  );
  const numbers = [...instances.map((instance) => instance.instanceId), ...reported]
    .map(parseRolloutId)
    .filter((id) => id?.network === network)
    .map((id) => id?.number ?? 0);
  return 1 + Math.max(0, ...numbers);
}
