/**
 * What the Kubernetes adapter's failures mean: the API server's `Status` answers as
 * KubeStatusError, and the one classifier that decides, for the retries inside a request and for
 * the activities, which failures are transient.
 */
import { z } from "zod";
import { ClassifiedError, classifyHttpStatus, classifyNetworkError, type ErrorClassification } from "../errors.js";

/** The body of every error answer of the API server (and of the typed client's ApiException). */
export const statusBodySchema = z.object({
  kind: z.literal("Status"),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
});

/** Who gave a non-2xx answer: the API server itself, or a service behind its proxy. */
export type AnswerSource = "apiServer" | "proxiedService";

/** A non-2xx answer, with the API server's `Status` reason (NotFound, AlreadyExists, Conflict…). */
export class KubeStatusError extends Error {
  override name = "KubeStatusError";
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly retryAfterMs?: number,
    readonly source: AnswerSource = "apiServer",
  ) {
    super(message);
  }
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The one classifier for Kubernetes: API server `Status` answers, the typed client's
 * ApiException (`code` + `body`), network errors and timeouts. AlreadyExists is reported as such
 * so that callers that create can treat it as success.
 */
export function classifyKubeError(error: unknown): ErrorClassification {
  if (error instanceof KubeStatusError) {
    // A proxied service's own answer (Besu's readiness saying 503 DOWN) is what was asked for,
    // not a fault of the way there: asking again at once would only hear it again.
    if (error.source === "proxiedService")
      return { ...classifyHttpStatus(error.status, error.reason, error.message), retryable: false };
    if (error.status === 409 && error.reason === "AlreadyExists")
      return { retryable: false, kind: "alreadyExists", code: error.reason, message: error.message };
    // A stale resourceVersion or an apply conflict resolves on a fresh read: try again.
    if (error.status === 409 && error.reason === "Conflict")
      return { retryable: true, kind: "conflict", code: error.reason, message: error.message };
    return classifyHttpStatus(error.status, error.reason, error.message, error.retryAfterMs);
  }
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "number") {
    const status = (error as { code: number }).code;
    const body = (error as { body?: unknown }).body;
    const parsed = statusBodySchema.safeParse(typeof body === "string" ? safeJson(body) : body);
    const reason = parsed.success ? (parsed.data.reason ?? `Http${status}`) : `Http${status}`;
    return classifyKubeError(
      new KubeStatusError(status, reason, parsed.success ? (parsed.data.message ?? reason) : reason),
    );
  }
  return (
    classifyNetworkError(error) ?? {
      retryable: false,
      kind: "unknown",
      code: error instanceof Error ? error.name : "Unknown",
      message: error instanceof Error ? error.message : String(error),
    }
  );
}

/** Whether the API server refused the credentials (a proxied service's 401 is its own business). */
export function refusedCredentials(error: unknown): boolean {
  return error instanceof KubeStatusError && error.status === 401 && error.source === "apiServer";
}

/** Wraps a Kubernetes call so that what it throws carries its classification and step. */
export async function kubeStep<T>(step: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ClassifiedError) throw error;
    throw new ClassifiedError(step, classifyKubeError(error));
  }
}
