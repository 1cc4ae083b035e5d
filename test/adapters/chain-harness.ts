/**
 * Set-up of the on-chain adapter tests: the simulated cloud (its mainnet stand-in and Key Vault)
 * in a temporary directory, Azurite for the state documents, and the deployer's signer on the
 * simulated Key Vault key. Chain 138's RPC setting points at a port nothing listens on: these
 * tests run no Besu network.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BesuCloudFieldsSchema, createBesuPlugin, startCloud, type RunningCloud } from "@besu-fleet/local-cloud";
import { startAzurite } from "@besu-fleet/local-support";
import { deployerSigner } from "../../lib/evm/key-vault-signer.js";
import type { TransactionSigner } from "../../lib/evm/signer.js";
import { DocumentStore } from "../../lib/state/documents.js";

export interface ChainCloud {
  cloud: RunningCloud;
  documents: DocumentStore;
  signer: TransactionSigner;
  /** The mainnet stand-in: its RPC URL and Chainlink's contracts deployed there. */
  mainnet: { rpcUrl: string; contracts: { router: string } };
  /** App settings of the on-chain activities: mainnet's RPC URL, and Chain 138's, which is down. */
  settings: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startChainCloud(prefix: string): Promise<ChainCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const azurite = await startAzurite();
  const cloud = await startCloud({ dataDir, plugins: [createBesuPlugin()], log: () => undefined });
  const close = async () => {
    await cloud.close();
    await azurite.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const { evm } = BesuCloudFieldsSchema.parse(cloud.connection);
  if (!evm.mainnet) await close();
  assert.ok(evm.mainnet, "the mainnet stand-in runs");
  const signer = deployerSigner({
    mode: "simulator",
    keyId: cloud.connection.keyVault.deployerKeyId,
    caCertificate: readFileSync(cloud.connection.caCertPath, "utf8"),
  });
  return {
    cloud,
    documents: new DocumentStore(azurite.connectionString, "besu-fleet-state"),
    signer,
    mainnet: evm.mainnet,
    // Nothing listens on port 9.
    settings: { BESU_FLEET_MAINNET_RPC_URL: evm.mainnet.rpcUrl, BESU_FLEET_CHAIN138_RPC_URL: "http://127.0.0.1:9/" },
    close,
  };
}
