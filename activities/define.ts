/**
 * How an activity is defined: its implementation wrapped with the contract's input validation,
 * its failures turned into data the contract allows — `{ ok: false, kind: "permanent" |
 * "transient", code, message }`, a transient one with `retryAfterMs` when the service asked for a
 * wait — and its span, duration and outcome recorded (activities/telemetry.ts); and how every
 * call's changes to outside systems reach the audit trail ({@link recordingEachCall}).
 */
import type { z } from "zod";
import { ClassifiedError } from "../lib/errors.js";
import { auditReferenceIn, type AuditReference } from "../lib/state/audit.js";
import { recordingChanges } from "../lib/state/change-trail.js";
import type { DocumentStore } from "../lib/state/documents.js";
import type { ActivityContract, ActivityOutcome, PermanentFailure, TransientFailure } from "./contracts.js";
import { activityEnded, activitySubject, inActivitySpan } from "./telemetry.js";

/** Why a rollout document an activity was pointed at cannot be used: retrying will not fix it. */
export class UnusableDocumentError extends Error {}

export function permanent(code: string, message: string): PermanentFailure {
  return { ok: false, kind: "permanent", code, message };
}

function transient(code: string, message: string, retryAfter: { retryAfterMs?: number }): TransientFailure {
  return { ok: false, kind: "transient", code, message, ...retryAfter };
}

/**
 * Wraps an implementation with the contract's validation and the error semantics above.
 * Unclassified errors are programming or data errors that a retry would not fix: permanent.
 */
export function define<I extends z.ZodType, O extends ActivityOutcome>(
  contract: ActivityContract<I, O>,
  implementation: (input: z.output<I>) => Promise<z.input<O>>,
): (input: unknown) => Promise<z.output<O>> {
  return async (raw) => {
    const parsed = contract.input.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`)
        .join("; ");
      return activityEnded(contract.name, activitySubject(raw), {
        seconds: 0,
        output: contract.output.parse(permanent("InvalidInput", `${contract.name}: ${problems}`)),
      });
    }
    // From what was sent: the phase beside the input is not part of the contract's input.
    const subject = activitySubject(raw);
    return inActivitySpan(contract.name, async () => {
      const startedAt = performance.now();
      // The region an input is about names it in messages (`-` when it has none).
      const output = await settle(contract, implementation, parsed.data, subject.region ?? "-");
      return activityEnded(contract.name, subject, { seconds: (performance.now() - startedAt) / 1000, output });
    });
  };
}

/** The implementation's result, or its error as the failure the contract's output allows. */
async function settle<I extends z.ZodType, O extends ActivityOutcome>(
  contract: ActivityContract<I, O>,
  implementation: (input: z.output<I>) => Promise<z.input<O>>,
  input: z.output<I>,
  region: string,
): Promise<z.output<O>> {
  try {
    return contract.output.parse(await implementation(input));
  } catch (error) {
    if (error instanceof UnusableDocumentError)
      return contract.output.parse(permanent("UnusableDocument", `${region}: ${error.message}`));
    if (error instanceof ClassifiedError) {
      const { classification } = error;
      if (classification.retryable) {
        const retryAfter =
          classification.retryAfterMs === undefined ? {} : { retryAfterMs: classification.retryAfterMs };
        return contract.output.parse(
          transient(classification.code, `${contract.name} in ${region}: ${error.message}`, retryAfter),
        );
      }
      return contract.output.parse(permanent(classification.code, `${region}: ${error.message}`));
    }
    return contract.output.parse(
      permanent(
        "InternalError",
        `${contract.name} in ${region}: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }
}

/**
 * Who a call's changes are recorded for when its input carries no audit reference (orchestrators/
 * durable.ts adds it): work an earlier version started.
 */
const UNATTRIBUTED: AuditReference = { by: "unknown" };

/**
 * The handlers, each call recording the changes its adapters noted (lib/state/change-trail.ts)
 * in the audit trail as one batch, attributed to who started the rollout or drift check.
 */
export function recordingEachCall<H extends Record<string, (input: unknown) => Promise<unknown>>>(
  store: DocumentStore,
  handlers: H,
): H {
  const recording = Object.entries(handlers).map(([name, handler]) => [
    name,
    (input: unknown) => recordingChanges(store, auditReferenceIn(input) ?? UNATTRIBUTED, () => handler(input)),
  ]);
  // The same keys, each handler answering what the wrapped one answers.
  return Object.fromEntries(recording) as H;
}
