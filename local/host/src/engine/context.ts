/**
 * The parts of the engine, built once by the Engine facade and handed to the plain functions that
 * run episodes, create child instances and carry out management operations.
 */
import type { LoadedApp } from "../app-loader.js";
import type { TaskHubStore } from "../store-thread.js";
import type { ActivityRunner } from "./activities.js";
import type { BackgroundWork } from "./background-work.js";
import type { EntityRunner } from "./entities.js";
import type { LiveInstances } from "./live-instances.js";
import type { ReplayTurns } from "./replay-turns.js";
import type { TerminalWaiters } from "./terminal-waiters.js";
import type { DurableTimers } from "./timers.js";

export interface EngineContext {
  readonly app: LoadedApp;
  readonly store: TaskHubStore;
  readonly log: (line: string) => void;
  readonly work: BackgroundWork;
  readonly instances: LiveInstances;
  readonly timers: DurableTimers;
  readonly activities: ActivityRunner;
  readonly entities: EntityRunner;
  readonly waiters: TerminalWaiters;
  readonly replayTurns: ReplayTurns;
}
