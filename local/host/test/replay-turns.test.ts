/** Orchestrator replays take turns with the rest of the event loop (src/engine/replay-turns.ts). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ReplayTurns } from "../src/engine/replay-turns.js";

describe("ReplayTurns", () => {
  test("lets other work of the event loop run between two replays woken together", async () => {
    const turns = new ReplayTurns();
    const order: string[] = [];
    const replays = ["first", "second", "third"].map((name) => turns.next().then(() => order.push(name)));
    setImmediate(() => order.push("a request that arrived meanwhile"));
    await Promise.all(replays);
    assert.deepEqual(order, ["first", "a request that arrived meanwhile", "second", "third"]);
  });

  test("grants turns in the order they were asked for, and again after falling idle", async () => {
    const turns = new ReplayTurns();
    const order: number[] = [];
    await Promise.all([1, 2].map((n) => turns.next().then(() => order.push(n))));
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([3, 4].map((n) => turns.next().then(() => order.push(n))));
    assert.deepEqual(order, [1, 2, 3, 4]);
  });
});
