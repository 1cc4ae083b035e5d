/**
 * The real drift-check orchestration, replayed by the real SDK on the local host (Azurite), with
 * typed fake activities (test/fixtures/rollout-fakes): the chains are checked beside the regions
 * when the baseline has on-chain state, their findings land in the report with the others, a
 * chain whose RPC endpoint never answers is retried and then unknown (never in sync), a
 * baseline without chains asks no chain at all, and safe healing restarts deleted and edited
 * StatefulSets through the rollout's waves.
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

/**
 * The small example's regions with seven validators (f = 2, so waves of two), with short polls and
 * retries so that the test runs in seconds.
 */
function smallSpec(): DesiredState {
  const parsed = parseSpecText(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8"));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const validators: Record<string, number> = { northeurope: 2, uksouth: 2, francecentral: 2, swedencentral: 1 };
  return {
    ...parsed.spec,
    network: { ...parsed.spec.network, name: NETWORK, qbft: { ...parsed.spec.network.qbft, blockperiodseconds: 1 } },
    regions: parsed.spec.regions.map((region) => ({ ...region, validators: validators[region.name] ?? 1 })),
    rollout: {
      ...parsed.spec.rollout,
      maxUnavailableValidators: 2,
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

describe("safe healing through the rollout's waves", () => {
  const statefulSet = (region: string, name: string, field: string): ObservedDrift => ({
    kind: "kubernetes",
    region,
    resource: `StatefulSet/${name}`,
    field,
    desired: field === "(object)" ? "exists" : "hyperledger/besu:24.10.0",
    actual: field === "(object)" ? "deleted" : "hyperledger/besu:24.12.0 (set by kubectl-edit)",
    severity: "critical",
  });
  const image = '.spec.template.spec.containers[name="besu"].image';
  const clusterDrift: Record<string, ObservedDrift[]> = {
    northeurope: [
      statefulSet("northeurope", "besu-validator-1", image),
      statefulSet("northeurope", "besu-validator-2", image),
      statefulSet("northeurope", "besu-sentry-1", image),
    ],
    uksouth: [
      statefulSet("uksouth", "besu-validator-1", "(object)"),
      {
        kind: "kubernetes",
        region: "uksouth",
        resource: "ConfigMap/besu-static-nodes",
        field: ".data.static-nodes.json",
        desired: "[…]",
        actual: "[] (set by kubectl-edit)",
        severity: "warning",
      },
    ],
    francecentral: [statefulSet("francecentral", "besu-validator-2", "(object)")],
    swedencentral: [statefulSet("swedencentral", "besu-validator-1", "(object)")],
  };
  const deleted = ["uksouth/validator-1", "francecentral/validator-2", "swedencentral/validator-1"];
  const edited = ["northeurope/validator-1", "northeurope/validator-2"];

  /** What the fake pods went through, in order. */
  const podEvents = (): { event: "start" | "back"; nodeId: string }[] =>
    fs
      .readFileSync(`${behaviourFile()}.pods.jsonl`, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { event: "start" | "back"; nodeId: string });

  test("deleted and edited StatefulSets in several regions restart at most maxUnavailableValidators validators per wave, each wave back before the next", async () => {
    fs.rmSync(`${behaviourFile()}.pods.jsonl`, { force: true });
    const spec = smallSpec();
    const healing = baseline({ ...spec, drift: { ...spec.drift, remediate: "safe" } }, {});
    const report = await driftCheck({ driftBaseline: { ...healing, contracts: [] }, clusterDrift });
    assert.equal(report.state, "Drifted");

    const waves = report.actions.filter((action) => action.action.startsWith("restart wave"));
    assert.deepEqual(
      waves.map((action) => action.resource),
      [
        "uksouth/validator-1, francecentral/validator-2",
        "swedencentral/validator-1, northeurope/validator-1",
        "northeurope/validator-2",
        "northeurope/sentry-1",
      ],
      "deleted validators first, two per wave, then the edited ones, then the sentry",
    );
    assert.ok(
      report.actions.every((action) => action.ok),
      JSON.stringify(report.actions, null, 1),
    );
    assert.ok(
      report.actions.some(
        (action) => action.region === "uksouth" && action.action === "re-apply cluster configuration",
      ),
      "the edited ConfigMap's cluster is configured again",
    );

    // Replay what the pods went through against the waves the report names.
    const waveOf = new Map(waves.flatMap((action, index) => action.resource.split(", ").map((id) => [id, index])));
    const validators = new Set([...deleted, ...edited]);
    const down = new Set(deleted);
    const inFlight = new Set<string>();
    const started: string[] = [];
    for (const { event, nodeId } of podEvents()) {
      if (event === "back") {
        inFlight.delete(nodeId);
        down.delete(nodeId);
        continue;
      }
      started.push(nodeId);
      const wave = waveOf.get(nodeId);
      assert.ok(wave !== undefined, `${nodeId} started outside the waves`);
      for (const other of inFlight)
        assert.ok((waveOf.get(other) ?? -1) >= wave, `${nodeId} (wave ${wave + 1}) started before ${other} was back`);
      inFlight.add(nodeId);
      if (validators.has(nodeId)) down.add(nodeId);
      const validatorsDown = [...down].filter((id) => validators.has(id));
      if (edited.includes(nodeId))
        assert.ok(validatorsDown.length <= 2, `restarting ${nodeId} with ${validatorsDown.join(", ")} down`);
      assert.ok([...inFlight].filter((id) => validators.has(id)).length <= 2, `more than two validators starting`);
    }
    assert.deepEqual(started.sort(), [...deleted, ...edited, "northeurope/sentry-1"].sort(), "each node once");
    assert.equal(inFlight.size, 0, "every node came back");
  });
});
