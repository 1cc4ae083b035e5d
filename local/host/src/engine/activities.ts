/**
 * Runs scheduled activities through the app's own programming model, at most a given number at a
 * time, and posts each outcome (TaskCompleted or TaskFailed) as a completion. A result for an
 * execution that has since continued as new or been replaced is dropped. An activity that runs past
 * host.json's functionTimeout fails (function-timeout.ts). CallHttp tasks run as the built-in
 * HTTP activity (http-calls.ts).
 */
import type { LoadedApp } from "../app-loader.js";
import type { FunctionTimeout } from "../function-timeout.js";
import { invokeFunction, jsonData } from "../invoke.js";
import { EventType, failureFields, failureOf, type FailureDetails, type HistoryEvent } from "../protocol.js";
import type { BackgroundWork } from "./background-work.js";
import type { CompletionOutbox } from "./completion-outbox.js";
import { callHttp, HTTP_ACTIVITY } from "./http-calls.js";

export class ActivityRunner {
  private readonly queue: (() => Promise<void>)[] = [];
  private running = 0;

  constructor(
    private readonly app: LoadedApp,
    private readonly maxConcurrent: number,
    private readonly timeout: FunctionTimeout | undefined,
    private readonly log: (line: string) => void,
    private readonly work: BackgroundWork,
    private readonly outbox: CompletionOutbox,
    /** True when the instance is live here with another execution than the one that scheduled the task. */
    private readonly isSuperseded: (instanceId: string, executionId: string) => boolean,
  ) {}

  enqueue(instanceId: string, executionId: string, taskId: number, name: string, inputJson: string): void {
    this.queue.push(() => this.run(instanceId, executionId, taskId, name, inputJson));
    this.pump();
  }

  private pump(): void {
    while (!this.work.stopped && this.running < this.maxConcurrent && this.queue.length > 0) {
      const run = this.queue.shift() as () => Promise<void>;
      this.running++;
      this.work
        .track(run())
        .finally(() => {
          this.running--;
          this.pump();
        })
        .catch(() => undefined);
    }
  }

  private async run(
    instanceId: string,
    executionId: string,
    taskId: number,
    name: string,
    inputJson: string,
  ): Promise<void> {
    const event = await this.outcome(taskId, name, inputJson);
    if (this.work.stopped || this.isSuperseded(instanceId, executionId)) return;
    this.outbox.post(instanceId, { key: `task:${taskId}`, message: { kind: "event", event } });
  }

  private async outcome(taskId: number, name: string, inputJson: string): Promise<HistoryEvent> {
    if (name === HTTP_ACTIVITY) {
      return callHttp(inputJson).then(
        (response) => taskCompleted(taskId, response),
        (error: unknown) => taskFailed(taskId, failureOf(error)),
      );
    }
    const fn = this.app.servable.get(name);
    if (!fn || fn.kind !== "activity") {
      return taskFailed(taskId, {
        ErrorType: "Error",
        ErrorMessage: `The activity function '${name}' doesn't exist, is disabled, or is not an activity function.`,
      });
    }
    try {
      const invocation = await invokeFunction(this.app.registry, fn, jsonData(JSON.parse(inputJson)), {
        timeout: this.timeout,
        log: this.log,
      });
      return taskCompleted(taskId, invocation.result);
    } catch (error) {
      return taskFailed(taskId, failureOf(error));
    }
  }
}

function taskCompleted(taskId: number, result: unknown): HistoryEvent {
  return {
    EventType: EventType.TaskCompleted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: new Date().toISOString(),
    TaskScheduledId: taskId,
    Result: JSON.stringify(result ?? null),
  };
}

function taskFailed(taskId: number, details: FailureDetails): HistoryEvent {
  return {
    EventType: EventType.TaskFailed,
    EventId: -1,
    IsPlayed: false,
    Timestamp: new Date().toISOString(),
    TaskScheduledId: taskId,
    ...failureFields(details),
  };
}
