/**
 * Whether a restarted node is back in the network, decided from what it answered (the asking is
 * lib/besu/rejoin.ts): a wave of a change needs every node of it back before the next may start.
 * Back means: not syncing, its head past the height the wave started at (the chain advanced),
 * directly peered with enough validators for QBFT messages to reach it (Besu sends them only to
 * directly connected validators), and — a validator of the set — proposing blocks again. The
 * first condition not met is the reason.
 */

/** What a node must show to count as rejoined. */
export interface RejoinCriteria {
  /** Public keys (0x + 128 hex) of the validators of the set. */
  validatorPublicKeys: readonly string[];
  /** Validators it must be directly peered with: quorum − 1 (a validator), 1 (a sentry). */
  minValidatorPeers: number;
  /**
   * Count any peer instead (net_peerCount): a sentry serves no ADMIN API, so it cannot say who
   * its peers are.
   */
  anyPeers?: boolean;
  /** The head when the wave began: the node's head must be past it. */
  sinceBlock: number;
  /** For a validator of the set, its address: it must have proposed a block after `sinceBlock`. */
  sealer?: string;
}

/** What a node whose pod is Ready answered. */
export interface RejoinAnswers {
  syncing: boolean;
  head: number;
  /** Its peers' public keys, or (anyPeers) only how many peers it has. */
  peers: { publicKeys: readonly string[] } | { count: number };
  /** The last block the sealer proposed (0: none it remembers); asked only of a sealer. */
  lastProposedBlock?: number;
}

export type RejoinState = { rejoined: true; head: number } | { rejoined: false; reason: string };

export function rejoinVerdict(answers: RejoinAnswers, criteria: RejoinCriteria): RejoinState {
  const { head } = answers;
  if (answers.syncing) return { rejoined: false, reason: `syncing at block ${head}` };
  if (head <= criteria.sinceBlock)
    return { rejoined: false, reason: `head ${head} not past block ${criteria.sinceBlock} yet` };
  const validators = new Set(criteria.validatorPublicKeys);
  const known = "publicKeys" in answers.peers;
  const peered =
    "publicKeys" in answers.peers
      ? answers.peers.publicKeys.filter((peer) => validators.has(peer)).length
      : answers.peers.count;
  if (peered < criteria.minValidatorPeers)
    return {
      rejoined: false,
      reason: `peered with ${peered} ${known ? "validators" : "nodes"}, needs ${criteria.minValidatorPeers}`,
    };
  if (criteria.sealer !== undefined && (answers.lastProposedBlock ?? 0) <= criteria.sinceBlock)
    return { rejoined: false, reason: `has not proposed a block since block ${criteria.sinceBlock}` };
  return { rejoined: true, head };
}
