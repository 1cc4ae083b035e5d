/**
 * How the on-chain sections refer to each other, and the checks that make a spec with such
 * references safe to start: every `${role.name}` names something that exists, a chain's
 * deployments form no cycle (they are deployed in dependency order) and refer to nothing on the
 * other chain (the two chains deploy in parallel), every selector belongs to its chain, and every
 * asset a top-up spends has a spending cap. Pure; the problems carry paths into the spec.
 */
import { chainOfSelector, KNOWN_CHAIN_SELECTORS } from "./chain-selectors.js";
import {
  CHAIN_ROLES,
  type CcipSpec,
  type ChainRole,
  type ChainsSpec,
  type ContractsSpec,
  type ContractValue,
  type DeploymentSpec,
  type FundingSpec,
} from "./contracts-spec.js";

/** A problem by path, as lib/domain/spec.ts reports them. */
export interface ReferenceProblem {
  path: string;
  message: string;
}

/** What a `${…}` string stands for. */
export type Reference =
  | { kind: "deployer" }
  | { kind: "selector"; chain: ChainRole }
  | { kind: "contract"; chain: ChainRole; name: string; abiEncoded: boolean };

const REFERENCE = /^\$\{([A-Za-z0-9]+)(?:\.([A-Za-z][A-Za-z0-9]*))?(\.abiEncoded)?\}$/;

/** The reference a string is, `undefined` for a plain string, or an error message for a malformed one. */
export function parseReference(text: string): Reference | string | undefined {
  if (!text.includes("${")) return undefined;
  const match = REFERENCE.exec(text);
  const [, head, field, suffix] = match ?? [];
  if (head === "deployer" && field === undefined && suffix === undefined) return { kind: "deployer" };
  if (head !== undefined && field !== undefined && (CHAIN_ROLES as readonly string[]).includes(head)) {
    const chain = head as ChainRole;
    if (field !== "chainSelector") return { kind: "contract", chain, name: field, abiEncoded: suffix !== undefined };
    if (suffix === undefined) return { kind: "selector", chain };
  }
  return `'${text}' is not a reference: write \${deployer}, \${chain138.<name>}, \${mainnet.<name>}, \${<chain>.<name>.abiEncoded} (the address ABI-encoded as bytes, as CCIP pools take remote addresses) or \${<chain>.chainSelector}, as the whole string`;
}

/** Every string inside a JSON value, with its path suffix. */
function* stringsIn(value: ContractValue, path: string): Generator<{ text: string; path: string }> {
  if (typeof value === "string") yield { text: value, path };
  else if (Array.isArray(value))
    for (const [index, item] of value.entries()) yield* stringsIn(item, `${path}[${index}]`);
  else if (value !== null && typeof value === "object")
    for (const [key, item] of Object.entries(value)) yield* stringsIn(item as ContractValue, `${path}.${key}`);
}

/** Replaces every reference in a value by what `lookup` says it stands for. */
export function resolveValue(value: ContractValue, lookup: (reference: Reference) => string): ContractValue {
  if (typeof value === "string") {
    const reference = parseReference(value);
    if (reference === undefined) return value;
    if (typeof reference === "string") throw new Error(reference);
    return lookup(reference);
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, lookup));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveValue(item as ContractValue, lookup)]),
    );
  return value;
}

/** The deployments on `chain` that a deployment's constructor arguments refer to. */
export function sameChainDependencies(deployment: DeploymentSpec, chain: ChainRole): string[] {
  const names = new Set<string>();
  for (const { text } of stringsIn(deployment.args, "")) {
    const reference = parseReference(text);
    if (typeof reference === "object" && reference.kind === "contract" && reference.chain === chain)
      names.add(reference.name);
  }
  return [...names];
}

/**
 * The deployments of one chain in an order where each comes after those it refers to, stable in
 * the spec's order otherwise. Throws for a cycle (validateSpec reports cycles before this runs).
 */
export function deploymentOrder(deployments: readonly DeploymentSpec[], chain: ChainRole): DeploymentSpec[] {
  const byName = new Map(deployments.map((deployment) => [deployment.name, deployment]));
  const ordered: DeploymentSpec[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (deployment: DeploymentSpec, trail: string[]): void => {
    const seen = state.get(deployment.name);
    if (seen === "done") return;
    if (seen === "visiting") throw new Error(`dependency cycle: ${[...trail, deployment.name].join(" → ")}`);
    state.set(deployment.name, "visiting");
    for (const name of sameChainDependencies(deployment, chain)) {
      const dependency = byName.get(name);
      if (dependency !== undefined) visit(dependency, [...trail, deployment.name]);
    }
    state.set(deployment.name, "done");
    ordered.push(deployment);
  };
  for (const deployment of deployments) visit(deployment, []);
  return ordered;
}

/** The names `${chain.name}` may refer to on each chain: deployments and existing contracts. */
function knownNames(
  chains: ChainsSpec | undefined,
  contracts: ContractsSpec | undefined,
): Record<ChainRole, Set<string>> {
  const known = { chain138: new Set<string>(), mainnet: new Set<string>() };
  for (const chain of CHAIN_ROLES) {
    for (const name of Object.keys(chains?.[chain].existing ?? {})) known[chain].add(name);
    for (const deployment of contracts?.[chain] ?? []) known[chain].add(deployment.name);
  }
  return known;
}

function checkSelectors(chains: ChainsSpec, chainId138: number, problems: ReferenceProblem[]): void {
  const own = chainOfSelector(chains.chain138.chainSelector);
  if (own !== undefined)
    problems.push({
      path: "chains.chain138.chainSelector",
      message: `${chains.chain138.chainSelector} is Chainlink's selector for chain ${own}, not for chain ${chainId138}; Chain 138 has no official selector, so choose one that no published chain uses`,
    });
  const { chainId, chainSelector } = chains.mainnet;
  const published = KNOWN_CHAIN_SELECTORS.get(chainId);
  if (chainSelector === undefined && published === undefined)
    problems.push({
      path: "chains.mainnet.chainSelector",
      message: `is required: chain ${chainId} has no selector in the table of Chainlink's published selectors`,
    });
  if (chainSelector !== undefined && published !== undefined && chainSelector !== published) {
    const belongsTo = chainOfSelector(chainSelector);
    problems.push({
      path: "chains.mainnet.chainSelector",
      message: `${chainSelector} ${belongsTo === undefined ? "is not" : `is Chainlink's selector for chain ${belongsTo}, not`} the published selector of chain ${chainId} (${published}); omit it to use the published one`,
    });
  }
  if (chainSelector !== undefined && chainSelector === chains.chain138.chainSelector)
    problems.push({ path: "chains.chain138.chainSelector", message: "must differ from chains.mainnet.chainSelector" });
}

/** Reports malformed and unknown references in one value; `allowed` limits which chains it may name. */
function checkValue(
  value: ContractValue,
  path: string,
  known: Record<ChainRole, Set<string>>,
  problems: ReferenceProblem[],
  allowed: readonly ChainRole[] = CHAIN_ROLES,
): void {
  for (const { text, path: at } of stringsIn(value, path)) {
    const reference = parseReference(text);
    if (typeof reference === "string") problems.push({ path: at, message: reference });
    else if (reference?.kind === "contract" && !known[reference.chain].has(reference.name))
      problems.push({
        path: at,
        message: `unknown reference ${text}: no deployment or existing contract named '${reference.name}' on ${reference.chain}`,
      });
    else if (reference?.kind === "contract" && !allowed.includes(reference.chain))
      problems.push({
        path: at,
        message: `${text} is on the other chain: the two chains deploy in parallel, so a constructor can only refer to its own chain`,
      });
  }
}

function checkDeployments(
  contracts: ContractsSpec,
  known: Record<ChainRole, Set<string>>,
  problems: ReferenceProblem[],
) {
  for (const chain of CHAIN_ROLES) {
    const first = new Map<string, number>();
    contracts[chain].forEach((deployment, index) => {
      const path = `contracts.${chain}[${index}]`;
      const earlier = first.get(deployment.name);
      if (earlier !== undefined)
        problems.push({
          path: `${path}.name`,
          message: `'${deployment.name}' is used more than once (first at contracts.${chain}[${earlier}])`,
        });
      else first.set(deployment.name, index);
      checkValue(deployment.args, `${path}.args`, known, problems, [chain]);
    });
    try {
      deploymentOrder(contracts[chain], chain);
    } catch (error) {
      problems.push({ path: `contracts.${chain}`, message: error instanceof Error ? error.message : String(error) });
    }
  }
}

function checkTarget(text: string, path: string, known: Record<ChainRole, Set<string>>, problems: ReferenceProblem[]) {
  if (/^0x[0-9a-fA-F]{40}$/.test(text)) return;
  const reference = parseReference(text);
  if (reference === undefined || (typeof reference === "object" && reference.kind === "selector"))
    problems.push({ path, message: `must be an address or a reference such as \${chain138.router}` });
  else checkValue(text, path, known, problems);
}

function checkSteps(ccip: CcipSpec, known: Record<ChainRole, Set<string>>, problems: ReferenceProblem[]): void {
  ccip.steps.forEach((step, index) => {
    const path = `ccip.steps[${index}]`;
    checkTarget(step.contract, `${path}.contract`, known, problems);
    checkValue(step.check.args, `${path}.check.args`, known, problems);
    checkValue(step.check.equals, `${path}.check.equals`, known, problems);
    step.send.forEach((send, sendIndex) => checkValue(send.args, `${path}.send[${sendIndex}].args`, known, problems));
  });
}

function checkFunding(funding: FundingSpec, known: Record<ChainRole, Set<string>>, problems: ReferenceProblem[]): void {
  const caps = new Set<string>();
  funding.caps.forEach((cap, index) => {
    const key = `${cap.chain} ${cap.asset}`;
    if (caps.has(key))
      problems.push({ path: `funding.caps[${index}]`, message: `a second cap for ${cap.asset} on ${cap.chain}` });
    caps.add(key);
    if (cap.asset !== "native") checkTarget(cap.asset, `funding.caps[${index}].asset`, known, problems);
  });
  funding.topUps.forEach((topUp, index) => {
    const path = `funding.topUps[${index}]`;
    checkTarget(topUp.account, `${path}.account`, known, problems);
    if (topUp.asset !== "native") checkTarget(topUp.asset, `${path}.asset`, known, problems);
    if (!caps.has(`${topUp.chain} ${topUp.asset}`))
      problems.push({
        path: `${path}.asset`,
        message: `no cap in funding.caps for ${topUp.asset} on ${topUp.chain}: every asset a rollout spends needs a spending cap`,
      });
  });
}

/** The on-chain sections as validateSpec sees them (each undefined when absent or invalid on its own). */
export interface OnChainSections {
  chains?: ChainsSpec;
  contracts?: ContractsSpec;
  ccip?: CcipSpec;
  funding?: FundingSpec;
  /** Whether each section is present in the input at all (valid or not). */
  present: Record<"chains" | "contracts" | "ccip" | "funding", boolean>;
  chainId138: number;
}

/** Every cross-field problem of the on-chain sections. */
export function onChainProblems(sections: OnChainSections): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const { chains, contracts, ccip, funding, present } = sections;
  if (!present.chains && (present.contracts || present.ccip || present.funding))
    problems.push({
      path: "chains",
      message: "is required when contracts, ccip or funding is given: it says where they go",
    });
  if (chains !== undefined) checkSelectors(chains, sections.chainId138, problems);
  // Names are only known when the sections that define them are valid; otherwise every reference
  // would be reported as unknown on top of the problems that made them invalid.
  if ((present.chains && chains === undefined) || (present.contracts && contracts === undefined)) return problems;
  const known = knownNames(chains, contracts);
  if (contracts !== undefined) checkDeployments(contracts, known, problems);
  if (ccip !== undefined) checkSteps(ccip, known, problems);
  if (funding !== undefined) checkFunding(funding, known, problems);
  return problems;
}
