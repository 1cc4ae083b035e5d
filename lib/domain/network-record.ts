/**
 * The record of a network that formed: its genesis, the validator set the control plane last
 * confirmed on the chain, and the public identities of its nodes. A chain's genesis is fixed once
 * a node runs with it, so every later rollout of the same network (a retry of failed regions, a
 * re-run of the whole spec, regions added to the spec) deploys that genesis, and validators that
 * are not in the set yet join by vote instead of by a new genesis, which would fork the chain.
 *
 * Stored in the state container as `networks/<network>/network.json`. It holds no secret: private
 * keys stay in their Kubernetes Secrets.
 */
import { z } from "zod";
import { appliedNodeSchema } from "./changes/fingerprint.js";
import {
  buildGenesis,
  decideGenesis,
  nodePublicIdentitySchema,
  staticNodesList,
  type NodePublicIdentity,
} from "./genesis.js";
import type { NetworkSpec } from "./spec.js";

const ADDRESS = /^0x[0-9a-f]{40}$/;
const addressSchema = z.string().regex(ADDRESS, "must be a 0x lowercase 20-byte address");

export const networkRecordSchema = z.object({
  network: z.string().min(1),
  chainId: z.int().min(1),
  /** `genesis.json` exactly as every node mounts it. */
  genesisJson: z.string().min(1),
  genesisHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  /** Validators of the genesis extraData, ascending. */
  genesisValidators: z.array(addressSchema).min(1),
  /** The validator set as last confirmed on the chain (genesis plus validators voted in), ascending. */
  validators: z.array(addressSchema).min(1),
  /** Every node that has keys in this network, by node id; the latest p2p address wins. */
  members: z.array(nodePublicIdentitySchema),
  /** What each node's StatefulSet was last applied with (changes/fingerprint.ts); absent in older records. */
  nodes: z.array(appliedNodeSchema).optional(),
  /** The rollout whose genesis this is. */
  formedBy: z.string().min(1),
  /** The rollout that last changed this record. */
  updatedBy: z.string().min(1),
});
export type NetworkRecord = z.infer<typeof networkRecordSchema>;

/** Where a network's record is stored. */
export function networkRecordName(network: string): string {
  return `networks/${network}/network.json`;
}

/** What phase B deploys and what the network must look like afterwards. */
export interface NetworkMembership {
  /** The record as it stands when phase B starts: saved before any node runs with its genesis. */
  record: NetworkRecord;
  genesisJson: string;
  genesisHash: string;
  /** Enode URLs of every known validator, the joining ones included, as `static-nodes.json` text. */
  staticNodesJson: string;
  /** Each node's public p2p address by node id (recorded members and this rollout's nodes). */
  p2pHosts: Record<string, string>;
  /** Validators of this rollout that are not in the chain's validator set: they join by vote. */
  joining: NodePublicIdentity[];
}

export type MembershipDecision = ({ ok: true } & NetworkMembership) | { ok: false; reason: string };

const ascending = (addresses: Iterable<string>): string[] => [...new Set(addresses)].sort();

/** Recorded members updated with this rollout's identities (same node id → the newer identity). */
function mergeMembers(
  recorded: readonly NodePublicIdentity[],
  fresh: readonly NodePublicIdentity[],
): NodePublicIdentity[] {
  const byId = new Map(recorded.map((member) => [member.nodeId, member]));
  for (const identity of fresh) byId.set(identity.nodeId, identity);
  return [...byId.values()].sort((left, right) => left.nodeId.localeCompare(right.nodeId));
}

function membershipOf(record: NetworkRecord, joining: NodePublicIdentity[]): NetworkMembership {
  const staticNodes = staticNodesList(record.members);
  return {
    record,
    genesisJson: record.genesisJson,
    genesisHash: record.genesisHash,
    staticNodesJson: `${JSON.stringify(staticNodes, null, 2)}\n`,
    p2pHosts: Object.fromEntries(record.members.map((member) => [member.nodeId, member.p2pHost])),
    joining,
  };
}

/**
 * The fan-in after phase A. Without a record, a new genesis from the validators that made it
 * (subject to the validator policy). With one, its genesis — provided the spec's network section
 * still produces it — and this rollout's validators outside the chain's set as joining ones.
 */
export function decideMembership(input: {
  rolloutId: string;
  network: NetworkSpec;
  minValidators: number;
  identities: readonly NodePublicIdentity[];
  record: NetworkRecord | undefined;
}): MembershipDecision {
  const { record, network, identities, rolloutId } = input;
  if (record === undefined) {
    const genesis = decideGenesis(network, input.minValidators, identities);
    if (!genesis.ok) return { ok: false, reason: genesis.reason };
    const formed: NetworkRecord = {
      network: network.name,
      chainId: network.chainId,
      genesisJson: genesis.genesisJson,
      genesisHash: genesis.genesisHash,
      genesisValidators: genesis.validators,
      validators: genesis.validators,
      members: mergeMembers([], identities),
      formedBy: rolloutId,
      updatedBy: rolloutId,
    };
    return { ok: true, ...membershipOf(formed, []) };
  }
  if (record.network !== network.name)
    return { ok: false, reason: `the network record is of network ${record.network}, not ${network.name}` };
  const expectedGenesis = `${JSON.stringify(buildGenesis(network, record.genesisValidators), null, 2)}\n`;
  if (expectedGenesis !== record.genesisJson) {
    return {
      ok: false,
      reason: `network ${network.name} was formed by ${record.formedBy} with a genesis that the spec's network section (chainId, qbft, gasLimit or alloc) no longer produces; a live chain's genesis cannot change — restore those fields, or roll out under another network name`,
    };
  }
  const inSet = new Set(record.validators);
  const joining = identities.filter((identity) => identity.role === "validator" && !inSet.has(identity.address));
  return {
    ok: true,
    ...membershipOf({ ...record, members: mergeMembers(record.members, identities), updatedBy: rolloutId }, joining),
  };
}

/** The record after validators were voted in: they are part of the confirmed set from now on. */
export function withAdmittedValidators(
  record: NetworkRecord,
  admitted: readonly string[],
  rolloutId: string,
): NetworkRecord {
  return { ...record, validators: ascending([...record.validators, ...admitted]), updatedBy: rolloutId };
}

/** The record's members that are validators of its current set: the ones whose restarts a wave counts. */
export function setValidatorMembers(record: NetworkRecord): NetworkRecord["members"] {
  return record.members.filter((member) => member.role === "validator" && record.validators.includes(member.address));
}

/** Public keys of the record's members that are validators of the given set. */
export function validatorPublicKeys(record: NetworkRecord, validators: readonly string[]): string[] {
  const set = new Set(validators);
  return record.members
    .filter((member) => member.role === "validator" && set.has(member.address))
    .map((member) => member.publicKey);
}
