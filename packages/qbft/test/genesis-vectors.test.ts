/**
 * The genesis block hash and state root against values computed outside this project
 * (test/vectors/, each file naming its source): Besu's own genesis tests and JSON-RPC answers, the
 * public Sepolia genesis, and this project's QBFT genesis as an independent implementation computes
 * it. Then the parts of Besu's reading that no vector varies on its own.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { genesisStateRoot, parseQbftGenesis, toHex } from "../src/index.js";
import { readGenesis } from "../src/genesis.js";
import { loadGenesisVectors } from "./vectors.js";

const vectors = loadGenesisVectors();

describe("genesis vectors from real clients", () => {
  for (const vector of vectors) {
    it(vector.name, () => {
      const block = readGenesis(JSON.stringify(vector.genesis));
      const from = `expected from ${vector.source.expected}`;
      if (vector.expected.hash !== undefined) assert.equal(block.hash, vector.expected.hash, from);
      if (vector.expected.stateRoot !== undefined) {
        assert.equal(block.stateRoot, vector.expected.stateRoot, from);
        assert.equal(toHex(genesisStateRoot(block.accounts)), vector.expected.stateRoot, from);
      }
    });
  }

  it("parseQbftGenesis gives the hash of the project-shaped QBFT vector", () => {
    const vector = vectors.find((candidate) => candidate.name === "qbft-project-shape");
    assert.ok(vector?.expected.hash !== undefined && vector.expected.stateRoot !== undefined);
    const parsed = parseQbftGenesis(JSON.stringify(vector.genesis, null, 2));
    assert.equal(parsed.hash, vector.expected.hash);
    assert.equal(toHex(genesisStateRoot(parsed.accounts)), vector.expected.stateRoot);
  });
});

describe("Besu's genesis reading", () => {
  const sepolia = vectors.find((vector) => vector.name === "besu-sepolia");
  const project = vectors.find((vector) => vector.name === "qbft-project-shape");
  assert.ok(sepolia !== undefined && project !== undefined);
  const hashOf = (genesis: Record<string, unknown>) => readGenesis(JSON.stringify(genesis)).hash;

  it("zeroBaseFee does not change the genesis header; baseFeePerGas does", () => {
    const config = Object.entries(project.genesis.config as Record<string, unknown>);
    const withoutZeroBaseFee = Object.fromEntries(config.filter(([key]) => key !== "zeroBaseFee"));
    assert.equal(hashOf({ ...project.genesis, config: withoutZeroBaseFee }), hashOf(project.genesis));
    assert.notEqual(hashOf({ ...project.genesis, baseFeePerGas: "0x0" }), hashOf(project.genesis));
    assert.equal(hashOf({ ...project.genesis, baseFeePerGas: "1000000000" }), hashOf(project.genesis));
  });

  it("reads keys in any case", () => {
    const shouted = Object.fromEntries(
      Object.entries(sepolia.genesis).map(([key, value]) => [key.toUpperCase(), value]),
    );
    assert.equal(hashOf(shouted), sepolia.expected.hash);
  });

  it("reads nonces as hex with or without 0x, timestamps and gas limits as Java's Long.decode", () => {
    const withNonce = (nonce: unknown) => hashOf({ ...sepolia.genesis, nonce });
    assert.equal(withNonce("10"), withNonce("0x10"));
    assert.notEqual(withNonce("10"), withNonce("0xa"));
    assert.equal(hashOf({ ...sepolia.genesis, timestamp: "1633267481" }), sepolia.expected.hash);
    assert.equal(
      hashOf({ ...sepolia.genesis, gasLimit: "030000000" }),
      hashOf({ ...sepolia.genesis, gasLimit: "6291456" }),
    );
  });

  it("refuses a genesis without difficulty or gasLimit, as Besu does", () => {
    const without = (field: string) =>
      Object.fromEntries(Object.entries(sepolia.genesis).filter(([key]) => key !== field));
    assert.throws(() => hashOf(without("difficulty")), /missing value for one of '\[difficulty\]'/);
    assert.throws(() => hashOf(without("gasLimit")), /missing value for one of '\[gaslimit, gastarget\]'/);
  });
});
