/**
 * The fan-in after provisioning: from the public identities of the nodes that made it, the QBFT
 * genesis of the chain and the static-nodes list, or a clear reason to stop.
 */
import { z } from "zod";
import {
  enodeUrl,
  encodeQbftExtraData,
  faultTolerance,
  parseQbftGenesis,
  QBFT_MIX_HASH,
  quorumSize,
} from "@besu-fleet/qbft";
import { nodeRoleSchema } from "./plan.js";
import type { NetworkSpec } from "./spec.js";

const ADDRESS = /^0x[0-9a-f]{40}$/;
const PUBLIC_KEY = /^0x[0-9a-f]{128}$/;

/**
 * What phase A returns per node: public identities only (the private key stays in its
 * Kubernetes Secret).
 */
export const nodePublicIdentitySchema = z.object({
  /** Business key from the plan, e.g. `northeurope/validator-1`. */
  nodeId: z.string().min(1),
  region: z.string().min(1),
  role: nodeRoleSchema,
  /** 0x lowercase address (last 20 bytes of keccak256 of the public key). */
  address: z.string().regex(ADDRESS, "must be a 0x lowercase 20-byte address"),
  /** 0x + 128 lowercase hex: the uncompressed public key without its 04 prefix. */
  publicKey: z.string().regex(PUBLIC_KEY, "must be 0x + 128 lowercase hex characters"),
  /** Public address other nodes dial (the node's LoadBalancer IP). */
  p2pHost: z.string().min(1),
  p2pPort: z.int().min(1).max(65535),
});
export type NodePublicIdentity = z.infer<typeof nodePublicIdentitySchema>;

/** A Besu genesis file for QBFT with block-header validator selection. */
export interface QbftGenesisFile {
  config: {
    chainId: number;
    berlinBlock: number;
    londonBlock: number;
    shanghaiTime: number;
    zeroBaseFee: boolean;
    qbft: { blockperiodseconds: number; epochlength: number; requesttimeoutseconds: number };
  };
  nonce: string;
  timestamp: string;
  gasLimit: string;
  difficulty: string;
  mixHash: string;
  coinbase: string;
  alloc: Record<string, { balance: string }>;
  extraData: string;
}

/** The genesis and what nodes and verification need from it. */
export interface NetworkGenesis {
  genesis: QbftGenesisFile;
  /** `genesis.json` text, as mounted into every node (byte-identical everywhere). */
  genesisJson: string;
  /** Genesis block hash every node must report (`admin_nodeInfo.protocols.eth.genesis`). */
  genesisHash: string;
  /** Validator addresses in extraData order (ascending). */
  validators: string[];
  /** Enode URLs of the validators, for `static-nodes.json`. */
  staticNodes: string[];
  /** `static-nodes.json` text. */
  staticNodesJson: string;
}

/** Outcome of the fan-in: a genesis, or a permanent reason the network cannot form. */
export type GenesisDecision = ({ ok: true } & NetworkGenesis) | { ok: false; kind: "permanent"; reason: string };

/** Lowercase, ascending, each address checked and present once. */
function canonicalValidatorOrder(addresses: readonly string[]): string[] {
  const validators = addresses.map((address) => address.toLowerCase()).sort();
  validators.forEach((address, index) => {
    if (!ADDRESS.test(address)) throw new Error(`validator address ${address} is not a 20-byte hex address`);
    if (index > 0 && validators[index - 1] === address) throw new Error(`validator address ${address} appears twice`);
  });
  return validators;
}

/**
 * Builds the QBFT genesis for the given validators. The addresses are sorted ascending, as the
 * Besu docs ask, so that the same validators always give the same genesis (and hash), whatever
 * order the regions finished in. Throws on a malformed or repeated address: the identities come
 * from our own key derivation, so either is a bug, not an operator error.
 */
export function buildGenesis(network: NetworkSpec, validatorAddresses: readonly string[]): QbftGenesisFile {
  const validators = canonicalValidatorOrder(validatorAddresses);
  const alloc = Object.fromEntries(
    Object.entries(network.alloc)
      .map(([address, account]): [string, { balance: string }] => [address.toLowerCase(), { balance: account.balance }])
      .sort(([left], [right]) => left.localeCompare(right)),
  );
  return {
    config: {
      chainId: network.chainId,
      // Every fork from genesis, so that contracts compiled for current EVMs (PUSH0) run; the zero
      // base fee matches the nodes' --min-gas-price 0 (a permissioned chain without fee market).
      berlinBlock: 0,
      londonBlock: 0,
      shanghaiTime: 0,
      zeroBaseFee: true,
      qbft: {
        blockperiodseconds: network.qbft.blockperiodseconds,
        epochlength: network.qbft.epochlength,
        requesttimeoutseconds: network.qbft.requesttimeoutseconds,
      },
    },
    nonce: "0x0",
    // A fixed timestamp keeps the genesis a pure function of the spec and the validator set.
    timestamp: "0x0",
    gasLimit: network.gasLimit,
    difficulty: "0x1",
    mixHash: QBFT_MIX_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    alloc,
    extraData: encodeQbftExtraData(validators),
  };
}

/**
 * Static-nodes entries: the enode of every validator. Validators must be directly connected to
 * each other for QBFT messages to flow, and sentries reach the chain through the validators, so
 * one list serves every node. Sorted by node id for a stable ConfigMap.
 */
export function staticNodesList(identities: readonly NodePublicIdentity[]): string[] {
  return identities
    .filter((identity) => identity.role === "validator")
    .sort((left, right) => left.nodeId.localeCompare(right.nodeId))
    .map((identity) => enodeUrl(identity.publicKey, identity.p2pHost, identity.p2pPort));
}

/** Why the network cannot form with this many validators, or undefined when it can. */
export function validatorPolicyProblem(validatorCount: number, minValidators: number): string | undefined {
  if (validatorCount >= minValidators) return undefined;
  const quorum =
    validatorCount > 0
      ? `; with ${validatorCount} validators QBFT would need ${quorumSize(validatorCount)} of them online and tolerate ${faultTolerance(validatorCount)} faulty`
      : "";
  return `only ${validatorCount} validators made it through provisioning, fewer than rollout.minValidators (${minValidators})${quorum}; stopping before genesis`;
}

/**
 * The fan-in after phase A: checks the validator policy, then builds genesis and static nodes
 * from the identities of the nodes that made it.
 */
export function decideGenesis(
  network: NetworkSpec,
  minValidators: number,
  identities: readonly NodePublicIdentity[],
): GenesisDecision {
  const validatorIdentities = identities.filter((identity) => identity.role === "validator");
  const problem = validatorPolicyProblem(validatorIdentities.length, minValidators);
  if (problem !== undefined) return { ok: false, kind: "permanent", reason: problem };
  const genesis = buildGenesis(
    network,
    validatorIdentities.map((identity) => identity.address),
  );
  const genesisJson = `${JSON.stringify(genesis, null, 2)}\n`;
  const staticNodes = staticNodesList(identities);
  return {
    ok: true,
    genesis,
    genesisJson,
    genesisHash: parseQbftGenesis(genesisJson).hash,
    validators: canonicalValidatorOrder(validatorIdentities.map((identity) => identity.address)),
    staticNodes,
    staticNodesJson: `${JSON.stringify(staticNodes, null, 2)}\n`,
  };
}
