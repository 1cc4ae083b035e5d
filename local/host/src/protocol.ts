/**
 * The Durable Functions out-of-process protocol as durable-functions 3.x speaks it: history
 * event and action type numbers, the orchestrator trigger payload, and how the SDK's cumulative
 * action list maps onto task sequence numbers. Kept in one module so that a move to another
 * protocol (durable-functions 4.x, gRPC) is one change.
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  ExecutionSuspended: 20,
  ExecutionResumed: 21,
} as const;

export const EVENT_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
}

/** The SDK's retry options as carried by a *WithRetry action. */
export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** An action as the orchestrator handler returns it (object identity matters: see flattenActions). */
export interface SdkAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  retryOptions?: RetryOptions;
  fireAt?: Date | string;
  isCanceled?: boolean;
  compoundActions?: SdkAction[];
  /** LockEntities: the request id (a deterministic GUID) and the entities, sorted by scheduler id. */
  lockRequestId?: string;
  lockSet?: { name: string; key: string }[];
}

export interface OrchestratorState {
  isDone: boolean;
  actions: SdkAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/**
 * What the Durable extension sends besides history and input (the SDK requires these keys).
 * `upperSchemaVersionNew` 3 is replay schema V4: the SDK then polls callHttp's 202s and splits long
 * timers itself (V3) and lets orchestrations lock entities (V4). SDK releases that know no V4 fall
 * back to the latest schema they know.
 */
export function orchestratorTrigger(
  instanceId: string,
  parentInstanceId: string | undefined,
  historyJson: string,
  inputJson: string,
): string {
  return (
    `{"history":${historyJson},"input":${inputJson},"instanceId":${JSON.stringify(instanceId)},` +
    `"isReplaying":false,"parentInstanceId":${JSON.stringify(parentInstanceId ?? "")},` +
    `"upperSchemaVersion":1,"upperSchemaVersionNew":3,` +
    `"longRunningTimerIntervalDuration":"3.00:00:00","maximumShortTimerDuration":"6.00:00:00",` +
    `"defaultHttpAsyncRequestSleepTimeMillseconds":30000}`
  );
}

/**
 * The SDK re-emits every action since the start on each episode (cumulative), and with replay
 * schema V2 nests the actions of Task.all/Task.any inside compound actions. A task that was
 * yielded on its own and later again inside Task.all appears twice as the same object; it has one
 * sequence number. So: flatten depth-first and keep the first occurrence of each object.
 */
export function flattenActions(state: OrchestratorState): SdkAction[] {
  const seen = new Set<SdkAction>();
  const flat: SdkAction[] = [];
  const visit = (action: SdkAction): void => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      for (const child of action.compoundActions ?? []) visit(child);
      return;
    }
    if (seen.has(action)) return;
    seen.add(action);
    flat.push(action);
  };
  for (const group of state.actions) for (const action of group) visit(action);
  return flat;
}

/**
 * How many sequence numbers the SDK gives the action: none for waiting on an external event, one
 * per locked entity for releasing a lock (one release message each), one for any other.
 */
export function sequenceNumbersTaken(action: SdkAction, lockedEntities: number): number {
  if (action.actionType === ActionType.WaitForExternalEvent) return 0;
  return action.actionType === ActionType.ReleaseEntities ? lockedEntities : 1;
}

/**
 * Activity and continue-as-new inputs that are strings arrive JSON-encoded once more than other
 * inputs (the SDK pre-serialises them); this returns the JSON text of the value the caller passed.
 */
export function actionInputJson(action: SdkAction): string {
  const preEncoded =
    action.actionType === ActionType.CallActivity ||
    action.actionType === ActionType.CallActivityWithRetry ||
    action.actionType === ActionType.ContinueAsNew;
  if (preEncoded && typeof action.input === "string") return action.input;
  return JSON.stringify(action.input ?? null);
}

/** The delay before retry `attempt + 1`, computed host-side as the Durable extension does. */
export function retryDelayMs(options: RetryOptions, failedAttempt: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failedAttempt - 1);
  const cap = options.maxRetryIntervalInMilliseconds;
  return cap !== undefined && cap > 0 ? Math.min(delay, cap) : delay;
}

const OUT_OF_PROC_LABEL = "$OutOfProcData$:";

/** When an orchestrator throws, the SDK rejects with its state serialised after a label. */
export function parseOrchestratorFailure(error: unknown): { message: string; failureDetails?: FailureDetails } {
  const text = error instanceof Error ? error.message : String(error);
  const at = text.indexOf(OUT_OF_PROC_LABEL);
  if (at === -1) return { message: text };
  try {
    const state = JSON.parse(text.slice(at + OUT_OF_PROC_LABEL.length)) as {
      error?: string;
      failureDetails?: { errorType?: string; errorMessage?: string; stackTrace?: string };
    };
    const details = state.failureDetails;
    return {
      message: state.error ?? text,
      failureDetails: details
        ? {
            ErrorType: details.errorType ?? "Error",
            ErrorMessage: details.errorMessage ?? "",
            StackTrace: details.stackTrace,
          }
        : undefined,
    };
  } catch {
    return { message: text };
  }
}

/**
 * The failure fields of TaskFailed, SubOrchestrationInstanceFailed and ExecutionFailed as the
 * Durable extension writes them: durable-functions 3.0 to 3.3 read only `Reason` and `Details`
 * (both strings, or "could not parse its exception data"); later releases prefer `FailureDetails`.
 */
export function failureFields(details: FailureDetails): {
  Reason: string;
  Details: string;
  FailureDetails: FailureDetails;
} {
  return { Reason: details.ErrorMessage, Details: details.StackTrace ?? details.ErrorType, FailureDetails: details };
}

export function failureOf(error: unknown): FailureDetails {
  if (error instanceof Error) {
    return { ErrorType: error.name || "Error", ErrorMessage: error.message, StackTrace: error.stack };
  }
  return { ErrorType: "Error", ErrorMessage: String(error) };
}
