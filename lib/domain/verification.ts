/**
 * Network-wide verification of a QBFT network from what its nodes report (pure). Two samples of
 * every node, taken at least one block period apart, decide whether heads advance; the rest is
 * judged on the second sample. Each check has a network-wide result and a result per region.
 */
import type { CheckResult, RegionVerification, Verification } from "./rollout-status.js";
import { quorumSize } from "@besu-fleet/qbft";

/** What a node says about itself over JSON-RPC; what it could not answer is left out (`error` says why). */
export interface NodeSelfReport {
  reachable: boolean;
  error?: string;
  chainId?: string;
  genesisHash?: string;
  blockNumber?: number;
  /** When blockNumber was read (ISO): nodes are read one after another while blocks keep coming. */
  blockNumberAt?: string;
  syncing?: boolean;
  peerCount?: number;
  /** enode public keys of the peers it is directly connected to. */
  peerPublicKeys?: string[];
  validatorsLatest?: string[];
  validatorsPending?: string[];
  ready?: boolean;
  clientVersion?: string;
}

/** A node's report with where it runs and who it is. */
export interface ObservedNode extends NodeSelfReport {
  nodeId: string;
  region: string;
  role: "validator" | "sentry";
  /** 0x + 128 hex: the node's own public key, as in its enode. */
  publicKey: string;
}

export interface VerificationInput {
  at: string;
  chainIdHex: string;
  genesisHash: string;
  /** The chain's validator set as it must be (any case): the genesis's, plus validators voted in. */
  validators: readonly string[];
  /** Public keys (0x + 128 hex) of those validators, wherever they run: peering is counted against them. */
  validatorPublicKeys: readonly string[];
  first: readonly ObservedNode[];
  second: readonly ObservedNode[];
  /** Largest allowed difference between the highest and the lowest head. */
  maxHeadSpread: number;
}

const lower = (values: readonly string[] | undefined): string[] =>
  (values ?? []).map((value) => value.toLowerCase()).sort();
const sameSet = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  JSON.stringify(lower(a)) === JSON.stringify(lower(b));
const list = (ids: string[]): string =>
  ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`;

function check(name: string, failing: string[], okDetail: string, problem: string): CheckResult {
  return failing.length === 0
    ? { check: name, ok: true, detail: okDetail }
    : { check: name, ok: false, detail: `${problem}: ${list(failing)}` };
}

function checksFor(
  nodes: readonly ObservedNode[],
  firstById: Map<string, ObservedNode>,
  input: VerificationInput,
  allNodes: readonly ObservedNode[],
): CheckResult[] {
  const validatorKeys = new Set(input.validatorPublicKeys.map((key) => key.toLowerCase()));
  const needPeers = Math.max(0, quorumSize(input.validators.length) - 1);
  const unreachable = nodes
    .filter((node) => !node.reachable)
    .map((node) => `${node.nodeId} (${node.error ?? "no answer"})`);
  const reachable = nodes.filter((node) => node.reachable);
  const heads = reachable.map((node) => node.blockNumber ?? 0);
  const { heads: projected, slack } = projectHeads(allNodes, firstById);
  const allowedSpread = input.maxHeadSpread + slack;
  const allHeads = [...projected.values()];
  const highest = allHeads.length > 0 ? Math.max(...allHeads) : 0;
  return [
    check("reachable", unreachable, `${nodes.length} nodes answered JSON-RPC`, "no answer from"),
    check(
      "chain-id",
      reachable
        .filter((node) => node.chainId?.toLowerCase() !== input.chainIdHex.toLowerCase())
        .map((node) => `${node.nodeId}=${node.chainId ?? "?"}`),
      `chain id ${input.chainIdHex} everywhere`,
      "wrong chain id on",
    ),
    check(
      "genesis-hash",
      reachable
        .filter((node) => node.genesisHash?.toLowerCase() !== input.genesisHash.toLowerCase())
        .map((node) => node.nodeId),
      "same genesis on every node",
      "another genesis on",
    ),
    check(
      "heads-advancing",
      reachable
        .filter(
          (node) => (node.blockNumber ?? 0) <= (firstById.get(node.nodeId)?.blockNumber ?? Number.MAX_SAFE_INTEGER),
        )
        .map((node) => `${node.nodeId}@${node.blockNumber ?? "?"}`),
      heads.length > 0 ? `heads at ${Math.min(...heads)}–${Math.max(...heads)} and advancing` : "no node to sample",
      "head not advancing on",
    ),
    check(
      "heads-close",
      reachable
        .filter((node) => highest - (projected.get(node.nodeId) ?? 0) > allowedSpread || node.syncing === true)
        .map(
          (node) =>
            `${node.nodeId}@${node.blockNumber ?? "?"} (${Math.round(highest - (projected.get(node.nodeId) ?? 0))} behind)`,
        ),
      `every head within ${allowedSpread} blocks of the others when read at one moment, none syncing`,
      "behind or syncing",
    ),
    check(
      "validator-set",
      reachable
        .filter(
          (node) =>
            !sameSet(node.validatorsLatest, input.validators) || !sameSet(node.validatorsPending, input.validators),
        )
        .map((node) => node.nodeId),
      `${input.validators.length} validators as expected on every node`,
      "unexpected validator set on",
    ),
    check(
      "validator-peering",
      reachable
        .filter((node) => node.role === "validator")
        .filter(
          (node) =>
            (node.peerPublicKeys ?? []).filter((key) => validatorKeys.has(key.toLowerCase())).length < needPeers,
        )
        .map((node) => node.nodeId),
      `every validator directly peered with at least ${needPeers} validators`,
      `fewer than ${needPeers} validator peers on`,
    ),
    check(
      "readiness",
      reachable.filter((node) => node.ready !== true).map((node) => node.nodeId),
      "every node ready",
      "not ready:",
    ),
  ];
}

/**
 * Each reachable node's head, projected to the moment the last head was read. Heads are read one
 * node after another while blocks keep coming; comparing raw numbers read seconds apart would
 * call a healthy node "behind". The chain's rate comes from the two samples (the median of the
 * nodes' rates between them); a node without read times is taken as read. The rate itself is
 * returned too (0 when it could not be measured): it is the chain's block time.
 */
export function projectHeads(
  nodes: readonly ObservedNode[],
  firstById: Map<string, ObservedNode>,
): { heads: Map<string, number>; slack: number; blocksPerMs: number } {
  const time = (node: ObservedNode | undefined): number | undefined =>
    node?.blockNumberAt ? Date.parse(node.blockNumberAt) : undefined;
  const reachable = nodes.filter((node) => node.reachable && node.blockNumber !== undefined);
  const rates: number[] = [];
  for (const node of reachable) {
    const first = firstById.get(node.nodeId);
    const [from, to] = [time(first), time(node)];
    if (first?.blockNumber !== undefined && from !== undefined && to !== undefined && to > from) {
      rates.push(Math.max(0, ((node.blockNumber ?? 0) - first.blockNumber) / (to - from)));
    }
  }
  // The median: a node that was still catching up in the first sample would overstate the rate.
  rates.sort((a, b) => a - b);
  const blocksPerMs = rates.length > 0 ? (rates[Math.floor(rates.length / 2)] as number) : 0;
  const times = reachable.map(time).filter((value): value is number => value !== undefined);
  const latest = times.length > 0 ? Math.max(...times) : 0;
  const heads = new Map(
    reachable.map((node) => {
      const readAt = time(node);
      return [node.nodeId, (node.blockNumber ?? 0) + (readAt === undefined ? 0 : blocksPerMs * (latest - readAt))];
    }),
  );
  // Blocks do not arrive at an even rate: a projection is good to about a second's worth of them.
  return { heads, slack: Math.ceil(blocksPerMs * 1000), blocksPerMs };
}

export function verifyNetwork(input: VerificationInput): Verification {
  const firstById = new Map(input.first.map((node) => [node.nodeId, node]));
  const network = checksFor(input.second, firstById, input, input.second);
  const regionNames = [...new Set(input.second.map((node) => node.region))].sort();
  const regions: RegionVerification[] = regionNames.map((region) => ({
    region,
    checks: checksFor(
      input.second.filter((node) => node.region === region),
      firstById,
      input,
      input.second,
    ),
  }));
  const ok =
    network.every((result) => result.ok) && regions.every((region) => region.checks.every((result) => result.ok));
  return { verifiedAt: input.at, ok, network, regions };
}

/** Two samples of the same nodes, at least one block period apart. */
export interface SamplePair {
  first: readonly ObservedNode[];
  second: readonly ObservedNode[];
}

/**
 * Nodes that did not answer in one of the samples. A node that did not answer may be down — or
 * one request may have met a transient fault — so these are asked again before they are judged:
 * only a node that answered and was wrong, or stayed silent for the whole window, fails.
 */
export function unansweredNodes(samples: SamplePair): string[] {
  const answeredFirst = new Set(samples.first.filter((node) => node.reachable).map((node) => node.nodeId));
  return samples.second.filter((node) => !node.reachable || !answeredFirst.has(node.nodeId)).map((node) => node.nodeId);
}

/** The samples with each node that answered both samples of `resample` taken from there instead. */
export function withResample(samples: SamplePair, resample: SamplePair): SamplePair {
  const answered = new Set(
    resample.second
      .filter(
        (node) => node.reachable && resample.first.some((entry) => entry.nodeId === node.nodeId && entry.reachable),
      )
      .map((node) => node.nodeId),
  );
  const replace = (nodes: readonly ObservedNode[], from: readonly ObservedNode[]): ObservedNode[] =>
    nodes.map((node) =>
      answered.has(node.nodeId) ? (from.find((entry) => entry.nodeId === node.nodeId) ?? node) : node,
    );
  return { first: replace(samples.first, resample.first), second: replace(samples.second, resample.second) };
}

/** Marks the nodes that never answered in the window as unreachable, saying for how long and how often they were asked. */
export function unreachableThroughout(
  samples: SamplePair,
  silent: readonly string[],
  window: { seconds: number; tries: number },
): SamplePair {
  const mark = (node: ObservedNode): ObservedNode =>
    silent.includes(node.nodeId)
      ? {
          ...node,
          reachable: false,
          error: `no answer throughout the ${window.seconds} s verification window (${window.tries} tries; last: ${node.error ?? "no answer"})`,
        }
      : node;
  return { first: samples.first, second: samples.second.map(mark) };
}
