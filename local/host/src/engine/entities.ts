/**
 * Durable entities, as the extension runs them for durable-functions 3.x: every operation sent to
 * an entity (a client's signal, an orchestration's signalEntity or callEntity, an entity's own
 * signal) joins that entity's queue; operations run one at a time, each as a batch of one through
 * the app's entity function (trigger `{self, exists, state, batch}`, result `{entityExists,
 * entityState, results, signals}`); the state is stored after each operation, and a call's result
 * goes back to the calling orchestration as the EventRaised named by the request id, which the SDK
 * pairs with the EventSent that carried the request.
 */
import { randomUUID } from "node:crypto";
import type { LoadedApp, ServableFunction } from "../app-loader.js";
import type { EntityStore } from "../entity-store.js";
import { invokeFunction } from "../invoke.js";
import { EventType, type HistoryEvent, type SdkAction } from "../protocol.js";
import type { BackgroundWork } from "./background-work.js";
import type { Delivery } from "./instance-state.js";

/** The SDK's RequestMessage as the extension puts it in EventSent.Input. */
export interface EntityRequest {
  id: string;
  op: string;
  signal: boolean;
  /** The operation input as JSON text (the entity's getInput parses it). */
  input?: string;
  /** The calling orchestration, which gets the response (calls only). */
  parent?: string;
}

/** What the SDK's entity handler returns for a batch. */
interface EntityBatchResult {
  entityExists: boolean;
  entityState?: string;
  results: ({ isError: boolean; result?: string } | undefined)[];
  signals: { target: { name: string; key: string }; name: string; input?: string }[];
}

/** An entity's scheduler id, `@<name lower case>@<key>`, as the SDK and the extension spell it. */
export const schedulerId = (name: string, key: string): string => `@${name.toLowerCase()}@${key}`;

/** The inbox key of the answer to the entity call with request id `id`. */
export const entityAnswerKey = (id: string): string => `entity:${id}`;

export function parseSchedulerId(id: string): { name: string; key: string } | undefined {
  const at = id.indexOf("@", 1);
  if (!id.startsWith("@") || at === -1) return undefined;
  return { name: id.slice(1, at), key: id.slice(at + 1) };
}

/** The EventSent that records an orchestration's callEntity or signalEntity (sequence number `id`). */
export function entityRequestSent(action: SdkAction, id: number, now: string, instanceId: string): HistoryEvent {
  const { operation } = action as SdkAction & { operation: string };
  const signal = action.actionType === 9; // SignalEntity
  const request: EntityRequest = {
    id: randomUUID(),
    op: operation,
    signal,
    ...(action.input !== undefined && { input: JSON.stringify(action.input) }),
    ...(!signal && { parent: instanceId }),
  };
  return {
    EventType: EventType.EventSent,
    EventId: id,
    IsPlayed: false,
    Timestamp: now,
    InstanceId: action.instanceId,
    Name: "op",
    Input: JSON.stringify(request),
  };
}

export class EntityRunner {
  /** The tail of each entity's queue: operations on one entity never overlap. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly app: LoadedApp,
    private readonly states: EntityStore,
    private readonly work: BackgroundWork,
    private readonly log: (line: string) => void,
    private readonly deliver: (instanceId: string, deliveries: Delivery[]) => Promise<void>,
  ) {}

  /** The entity function serving `name` (entity names are case-insensitive). */
  entityFunction(name: string): ServableFunction | undefined {
    return [...this.app.servable.values()].find(
      (fn) => fn.kind === "entity" && fn.metadata.name.toLowerCase() === name.toLowerCase(),
    );
  }

  send(entityId: string, request: EntityRequest): void {
    const previous = this.queues.get(entityId) ?? Promise.resolve();
    const next = previous
      .then(() => this.run(entityId, request))
      .catch((error: unknown) => this.log(`entity ${entityId} operation ${request.op} failed: ${String(error)}`));
    this.queues.set(entityId, next);
    void this.work.track(next).finally(() => {
      if (this.queues.get(entityId) === next) this.queues.delete(entityId);
    });
  }

  readState(name: string, key: string): ReturnType<EntityStore["get"]> {
    return this.states.get(name.toLowerCase(), key);
  }

  private async run(entityId: string, request: EntityRequest): Promise<void> {
    if (this.work.stopped) return;
    const target = parseSchedulerId(entityId);
    const fn = target && this.entityFunction(target.name);
    if (!target || !fn) {
      await this.respond(request, { isError: true, result: JSON.stringify(`No entity function for ${entityId}.`) });
      return;
    }
    const current = await this.states.get(target.name, target.key);
    const trigger = {
      self: { name: target.name, key: target.key },
      exists: current.exists,
      state: current.state,
      batch: [{ id: request.id, name: request.op, signal: request.signal, input: request.input }],
    };
    const invocation = await invokeFunction(
      this.app.registry,
      fn,
      { json: JSON.stringify(trigger) },
      { log: this.log },
    );
    const outcome = invocation.result as EntityBatchResult;
    await this.states.put(target.name, target.key, { exists: outcome.entityExists, state: outcome.entityState });
    for (const signal of outcome.signals)
      this.send(schedulerId(signal.target.name, signal.target.key), {
        id: randomUUID(),
        op: signal.name,
        signal: true,
        ...(signal.input ? { input: signal.input } : {}),
      });
    await this.respond(request, outcome.results[0] ?? { isError: false });
  }

  /** Sends a call's result to its orchestration (the SDK's ResponseMessage); signals get none. */
  private async respond(request: EntityRequest, result: { isError: boolean; result?: string }): Promise<void> {
    if (request.signal || !request.parent) return;
    const response = result.isError
      ? { result: result.result ?? JSON.stringify("entity operation failed"), exceptionType: "Error" }
      : { ...(result.result !== undefined && { result: result.result }) };
    const event: HistoryEvent = {
      EventType: EventType.EventRaised,
      EventId: -1,
      IsPlayed: false,
      Timestamp: new Date().toISOString(),
      Name: request.id,
      Input: JSON.stringify(response),
    };
    await this.deliver(request.parent, [{ key: entityAnswerKey(request.id), message: { kind: "event", event } }]);
  }
}
