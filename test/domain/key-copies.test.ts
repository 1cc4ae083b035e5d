/** One live copy per validator key (pure): which validators a rollout must not start, and why. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { refuseLiveCopies, type NodeLiveness } from "../../lib/domain/key-copies.js";
import type { NodePublicIdentity } from "../../lib/domain/genesis.js";
import type { NetworkRecord } from "../../lib/domain/network-record.js";
import { identity } from "./helpers.js";

const regions = ["northeurope", "uksouth", "francecentral", "swedencentral"];
const validators = regions.map((region, index) => identity(index + 1, region, "validator", `20.0.0.${index + 1}`));
const [northeurope, uksouth, francecentral, swedencentral] = validators as [
  NodePublicIdentity,
  NodePublicIdentity,
  NodePublicIdentity,
  NodePublicIdentity,
];

/** The record of the four validators (only `members` matters here). */
const record = { members: validators } as unknown as NetworkRecord;

/** Every validator answers, each peered with the other three. */
const allLive = (): NodeLiveness[] =>
  validators.map((node) => ({
    nodeId: node.nodeId,
    reachable: true,
    peerPublicKeys: validators.filter((other) => other !== node).map((other) => other.publicKey),
  }));

/** Sweden restored with an old copy of the UK validator's key: same node id, the UK's key. */
const restoredSweden: NodePublicIdentity = { ...uksouth, nodeId: swedencentral.nodeId, region: "swedencentral" };

describe("one live copy per validator key", () => {
  it("lets a re-run of a running network start every validator again", () => {
    assert.deepEqual(refuseLiveCopies(validators, record, allLive()), []);
  });

  it("lets a new network start when no two of its validators share a key", () => {
    assert.deepEqual(refuseLiveCopies(validators, undefined, []), []);
  });

  it("refuses a region restored with a copy of a key that is live elsewhere, and only that region", () => {
    const observed = allLive().map((node) =>
      node.nodeId === swedencentral.nodeId ? { ...node, reachable: false, peerPublicKeys: [] } : node,
    );
    const refused = refuseLiveCopies([northeurope, uksouth, francecentral, restoredSweden], record, observed);
    assert.deepEqual(
      refused.map((entry) => [entry.nodeId, entry.address]),
      [[swedencentral.nodeId, uksouth.address]],
    );
    assert.match(refused[0]?.reason ?? "", /is live at uksouth\/validator-1; starting a second copy would equivocate/);
  });

  it("refuses a running node whose key was swapped for one that is live elsewhere (its next restart would run it)", () => {
    const refused = refuseLiveCopies([northeurope, uksouth, francecentral, restoredSweden], record, allLive());
    assert.deepEqual(
      refused.map((entry) => entry.nodeId),
      [swedencentral.nodeId],
    );
  });

  it("refuses a copy the record does not know when a live node is peered with it", () => {
    const stranger = identity(99, "koreasouth", "validator", "20.0.0.99");
    const copy: NodePublicIdentity = { ...stranger, nodeId: "japaneast/validator-1", region: "japaneast" };
    const observed = allLive().map((node) =>
      node.nodeId === northeurope.nodeId
        ? { ...node, peerPublicKeys: [...node.peerPublicKeys, stranger.publicKey] }
        : node,
    );
    const refused = refuseLiveCopies([...validators, copy], record, observed);
    assert.deepEqual(
      refused.map((entry) => entry.nodeId),
      ["japaneast/validator-1"],
    );
    assert.match(refused[0]?.reason ?? "", /peered with northeurope\/validator-1/);
  });

  it("refuses both of two validators of one rollout that would start with one key", () => {
    const twin: NodePublicIdentity = { ...francecentral, nodeId: "japaneast/validator-1", region: "japaneast" };
    const refused = refuseLiveCopies([northeurope, uksouth, francecentral, twin], undefined, []);
    assert.deepEqual(refused.map((entry) => entry.nodeId).sort(), [francecentral.nodeId, "japaneast/validator-1"]);
  });

  it("leaves sentries alone: the rule is about validator keys", () => {
    const sentry = identity(7, "northeurope", "sentry", "20.0.1.1");
    const copy: NodePublicIdentity = { ...sentry, nodeId: "uksouth/sentry-1", region: "uksouth" };
    assert.deepEqual(refuseLiveCopies([sentry, copy], undefined, []), []);
  });
});
