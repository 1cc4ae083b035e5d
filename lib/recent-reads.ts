/**
 * Shares one read of a key among the requests that want it at about the same time: a read still
 * under way is joined, and a finished one is reused until it is `maxAgeMs` old (counted from when
 * it started, so an answer is never older than that). Fifty clients polling one rollout's status
 * once a second thus cost about one read of the task hub a second instead of fifty.
 *
 * A read that failed, or found nothing (undefined), is not reused: the next request reads again,
 * so an error is not repeated to everyone and an instance created a moment ago is found at once.
 */
export interface RecentReadsOptions {
  /** How old a reused answer may be, in milliseconds. */
  maxAgeMs: number;
  /** Milliseconds on any monotonic scale; tests inject their own. */
  now?: () => number;
}

interface Read<V> {
  startedAt: number;
  value: Promise<V | undefined>;
}

export class RecentReads<V> {
  private readonly reads = new Map<string, Read<V>>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: RecentReadsOptions) {
    this.maxAgeMs = options.maxAgeMs;
    this.now = options.now ?? (() => performance.now());
  }

  /** The value of `key`: a read started less than `maxAgeMs` ago, or a new one by `load`. */
  read(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const now = this.now();
    this.forgetOlderThan(now - this.maxAgeMs);
    const recent = this.reads.get(key);
    if (recent !== undefined) return recent.value;
    const read: Read<V> = { startedAt: now, value: load() };
    this.reads.set(key, read);
    const forget = (): void => {
      if (this.reads.get(key) === read) this.reads.delete(key);
    };
    read.value.then((value) => (value === undefined ? forget() : undefined), forget);
    return read.value;
  }

  /** How many reads are kept (under way or reusable). */
  get size(): number {
    return this.reads.size;
  }

  /** Keeps the map as small as the keys read within the last `maxAgeMs`. */
  private forgetOlderThan(cutoff: number): void {
    for (const [key, read] of this.reads) if (read.startedAt <= cutoff) this.reads.delete(key);
  }
}
