/**
 * Handlers of the on-chain activities (activities/onchain-contracts.ts): thin adapters from the
 * spec's contracts, ccip and funding sections to lib/evm. Each call sends at most one
 * transaction, through the exactly-once sender (journal first); every failure is returned as
 * data by `define` — a revert with its reason decoded from the contract's ABI, missing funds with
 * the account and the amount needed, a cap that would be exceeded before anything is sent.
 */
import { AbiCoder, type InterfaceAbi } from "ethers";
import { parseReference, resolveValue, type Reference } from "../lib/domain/contracts-references.js";
import type { ChainRole, ContractValue } from "../lib/domain/contracts-spec.js";
import { desiredStateSchema, type DesiredState } from "../lib/domain/spec.js";
import { ConfigError } from "../lib/config.js";
import { ClassifiedError } from "../lib/errors.js";
import { initCode, loadArtifact } from "../lib/evm/artifacts.js";
import { create2Address, CREATE2_FACTORY, FACTORY_DEPLOYMENT, factoryCallData } from "../lib/evm/create2.js";
import { JournalStore } from "../lib/evm/journal-store.js";
import { callData, ChainReader, decodeRevert, erc20Transfer } from "../lib/evm/onchain.js";
import { EvmRpc } from "../lib/evm/rpc.js";
import { ExactlyOnceSender, permanentSendError, RECEIPT_POLL_MS, type TransactionRequest } from "../lib/evm/sender.js";
import type { TransactionSigner } from "../lib/evm/signer.js";
import type { JournalEntry } from "../lib/domain/tx-journal.js";
import type { DocumentStore } from "../lib/state/documents.js";
import type { OnChainContext } from "./onchain-contracts.js";

/** What the on-chain handlers run on. */
export interface OnChainDependencies {
  documents: DocumentStore;
  /** The deployer's signer (lib/evm/signers.ts builds it from the configuration). */
  signer: () => TransactionSigner;
  /** App settings: the RPC URLs and existing addresses the spec names by setting. */
  settings: NodeJS.ProcessEnv;
  /** A broadcast transaction unmined this long is replaced with a higher fee (default 60 s). */
  stuckAfterSeconds?: number;
}

/** How long one call waits for its transaction to be mined before it answers "pending". */
const WAIT_SECONDS = 10;

/** One chain as the handlers use it: reader, sender, the journal names of its intents. */
export interface ChainHandle {
  role: ChainRole;
  reader: ChainReader;
  sender: ExactlyOnceSender;
}

/** A spec with its on-chain sections. */
type OnChainSpec = DesiredState & { chains: NonNullable<DesiredState["chains"]> };

/** Spec documents kept per process (each rollout's is written once and never changes). */
const SPEC_CACHE_SIZE = 8;

export class OnChain {
  private readonly journal: JournalStore;
  private readonly specs = new Map<string, Promise<OnChainSpec>>();

  constructor(private readonly deps: OnChainDependencies) {
    this.journal = new JournalStore(deps.documents);
  }

  /** A rollout's spec document; written once per rollout, so a process keeps the last few it read. */
  spec(name: string): Promise<OnChainSpec> {
    let read = this.specs.get(name);
    if (read === undefined) {
      read = this.deps.documents.readDocument(name).then((stored) => {
        const spec = desiredStateSchema.parse(stored);
        if (spec.chains === undefined) throw new Error(`${name} has no chains section`);
        return { ...spec, chains: spec.chains };
      });
      this.specs.set(name, read);
      if (this.specs.size > SPEC_CACHE_SIZE) this.specs.delete(this.specs.keys().next().value as string);
      read.catch(() => this.specs.delete(name));
    }
    return read;
  }

  setting(name: string, purpose: string): string {
    const value = this.deps.settings[name]?.trim();
    if (value === undefined || value === "")
      throw new ClassifiedError(`read app setting ${name}`, {
        retryable: false,
        kind: "invalid",
        code: "ConfigurationError",
        message: `app setting ${name} (${purpose}) is not set`,
      });
    return value;
  }

  chainId(spec: DesiredState, role: ChainRole): number {
    return role === "chain138" ? spec.network.chainId : (spec.chains?.mainnet.chainId ?? 1);
  }

  chain(spec: OnChainSpec, role: ChainRole): ChainHandle {
    const rpc = new EvmRpc(this.setting(spec.chains[role].rpcUrlSetting, `${role} RPC URL`), role);
    const sender = new ExactlyOnceSender(rpc, this.signer(), this.journal, {
      chainId: this.chainId(spec, role),
      network: spec.network.name,
      stuckAfterSeconds: this.deps.stuckAfterSeconds ?? 60,
      waitSeconds: WAIT_SECONDS,
    });
    return { role, reader: new ChainReader(rpc), sender };
  }

  /**
   * A chain to send on: its handle once every transaction the deployer left unfinished there is
   * settled (ExactlyOnceSender.settle), so that what the handler then reads from the chain (code
   * at an address, a check holding, a balance) cannot hide a journaled transaction still on its way.
   */
  async settledChain(spec: OnChainSpec, role: ChainRole): Promise<ChainHandle> {
    const handle = this.chain(spec, role);
    await handle.sender.settle();
    return handle;
  }

  /** The journal entry of an intent, if it was ever signed. */
  journaled(journalName: readonly string[]): Promise<JournalEntry | undefined> {
    return this.journal.read(JournalStore.entryName(journalName));
  }

  /** The deployer's signer; a missing key is a configuration problem, not an internal error. */
  signer(): TransactionSigner {
    try {
      return this.deps.signer();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ClassifiedError("sign", {
        retryable: false,
        kind: "invalid",
        code: "ConfigurationError",
        message: error.message,
      });
    }
  }

  /** Resolves references against what the orchestration knows. */
  resolve(value: ContractValue, context: OnChainContext): ContractValue {
    return resolveValue(value, (reference: Reference) => {
      if (reference.kind === "deployer") return context.deployer;
      if (reference.kind === "selector") return context.selectors[reference.chain];
      const address = context.addresses[reference.chain][reference.name];
      if (address === undefined) throw new Error(`\${${reference.chain}.${reference.name}} is not deployed yet`);
      return reference.abiEncoded ? AbiCoder.defaultAbiCoder().encode(["address"], [address]) : address;
    });
  }

  /**
   * Moves independent intents forward together (ExactlyOnceSender.advanceAll: in one call,
   * consecutive nonces); a mined revert, a dropped entry or a send the chain refuses becomes a
   * permanent ClassifiedError naming that intent, with its reason decoded from its `abi`.
   */
  async sendAll(
    handle: ChainHandle,
    sends: readonly { journalName: string[]; request: TransactionRequest; abi?: InterfaceAbi }[],
  ): Promise<{ mined: boolean; hash: string; contractAddress: string | null }[]> {
    const stepOf = (index: number) => `${sends[index]?.request.intent ?? "send"} on ${handle.role}`;
    const decoder = (index: number) => (data: string) => decodeRevert(data, sends[index]?.abi ?? []);
    const { entries, failed } = await handle.sender.advanceAll(
      sends.map(({ journalName, request }) => ({ name: JournalStore.entryName(journalName), request })),
    );
    if (failed !== undefined)
      throw permanentSendError(stepOf(failed.index), failed.error, decoder(failed.index)) ?? failed.error;
    const results = [];
    for (const [index, entry] of entries.entries()) {
      const send = sends[index] as (typeof sends)[number];
      // Not sent yet in this call (the one before it did not get mined in time): pending.
      if (entry === undefined) {
        results.push({ mined: false, hash: "", contractAddress: null });
        continue;
      }
      const hash = entry.mined?.hash ?? entry.attempts[entry.attempts.length - 1]?.hash ?? "";
      if (entry.state === "dropped")
        throw new ClassifiedError(stepOf(index), {
          retryable: false,
          kind: "conflict",
          code: "NonceConsumed",
          message: entry.droppedReason ?? "dropped",
        });
      if (entry.mined?.receipt.status === "reverted") {
        const reason = await this.revertReason(handle, send.request, entry.mined.receipt.blockNumber, send.abi ?? []);
        throw new ClassifiedError(stepOf(index), {
          retryable: false,
          kind: "rpc",
          code: "Reverted",
          message: `transaction ${hash} reverted${reason === undefined ? "" : `: ${reason}`}`,
        });
      }
      results.push({
        mined: entry.state === "mined",
        hash,
        contractAddress: entry.mined?.receipt.contractAddress ?? null,
      });
    }
    return results;
  }

  /** {@link sendAll} for one intent. */
  async send(handle: ChainHandle, journalName: string[], request: TransactionRequest, abi: InterfaceAbi = []) {
    const [result] = await this.sendAll(handle, [{ journalName, request, abi }]);
    if (result === undefined) throw new Error(`no result for ${request.intent}`);
    return result;
  }

  /** Replays a mined, reverted transaction as a call at its block to read the reason. */
  private async revertReason(handle: ChainHandle, request: TransactionRequest, block: number, abi: InterfaceAbi) {
    try {
      const from = await this.signer().address();
      await handle.reader.rpc.call("eth_call", [
        { from, to: request.to, data: request.data, value: `0x${request.value.toString(16)}` },
        `0x${Math.max(0, block - 1).toString(16)}`,
      ]);
      return undefined;
    } catch (error) {
      const data = (error as { data?: unknown }).data;
      return typeof data === "string" ? decodeRevert(data, abi) : undefined;
    }
  }

  /** What a deployment sends (through the factory, or directly) and where it lands. */
  deploymentRequest(
    spec: OnChainSpec,
    role: ChainRole,
    name: string,
    context: OnChainContext,
  ): { request: TransactionRequest; abi: InterfaceAbi; predicted?: string } {
    const deployment = spec.contracts?.[role].find((entry) => entry.name === name);
    if (deployment === undefined) throw new Error(`no deployment ${name} on ${role}`);
    const artifact = loadArtifact(deployment.artifact);
    const args = this.resolve(deployment.args, context) as unknown[];
    const code = initCode(artifact, args);
    if (deployment.via === "create")
      return { request: { intent: `deploy ${name}`, to: null, data: code, value: 0n }, abi: artifact.abi };
    const salt = deployment.salt ?? deployment.name;
    const predicted = create2Address(salt, code);
    return {
      request: {
        intent: `deploy ${name}`,
        to: CREATE2_FACTORY,
        data: factoryCallData(salt, code),
        value: 0n,
        predictedAddress: predicted,
      },
      abi: artifact.abi,
      predicted,
    };
  }

  /** The view call and the transactions of a step, resolved. */
  stepCalls(spec: OnChainSpec, index: number, context: OnChainContext) {
    const step = spec.ccip?.steps[index];
    if (step === undefined) throw new Error(`no ccip step ${index}`);
    const contract = String(this.resolve(step.contract, context));
    // A step on one of our deployments decodes its reverts (custom errors included) with that ABI.
    const target = parseReference(step.contract);
    const deployment =
      typeof target === "object" && target.kind === "contract"
        ? spec.contracts?.[target.chain].find((entry) => entry.name === target.name)
        : undefined;
    return {
      step,
      contract,
      abi: deployment === undefined ? [] : loadArtifact(deployment.artifact).abi,
      checkArgs: this.resolve(step.check.args, context) as unknown[],
      equals: this.resolve(step.check.equals, context),
      sends: step.send.map((send, sendIndex) => ({
        request: {
          intent: `ccip ${step.name} #${sendIndex}`,
          to: contract,
          data: callData(send.function, this.resolve(send.args, context) as unknown[]),
          value: BigInt(send.value),
        },
      })),
    };
  }

  /** The balance of a top-up's account and the request that brings it to target (if any is needed). */
  async topUpPlan(handle: ChainHandle, account: string, asset: string, target: bigint, intent: string) {
    const balance = await handle.reader.balance(account, asset);
    const needed = balance >= target ? 0n : target - balance;
    const request: TransactionRequest =
      asset === "native"
        ? { intent, to: account, data: "0x", value: needed }
        : { intent, to: asset, data: erc20Transfer(account, needed), value: 0n };
    return { balance, needed, request };
  }

  /**
   * Makes sure the CREATE2 factory exists: funds its one-off deployer, broadcasts its pre-signed
   * deployment and waits (up to the sender's wait) for its code, all in one call when the chain
   * mines in time — a `pending` answer costs the orchestrator a durable timer. `handle` must be
   * settled (settledChain): the balance alone cannot say a funding transfer on its way was ours.
   */
  async ensureFactory(
    handle: ChainHandle,
    network: string,
  ): Promise<{ ready: boolean; hash?: string; detail: string }> {
    if (await handle.reader.hasFactory()) return { ready: true, detail: "factory present" };
    const shortfall = await handle.reader.factoryDeployerShortfall();
    if (shortfall > 0n) {
      const sent = await this.send(handle, [network, "factory", handle.role, "fund"], {
        intent: "fund the CREATE2 factory's one-off deployer",
        to: FACTORY_DEPLOYMENT.signer,
        data: "0x",
        value: shortfall,
      });
      if (!sent.mined) return { ready: false, hash: sent.hash, detail: "funding the CREATE2 factory's deployer" };
    }
    const hash = await handle.reader.broadcastFactoryDeployment();
    const until = Date.now() + WAIT_SECONDS * 1000;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS));
      if (await handle.reader.hasFactory()) return { ready: true, hash, detail: "factory deployed" };
    }
    return { ready: false, hash, detail: "deploying the CREATE2 factory" };
  }
}
