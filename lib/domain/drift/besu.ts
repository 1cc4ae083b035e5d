/**
 * Drift of the Besu nodes (pure), judged on two samples of every node taken at least one block
 * period apart, with the same notions as the rollout's verification (lib/domain/verification.ts):
 * reachable, same chain id and genesis, heads advancing and close (projected to one moment),
 * the validator set as recorded, no pending votes, validators peered with a quorum, ready.
 * Each finding names the node; a node whose cluster could not be read is unknown, not drift.
 */
import { quorumSize } from "@besu-fleet/qbft";
import { projectHeads, type ObservedNode } from "../verification.js";
import type { ObservedDrift } from "./report.js";

export interface BesuExpectation {
  chainIdHex: string;
  genesisHash: string;
  /** The validator set as recorded in the network record. */
  validators: readonly string[];
  /** Public keys of those validators: peering is counted against them. */
  validatorPublicKeys: readonly string[];
  /** Largest allowed difference between the highest and the lowest head. */
  maxHeadSpread: number;
}

const sortedLower = (values: readonly string[] | undefined): string[] =>
  (values ?? []).map((value) => value.toLowerCase()).sort();

/** `+added −removed` between two address sets, for a report. */
function setDifference(expected: readonly string[], actual: readonly string[] | undefined): string {
  if (actual === undefined) return "not answered";
  const [want, have] = [new Set(sortedLower(expected)), new Set(sortedLower(actual))];
  const added = [...have].filter((address) => !want.has(address)).map((address) => `+${address}`);
  const removed = [...want].filter((address) => !have.has(address)).map((address) => `-${address}`);
  return [...added, ...removed].join(" ") || "same";
}

export function besuDrift(
  expected: BesuExpectation,
  first: readonly ObservedNode[],
  second: readonly ObservedNode[],
): ObservedDrift[] {
  const firstById = new Map(first.map((node) => [node.nodeId, node]));
  const { heads, slack } = projectHeads(second, firstById);
  const highest = Math.max(0, ...heads.values());
  const allowedSpread = expected.maxHeadSpread + slack;
  const validatorKeys = new Set(expected.validatorPublicKeys.map((key) => key.toLowerCase()));
  const needPeers = Math.max(0, quorumSize(expected.validators.length) - 1);
  const wantValidators = JSON.stringify(sortedLower(expected.validators));
  return second.flatMap((node): ObservedDrift[] => {
    const finding = (field: string, desired: string, actual: string, critical = node.role === "validator") => ({
      kind: "besu" as const,
      region: node.region,
      resource: node.nodeId,
      field,
      desired,
      actual,
      severity: critical ? ("critical" as const) : ("warning" as const),
    });
    if (!node.reachable) return [finding("reachable", "answers JSON-RPC", node.error ?? "no answer")];
    const drift: ObservedDrift[] = [];
    if (node.chainId?.toLowerCase() !== expected.chainIdHex.toLowerCase())
      drift.push(finding("chainId", expected.chainIdHex, node.chainId ?? "?", true));
    if (node.genesisHash?.toLowerCase() !== expected.genesisHash.toLowerCase())
      drift.push(finding("genesisHash", expected.genesisHash, node.genesisHash ?? "?", true));
    const before = firstById.get(node.nodeId)?.blockNumber;
    if (node.blockNumber === undefined || before === undefined || node.blockNumber <= before)
      drift.push(finding("head", "advancing", `at ${node.blockNumber ?? "?"} (was ${before ?? "?"})`));
    else if (highest - (heads.get(node.nodeId) ?? 0) > allowedSpread || node.syncing === true)
      drift.push(
        finding(
          "head",
          `within ${allowedSpread} blocks of the highest`,
          `${Math.round(highest - (heads.get(node.nodeId) ?? 0))} behind${node.syncing === true ? ", syncing" : ""}`,
        ),
      );
    if (JSON.stringify(sortedLower(node.validatorsLatest)) !== wantValidators)
      drift.push(
        finding(
          "validators",
          `${expected.validators.length} as recorded`,
          setDifference(expected.validators, node.validatorsLatest),
          true,
        ),
      );
    else if (JSON.stringify(sortedLower(node.validatorsPending)) !== wantValidators)
      drift.push(finding("pendingVotes", "none", setDifference(expected.validators, node.validatorsPending), true));
    if (node.role === "validator") {
      const peered = (node.peerPublicKeys ?? []).filter((key) => validatorKeys.has(key.toLowerCase())).length;
      if (peered < needPeers) drift.push(finding("validatorPeers", `at least ${needPeers}`, String(peered)));
    }
    if (node.ready !== true) drift.push(finding("ready", "true", String(node.ready ?? "?")));
    return drift;
  });
}
