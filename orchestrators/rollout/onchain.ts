/**
 * The strategy's phases 4 and 5, after the network is verified, for a spec with on-chain sections:
 *
 *   contracts (mainnet and Chain 138 in parallel, one sub-orchestration each, wave by wave)
 *   → ccip (ensure-steps, in order) → funding (top-ups, in order, under the spending caps)
 *   → on-chain verification (code hashes, every step holding, balances at their targets)
 *
 * Each step is one activity called until it answers `done` (it sends at most one transaction per
 * call, journaled first); a failure stops the phase — later steps are marked skipped, earlier ones
 * stay done — and the rollout. Status shows every deployment, step and top-up with its hashes.
 */
import type { Task } from "durable-functions";
import {
  ensureStep,
  resolveChains,
  topUp,
  verifyOnChain,
  type OnChainContext,
} from "../../activities/onchain-contracts.js";
import { CHAIN_ROLES } from "../../lib/domain/contracts-spec.js";
import { deploymentWaves } from "../../lib/domain/deployment-waves.js";
import {
  capRemaining,
  initialOnChainStatus,
  updateDeployment,
  updateStep,
  updateTopUp,
  type OnChainStatus,
} from "../../lib/domain/onchain-status.js";
import { enterPhase, type RolloutPhase } from "../../lib/domain/rollout-status.js";
import { chainContractsOrchestration } from "../chain-contracts.js";
import { call, sleep, subOrchestration, type Pending } from "../durable.js";
import {
  advance,
  quietRetryScope,
  specDocumentName,
  stopWith,
  type Phase,
  type RolloutRun,
  type RolloutState,
} from "./run.js";

/** Publishes a change of the on-chain status. */
function onChainAdvance(run: RolloutRun, state: RolloutState, change: (status: OnChainStatus) => OnChainStatus) {
  return advance(run, state, (status) => ({
    ...status,
    onChain: change(status.onChain ?? initialOnChainStatus(run.spec)),
  }));
}

/** Whether the on-chain phases have anything to do in this rollout. */
const hasOnChainWork = (run: RolloutRun, state: RolloutState): boolean =>
  run.spec.chains !== undefined && state.stop === undefined && state.regions.length > 0;

function entering(run: RolloutRun, state: RolloutState, phase: RolloutPhase): RolloutState {
  return advance(run, state, (status, at) => enterPhase(status, phase, at));
}

export const contractsPhase: Phase = function* (run, initial) {
  if (!hasOnChainWork(run, initial)) return initial;
  let state = onChainAdvance(run, entering(run, initial, "contracts"), (status) => status);
  const resolved = yield* call(
    run.context,
    resolveChains,
    { specDocument: specDocumentName(run) },
    quietRetryScope(run),
  );
  if (!resolved.ok) return stopWith(state, "contracts", `the chains could not be reached: ${resolved.cause}`);
  const context: OnChainContext = {
    network: run.spec.network.name,
    rolloutId: run.input.rolloutId,
    specDocument: specDocumentName(run),
    deployer: resolved.value.deployer,
    selectors: resolved.value.selectors,
    addresses: resolved.value.existing,
  };
  const chains = CHAIN_ROLES.filter((chain) => (run.spec.contracts?.[chain] ?? []).length > 0);
  for (const chain of chains)
    for (const deployment of run.spec.contracts?.[chain] ?? [])
      state = onChainAdvance(run, state, (status) =>
        updateDeployment(status, chain, deployment.name, { state: "sending" }),
      );
  const pendings: Pending<unknown>[] = chains.map((chain) =>
    subOrchestration(
      run.context,
      chainContractsOrchestration,
      {
        context,
        chain,
        waves: deploymentWaves(run.spec.contracts?.[chain] ?? [], chain),
        retry: run.spec.rollout.retry,
        pollIntervalSeconds: Math.min(run.spec.rollout.pollIntervalSeconds, run.spec.network.qbft.blockperiodseconds),
      },
      `${run.context.df.instanceId}:${run.input.rolloutId}:contracts:${chain}`,
    ),
  );
  // The two chains in parallel; each one's deployments show in the status as soon as it finishes.
  let waiting = pendings.map((pending, index) => ({ pending, chain: chains[index] ?? "chain138" }));
  const failures: string[] = [];
  while (waiting.length > 0) {
    const winner = (yield run.context.df.Task.any(waiting.map((entry) => entry.pending.task))) as Task;
    const done = waiting.find((entry) => entry.pending.task === winner);
    if (done === undefined) throw new Error("Task.any returned a task that is not pending");
    const outcome = done.pending.advance(winner);
    if (outcome === undefined) continue;
    waiting = waiting.filter((entry) => entry !== done);
    const result = outcome.ok ? chainContractsOrchestration.result.parse(outcome.value) : undefined;
    for (const deployed of result?.deployed ?? []) {
      context.addresses[done.chain][deployed.name] = deployed.address;
      state = onChainAdvance(run, state, (status) =>
        updateDeployment(status, done.chain, deployed.name, {
          state: deployed.alreadyPresent ? "present" : "deployed",
          address: deployed.address,
          ...(deployed.hash === undefined ? {} : { hash: deployed.hash }),
        }),
      );
      state = advance(run, state, (status) => ({
        ...status,
        contracts: [
          ...(status.contracts ?? []),
          { chain: done.chain, name: deployed.name, address: deployed.address, codeHash: deployed.codeHash },
        ],
      }));
    }
    const cause = !outcome.ok
      ? outcome.cause
      : result?.ok === false
        ? `${result.failed.join(", ")}: ${result.cause}`
        : undefined;
    if (cause !== undefined) {
      failures.push(`${done.chain}: ${cause}`);
      const failedNames = result?.ok === false ? result.failed : [];
      for (const entry of state.status.onChain?.deployments ?? [])
        if (entry.chain === done.chain && entry.state === "sending")
          state = onChainAdvance(run, state, (status) =>
            updateDeployment(
              status,
              done.chain,
              entry.name,
              failedNames.includes(entry.name) ? { state: "failed", error: cause } : { state: "pending" },
            ),
          );
    }
  }
  state = { ...state, onChain: context };
  return failures.length > 0 ? stopWith(state, "contracts", `deployment failed on ${failures.join("; ")}`) : state;
};

/** Calls an on-chain activity until it answers `done`, waiting a block period between calls. */
function* untilDone<T extends { progress: "done" | "pending" }>(
  run: RolloutRun,
  once: () => Generator<Task, { ok: true; value: T } | { ok: false; cause: string }, unknown>,
  onPending: (value: T) => void,
): Generator<Task, { ok: true; value: T } | { ok: false; cause: string }, unknown> {
  for (;;) {
    const outcome = yield* once();
    if (!outcome.ok || outcome.value.progress === "done") return outcome;
    onPending(outcome.value);
    yield sleep(run.context, run.spec.network.qbft.blockperiodseconds);
  }
}

export const ccipPhase: Phase = function* (run, initial) {
  const context = initial.onChain;
  const steps = run.spec.ccip?.steps ?? [];
  if (!hasOnChainWork(run, initial) || context === undefined || steps.length === 0) return initial;
  let state = entering(run, initial, "ccip");
  for (const [index] of steps.entries()) {
    state = onChainAdvance(run, state, (status) => updateStep(status, index, { state: "sending" }));
    const outcome = yield* untilDone(
      run,
      () => call(run.context, ensureStep, { context, step: index }, quietRetryScope(run)),
      (value) => (state = onChainAdvance(run, state, (status) => updateStep(status, index, { hashes: value.hashes }))),
    );
    if (!outcome.ok) {
      state = onChainAdvance(run, state, (status) => {
        let next = updateStep(status, index, { state: "failed", error: outcome.cause });
        for (let later = index + 1; later < steps.length; later += 1)
          next = updateStep(next, later, { state: "skipped" });
        return next;
      });
      return stopWith(state, "ccip", `ccip step ${steps[index]?.name ?? index} failed: ${outcome.cause}`);
    }
    const { result, hashes } = outcome.value;
    state = onChainAdvance(run, state, (status) => updateStep(status, index, { state: result ?? "made", hashes }));
  }
  return state;
};

export const fundingPhase: Phase = function* (run, initial) {
  const context = initial.onChain;
  if (!hasOnChainWork(run, initial) || context === undefined) return initial;
  let state = entering(run, initial, "funding");
  const topUps = run.spec.funding?.topUps ?? [];
  const spent = new Map<string, bigint>();
  for (const [index, entry] of topUps.entries()) {
    state = onChainAdvance(run, state, (status) => updateTopUp(status, index, { state: "sending" }));
    const remaining = capRemaining(run.spec.funding?.caps ?? [], spent, entry.chain, entry.asset);
    const outcome = yield* untilDone(
      run,
      () =>
        call(run.context, topUp, { context, topUp: index, capRemaining: remaining.toString() }, quietRetryScope(run)),
      (value) =>
        (state = onChainAdvance(run, state, (status) =>
          updateTopUp(status, index, { hash: value.hash, sent: value.sent }),
        )),
    );
    if (!outcome.ok) {
      state = onChainAdvance(run, state, (status) => {
        let next = updateTopUp(status, index, { state: "failed", error: outcome.cause });
        for (let later = index + 1; later < topUps.length; later += 1)
          next = updateTopUp(next, later, { state: "skipped" });
        return next;
      });
      return stopWith(state, "funding", `top-up ${entry.name} failed: ${outcome.cause}`);
    }
    const key = `${entry.chain} ${entry.asset}`;
    spent.set(key, (spent.get(key) ?? 0n) + BigInt(outcome.value.sent));
    state = onChainAdvance(run, state, (status) =>
      updateTopUp(status, index, {
        state: outcome.value.sent === "0" ? "atTarget" : "funded",
        sent: outcome.value.sent,
        ...(outcome.value.hash === undefined ? {} : { hash: outcome.value.hash }),
      }),
    );
  }
  // NOTE: the on-chain verification is reported under the funding phase, the last one it checks.
  const verified = yield* call(run.context, verifyOnChain, { context }, quietRetryScope(run));
  if (!verified.ok) return stopWith(state, "funding", `on-chain verification could not run: ${verified.cause}`);
  state = advance(run, state, (status) => ({
    ...status,
    contracts: verified.value.contracts,
    onChain: { ...(status.onChain ?? initialOnChainStatus(run.spec)), verificationProblems: verified.value.problems },
  }));
  return verified.value.problems.length > 0
    ? stopWith(state, "funding", `on-chain verification failed: ${verified.value.problems.join("; ")}`)
    : state;
};
