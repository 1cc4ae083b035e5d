/**
 * JSON-RPC to an EVM chain (Chain 138 through its RPC URL, mainnet through a provider), with the
 * one classifier of this adapter: HTTP 429 and 5xx, resets and timeouts are transient (429 with
 * its Retry-After); a revert is permanent and carries its reason, decoded from the revert data
 * with the contract's ABI (custom errors included) by the caller through {@link RevertError}.
 * The URL may hold a provider's API key, so it never appears in an error message.
 * Every transaction sent goes through {@link EvmRpc.sendRawTransaction}, which notes it for the
 * audit trail (lib/state/change-trail.ts).
 */
import { Transaction } from "ethers";
import { z } from "zod";
import { noteChange } from "../state/change-trail.js";
import { classifyHttpStatus, classifyNetworkError, ClassifiedError, parseRetryAfter } from "../errors.js";
import { withDeadline } from "../retry.js";

/** Per request: a chain answers in milliseconds; only a stalled endpoint takes this long. */
const REQUEST_TIMEOUT_MS = 15_000;

/** A transaction or call the chain refused because the EVM reverted it. */
export class RevertError extends Error {
  override name = "RevertError";
  constructor(
    message: string,
    /** The revert data (0x…), when the node returned it. */
    readonly data: string | undefined,
  ) {
    super(message);
  }
}

const responseSchema = z.object({
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
});

/** Revert data as nodes report it: a hex string, or nested ({data: "0x…"} in some clients). */
function revertData(data: unknown): string | undefined {
  if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data)) return data;
  if (typeof data === "object" && data !== null && "data" in data) return revertData(data.data);
  return undefined;
}

const REVERT = /revert/i;
/** How nodes refuse a transaction they already have (pending or mined): sending it again did no harm. */
const ALREADY_KNOWN = /already known|known transaction|nonce too low|already imported/i;
/** Errors whose message says the request can never succeed as it is. */
const PERMANENT_MESSAGES = /insufficient funds|intrinsic gas too low|exceeds block gas limit|invalid sender|chain ?id/i;

export class EvmRpc {
  private nextId = 1;

  constructor(
    private readonly url: string,
    /** Names the chain in messages (the URL is not shown: it may carry a key). */
    private readonly chainName: string,
  ) {}

  /** One call; throws RevertError for a revert and ClassifiedError for everything else. */
  async call(method: string, params: unknown[] = []): Promise<unknown> {
    const step = `${method} on ${this.chainName}`;
    let response: Response;
    let text: string;
    try {
      ({ response, text } = await withDeadline(REQUEST_TIMEOUT_MS, step, async (signal) => {
        const answer = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }),
          signal,
        });
        return { response: answer, text: await answer.text() };
      }));
    } catch (error) {
      const classification = classifyNetworkError(error) ?? {
        retryable: true,
        kind: "network" as const,
        code: "RequestFailed",
        message: error instanceof Error ? error.message : String(error),
      };
      throw new ClassifiedError(step, classification);
    }
    if (!response.ok) {
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      throw new ClassifiedError(
        step,
        classifyHttpStatus(response.status, `Http${response.status}`, text.slice(0, 200), retryAfterMs),
      );
    }
    const parsed = responseSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new ClassifiedError(step, {
        retryable: true,
        kind: "rpc",
        code: "BadResponse",
        message: "not a JSON-RPC response",
      });
    const { error, result } = parsed.data;
    if (error === undefined) return result;
    const data = revertData(error.data);
    if (REVERT.test(error.message) || error.code === 3) throw new RevertError(error.message, data);
    const retryable = !PERMANENT_MESSAGES.test(error.message) && ![-32600, -32601, -32602].includes(error.code);
    throw new ClassifiedError(step, { retryable, kind: "rpc", code: String(error.code), message: error.message });
  }

  /**
   * Broadcasts a signed transaction and returns its hash; one the node already has (or mined) is
   * not an error. Noted for the audit trail with its chain, sender, nonce, hash and what it is for
   * (`intent`): not its signed bytes, which nothing needs to read back.
   */
  async sendRawTransaction(raw: string, intent: string): Promise<string> {
    const transaction = Transaction.from(raw);
    const hash = transaction.hash ?? "";
    const noted = (outcome: string) =>
      noteChange({
        system: "chain",
        action: "eth_sendRawTransaction",
        subject: hash,
        outcome,
        details: {
          chain: this.chainName,
          chainId: transaction.chainId.toString(),
          sender: transaction.from ?? "",
          nonce: String(transaction.nonce),
          intent,
        },
      });
    try {
      await this.call("eth_sendRawTransaction", [raw]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (ALREADY_KNOWN.test(message)) {
        noted("already known");
        return hash;
      }
      noted(
        error instanceof ClassifiedError
          ? error.classification.code
          : error instanceof RevertError
            ? "Reverted"
            : "Failed",
      );
      throw error;
    }
    noted("sent");
    return hash;
  }

  async quantity(method: string, params: unknown[] = []): Promise<bigint> {
    return BigInt(z.string().parse(await this.call(method, params)));
  }
}
