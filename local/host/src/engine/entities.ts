/**
 * Durable entities, as the extension runs them for durable-functions 3.x: every operation sent to
 * an entity (a client's signal, an orchestration's signalEntity or callEntity, an entity's own
 * signal) joins that entity's queue; operations run one at a time, each as a batch of one through
 * the app's entity function (trigger `{self, exists, state, batch}`, result `{entityExists,
 * entityState, results, signals}`); the state is stored after each operation, and a call's result
 * goes back to the calling orchestration as the EventRaised named by the request id, which the SDK
 * pairs with the EventSent that carried the request.
 *
 * Locks (`context.df.lock`, replay schema V4) as the extension's entity scheduler grants them: the
 * lock request goes to the first entity of the SDK's sorted lock set; an entity that is free
 * locks itself for the orchestration and forwards the request to the next, and the last one
 * answers with the EventRaised named by the request id. Acquiring in one global order means two
 * orchestrations never wait on each other. While an entity is locked it runs only the holder's
 * calls; every other message (signals, other orchestrations' calls and lock requests) waits, in
 * arrival order, until the holder's release (one EventSent named `release` per entity), which
 * the host also sends when the orchestration ends holding the lock, however it ends.
 */
import { randomUUID } from "node:crypto";
import type { LoadedApp, ServableFunction } from "../app-loader.js";
import type { EntityStore } from "../entity-store.js";
import { invokeFunction } from "../invoke.js";
import { EventType, type HistoryEvent, type SdkAction } from "../protocol.js";
import type { BackgroundWork } from "./background-work.js";
import type { Delivery, HeldLock } from "./instance-state.js";

/** The SDK's RequestMessage as the extension puts it in EventSent.Input. */
export interface EntityRequest {
  id: string;
  op: string;
  signal: boolean;
  /** The operation input as JSON text (the entity's getInput parses it). */
  input?: string;
  /** The calling orchestration, which gets the response (calls and lock requests). */
  parent?: string;
  /** A lock request: the entities to lock, in acquisition order, and the position reached. */
  lockset?: string[];
  pos?: number;
}

/** The extension's release message, EventSent.Input of an event named `release`. */
export interface LockRelease {
  parent: string;
  /** The lock request id. */
  id: string;
}

/** What waits in an entity's queue. */
type EntityMessage =
  { kind: "request"; request: EntityRequest; reacquire?: boolean } | { kind: "release"; release: LockRelease };

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

/** The request that asks for `lock` for orchestration `instanceId`, at its first entity. */
const lockRequest = (lock: HeldLock, instanceId: string): EntityRequest => ({
  id: lock.id,
  op: "",
  signal: false,
  parent: instanceId,
  lockset: lock.entities,
  pos: 0,
});

/** The EventSent that sends lock request `lock` (sequence number `id`) to its first entity. */
export function lockRequestSent(lock: HeldLock, id: number, now: string, instanceId: string): HistoryEvent {
  return {
    EventType: EventType.EventSent,
    EventId: id,
    IsPlayed: false,
    Timestamp: now,
    InstanceId: lock.entities[0],
    Name: "op",
    Input: JSON.stringify(lockRequest(lock, instanceId)),
  };
}

/** The release messages of `lock`, one per entity, numbered from `firstId` as the SDK counts them. */
export function lockReleasesSent(lock: HeldLock, firstId: number, now: string, instanceId: string): HistoryEvent[] {
  const release: LockRelease = { parent: instanceId, id: lock.id };
  return lock.entities.map((entity, index) => ({
    EventType: EventType.EventSent,
    EventId: firstId + index,
    IsPlayed: false,
    Timestamp: now,
    InstanceId: entity,
    Name: "release",
    Input: JSON.stringify(release),
  }));
}

/** The result the extension puts, as plain text, in a lock grant (the SDK ignores it and returns the lock). */
const LOCK_ACQUIRED = "Lock Acquisition Completed";

const describe = (message: EntityMessage): string =>
  message.kind === "release"
    ? "lock release"
    : message.request.lockset
      ? "lock request"
      : `operation ${message.request.op}`;

export class EntityRunner {
  /** The tail of each entity's queue: messages to one entity never overlap. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Locked entities: the holder's instance id and lock request id. */
  private readonly locks = new Map<string, LockRelease>();
  /** Messages that arrived while an entity was locked by someone else, in arrival order. */
  private readonly waiting = new Map<string, EntityMessage[]>();
  /** Lock requests on their way from entity to entity: neither granted nor dropped yet. */
  private readonly travelling = new Set<string>();
  /**
   * Travelling lock requests whose orchestration ended: the entity the request reaches next
   * must not lock itself for an orchestration that will never release it.
   */
  private readonly abandoned = new Set<string>();

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
    if (request.lockset) this.travelling.add(request.id);
    this.enqueue(entityId, { kind: "request", request });
  }

  /** Sends what an orchestration's EventSent carries: an operation, a lock request or a release. */
  sendRecorded(event: HistoryEvent): void {
    const entityId = String(event.InstanceId);
    const input = JSON.parse(String(event.Input)) as EntityRequest | LockRelease;
    if (event.Name === "release") this.enqueue(entityId, { kind: "release", release: input as LockRelease });
    else this.send(entityId, input as EntityRequest);
  }

  /**
   * After a restart (locks live in memory): takes again, in order, the lock an orchestration had
   * been granted, without granting it twice.
   */
  reacquire(instanceId: string, lock: HeldLock): void {
    this.travelling.add(lock.id);
    this.enqueue(lock.entities[0] as string, {
      kind: "request",
      request: lockRequest(lock, instanceId),
      reacquire: true,
    });
  }

  /** Releases the lock of an orchestration that ended holding it or waiting for it. */
  releaseOnEnd(instanceId: string, lock: HeldLock): void {
    if (this.travelling.has(lock.id)) this.abandoned.add(lock.id);
    for (const entityId of lock.entities)
      this.enqueue(entityId, { kind: "release", release: { parent: instanceId, id: lock.id } });
  }

  private enqueue(entityId: string, message: EntityMessage): void {
    const previous = this.queues.get(entityId) ?? Promise.resolve();
    const next = previous
      .then(() => this.handle(entityId, message))
      .catch((error: unknown) => this.log(`entity ${entityId} ${describe(message)} failed: ${String(error)}`));
    this.queues.set(entityId, next);
    void this.work.track(next).finally(() => {
      if (this.queues.get(entityId) === next) this.queues.delete(entityId);
    });
  }

  readState(name: string, key: string): ReturnType<EntityStore["get"]> {
    return this.states.get(name.toLowerCase(), key);
  }

  private async handle(entityId: string, message: EntityMessage): Promise<void> {
    const lock = this.locks.get(entityId);
    if (message.kind === "release") {
      if (lock?.id !== message.release.id) return; // a release that arrived before its lock request
      this.locks.delete(entityId);
      const waiting = this.waiting.get(entityId) ?? [];
      this.waiting.delete(entityId);
      for (const next of waiting) await this.handle(entityId, next);
      return;
    }
    const { request } = message;
    if (lock && !(request.parent === lock.parent && !request.lockset)) {
      this.waiting.set(entityId, [...(this.waiting.get(entityId) ?? []), message]);
      return;
    }
    if (request.lockset) await this.lock(entityId, request, message.reacquire === true);
    else await this.run(entityId, request);
  }

  /** This entity locks itself for the request's orchestration and passes the request on. */
  private async lock(entityId: string, request: EntityRequest, reacquire: boolean): Promise<void> {
    const lockset = request.lockset ?? [];
    if (this.abandoned.delete(request.id) || !request.parent) {
      this.travelling.delete(request.id);
      return;
    }
    this.locks.set(entityId, { parent: request.parent, id: request.id });
    const pos = (request.pos ?? 0) + 1;
    if (pos < lockset.length) {
      this.enqueue(lockset[pos] as string, { kind: "request", request: { ...request, pos }, reacquire });
      return;
    }
    this.travelling.delete(request.id);
    if (!reacquire) await this.respond(request, { isError: false, result: LOCK_ACQUIRED });
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
