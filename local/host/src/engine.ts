/**
 * Runs orchestrations and activities on the durable store, replaying every orchestration through
 * the SDK's own orchestrator handler (never a re-implementation of generator replay). This facade
 * builds the parts in `engine/` once and is what the host and the management API call.
 *
 * Crash safety rests on one rule: everything the engine must still do is derivable from what is
 * committed. An episode commits by (1) writing its new history rows, (2) replacing the instance
 * row with its ETag, (3) deleting the inbox messages it consumed. Work it starts afterwards
 * (activities, timers, sub-orchestrations, notifying a parent) is re-derived from history on
 * restart: a scheduled task without a completion in history or inbox runs again (at least once);
 * one whose completion is recorded does not.
 */
import type { LoadedApp } from "./app-loader.js";
import type { FunctionTimeout } from "./function-timeout.js";
import type { HistoryEvent } from "./protocol.js";
import type { TaskHubStore } from "./store-thread.js";
import { ActivityRunner } from "./engine/activities.js";
import { BackgroundWork } from "./engine/background-work.js";
import { CompletionOutbox } from "./engine/completion-outbox.js";
import { EntityRunner, schedulerId, type EntityRequest } from "./engine/entities.js";
import type { EntityStore } from "./entity-store.js";
import type { EngineContext } from "./engine/context.js";
import { runEpisode } from "./engine/episode.js";
import { isTerminal, newId } from "./engine/instance-state.js";
import { control, getHistory, purge, raiseEvent, recover, startNew, type Acceptance } from "./engine/lifecycle.js";
import { LiveInstances } from "./engine/live-instances.js";
import { ReplayTurns } from "./engine/replay-turns.js";
import { resumeOutstandingWork } from "./engine/scheduled-work.js";
import { TerminalWaiters } from "./engine/terminal-waiters.js";
import { DurableTimers } from "./engine/timers.js";

export { StartConflictError, UnknownOrchestratorError } from "./engine/lifecycle.js";

export interface EngineOptions {
  maxConcurrentActivities?: number;
  /** host.json functionTimeout, applied to every activity invocation. */
  functionTimeout?: FunctionTimeout;
  log?: (line: string) => void;
}

export class Engine {
  private readonly ctx: EngineContext;

  constructor(
    app: LoadedApp,
    readonly store: TaskHubStore,
    entityStore: EntityStore,
    options: EngineOptions = {},
  ) {
    const log = options.log ?? (() => undefined);
    const work = new BackgroundWork();
    // Completions reach inboxes through the live instances, which need the timers, which post
    // completions: the one forward reference closes that loop.
    const outbox = new CompletionOutbox(work, log, (instanceId, deliveries) =>
      instances.deliver(instanceId, deliveries),
    );
    const timers = new DurableTimers(work, (instanceId, completion) => outbox.post(instanceId, completion));
    const instances = new LiveInstances(store, work, timers, log, {
      runEpisode: (live) => runEpisode(this.ctx, live),
      resumeWork: (live) => resumeOutstandingWork(this.ctx, live),
    });
    const activities = new ActivityRunner(
      app,
      options.maxConcurrentActivities ?? 200,
      options.functionTimeout,
      log,
      work,
      outbox,
      (instanceId, executionId) => instances.isSuperseded(instanceId, executionId),
    );
    const entities = new EntityRunner(app, entityStore, work, log, (instanceId, deliveries) =>
      instances.deliver(instanceId, deliveries),
    );
    this.ctx = {
      app,
      store,
      log,
      work,
      instances,
      timers,
      activities,
      entities,
      waiters: new TerminalWaiters(),
      replayTurns: new ReplayTurns(),
    };
  }

  /** Creates and starts an instance. A terminal instance with the same id is replaced. */
  startNew(name: string, instanceId: string | undefined, inputJson: string | undefined): Promise<string> {
    return startNew(this.ctx, name, instanceId, inputJson);
  }

  raiseEvent(instanceId: string, eventName: string, payloadJson: string): Promise<Acceptance> {
    return raiseEvent(this.ctx, instanceId, eventName, payloadJson);
  }

  control(instanceId: string, kind: "terminate" | "suspend" | "resume", reason: string): Promise<Acceptance> {
    return control(this.ctx, instanceId, kind, reason);
  }

  /** Deletes a terminal instance with its history and inbox; false when there is none. */
  purge(instanceId: string): Promise<boolean> {
    return purge(this.ctx, instanceId);
  }

  /** A client's signal to an entity; false when the app has no entity function of that name. */
  signalEntity(name: string, key: string, request: Omit<EntityRequest, "id" | "signal">): boolean {
    if (!this.ctx.entities.entityFunction(name)) return false;
    this.ctx.entities.send(schedulerId(name, key), { ...request, id: newId(), signal: true });
    return true;
  }

  readEntityState(name: string, key: string): ReturnType<EntityRunner["readState"]> {
    return this.ctx.entities.readState(name, key);
  }

  getHistory(instanceId: string): Promise<HistoryEvent[] | undefined> {
    return getHistory(this.ctx, instanceId);
  }

  /** Resolves when the instance is terminal (or the timeout passes). */
  waitForTerminal(instanceId: string, timeoutMs: number): Promise<void> {
    return this.ctx.waiters.wait(instanceId, timeoutMs, async () => {
      const record = await this.ctx.instances.currentRecord(instanceId);
      return !record || isTerminal(record.runtimeStatus);
    });
  }

  /** Loads every unfinished instance from storage and resumes its work. */
  recover(): Promise<void> {
    return recover(this.ctx);
  }

  /** Stops scheduling new work and waits for what is running. */
  async stop(): Promise<void> {
    this.ctx.work.stop();
    this.ctx.timers.clear();
    await this.ctx.work.drain();
  }
}
