/**
 * host.json `functionTimeout`, applied as the Functions host applies it: an invocation still
 * running when the timeout passes fails with the host's own message ("Timeout value of 00:05:00
 * was exceeded by function: Functions.<name>"), so the orchestrator of a timed-out activity sees a
 * failed task, and a timed-out HTTP function answers 500. The app setting
 * `AzureFunctionsJobHost__functionTimeout` overrides host.json, as it overrides any host.json value
 * in Azure. Without either the limit is 30 minutes, the default of the Premium and Dedicated
 * plans; `-1` means none.
 *
 * NOTE: Node cannot stop a call in flight, so the host abandons it and drops whatever it returns
 * later, where Azure restarts the language worker: side effects of an abandoned call may still
 * happen after the timeout.
 */
import { formatTimeSpan, parseTimeSpanMs } from "./time-span.js";

/** The app setting that overrides host.json `functionTimeout`. */
export const FUNCTION_TIMEOUT_SETTING = "AzureFunctionsJobHost__functionTimeout";
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

/** The limit of one invocation (`undefined` where a timeout is expected means none). */
export interface FunctionTimeout {
  ms: number;
}

/** The app's timeout from its host.json value and settings; throws for a value Azure would refuse at start. */
export function resolveFunctionTimeout(
  hostJsonValue: unknown,
  settings: Readonly<Record<string, string | undefined>>,
): FunctionTimeout | undefined {
  const raw = settings[FUNCTION_TIMEOUT_SETTING] ?? hostJsonValue;
  if (raw === undefined || raw === null) return { ms: DEFAULT_TIMEOUT_MS };
  const text = String(raw).trim();
  if (text === "-1") return undefined;
  const ms = parseTimeSpanMs(text);
  if (ms === undefined || ms <= 0)
    throw new Error(`functionTimeout '${text}' must be a positive TimeSpan such as 00:10:00, or -1 for none.`);
  return { ms };
}

export class FunctionTimeoutError extends Error {
  // The host's exception type, which is what an orchestrator reads as the failure's ErrorType.
  override name = "FunctionTimeoutException";

  constructor(timeout: FunctionTimeout, functionName: string) {
    super(`Timeout value of ${formatTimeSpan(timeout.ms)} was exceeded by function: Functions.${functionName}`);
  }
}

/** What `call` settles to, or a {@link FunctionTimeoutError} once the timeout passes first. */
export async function withFunctionTimeout<T>(
  timeout: FunctionTimeout | undefined,
  functionName: string,
  call: Promise<T>,
): Promise<T> {
  if (timeout === undefined) return call;
  // An abandoned call that fails later must not become an unhandled rejection.
  call.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(timeout, functionName)), timeout.ms);
  });
  try {
    return await Promise.race([call, expired]);
  } finally {
    clearTimeout(timer);
  }
}
