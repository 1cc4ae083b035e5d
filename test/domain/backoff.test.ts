/** The wait before a retry (lib/domain/backoff.ts), shared by the adapters and the orchestrator. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffMs } from "../../lib/domain/backoff.js";

describe("backoffMs", () => {
  const policy = { baseDelayMs: 5_000, maxDelayMs: 60_000, coefficient: 2 };

  it("draws below a bound that grows by the coefficient and stops at the maximum", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((retry) => backoffMs(retry, policy, 0.999999)).map(Math.round),
      [5_000, 10_000, 20_000, 40_000, 60_000, 60_000],
    );
    assert.equal(backoffMs(3, { ...policy, coefficient: 3 }, 0.5), 22_500);
    assert.equal(backoffMs(1, policy, 0), 0, "full jitter: as early as at once");
  });

  it("never waits less than the Retry-After the service asked for", () => {
    assert.equal(backoffMs(1, policy, 0.1, 30_000), 30_000);
    assert.equal(backoffMs(4, policy, 0.9, 1_000), 36_000, "a shorter Retry-After does not shorten the back-off");
  });
});
