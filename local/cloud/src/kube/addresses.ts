/**
 * IPv4 addresses as the simulated networks hand them out: a dotted-quad formatter, and a pool
 * that gives sequential addresses from a network's base (pod IPs, Service cluster IPs).
 */

/** `10.244.0.12` from its 32-bit value. */
export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** Sequential addresses from a base (`10.0.0.0` + n), skipping the network's first hosts. */
export class AddressPool {
  private next: number;

  constructor(
    private readonly base: number,
    first: number,
  ) {
    this.next = first;
  }

  take(): string {
    return formatIPv4(this.base + this.next++);
  }
}
