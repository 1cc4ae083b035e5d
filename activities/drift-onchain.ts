/**
 * The handler of `checkOnChainDrift` (activities/drift-contracts.ts): one chain's contracts and
 * CCIP lane read through the on-chain adapter (lib/evm, activities/onchain.ts) and compared with
 * the baseline by lib/domain/drift/contracts.ts. Reads only — code, view calls, balances — and
 * never a transaction. The chain is asked for its id first: an endpoint that does not answer is
 * a transient failure the orchestrator retries (and then reports as unknown); one serving another
 * chain makes everything on it unknown. A read that fails later is unknown for that item alone.
 * `define` comes from activities/factory.ts as an argument, so this module does not import it.
 */
import { isError } from "ethers";
import { KNOWN_CHAIN_SELECTORS } from "../lib/domain/chain-selectors.js";
import { CHAIN_ROLES } from "../lib/domain/contracts-spec.js";
import {
  contractsDrift,
  type ObservedBalance,
  type ObservedCheck,
  type ObservedCode,
} from "../lib/domain/drift/contracts.js";
import { renderValue } from "../lib/domain/drift/kubernetes.js";
import type { DeployedContract } from "../lib/domain/onchain-status.js";
import { ClassifiedError } from "../lib/errors.js";
import { ChainReader, decodeRevert, sameValue } from "../lib/evm/onchain.js";
import { EvmRpc, RevertError } from "../lib/evm/rpc.js";
import * as contracts from "./drift-contracts.js";
import { define } from "./define.js";
import { OnChain, type OnChainDependencies } from "./onchain.js";
import type { AddressBook, OnChainContext } from "./onchain-contracts.js";

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A read's answer, or why it could not be had (a transient fault of the endpoint included). */
async function observing<T extends object>(read: () => Promise<T>): Promise<T | { failed: string }> {
  try {
    return await read();
  } catch (error) {
    return { failed: message(error) };
  }
}

/** A view call's result as JSON (ethers gives bigints and array-like Results). */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return Array.from(value, plain);
  return value;
}

export function driftOnChainActivities(deps: OnChainDependencies) {
  const onChain = new OnChain(deps);

  /** Existing contracts named in the spec (literal or from app settings) and the recorded deployments. */
  const addressBook = (
    spec: Awaited<ReturnType<OnChain["spec"]>>,
    recorded: readonly DeployedContract[],
  ): AddressBook => {
    const book: AddressBook = { chain138: {}, mainnet: {} };
    for (const role of CHAIN_ROLES)
      for (const [name, source] of Object.entries(spec.chains[role].existing))
        book[role][name] =
          typeof source === "string" ? source : onChain.setting(source.setting, `address of ${role}.${name}`);
    for (const contract of recorded) book[contract.chain][contract.name] = contract.address;
    return book;
  };

  return {
    checkOnChainDrift: define(contracts.checkOnChainDrift, async ({ specDocument, chain, contracts: recorded }) => {
      const spec = await onChain.spec(specDocument);
      const reader = new ChainReader(
        new EvmRpc(onChain.setting(spec.chains[chain].rpcUrlSetting, `${chain} RPC URL`), chain),
      );
      const steps = (spec.ccip?.steps ?? [])
        .map((step, index) => ({ step, index }))
        .filter(({ step }) => step.chain === chain);
      const topUps = (spec.funding?.topUps ?? []).filter((topUp) => topUp.chain === chain);
      const mine = recorded.filter((contract) => contract.chain === chain);
      const expectation = (desired: Map<string, string>) => ({
        chain,
        contracts: mine,
        steps: steps.map(({ step }) => ({
          name: step.name,
          check: step.check,
          desired: desired.get(step.name) ?? "?",
        })),
        topUps: topUps.map((topUp) => ({ name: topUp.name, asset: topUp.asset, target: topUp.target })),
        minimumBalances: spec.drift.minimumBalances,
      });

      // A transient failure here is retried by the orchestrator: the endpoint may be back soon.
      const answered = Number(await reader.rpc.quantity("eth_chainId"));
      const expectedId = onChain.chainId(spec, chain);
      if (answered !== expectedId) {
        const failed = {
          failed: `the RPC URL in ${spec.chains[chain].rpcUrlSetting} serves chain ${answered}, not ${expectedId}`,
        };
        const allFailed = (names: string[]) => new Map(names.map((name) => [name, failed]));
        return {
          ok: true as const,
          ...contractsDrift(expectation(new Map()), {
            code: allFailed(mine.map((contract) => contract.name)),
            checks: allFailed(steps.map(({ step }) => step.name)),
            balances: allFailed(topUps.map((topUp) => topUp.name)),
          }),
        };
      }

      const code = new Map<string, ObservedCode>();
      for (const contract of mine)
        code.set(
          contract.name,
          await observing(async () => ({ codeHash: (await reader.codeHash(contract.address)) ?? null })),
        );

      const desired = new Map<string, string>();
      const checks = new Map<string, ObservedCheck>();
      const context = await observing(async (): Promise<OnChainContext> => ({
        network: spec.network.name,
        // Names journal entries of sends only, and a drift check sends nothing.
        rolloutId: "drift",
        specDocument,
        // `${deployer}` may appear in a step or a top-up: its address comes from Key Vault (public key).
        deployer: steps.length + topUps.length === 0 ? "" : await onChain.signer().address(),
        selectors: {
          chain138: spec.chains.chain138.chainSelector,
          mainnet: spec.chains.mainnet.chainSelector ?? KNOWN_CHAIN_SELECTORS.get(spec.chains.mainnet.chainId) ?? "",
        },
        addresses: addressBook(spec, recorded),
      }));
      for (const { step, index } of steps) {
        if ("failed" in context) {
          checks.set(step.name, { failed: `its references could not be resolved: ${context.failed}` });
          continue;
        }
        const calls = await observing(async () => onChain.stepCalls(spec, index, context));
        if ("failed" in calls) {
          checks.set(step.name, { failed: `its references could not be resolved: ${calls.failed}` });
          continue;
        }
        desired.set(step.name, renderValue(calls.equals));
        checks.set(step.name, await checkStep(reader, calls));
      }

      const balances = new Map<string, ObservedBalance>();
      for (const topUp of topUps)
        balances.set(
          topUp.name,
          await observing(async () => {
            if ("failed" in context) throw new Error(context.failed);
            const account = String(onChain.resolve(topUp.account, context));
            const asset = topUp.asset === "native" ? "native" : String(onChain.resolve(topUp.asset, context));
            return { balance: (await reader.balance(account, asset)).toString() };
          }),
        );
      return { ok: true as const, ...contractsDrift(expectation(desired), { code, checks, balances }) };
    }),
  };
}

/**
 * An ensure-step's view call. A revert, or an answer that does not decode (no code there any
 * more), is the chain's answer: the state does not hold. Only a failure to ask is unknown.
 */
async function checkStep(reader: ChainReader, calls: ReturnType<OnChain["stepCalls"]>): Promise<ObservedCheck> {
  try {
    const actual = await reader.view(calls.contract, calls.step.check.function, calls.checkArgs);
    return { holds: sameValue(actual, calls.equals), actual: renderValue(plain(actual)) };
  } catch (error) {
    if (error instanceof RevertError) {
      const reason = error.data === undefined ? undefined : decodeRevert(error.data, calls.abi);
      return { holds: false, actual: `reverted${reason === undefined ? "" : `: ${reason}`}` };
    }
    if (isError(error, "BAD_DATA")) return { holds: false, actual: `no decodable answer from ${calls.contract}` };
    return { failed: error instanceof ClassifiedError ? error.message : message(error) };
  }
}
