/**
 * ARM's long-running operations: the records that `Azure-AsyncOperation` and `Location` URLs
 * point at, how long AKS takes for each kind, and the one operation a managed cluster runs at a
 * time together with the timer that completes it. A finished operation goes to the operation log
 * (target `lro`) with its simulated duration.
 */
import { randomUUID } from "node:crypto";
import type { SimClock } from "../clock.js";
import type { OperationLog } from "../oplog.js";
import { ArmError } from "./errors.js";

const minute = 60_000;

/** Simulated durations of AKS operations, in ms (min, max), from the typical times Azure shows. */
export const operationDurations = {
  clusterCreate: [5 * minute, 10 * minute],
  clusterUpdate: [1 * minute, 2 * minute],
  clusterDelete: [4 * minute, 6 * minute],
  poolScale: [2 * minute, 4 * minute],
  poolCreate: [3 * minute, 5 * minute],
  poolDelete: [2 * minute, 4 * minute],
  resourceGroupDelete: [0.5 * minute, 1 * minute],
} as const satisfies Record<string, readonly [number, number]>;

export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

export interface AsyncOperation {
  id: string;
  name: string;
  region: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}

/** What a PUT that starts a long-running operation answers with. */
export interface StartedPut {
  created: boolean;
  resource: Record<string, unknown>;
  operation: AsyncOperation;
}

/** An operation a cluster is running; `endsAt` (wall-clock ms) lets a resource group delete join a cluster delete in flight. */
export interface RunningOperation {
  operation: AsyncOperation;
  endsAt: number;
  cancelTimer: () => void;
}

/** Where a managed cluster keeps the operation it is running: AKS refuses a second one until it ends. */
export interface OperationSlot {
  running?: RunningOperation;
}

/** Fails as AKS does when a cluster is asked to start an operation while another one runs. */
export function requireIdle(slot: OperationSlot, clusterName: string): void {
  const running = slot.running;
  if (running !== undefined) {
    throw new ArmError(
      409,
      "OperationNotAllowed",
      `Operation is not allowed because there's an in progress ${running.operation.name} operation on managed cluster '${clusterName}'. Please wait for it to finish before starting a new operation.`,
    );
  }
}

export class LongRunningOperations {
  private readonly operations = new Map<string, AsyncOperation>();

  constructor(
    private readonly clock: SimClock,
    private readonly operationLog: OperationLog,
  ) {}

  get(id: string): AsyncOperation | undefined {
    return this.operations.get(id);
  }

  start(name: string, region: string): AsyncOperation {
    const operation: AsyncOperation = {
      id: randomUUID(),
      name,
      region,
      status: "InProgress",
      startTime: new Date().toISOString(),
    };
    this.operations.set(operation.id, operation);
    return operation;
  }

  finish(
    operation: AsyncOperation,
    simulatedMs: number,
    status: OperationStatus,
    cluster?: string,
    error?: { code: string; message: string },
  ): void {
    operation.status = status;
    operation.endTime = new Date().toISOString();
    if (error !== undefined) operation.error = error;
    this.operationLog.record({
      time: operation.startTime,
      target: "lro",
      region: operation.region,
      ...(cluster === undefined ? {} : { cluster }),
      operation: operation.name,
      status,
      durationMs: simulatedMs,
      throttled: false,
    });
  }

  /** Puts `operation` in the slot for `simulatedMs`; then frees the slot and runs `complete`. */
  occupy(slot: OperationSlot, operation: AsyncOperation, simulatedMs: number, complete: () => void): void {
    slot.running = {
      operation,
      endsAt: Date.now() + this.clock.toWallMs(simulatedMs),
      cancelTimer: this.clock.after(simulatedMs, () => {
        slot.running = undefined;
        complete();
      }),
    };
  }

  /** Simulated ms until the slot's operation completes. */
  remainingMs(running: RunningOperation): number {
    return Math.max(0, (running.endsAt - Date.now()) * this.clock.timeScale);
  }

  /** Stops whatever the slot runs (a delete does so, as in AKS); an operation still in progress ends Canceled. */
  cancel(slot: OperationSlot, cluster: string): void {
    const running = slot.running;
    slot.running = undefined;
    if (running === undefined) return;
    running.cancelTimer();
    if (running.operation.status === "InProgress") this.finish(running.operation, 0, "Canceled", cluster);
  }
}
