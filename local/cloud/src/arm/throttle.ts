/**
 * ARM's subscription throttling as a token bucket per subscription and kind of request (reads,
 * writes, deletes), in wall time: the limit is on the rate at which clients send requests, which
 * the time scale does not change.
 */
export type RequestClass = "reads" | "writes" | "deletes";

export interface BucketSize {
  size: number;
  refillPerSecond: number;
}

/** Azure's published sizes (2024 throttling model). */
export const defaultBucketSizes: Readonly<Record<RequestClass, BucketSize>> = {
  reads: { size: 250, refillPerSecond: 25 },
  writes: { size: 200, refillPerSecond: 10 },
  deletes: { size: 200, refillPerSecond: 10 },
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type ThrottleDecision =
  { allowed: true; remaining: number } | { allowed: false; remaining: 0; retryAfterSeconds: number };

export class SubscriptionThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private sizes: Record<RequestClass, BucketSize> = { ...defaultBucketSizes };

  /** Changes bucket sizes (scenario or control API); current buckets restart full. */
  configure(sizes: Partial<Record<RequestClass, BucketSize>>): void {
    this.sizes = { ...defaultBucketSizes, ...sizes };
    this.buckets.clear();
  }

  currentSizes(): Readonly<Record<RequestClass, BucketSize>> {
    return this.sizes;
  }

  take(subscriptionId: string, requestClass: RequestClass, now = Date.now()): ThrottleDecision {
    const { size, refillPerSecond } = this.sizes[requestClass];
    const key = `${subscriptionId.toLowerCase()}/${requestClass}`;
    const bucket = this.buckets.get(key) ?? { tokens: size, updatedAt: now };
    bucket.tokens = Math.min(size, bucket.tokens + ((now - bucket.updatedAt) / 1000) * refillPerSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerSecond));
    return { allowed: false, remaining: 0, retryAfterSeconds };
  }
}
