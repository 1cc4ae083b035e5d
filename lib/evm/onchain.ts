/**
 * What the contracts, ccip and funding activities do on one chain, over EvmRpc and the
 * exactly-once sender: read code and balances, make view calls, decode reverts with the
 * contract's ABI, make sure the CREATE2 factory exists. Encoding is ethers' (Interface,
 * Transaction); nothing here hand-writes ABI.
 */
import { FunctionFragment, Interface, keccak256, type InterfaceAbi } from "ethers";
import { CREATE2_FACTORY, FACTORY_DEPLOYMENT } from "./create2.js";
import type { EvmRpc } from "./rpc.js";

const ERC20 = new Interface([
  "function balanceOf(address) view returns (uint256)",
  "function transfer(address,uint256) returns (bool)",
]);

/** `function ` is optional in the spec's signatures. */
export const fragmentOf = (signature: string): string =>
  signature.startsWith("function ") ? signature : `function ${signature}`;

/** A revert's reason: Error(string), Panic(uint256) or a custom error of the ABI, with its arguments. */
export function decodeRevert(data: string, abi: InterfaceAbi = []): string | undefined {
  try {
    const error = new Interface(abi).parseError(data);
    if (error === null) return undefined;
    if (error.name === "Error") return String(error.args[0]);
    return `${error.name}(${error.args.map((arg: unknown) => String(arg)).join(", ")})`;
  } catch {
    return undefined;
  }
}

/** JSON values compared as the spec writes them: addresses case-insensitively, integers by value. */
export function sameValue(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual) || Array.isArray(expected)) {
    if (!Array.isArray(actual) || !Array.isArray(expected) || actual.length !== expected.length) return false;
    return actual.every((item, index) => sameValue(item, expected[index]));
  }
  if (typeof actual === "bigint" || typeof expected === "bigint" || typeof expected === "number")
    return String(actual) === String(expected);
  if (typeof actual === "string" && typeof expected === "string")
    return actual.toLowerCase() === expected.toLowerCase();
  return actual === expected;
}

export class ChainReader {
  constructor(readonly rpc: EvmRpc) {}

  async code(address: string): Promise<string> {
    return String(await this.rpc.call("eth_getCode", [address, "latest"]));
  }

  /** keccak-256 of the runtime code, or undefined when the address has none. */
  async codeHash(address: string): Promise<string | undefined> {
    const code = await this.code(address);
    return code === "0x" ? undefined : keccak256(code);
  }

  /** Calls a view function and returns its first result. */
  async view(to: string, signature: string, args: readonly unknown[]): Promise<unknown> {
    const fragment = FunctionFragment.from(fragmentOf(signature));
    const iface = new Interface([fragment]);
    const data = iface.encodeFunctionData(fragment, args);
    const result = String(await this.rpc.call("eth_call", [{ to, data }, "latest"]));
    return iface.decodeFunctionResult(fragment, result)[0] as unknown;
  }

  /** The balance of an account in the chain's currency or in an ERC-20 token. */
  async balance(account: string, asset: "native" | string): Promise<bigint> {
    if (asset === "native") return this.rpc.quantity("eth_getBalance", [account, "latest"]);
    const data = ERC20.encodeFunctionData("balanceOf", [account]);
    const result = String(await this.rpc.call("eth_call", [{ to: asset, data }, "latest"]));
    return BigInt(ERC20.decodeFunctionResult("balanceOf", result)[0] as bigint);
  }

  /** Whether the CREATE2 factory is deployed here. */
  async hasFactory(): Promise<boolean> {
    return (await this.code(CREATE2_FACTORY)) !== "0x";
  }

  /** What the factory's one-off deployer still needs before its pre-signed deployment can be mined. */
  async factoryDeployerShortfall(): Promise<bigint> {
    const balance = await this.rpc.quantity("eth_getBalance", [FACTORY_DEPLOYMENT.signer, "latest"]);
    return balance >= FACTORY_DEPLOYMENT.cost ? 0n : FACTORY_DEPLOYMENT.cost - balance;
  }

  /** Broadcasts the factory's pre-signed deployment: always the same bytes, so sending it twice is harmless. */
  broadcastFactoryDeployment(): Promise<string> {
    return this.rpc.sendRawTransaction(FACTORY_DEPLOYMENT.raw, "deploy the CREATE2 factory");
  }
}

/** The call data of a function given by its signature. */
export function callData(signature: string, args: readonly unknown[]): string {
  const fragment = FunctionFragment.from(fragmentOf(signature));
  return new Interface([fragment]).encodeFunctionData(fragment, args);
}

/** The call data of an ERC-20 transfer. */
export const erc20Transfer = (to: string, amount: bigint): string => ERC20.encodeFunctionData("transfer", [to, amount]);

/** The amount of an ERC-20 transfer's call data. */
export const erc20TransferAmount = (data: string): bigint =>
  BigInt(ERC20.decodeFunctionData("transfer", data)[1] as bigint);
