import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bumpedFees,
  decide,
  markBroadcast,
  signedEntry,
  withReplacement,
  type ChainFacts,
  type JournalEntry,
  type Receipt,
} from "../../lib/domain/tx-journal.js";

const SIGNED_AT = "2026-01-01T00:00:00.000Z";
const RECEIPT: Receipt = { status: "success", blockNumber: 7, gasUsed: "21000", contractAddress: null };

function entry(): JournalEntry {
  return signedEntry(
    {
      intent: "fund pool",
      chainId: 138,
      sender: "0xabc",
      nonce: 5,
      to: "0xdef",
      dataHash: "0x00",
      value: "1",
      gasLimit: "21000",
    },
    { hash: "0xh1", raw: "0xr1", fees: { gasPrice: "1000" }, signedAt: SIGNED_AT },
  );
}

function facts(overrides: Partial<ChainFacts> = {}): ChainFacts {
  return { latestNonce: 5, receipts: new Map(), known: new Set(), now: "2026-01-01T00:00:10.000Z", ...overrides };
}

describe("transaction journal decisions", () => {
  it("broadcasts exactly the journaled bytes after a crash between journaling and broadcasting", () => {
    const decision = decide(entry(), facts(), 60);
    assert.equal(decision.kind, "broadcast");
    assert.equal(decision.kind === "broadcast" && decision.attempt.raw, "0xr1");
    const refused = decide(entry(), facts({ now: "2026-01-01T00:01:00.000Z" }), 60);
    assert.deepEqual(refused, {
      kind: "replace",
      nonce: 5,
      fees: { gasPrice: "1250" },
      reason: "dropped from the pool",
    });
  });

  it("judges a 'signed' attempt the node already knows as broadcast: waits, then replaces it once stuck", () => {
    const known = facts({ known: new Set(["0xh1"]) });
    assert.deepEqual(decide(entry(), known, 60), { kind: "wait" });
    const stuck = decide(entry(), { ...known, now: "2026-01-01T00:01:00.000Z" }, 60);
    assert.equal(stuck.kind, "replace");
  });

  it("waits for a broadcast transaction the node knows, and replaces it at the same nonce once stuck", () => {
    const broadcast = markBroadcast(entry());
    assert.deepEqual(decide(broadcast, facts({ known: new Set(["0xh1"]) }), 60), { kind: "wait" });
    const stuck = decide(broadcast, facts({ known: new Set(["0xh1"]), now: "2026-01-01T00:01:00.000Z" }), 60);
    assert.deepEqual(stuck, { kind: "replace", nonce: 5, fees: { gasPrice: "1250" }, reason: "not mined after 60 s" });
  });

  it("replaces a transaction the node dropped from its pool with the same nonce and a higher fee", () => {
    const decision = decide(markBroadcast(entry()), facts(), 60);
    assert.deepEqual(decision, {
      kind: "replace",
      nonce: 5,
      fees: { gasPrice: "1250" },
      reason: "dropped from the pool",
    });
  });

  it("finds the mined attempt among replacements by receipt", () => {
    const replaced = markBroadcast(
      withReplacement(markBroadcast(entry()), {
        hash: "0xh2",
        raw: "0xr2",
        fees: { gasPrice: "1250" },
        signedAt: SIGNED_AT,
      }),
    );
    assert.deepEqual(
      replaced.attempts.map((attempt) => attempt.state),
      ["replaced", "broadcast"],
    );
    const decision = decide(replaced, facts({ latestNonce: 6, receipts: new Map([["0xh1", RECEIPT]]) }), 60);
    assert.deepEqual(decision, { kind: "mined", hash: "0xh1", receipt: RECEIPT });
  });

  it("reports a nonce used by a transaction outside the journal instead of sending again", () => {
    const decision = decide(markBroadcast(entry()), facts({ latestNonce: 6 }), 60);
    assert.equal(decision.kind, "dropped");
    assert.match(decision.kind === "dropped" ? decision.reason : "", /nonce 5 of 0xabc was used/);
  });

  it("bumps a zero gas price to a positive one", () => {
    assert.deepEqual(bumpedFees({ gasPrice: "0" }), { gasPrice: "1000000000" });
  });
});
