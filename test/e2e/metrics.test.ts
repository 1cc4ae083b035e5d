/**
 * The metrics and logs of a small rollout and a drift check on the whole local stack: scraped from
 * GET /api/metrics (the Prometheus text the in-process reader serves) and read from the host's
 * output, with the figures checked against what the rollout's status and the simulated cloud say.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "@besu-fleet/local-support";
import { z } from "zod";
import type { RolloutStatus } from "../../lib/domain/rollout-status.js";
import { smallSpec, startE2eStack, type E2eStack } from "./stack.js";

const NETWORK = "metricse2e";
const REGIONS = ["northeurope", "uksouth", "francecentral", "swedencentral"] as const;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments and metadata left out). */
function samples(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(match, `a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((label) => [
          label[1],
          label[2],
        ]),
      );
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** The samples of one series whose labels include `labels`. */
function series(all: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return all.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

const total = (found: readonly Sample[]): number => found.reduce((sum, sample) => sum + sample.value, 0);

let stack: E2eStack;
let final: RolloutStatus;
let startedAt: number;
let scraped: Sample[];

async function scrape(): Promise<Sample[]> {
  const response = await stack.api("GET", "metrics");
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  return samples(response.text);
}

before(async () => {
  stack = await startE2eStack();
  startedAt = Date.now();
  final = await stack.rollout(smallSpec(NETWORK, REGIONS));
  assert.equal(final.state, "Succeeded", stack.summary(final));
  const check = await stack.api("POST", `drift/${NETWORK}`);
  assert.equal(check.status, 202, check.text);
  await waitFor(
    "the drift check to finish",
    async () => {
      const latest = z
        .object({ report: z.object({ state: z.string() }).loose().nullable(), running: z.unknown() })
        .parse((await stack.api("GET", `drift/${NETWORK}`)).body);
      return latest.running === null && latest.report !== null ? latest.report : undefined;
    },
    120_000,
    500,
  );
  scraped = await scrape();
});

after(async () => {
  await stack?.close();
});

test("the rollout's, regions' and phases' durations are recorded once, as the final status tells them", () => {
  const elapsedSeconds = (Date.now() - startedAt) / 1000;
  const count = series(scraped, "besu_fleet_rollout_duration_seconds_count", { network: NETWORK, state: "Succeeded" });
  assert.equal(total(count), 1);
  const sum = total(series(scraped, "besu_fleet_rollout_duration_seconds_sum", { network: NETWORK }));
  const expected = (Date.parse(final.finishedAt ?? "") - Date.parse(final.createdAt)) / 1000;
  assert.ok(Math.abs(sum - expected) < 0.001, `rollout duration ${sum} s, status says ${expected} s`);
  assert.ok(sum > 0 && sum <= elapsedSeconds, `rollout duration ${sum} s within the ${elapsedSeconds} s waited`);
  for (const region of REGIONS) {
    const regionCount = series(scraped, "besu_fleet_region_duration_seconds_count", { region, state: "Succeeded" });
    assert.equal(total(regionCount), 1, region);
    const regionSum = total(series(scraped, "besu_fleet_region_duration_seconds_sum", { region }));
    assert.ok(regionSum > 0 && regionSum <= sum, `${region}: ${regionSum} s`);
  }
  for (const phase of ["preflight", "provisioning", "genesis", "deploying", "verifying"])
    assert.equal(total(series(scraped, "besu_fleet_phase_duration_seconds_count", { phase })), 1, phase);
});

test("every activity call is counted with its outcome", () => {
  const deployed = series(scraped, "besu_fleet_activity_duration_seconds_count", {
    activity: "deployBesu",
    outcome: "ok",
  });
  assert.ok(total(deployed) >= REGIONS.length, `deployBesu calls: ${total(deployed)}`);
  const buckets = series(scraped, "besu_fleet_activity_duration_seconds_bucket", {
    activity: "deployBesu",
    le: "+Inf",
  });
  assert.equal(
    total(buckets),
    total(series(scraped, "besu_fleet_activity_duration_seconds_count", { activity: "deployBesu" })),
  );
  for (const failure of series(scraped, "besu_fleet_activity_failures_total"))
    assert.ok(["transient", "permanent"].includes(failure.labels.kind ?? ""), JSON.stringify(failure.labels));
});

test("ARM requests are counted and the simulated ARM's remaining budget is a gauge", () => {
  const requests = series(scraped, "besu_fleet_arm_requests_total");
  assert.ok(total(requests) > 0);
  assert.ok(total(series(scraped, "besu_fleet_arm_requests_total", { method: "PUT" })) >= REGIONS.length);
  for (const kind of ["reads", "writes"]) {
    const [remaining] = series(scraped, "besu_fleet_arm_ratelimit_remaining", { kind });
    assert.ok(remaining !== undefined && remaining.value > 0, `remaining ${kind}: ${remaining?.value}`);
  }
});

test("preflight's quota headroom, the chain's height and the validators up are gauges per region", () => {
  for (const region of REGIONS) {
    const headroom = series(scraped, "besu_fleet_quota_headroom_vcpus", { region, quota: "cores" });
    assert.equal(headroom.length, 1, `${region} cores headroom`);
    assert.ok((headroom[0]?.value ?? -1) >= 0, `${region} passed preflight, so its headroom is not negative`);
    const height = series(scraped, "besu_fleet_chain_height", { region });
    assert.ok(height.length > 0 && height.every((sample) => sample.value > 0), `${region} height`);
    assert.equal(total(series(scraped, "besu_fleet_validators_up", { region })), 1, `${region}: one validator`);
  }
});

test("the drift check's findings are gauges by kind and status, zero for a network in sync", () => {
  const findings = series(scraped, "besu_fleet_drift_findings", { network: NETWORK });
  assert.deepEqual([...new Set(findings.map((sample) => sample.labels.kind))].sort(), [
    "arm",
    "besu",
    "contracts",
    "kubernetes",
  ]);
  assert.equal(total(series(scraped, "besu_fleet_drift_findings", { network: NETWORK, status: "found" })), 0);
});

test("the app's log lines are JSON objects naming the activity, region and phase, joined to their spans, with no key in them", () => {
  const lines = stack
    .hostOutput()
    .split("\n")
    .flatMap((line) => {
      const start = line.indexOf('{"time"');
      if (start < 0) return [];
      return [JSON.parse(line.slice(start)) as Record<string, unknown>];
    });
  const deploys = lines.filter((line) => line.activity === "deployBesu");
  assert.ok(deploys.length >= REGIONS.length, `deployBesu log lines: ${deploys.length}`);
  for (const line of deploys) {
    assert.deepEqual(Object.keys(line).slice(0, 2), ["time", "level"]);
    assert.ok(REGIONS.includes(line.region as (typeof REGIONS)[number]), JSON.stringify(line));
    assert.equal(typeof line.message, "string");
    assert.equal(line.phase, "deploying", JSON.stringify(line));
    // The local tracer provider gives each activity call's span real ids.
    assert.match(String(line.traceId), /^[0-9a-f]{32}$/, JSON.stringify(line));
    assert.match(String(line.spanId), /^[0-9a-f]{16}$/, JSON.stringify(line));
  }
  const preflight = lines.filter((line) => line.activity === "preflightRegion");
  assert.ok(preflight.length >= REGIONS.length, `preflightRegion log lines: ${preflight.length}`);
  assert.ok(
    preflight.every((line) => line.phase === "preflight"),
    JSON.stringify(preflight),
  );
  const text = lines.map((line) => JSON.stringify(line)).join("\n");
  // PEM keys and certificates, kubeconfig credentials, bearer tokens, a node key Secret's entry.
  assert.doesNotMatch(text, /-----BEGIN|client-key-data|client-certificate-data|Bearer |"nodekey"/);
});
