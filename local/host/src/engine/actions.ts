/**
 * Turns the actions an orchestrator returned in one episode into history: each action the host
 * has not seen gets the next sequence number and its scheduling event (TaskScheduled,
 * SubOrchestrationInstanceCreated, TimerCreated, EventSent); each one it has seen must match what was
 * recorded, or the orchestrator is non-deterministic.
 */
import {
  ActionType,
  EventType,
  actionInputJson,
  sequenceNumbersTaken,
  type HistoryEvent,
  type SdkAction,
} from "../protocol.js";
import { callScheduledEvent, type RuntimeState, type ScheduledCall } from "./instance-state.js";
import { entityRequestSent, lockReleasesSent, lockRequestSent, schedulerId } from "./entities.js";
import { httpCallScheduled } from "./http-calls.js";
import { beginRetryChain } from "./retries.js";

export interface RecordedActions {
  /** Scheduling events for the new actions, in the SDK's order. */
  scheduled: HistoryEvent[];
  /** Timers the orchestrator cancelled in this episode: they must not fire. */
  canceledTimers: number[];
  /** Why the instance must fail: a replay that diverged, or an action the host cannot run. */
  problem?: string;
}

/** Records the episode's actions into `runtime` (the episode's own copy, committed with it). */
export function recordActions(
  runtime: RuntimeState,
  actions: SdkAction[],
  instanceId: string,
  now: string,
): RecordedActions {
  const recorded: RecordedActions = { scheduled: [], canceledTimers: [] };
  for (let index = 0; index < actions.length; index++) {
    const action = actions[index] as SdkAction;
    const known = runtime.actions[index];
    if (known) {
      if (known.type !== action.actionType || known.name !== action.functionName) {
        recorded.problem = `Non-deterministic orchestrator: action ${index} was ${describeAction(known.type, known.name)} and is now ${describeAction(action.actionType, action.functionName)}.`;
        return recorded;
      }
      if (
        action.actionType === ActionType.CreateTimer &&
        action.isCanceled &&
        !runtime.canceledTimers.includes(known.id)
      ) {
        runtime.canceledTimers.push(known.id);
        recorded.canceledTimers.push(known.id);
      }
      continue;
    }
    const taken = sequenceNumbersTaken(action, runtime.heldLock?.entities.length ?? 0);
    const id = taken > 0 ? runtime.nextSequence : -1;
    runtime.nextSequence += taken;
    runtime.actions.push({ type: action.actionType, id, name: action.functionName });
    recorded.problem = recordNewAction(runtime, action, id, instanceId, now, recorded.scheduled);
    if (recorded.problem) return recorded;
  }
  return recorded;
}

function recordNewAction(
  runtime: RuntimeState,
  action: SdkAction,
  id: number,
  instanceId: string,
  now: string,
  scheduled: HistoryEvent[],
): string | undefined {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry: {
      const call: ScheduledCall = {
        kind: action.actionType <= ActionType.CallActivityWithRetry ? "activity" : "orchestration",
        name: String(action.functionName),
        inputJson: actionInputJson(action),
        instanceId: action.instanceId,
      };
      scheduled.push(callScheduledEvent(call, id, now, instanceId));
      if (action.retryOptions) beginRetryChain(runtime, id, call, action.retryOptions, now);
      return undefined;
    }
    case ActionType.CreateTimer: {
      const fireAt = action.fireAt instanceof Date ? action.fireAt.toISOString() : String(action.fireAt);
      scheduled.push({
        EventType: EventType.TimerCreated,
        EventId: id,
        IsPlayed: false,
        Timestamp: now,
        FireAt: fireAt,
      });
      if (action.isCanceled) runtime.canceledTimers.push(id);
      return undefined;
    }
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
      scheduled.push(entityRequestSent(action, id, now, instanceId));
      return undefined;
    case ActionType.LockEntities:
      runtime.heldLock = {
        id: String(action.lockRequestId),
        entities: (action.lockSet ?? []).map((entity) => schedulerId(entity.name, entity.key)),
      };
      scheduled.push(lockRequestSent(runtime.heldLock, id, now, instanceId));
      return undefined;
    case ActionType.ReleaseEntities:
      // The SDK only releases a lock it holds, so heldLock is set.
      if (runtime.heldLock) scheduled.push(...lockReleasesSent(runtime.heldLock, id, now, instanceId));
      runtime.heldLock = undefined;
      return undefined;
    case ActionType.CallHttp:
      scheduled.push(httpCallScheduled(runtime, action, id, now));
      return undefined;
    case ActionType.WaitForExternalEvent:
    case ActionType.ContinueAsNew:
      return undefined;
    default:
      return `Action type ${action.actionType} is not supported by the local host.`;
  }
}

function describeAction(type: number, name: string | undefined): string {
  return name ? `action type ${type} '${name}'` : `action type ${type}`;
}
