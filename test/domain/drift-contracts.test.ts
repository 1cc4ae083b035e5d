/** Drift of the contracts and the CCIP lane (pure): code hashes, ensure-steps, balances, and what could not be read. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  contractsDrift,
  type ContractsExpectation,
  type ContractsObservation,
} from "../../lib/domain/drift/contracts.js";
import { problemsOf, validSpec } from "./helpers.js";

const ROUTER = "0x00000000000000000000000000000000000000aa";
const HASH = `0x${"11".repeat(32)}`;
const OTHER_HASH = `0x${"22".repeat(32)}`;

const expected: ContractsExpectation = {
  chain: "mainnet",
  contracts: [{ name: "router", address: ROUTER, codeHash: HASH }],
  steps: [{ name: "ramps", check: { function: "isChainSupported(uint64) view returns (bool)" }, desired: "true" }],
  topUps: [{ name: "pingPongLink", asset: "${mainnet.link}", target: "5000" }],
  minimumBalances: {},
};

const inSync: ContractsObservation = {
  code: new Map([["router", { codeHash: HASH }]]),
  checks: new Map([["ramps", { holds: true, actual: "true" }]]),
  balances: new Map([["pingPongLink", { balance: "5000" }]]),
};

describe("contracts drift", () => {
  test("everything as recorded, holding and funded: no finding, nothing unknown", () => {
    assert.deepEqual(contractsDrift(expected, inSync), { observed: [], unknown: [] });
  });

  test("code replaced or gone at a recorded address is a critical finding naming the contract", () => {
    for (const [codeHash, actual] of [
      [OTHER_HASH, OTHER_HASH],
      [null, `(no code at ${ROUTER})`],
    ] as const) {
      const result = contractsDrift(expected, { ...inSync, code: new Map([["router", { codeHash }]]) });
      assert.deepEqual(result.observed, [
        {
          kind: "contracts",
          region: "mainnet",
          resource: "contract/router",
          field: "codeHash",
          desired: HASH,
          actual,
          severity: "critical",
        },
      ]);
      assert.deepEqual(result.unknown, []);
    }
  });

  test("the code hash is compared without regard to letter case", () => {
    const result = contractsDrift(expected, {
      ...inSync,
      code: new Map([["router", { codeHash: HASH.toUpperCase() }]]),
    });
    assert.deepEqual(result.observed, []);
  });

  test("an ensure-step that no longer holds is a finding with what its view call returned", () => {
    const result = contractsDrift(expected, {
      ...inSync,
      checks: new Map([["ramps", { holds: false, actual: "false" }]]),
    });
    assert.deepEqual(result.observed, [
      {
        kind: "contracts",
        region: "mainnet",
        resource: "ccip/ramps",
        field: "isChainSupported(uint64) view returns (bool)",
        desired: "true",
        actual: "false",
        severity: "warning",
      },
    ]);
  });

  test("a balance below its target is a finding; a minimum balance from the spec lowers the bar", () => {
    const drained = { ...inSync, balances: new Map([["pingPongLink", { balance: "4999" }]]) };
    const [finding] = contractsDrift(expected, drained).observed;
    assert.deepEqual(
      { resource: finding?.resource, field: finding?.field, desired: finding?.desired, actual: finding?.actual },
      { resource: "balance/pingPongLink", field: "balance", desired: ">= 5000 (${mainnet.link})", actual: "4999" },
    );
    const tolerant = { ...expected, minimumBalances: { pingPongLink: "1000" } };
    assert.deepEqual(contractsDrift(tolerant, drained).observed, []);
    const belowMinimum = { ...inSync, balances: new Map([["pingPongLink", { balance: "999" }]]) };
    assert.equal(contractsDrift(tolerant, belowMinimum).observed[0]?.desired, ">= 1000 (${mainnet.link})");
  });

  test("a failed or missing observation is unknown with its reason, never in sync", () => {
    const result = contractsDrift(expected, {
      code: new Map([["router", { failed: "ECONNREFUSED" }]]),
      checks: new Map(),
      balances: new Map([["pingPongLink", { failed: "Http503" }]]),
    });
    assert.deepEqual(result.observed, []);
    assert.deepEqual(
      result.unknown.map((entry) => [entry.kind, entry.region, entry.resource]),
      [
        ["contracts", "mainnet", "contract/router"],
        ["contracts", "mainnet", "ccip/ramps"],
        ["contracts", "mainnet", "balance/pingPongLink"],
      ],
    );
    assert.match(result.unknown[0]?.reason ?? "", /code at 0x0+aa could not be read: ECONNREFUSED/);
    assert.match(result.unknown[1]?.reason ?? "", /not observed/);
  });
});

describe("drift.minimumBalances in the spec", () => {
  const funding = {
    topUps: [
      { name: "operatorGas", chain: "chain138", account: "0x00000000000000000000000000000000000c0138", target: "10" },
    ],
    caps: [{ chain: "chain138", asset: "native", max: "10" }],
  };
  const chains = { chain138: { chainSelector: "7777777777777777777" }, mainnet: {} };

  test("defaults to none and accepts thresholds for named top-ups", () => {
    assert.deepEqual(validSpec().drift.minimumBalances, {});
    const spec = validSpec({ chains, funding, drift: { minimumBalances: { operatorGas: "5" } } });
    assert.deepEqual(spec.drift.minimumBalances, { operatorGas: "5" });
  });

  test("rejects a threshold for a top-up that does not exist, and one that is not a whole number, by path", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      chains,
      funding,
      drift: { minimumBalances: { operatorGs: "5" } },
    });
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ["drift.minimumBalances.operatorGs"],
    );
    assert.match(problems[0]?.message ?? "", /names no top-up of funding.topUps \(operatorGas\)/);
    const notWhole = problemsOf({ network: { name: "chain138" }, drift: { minimumBalances: { operatorGas: "1.5" } } });
    assert.deepEqual(
      notWhole.map((problem) => problem.path),
      ["drift.minimumBalances.operatorGas"],
    );
  });
});
