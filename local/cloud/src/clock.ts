/**
 * Simulated time. Every modelled duration (cluster creation, pod start, LoadBalancer IP) is given
 * in simulated milliseconds and runs `timeScale` times faster in wall time. Timers are tracked so
 * that closing the cloud frees all of them.
 */
export class SimClock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  /**
   * @param onError receives what a timed action throws: a bug in one simulated component must be
   * logged, not crash the whole simulator.
   */
  constructor(
    readonly timeScale: number,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale))
      throw new Error(`time scale must be a positive number, got ${timeScale}`);
  }

  private run(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.onError(error);
    }
  }

  /** Wall-clock milliseconds for a simulated duration. */
  toWallMs(simulatedMs: number): number {
    return simulatedMs / this.timeScale;
  }

  /** Runs `action` after a simulated duration; returns a cancel function. */
  after(simulatedMs: number, action: () => void): () => void {
    if (this.closed) return () => undefined;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.run(action);
      },
      Math.max(0, this.toWallMs(simulatedMs)),
    );
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Runs `action` every simulated period until cancelled. */
  every(simulatedMs: number, action: () => void): () => void {
    if (this.closed) return () => undefined;
    const timer = setInterval(() => this.run(action), Math.max(1, this.toWallMs(simulatedMs)));
    this.timers.add(timer);
    return () => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
  }

  sleepWall(wallMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, wallMs);
      this.timers.add(timer);
    });
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** A stable number in [0, 1) for a text, so that a region is consistently fast or slow. */
function stableFraction(text: string): number {
  let hash = 2166136261;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0) / 2 ** 32;
}

/**
 * A duration between min and max: half fixed by the region (some regions are slower), half random
 * per operation.
 */
export function jitteredDuration(region: string, minMs: number, maxMs: number): number {
  const fraction = 0.5 * stableFraction(region) + 0.5 * Math.random();
  return Math.round(minMs + (maxMs - minMs) * fraction);
}
