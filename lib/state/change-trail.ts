/**
 * The changes the control plane makes to outside systems, for the audit trail (lib/state/audit.ts).
 * The one adapter of each system notes every change it makes (ARM writes in lib/azure/arm.ts,
 * Kubernetes writes in lib/kube/cluster.ts, transactions in lib/evm/rpc.ts) with
 * {@link noteChange}; the activity call they run in collects them and appends them together when
 * it ends ({@link recordingChanges}): one write per activity call however many objects it applied,
 * each entry naming who asked for the rollout or drift check the call belongs to.
 * Outside an activity call (the CLI, tools) there is no trail and nothing is noted.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { log } from "../telemetry/log.js";
import { recordAuditBatch, type AuditEntry, type AuditReference, type AuditSystem } from "./audit.js";
import type { DocumentStore } from "./documents.js";

/** One change as its adapter describes it: never a credential, a key or a signed transaction. */
export interface Change {
  system: Exclude<AuditSystem, "api">;
  action: string;
  subject: string;
  outcome: string;
  status?: number;
  details?: Record<string, string>;
}

interface Trail {
  reference: AuditReference;
  entries: AuditEntry[];
}

const current = new AsyncLocalStorage<Trail>();

/** Notes a change made in the current activity call, stamped now. */
export function noteChange(change: Change): void {
  const trail = current.getStore();
  if (trail === undefined) return;
  const { by, target } = trail.reference;
  trail.entries.push({ at: new Date().toISOString(), who: by, ...(target === undefined ? {} : { target }), ...change });
}

/**
 * Runs one activity call, then appends the changes it noted. A failed write is logged, not
 * thrown: the changes are made, and the call's own outcome (which the orchestrator acts on) stands.
 */
export async function recordingChanges<T>(
  store: DocumentStore,
  reference: AuditReference,
  run: () => Promise<T>,
): Promise<T> {
  const trail: Trail = { reference, entries: [] };
  try {
    return await current.run(trail, run);
  } finally {
    try {
      await recordAuditBatch(store, trail.entries);
    } catch (error) {
      log(
        "error",
        `audit: could not record ${trail.entries.length} changes: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
