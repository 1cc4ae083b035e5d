/**
 * Admission of validators into a running QBFT network by vote (pure). Besu adds a validator once
 * more than half of the current validators proposed it in blocks of one epoch
 * (qbft_proposeValidatorVote); QBFT blocks are final, so one node's latest validator set is the
 * chain's. Votes stay pending in each node until discarded, so they are discarded once the
 * validator is in — and when admission gives up, so that a stale vote cannot admit it later.
 */

/** What one voting validator answered after the round's proposals and discards. */
export interface VoterReport {
  nodeId: string;
  /** The votes were placed (or discarded) and the node answered. */
  ok: boolean;
  /** Validators of the latest block as this node sees them. */
  validators?: string[];
  /** Why the node could not vote, for an operator. */
  error?: string;
}

export interface AdmissionRound {
  /** The chain's validator set: the largest one any voter reported (sets only grow during admission), or the one before. */
  validators: string[];
  /** Joining validators now in the set. */
  admitted: string[];
  /** Joining validators not in the set yet. */
  pending: string[];
  /** Votes a proposal needs to pass: more than half of the current set. */
  votesNeeded: number;
  /** Voters that placed the round's votes. */
  votesPlaced: number;
  /** Voters that could not vote, with why. */
  unreachable: string[];
}

/** Reads one voting round: which joining validators made it and whether enough voters were reached. */
export function assessAdmissionRound(input: {
  validatorsBefore: readonly string[];
  joining: readonly string[];
  reports: readonly VoterReport[];
}): AdmissionRound {
  const sets = input.reports
    .filter((report) => report.ok && report.validators !== undefined)
    .map((report) => report.validators ?? []);
  const largest = sets.reduce<readonly string[]>(
    (best, set) => (set.length > best.length ? set : best),
    input.validatorsBefore,
  );
  const validators = [...new Set(largest.map((address) => address.toLowerCase()))].sort();
  const inSet = new Set(validators);
  return {
    validators,
    admitted: input.joining.filter((address) => inSet.has(address)),
    pending: input.joining.filter((address) => !inSet.has(address)),
    votesNeeded: Math.floor(validators.length / 2) + 1,
    votesPlaced: input.reports.filter((report) => report.ok).length,
    unreachable: input.reports
      .filter((report) => !report.ok)
      .map((report) => `${report.nodeId} (${report.error ?? "no answer"})`),
  };
}

/** Why admission is not progressing, for the region's last error. */
export function admissionProblem(round: AdmissionRound, waitedMinutes: number): string {
  const reach =
    round.votesPlaced < round.votesNeeded
      ? `only ${round.votesPlaced} of ${round.validators.length} validators took the vote (${round.votesNeeded} needed)${round.unreachable.length > 0 ? `; could not vote: ${round.unreachable.join(", ")}` : ""}`
      : `${round.votesPlaced} validators proposed it, but the chain has not added it`;
  return `after ${waitedMinutes} minutes ${round.pending.join(", ")} still not in the validator set: ${reach}`;
}
