/**
 * Shares reads of a key among the requests that want it at about the same time: a read still
 * under way is joined, and a finished one is reused until it is `maxAgeMs` old, counted from when
 * it started, so an answer is never older than that. Once the answer in use is `refreshAfterMs`
 * old, the next request starts a fresh read in the background and is still answered at once:
 * while a key is read often, requests rarely wait for a read at all. Fifty clients polling one
 * rollout's status once a second thus cost about two reads of the task hub a second, not fifty.
 *
 * A read that failed, or found nothing (undefined), is not reused: the next request reads again,
 * so an error is not repeated to everyone and an instance created a moment ago is found at once.
 */
export interface RecentReadsOptions {
  /** How old a reused answer may be, in milliseconds. */
  maxAgeMs: number;
  /** From what age an answer is refreshed in the background; at most maxAgeMs (the default: no refresh ahead). */
  refreshAfterMs?: number;
  /** Milliseconds on any monotonic scale; tests inject their own. */
  now?: () => number;
}

interface Read<V> {
  startedAt: number;
  value: Promise<V | undefined>;
}

/** One key's answer in use (a finished read that found something) and the read under way, if any. */
interface KeyReads<V> {
  answer?: Read<V>;
  pending?: Read<V>;
}

export class RecentReads<V> {
  private readonly keys = new Map<string, KeyReads<V>>();
  private readonly maxAgeMs: number;
  private readonly refreshAfterMs: number;
  private readonly now: () => number;

  constructor(options: RecentReadsOptions) {
    this.maxAgeMs = options.maxAgeMs;
    this.refreshAfterMs = Math.min(options.refreshAfterMs ?? options.maxAgeMs, options.maxAgeMs);
    this.now = options.now ?? (() => performance.now());
  }

  /** The value of `key`: an answer less than `maxAgeMs` old, or the read `load` starts (or started). */
  read(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const now = this.now();
    this.forgetOlderThan(now - this.maxAgeMs);
    const reads = this.keys.get(key) ?? {};
    this.keys.set(key, reads);
    const { answer } = reads;
    if (answer !== undefined && reads.pending === undefined && now - answer.startedAt >= this.refreshAfterMs)
      this.start(reads, load, now);
    if (answer !== undefined) return answer.value;
    return (reads.pending ?? this.start(reads, load, now)).value;
  }

  /** How many keys have an answer in use or a read under way. */
  get size(): number {
    return this.keys.size;
  }

  private start(reads: KeyReads<V>, load: () => Promise<V | undefined>, now: number): Read<V> {
    const read: Read<V> = { startedAt: now, value: load() };
    reads.pending = read;
    read.value.then(
      (value) => {
        if (reads.pending === read) reads.pending = undefined;
        // Found nothing: the instance is gone (or not there yet); an older answer must not outlive that.
        if (value === undefined) reads.answer = undefined;
        else if (reads.answer === undefined || reads.answer.startedAt < read.startedAt) reads.answer = read;
      },
      () => {
        if (reads.pending === read) reads.pending = undefined;
      },
    );
    return read;
  }

  /** Keeps the map as small as the keys read within the last `maxAgeMs`. */
  private forgetOlderThan(cutoff: number): void {
    for (const [key, reads] of this.keys) {
      if (reads.answer !== undefined && reads.answer.startedAt <= cutoff) reads.answer = undefined;
      if (reads.answer === undefined && reads.pending === undefined) this.keys.delete(key);
    }
  }
}
