/**
 * Equivocation as the network model sees it: one validator key live on two or more nodes of a
 * network at once. Each copy signs its own proposals and votes for the same address, which QBFT
 * counts as one validator saying two things (and one node id on two nodes breaks peering,
 * besu#4509). The simulator does not model what the chain would do then; it reports the fact,
 * in `/_sim/besu/networks`, so a test can show the control plane never lets it happen.
 */
import type { QbftNetwork } from "./network.js";
import type { BesuNode } from "./node.js";

/** One validator address and the live nodes that hold its key. */
export interface Equivocation {
  address: string;
  /** `<region>/<cluster>/<namespace>/<pod>` of each live copy. */
  nodes: string[];
}

/** The validator keys of `network` that two or more of `nodes` hold while up. */
export function equivocations(nodes: readonly BesuNode[], network: QbftNetwork): Equivocation[] {
  const validators = new Set(network.currentValidators());
  const holders = new Map<string, string[]>();
  for (const node of nodes) {
    if (node.network !== network || !node.isUp() || !validators.has(node.address)) continue;
    const { region, clusterName, namespace, podName } = node.environment.location;
    holders.set(node.address, [
      ...(holders.get(node.address) ?? []),
      `${region}/${clusterName}/${namespace}/${podName}`,
    ]);
  }
  return [...holders]
    .filter(([, copies]) => copies.length > 1)
    .map(([address, copies]) => ({ address, nodes: copies.sort() }))
    .sort((left, right) => left.address.localeCompare(right.address));
}
