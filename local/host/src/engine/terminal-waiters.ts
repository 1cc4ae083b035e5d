/**
 * Callers waiting for an instance to finish (the management API's `?timeout=` start, for one):
 * each wait ends when the instance finishes here, when it turns out to be finished already, or
 * when its timeout passes, whichever comes first.
 */
export class TerminalWaiters {
  private readonly waiters = new Map<string, (() => void)[]>();

  wait(instanceId: string, timeoutMs: number, alreadyTerminal: () => Promise<boolean>): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      const list = this.waiters.get(instanceId) ?? [];
      list.push(done);
      this.waiters.set(instanceId, list);
      void alreadyTerminal().then((terminal) => {
        if (terminal) done();
      });
    });
  }

  /** The instance has finished: ends every wait on it. */
  release(instanceId: string): void {
    for (const done of this.waiters.get(instanceId) ?? []) done();
    this.waiters.delete(instanceId);
  }
}
