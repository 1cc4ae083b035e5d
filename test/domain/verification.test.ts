/** Network verification from node observations (pure). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  unansweredNodes,
  unreachableThroughout,
  verifyNetwork,
  withResample,
  type ObservedNode,
  type VerificationInput,
} from "../../lib/domain/verification.js";

const validators = ["0x01", "0x02", "0x03", "0x04"].map((a) => a.padEnd(42, "0"));
const key = (n: number): string => `0x${String(n).repeat(128).slice(0, 128)}`;
const regions = ["northeurope", "uksouth", "francecentral", "swedencentral"];

function node(index: number, head: number, change: Partial<ObservedNode> = {}): ObservedNode {
  return {
    nodeId: `${regions[index]}/validator-1`,
    region: regions[index] as string,
    role: "validator",
    publicKey: key(index + 1),
    reachable: true,
    chainId: "0x8a",
    genesisHash: "0xgenesis",
    blockNumber: head,
    syncing: false,
    peerPublicKeys: [1, 2, 3, 4].filter((n) => n !== index + 1).map(key),
    validatorsLatest: validators,
    validatorsPending: validators,
    ready: true,
    ...change,
  };
}

function input(second: ObservedNode[]): VerificationInput {
  return {
    at: "2026-01-01T00:00:00.000Z",
    chainIdHex: "0x8a",
    genesisHash: "0xgenesis",
    validators,
    validatorPublicKeys: [1, 2, 3, 4].map(key),
    first: [0, 1, 2, 3].map((i) => node(i, 10)),
    second,
    maxHeadSpread: 3,
  };
}

const failed = (result: ReturnType<typeof verifyNetwork>): string[] =>
  result.network.filter((check) => !check.ok).map((check) => check.check);

describe("verifyNetwork", () => {
  test("peering counts the network's validators, also those this rollout does not observe (a retried region joining a formed network)", () => {
    const joined = { ...input([node(0, 14)]), first: [node(0, 10)] };
    assert.deepEqual(failed(verifyNetwork(joined)), []);
    const isolated = { ...joined, second: [node(0, 14, { peerPublicKeys: [key(2)] })] };
    assert.deepEqual(failed(verifyNetwork(isolated)), ["validator-peering"]);
  });

  test("a healthy network passes every check, network-wide and per region", () => {
    const result = verifyNetwork(input([0, 1, 2, 3].map((i) => node(i, 14))));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.regions.length, 4);
  });
  test("a stalled chain fails heads-advancing", () => {
    assert.deepEqual(failed(verifyNetwork(input([0, 1, 2, 3].map((i) => node(i, 10))))), ["heads-advancing"]);
  });
  test("a node on another genesis, behind, or with a wrong validator set is named", () => {
    const result = verifyNetwork(
      input([
        node(0, 14),
        node(1, 14),
        node(2, 5, { genesisHash: "0xother" }),
        node(3, 14, { validatorsPending: validators.slice(0, 3) }),
      ]),
    );
    assert.deepEqual(failed(result), ["genesis-hash", "heads-advancing", "heads-close", "validator-set"]);
    assert.match(
      result.network.find((check) => check.check === "genesis-hash")?.detail ?? "",
      /francecentral\/validator-1/,
    );
    assert.equal(
      result.regions.find((region) => region.region === "northeurope")?.checks.every((check) => check.ok),
      true,
      "the healthy regions pass their own checks",
    );
  });
  test("heads read seconds apart on a fast chain are compared at one moment", () => {
    const at = (seconds: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();
    const first = [0, 1, 2, 3].map((i) => node(i, 100 + 10 * i, { blockNumberAt: at(i) }));
    // 10 blocks a second: each node was read one second after the previous one.
    const second = [0, 1, 2, 3].map((i) => node(i, 200 + 10 * i, { blockNumberAt: at(10 + i) }));
    const skewed = verifyNetwork({ ...input(second), first });
    assert.deepEqual(failed(skewed), [], JSON.stringify(skewed.network));
    const lagging = verifyNetwork({
      ...input([...second.slice(0, 3), node(3, 205, { blockNumberAt: at(13) })]),
      first,
    });
    assert.deepEqual(failed(lagging), ["heads-close"], "a node 25 blocks behind the projection is still behind");
  });

  test("validators peered only with sentries fail validator-peering; unreachable nodes are reported", () => {
    const result = verifyNetwork(
      input([
        node(0, 14, { peerPublicKeys: [key(9)] }),
        node(1, 14),
        node(2, 14),
        node(3, 14, { reachable: false, error: "connection refused" }),
      ]),
    );
    assert.deepEqual(failed(result), ["reachable", "validator-peering"]);
    assert.match(result.network[0]?.detail ?? "", /swedencentral\/validator-1 \(connection refused\)/);
  });
});

describe("asking silent nodes again", () => {
  const silent = (index: number, head: number): ObservedNode =>
    node(index, head, { reachable: false, error: "503 (fake)" });
  const everyone = (head: number): ObservedNode[] => [0, 1, 2, 3].map((i) => node(i, head));

  test("a node that missed either sample is asked again; the others are not", () => {
    const samples = {
      first: [silent(0, 10), ...everyone(10).slice(1)],
      second: [node(0, 12), silent(1, 12), ...everyone(12).slice(2)],
    };
    assert.deepEqual(unansweredNodes(samples), [node(0, 0).nodeId, node(1, 0).nodeId]);
    assert.deepEqual(unansweredNodes({ first: everyone(10), second: everyone(12) }), []);
  });

  test("a resample replaces only the nodes that answered both of its samples, and then the checks pass", () => {
    const samples = {
      first: [silent(0, 10), ...everyone(10).slice(1)],
      second: [node(0, 12), silent(1, 12), ...everyone(12).slice(2)],
    };
    const resample = { first: [node(0, 11), silent(1, 11)], second: [node(0, 12), node(1, 12)] };
    const merged = withResample(samples, resample);
    assert.deepEqual(unansweredNodes(merged), [node(1, 0).nodeId], "node 1 missed the resample's first sample");
    assert.equal(merged.first[0]?.blockNumber, 11);
    const fixed = withResample(merged, { first: [node(1, 11)], second: [node(1, 12)] });
    assert.deepEqual(unansweredNodes(fixed), []);
    assert.deepEqual(failed(verifyNetwork({ ...input(fixed.second as ObservedNode[]), first: fixed.first })), []);
  });

  test("a node silent for the whole window fails 'reachable' saying so, and no check calls it wrong", () => {
    const samples = {
      first: [silent(0, 10), ...everyone(10).slice(1)],
      second: [node(0, 12), ...everyone(12).slice(1)],
    };
    const judged = unreachableThroughout(samples, [node(0, 0).nodeId], { seconds: 60, tries: 7 });
    const result = verifyNetwork({ ...input(judged.second as ObservedNode[]), first: judged.first });
    assert.deepEqual(failed(result), ["reachable"]);
    const detail = result.network.find((check) => check.check === "reachable")?.detail ?? "";
    assert.match(detail, /no answer throughout the 60 s verification window \(7 tries; last: no answer\)/);
  });
});
