/** QBFT fault-tolerance arithmetic (Besu `BftHelpers`). */

function assertValidatorCount(validatorCount: number): void {
  if (!Number.isInteger(validatorCount) || validatorCount < 1) {
    throw new Error(`validator count must be a positive integer, got ${validatorCount}`);
  }
}

/** Committed seals (and connected, live validators) needed for a block: ceil(2n/3). */
export function quorumSize(validatorCount: number): number {
  assertValidatorCount(validatorCount);
  return Math.ceil((2 * validatorCount) / 3);
}

/** Byzantine faults tolerated: floor((n-1)/3). */
export function faultTolerance(validatorCount: number): number {
  assertValidatorCount(validatorCount);
  return Math.floor((validatorCount - 1) / 3);
}

/**
 * How many validators may be down at once, counting those already down, without risking a halt:
 * min(f, n − quorum) minus the ones already down (never negative).
 */
export function disruptionBudget(validatorCount: number, alreadyDown: number): number {
  const budget = Math.min(faultTolerance(validatorCount), validatorCount - quorumSize(validatorCount));
  return Math.max(0, budget - alreadyDown);
}
