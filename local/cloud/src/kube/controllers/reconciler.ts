/**
 * When a cluster's controllers run: one pass on the simulated clock's next tick after any change,
 * however many changes came before it (as informers wake a real controller manager), and never
 * again once the cluster is closed.
 */
import type { SimClock } from "../../clock.js";

export class Reconciler {
  private queued = false;
  private closed = false;

  constructor(
    private readonly clock: SimClock,
    private readonly pass: () => void,
  ) {}

  /** Something changed: a pass runs soon. */
  queue(): void {
    if (this.queued || this.closed) return;
    this.queued = true;
    this.clock.after(0, () => {
      this.queued = false;
      if (!this.closed) this.pass();
    });
  }

  close(): void {
    this.closed = true;
  }
}
