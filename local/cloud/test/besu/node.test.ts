import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromHex, rlpDecode, rlpEncode, toHex } from "@besu-fleet/qbft";
import { besuArguments } from "../../src/besu/command-line.js";
import { clientVersionFromImage } from "../../src/besu/node-config.js";
import { parseFlatToml, resolveBesuOptions } from "../../src/besu/options.js";
import { isBesuImage } from "../../src/besu/runtime.js";
import { besuArgv, nodeAt, qbftGenesis, type FakePodSpec } from "./fake-cluster.js";
import { useBesuWorlds, type Setup } from "./harness.js";
import { blockNumber, rpc, rpcRaw, waitFor } from "./rpc-client.js";

const setup = useBesuWorlds();

/** A one-validator network (quorum 1) in a single pod. */
function singleNode(env: Setup, overrides: Partial<FakePodSpec> = {}): FakePodSpec {
  const validator = nodeAt("solo", "10.244.0.10");
  const spec: FakePodSpec = {
    cluster: "aks-eastus",
    region: "eastus",
    name: "solo",
    argv: besuArgv(),
    files: {
      "/etc/genesis/genesis.json": qbftGenesis([validator.identity], { blockPeriodSeconds: 1 }),
      "/secrets/key": `${validator.key}\n`,
      "/config/static-nodes.json": "[]",
    },
    ...overrides,
  };
  env.clusters.add(spec);
  return spec;
}

describe("Besu command line", () => {
  it("finds besu's arguments in a shell script with exec, continuations and variables", () => {
    const args = besuArguments(
      [
        "/bin/sh",
        "-c",
        'echo waiting; sleep 1\nexec /opt/besu/bin/besu \\\n  --p2p-host=${POD_IP} \\\n  --identity="node one"',
      ],
      { POD_IP: "10.1.2.3" },
    );
    assert.deepEqual(args, ["--p2p-host=10.1.2.3", "--identity=node one"]);
    assert.deepEqual(besuArguments(["--genesis-file=/g.json"], {}), ["--genesis-file=/g.json"]);
    assert.equal(besuArguments(["/bin/sh", "-c", "sleep infinity"], {}), undefined);
  });

  it("applies command line over environment over config file", () => {
    const files: Record<string, string> = {
      "/etc/besu/config.toml": 'rpc-http-api=["ETH","NET"]\np2p-port=30304 # comment\nrpc-http-enabled=true\n',
    };
    const options = resolveBesuOptions(
      ["--config-file=/etc/besu/config.toml", "--p2p-port", "30305"],
      { BESU_RPC_HTTP_API: "ETH,QBFT" },
      (path) => files[path],
    );
    assert.equal(options.p2pPort, 30305);
    assert.deepEqual(options.rpcHttpApis, ["ETH", "QBFT"]);
    assert.equal(options.rpcHttpEnabled, true);
    assert.deepEqual(
      parseFlatToml('bootnodes=[\n "enode://a",\n "enode://b"\n]'),
      new Map([["bootnodes", ["enode://a", "enode://b"]]]),
    );
  });

  it("refuses what Besu's command line refuses", () => {
    const read = (): undefined => undefined;
    assert.throws(() => resolveBesuOptions(["--rpc-http-enabeld"], {}, read), /Unknown option: '--rpc-http-enabeld'/);
    assert.throws(() => resolveBesuOptions(["--rpc-http-api=ETH,FOO"], {}, read), /invalid entries found \[FOO\]/);
    assert.throws(() => resolveBesuOptions(["--p2p-port=abc"], {}, read), /not an int/);
    assert.throws(() => resolveBesuOptions(["--config-file=/missing.toml"], {}, read), /file not found/);
  });

  it("reports the client version from the image tag and --identity", () => {
    assert.equal(clientVersionFromImage("hyperledger/besu:24.12.2"), "besu/v24.12.2/linux-x86_64/openjdk-java-21");
    assert.equal(
      clientVersionFromImage("registry.example/hyperledger/besu:25.1.0", "validator-1"),
      "besu/validator-1/v25.1.0/linux-x86_64/openjdk-java-21",
    );
  });

  it("claims hyperledger/besu images only", () => {
    assert.ok(isBesuImage("hyperledger/besu:24.12.2"));
    assert.ok(isBesuImage("docker.io/hyperledger/besu@sha256:abc"));
    assert.ok(!isBesuImage("hyperledger/besu-sidecar:1"));
    assert.ok(!isBesuImage("busybox"));
  });
});

describe("Besu node start-up", () => {
  it("an unknown flag, a missing key file or a malformed genesis keep the container from starting", () => {
    const env = setup();
    singleNode(env, { name: "unknown-flag", argv: besuArgv(["--no-such-flag"]) });
    const base = singleNode(env, { name: "base" });
    const withoutKey = Object.fromEntries(Object.entries(base.files).filter(([path]) => path !== "/secrets/key"));
    singleNode(env, { name: "no-key", files: withoutKey });
    singleNode(env, { name: "bad-genesis", files: { ...base.files, "/etc/genesis/genesis.json": '{"config": ' } });
    const genesis = JSON.parse(base.files["/etc/genesis/genesis.json"]) as { extraData: string };
    const fields = rlpDecode(fromHex(genesis.extraData));
    assert.ok(Array.isArray(fields));
    fields[3] = Uint8Array.of(0, 0, 0, 0);
    const ibftGenesis = JSON.stringify({ ...genesis, extraData: toHex(rlpEncode(fields)) });
    singleNode(env, { name: "ibft-extra", files: { ...base.files, "/etc/genesis/genesis.json": ibftGenesis } });
    const reasons = Object.fromEntries(
      ["unknown-flag", "no-key", "bad-genesis", "ibft-extra", "base"].map((name) => [
        name,
        env.clusters.get(name).lastStart,
      ]),
    );
    assert.equal(reasons.base.started, true);
    assert.match(reasons["unknown-flag"].message ?? "", /Unknown option: '--no-such-flag'/);
    assert.match(reasons["no-key"].message ?? "", /Unable to load node key: \/secrets\/key does not exist/);
    assert.match(reasons["bad-genesis"].message ?? "", /Invalid genesis file: not valid JSON/);
    assert.match(reasons["ibft-extra"].message ?? "", /extraData is not QBFT extra data/);
    assert.ok(
      env.clusters.get("no-key").logs.some((line) => line.includes("Unable to load node key")),
      "the reason is in the container log",
    );
  });

  it("logs the node's public identity and never its key", () => {
    const env = setup();
    const spec = singleNode(env);
    const logs = env.clusters.get("solo").logs.join("\n");
    assert.match(logs, new RegExp(nodeAt("solo", "x").identity.address));
    assert.ok(!logs.includes(spec.files["/secrets/key"].trim().slice(2)));
  });
});

describe("Besu JSON-RPC and health", { timeout: 30_000 }, () => {
  it("answers the ETH/NET/WEB3/QBFT/ADMIN methods a verification uses", async () => {
    const env = setup();
    singleNode(env);
    const url = await env.url("solo");
    await waitFor("blocks", async () => (await blockNumber(url)) >= 2);
    assert.equal(await rpc(url, "eth_chainId"), "0x8a");
    assert.equal(await rpc(url, "net_version"), "138");
    assert.equal(await rpc(url, "web3_clientVersion"), "besu/v24.12.2/linux-x86_64/openjdk-java-21");
    assert.equal(await rpc(url, "eth_syncing"), false);
    assert.equal(await rpc(url, "net_listening"), true);
    const solo = nodeAt("solo", "10.244.0.10");
    assert.equal(await rpc(url, "net_enode"), solo.enode);
    assert.deepEqual(await rpc(url, "qbft_getValidatorsByBlockNumber", ["latest"]), [solo.identity.address]);
    assert.deepEqual(await rpc(url, "qbft_getValidatorsByBlockNumber", ["0x0"]), [solo.identity.address]);
    assert.deepEqual(await rpc(url, "admin_peers"), []);
    const info = (await rpc(url, "admin_nodeInfo")) as { id: string; protocols: { eth: { network: number } } };
    assert.equal(info.id, solo.identity.enodeId);
    assert.equal(info.protocols.eth.network, 138);
    const block = (await rpc(url, "eth_getBlockByNumber", ["0x1", false])) as { miner: string; number: string };
    assert.deepEqual([block.miner, block.number], [solo.identity.address, "0x1"]);
    assert.equal(await rpc(url, "eth_getBlockByNumber", ["0xffff", false]), null);
  });

  it("gates API groups (-32604), rejects unknown methods (-32601) and bad JSON (-32700), answers batches", async () => {
    const env = setup();
    singleNode(env, { argv: besuArgv(["--rpc-http-api=ETH,NET"]) });
    const url = await env.url("solo");
    assert.equal((await rpcRaw(url, "admin_peers")).error?.code, -32604);
    assert.equal((await rpcRaw(url, "qbft_getPendingVotes")).error?.code, -32604);
    assert.equal((await rpcRaw(url, "debug_traceTransaction", ["0x00"])).error?.code, -32604);
    assert.equal((await rpcRaw(url, "eth_noSuchMethod")).error?.code, -32601);
    assert.equal((await rpcRaw(url, "eth_getBlockByNumber", ["nope", false])).error?.code, -32602);
    const parseError = await fetch(url, { method: "POST", body: "{not json" });
    assert.equal(parseError.status, 400);
    assert.deepEqual(await parseError.json(), {
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error" },
    });
    const batch = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "eth_chainId" },
        { jsonrpc: "2.0", id: 2, method: "admin_peers" },
      ]),
    });
    const answers = (await batch.json()) as { id: number; result?: string; error?: { code: number } }[];
    assert.deepEqual(
      answers.map((answer) => [answer.id, answer.result ?? answer.error?.code]),
      [
        [1, "0x8a"],
        [2, -32604],
      ],
    );
  });

  it("serves /liveness and /readiness with Besu's parameters and defaults", async () => {
    const env = setup();
    singleNode(env);
    const url = await env.url("solo");
    const liveness = await fetch(`${url}/liveness`);
    assert.deepEqual([liveness.status, await liveness.json()], [200, { status: "UP" }]);
    assert.equal((await fetch(`${url}/readiness`)).status, 503, "default minPeers=1 and a lone node has no peers");
    const ready = await fetch(`${url}/readiness?minPeers=0&maxBlocksBehind=2`);
    assert.deepEqual([ready.status, await ready.json()], [200, { status: "UP" }]);
    assert.equal((await fetch(`${url}/readiness?minPeers=abc`)).status, 503, "an unparsable parameter is not ready");
  });

  it("enforces the host allowlist and answers only while RPC is enabled", async () => {
    const env = setup();
    const base = singleNode(env);
    singleNode(env, { name: "strict", argv: besuArgv(["--host-allowlist=rpc.example"]), files: base.files });
    const url = await env.url("strict");
    const refused = await fetch(url, { method: "POST", body: "{}" });
    assert.deepEqual([refused.status, await refused.text()], [403, "Host not authorized."]);
    const node = env.world.runningNodes().find((candidate) => candidate.environment.location.podName === "solo");
    assert.ok(node);
    env.world.setPodStopped(node.podKey, true);
    const stoppedUrl = await env.url("solo");
    assert.equal((await fetch(`${stoppedUrl}/liveness`)).status, 502, "a stopped node does not answer");
  });
});
