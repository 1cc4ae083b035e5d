/**
 * The audit trail: who asked the control plane to change something, when, what, and how it
 * ended. One JSON line per entry in an hourly append blob (`audit/<yyyy-mm-ddThh>.jsonl`) of the state
 * container, so entries are only ever added. Entries hold names and ids, never a credential: the
 * caller is the Entra principal's name, or "function key" when a key was used.
 */
import { z } from "zod";
import type { DocumentStore } from "./documents.js";

export const auditEntrySchema = z.object({
  at: z.string(),
  /** Who asked: the Entra principal's name, "function key", or "anonymous" when refused. */
  who: z.string(),
  /** What was asked, e.g. `POST /api/rollouts`. */
  action: z.string(),
  /** What it concerned, e.g. the rollout id, when known. */
  target: z.string().optional(),
  /** The HTTP status of the answer. */
  status: z.int(),
  /** The answer's error code or a short outcome. */
  outcome: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

const AUDIT_PREFIX = "audit/";

/**
 * The hour's blob of an entry's time. An append blob takes at most 50,000 blocks (one per entry)
 * in Azure and in Azurite; an hourly blob leaves room for 13 audited requests a second, where a
 * daily one would stop recording after 50,000 in a day. Names sort in time order, and a daily
 * blob of earlier versions (`<yyyy-mm-dd>.jsonl`) sorts before the hours of its day.
 */
export function auditBlobName(at: string): string {
  return `${AUDIT_PREFIX}${at.slice(0, 13)}.jsonl`;
}

export function recordAudit(store: DocumentStore, entry: AuditEntry): Promise<void> {
  return store.appendLine(auditBlobName(entry.at), JSON.stringify(auditEntrySchema.parse(entry)));
}

export interface AuditQuery {
  /** Only entries about this target (e.g. a rollout id). */
  target?: string;
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
export async function readAudit(store: DocumentStore, query: AuditQuery): Promise<AuditEntry[]> {
  const days = (await store.listDocuments(AUDIT_PREFIX)).map((entry) => entry.name).reverse();
  const found: AuditEntry[] = [];
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
      .reverse();
    found.push(...entries);
    if (found.length >= query.top) break;
  }
  return found.slice(0, query.top);
}
