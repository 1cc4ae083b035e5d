/**
 * API server authorized IP ranges as AKS enforces them: its load balancer drops a connection from
 * any other address before TLS, so the client sees no answer at all (a timeout in Azure). The
 * simulator closes such a connection at once instead, so that a client fails fast with a reset,
 * which it handles the same way (a network error). No ranges: every address may connect.
 */
import { BlockList } from "node:net";

export class AuthorizedRanges {
  private allowed: BlockList | undefined;

  constructor(ranges: readonly string[]) {
    this.set(ranges);
  }

  /** Replaces the ranges (a cluster update changed them); `a.b.c.d/n` each, as ARM stores them. */
  set(ranges: readonly string[]): void {
    if (ranges.length === 0) {
      this.allowed = undefined;
      return;
    }
    const allowed = new BlockList();
    for (const range of ranges) {
      const [address = "", prefix = "32"] = range.split("/");
      allowed.addSubnet(address, Number(prefix), "ipv4");
    }
    this.allowed = allowed;
  }

  admits(remoteAddress: string | undefined): boolean {
    if (this.allowed === undefined) return true;
    if (remoteAddress === undefined) return false;
    // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d.
    return this.allowed.check(remoteAddress.replace(/^::ffff:/, ""), "ipv4");
  }
}
