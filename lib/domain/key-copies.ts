/**
 * One live copy per validator key. Before a validator starts, the control plane makes sure no
 * other live node holds its key: two live nodes with one key sign for one address twice
 * (equivocation) and break each other's peering (besu#4509). A copy shows in two ways, and both
 * are checked: the network record names another node with that address and that node answers, or
 * a live node of the network is peered with a node holding that key while the validator itself is
 * not running. How a second copy comes about: a cluster restored from an old backup, a key Secret
 * copied by hand, a region rebuilt while its old cluster still runs.
 *
 * Pure: the orchestrator observes the nodes (orchestrators/rollout/key-check.ts) and decides here.
 */
import type { NodePublicIdentity } from "./genesis.js";
import type { NetworkRecord } from "./network-record.js";

/** What a live check learned of one node: whether it answered, and whom it is peered with. */
export interface NodeLiveness {
  nodeId: string;
  reachable: boolean;
  /** Public keys (0x + 128 hex) of its direct peers. */
  peerPublicKeys: readonly string[];
}

/** A validator that must not start, and why. */
export interface RefusedValidator {
  nodeId: string;
  region: string;
  address: string;
  reason: string;
}

/**
 * The validators among `candidates` (this rollout's identities) that must not start because
 * their key would then be live twice. A candidate that already runs with the key the record knows
 * for it starts nothing new. Any other is refused when another node holding its address — a
 * candidate or a recorded member — answers; when another candidate with its address would start
 * with it; or when a live node is peered with a node holding its key.
 */
export function refuseLiveCopies(
  candidates: readonly NodePublicIdentity[],
  record: NetworkRecord | undefined,
  observed: readonly NodeLiveness[],
): RefusedValidator[] {
  const validators = candidates.filter((candidate) => candidate.role === "validator");
  const live = observed.filter((node) => node.reachable);
  const isLive = (nodeId: string): boolean => live.some((node) => node.nodeId === nodeId);
  const recorded = new Map((record?.members ?? []).map((member) => [member.nodeId, member.address]));
  /** Runs now with the key it is to run with: a restart keeps the one copy. */
  const runsWithItsKey = (candidate: NodePublicIdentity): boolean =>
    isLive(candidate.nodeId) && (recorded.get(candidate.nodeId) ?? candidate.address) === candidate.address;
  const refused: RefusedValidator[] = [];
  for (const candidate of validators) {
    if (runsWithItsKey(candidate)) continue;
    const refuse = (reason: string) =>
      refused.push({ nodeId: candidate.nodeId, region: candidate.region, address: candidate.address, reason });
    const key = `validator key ${candidate.address} of ${candidate.nodeId}`;
    const twins = validators.filter(
      (other) => other.nodeId !== candidate.nodeId && other.address === candidate.address,
    );
    const holders = [
      ...new Set([
        ...twins.map((twin) => twin.nodeId),
        ...[...recorded]
          .filter(([nodeId, address]) => nodeId !== candidate.nodeId && address === candidate.address)
          .map(([nodeId]) => nodeId),
      ]),
    ];
    const liveHolders = holders.filter(isLive);
    const peeredWith = live.filter(
      (node) => node.nodeId !== candidate.nodeId && node.peerPublicKeys.includes(candidate.publicKey),
    );
    if (liveHolders.length > 0)
      refuse(`${key} is live at ${liveHolders.join(", ")}; starting a second copy would equivocate`);
    else if (twins.length > 0)
      refuse(`${key} is also the key of ${twins.map((twin) => twin.nodeId).join(", ")}, which this rollout starts`);
    else if (peeredWith.length > 0)
      refuse(
        `${key} is live on a node peered with ${peeredWith.map((node) => node.nodeId).join(", ")}; starting a second copy would equivocate`,
      );
  }
  return refused;
}
