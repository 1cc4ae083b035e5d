/**
 * Drift of the contracts and the CCIP lane on one chain (pure), against the last successful
 * rollout: the runtime code at each recorded address still hashes to the recorded code hash, each
 * ensure-step's view call still returns what it must, each funded balance is at or above its
 * threshold (`drift.minimumBalances`, else the top-up's target). An observation that failed is
 * unknown, never in sync; a view call the chain answered with a revert is an answer (the state no
 * longer holds), not a failure to observe.
 */
import type { ChainRole } from "../contracts-spec.js";
import type { DriftUnknown, ObservedDrift } from "./report.js";

/** What could not be read, and why (e.g. the RPC endpoint did not answer). */
export interface FailedObservation {
  failed: string;
}

export interface RecordedContract {
  name: string;
  address: string;
  /** keccak-256 of the runtime code the rollout deployed. */
  codeHash: string;
}

/** A code hash read from the chain; null when the address has no code. */
export type ObservedCode = { codeHash: string | null } | FailedObservation;
/** An ensure-step's view call: whether it returned the expected value, and what it returned (rendered). */
export type ObservedCheck = { holds: boolean; actual: string } | FailedObservation;
/** A balance in base units (decimal). */
export type ObservedBalance = { balance: string } | FailedObservation;

export interface ContractsExpectation {
  chain: ChainRole;
  contracts: readonly RecordedContract[];
  steps: readonly { name: string; check: { function: string }; desired: string }[];
  topUps: readonly { name: string; asset: string; target: string }[];
  /** Top-up name → the balance below which it is drift (default: the top-up's target). */
  minimumBalances: Readonly<Record<string, string>>;
}

export interface ContractsObservation {
  /** By contract name. */
  code: ReadonlyMap<string, ObservedCode>;
  /** By step name. */
  checks: ReadonlyMap<string, ObservedCheck>;
  /** By top-up name. */
  balances: ReadonlyMap<string, ObservedBalance>;
}

/** How findings and ignore rules name what they are about. */
export const contractResource = (name: string): string => `contract/${name}`;
export const stepResource = (name: string): string => `ccip/${name}`;
export const balanceResource = (name: string): string => `balance/${name}`;

const isFailed = (observation: object): observation is FailedObservation => "failed" in observation;

export function contractsDrift(
  expected: ContractsExpectation,
  observed: ContractsObservation,
): { observed: ObservedDrift[]; unknown: DriftUnknown[] } {
  const findings: ObservedDrift[] = [];
  const unknown: DriftUnknown[] = [];
  const region = expected.chain;
  const finding = (
    resource: string,
    field: string,
    desired: string,
    actual: string,
    severity: ObservedDrift["severity"],
  ) => findings.push({ kind: "contracts", region, resource, field, desired, actual, severity });
  const notObserved = (resource: string, reason: string) =>
    unknown.push({ kind: "contracts", region, resource, reason });

  for (const contract of expected.contracts) {
    const resource = contractResource(contract.name);
    const code = observed.code.get(contract.name) ?? { failed: "not observed" };
    if (isFailed(code)) notObserved(resource, `the code at ${contract.address} could not be read: ${code.failed}`);
    else if (code.codeHash === null)
      finding(resource, "codeHash", contract.codeHash, `(no code at ${contract.address})`, "critical");
    else if (code.codeHash.toLowerCase() !== contract.codeHash.toLowerCase())
      finding(resource, "codeHash", contract.codeHash, code.codeHash, "critical");
  }

  for (const step of expected.steps) {
    const resource = stepResource(step.name);
    const check = observed.checks.get(step.name) ?? { failed: "not observed" };
    if (isFailed(check)) notObserved(resource, `its check ${step.check.function} could not be called: ${check.failed}`);
    else if (!check.holds) finding(resource, step.check.function, step.desired, check.actual, "warning");
  }

  for (const topUp of expected.topUps) {
    const resource = balanceResource(topUp.name);
    const balance = observed.balances.get(topUp.name) ?? { failed: "not observed" };
    const threshold = expected.minimumBalances[topUp.name] ?? topUp.target;
    if (isFailed(balance)) notObserved(resource, `the balance could not be read: ${balance.failed}`);
    else if (BigInt(balance.balance) < BigInt(threshold))
      finding(resource, "balance", `>= ${threshold} (${topUp.asset})`, balance.balance, "warning");
  }
  return { observed: findings, unknown };
}
