/**
 * What can happen to an instance from outside: start (replacing a finished instance with the same
 * id), raise an event, terminate, suspend, resume, purge, read its history; and recovery at host
 * start, which makes every unfinished instance live again and tells parents about children that
 * finished while nobody was listening.
 */
import { randomUUID } from "node:crypto";
import { EventType, type HistoryEvent } from "../protocol.js";
import type { InstanceRecord } from "../store.js";
import { notifyParent } from "./children.js";
import type { EngineContext } from "./context.js";
import { isTerminal, newId, newInstanceRecord, type Delivery } from "./instance-state.js";

export class StartConflictError extends Error {}
export class UnknownOrchestratorError extends Error {}

/** Whether a message for an instance was taken, or why not. */
export type Acceptance = "accepted" | "not-found" | "gone";

/** Creates and starts an instance. A terminal instance with the same id is replaced. */
export async function startNew(
  ctx: EngineContext,
  name: string,
  instanceId: string | undefined,
  inputJson: string | undefined,
): Promise<string> {
  const fn = ctx.app.servable.get(name);
  if (!fn || fn.kind !== "orchestration") {
    throw new UnknownOrchestratorError(
      `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
    );
  }
  const record = newInstanceRecord(instanceId ?? newId(), name, inputJson);
  const id = record.instanceId;
  let etag = await ctx.store.createInstance(record);
  if (etag === undefined) {
    const existing = await ctx.store.getInstance(id);
    if (existing && !isTerminal(existing.record.runtimeStatus)) {
      throw new StartConflictError(
        `An instance with ID '${id}' already exists and is ${existing.record.runtimeStatus}.`,
      );
    }
    ctx.instances.drop(id);
    await ctx.store.deleteHistory(id);
    await ctx.store.deleteInbox(
      id,
      (await ctx.store.readInbox(id)).map((message) => message.key),
    );
    etag = await ctx.store.replaceInstance(record, existing?.etag ?? "*");
  }
  ctx.instances.adopt(record, etag, [], new Map());
  return id;
}

export function raiseEvent(
  ctx: EngineContext,
  instanceId: string,
  eventName: string,
  payloadJson: string,
): Promise<Acceptance> {
  return deliverToUnfinished(ctx, instanceId, () => {
    const event: HistoryEvent = {
      EventType: EventType.EventRaised,
      EventId: -1,
      IsPlayed: false,
      Timestamp: new Date().toISOString(),
      Name: eventName,
      Input: payloadJson,
    };
    return {
      key: `event:${Date.now().toString(36).padStart(10, "0")}:${randomUUID()}`,
      message: { kind: "event", event },
    };
  });
}

export function control(
  ctx: EngineContext,
  instanceId: string,
  kind: "terminate" | "suspend" | "resume",
  reason: string,
): Promise<Acceptance> {
  return deliverToUnfinished(ctx, instanceId, () => ({
    key: `${kind}:${Date.now().toString(36)}:${randomUUID()}`,
    message: { kind, reason },
  }));
}

/** The message is made once the instance is known to be unfinished: its time is when it was accepted. */
async function deliverToUnfinished(
  ctx: EngineContext,
  instanceId: string,
  message: () => Delivery,
): Promise<Acceptance> {
  const record = await ctx.instances.currentRecord(instanceId);
  if (!record) return "not-found";
  if (isTerminal(record.runtimeStatus)) return "gone";
  await ctx.instances.deliver(instanceId, [message()]);
  return "accepted";
}

/** Deletes a terminal instance with its history and inbox; false when there is none. */
export async function purge(ctx: EngineContext, instanceId: string): Promise<boolean> {
  const found = await ctx.store.getInstance(instanceId);
  if (!found || !isTerminal(found.record.runtimeStatus)) return false;
  ctx.instances.drop(instanceId);
  await ctx.store.deleteHistory(instanceId);
  await ctx.store.deleteInstance(instanceId);
  return true;
}

export async function getHistory(ctx: EngineContext, instanceId: string): Promise<HistoryEvent[] | undefined> {
  const found = await ctx.store.getInstance(instanceId);
  if (!found) return undefined;
  const history = await ctx.store.readHistory(instanceId, found.record.executionId, found.record.historyLength);
  return history.map((text) => JSON.parse(text) as HistoryEvent);
}

/** Loads every unfinished instance from storage and resumes its work. */
export async function recover(ctx: EngineContext): Promise<void> {
  const unfinished: string[] = [];
  const toNotify: InstanceRecord[] = [];
  for await (const record of ctx.store.listInstances()) {
    if (!isTerminal(record.runtimeStatus)) unfinished.push(record.instanceId);
    else if (!record.parentNotified) toNotify.push(record);
  }
  for (const instanceId of unfinished) await ctx.instances.ensureLive(instanceId);
  for (const record of toNotify) await notifyParent(ctx, record);
}
