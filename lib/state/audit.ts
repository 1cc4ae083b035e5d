/**
 * The audit trail: who asked the control plane to change something, when, what, and how it
 * ended — the API requests that ask for a change (functions/audit.ts), and each change the control
 * plane then makes to Azure, Kubernetes or a chain on their behalf (lib/state/change-trail.ts).
 * One JSON line per entry in an hourly append blob (`audit/<yyyy-mm-ddThh>.jsonl`) of the state
 * container, so entries are only ever added. Entries hold names, ids and hashes, never a
 * credential or a signed transaction: the caller is the Entra principal's name, or "function key"
 * when a key was used.
 */
import { z } from "zod";
import type { DocumentStore } from "./documents.js";

/** Where an entry's change was made: the API itself, or a system the control plane changed. */
export const AUDIT_SYSTEMS = ["api", "azure", "kubernetes", "chain"] as const;
export type AuditSystem = (typeof AUDIT_SYSTEMS)[number];

export const auditEntrySchema = z.object({
  at: z.string(),
  /**
   * Who asked: the Entra principal's name, "function key", or "anonymous" when refused; for a
   * change to a system, who asked for the rollout or drift run that made it.
   */
  who: z.string(),
  /** Where the change was made; entries of earlier versions, without it, are API requests. */
  system: z.enum(AUDIT_SYSTEMS).default("api"),
  /** What was asked or done, e.g. `POST /api/rollouts`, `PUT /subscriptions/…`, `eth_sendRawTransaction`. */
  action: z.string(),
  /** The rollout (or drift check) it concerned, when known. */
  target: z.string().optional(),
  /** The object changed, e.g. the cluster's resource path, a Kubernetes object path, a transaction hash. */
  subject: z.string().optional(),
  /** The HTTP status of the answer, when there was one. */
  status: z.int().optional(),
  /** The answer's error code or a short outcome. */
  outcome: z.string(),
  /** More about a change, e.g. a transaction's chain, sender, nonce and intent; never a secret. */
  details: z.record(z.string(), z.string()).optional(),
});
export type AuditEntry = z.input<typeof auditEntrySchema>;
/** An entry as read back (its system filled in). */
export type StoredAuditEntry = z.output<typeof auditEntrySchema>;

/**
 * Who started a rollout or drift check, and which one, carried by the orchestrations into every
 * activity they call (orchestrators/durable.ts) so that the changes it makes are recorded with
 * it. A name, never a credential.
 */
export const auditReferenceSchema = z.object({
  by: z.string().min(1).max(200),
  target: z.string().max(200).optional(),
});
export type AuditReference = z.infer<typeof auditReferenceSchema>;

/** The audit reference an orchestration's or activity's input carries as `audit`, if a valid one. */
export function auditReferenceIn(input: unknown): AuditReference | undefined {
  const parsed = auditReferenceSchema.safeParse((input as { audit?: unknown } | null | undefined)?.audit);
  return parsed.success ? parsed.data : undefined;
}

const AUDIT_PREFIX = "audit/";

/**
 * The hour's blob of an entry's time. An append blob takes at most 50,000 blocks (one per API
 * request, one per append of an activity call's changes) in Azure and in Azurite; an hourly blob
 * leaves room for 13 a second, where a daily one would stop recording after 50,000 in a day. Names sort in time order, and a daily
 * blob of earlier versions (`<yyyy-mm-dd>.jsonl`) sorts before the hours of its day.
 */
export function auditBlobName(at: string): string {
  return `${AUDIT_PREFIX}${at.slice(0, 13)}.jsonl`;
}

export function recordAudit(store: DocumentStore, entry: AuditEntry): Promise<void> {
  return recordAuditBatch(store, [entry]);
}

/**
 * Appends entries as one block of the first one's hour: changes noted together cost one write,
 * however many objects they concern.
 */
export async function recordAuditBatch(store: DocumentStore, entries: readonly AuditEntry[]): Promise<void> {
  const first = entries[0];
  if (first === undefined) return;
  const lines = entries.map((entry) => JSON.stringify(auditEntrySchema.parse(entry)));
  await store.appendLines(auditBlobName(first.at), lines);
}

export interface AuditQuery {
  /** Only entries about this target (e.g. a rollout id). */
  target?: string;
  /** Only entries of this system. */
  system?: AuditSystem;
  /** Only entries at or after this time (ISO): older blobs are not read. */
  since?: string;
  /** At most this many, newest first. */
  top: number;
}

/** A line as JSON, or undefined when it is not (a torn write is skipped, not fatal). */
function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** Entries newest first, reading day blobs from the newest until `top` are found. */
export async function readAudit(store: DocumentStore, query: AuditQuery): Promise<StoredAuditEntry[]> {
  // A daily blob of an earlier version sorts before the hours of its day, so a day's prefix keeps both.
  const oldest = query.since === undefined ? "" : `${AUDIT_PREFIX}${query.since.slice(0, 10)}`;
  const days = (await store.listDocuments(AUDIT_PREFIX))
    .map((entry) => entry.name)
    .filter((name) => name >= oldest)
    .reverse();
  const found: StoredAuditEntry[] = [];
  for (const day of days) {
    const text = (await store.readText(day)) ?? "";
    const entries = text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .flatMap((line) => {
        const parsed = auditEntrySchema.safeParse(parseLine(line));
        return parsed.success ? [parsed.data] : [];
      })
      .filter((entry) => query.target === undefined || entry.target === query.target)
      .filter((entry) => query.system === undefined || entry.system === query.system)
      .filter((entry) => query.since === undefined || entry.at >= query.since)
      .reverse();
    found.push(...entries);
    if (found.length >= query.top) break;
  }
  return found.slice(0, query.top);
}
