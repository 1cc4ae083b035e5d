import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fourValidatorMesh, REGIONS, useBesuWorlds } from "./harness.js";
import { blockNumber, pause, rpc, waitFor } from "./rpc-client.js";

const setup = useBesuWorlds();

interface Syncing {
  currentBlock: string;
  highestBlock: string;
}

describe("Besu faults", { timeout: 60_000 }, () => {
  it("a partitioned region's validator falls behind and reports syncing; the others go on; healing catches it up", async () => {
    const env = setup();
    fourValidatorMesh(env);
    const [url0, url3] = [await env.url("validator-0"), await env.url("validator-3")];
    await waitFor("blocks", async () => (await blockNumber(url0)) >= 2);
    env.world.setRegionPartitioned(REGIONS[3], true);
    await waitFor("partition cuts its links", async () => Number(await rpc(url3, "net_peerCount")) === 0);
    const cutAt = await blockNumber(url3);
    await waitFor("the other three go on", async () => (await blockNumber(url0)) >= cutAt + 3);
    assert.equal(await blockNumber(url3), cutAt, "the cut-off node does not advance");
    const syncing = (await rpc(url3, "eth_syncing")) as Syncing;
    assert.ok(Number(syncing.highestBlock) > Number(syncing.currentBlock));
    assert.equal((await fetch(`${url3}/readiness?minPeers=0&maxBlocksBehind=2`)).status, 503);
    env.world.setRegionPartitioned(REGIONS[3], false);
    await waitFor(
      "healed node catches up",
      async () => (await rpc(url3, "eth_syncing")) === false && (await blockNumber(url3)) > cutAt + 2,
    );
  });

  it("a lagging node stays that many blocks behind and is not ready with a tighter bound", async () => {
    const env = setup();
    fourValidatorMesh(env);
    const [url0, url1] = [await env.url("validator-0"), await env.url("validator-1")];
    const node1 = env.world.runningNodes().find((node) => node.environment.location.podName === "validator-1");
    assert.ok(node1);
    env.world.setLag(node1.podKey, 4);
    await waitFor("lag visible", async () => (await blockNumber(url0)) >= 8);
    // The lagging node is read first: the network can only move ahead before the second read.
    const head1 = await blockNumber(url1);
    const head0 = await blockNumber(url0);
    assert.ok(head0 - head1 >= 3, `lagging node is behind (${head0} vs ${head1})`);
    assert.equal((await fetch(`${url1}/readiness?maxBlocksBehind=2`)).status, 503);
    assert.equal((await fetch(`${url1}/readiness?maxBlocksBehind=10`)).status, 200);
    env.world.setLag(node1.podKey, 0);
    await waitFor("caught up", async () => (await rpc(url1, "eth_syncing")) === false);
  });

  it("a stopped node drops out until started, also across container restarts", async () => {
    const env = setup();
    fourValidatorMesh(env);
    const url0 = await env.url("validator-0");
    const node2 = env.world.runningNodes().find((node) => node.environment.location.podName === "validator-2");
    assert.ok(node2);
    env.world.setPodStopped(node2.podKey, true);
    await waitFor("peer gone", async () => Number(await rpc(url0, "net_peerCount")) === 2);
    env.clusters.restart("validator-2");
    await pause(300);
    assert.equal(Number(await rpc(url0, "net_peerCount")), 2, "still stopped after a restart");
    env.world.setPodStopped(node2.podKey, false);
    await waitFor("peer back", async () => Number(await rpc(url0, "net_peerCount")) === 3);
  });
});
