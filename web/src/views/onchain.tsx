/**
 * The on-chain phases of a rollout (docs/contracts.md): each deployment on Chain 138 and mainnet
 * with its address and transaction, each CCIP ensure-step and each top-up with its state, live,
 * and the final on-chain verification's problems. Hashes are shown whole (monospace) so they can
 * be copied into a block explorer; they are public data.
 */
import type { RolloutStatus } from "../api.js";

type OnChain = NonNullable<RolloutStatus["onChain"]>;

/** States that mean "done as desired", "failed", or neither yet. */
const GOOD = new Set(["deployed", "present", "held", "made", "funded", "atTarget"]);

function StateCell(props: { state: string }) {
  const tone = GOOD.has(props.state) ? "succeeded" : props.state === "failed" ? "failed" : "pending";
  return (
    <td>
      <span class={`state state-${tone}`}>{props.state}</span>
    </td>
  );
}

const Hash = (props: { value?: string }) => (props.value ? <code class="hash">{props.value}</code> : null);

export function OnChainSection(props: { onChain: OnChain; contracts: RolloutStatus["contracts"] }) {
  const { deployments, ccipSteps, topUps, verificationProblems } = props.onChain;
  const codeHashes = new Map((props.contracts ?? []).map((entry) => [`${entry.chain}/${entry.name}`, entry.codeHash]));
  return (
    <section aria-labelledby="onchain-title">
      <h2 id="onchain-title">Contracts, CCIP and funding</h2>
      {verificationProblems !== undefined && (
        <p class={verificationProblems.length === 0 ? "" : "error"} data-testid="onchain-verification">
          On-chain verification:{" "}
          {verificationProblems.length === 0
            ? "every address, step and balance holds"
            : verificationProblems.join("; ")}
        </p>
      )}
      {deployments.length > 0 && (
        <table data-testid="deployments">
          <caption>Deployments</caption>
          <thead>
            <tr>
              <th scope="col">Chain</th>
              <th scope="col">Contract</th>
              <th scope="col">State</th>
              <th scope="col">Address</th>
              <th scope="col">Code hash</th>
              <th scope="col">Transaction</th>
            </tr>
          </thead>
          <tbody>
            {deployments.map((deployment) => (
              <tr key={`${deployment.chain}/${deployment.name}`} class={deployment.state === "failed" ? "bad" : ""}>
                <td>{deployment.chain}</td>
                <td>{deployment.name}</td>
                <StateCell state={deployment.state} />
                <td>
                  <Hash value={deployment.address} />
                </td>
                <td>
                  <Hash value={codeHashes.get(`${deployment.chain}/${deployment.name}`)} />
                </td>
                <td>
                  <Hash value={deployment.hash} />
                  {deployment.error && <div class="error">{deployment.error}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {ccipSteps.length > 0 && (
        <table data-testid="ccip-steps">
          <caption>CCIP ensure-steps, in order</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Chain</th>
              <th scope="col">State</th>
              <th scope="col">Transactions</th>
            </tr>
          </thead>
          <tbody>
            {ccipSteps.map((step) => (
              <tr key={step.name} class={step.state === "failed" ? "bad" : ""}>
                <td>{step.name}</td>
                <td>{step.chain}</td>
                <StateCell state={step.state} />
                <td>
                  {step.hashes.map((hash) => (
                    <div key={hash}>
                      <Hash value={hash} />
                    </div>
                  ))}
                  {step.error && <div class="error">{step.error}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {topUps.length > 0 && (
        <table data-testid="top-ups">
          <caption>Funding, in order</caption>
          <thead>
            <tr>
              <th scope="col">Top-up</th>
              <th scope="col">Chain</th>
              <th scope="col">State</th>
              <th scope="col">Sent</th>
              <th scope="col">Transaction</th>
            </tr>
          </thead>
          <tbody>
            {topUps.map((topUp) => (
              <tr key={topUp.name} class={topUp.state === "failed" ? "bad" : ""}>
                <td>{topUp.name}</td>
                <td>{topUp.chain}</td>
                <StateCell state={topUp.state} />
                <td>{topUp.sent ?? ""}</td>
                <td>
                  <Hash value={topUp.hash} />
                  {topUp.error && <div class="error">{topUp.error}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
