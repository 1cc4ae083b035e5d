/**
 * Durable timers, in memory: one Node timer per TimerCreated event that has neither fired nor
 * been cancelled, keyed by instance and timer id. A timer that comes due hands over a TimerFired
 * completion. What makes them durable is history: they are armed again from it after a restart.
 */
import { EventType, type HistoryEvent } from "../protocol.js";
import type { BackgroundWork } from "./background-work.js";
import type { Delivery } from "./instance-state.js";

/** setTimeout's longest delay (~24.8 days); a later fire time is reached by re-arming. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class DurableTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly work: BackgroundWork,
    private readonly fired: (instanceId: string, completion: Delivery) => void,
  ) {}

  /** Arms a timer unless it is armed already (a restart and an episode may both ask). */
  arm(instanceId: string, timerId: number, fireAtIso: string): void {
    const key = timerKey(instanceId, timerId);
    if (this.timers.has(key) || this.work.stopped) return;
    const fire = (): void => {
      const remaining = Date.parse(fireAtIso) - Date.now();
      if (remaining > 0) {
        this.timers.set(key, setTimeout(fire, Math.min(remaining, MAX_DELAY_MS)));
        return;
      }
      this.timers.delete(key);
      const event: HistoryEvent = {
        EventType: EventType.TimerFired,
        EventId: -1,
        IsPlayed: false,
        Timestamp: new Date().toISOString(),
        TimerId: timerId,
        FireAt: fireAtIso,
      };
      this.fired(instanceId, { key: `timer:${timerId}`, message: { kind: "event", event } });
    };
    this.timers.set(key, setTimeout(fire, Math.max(0, Math.min(Date.parse(fireAtIso) - Date.now(), MAX_DELAY_MS))));
  }

  disarm(instanceId: string, timerId: number): void {
    const key = timerKey(instanceId, timerId);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  /** Disarms every timer of an instance that is finished or no longer live here. */
  disarmAll(instanceId: string): void {
    for (const [key, timer] of this.timers) {
      if (key.startsWith(`${instanceId}|`)) {
        clearTimeout(timer);
        this.timers.delete(key);
      }
    }
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

const timerKey = (instanceId: string, timerId: number): string => `${instanceId}|${timerId}`;
