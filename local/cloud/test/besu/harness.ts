/** Creates Besu worlds driven by fake clusters for a test file, and tears them down after each test. */
import assert from "node:assert/strict";
import { afterEach } from "node:test";
import type { EvmAccount } from "../../src/evm/ganache.js";
import { BesuContainerRuntime } from "../../src/besu/runtime.js";
import { BesuWorld } from "../../src/besu/world.js";
import { besuArgv, FakeClusters, nodeAt, qbftGenesis } from "./fake-cluster.js";

/** Simulated time runs this much faster in the tests. */
export const TIME_SCALE = 20;

export interface Setup {
  world: BesuWorld;
  clusters: FakeClusters;
  /** The loopback RPC URL of a running pod's node. */
  url(pod: string): Promise<string>;
}

/** Registers the teardown hook and returns a factory of worlds (call inside tests). */
export function useBesuWorlds(): (fundedAccounts?: readonly EvmAccount[]) => Setup {
  const open: Setup[] = [];
  afterEach(async () => {
    for (const created of open.splice(0)) {
      created.clusters.stopAll();
      await created.world.close();
    }
  });
  return (fundedAccounts = []) => {
    const world = new BesuWorld({
      timeScale: TIME_SCALE,
      fundedAccounts,
      loopbackRpc: true,
      log: (line) => assert.fail(line),
    });
    const clusters = new FakeClusters(new BesuContainerRuntime(() => world), TIME_SCALE);
    const created: Setup = {
      world,
      clusters,
      async url(pod) {
        const node = world.runningNodes().find((candidate) => candidate.environment.location.podName === pod);
        assert.ok(node, `node ${pod} is running`);
        const url = world.loopbackUrl(node);
        assert.ok(url, `node ${pod} has a loopback URL`);
        return url;
      },
    };
    open.push(created);
    return created;
  };
}

export const REGIONS = ["eastus", "westus2", "northeurope", "japaneast"];

/** Four validators, one per cluster/region, meshed through LoadBalancer IPs in static-nodes. */
export function fourValidatorMesh(
  env: Setup,
  genesisFor: (index: number, genesis: string) => string = (_, genesis) => genesis,
): ReturnType<typeof nodeAt>[] {
  const validators = REGIONS.map((_, index) => nodeAt(`validator-${index}`, `20.0.0.${index + 1}`));
  const genesis = qbftGenesis(validators.map((validator) => validator.identity));
  validators.forEach((validator, index) => {
    env.clusters.add({
      cluster: `aks-${REGIONS[index]}`,
      region: REGIONS[index],
      name: `validator-${index}`,
      loadBalancerIP: `20.0.0.${index + 1}`,
      argv: besuArgv(),
      files: {
        "/etc/genesis/genesis.json": genesisFor(index, genesis),
        "/secrets/key": validator.key,
        "/config/static-nodes.json": JSON.stringify(
          validators.filter((other) => other !== validator).map((other) => other.enode),
        ),
      },
    });
  });
  return validators;
}
