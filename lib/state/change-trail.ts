/**
 * The changes the control plane makes to outside systems, for the audit trail (lib/state/audit.ts).
 * The one adapter of each system notes every change it makes (ARM writes in lib/azure/arm.ts,
 * Kubernetes writes in lib/kube/cluster.ts, transactions in lib/evm/rpc.ts and their ends in
 * lib/evm/sender.ts) with {@link noteChange}, inside the activity call it runs in
 * ({@link recordingChanges}); each entry names who asked for the rollout or drift check the call
 * belongs to.
 * A change is appended as soon as it is noted, not when the call ends, so a process killed in the
 * middle of a long call loses at most the append in flight: changes noted while one append is
 * under way go together in the next, so a call that applies many objects still costs few writes.
 * Where the change must be on record before the control plane moves on (a transaction before its
 * journal entry is final: lib/evm/sender.ts), the caller awaits {@link changesRecorded}.
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
  store: DocumentStore;
  reference: AuditReference;
  /** Noted, not yet handed to an append. */
  pending: AuditEntry[];
  /** The appends so far, one after another: settles once every change noted before it is recorded. */
  written: Promise<void>;
}

const current = new AsyncLocalStorage<Trail>();

/** Notes a change made in the current activity call, stamped now. */
export function noteChange(change: Change): void {
  const trail = current.getStore();
  if (trail === undefined) return;
  const { by, target } = trail.reference;
  trail.pending.push({ at: new Date().toISOString(), who: by, ...(target === undefined ? {} : { target }), ...change });
  // Chained, so appends keep the order of the changes; an append that finds nothing pending (its
  // entries went with the one before) writes nothing.
  trail.written = trail.written.then(() => appendPending(trail));
}

/**
 * Appends what is pending. A failed write is logged, not thrown: the changes are made, and the
 * call's own outcome (which the orchestrator acts on) stands.
 */
async function appendPending(trail: Trail): Promise<void> {
  const entries = trail.pending.splice(0);
  try {
    await recordAuditBatch(trail.store, entries);
  } catch (error) {
    log(
      "error",
      `audit: could not record ${entries.length} changes: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Settles once every change noted so far in this activity call is appended (or its failure logged). */
export function changesRecorded(): Promise<void> {
  return current.getStore()?.written ?? Promise.resolve();
}

/** Runs one activity call, recording the changes it notes; ends once they are all appended. */
export async function recordingChanges<T>(
  store: DocumentStore,
  reference: AuditReference,
  run: () => Promise<T>,
): Promise<T> {
  const trail: Trail = { store, reference, pending: [], written: Promise.resolve() };
  try {
    return await current.run(trail, run);
  } finally {
    await trail.written;
  }
}
