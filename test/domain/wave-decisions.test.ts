/**
 * The pure decisions of a wave (lib/domain/changes/): whether a pod must restart (its
 * StatefulSet's update revision against the pod's), and whether a restarted node rejoined (sync,
 * head past the wave's start, peered with enough validators, proposing again), with the first
 * unmet condition as the reason.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rejoinVerdict, type RejoinAnswers, type RejoinCriteria } from "../../lib/domain/changes/rejoin.js";
import { restartDecision } from "../../lib/domain/changes/restart.js";

const key = (seed: number): string => `0x${seed.toString(16).padStart(128, "0")}`;
const VALIDATORS = [1, 2, 3, 4].map(key);
const SEALER = `0x${"ab".repeat(20)}`;

describe("restartDecision", () => {
  const observed = { generation: 3, observedGeneration: 3, updateRevision: "rev-3" };

  it("restarts a pod of an older revision than the StatefulSet's", () => {
    assert.equal(restartDecision(observed, { revision: "rev-2" }), "restart");
    assert.equal(restartDecision(observed, {}), "restart", "a pod without a revision label is not current");
  });

  it("leaves a current pod, and a missing one (the controller creates it from the new template)", () => {
    assert.equal(restartDecision(observed, { revision: "rev-3" }), "current");
    assert.equal(restartDecision(observed, undefined), "current");
  });

  it("waits while the controller has not observed the newest template", () => {
    assert.equal(restartDecision({ ...observed, observedGeneration: 2 }, { revision: "rev-2" }), "notObserved");
    assert.equal(restartDecision({ generation: 1 }, { revision: "rev-1" }), "notObserved", "no update revision yet");
  });
});

describe("rejoinVerdict", () => {
  const validator: RejoinCriteria = {
    validatorPublicKeys: VALIDATORS,
    minValidatorPeers: 2,
    sinceBlock: 100,
    sealer: SEALER,
  };
  const back: RejoinAnswers = {
    syncing: false,
    head: 105,
    peers: { publicKeys: [VALIDATORS[1], VALIDATORS[2], key(99)] as string[] },
    lastProposedBlock: 104,
  };

  it("counts a validator back once it is synced, past the wave's start, peered and proposing", () => {
    assert.deepEqual(rejoinVerdict(back, validator), { rejoined: true, head: 105 });
  });

  it("names the first condition not met", () => {
    const cases: [Partial<RejoinAnswers>, string][] = [
      [{ syncing: true, head: 90 }, "syncing at block 90"],
      [{ head: 100 }, "head 100 not past block 100 yet"],
      [{ peers: { publicKeys: [VALIDATORS[1] as string, key(99), key(98)] } }, "peered with 1 validators, needs 2"],
      [{ lastProposedBlock: 100 }, "has not proposed a block since block 100"],
      [{ lastProposedBlock: 0 }, "has not proposed a block since block 100"],
    ];
    for (const [change, reason] of cases)
      assert.deepEqual(rejoinVerdict({ ...back, ...change }, validator), { rejoined: false, reason });
  });

  it("counts any peer for a sentry, which cannot say who its peers are, and asks no proposals of it", () => {
    const sentry: RejoinCriteria = {
      validatorPublicKeys: VALIDATORS,
      minValidatorPeers: 1,
      anyPeers: true,
      sinceBlock: 100,
    };
    assert.deepEqual(rejoinVerdict({ syncing: false, head: 101, peers: { count: 1 } }, sentry), {
      rejoined: true,
      head: 101,
    });
    assert.deepEqual(rejoinVerdict({ syncing: false, head: 101, peers: { count: 0 } }, sentry), {
      rejoined: false,
      reason: "peered with 0 nodes, needs 1",
    });
  });
});
