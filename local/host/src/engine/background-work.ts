/**
 * The engine's fire-and-forget work (episodes, activity runs, inbox writes, child creation):
 * tracked so that stopping can wait for all of it, and with the one flag that tells every part to
 * start nothing new once the host is stopping.
 */
export class BackgroundWork {
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  get stopped(): boolean {
    return this.stopping;
  }

  track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  /** From now on no part starts new work. */
  stop(): void {
    this.stopping = true;
  }

  /** Resolves when nothing tracked is running, including work started by work that was. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
