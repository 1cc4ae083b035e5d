/** The network record and validator admission (pure): genesis reuse, joining validators, vote tallies. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { admissionProblem, assessAdmissionRound } from "../../lib/domain/admission.js";
import {
  decideMembership,
  networkRecordSchema,
  validatorPublicKeys,
  withAdmittedValidators,
  type NetworkRecord,
} from "../../lib/domain/network-record.js";
import { parseQbftGenesis } from "@besu-fleet/qbft";
import { identity, validSpec } from "./helpers.js";

const regions = ["northeurope", "uksouth", "ukwest", "francecentral", "japaneast", "koreasouth"];
const validators = regions.map((region, index) => identity(index + 1, region, "validator", `20.0.0.${index + 1}`));
const sentry = identity(101, "northeurope", "sentry", "20.0.1.1");
const network = validSpec({ network: { name: "chain138" } }).network;

/** The record of a network formed by the first four validators and the sentry. */
function formed(): NetworkRecord {
  const decision = decideMembership({
    rolloutId: "rollout-chain138-1",
    network,
    minValidators: 4,
    identities: [...validators.slice(0, 4), sentry],
    record: undefined,
  });
  assert.ok(decision.ok, JSON.stringify(decision));
  return networkRecordSchema.parse(decision.record);
}

describe("network record", () => {
  it("the first rollout forms the network: a genesis of its validators, nobody joining, recorded without secrets", () => {
    const record = formed();
    assert.deepEqual(
      record.genesisValidators,
      validators
        .slice(0, 4)
        .map((node) => node.address)
        .sort(),
    );
    assert.deepEqual(record.validators, record.genesisValidators);
    assert.equal(parseQbftGenesis(record.genesisJson).hash, record.genesisHash);
    assert.equal(record.members.length, 5);
    assert.equal(record.formedBy, "rollout-chain138-1");
    assert.doesNotMatch(JSON.stringify(record), /nodekey|privateKey|BEGIN/i);
  });

  it("the validator policy still applies before a network formed", () => {
    const decision = decideMembership({
      rolloutId: "r",
      network,
      minValidators: 4,
      identities: validators.slice(0, 3),
      record: undefined,
    });
    assert.equal(decision.ok, false);
    assert.match(decision.ok ? "" : decision.reason, /only 3 validators/);
  });

  it("a later rollout keeps the genesis; its validators outside the set join, and static nodes list every validator", () => {
    const record = formed();
    const decision = decideMembership({
      rolloutId: "rollout-chain138-2",
      network,
      minValidators: 4,
      identities: validators.slice(3),
      record,
    });
    assert.ok(decision.ok, JSON.stringify(decision));
    assert.equal(decision.genesisJson, record.genesisJson);
    assert.equal(decision.genesisHash, record.genesisHash);
    assert.deepEqual(
      decision.joining.map((node) => node.nodeId),
      ["japaneast/validator-1", "koreasouth/validator-1"],
      "francecentral is in the set already",
    );
    assert.equal(JSON.parse(decision.staticNodesJson).length, 6);
    assert.equal(decision.p2pHosts["koreasouth/validator-1"], "20.0.0.6");
    assert.equal(decision.record.updatedBy, "rollout-chain138-2");
    assert.deepEqual(
      decision.record.validators,
      record.validators,
      "joining validators are not in the set until voted in",
    );
  });

  it("a spec whose network section no longer produces the recorded genesis is refused, naming why", () => {
    const changed = { ...network, qbft: { ...network.qbft, blockperiodseconds: network.qbft.blockperiodseconds + 1 } };
    const decision = decideMembership({
      rolloutId: "r2",
      network: changed,
      minValidators: 4,
      identities: validators,
      record: formed(),
    });
    assert.equal(decision.ok, false);
    assert.match(decision.ok ? "" : decision.reason, /genesis cannot change/);
  });

  it("admitted validators join the recorded set; their public keys count for peering", () => {
    const record = withAdmittedValidators(formed(), [validators[5]?.address ?? ""], "r2");
    assert.equal(record.validators.length, 5);
    assert.ok(record.validators.includes(validators[5]?.address ?? ""));
    // koreasouth is not a member of this record: only members' keys can be returned.
    assert.equal(validatorPublicKeys(record, record.validators).length, 4);
  });
});

describe("admission rounds", () => {
  const before = validators
    .slice(0, 4)
    .map((node) => node.address)
    .sort();
  const joining = [validators[4]?.address ?? "", validators[5]?.address ?? ""];

  it("a joining validator counts as admitted once any voter's latest block has it (QBFT blocks are final)", () => {
    const round = assessAdmissionRound({
      validatorsBefore: before,
      joining,
      reports: [
        { nodeId: "a", ok: true, validators: before },
        { nodeId: "b", ok: true, validators: [...before, joining[0] ?? ""] },
        { nodeId: "c", ok: false, error: "connection refused" },
      ],
    });
    assert.deepEqual(round.admitted, [joining[0]]);
    assert.deepEqual(round.pending, [joining[1]]);
    assert.equal(round.votesNeeded, 3, "more than half of 5");
    assert.equal(round.votesPlaced, 2);
    assert.match(
      admissionProblem(round, 30),
      /after 30 minutes .* still not in the validator set: only 2 of 5 validators took the vote \(3 needed\); could not vote: c \(connection refused\)/,
    );
  });

  it("with enough votes placed, the problem says the chain has not added it", () => {
    const round = assessAdmissionRound({
      validatorsBefore: before,
      joining,
      reports: before.map((address) => ({ nodeId: address, ok: true, validators: before })),
    });
    assert.deepEqual(round.admitted, []);
    assert.match(admissionProblem(round, 5), /4 validators proposed it, but the chain has not added it/);
  });
});
