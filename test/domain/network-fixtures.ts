/** A network record as a test needs it: a network deployed exactly as a spec says, with made-up public identities. */
import assert from "node:assert/strict";
import { planChanges } from "../../lib/domain/changes/plan.js";
import type { NetworkRecord } from "../../lib/domain/network-record.js";
import { planRollout } from "../../lib/domain/plan.js";
import type { DesiredState } from "../../lib/domain/spec.js";

const hex = (seed: number, length: number): string => `0x${seed.toString(16).padStart(length, "0")}`;

/** The record of a network deployed exactly as `spec` says (made-up public identities, fingerprints from a plan). */
export function recordOf(spec: DesiredState): NetworkRecord {
  const nodes = planRollout(spec).flatMap((plan) => plan.clusters.flatMap((cluster) => cluster.nodes));
  const members = nodes.map((node, index) => ({
    nodeId: node.id,
    region: node.region,
    role: node.role,
    address: hex(index + 1, 40),
    publicKey: hex(index + 1, 128),
    p2pHost: `20.0.${Math.floor(index / 250)}.${(index % 250) + 1}`,
    p2pPort: 30303,
  }));
  const validators = members.filter((member) => member.role === "validator").map((member) => member.address);
  const bare: NetworkRecord = {
    network: spec.network.name,
    chainId: spec.network.chainId,
    genesisJson: "{}\n",
    genesisHash: hex(1, 64),
    genesisValidators: validators,
    validators,
    members,
    formedBy: "rollout-chain138-1",
    updatedBy: "rollout-chain138-1",
  };
  const formed = planChanges(spec, bare);
  if (!formed.ok) assert.fail(JSON.stringify(formed.problems));
  return { ...bare, nodes: formed.plan.applied };
}
