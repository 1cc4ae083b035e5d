/**
 * Sends one intent's transaction exactly once: journal first, then broadcast. Before anything
 * else — a new send here, or a caller's shortcut from chain state ("the code is already there")
 * after {@link ExactlyOnceSender.settle} — every entry this sender left unfinished on this chain
 * is reconciled with the chain (lib/domain/tx-journal.ts decides; this adapter gathers the facts
 * and carries the decision out). Otherwise a crash between a receipt and the journal's write would
 * leave an entry `broadcast` for good, and one between journaling and broadcasting would leave a
 * signed transaction that nobody sends while its nonce is handed out again.
 */
import { Transaction, keccak256 } from "ethers";
import { z } from "zod";
import {
  decide,
  isFinal,
  markBroadcast,
  markDropped,
  markMined,
  signedEntry,
  withReplacement,
  type ChainFacts,
  type Fees,
  type JournalEntry,
  type Receipt,
} from "../domain/tx-journal.js";
import { ClassifiedError } from "../errors.js";
import { changesRecorded, noteChange } from "../state/change-trail.js";
import type { JournalStore } from "./journal-store.js";
import { RevertError, type EvmRpc } from "./rpc.js";
import type { TransactionSigner } from "./signer.js";

/** What an intent sends. */
export interface TransactionRequest {
  /** For messages and the journal, e.g. `deploy router on chain138`. */
  intent: string;
  to: string | null;
  data: string;
  value: bigint;
  predictedAddress?: string;
  /**
   * Its gas limit, already being estimated ({@link ExactlyOnceSender.gasLimit}, started by a
   * caller alongside its own reads after {@link ExactlyOnceSender.settle}); estimated at sending
   * when absent.
   */
  gasLimit?: Promise<bigint>;
}

export interface SenderOptions {
  chainId: number;
  /** The network whose journal holds this sender's entries (`journal/<network>/…`). */
  network: string;
  /** A broadcast transaction unmined this long is replaced with a higher fee. */
  stuckAfterSeconds: number;
  /** How long one call waits for the receipt after broadcasting (seconds, never minutes). */
  waitSeconds: number;
}

/** The sender's balance cannot pay for the transaction: a retry cannot help until someone funds it. */
export class InsufficientFundsError extends Error {
  override name = "InsufficientFundsError";
}

const receiptSchema = z
  .object({
    status: z.string(),
    blockNumber: z.string(),
    gasUsed: z.string(),
    contractAddress: z.string().nullable().optional(),
  })
  .loose();

/** How often a call waiting for its receipt asks again: a block may come every fraction of a second. */
export const RECEIPT_POLL_MS = 50;

/** An intent to send in this call, with its place among the call's intents and its gas limit. */
interface NewIntent {
  index: number;
  name: string;
  request: TransactionRequest;
  gasLimit: bigint;
}

/** Margin over the node's gas estimate: state may change between estimate and inclusion. */
const GAS_MARGIN_PERCENT = 125n;

export class ExactlyOnceSender {
  /** What the last {@link settle} left open, until the next {@link advanceAll} has looked. */
  private justSettled: { name: string; entry: JournalEntry }[] | undefined;

  constructor(
    private readonly rpc: EvmRpc,
    private readonly signer: TransactionSigner,
    private readonly journal: JournalStore,
    private readonly options: SenderOptions,
  ) {}

  async receipt(hash: string): Promise<Receipt | undefined> {
    const raw = await this.rpc.call("eth_getTransactionReceipt", [hash]);
    if (raw === null || raw === undefined) return undefined;
    const parsed = receiptSchema.parse(raw);
    return {
      status: parsed.status === "0x1" ? "success" : "reverted",
      blockNumber: Number(BigInt(parsed.blockNumber)),
      gasUsed: BigInt(parsed.gasUsed).toString(),
      contractAddress: parsed.contractAddress ?? null,
    };
  }

  private async facts(entry: JournalEntry): Promise<ChainFacts> {
    const receipts = new Map<string, Receipt>();
    const known = new Set<string>();
    for (const attempt of entry.attempts) {
      const receipt = await this.receipt(attempt.hash);
      if (receipt !== undefined) receipts.set(attempt.hash, receipt);
      if ((await this.rpc.call("eth_getTransactionByHash", [attempt.hash])) !== null) known.add(attempt.hash);
    }
    const latestNonce = Number(await this.rpc.quantity("eth_getTransactionCount", [entry.sender, "latest"]));
    return { latestNonce, receipts, known, now: new Date().toISOString() };
  }

  private async sign(entry: Omit<JournalEntry, "state" | "attempts">, data: string, fees: Fees) {
    const transaction = {
      type: 0,
      chainId: this.options.chainId,
      nonce: entry.nonce,
      gasLimit: BigInt(entry.gasLimit),
      gasPrice: BigInt(fees.gasPrice),
      to: entry.to,
      data,
      value: BigInt(entry.value),
    };
    const signed = await this.signer.signTransaction(transaction);
    return { hash: signed.hash, raw: signed.raw, fees, signedAt: new Date().toISOString() };
  }

  /** The gas limit of a new intent: the node's estimate at the latest block, with a margin. */
  async gasLimit(request: TransactionRequest): Promise<bigint> {
    const call = {
      from: await this.signer.address(),
      to: request.to ?? undefined,
      data: request.data,
      value: `0x${request.value.toString(16)}`,
    };
    const estimate = await this.rpc.quantity("eth_estimateGas", [call, "latest"]);
    return (estimate * GAS_MARGIN_PERCENT) / 100n;
  }

  /**
   * New entries for intents sent together, signed, not yet journaled: fees and the next nonce read
   * once, consecutive nonces after every unfinished entry's (`unfinished`: this sender's entries
   * still on their way, whose nonces are taken even if the node's pending count does not show
   * them yet), the balance checked against each in turn. Signing runs in parallel (each is a Key
   * Vault round trip); what fails — missing funds, a signature — keeps only those before it.
   */
  private async signNew(
    items: readonly NewIntent[],
    unfinished: readonly JournalEntry[],
  ): Promise<{ signed: { item: NewIntent; entry: JournalEntry }[]; failed?: { index: number; error: unknown } }> {
    const sender = await this.signer.address();
    const [gasPrice, balance, pendingNonce] = await Promise.all([
      this.rpc.quantity("eth_gasPrice"),
      this.rpc.quantity("eth_getBalance", [sender, "latest"]),
      // "pending": a transaction of this sender still in the pool keeps its nonce; no gap, no collision.
      this.rpc.quantity("eth_getTransactionCount", [sender, "pending"]),
    ]);
    let nonce = Math.max(Number(pendingNonce), ...unfinished.map((entry) => entry.nonce + 1));
    let spendable = balance;
    let failed: { index: number; error: unknown } | undefined;
    const planned: { item: NewIntent; fields: Omit<JournalEntry, "state" | "attempts"> }[] = [];
    for (const item of items) {
      const { request, gasLimit } = item;
      const needed = gasLimit * gasPrice + request.value;
      if (spendable < needed) {
        const before = balance === spendable ? "" : ` (${spendable} wei after the transactions before it)`;
        failed = {
          index: item.index,
          error: new InsufficientFundsError(
            `${sender} holds ${balance} wei${before} but ${request.intent} needs ${needed} wei (gas ${gasLimit} × ${gasPrice} wei${request.value > 0n ? ` + value ${request.value}` : ""}): fund it with at least ${needed - spendable} wei more`,
          ),
        };
        break;
      }
      spendable -= needed;
      planned.push({
        item,
        fields: {
          intent: request.intent,
          chainId: this.options.chainId,
          sender,
          nonce: nonce++,
          to: request.to,
          dataHash: keccak256(request.data),
          value: request.value.toString(),
          gasLimit: gasLimit.toString(),
          ...(request.predictedAddress === undefined ? {} : { predictedAddress: request.predictedAddress }),
        },
      });
    }
    const attempts = await Promise.allSettled(
      planned.map(({ item, fields }) => this.sign(fields, item.request.data, { gasPrice: gasPrice.toString() })),
    );
    const signed: { item: NewIntent; entry: JournalEntry }[] = [];
    for (const [position, { item, fields }] of planned.entries()) {
      const attempt = attempts[position];
      if (attempt?.status !== "fulfilled") {
        failed = { index: item.index, error: attempt?.reason };
        break;
      }
      signed.push({ item, entry: signedEntry(fields, attempt.value) });
    }
    return failed === undefined ? { signed } : { signed, failed };
  }

  /** Carries out the journal's decision for an entry that is not final. */
  private async reconcile(name: string, entry: JournalEntry): Promise<JournalEntry> {
    const decision = decide(entry, await this.facts(entry), this.options.stuckAfterSeconds);
    // Only a new fact is journaled (mined, dropped, a replacement before its broadcast); a
    // broadcast is not: recovery handles a `signed` attempt the node knows as broadcast.
    if (decision.kind === "mined") return this.journalFinal(name, markMined(entry, decision.hash, decision.receipt));
    if (decision.kind === "dropped") return this.journalFinal(name, markDropped(entry, decision.reason));
    if (decision.kind === "broadcast") {
      await this.rpc.sendRawTransaction(decision.attempt.raw, entry.intent);
      return markBroadcast(entry);
    }
    if (decision.kind === "replace") {
      const data = Transaction.from(entry.attempts[0]?.raw ?? "").data;
      const replaced = withReplacement(entry, await this.sign(entry, data, decision.fees));
      await this.journal.write(name, replaced);
      await this.rpc.sendRawTransaction(replaced.attempts[replaced.attempts.length - 1]?.raw ?? "", entry.intent);
      return markBroadcast(replaced);
    }
    return entry;
  }

  /**
   * Reconciles every entry this sender left unfinished on this chain (lowest nonce first): a
   * receipt → mined; the nonce passed without one → dropped; still signed → broadcast those very
   * bytes; stuck or forgotten by the node → replaced at the same nonce. Returns those still on
   * their way. Callers run it before judging from chain state alone; {@link advance} runs it
   * before every send.
   */
  async settle(): Promise<{ name: string; entry: JournalEntry }[]> {
    const sender = await this.signer.address();
    const stillOpen: { name: string; entry: JournalEntry }[] = [];
    for (const { name, entry } of await this.journal.unfinished(this.options.network, this.options.chainId, sender)) {
      const next = await this.reconcile(name, entry);
      if (!isFinal(next)) stillOpen.push({ name, entry: next });
    }
    this.justSettled = stillOpen;
    return stillOpen;
  }

  /**
   * Moves independent intents forward in one call: settles the sender's unfinished entries
   * first, estimates every new intent's gas and signs them all at consecutive nonces (both in
   * parallel: nothing is sent yet), then journals them all in nonce order (so a crash leaves no
   * gap) and only then broadcasts them, back to back, so that they can share a block; then waits
   * for their receipts, within `waitSeconds` in all. Returns the entries in the order given, as they stand (`mined`, `dropped`, on their way,
   * or undefined when not sent). An intent the chain refuses to take is `failed`, with its index:
   * a revert in its gas estimate sends nothing new (every estimate comes first), missing funds
   * stop the sends after it.
   */
  async advanceAll(
    intents: readonly { name: string; request: TransactionRequest }[],
  ): Promise<{ entries: (JournalEntry | undefined)[]; failed?: { index: number; error: unknown } }> {
    // A caller that just settled and found nothing open (and sent nothing since: only this method
    // sends) is not settled twice; what was open then may have been mined since, so it is looked at again.
    const open = this.justSettled?.length === 0 ? [] : await this.settle();
    this.justSettled = undefined;
    const taken = open.map((unfinished) => unfinished.entry);
    const existing = await Promise.all(
      intents.map(
        async ({ name }) => open.find((unfinished) => unfinished.name === name)?.entry ?? this.journal.read(name),
      ),
    );
    // Every new intent's gas is estimated before any of them is sent: they are independent, and an
    // estimate at the latest block must not depend on this sender's transactions still pending.
    const fresh = intents.flatMap((intent, index) => (existing[index] === undefined ? [{ ...intent, index }] : []));
    const estimates = await Promise.allSettled(fresh.map(({ request }) => request.gasLimit ?? this.gasLimit(request)));
    const gasLimits = estimates.flatMap((estimate) => (estimate.status === "fulfilled" ? [estimate.value] : []));
    const refused = estimates.findIndex((estimate) => estimate.status === "rejected");
    const until = Date.now() + this.options.waitSeconds * 1000;
    const entries: (JournalEntry | undefined)[] = existing.map((entry) => entry);
    let failed: { index: number; error: unknown } | undefined;
    if (refused >= 0) {
      const estimate = estimates[refused];
      failed = {
        index: fresh[refused]?.index ?? 0,
        error: estimate?.status === "rejected" ? estimate.reason : undefined,
      };
    } else {
      const news = fresh.map((intent, position) => ({ ...intent, gasLimit: gasLimits[position] ?? 0n }));
      const prepared = await this.signNew(news, taken);
      failed = prepared.failed;
      // All journaled (one after another, in nonce order: a crash leaves no gap among them) before
      // the first broadcast, so that the broadcasts go back to back and can share a block; a crash
      // before them leaves `signed` entries, which recovery broadcasts before anything new.
      const journaled: typeof prepared.signed = [];
      for (const signed of prepared.signed) {
        try {
          await this.journal.write(signed.item.name, signed.entry);
          journaled.push(signed);
        } catch (error) {
          failed = { index: signed.item.index, error };
          break;
        }
      }
      for (const { item, entry } of journaled) {
        try {
          await this.rpc.sendRawTransaction(entry.attempts[0]?.raw ?? "", entry.intent);
          // Not journaled: recovery treats a `signed` attempt the node knows as broadcast (tx-journal.ts).
          entries[item.index] = markBroadcast(entry);
        } catch (error) {
          // Journaled `signed`: the next call's settle broadcasts it (and those after it) again.
          failed = { index: item.index, error };
          break;
        }
      }
    }
    for (const [index, entry] of entries.entries())
      if (entry !== undefined) entries[index] = await this.untilMined(intents[index]?.name ?? "", entry, until);
    return failed === undefined ? { entries } : { entries, failed };
  }

  /**
   * Journals an entry that reached its end (mined or dropped) once its outcome is on the audit
   * trail. A final entry is never looked at again, and a crash right after a broadcast may have
   * lost the broadcast's own note (lib/state/change-trail.ts appends as it goes), so this note is
   * what guarantees every transaction the journal settles is in the audit.
   */
  private async journalFinal(name: string, entry: JournalEntry): Promise<JournalEntry> {
    const hash = entry.mined?.hash ?? entry.attempts[entry.attempts.length - 1]?.hash ?? "";
    noteChange({
      system: "chain",
      action: entry.mined === undefined ? "transaction dropped" : "transaction mined",
      subject: hash,
      outcome: entry.mined?.receipt.status ?? entry.droppedReason ?? "dropped",
      details: {
        chain: this.rpc.chainName,
        chainId: String(entry.chainId),
        sender: entry.sender,
        nonce: String(entry.nonce),
        intent: entry.intent,
        ...(entry.mined === undefined ? {} : { block: String(entry.mined.receipt.blockNumber) }),
      },
    });
    await changesRecorded();
    await this.journal.write(name, entry);
    return entry;
  }

  /** Polls an entry's latest attempt for its receipt until `until`; journals it once mined. */
  private async untilMined(name: string, entry: JournalEntry, until: number): Promise<JournalEntry> {
    while (!isFinal(entry)) {
      const hash = entry.attempts[entry.attempts.length - 1]?.hash ?? "";
      const receipt = await this.receipt(hash);
      if (receipt !== undefined) return this.journalFinal(name, markMined(entry, hash, receipt));
      if (Date.now() >= until) break;
      await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS));
    }
    return entry;
  }

  /** {@link advanceAll} for one intent: at most one broadcast of its own. */
  async advance(name: string, request: TransactionRequest): Promise<JournalEntry> {
    const { entries, failed } = await this.advanceAll([{ name, request }]);
    if (failed !== undefined) throw failed.error;
    const [entry] = entries;
    if (entry === undefined) throw new Error(`${name}: not sent`);
    return entry;
  }
}

/** Errors of a send that a retry cannot fix, as ClassifiedErrors for the activity layer. */
export function permanentSendError(step: string, error: unknown, decode: (data: string) => string | undefined) {
  if (error instanceof RevertError) {
    const reason = error.data === undefined ? undefined : decode(error.data);
    return new ClassifiedError(step, {
      retryable: false,
      kind: "rpc",
      code: "Reverted",
      message: reason ?? error.message,
    });
  }
  if (error instanceof InsufficientFundsError)
    return new ClassifiedError(step, {
      retryable: false,
      kind: "invalid",
      code: "InsufficientFunds",
      message: error.message,
    });
  return undefined;
}
