/** A network's health from a drift check's two samples, and the summary its index keeps per check. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildDriftReport, indexWithReport } from "../../lib/domain/drift/report.js";
import { networkHealth, type HealthInput } from "../../lib/domain/network-health.js";
import type { ObservedNode } from "../../lib/domain/verification.js";

const regions = ["northeurope", "uksouth", "francecentral", "swedencentral"];
const key = (n: number): string => `0x${String(n).repeat(128).slice(0, 128)}`;
const validators = [1, 2, 3, 4].map((n) => `0x0${n}`.padEnd(42, "0"));
const T0 = "2026-12-04T10:00:00.000Z";
const T1 = "2026-12-04T10:00:10.000Z";

/** Region `index`'s validator at `head`, read at `at`, peered with every other validator. */
const validator = (index: number, head: number, at: string, change: Partial<ObservedNode> = {}): ObservedNode => ({
  nodeId: `${regions[index]}/validator-1`,
  region: regions[index] as string,
  role: "validator",
  publicKey: key(index + 1),
  reachable: true,
  blockNumber: head,
  blockNumberAt: at,
  peerPublicKeys: [1, 2, 3, 4].filter((n) => n !== index + 1).map(key),
  ready: true,
  ...change,
});

const input = (second: ObservedNode[]): HealthInput => ({
  validators,
  validatorPublicKeys: [1, 2, 3, 4].map(key),
  planned: regions.flatMap((region) => [
    { region, id: `${region}/validator-1`, role: "validator" as const },
    { region, id: `${region}/sentry-1`, role: "sentry" as const },
  ]),
  first: [0, 1, 2, 3].map((i) => validator(i, 100, T0)),
  second,
});

describe("network health", () => {
  test("a healthy network: its height, block time, every validator up, quorum and f of four", () => {
    const health = networkHealth(input([0, 1, 2, 3].map((i) => validator(i, i === 0 ? 104 : 105, T1))));
    assert.equal(health.height, 105);
    // Five blocks in ten seconds on the median node.
    assert.equal(health.blockSeconds, 2);
    assert.deepEqual(
      { up: health.validatorsUp, of: health.validators, quorum: health.quorum, f: health.faultTolerance },
      { up: 4, of: 4, quorum: 3, f: 1 },
    );
    assert.equal(health.peersNeeded, 2);
    assert.deepEqual(health.regions[0], {
      region: "northeurope",
      height: 104,
      nodes: 2,
      nodesUp: 1,
      validators: 1,
      validatorsUp: 1,
      minValidatorPeers: 3,
    });
  });

  test("a region that did not answer counts as down; a stalled chain has no block time", () => {
    const second = [
      validator(0, 100, T1, { peerPublicKeys: [key(2)] }),
      validator(1, 100, T1),
      validator(2, 100, T1, { reachable: false, blockNumber: undefined }),
    ];
    const health = networkHealth(input(second));
    assert.equal(health.blockSeconds, undefined);
    assert.equal(health.validatorsUp, 2);
    assert.ok(health.validatorsUp < health.quorum, "two of four is below the quorum of three");
    assert.equal(health.regions[0]?.minValidatorPeers, 1);
    const [, , unreachable, unobserved] = health.regions;
    assert.deepEqual(
      [unreachable?.validatorsUp, unreachable?.height, unobserved?.nodesUp, unobserved?.minValidatorPeers],
      [0, undefined, 0, undefined],
    );
  });

  test("a report keeps the whole health; its index entry keeps it without the regions", () => {
    const health = networkHealth(input([0, 1, 2, 3].map((i) => validator(i, 105, T1))));
    const report = buildDriftReport({
      network: "chain138",
      trigger: "timer",
      startedAt: T0,
      finishedAt: T1,
      observed: [],
      unknown: [],
      actions: [],
      ignore: [],
      health,
    });
    assert.deepEqual(report.health, health);
    const [entry] = indexWithReport(undefined, report, 5).index.reports;
    assert.deepEqual(entry?.health, {
      height: 105,
      blockSeconds: 2,
      validators: 4,
      validatorsUp: 4,
      quorum: 3,
      faultTolerance: 1,
      peersNeeded: 2,
    });
  });
});
