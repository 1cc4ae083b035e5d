/**
 * Orchestrator replays take turns with the rest of the host: at most one replay starts per turn
 * of the event loop. A replay is one long synchronous stretch (the whole history parsed and the
 * generator run through it, up to hundreds of events for a rollout), and the instances a wave of
 * completions wakes are all scheduled at once; run back to back, a request arriving meanwhile
 * (a status poll, the management API) would wait for all of them. The Functions host sends the
 * worker one invocation at a time over its gRPC stream and the worker answers HTTP triggers in
 * between, so a request waits for at most the replay that is running, as it does here.
 */
export class ReplayTurns {
  private readonly waiting: (() => void)[] = [];
  private granting = false;

  /** Resolves on this replay's turn; the caller runs its synchronous part at once when it does. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.granting) this.grantNext();
    });
  }

  /**
   * One turn in the check phase; the next is queued from inside it, which Node runs only in the
   * loop's next iteration, after the poll phase has taken in whatever I/O arrived.
   */
  private grantNext(): void {
    this.granting = true;
    setImmediate(() => {
      const turn = this.waiting.shift();
      if (turn === undefined) {
        this.granting = false;
        return;
      }
      turn();
      this.grantNext();
    });
  }
}
