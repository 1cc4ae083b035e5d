/**
 * How rows of one partition are cut into table transactions. Azure Table storage (and Azurite)
 * refuse a transaction of more than 100 operations or a request body over 4 MiB; the body is
 * multipart, one part per operation with the row as JSON. Rows here hold up to 30,000 characters
 * per property, and a history event's JSON escaping or non-ASCII text can take several bytes per
 * character, so 100 large rows can exceed 4 MiB: slices are bounded by both.
 */

/** Operations per transaction, as Azure Table storage allows. */
export const MAX_TRANSACTION_OPERATIONS = 100;
/** The request body limit of a transaction, with room for the batch's own envelope. */
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024 - 64 * 1024;
/** A generous estimate of one operation's multipart headers (URL, content id, content type). */
const OPERATION_OVERHEAD_BYTES = 1024;

/** The bytes one row adds to a transaction's body, estimated from above. */
export function operationBytes(row: unknown): number {
  return Buffer.byteLength(JSON.stringify(row)) + OPERATION_OVERHEAD_BYTES;
}

/** Consecutive slices of `rows`, each within both limits (a single row always forms a slice). */
export function transactionSlices<T>(rows: readonly T[], sizeOf: (row: T) => number = operationBytes): T[][] {
  const slices: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (current.length > 0 && (current.length === MAX_TRANSACTION_OPERATIONS || bytes + size > MAX_TRANSACTION_BYTES)) {
      slices.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) slices.push(current);
  return slices;
}
