/**
 * JSON-RPC to an EVM chain (Chain 138 through its RPC URL, mainnet through a provider), with the
 * one classifier of this adapter: HTTP 429, the JSON-RPC "limit exceeded" error (-32005) and
 * 5xx, resets and timeouts are transient (429 with its Retry-After) and retried right here, each
 * request on its own (lib/retry.ts), so a throttled read does not cost the activity its progress;
 * a revert is permanent and carries its reason, decoded from the revert data with the contract's
 * ABI (custom errors included) by the caller through {@link RevertError}. Every method this
 * adapter sends may be sent twice: reads, and `eth_sendRawTransaction` of the same signed bytes,
 * which a node that already has them answers "already known" ({@link EvmRpc.sendRawTransaction} accepts that).
 * The URL may hold a provider's API key, so it never appears in an error message.
 * Every transaction sent goes through {@link EvmRpc.sendRawTransaction}, which notes it for the
 * audit trail (lib/state/change-trail.ts).
 */
import { Transaction } from "ethers";
import { z } from "zod";
import { noteChange } from "../state/change-trail.js";
import {
  classifyHttpStatus,
  classifyNetworkError,
  ClassifiedError,
  parseRetryAfter,
  type ErrorClassification,
} from "../errors.js";
import { retry, withDeadline, type RetryOptions } from "../retry.js";

/** Per attempt: a chain answers in milliseconds; only a stalled endpoint takes this long. */
const REQUEST_TIMEOUT_MS = 15_000;

/** How hard one request is tried (lib/retry.ts's defaults otherwise); tests shorten it. */
export type EvmRetryOptions = Omit<RetryOptions, "classify">;

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
/** The JSON-RPC error hosted providers answer when a key's request rate is exceeded (EIP-1474). */
const LIMIT_EXCEEDED = -32005;
/** Errors whose message says the request can never succeed as it is. */
const PERMANENT_MESSAGES = /insufficient funds|intrinsic gas too low|exceeds block gas limit|invalid sender|chain ?id/i;

export class EvmRpc {
  private nextId = 1;

  constructor(
    private readonly url: string,
    /**
     * The chain's role in the spec (`chain138`, `mainnet`): names it in messages (the URL is not
     * shown: it may carry a key) and in the audit trail.
     */
    readonly chainName: string,
    private readonly retryOptions: EvmRetryOptions = {},
  ) {}

  /**
   * One call, retried while it fails transiently; throws RevertError for a revert and
   * ClassifiedError for everything else (the last one's, Retry-After included, when out of tries).
   */
  call(method: string, params: unknown[] = []): Promise<unknown> {
    return retry((attempt) => this.attempt(method, params, attempt.timeoutMs), {
      attemptTimeoutMs: REQUEST_TIMEOUT_MS,
      ...this.retryOptions,
      classify: classifyEvmError,
    });
  }

  private async attempt(method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
    const step = `${method} on ${this.chainName}`;
    let response: Response;
    let text: string;
    try {
      ({ response, text } = await withDeadline(timeoutMs, step, async (signal) => {
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
    if (error.code === LIMIT_EXCEEDED)
      throw new ClassifiedError(step, {
        retryable: true,
        kind: "throttled",
        code: String(error.code),
        message: error.message,
      });
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

/** This adapter's classifier: what {@link EvmRpc.attempt} threw, as the retry policy sees it. */
function classifyEvmError(error: unknown): ErrorClassification {
  if (error instanceof ClassifiedError) return error.classification;
  const message = error instanceof Error ? error.message : String(error);
  // A revert, or a response we cannot read: the same request would get the same answer.
  return { retryable: false, kind: error instanceof RevertError ? "rpc" : "unknown", code: "NotRetried", message };
}
