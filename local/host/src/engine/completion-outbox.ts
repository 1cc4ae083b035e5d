/**
 * Completions on their way to inboxes: activity results and timer firings are buffered and
 * written in batches, one table transaction per instance, so a wide fan-out costs few writes and
 * its results reach the orchestrator together. A batch that fails to write is kept and retried.
 */
import type { BackgroundWork } from "./background-work.js";
import type { Delivery } from "./instance-state.js";

export class CompletionOutbox {
  private readonly pending: { instanceId: string; completion: Delivery }[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly work: BackgroundWork,
    private readonly log: (line: string) => void,
    private readonly deliver: (instanceId: string, deliveries: Delivery[]) => Promise<void>,
  ) {}

  post(instanceId: string, completion: Delivery): void {
    this.pending.push({ instanceId, completion });
    this.flush();
  }

  /** Writes everything buffered; what arrives meanwhile goes in the next batch. */
  private flush(): void {
    if (this.flushing || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.pending.length);
    const byInstance = new Map<string, Delivery[]>();
    for (const { instanceId, completion } of batch) {
      const list = byInstance.get(instanceId) ?? [];
      list.push(completion);
      byInstance.set(instanceId, list);
    }
    this.flushing = this.work.track(
      Promise.all([...byInstance].map(([instanceId, deliveries]) => this.deliver(instanceId, deliveries)))
        .then(() => undefined)
        .catch((error: unknown) => {
          this.log(`could not record completions (${String(error)}); retrying`);
          this.pending.unshift(...batch);
        })
        .finally(() => {
          this.flushing = undefined;
          if (this.pending.length > 0) setTimeout(() => this.flush(), 0);
        }),
    );
  }
}
