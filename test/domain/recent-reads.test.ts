/** Shared reads of one key (lib/recent-reads.ts), on a clock the test moves. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecentReads } from "../../lib/recent-reads.js";

/** A clock the test sets, and a loader that counts its calls and answers what the test says. */
function setup(maxAgeMs = 1_000, refreshAfterMs?: number) {
  let now = 0;
  const reads = new RecentReads<string>({ maxAgeMs, refreshAfterMs, now: () => now });
  const loads: string[] = [];
  /** Answers what the test says, which may be nothing. */
  const answering = (key: string, answer: string | undefined) => () => {
    loads.push(key);
    return Promise.resolve(answer);
  };
  /** Answers the key and the time it was read at. */
  const loader = (key: string) => answering(key, `${key}@${now}`);
  return { reads, loads, loader, answering, setNow: (value: number) => (now = value) };
}

describe("RecentReads", () => {
  it("lets concurrent reads of one key share a single load", async () => {
    const { reads, loads } = setup();
    let finish: (value: string) => void = () => undefined;
    const pending = new Promise<string>((resolve) => (finish = resolve));
    const first = reads.read("a", () => {
      loads.push("a");
      return pending;
    });
    const second = reads.read("a", () => Promise.reject(new Error("must not load again")));
    finish("answer");
    assert.deepEqual(await Promise.all([first, second]), ["answer", "answer"]);
    assert.deepEqual(loads, ["a"]);
  });

  it("reuses a finished read until it is maxAgeMs old, counted from its start, then reads again", async () => {
    const { reads, loads, loader, setNow } = setup(1_000);
    assert.equal(await reads.read("a", loader("a")), "a@0");
    setNow(999);
    assert.equal(await reads.read("a", loader("a")), "a@0", "999 ms old: reused");
    setNow(1_000);
    assert.equal(await reads.read("a", loader("a")), "a@1000", "1 s old: too old, read again");
    assert.deepEqual(loads, ["a", "a"]);
  });

  it("keeps keys apart", async () => {
    const { reads, loads, loader } = setup();
    assert.equal(await reads.read("a", loader("a")), "a@0");
    assert.equal(await reads.read("b", loader("b")), "b@0");
    assert.deepEqual(loads, ["a", "b"]);
  });

  it("does not reuse a read that found nothing, so a new instance is found at once", async () => {
    const { reads, loads, answering } = setup();
    assert.equal(await reads.read("a", answering("a", undefined)), undefined);
    assert.equal(await reads.read("a", answering("a", "found")), "found");
    assert.deepEqual(loads, ["a", "a"]);
  });

  it("does not reuse a failed read: its waiters get the error, the next request reads again", async () => {
    const { reads, loads, answering } = setup();
    const failing = () => {
      loads.push("a");
      return Promise.reject(new Error("task hub unavailable"));
    };
    const [first, second] = [reads.read("a", failing), reads.read("a", failing)];
    await assert.rejects(first, /task hub unavailable/);
    await assert.rejects(second, /task hub unavailable/);
    assert.equal(await reads.read("a", answering("a", "recovered")), "recovered");
    assert.deepEqual(loads, ["a", "a"]);
  });

  it("forgets reads that are too old to reuse, so it holds only recently read keys", async () => {
    const { reads, loader, setNow } = setup(1_000);
    await reads.read("a", loader("a"));
    await reads.read("b", loader("b"));
    assert.equal(reads.size, 2);
    setNow(5_000);
    await reads.read("c", loader("c"));
    assert.equal(reads.size, 1);
  });

  it("refreshes an answer in the background once it is refreshAfterMs old, answering at once meanwhile", async () => {
    const { reads, loads, loader, setNow } = setup(1_000, 500);
    assert.equal(await reads.read("a", loader("a")), "a@0");
    setNow(499);
    assert.equal(await reads.read("a", loader("a")), "a@0");
    assert.deepEqual(loads, ["a"], "younger than refreshAfterMs: no new read");
    setNow(600);
    assert.equal(await reads.read("a", loader("a")), "a@0", "the refresh does not hold this request up");
    assert.deepEqual(loads, ["a", "a"], "the refresh started");
    setNow(700);
    assert.equal(await reads.read("a", loader("a")), "a@600", "the refreshed answer is in use");
    assert.deepEqual(loads, ["a", "a"]);
  });

  it("makes a request wait for the refresh under way rather than answer older than maxAgeMs", async () => {
    const { reads, loader, setNow } = setup(1_000, 500);
    await reads.read("a", loader("a"));
    setNow(600);
    let finish: (value: string) => void = () => undefined;
    const slowRefresh = new Promise<string>((resolve) => (finish = resolve));
    assert.equal(await reads.read("a", () => slowRefresh), "a@0");
    setNow(1_000);
    const waiting = reads.read("a", () => Promise.reject(new Error("must join the refresh")));
    finish("refreshed");
    assert.equal(await waiting, "refreshed");
  });

  it("drops the answer in use when a refresh finds nothing (the instance is gone)", async () => {
    const { reads, loads, loader, answering, setNow } = setup(1_000, 500);
    await reads.read("a", loader("a"));
    setNow(600);
    assert.equal(await reads.read("a", answering("a", undefined)), "a@0");
    await Promise.resolve();
    assert.equal(await reads.read("a", answering("a", undefined)), undefined, "not the older answer");
    assert.deepEqual(loads, ["a", "a", "a"]);
  });
});
