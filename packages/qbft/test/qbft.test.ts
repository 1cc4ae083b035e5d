import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeQbftExtraData,
  decodeScalar,
  disruptionBudget,
  encodeScalar,
  encodeQbftBlockExtraData,
  encodeQbftExtraData,
  enodeUrl,
  faultTolerance,
  fromHex,
  GenesisError,
  nodeIdentityFromPrivateKey,
  parseEnodeUrl,
  parseQbftGenesis,
  quorumSize,
  recoverSealAddress,
  rlpDecode,
  rlpEncode,
  signSeal,
  toHex,
  trieRoot,
  QBFT_MIX_HASH,
} from "../src/index.js";
import { loadBesuVectors } from "./vectors.js";

const vectors = loadBesuVectors();
const devKey = vectors.nodeKeys[0];

describe("QBFT extraData", () => {
  for (const vector of vectors.qbftExtraData) {
    it(`encodes ${vector.validators.length} validators exactly as Besu`, () => {
      assert.equal(encodeQbftExtraData(vector.validators), vector.extraData);
    });
    it(`decodes the ${vector.validators.length}-validator vector`, () => {
      const decoded = decodeQbftExtraData(vector.extraData);
      assert.deepEqual(decoded.validators, vector.validators);
      assert.equal(decoded.vanity, toHex(new Uint8Array(32)));
      assert.deepEqual(
        { vote: decoded.vote, round: decoded.round, seals: decoded.seals },
        { vote: null, round: 0, seals: [] },
      );
    });
  }

  it("a genesis extraData ends in c080c0 (no vote, round 0 scalar, no seals)", () => {
    assert.ok(encodeQbftExtraData(vectors.qbftExtraData[0].validators).endsWith("c080c0"));
  });

  it("round-trips a block extraData with a vote, a round and committer seals", () => {
    const digest = new Uint8Array(32).fill(7);
    const seal = signSeal(devKey.privateKey, digest);
    const added = vectors.qbftExtraData[0].validators[3];
    const encoded = encodeQbftBlockExtraData({
      validators: vectors.qbftExtraData[0].validators,
      vote: { address: added, add: true },
      round: 3,
      seals: [seal, seal],
    });
    const decoded = decodeQbftExtraData(encoded);
    assert.deepEqual(decoded.vote, { address: added, add: true });
    assert.equal(decoded.round, 3);
    assert.deepEqual(decoded.seals, [seal, seal]);
    assert.equal(recoverSealAddress(decoded.seals[0], digest), devKey.address);
    const dropped = decodeQbftExtraData(
      encodeQbftBlockExtraData({ validators: [], vote: { address: added, add: false }, round: 0, seals: [] }),
    );
    assert.deepEqual(dropped.vote, { address: added, add: false });
  });

  it("rejects the IBFT 2.0 form whose round is 4 bytes", () => {
    const qbft = fromHex(vectors.qbftExtraData[0].extraData);
    const fields = rlpDecode(qbft);
    assert.ok(Array.isArray(fields));
    fields[3] = Uint8Array.of(0, 0, 0, 0);
    assert.throws(() => decodeQbftExtraData(toHex(rlpEncode(fields))), /leading zero/);
  });

  it("rejects non-RLP and wrong-shaped input", () => {
    assert.throws(() => decodeQbftExtraData("0x1234"));
    assert.throws(() => decodeQbftExtraData(toHex(rlpEncode([new Uint8Array(32), []]))), /5 fields/);
  });
});

describe("RLP", () => {
  it("round-trips nested items and scalars", () => {
    const item = [new Uint8Array(0), Uint8Array.of(0x7f), Uint8Array.of(0x80), [new Uint8Array(56).fill(1), []]];
    assert.deepEqual(rlpDecode(rlpEncode(item)), item);
    assert.equal(toHex(rlpEncode(encodeScalar(1024))), "0x820400");
    assert.equal(decodeScalar(encodeScalar(2n ** 70n)), 2n ** 70n);
  });

  it("decodes as strictly as Besu: no empty, truncated, non-canonical or trailing input", () => {
    for (const hex of ["0x", "0x8105", "0xb80201ff", "0x83010203ff", "0x830102", "0xc28301", "0x0102"]) {
      assert.throws(() => rlpDecode(fromHex(hex)), Error, hex);
    }
  });
});

describe("node identity", () => {
  it("derives public key, address and enode id from the Besu development key", () => {
    const identity = nodeIdentityFromPrivateKey(devKey.privateKey);
    assert.equal(identity.publicKey, devKey.publicKey);
    assert.equal(identity.address, devKey.address);
    assert.equal(identity.enodeId, devKey.publicKey.slice(2));
    assert.equal(enodeUrl(identity.publicKey, "127.0.0.1", 30303), devKey.enodeAt127001);
  });

  it("parses enode URLs and rejects malformed ones", () => {
    assert.deepEqual(parseEnodeUrl(`${devKey.enodeAt127001}?discport=30304`), {
      enodeId: devKey.publicKey.slice(2),
      host: "127.0.0.1",
      port: 30303,
    });
    assert.throws(() => parseEnodeUrl("enode://abc@127.0.0.1:30303"), /Invalid enode URL/);
  });

  it("refuses a key that is not a secp256k1 private key", () => {
    assert.throws(() => nodeIdentityFromPrivateKey(`0x${"00".repeat(32)}`));
    assert.throws(() => nodeIdentityFromPrivateKey("0x1234"));
  });
});

describe("quorum math", () => {
  for (const row of vectors.qbftQuorum) {
    it(`n=${row.n}: quorum ${row.quorum}, f ${row.f}`, () => {
      assert.equal(quorumSize(row.n), row.quorum);
      assert.equal(faultTolerance(row.n), row.f);
    });
  }
  it("the disruption budget counts validators already down", () => {
    assert.equal(disruptionBudget(4, 0), 1);
    assert.equal(disruptionBudget(4, 1), 0);
    assert.equal(disruptionBudget(24, 2), 5);
  });
});

describe("Merkle Patricia trie", () => {
  const text = (value: string) => new TextEncoder().encode(value);
  it("matches the ethereum/tests 'puppy' and 'dogglesworth' roots", () => {
    const puppy = [
      ["do", "verb"],
      ["dog", "puppy"],
      ["doge", "coin"],
      ["horse", "stallion"],
    ];
    assert.equal(
      toHex(trieRoot(puppy.map(([key, value]) => ({ key: text(key), value: text(value) })))),
      "0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84",
    );
    const dogglesworth = [
      ["doe", "reindeer"],
      ["dog", "puppy"],
      ["dogglesworth", "cat"],
    ];
    assert.equal(
      toHex(trieRoot(dogglesworth.map(([key, value]) => ({ key: text(key), value: text(value) })))),
      "0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3",
    );
  });
});

describe("QBFT genesis", () => {
  const genesis = {
    config: {
      chainId: 138,
      berlinBlock: 0,
      qbft: { blockperiodseconds: 2, epochlength: 30000, requesttimeoutseconds: 4 },
    },
    nonce: "0x0",
    timestamp: "0x58ee40ba",
    gasLimit: "0x1fffffffffffff",
    difficulty: "0x1",
    mixHash: QBFT_MIX_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    alloc: { [devKey.address.slice(2)]: { balance: "1000000000000000000000" } },
    extraData: vectors.qbftExtraData[0].extraData,
  };

  it("reads chain id, block period and validators", () => {
    const parsed = parseQbftGenesis(JSON.stringify(genesis));
    assert.equal(parsed.chainId, 138n);
    assert.equal(parsed.blockPeriodSeconds, 2);
    assert.deepEqual(parsed.validators, vectors.qbftExtraData[0].validators);
    assert.equal(parsed.accounts[0].balance, 10n ** 21n);
    assert.match(parsed.hash, /^0x[0-9a-f]{64}$/);
  });

  it("the hash ignores formatting but follows content", () => {
    const compact = parseQbftGenesis(JSON.stringify(genesis)).hash;
    assert.equal(parseQbftGenesis(JSON.stringify(genesis, null, 2)).hash, compact);
    assert.notEqual(parseQbftGenesis(JSON.stringify({ ...genesis, timestamp: "0x58ee40bb" })).hash, compact);
    assert.notEqual(
      parseQbftGenesis(
        JSON.stringify({
          ...genesis,
          extraData: vectors.qbftExtraData[1].extraData,
          config: { ...genesis.config, qbft: { ...genesis.config.qbft, validatorcontractaddress: devKey.address } },
        }),
      ).hash,
      compact,
    );
  });

  it("refuses what Besu refuses", () => {
    assert.throws(() => parseQbftGenesis("{"), GenesisError);
    assert.throws(() => parseQbftGenesis(JSON.stringify({ ...genesis, config: { chainId: 138 } })), /config.qbft/);
    assert.throws(() => parseQbftGenesis(JSON.stringify({ ...genesis, extraData: "0x1234" })), /extraData/);
  });
});
