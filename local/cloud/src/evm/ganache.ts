/**
 * Loads ganache 7.9.2 as an in-process EVM. Chosen over Hardhat 3's EDR because it installs from
 * the npm registry with no platform binary, runs offline on Node 22 here, and exposes everything
 * the simulation needs through plain JSON-RPC (`miner_stop`, `evm_mine`, `evm_setAccount*`); EDR's
 * provider API is an internal of Hardhat that changes between releases.
 */

/** An EIP-1193-style provider, the part of ganache's API the simulator uses. */
export interface EvmProvider {
  request(call: { method: string; params?: readonly unknown[] }): Promise<unknown>;
  disconnect(): Promise<void>;
}

interface GanacheModule {
  provider(options: Record<string, unknown>): EvmProvider;
}

let loaded: GanacheModule | undefined;

function ganacheModule(): GanacheModule {
  if (loaded === undefined) {
    // ganache's bundled WebSocket server probes for a native uWS build at load time and warns
    // on stderr when there is none; the simulator never starts that server, so the warning is noise.
    const originalWarn = console.warn;
    console.warn = () => undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, inside the warning filter above
      loaded = require("ganache") as GanacheModule;
    } finally {
      console.warn = originalWarn;
    }
  }
  return loaded;
}

/** An account to create before the chain starts. */
export interface EvmAccount {
  address: string;
  balance: bigint;
  nonce?: bigint;
  /** 0x runtime code. */
  code?: string;
  /** 32-byte slot → 32-byte value, 0x-hex. */
  storage?: Record<string, string>;
}

/** Settings of one in-process EVM chain. */
export interface EvmChainSettings {
  chainId: number;
  /** Block gas limit (hex quantity). */
  gasLimit: string;
  accounts: readonly EvmAccount[];
}

/** A started EVM and how many blocks its account setup used (ganache mines one per `evm_setAccount*`). */
export interface StartedEvm {
  provider: EvmProvider;
  setupBlocks: number;
}

const quantity = (value: bigint): string => `0x${value.toString(16)}`;

/** Calls that put transactions into ganache's pool or mine them: never two at once (see {@link oneWriteAtATime}). */
const WRITES = new Set(["eth_sendRawTransaction", "evm_mine"]);

/**
 * The provider with its writes taken one at a time. ganache 7.9.2's pool decides whether a
 * transaction is executable from the sender's nonce in the last *saved* block; one that arrives
 * while the sender's previous transaction is being mined (out of the pool, its block not saved
 * yet) looks like it leaves a nonce gap, so it goes to the future queue, which only a later
 * transaction of the same sender promotes (ganache's own comment in transaction-pool.ts names this
 * race). A sender sending back to back then had its last transaction wait for its replacement,
 * and Chain 138, whose blocks are mined on a timer, met it whenever a send overlapped a block.
 * Real nodes count pending transactions; taking sends and mining in turn restores that here.
 */
function oneWriteAtATime(provider: EvmProvider): EvmProvider {
  let writing: Promise<unknown> = Promise.resolve();
  return {
    request(call) {
      if (!WRITES.has(call.method)) return provider.request(call);
      const result = writing.then(() => provider.request(call));
      writing = result.catch(() => undefined);
      return result;
    },
    disconnect: () => provider.disconnect(),
  };
}

/** Starts a ganache chain (latest hardfork it supports, no pre-funded accounts) and creates the accounts. */
export async function startEvm(settings: EvmChainSettings): Promise<StartedEvm> {
  const provider = oneWriteAtATime(
    ganacheModule().provider({
      chain: { chainId: settings.chainId, networkId: settings.chainId, hardfork: "shanghai" },
      logging: { quiet: true },
      miner: { instamine: "eager", blockGasLimit: settings.gasLimit },
      wallet: { totalAccounts: 0 },
    }),
  );
  let setupBlocks = 0;
  const call = async (method: string, params: unknown[]): Promise<void> => {
    await provider.request({ method, params });
    setupBlocks += 1;
  };
  for (const account of settings.accounts) {
    if (account.balance > 0n) await call("evm_setAccountBalance", [account.address, quantity(account.balance)]);
    if (account.nonce !== undefined && account.nonce > 0n)
      await call("evm_setAccountNonce", [account.address, quantity(account.nonce)]);
    if (account.code !== undefined && account.code !== "0x")
      await call("evm_setAccountCode", [account.address, account.code]);
    for (const [slot, value] of Object.entries(account.storage ?? {}))
      await call("evm_setAccountStorageAt", [account.address, slot, value]);
  }
  return { provider, setupBlocks };
}
