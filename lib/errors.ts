/**
 * Retry semantics shared by every adapter: each adapter has ONE classifier that turns what its
 * client throws into an {@link ErrorClassification}; activities then throw transient faults (the
 * orchestrator retries them) and return permanent ones as results.
 */

/** What a failure means for the caller. */
export interface ErrorClassification {
  /** True for faults that may pass on their own: throttling, 5xx, timeouts, resets. */
  retryable: boolean;
  /** Coarse category for reports and metrics. */
  kind:
    | "throttled"
    | "unavailable"
    | "network"
    | "timeout"
    | "quota"
    | "invalid"
    | "unauthorized"
    | "forbidden"
    | "notFound"
    | "conflict"
    | "alreadyExists"
    | "rpc"
    | "unknown";
  /** The service's own code when it gave one (e.g. QuotaExceeded, AlreadyExists, -32601). */
  code: string;
  /** The service's message; never carries a secret (adapters never put one into requests' errors). */
  message: string;
  /** How long the service asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number;
}

/** An adapter failure that already carries its classification and the step it happened in. */
export class ClassifiedError extends Error {
  constructor(
    readonly step: string,
    readonly classification: ErrorClassification,
  ) {
    super(`${step}: ${classification.code}: ${classification.message}`);
    this.name = "ClassifiedError";
  }
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "REQUEST_SEND_ERROR",
]);
const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // fetch (undici) wraps the socket error in `cause`.
  return errorCodeOf((error as { cause?: unknown }).cause);
}

/** Socket-level failures (reset, refused, timeout) are transient whatever the client. */
export function classifyNetworkError(error: unknown): ErrorClassification | undefined {
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { retryable: true, kind: "timeout", code, message };
  if (code !== undefined && NETWORK_CODES.has(code)) return { retryable: true, kind: "network", code, message };
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    return { retryable: true, kind: "timeout", code: error.name, message };
  return undefined;
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Classification by HTTP status alone, for services whose code does not say more. */
export function classifyHttpStatus(
  status: number,
  code: string,
  message: string,
  retryAfterMs?: number,
): ErrorClassification {
  const retryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429) return { retryable: true, kind: "throttled", code, message, ...retryAfter };
  if (status === 408) return { retryable: true, kind: "timeout", code, message, ...retryAfter };
  if (status >= 500) return { retryable: true, kind: "unavailable", code, message, ...retryAfter };
  if (status === 401) return { retryable: false, kind: "unauthorized", code, message };
  if (status === 403) return { retryable: false, kind: "forbidden", code, message };
  if (status === 404) return { retryable: false, kind: "notFound", code, message };
  if (status === 409) return { retryable: false, kind: "conflict", code, message };
  if (status >= 400) return { retryable: false, kind: "invalid", code, message };
  return { retryable: true, kind: "unknown", code, message };
}

/**
 * Whether a failure of an idempotent write means the desired state already holds: creating
 * what already exists, or deleting what is already gone.
 */
export function countsAsSuccess(classification: ErrorClassification, intent: "create" | "delete"): boolean {
  return intent === "create" ? classification.kind === "alreadyExists" : classification.kind === "notFound";
}
