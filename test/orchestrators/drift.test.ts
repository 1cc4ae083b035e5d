/**
 * The real drift-check orchestration, replayed by the real SDK on the local host (Azurite), with
 * typed fake activities (test/fixtures/rollout-fakes): the chains are checked beside the regions
 * when the baseline has on-chain state, their findings land in the report with the others, a
 * chain whose RPC endpoint never answers is retried and then unknown (never in sync), and a
 * baseline without chains asks no chain at all.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { DriftBaseline } from "../../activities/drift-contracts.js";
import { driftReportSchema, type DriftReport, type ObservedDrift } from "../../lib/domain/drift/report.js";
import { networkRecordName, networkRecordSchema, validatorPublicKeys } from "../../lib/domain/network-record.js";
import { type DesiredState } from "../../lib/domain/spec.js";
import { parseSpecText, validateSpec } from "../../lib/domain/spec-validation.js";
import { driftCheckStatusSchema, driftInstanceId } from "../../orchestrators/drift/contract.js";
import type { RolloutInput } from "../../orchestrators/contracts.js";
import { fakeDocumentPath } from "../fixtures/rollout-fakes/documents.js";
import { startFakesHost, type FakesHost } from "../fixtures/rollout-fakes/host.js";
import { REPO_ROOT } from "../support/paths.js";

const NETWORK = "driftfake";

let fakes: FakesHost;
const behaviourFile = (): string => fakes.behaviourFile;

/** The small example, with short polls and retries so that the test runs in seconds. */
function smallSpec(): DesiredState {
  const parsed = parseSpecText(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8"));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return {
    ...parsed.spec,
    network: { ...parsed.spec.network, name: NETWORK, qbft: { ...parsed.spec.network.qbft, blockperiodseconds: 1 } },
    rollout: {
      ...parsed.spec.rollout,
      pollIntervalSeconds: 1,
      retry: { ...parsed.spec.rollout.retry, maxAttempts: 3, firstRetryIntervalSeconds: 1, maxRetryIntervalSeconds: 2 },
    },
  };
}

/** The baseline of the fake rollout, with `onChain` (chains, funding) added to its spec. */
function baseline(spec: DesiredState, onChain: Record<string, unknown>): DriftBaseline {
  const validated = validateSpec({ ...spec, ...onChain });
  assert.ok(validated.ok, JSON.stringify(!validated.ok && validated.problems));
  const record = networkRecordSchema.parse(
    JSON.parse(fs.readFileSync(fakeDocumentPath(behaviourFile(), networkRecordName(NETWORK)), "utf8")),
  );
  return {
    rolloutId: `rollout-${NETWORK}-1`,
    specDocument: `rollouts/rollout-${NETWORK}-1/spec.json`,
    networkDocument: `rollouts/rollout-${NETWORK}-1/network.json`,
    spec: validated.spec,
    expectation: {
      chainIdHex: "0x8a",
      genesisHash: record.genesisHash,
      validators: record.validators,
      validatorPublicKeys: validatorPublicKeys(record, record.validators),
    },
    contracts: [
      {
        chain: "mainnet",
        name: "pool",
        address: "0x00000000000000000000000000000000000000a1",
        codeHash: `0x${"11".repeat(32)}`,
      },
    ],
  };
}

const poolReplaced: ObservedDrift = {
  kind: "contracts",
  region: "mainnet",
  resource: "contract/pool",
  field: "codeHash",
  desired: `0x${"11".repeat(32)}`,
  actual: `0x${"22".repeat(32)}`,
  severity: "critical",
};

let checks = 0;
/** Runs one drift check with the given fake behaviour; returns the report it saved. */
async function driftCheck(behaviour: object): Promise<DriftReport> {
  checks += 1;
  fs.writeFileSync(behaviourFile(), JSON.stringify({ ...behaviour, run: `drift-${checks}` }));
  const status = driftCheckStatusSchema.parse(
    await fakes.runToEnd("driftCheck", `${driftInstanceId(NETWORK)}-${checks}`, { network: NETWORK, trigger: "api" }),
  );
  assert.ok(status.document, JSON.stringify(status));
  return driftReportSchema.parse(
    JSON.parse(fs.readFileSync(fakeDocumentPath(behaviourFile(), status.document), "utf8")),
  );
}

const ofContracts = (report: DriftReport) => ({
  findings: report.findings.filter((finding) => finding.kind === "contracts").map((finding) => finding.resource),
  unknown: report.unknown
    .filter((entry) => entry.kind === "contracts")
    .map((entry) => `${entry.region} ${entry.resource}: ${entry.reason}`),
});

before(async () => {
  fakes = await startFakesHost("besu-fleet-drift-orchestrator-");
  // A fake rollout first: the fake nodes answer with its genesis.
  const spec = smallSpec();
  const rolloutId = `rollout-${NETWORK}-1`;
  fs.writeFileSync(behaviourFile(), JSON.stringify({ run: rolloutId }));
  const input: RolloutInput = { rolloutId, spec, regions: spec.regions.map((region) => region.name) };
  await fakes.runToEnd("rollout", rolloutId, input);
});

after(async () => {
  await fakes?.stop();
});

describe("drift check orchestration with fake activities", () => {
  const onChain = {
    chains: { chain138: { chainSelector: "13813813813813813813" }, mainnet: {} },
    funding: {
      topUps: [
        { name: "operatorGas", chain: "chain138", account: "0x00000000000000000000000000000000000c0138", target: "1" },
      ],
      caps: [{ chain: "chain138", asset: "native", max: "1" }],
    },
  };

  test("both chains are checked beside the regions; a chain's findings are in the report, an unreachable chain is unknown", async () => {
    const report = await driftCheck({
      driftBaseline: baseline(smallSpec(), onChain),
      onChainFindings: { mainnet: [poolReplaced] },
      unreachableChains: ["chain138"],
    });
    assert.equal(report.state, "Drifted");
    assert.deepEqual(
      report.findings.find((finding) => finding.kind === "contracts"),
      { ...poolReplaced, since: report.startedAt },
    );
    const { findings, unknown } = ofContracts(report);
    assert.deepEqual(findings, ["contract/pool"]);
    assert.equal(unknown.length, 1, JSON.stringify(unknown));
    assert.match(unknown[0] ?? "", /^chain138 \(chain\): the chain could not be read: .*ECONNREFUSED \(fake\)/);
  });

  test("a chain that could not be read makes an otherwise clean network Unknown, not InSync", async () => {
    const report = await driftCheck({ driftBaseline: baseline(smallSpec(), onChain), unreachableChains: ["chain138"] });
    assert.deepEqual(report.findings, [], "the regions and mainnet are in sync");
    assert.equal(ofContracts(report).unknown.length, 1);
    assert.equal(report.state, "Unknown");
  });

  test("a baseline without chains asks no chain", async () => {
    const withoutChains = { ...baseline(smallSpec(), {}), contracts: [] };
    const report = await driftCheck({
      driftBaseline: withoutChains,
      onChainFindings: { mainnet: [poolReplaced], chain138: [poolReplaced] },
    });
    assert.deepEqual(ofContracts(report), { findings: [], unknown: [] });
  });

  test("the report carries the network's health from the nodes' samples, every planned region in it", async () => {
    const { health } = await driftCheck({ driftBaseline: baseline(smallSpec(), {}) });
    assert.deepEqual(
      health?.regions.map((region) => region.region),
      smallSpec().regions.map((region) => region.name),
    );
    assert.ok(health !== undefined && health.validators > 0 && health.validatorsUp === health.validators);
    assert.ok((health.height ?? 0) > 0, "the fake nodes report a height");
  });
});
