/**
 * Validation of a submitted spec beyond each field's schema (lib/domain/spec.ts): the checks that
 * relate fields to each other or to the catalogs (regions, VM sizes, quorum), run on every part of
 * the input that is valid on its own so that one submission lists every problem, and the decoding
 * of spec text (JSON or YAML) with problems by path.
 */
import { parseDocument } from "yaml";
import type { z } from "zod";
import { onChainProblems } from "./contracts-references.js";
import { minimumBalanceProblems } from "./drift/spec.js";
import { ADMIN_REGION, DEPLOYMENT_REGIONS, findRegion } from "./regions.js";
import { findVmSize } from "./vm-sizes.js";
import {
  CHAIN_138,
  desiredStateSchema,
  regionEntrySchema,
  type ClusterSpec,
  type DesiredState,
  type NodePoolSpec,
  type RegionSpec,
  type RolloutPolicy,
} from "./spec.js";

/** One reason a spec is rejected: where (e.g. `regions[3].validators`) and why. */
export interface SpecProblem {
  path: string;
  message: string;
}

/** Either the validated spec or every problem found. */
export type SpecValidation = { ok: true; spec: DesiredState } | { ok: false; problems: SpecProblem[] };

/** `["regions", 3, "validators"]` → `regions[3].validators`; odd keys are quoted. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) text += text === "" ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** A bad record key is reported as "Invalid key in record"; its nested issue says what is wrong. */
function problemFromIssue(issue: z.core.$ZodIssue): SpecProblem {
  const nested = issue.code === "invalid_key" ? issue.issues[0] : undefined;
  return { path: formatPath(issue.path), message: nested !== undefined ? `key ${nested.message}` : issue.message };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The parsed value of a part of the input, or undefined when that part has problems of its own. */
function validPart<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

function regionNameProblem(name: string): string | undefined {
  const known = findRegion(name);
  if (known?.role === "admin") {
    return `${ADMIN_REGION} is the admin region: it runs the control plane and admin tooling (monitoring, logs, backups) and never hosts validators or sentries; remove it from regions`;
  }
  if (known !== undefined) return undefined;
  const squashed = name.replace(/[\s_-]/g, "").toLowerCase();
  const likely = DEPLOYMENT_REGIONS.find((region) => region.name === squashed);
  const hint = likely !== undefined ? ` (did you mean '${likely.name}', its ARM name?)` : "";
  return `unknown region '${name}'${hint}; deployment regions are: ${DEPLOYMENT_REGIONS.map((region) => region.name).join(", ")}`;
}

function checkRegions(rawRegions: unknown[], problems: SpecProblem[]): Array<RegionSpec | undefined> {
  const firstIndexByName = new Map<string, number>();
  return rawRegions.map((raw, index) => {
    const region = validPart(regionEntrySchema, raw);
    const name = isRecord(raw) && typeof raw.name === "string" && raw.name !== "" ? raw.name : undefined;
    if (name === undefined) return region;
    const nameProblem = regionNameProblem(name);
    if (nameProblem !== undefined) problems.push({ path: `regions[${index}].name`, message: nameProblem });
    const first = firstIndexByName.get(name);
    if (first === undefined) firstIndexByName.set(name, index);
    else {
      problems.push({
        path: `regions[${index}].name`,
        message: `region ${name} is listed more than once (first at regions[${first}]); give each region one entry and use clusters for more than one cluster`,
      });
    }
    return region;
  });
}

function checkNodePools(rawPools: unknown[], problems: SpecProblem[]): void {
  const firstIndexByName = new Map<string, number>();
  let systemPools = 0;
  rawPools.forEach((raw, index) => {
    if (!isRecord(raw)) return;
    if (raw.mode === "System") systemPools += 1;
    if (typeof raw.name !== "string") return;
    const first = firstIndexByName.get(raw.name);
    if (first === undefined) firstIndexByName.set(raw.name, index);
    else
      problems.push({
        path: `cluster.nodePools[${index}].name`,
        message: `node pool name '${raw.name}' is used more than once (first at cluster.nodePools[${first}])`,
      });
  });
  if (rawPools.length > 0 && systemPools === 0) {
    problems.push({
      path: "cluster.nodePools",
      message: "needs at least one pool with mode System: AKS runs its system add-ons there",
    });
  }
}

/** vCPUs of one cluster built from these pools, with the arithmetic spelled out for messages. */
export function clusterVcpus(pools: readonly NodePoolSpec[]): { vcpus: number; breakdown: string } {
  let vcpus = 0;
  const parts: string[] = [];
  for (const pool of pools) {
    const perNode = findVmSize(pool.vmSize)?.vcpus ?? 0;
    vcpus += perNode * pool.count;
    parts.push(`${pool.name}: ${pool.count} × ${pool.vmSize} (${perNode} vCPUs)`);
  }
  return { vcpus, breakdown: parts.join(", ") };
}

function checkVcpuBudget(cluster: ClusterSpec, regions: Array<RegionSpec | undefined>, problems: SpecProblem[]): void {
  const budget = cluster.vcpuBudgetPerRegion;
  if (budget === undefined) return;
  const perCluster = clusterVcpus(cluster.nodePools);
  if (perCluster.vcpus > budget) {
    problems.push({
      path: "cluster.nodePools",
      message: `one cluster needs ${perCluster.vcpus} vCPUs (${perCluster.breakdown}), above cluster.vcpuBudgetPerRegion (${budget})`,
    });
    return;
  }
  regions.forEach((region, index) => {
    if (region === undefined) return;
    const needed = perCluster.vcpus * region.clusters;
    if (needed > budget) {
      problems.push({
        path: `regions[${index}].clusters`,
        message: `${region.name} needs ${needed} vCPUs (${region.clusters} clusters × ${perCluster.vcpus}), above cluster.vcpuBudgetPerRegion (${budget})`,
      });
    }
  });
}

function checkValidatorTotal(regions: RegionSpec[], rollout: RolloutPolicy, problems: SpecProblem[]): void {
  const total = validatorsIn(regions);
  if (total < rollout.minValidators) {
    problems.push({
      path: "regions",
      message: `the regions place ${total} validators in total, fewer than rollout.minValidators (${rollout.minValidators}); the network could never form`,
    });
  }
}

/** The on-chain sections' references, cycles and selectors (lib/domain/contracts-references.ts). */
function onChainSectionProblems(input: Record<string, unknown>): SpecProblem[] {
  const parts = desiredStateSchema.shape;
  const network = isRecord(input.network) ? input.network : {};
  return onChainProblems({
    chains: validPart(parts.chains, input.chains),
    contracts: validPart(parts.contracts, input.contracts),
    ccip: validPart(parts.ccip, input.ccip),
    funding: validPart(parts.funding, input.funding),
    present: {
      chains: input.chains !== undefined,
      contracts: input.contracts !== undefined,
      ccip: input.ccip !== undefined,
      funding: input.funding !== undefined,
    },
    chainId138: typeof network.chainId === "number" ? network.chainId : CHAIN_138,
  });
}

/** Cross-field and catalog rules, applied to the parts of the input that are valid on their own. */
function crossFieldProblems(input: Record<string, unknown>): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const rawRegions = input.regions;
  const regions = Array.isArray(rawRegions) ? checkRegions(rawRegions, problems) : undefined;
  const rawCluster = input.cluster;
  if (isRecord(rawCluster) && Array.isArray(rawCluster.nodePools)) checkNodePools(rawCluster.nodePools, problems);

  // The parts are parsed through the top-level shape so that an omitted section gets its defaults.
  const parts = desiredStateSchema.shape;
  const defaultedRegions = regions ?? (rawRegions === undefined ? validPart(parts.regions, undefined) : undefined);
  const cluster = validPart(parts.cluster, rawCluster);
  if (cluster !== undefined && defaultedRegions !== undefined) checkVcpuBudget(cluster, defaultedRegions, problems);

  const rollout = validPart(parts.rollout, input.rollout);
  const everyRegionValid = defaultedRegions?.every((region): region is RegionSpec => region !== undefined) === true;
  if (rollout !== undefined && defaultedRegions !== undefined && everyRegionValid) {
    const deployable = defaultedRegions.filter(
      (region): region is RegionSpec => region !== undefined && findRegion(region.name)?.role === "deployment",
    );
    checkValidatorTotal(deployable, rollout, problems);
  }
  problems.push(...onChainSectionProblems(input));
  const drift = validPart(parts.drift, input.drift);
  const funding = validPart(parts.funding, input.funding);
  if (drift !== undefined && (funding !== undefined || input.funding === undefined))
    for (const problem of minimumBalanceProblems(drift, funding?.topUps ?? []))
      problems.push({ path: formatPath(problem.path), message: problem.message });
  return problems;
}

/**
 * Validates a desired state already decoded from JSON or YAML. Returns the spec with defaults
 * filled in, or every problem found, each with its path.
 */
export function validateSpec(input: unknown): SpecValidation {
  if (!isRecord(input)) {
    return {
      ok: false,
      problems: [{ path: "", message: "the spec must be an object (a YAML mapping or a JSON object)" }],
    };
  }
  const parsed = desiredStateSchema.safeParse(input);
  const problems = parsed.success ? [] : parsed.error.issues.map(problemFromIssue);
  problems.push(...crossFieldProblems(input));
  if (parsed.success && problems.length === 0) return { ok: true, spec: parsed.data };
  return { ok: false, problems };
}

/** How spec text is encoded; `auto` treats text starting with `{` as JSON and the rest as YAML. */
export type SpecFormat = "json" | "yaml" | "auto";

function decodeJson(text: string): { value: unknown } | { problem: SpecProblem } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return {
      problem: { path: "", message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` },
    };
  }
}

function decodeYaml(text: string): { value: unknown } | { problems: SpecProblem[] } {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return { problems: document.errors.map((error) => ({ path: "", message: `not valid YAML: ${error.message}` })) };
  }
  try {
    return { value: document.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    // toJS throws for a document whose aliases expand past maxAliasCount (a "billion laughs").
    return {
      problems: [{ path: "", message: `not valid YAML: ${error instanceof Error ? error.message : String(error)}` }],
    };
  }
}

/** Decodes spec text (JSON or YAML) and validates it; syntax errors are problems at path "". */
export function parseSpecText(text: string, format: SpecFormat = "auto"): SpecValidation {
  if (text.trim() === "") return { ok: false, problems: [{ path: "", message: "the spec is empty" }] };
  const useJson = format === "json" || (format === "auto" && text.trimStart().startsWith("{"));
  if (useJson) {
    const decoded = decodeJson(text);
    return "problem" in decoded ? { ok: false, problems: [decoded.problem] } : validateSpec(decoded.value);
  }
  const decoded = decodeYaml(text);
  return "problems" in decoded ? { ok: false, problems: decoded.problems } : validateSpec(decoded.value);
}

function validatorsIn(regions: readonly RegionSpec[]): number {
  return regions.reduce((sum, region) => sum + region.validators * region.clusters, 0);
}

/** Validators in the whole network as the spec places them. */
export function totalValidators(spec: DesiredState): number {
  return validatorsIn(spec.regions);
}
