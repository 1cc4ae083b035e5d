/**
 * The transaction journal's state machine: what one intent (deploy this contract, make this CCIP
 * state hold, top up this account) has done on chain, and what to do next. An entry is written
 * BEFORE its transaction is broadcast, so after a crash the journal knows every transaction that
 * may be on its way; recovery then asks the chain (account nonce, receipt by hash) before anything
 * new is signed. A transaction that is stuck or that the node no longer knows is replaced with the
 * same nonce and a bumped fee, never with a new nonce: that is what makes it exactly once and
 * leaves no nonce gap. Pure: the adapter gathers the chain's facts and carries out the decision.
 *
 *   signed → (broadcast) → mined
 *                       ↘ replaced (by a later attempt at the same nonce) / dropped (nonce used elsewhere)
 *
 * `broadcast` is what the sender reports; it does not write it to the journal (one write less per
 * transaction): a `signed` attempt is rebroadcast only while the node does not know it, and
 * sending the same signed bytes again can never make a second transaction.
 */
import { z } from "zod";

/** Fee fields of a legacy (type 0) transaction, in wei as decimal strings. */
export const feesSchema = z.object({ gasPrice: z.string().regex(/^[0-9]+$/) });
export type Fees = z.infer<typeof feesSchema>;

export const receiptSchema = z.object({
  status: z.enum(["success", "reverted"]),
  blockNumber: z.number().int(),
  gasUsed: z.string(),
  contractAddress: z.string().nullable(),
});
export type Receipt = z.infer<typeof receiptSchema>;

export const attemptSchema = z.object({
  hash: z.string(),
  /** The signed transaction, so that a crash after signing can broadcast exactly these bytes. */
  raw: z.string(),
  fees: feesSchema,
  state: z.enum(["signed", "broadcast", "replaced"]),
  signedAt: z.string(),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const journalEntrySchema = z.object({
  /** What the transaction is for, e.g. `deploy router` or `ccip tokenAdmin #1`. */
  intent: z.string(),
  chainId: z.number().int(),
  sender: z.string(),
  nonce: z.number().int().min(0),
  to: z.string().nullable(),
  /** keccak-256 of the call data or init code (the data itself is in the raw transaction). */
  dataHash: z.string(),
  value: z.string(),
  gasLimit: z.string(),
  /** The address a deployment will have, when known before it is mined. */
  predictedAddress: z.string().optional(),
  state: z.enum(["signed", "broadcast", "mined", "dropped"]),
  attempts: z.array(attemptSchema).min(1),
  /** The attempt that was mined, with its receipt. */
  mined: z.object({ hash: z.string(), receipt: receiptSchema }).optional(),
  /** Why the entry was dropped. */
  droppedReason: z.string().optional(),
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/** What the chain says about an entry's transactions, gathered by the adapter. */
export interface ChainFacts {
  /** The sender's nonce at the latest block: transactions below it are mined. */
  latestNonce: number;
  /** Receipt of each attempt that has one, by hash. */
  receipts: ReadonlyMap<string, Receipt>;
  /** Hashes the node still knows (pending in its pool or mined). */
  known: ReadonlySet<string>;
  /** Now, ISO. */
  now: string;
}

/** The next step for an entry. */
export type JournalDecision =
  | { kind: "mined"; hash: string; receipt: Receipt }
  | { kind: "broadcast"; attempt: Attempt }
  | { kind: "wait" }
  | { kind: "replace"; nonce: number; fees: Fees; reason: string }
  | { kind: "dropped"; reason: string };

/** A replacement must pay at least 10 % more (geth, Besu); 25 % clears it with margin. */
export function bumpedFees(fees: Fees): Fees {
  const old = BigInt(fees.gasPrice);
  const bumped = (old * 125n) / 100n;
  // A free-gas network prices at 0: a replacement still has to pay strictly more.
  return { gasPrice: String(bumped > old ? bumped : old + 1_000_000_000n) };
}

const latestAttempt = (entry: JournalEntry): Attempt => entry.attempts[entry.attempts.length - 1] as Attempt;

/**
 * Decides what to do with an entry that is not final. `stuckAfterSeconds`: how long a broadcast
 * transaction the node still knows may wait unmined before it is replaced with a higher fee.
 */
export function decide(entry: JournalEntry, facts: ChainFacts, stuckAfterSeconds: number): JournalDecision {
  for (const attempt of entry.attempts) {
    const receipt = facts.receipts.get(attempt.hash);
    if (receipt !== undefined) return { kind: "mined", hash: attempt.hash, receipt };
  }
  if (facts.latestNonce > entry.nonce)
    return {
      kind: "dropped",
      reason: `nonce ${entry.nonce} of ${entry.sender} was used by a transaction that is not in the journal (none of ${entry.attempts.map((attempt) => attempt.hash).join(", ")} was mined)`,
    };
  const latest = latestAttempt(entry);
  const waitedSeconds = (Date.parse(facts.now) - Date.parse(latest.signedAt)) / 1000;
  if (!facts.known.has(latest.hash)) {
    // Still `signed` and unknown to the node: maybe never broadcast (a crash between journaling
    // and broadcasting), so send exactly the journaled bytes — until it has had its time, in case
    // the node keeps refusing them (then a bumped fee at the same nonce).
    if (latest.state === "signed" && waitedSeconds < stuckAfterSeconds) return { kind: "broadcast", attempt: latest };
    return { kind: "replace", nonce: entry.nonce, fees: bumpedFees(latest.fees), reason: "dropped from the pool" };
  }
  // A `signed` attempt the node knows was broadcast (the sender does not journal `broadcast`
  // separately): judged like one.
  if (waitedSeconds >= stuckAfterSeconds)
    return {
      kind: "replace",
      nonce: entry.nonce,
      fees: bumpedFees(latest.fees),
      reason: `not mined after ${Math.round(waitedSeconds)} s`,
    };
  return { kind: "wait" };
}

/** A new entry for a transaction signed but not yet broadcast (journal it before broadcasting). */
export function signedEntry(
  fields: Omit<JournalEntry, "state" | "attempts" | "mined" | "droppedReason">,
  attempt: Omit<Attempt, "state">,
): JournalEntry {
  return { ...fields, state: "signed", attempts: [{ ...attempt, state: "signed" }] };
}

/** The entry once its latest attempt was accepted by the node. */
export function markBroadcast(entry: JournalEntry): JournalEntry {
  const attempts = entry.attempts.map((attempt, index) =>
    index === entry.attempts.length - 1 ? { ...attempt, state: "broadcast" as const } : attempt,
  );
  return { ...entry, state: "broadcast", attempts };
}

/** The entry with a replacement attempt (same nonce, higher fee) signed; the earlier ones are replaced. */
export function withReplacement(entry: JournalEntry, attempt: Omit<Attempt, "state">): JournalEntry {
  return {
    ...entry,
    state: "signed",
    attempts: [
      ...entry.attempts.map((earlier) => ({ ...earlier, state: "replaced" as const })),
      { ...attempt, state: "signed" },
    ],
  };
}

export function markMined(entry: JournalEntry, hash: string, receipt: Receipt): JournalEntry {
  return { ...entry, state: "mined", mined: { hash, receipt } };
}

export function markDropped(entry: JournalEntry, reason: string): JournalEntry {
  return { ...entry, state: "dropped", droppedReason: reason };
}

/** Whether an entry needs nothing more from the chain. */
export const isFinal = (entry: Pick<JournalEntry, "state">): boolean =>
  entry.state === "mined" || entry.state === "dropped";
