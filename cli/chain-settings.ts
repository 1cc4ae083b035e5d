/**
 * The app settings that point the on-chain phases at the simulated cloud's chains: the RPC URLs
 * the spec's `chains.<chain>.rpcUrlSetting` defaults name, and the addresses of Chainlink's
 * contracts on the mainnet stand-in (which differ from mainnet's), for `existing: {setting: …}`.
 * `besu-fleet local up` passes them to the app; in Azure the operator sets them.
 */
import { z } from "zod";

const evmFieldsSchema = z.object({
  evm: z.object({
    chain138: z.object({ rpcUrl: z.string() }),
    mainnet: z
      .object({
        rpcUrl: z.string(),
        contracts: z.object({ router: z.string(), rmnProxy: z.string(), link: z.string() }),
      })
      .optional(),
  }),
});

/** Settings from the simulated cloud's connection file (cloud.json); none when it runs no chains. */
export function simulatedChainSettings(connection: unknown): Record<string, string> {
  const parsed = evmFieldsSchema.safeParse(connection);
  if (!parsed.success) return {};
  const { chain138, mainnet } = parsed.data.evm;
  return {
    BESU_FLEET_CHAIN138_RPC_URL: chain138.rpcUrl,
    ...(mainnet === undefined
      ? {}
      : {
          BESU_FLEET_MAINNET_RPC_URL: mainnet.rpcUrl,
          BESU_FLEET_MAINNET_CCIP_ROUTER: mainnet.contracts.router,
          BESU_FLEET_MAINNET_CCIP_RMN_PROXY: mainnet.contracts.rmnProxy,
          BESU_FLEET_MAINNET_LINK: mainnet.contracts.link,
        }),
  };
}
