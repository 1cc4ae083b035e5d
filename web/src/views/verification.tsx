/** The verification at the end of a rollout: the network-wide checks, then each region's (docs/status.md). */
import type { CheckResult, RolloutStatus } from "../api.js";

function CheckRows(props: { scope: string; checks: CheckResult[] }) {
  return (
    <>
      {props.checks.map((check) => (
        <tr key={`${props.scope}/${check.check}`} class={check.ok ? "" : "bad"}>
          <td>{props.scope}</td>
          <td>{check.check}</td>
          <td>{check.ok ? "✔ pass" : "✘ fail"}</td>
          <td>{check.detail}</td>
        </tr>
      ))}
    </>
  );
}

export function VerificationTable(props: { verification: NonNullable<RolloutStatus["verification"]> }) {
  const { verification } = props;
  return (
    <section aria-labelledby="verification-title">
      <h2 id="verification-title">
        Verification: {verification.ok ? "passed" : "failed"}{" "}
        <small>at {new Date(verification.verifiedAt).toLocaleTimeString()}</small>
      </h2>
      <table data-testid="verification">
        <thead>
          <tr>
            <th scope="col">Scope</th>
            <th scope="col">Check</th>
            <th scope="col">Result</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          <CheckRows scope="network" checks={verification.network} />
          {verification.regions.map((region) => (
            <CheckRows key={region.region} scope={region.region} checks={region.checks} />
          ))}
        </tbody>
      </table>
    </section>
  );
}
