/**
 * A stand-in for Ethereum mainnet (chain id 1): an instamining EVM with Chainlink's CCIP side
 * deployed from the real creation bytecode of @chainlink/contracts-ccip 2.0.0 — Router 1.2.0,
 * a mock RMN behind the RMN proxy, a LINK stand-in (the package's BurnMintERC20; it ships no LINK
 * token) and a wrapped-native stand-in (same contract, since the package ships no WETH9). The
 * contracts belong to a separate "Chainlink" account, so the operator's deployer cannot
 * reconfigure them, as on mainnet. Addresses differ from mainnet's; read them from cloud.json.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Interface, Wallet, type InterfaceAbi } from "ethers";
import type { DevAccounts } from "./dev-accounts.js";
import { startEvm, type EvmProvider } from "./ganache.js";
import type { EvmRequestFaults } from "./request-faults.js";
import { serveEvm, type EvmRpcServer } from "./rpc-server.js";

/** Ethereum mainnet's CCIP chain selector. */
export const MAINNET_CHAIN_SELECTOR = "5009297550715157269";

const ETHER = 10n ** 18n;
const LINK_SUPPLY = 1_000_000_000n * ETHER;
/** LINK the operator's deployer holds to fund its contracts. */
const DEPLOYER_LINK = 10_000n * ETHER;

/** Where the mainnet stand-in is and what is deployed on it. */
export interface MainnetInfo {
  chainId: 1;
  rpcUrl: string;
  chainSelector: string;
  contracts: { router: string; rmn: string; rmnProxy: string; link: string; wrappedNative: string };
  /** Owner of the Chainlink contracts (not the operator). */
  chainlinkOwner: string;
}

function packagePath(...parts: string[]): string {
  return join(require.resolve("@chainlink/contracts-ccip/package.json"), "..", ...parts);
}

/** ABI and creation bytecode of a contract shipped by @chainlink/contracts-ccip. */
export function ccipArtifact(version: string, name: string): { abi: InterfaceAbi; bytecode: string } {
  const abi = JSON.parse(readFileSync(packagePath("abi", version, `${name}.json`), "utf8")) as InterfaceAbi;
  const bytecode = readFileSync(packagePath("bytecode", version, `${name}.bin`), "utf8").trim();
  return { abi, bytecode: bytecode.startsWith("0x") ? bytecode : `0x${bytecode}` };
}

async function waitForReceipt(provider: EvmProvider, hash: string): Promise<Record<string, unknown>> {
  for (;;) {
    const receipt = await provider.request({ method: "eth_getTransactionReceipt", params: [hash] });
    if (typeof receipt === "object" && receipt !== null) return { ...receipt };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A running mainnet stand-in. */
export class MainnetStandIn {
  private constructor(
    readonly info: MainnetInfo,
    private readonly provider: EvmProvider,
    private readonly server: EvmRpcServer,
  ) {}

  /**
   * `deployer` is the operator's address (funded with ether and LINK); Chainlink's owner signs the
   * setup. `faults`: the cloud's `evm` fault rules (chain `mainnet`) for its JSON-RPC endpoint.
   */
  static async start(accounts: DevAccounts & { deployer: string }, faults?: EvmRequestFaults): Promise<MainnetStandIn> {
    const { provider } = await startEvm({
      chainId: 1,
      gasLimit: "0x1c9c380",
      accounts: [
        { address: accounts.deployer, balance: 1_000n * ETHER },
        { address: accounts.chainlinkOwner.address, balance: 1_000n * ETHER },
      ],
    });
    const owner = new Wallet(accounts.chainlinkOwner.privateKey);
    let nonce = 0;
    const send = async (to: string | undefined, data: string): Promise<Record<string, unknown>> => {
      const gasPrice = BigInt(String(await provider.request({ method: "eth_gasPrice", params: [] })));
      const raw = await owner.signTransaction({
        chainId: 1,
        nonce: nonce++,
        gasLimit: 10_000_000,
        gasPrice: gasPrice * 2n,
        to,
        data,
        type: 0,
      });
      const hash = String(await provider.request({ method: "eth_sendRawTransaction", params: [raw] }));
      const receipt = await waitForReceipt(provider, hash);
      if (receipt.status !== "0x1") throw new Error(`mainnet stand-in setup transaction ${hash} reverted`);
      return receipt;
    };
    const deploy = async (version: string, name: string, args: readonly unknown[]): Promise<string> => {
      const { abi, bytecode } = ccipArtifact(version, name);
      const receipt = await send(undefined, bytecode + new Interface(abi).encodeDeploy(args).slice(2));
      return String(receipt.contractAddress);
    };
    const tokenVersion = "v1_6_2";
    const link = await deploy(tokenVersion, "factory_burn_mint_erc20", [
      "ChainLink Token",
      "LINK",
      18,
      LINK_SUPPLY,
      LINK_SUPPLY,
      owner.address,
    ]);
    const wrappedNative = await deploy(tokenVersion, "factory_burn_mint_erc20", [
      "Wrapped Ether",
      "WETH",
      18,
      0,
      0,
      owner.address,
    ]);
    const rmn = await deploy("v1_5_0", "mock_rmn_contract", []);
    const rmnProxy = await deploy("latest", "rmn_proxy_contract", [rmn]);
    const router = await deploy("latest", "router", [wrappedNative, rmnProxy]);
    const token = new Interface(ccipArtifact(tokenVersion, "factory_burn_mint_erc20").abi);
    await send(link, token.encodeFunctionData("transfer", [accounts.deployer, DEPLOYER_LINK]));
    const server = await serveEvm(provider, faults === undefined ? undefined : { faults, chain: "mainnet" });
    return new MainnetStandIn(
      {
        chainId: 1,
        rpcUrl: server.url,
        chainSelector: MAINNET_CHAIN_SELECTOR,
        contracts: { router, rmn, rmnProxy, link, wrappedNative },
        chainlinkOwner: owner.address.toLowerCase(),
      },
      provider,
      server,
    );
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.provider.disconnect();
  }
}
