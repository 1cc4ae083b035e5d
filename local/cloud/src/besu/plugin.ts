/**
 * The Besu + EVM plug-in for the simulated cloud. Register it with
 * `startCloud({ dataDir, plugins: [createBesuPlugin()] })`: pods running `hyperledger/besu`
 * images become simulated Besu nodes, Chain 138's EVM runs behind them, a mainnet stand-in with
 * Chainlink's contracts starts, and `cloud.json` gains the `besu` and `evm` sections.
 */
import { z } from "zod";
import { loadOrCreateDevAccounts } from "../evm/dev-accounts.js";
import { MainnetStandIn } from "../evm/mainnet.js";
import { ControlError, type CloudPlugin, type CloudPluginContext, type ControlRoute } from "../plugin.js";
import { equivocations } from "./equivocation.js";
import { applyBesuAction, BesuActionSchema, BesuScenarioSchema } from "./faults.js";
import { ChainGateway } from "./gateway.js";
import { BesuContainerRuntime } from "./runtime.js";
import { BesuWorld } from "./world.js";

const deployerSchema = z.object({
  address: z.string(),
  /** The deployer's key in the simulated Key Vault (`keyVault.deployerKeyId`): it signs there, never elsewhere. */
  keyId: z.string(),
});

/**
 * The fields this plug-in adds to `cloud.json`, for clients to parse (`CloudConnectionSchema`
 * keeps them).
 */
export const BesuCloudFieldsSchema = z.object({
  besu: z.object({ nodesUrl: z.string(), networksUrl: z.string(), actionsUrl: z.string() }),
  evm: z.object({
    chain138: z.object({ chainId: z.literal(138), rpcUrl: z.string(), deployer: deployerSchema }),
    mainnet: z
      .object({
        chainId: z.literal(1),
        rpcUrl: z.string(),
        chainSelector: z.string(),
        contracts: z.object({
          router: z.string(),
          rmn: z.string(),
          rmnProxy: z.string(),
          link: z.string(),
          wrappedNative: z.string(),
        }),
        chainlinkOwner: z.string(),
        deployer: deployerSchema,
      })
      .optional(),
  }),
});
export type BesuCloudFields = z.infer<typeof BesuCloudFieldsSchema>;

/** Options of the plug-in. */
export interface BesuPluginOptions {
  /** Start the Ethereum mainnet stand-in (default true; it takes a second or two to deploy). */
  mainnet?: boolean;
}

/** Ether given to the operator's deployer on Chain 138 (on every simulated QBFT network). */
const DEPLOYER_BALANCE = 1_000n * 10n ** 18n;

/** The plug-in, plus access to its world for tests and tools in the same process. */
export interface BesuPlugin extends CloudPlugin {
  world(): BesuWorld | undefined;
}

interface Started {
  context: CloudPluginContext;
  world: BesuWorld;
  gateway: ChainGateway;
  mainnet: MainnetStandIn | undefined;
  timers: Set<NodeJS.Timeout>;
}

export function createBesuPlugin(options: BesuPluginOptions = {}): BesuPlugin {
  let started: Started | undefined;
  const running = (): Started => {
    if (started === undefined) throw new ControlError(503, "the Besu simulation is not running");
    return started;
  };

  const controlRoutes: ControlRoute[] = [
    {
      method: "GET",
      path: "besu/nodes",
      async handle() {
        const { world } = running();
        const nodes = await Promise.all(
          world.runningNodes().map(async (node) => {
            const location = node.environment.location;
            const sync = node.syncStatus();
            return {
              cluster: location.clusterName,
              resourceGroup: location.resourceGroup,
              region: location.region,
              namespace: location.namespace,
              pod: location.podName,
              container: node.environment.containerName,
              up: node.isUp(),
              address: node.address,
              enode: node.enodeUrl(),
              validator: node.network.currentValidators().includes(node.address),
              chainId: Number(node.network.genesis.chainId),
              genesisHash: node.network.genesis.hash,
              head: node.head,
              syncing: sync !== undefined,
              peers: node.peers().map((peer) => peer.enodeUrl()),
              rpcUrl: (await world.loopbackUrl(node)) ?? null,
            };
          }),
        );
        return { body: nodes };
      },
    },
    {
      method: "GET",
      path: "besu/networks",
      handle() {
        const { world } = running();
        return {
          body: world.allNetworks().map((network) => ({
            genesisHash: network.genesis.hash,
            chainId: Number(network.genesis.chainId),
            height: network.height,
            halted: network.halted,
            validators: network.currentValidators(),
            lastBlockTimestamp: network.head.timestamp,
            equivocation: equivocations(world.runningNodes(), network),
          })),
        };
      },
    },
    {
      method: "GET",
      path: "besu/faults",
      handle: () => ({ body: running().world.faults() }),
    },
    {
      method: "POST",
      path: "besu/actions",
      handle(request) {
        const { world, context } = running();
        const action = BesuActionSchema.safeParse(request.body);
        if (!action.success) throw new ControlError(400, `invalid Besu action: ${z.prettifyError(action.error)}`);
        return { body: applyBesuAction(world, context, action.data) };
      },
    },
  ];

  return {
    name: "besu",
    runtimes: [new BesuContainerRuntime(() => started?.world)],
    controlRoutes,
    world: () => started?.world,

    async start(context) {
      const { deployer } = context;
      const world = new BesuWorld({
        timeScale: context.timeScale,
        fundedAccounts: [{ address: deployer.address, balance: DEPLOYER_BALANCE }],
        loopbackRpc: true,
        log: (line) => context.log(line),
      });
      const gateway = await ChainGateway.start(() => started?.world, context.evmFaults);
      const mainnet =
        options.mainnet === false
          ? undefined
          : await MainnetStandIn.start(
              { ...loadOrCreateDevAccounts(context.dataDir), deployer: deployer.address },
              context.evmFaults,
            );
      started = { context, world, gateway, mainnet, timers: new Set() };
      context.log(
        `besu: simulation ready${mainnet === undefined ? "" : `, mainnet stand-in at ${mainnet.info.rpcUrl}`}`,
      );
      const fields: BesuCloudFields = {
        besu: {
          nodesUrl: `${context.controlUrl}/besu/nodes`,
          networksUrl: `${context.controlUrl}/besu/networks`,
          actionsUrl: `${context.controlUrl}/besu/actions`,
        },
        evm: {
          chain138: { chainId: 138, rpcUrl: gateway.chainUrl(138), deployer },
          ...(mainnet === undefined ? {} : { mainnet: { ...mainnet.info, deployer } }),
        },
      };
      return fields;
    },

    applyScenario(section) {
      const state = running();
      const scenario = BesuScenarioSchema.safeParse(section);
      if (!scenario.success) throw new Error(`scenario section 'besu' is invalid: ${z.prettifyError(scenario.error)}`);
      for (const event of scenario.data.events ?? []) {
        const timer = setTimeout(
          () => {
            state.timers.delete(timer);
            try {
              applyBesuAction(state.world, state.context, event.action);
              state.context.log(`besu: scenario applied ${event.action.type}`);
            } catch (error) {
              state.context.log(
                `besu: scenario action ${event.action.type} failed: ${error instanceof Error ? error.message : String(error)}`,
              );
            }
          },
          (event.afterSeconds * 1000) / state.context.timeScale,
        );
        state.timers.add(timer);
      }
    },

    async close() {
      const state = started;
      if (state === undefined) return;
      started = undefined;
      for (const timer of state.timers) clearTimeout(timer);
      await state.gateway.close();
      await state.world.close();
      await state.mainnet?.close();
    },
  };
}
