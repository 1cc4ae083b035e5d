/**
 * The on-chain activities as handlers (registered beside the others by activities/factory.ts):
 * resolve the chains, deploy a wave of contracts, ensure one CCIP step, top up one account,
 * verify. Each one settles the deployer's journal on its chain, then decides from the chain
 * (code present, check holding, balance at target) and sends at most one transaction per intent
 * per call; the journal names make a retried call continue the
 * same transaction instead of sending a new one.
 */
import { keccak256, Transaction } from "ethers";
import type { z } from "zod";
import { KNOWN_CHAIN_SELECTORS } from "../lib/domain/chain-selectors.js";
import { CHAIN_ROLES } from "../lib/domain/contracts-spec.js";
import { ClassifiedError } from "../lib/errors.js";
import type { JournalEntry } from "../lib/domain/tx-journal.js";
import { erc20TransferAmount, sameValue } from "../lib/evm/onchain.js";
import { define } from "./define.js";
import { OnChain, type OnChainDependencies } from "./onchain.js";
import * as contracts from "./onchain-contracts.js";

/** The contracts, by activity name (activities/factory.ts adds them to its table). */
export const onChainActivityContracts = {
  resolveChains: contracts.resolveChains,
  deployContracts: contracts.deployContracts,
  ensureStep: contracts.ensureStep,
  topUp: contracts.topUp,
  verifyOnChain: contracts.verifyOnChain,
} as const;

/** What a journaled top-up moves: its value, or the amount of its ERC-20 transfer. */
function transferredAmount(entry: JournalEntry, asset: string): bigint {
  if (asset === "native") return BigInt(entry.value);
  const data = Transaction.from(entry.attempts[0]?.raw ?? "").data;
  return erc20TransferAmount(data);
}

const permanent = (step: string, code: string, message: string) =>
  new ClassifiedError(step, { retryable: false, kind: "invalid", code, message });

export function createOnChainActivities(deps: OnChainDependencies) {
  const onChain = new OnChain(deps);
  return {
    resolveChains: define(contracts.resolveChains, async ({ specDocument }) => {
      const spec = await onChain.spec(specDocument);
      const existing = { chain138: {}, mainnet: {} } as Record<(typeof CHAIN_ROLES)[number], Record<string, string>>;
      for (const role of CHAIN_ROLES) {
        const handle = onChain.chain(spec, role);
        const answered = Number(await handle.reader.rpc.quantity("eth_chainId"));
        if (answered !== onChain.chainId(spec, role))
          throw permanent(
            `check ${role}`,
            "WrongChain",
            `the RPC URL in ${spec.chains[role].rpcUrlSetting} serves chain ${answered}, not ${onChain.chainId(spec, role)}`,
          );
        for (const [name, source] of Object.entries(spec.chains[role].existing))
          existing[role][name] =
            typeof source === "string" ? source : onChain.setting(source.setting, `address of ${role}.${name}`);
      }
      return {
        ok: true as const,
        deployer: await onChain.signer().address(),
        selectors: {
          chain138: spec.chains.chain138.chainSelector,
          mainnet: spec.chains.mainnet.chainSelector ?? KNOWN_CHAIN_SELECTORS.get(spec.chains.mainnet.chainId) ?? "",
        },
        existing,
      };
    }),

    deployContracts: define(contracts.deployContracts, async ({ context, chain, names }) => {
      const spec = await onChain.spec(context.specDocument);
      const handle = await onChain.settledChain(spec, chain);
      const progress = new Map<string, z.infer<typeof contracts.deploymentProgressSchema>>();
      const toSend = [];
      // The wave's deployments are independent: their addresses are looked at together.
      const looked = await Promise.all(
        names.map(async (name) => {
          const { request, abi, predicted } = onChain.deploymentRequest(spec, chain, name, context);
          // The init code is in the name: a deployment whose code or arguments change is a new intent.
          const journalName = [context.network, "deploy", chain, `${name}-${keccak256(request.data).slice(2, 10)}`];
          const codeHash = predicted === undefined ? undefined : await handle.reader.codeHash(predicted);
          // The journal is settled, so a deployment of ours that was mined says so here.
          const mined = codeHash === undefined ? undefined : (await onChain.journaled(journalName))?.mined;
          return { name, journalName, request, abi, predicted, codeHash, mined };
        }),
      );
      for (const { name, journalName, request, abi, predicted, codeHash, mined } of looked) {
        if (predicted !== undefined && codeHash !== undefined)
          progress.set(name, {
            name,
            progress: "done",
            address: predicted,
            codeHash,
            alreadyPresent: mined === undefined,
            ...(mined === undefined ? {} : { hash: mined.hash }),
          });
        else toSend.push({ name, journalName, request, abi, predicted });
      }
      const inOrder = () => names.flatMap((name) => progress.get(name) ?? []);
      if (toSend.some(({ predicted }) => predicted !== undefined)) {
        const factory = await onChain.ensureFactory(handle, context.network);
        if (!factory.ready) {
          for (const { name } of toSend)
            progress.set(name, { name, progress: "pending", hash: factory.hash, detail: factory.detail });
          return { ok: true as const, deployments: inOrder() };
        }
      }
      const sent = await onChain.sendAll(handle, toSend);
      for (const [index, { name, request, predicted }] of toSend.entries()) {
        const { mined, hash, contractAddress } = sent[index] ?? { mined: false, hash: "", contractAddress: null };
        if (!mined) {
          progress.set(name, { name, progress: "pending", hash, detail: request.intent });
          continue;
        }
        const address = predicted ?? contractAddress;
        const codeHash = address === null ? undefined : await handle.reader.codeHash(address);
        if (address === null || codeHash === undefined)
          throw permanent(
            `deploy ${name} on ${chain}`,
            "NoCode",
            `transaction ${hash} was mined but left no code at ${address ?? "(no address)"}`,
          );
        progress.set(name, { name, progress: "done", address, codeHash, alreadyPresent: false, hash });
      }
      return { ok: true as const, deployments: inOrder() };
    }),

    ensureStep: define(contracts.ensureStep, async ({ context, step: index }) => {
      const spec = await onChain.spec(context.specDocument);
      const calls = onChain.stepCalls(spec, index, context);
      const handle = await onChain.settledChain(spec, calls.step.chain);
      const holds = async () =>
        sameValue(await handle.reader.view(calls.contract, calls.step.check.function, calls.checkArgs), calls.equals);
      const hashes: string[] = [];
      const journalName = (sendIndex: number) => [
        context.network,
        context.rolloutId,
        "ccip",
        calls.step.name,
        String(sendIndex),
      ];
      const started = (await onChain.journaled(journalName(0))) !== undefined;
      // The first transaction's gas is estimated alongside the check, at the same settled state:
      // a step that does not hold yet sends it without waiting for a second round trip.
      const first = calls.sends[0];
      const firstGasLimit = started || first === undefined ? undefined : handle.sender.gasLimit(first.request);
      // Unused (and its failure moot) when the step already holds.
      firstGasLimit?.catch(() => undefined);
      if (!started && (await holds()))
        return { ok: true as const, progress: "done" as const, result: "held" as const, hashes };
      for (const [sendIndex, send] of calls.sends.entries()) {
        const request =
          sendIndex === 0 && firstGasLimit !== undefined ? { ...send.request, gasLimit: firstGasLimit } : send.request;
        const sent = await onChain.send(handle, journalName(sendIndex), request, calls.abi);
        hashes.push(sent.hash);
        if (!sent.mined) return { ok: true as const, progress: "pending" as const, hashes };
      }
      if (!(await holds()))
        throw permanent(
          `ccip step ${calls.step.name}`,
          "CheckStillFails",
          `its transactions (${hashes.join(", ")}) were mined but ${calls.step.check.function} still does not return ${JSON.stringify(calls.equals)}`,
        );
      return { ok: true as const, progress: "done" as const, result: "made" as const, hashes };
    }),

    topUp: define(contracts.topUp, async ({ context, topUp: index, capRemaining }) => {
      const spec = await onChain.spec(context.specDocument);
      const topUp = spec.funding?.topUps[index];
      if (topUp === undefined) throw permanent("top-up", "InvalidInput", `no top-up ${index}`);
      const handle = await onChain.settledChain(spec, topUp.chain);
      const account = String(onChain.resolve(topUp.account, context));
      const asset = topUp.asset === "native" ? "native" : String(onChain.resolve(topUp.asset, context));
      const journalName = [context.network, context.rolloutId, "fund", topUp.name];
      const existing = await onChain.journaled(journalName);
      const plan = await onChain.topUpPlan(handle, account, asset, BigInt(topUp.target), `top up ${topUp.name}`);
      if (existing === undefined) {
        if (plan.needed === 0n)
          return { ok: true as const, progress: "done" as const, sent: "0", balance: plan.balance.toString() };
        if (plan.needed > BigInt(capRemaining))
          throw permanent(
            `top up ${topUp.name}`,
            "SpendingCapExceeded",
            `bringing ${account} to ${topUp.target} needs ${plan.needed} of ${topUp.asset} on ${topUp.chain}, but only ${capRemaining} remains under funding.caps for this rollout; nothing was sent`,
          );
      }
      const sent = await onChain.send(handle, journalName, plan.request);
      // A resumed top-up sent what its journaled transaction says, not what the balance now lacks.
      const amount = existing === undefined ? plan.needed.toString() : transferredAmount(existing, asset).toString();
      if (!sent.mined) return { ok: true as const, progress: "pending" as const, sent: amount, hash: sent.hash };
      const balance = await handle.reader.balance(account, asset);
      return {
        ok: true as const,
        progress: "done" as const,
        sent: amount,
        balance: balance.toString(),
        hash: sent.hash,
      };
    }),

    verifyOnChain: define(contracts.verifyOnChain, async ({ context }) => {
      const spec = await onChain.spec(context.specDocument);
      // Every read is independent of the others: all of them at once, problems listed in spec order.
      const codes = CHAIN_ROLES.flatMap((chain) =>
        (spec.contracts?.[chain] ?? []).map(async (deployment) => {
          const address = context.addresses[chain][deployment.name];
          const codeHash =
            address === undefined ? undefined : await onChain.chain(spec, chain).reader.codeHash(address);
          return address === undefined || codeHash === undefined
            ? { problem: `${chain}.${deployment.name} has no code` }
            : { deployed: { chain, name: deployment.name, address, codeHash } };
        }),
      );
      const steps = (spec.ccip?.steps ?? []).map(async (step, index) => {
        const calls = onChain.stepCalls(spec, index, context);
        const actual = await onChain
          .chain(spec, step.chain)
          .reader.view(calls.contract, step.check.function, calls.checkArgs);
        return sameValue(actual, calls.equals) ? {} : { problem: `ccip step ${step.name} does not hold` };
      });
      const balances = (spec.funding?.topUps ?? []).map(async (topUp) => {
        const account = String(onChain.resolve(topUp.account, context));
        const asset = topUp.asset === "native" ? "native" : String(onChain.resolve(topUp.asset, context));
        const balance = await onChain.chain(spec, topUp.chain).reader.balance(account, asset);
        return balance < BigInt(topUp.target)
          ? { problem: `top-up ${topUp.name}: balance ${balance} is below ${topUp.target}` }
          : {};
      });
      const found: {
        problem?: string;
        deployed?: { chain: (typeof CHAIN_ROLES)[number]; name: string; address: string; codeHash: string };
      }[] = await Promise.all([...codes, ...steps, ...balances]);
      return {
        ok: true as const,
        contracts: found.flatMap((entry) => (entry.deployed === undefined ? [] : [entry.deployed])),
        problems: found.flatMap((entry) => (entry.problem === undefined ? [] : [entry.problem])),
      };
    }),
  };
}
