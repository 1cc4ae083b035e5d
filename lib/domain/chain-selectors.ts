/**
 * CCIP chain selectors as Chainlink publishes them (smartcontractkit/chain-selectors,
 * `selectors.yml`), for the chains an operator is likely to pair with Chain 138. A selector is a
 * uint64 that CCIP uses instead of the chain id; giving one that belongs to another chain would
 * wire a lane to the wrong network, so the spec is checked against this table. Chain 138 has no
 * official selector (Chainlink assigns them when it onboards a chain), so it is not listed here.
 */

/** Chain id → published CCIP selector (decimal strings: selectors exceed 2^53). */
export const KNOWN_CHAIN_SELECTORS: ReadonlyMap<number, string> = new Map([
  [1, "5009297550715157269"], // Ethereum mainnet
  [11155111, "16015286601757825753"], // Ethereum Sepolia
  [10, "3734403246176062136"], // OP mainnet
  [56, "11344663589394136015"], // BNB Chain
  [137, "4051577828743386545"], // Polygon
  [8453, "15971525489660198786"], // Base
  [42161, "4949039107694359620"], // Arbitrum One
  [43114, "6433500567565415381"], // Avalanche C-Chain
]);

/** The chain a published selector belongs to, or undefined for a selector not in the table. */
export function chainOfSelector(selector: string): number | undefined {
  for (const [chainId, known] of KNOWN_CHAIN_SELECTORS) if (known === selector) return chainId;
  return undefined;
}
