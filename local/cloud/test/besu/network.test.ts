import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeQbftExtraData, enodeUrl, quorumSize } from "@besu-fleet/qbft";
import { besuArgv, nodeAt, qbftGenesis } from "./fake-cluster.js";
import { equivocations } from "../../src/besu/equivocation.js";
import { fourValidatorMesh, REGIONS, useBesuWorlds } from "./harness.js";
import { blockNumber, pause, rpc, waitFor } from "./rpc-client.js";

const setup = useBesuWorlds();

describe("QBFT network model", { timeout: 60_000 }, () => {
  it("four validators across clusters produce blocks, halt with two down, recover when they return", async () => {
    const env = setup();
    const validators = fourValidatorMesh(env);
    const url0 = await env.url("validator-0");
    await waitFor("blocks", async () => (await blockNumber(url0)) >= 5);
    assert.equal(Number(await rpc(url0, "net_peerCount")), 3);

    const latest = (await rpc(url0, "eth_getBlockByNumber", ["latest", false])) as {
      extraData: string;
      number: string;
    };
    const extra = decodeQbftExtraData(latest.extraData);
    assert.ok(extra.seals.length >= quorumSize(4), "latest block carries at least quorum seals");
    assert.deepEqual(extra.validators, validators.map((validator) => validator.identity.address).sort());

    await waitFor("every validator proposes", async () => {
      const metrics = (await rpc(url0, "qbft_getSignerMetrics", [])) as {
        address: string;
        proposedBlockCount: string;
      }[];
      return metrics.length === 4 && metrics.every((entry) => Number(entry.proposedBlockCount) > 0);
    });

    env.clusters.stop("validator-2");
    env.clusters.stop("validator-3");
    let stalledAt = -1;
    await waitFor("production stops", async () => {
      const before = await blockNumber(url0);
      await pause(300);
      stalledAt = await blockNumber(url0);
      return stalledAt === before;
    });
    await pause(1500);
    assert.equal(await blockNumber(url0), stalledAt, "no block with 2 of 4 validators down");
    const readiness = await fetch(`${url0}/readiness?minPeers=2`);
    assert.equal(readiness.status, 503, "a node with too few peers is not ready");

    env.clusters.restart("validator-2");
    env.clusters.restart("validator-3");
    await waitFor("production resumes", async () => (await blockNumber(url0)) > stalledAt + 2, 30_000);
    const url3 = await env.url("validator-3");
    await waitFor("restarted validator catches up", async () => (await blockNumber(url3)) >= stalledAt);
    assert.equal(await rpc(url3, "eth_syncing"), false);
  });

  it("reports two live nodes with one validator key as equivocation, and none once the copy stops", async () => {
    const env = setup();
    const validators = fourValidatorMesh(env);
    const original = validators[1];
    assert.ok(original);
    const network = () => {
      const found = env.world.allNetworks()[0];
      assert.ok(found);
      return found;
    };
    await waitFor("four validators up", () => env.world.runningNodes().filter((node) => node.isUp()).length === 4);
    assert.deepEqual(equivocations(env.world.runningNodes(), network()), []);
    env.clusters.add({
      cluster: "aks-restored",
      region: "westeurope",
      name: "restored-validator",
      loadBalancerIP: "20.0.0.9",
      argv: besuArgv(),
      files: {
        "/etc/genesis/genesis.json": qbftGenesis(validators.map((validator) => validator.identity)),
        "/secrets/key": original.key,
        "/config/static-nodes.json": JSON.stringify(validators.map((validator) => validator.enode)),
      },
    });
    await waitFor("the copy is up", () => env.world.runningNodes().filter((node) => node.isUp()).length === 5);
    assert.deepEqual(equivocations(env.world.runningNodes(), network()), [
      {
        address: original.identity.address,
        nodes: ["westus2/aks-westus2/besu/validator-1", "westeurope/aks-restored/besu/restored-validator"].sort(),
      },
    ]);
    env.clusters.stop("restored-validator");
    await waitFor("the copy is down", () => env.world.runningNodes().filter((node) => node.isUp()).length === 4);
    assert.deepEqual(equivocations(env.world.runningNodes(), network()), []);
  });

  it("a validator started with another genesis is on its own network", async () => {
    const env = setup();
    fourValidatorMesh(env, (index, genesis) =>
      index === 3 ? genesis.replace('"timestamp": "0x0"', '"timestamp": "0x1"') : genesis,
    );
    const [url0, url3] = [await env.url("validator-0"), await env.url("validator-3")];
    await waitFor("the three others produce", async () => (await blockNumber(url0)) >= 3);
    const info0 = (await rpc(url0, "admin_nodeInfo")) as { protocols: { eth: { genesis: string } } };
    const info3 = (await rpc(url3, "admin_nodeInfo")) as { protocols: { eth: { genesis: string } } };
    assert.notEqual(info3.protocols.eth.genesis, info0.protocols.eth.genesis);
    assert.equal(Number(await rpc(url3, "net_peerCount")), 0);
    assert.equal(Number(await rpc(url0, "net_peerCount")), 2);
    assert.equal(await blockNumber(url3), 0);
  });

  it("validators that reach each other only through sentries produce no blocks", async () => {
    const env = setup();
    const validators = REGIONS.map((_, index) => nodeAt(`validator-${index}`, "unused"));
    const sentries = REGIONS.map((_, index) => nodeAt(`sentry-${index}`, `20.0.1.${index + 1}`));
    const genesis = qbftGenesis(validators.map((validator) => validator.identity));
    REGIONS.forEach((region, index) => {
      const cluster = `aks-${region}`;
      env.clusters.add({
        cluster,
        region,
        name: `sentry-${index}`,
        serviceName: `sentry-${index}`,
        loadBalancerIP: `20.0.1.${index + 1}`,
        argv: besuArgv(),
        files: {
          "/etc/genesis/genesis.json": genesis,
          "/secrets/key": sentries[index].key,
          "/config/static-nodes.json": JSON.stringify(
            sentries.filter((_, other) => other !== index).map((other) => other.enode),
          ),
        },
      });
      env.clusters.add({
        cluster,
        region,
        name: `validator-${index}`,
        argv: besuArgv(["--Xdns-enabled=true"]),
        files: {
          "/etc/genesis/genesis.json": genesis,
          "/secrets/key": validators[index].key,
          "/config/static-nodes.json": JSON.stringify([
            enodeUrl(sentries[index].identity.publicKey, `sentry-${index}`, 30303),
          ]),
        },
      });
    });
    const url0 = await env.url("validator-0");
    await waitFor("validator peered with its sentry", async () => Number(await rpc(url0, "net_peerCount")) === 1);
    const sentryUrl = await env.url("sentry-0");
    await waitFor("sentries meshed", async () => Number(await rpc(sentryUrl, "net_peerCount")) === 4);
    await pause(1000);
    assert.equal(await blockNumber(url0), 0, "no blocks without direct validator links");
  });

  it("a vote by more than half of the validators adds a validator at the next block", async () => {
    const env = setup();
    fourValidatorMesh(env);
    const candidate = nodeAt("candidate", "20.0.0.9").identity.address;
    const urls = await Promise.all([0, 1, 2].map((index) => env.url(`validator-${index}`)));
    await waitFor("blocks", async () => (await blockNumber(urls[0])) >= 1);
    for (const url of urls.slice(0, 2))
      assert.equal(await rpc(url, "qbft_proposeValidatorVote", [candidate, true]), true);
    await pause(1000);
    assert.ok(
      !((await rpc(urls[0], "qbft_getValidatorsByBlockNumber", ["latest"])) as string[]).includes(candidate),
      "two of four votes are not a majority",
    );
    assert.equal(await rpc(urls[2], "qbft_proposeValidatorVote", [candidate, true]), true);
    assert.deepEqual(await rpc(urls[2], "qbft_getPendingVotes"), { [candidate]: true });
    await waitFor("candidate voted in", async () =>
      ((await rpc(urls[0], "qbft_getValidatorsByBlockNumber", ["latest"])) as string[]).includes(candidate),
    );
    for (const url of urls) assert.equal(await rpc(url, "qbft_discardValidatorVote", [candidate]), true);
    assert.deepEqual(await rpc(urls[0], "qbft_getPendingVotes"), {});
  });
});
