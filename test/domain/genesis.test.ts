import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildGenesis,
  decideGenesis,
  nodePublicIdentitySchema,
  staticNodesList,
  validatorPolicyProblem,
} from "../../lib/domain/genesis.js";
import { decodeQbftExtraData, encodeQbftExtraData, parseQbftGenesis, QBFT_MIX_HASH } from "@besu-fleet/qbft";
import { identity, validSpec } from "./helpers.js";

const regions = ["northeurope", "uksouth", "ukwest", "francecentral", "japaneast"];
const validators = regions.map((region, index) => identity(index + 1, region, "validator", `20.0.0.${index + 1}`));
const sentries = regions.map((region, index) => identity(index + 101, region, "sentry", `20.0.1.${index + 1}`));
const network = validSpec({
  network: { name: "chain138", alloc: { ["0x" + "AB".repeat(20)]: { balance: "0xde0b6b3a7640000" } } },
}).network;

describe("genesis", () => {
  it("builds a QBFT genesis for chain 138 that Besu's reader accepts", () => {
    const genesis = buildGenesis(
      network,
      validators.map((node) => node.address),
    );
    assert.equal(genesis.config.chainId, 138);
    assert.deepEqual(genesis.config.qbft, { blockperiodseconds: 2, epochlength: 30000, requesttimeoutseconds: 4 });
    assert.equal(genesis.difficulty, "0x1");
    assert.equal(genesis.mixHash, QBFT_MIX_HASH);
    assert.equal(genesis.gasLimit, "0x1fffffffffffff");
    assert.deepEqual(genesis.alloc, { ["0x" + "ab".repeat(20)]: { balance: "0xde0b6b3a7640000" } });
    assert.ok(genesis.extraData.endsWith("c080c0"), "round 0 as an empty scalar, no vote, no seals");
    const parsed = parseQbftGenesis(JSON.stringify(genesis));
    assert.equal(parsed.chainId, 138n);
    assert.equal(parsed.blockPeriodSeconds, 2);
    assert.deepEqual(parsed.validators, validators.map((node) => node.address).sort());
    assert.equal(parsed.accounts[0].balance, 10n ** 18n);
  });

  it("orders validators ascending so that arrival order does not change the genesis", () => {
    const forward = buildGenesis(
      network,
      validators.map((node) => node.address),
    );
    const backward = buildGenesis(
      network,
      validators.map((node) => node.address.toUpperCase().replace("0X", "0x")).reverse(),
    );
    assert.deepEqual(forward, backward);
    const sorted = [...validators.map((node) => node.address)].sort();
    assert.equal(forward.extraData, encodeQbftExtraData(sorted));
    assert.deepEqual(decodeQbftExtraData(forward.extraData).validators, sorted);
  });

  it("refuses malformed or repeated validator addresses", () => {
    assert.throws(() => buildGenesis(network, ["0x1234"]), /not a 20-byte hex address/);
    assert.throws(() => buildGenesis(network, [validators[0].address, validators[0].address]), /appears twice/);
  });

  it("carries the spec's QBFT parameters and chain id", () => {
    const custom = validSpec({
      network: {
        name: "other",
        chainId: 1337,
        qbft: { blockperiodseconds: 5, epochlength: 100, requesttimeoutseconds: 10 },
      },
    }).network;
    const genesis = buildGenesis(
      custom,
      validators.map((node) => node.address),
    );
    assert.equal(genesis.config.chainId, 1337);
    assert.deepEqual(genesis.config.qbft, { blockperiodseconds: 5, epochlength: 100, requesttimeoutseconds: 10 });
  });
});

describe("static nodes", () => {
  it("lists every validator's enode, sorted by node id, and no sentry", () => {
    const list = staticNodesList([...sentries, ...[...validators].reverse()]);
    assert.equal(list.length, validators.length);
    const byNodeId = [...validators].sort((left, right) => left.nodeId.localeCompare(right.nodeId));
    assert.deepEqual(
      list,
      byNodeId.map((node) => `enode://${node.publicKey.slice(2)}@${node.p2pHost}:30303`),
    );
  });
});

describe("genesis fan-in", () => {
  it("builds genesis, hash and static nodes from the nodes that made it", () => {
    const decision = decideGenesis(network, 4, [...validators, ...sentries]);
    assert.ok(decision.ok);
    assert.equal(decision.validators.length, 5);
    assert.equal(decision.genesisHash, parseQbftGenesis(decision.genesisJson).hash);
    assert.match(decision.genesisHash, /^0x[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(decision.genesisJson), decision.genesis);
    assert.deepEqual(JSON.parse(decision.staticNodesJson), decision.staticNodes);
    const again = decideGenesis(network, 4, [...sentries, ...validators].reverse());
    assert.ok(again.ok);
    assert.equal(again.genesisHash, decision.genesisHash, "same validators, same genesis");
  });

  it("stops with a clear reason when fewer validators than the minimum made it; sentries do not count", () => {
    const decision = decideGenesis(network, 4, [...validators.slice(0, 3), ...sentries]);
    assert.deepEqual(decision, {
      ok: false,
      kind: "permanent",
      reason:
        "only 3 validators made it through provisioning, fewer than rollout.minValidators (4); with 3 validators QBFT would need 2 of them online and tolerate 0 faulty; stopping before genesis",
    });
    assert.equal(
      validatorPolicyProblem(0, 4),
      "only 0 validators made it through provisioning, fewer than rollout.minValidators (4); stopping before genesis",
    );
    assert.equal(validatorPolicyProblem(16, 16), undefined);
  });

  it("rejects identities that are not public-identity shaped", () => {
    assert.equal(nodePublicIdentitySchema.safeParse({ ...validators[0], publicKey: "0x04" }).success, false);
    assert.equal(
      nodePublicIdentitySchema.safeParse({ ...validators[0], privateKey: "0x01" }).success,
      true,
      "unknown keys are stripped, not kept",
    );
    assert.equal("privateKey" in nodePublicIdentitySchema.parse({ ...validators[0], privateKey: "0x01" }), false);
  });
});
