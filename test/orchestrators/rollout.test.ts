/**
 * The real rollout orchestrators, replayed by the real SDK on the local host (Azurite), with typed
 * fake activities (test/fixtures/rollout-fakes): fan-out/fan-in, region isolation, retries of
 * transient faults, the genesis policy, cancel, and what the status shows.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, test } from "node:test";
import type { z } from "zod";
import { rolloutStatusSchema } from "../../lib/domain/rollout-status.js";
import { REGION_WORK, regionInstanceId, type RolloutInput } from "../../orchestrators/contracts.js";
import { phasesUnderTest } from "../fixtures/rollout-fakes/phases.js";
import { request, waitFor } from "@besu-fleet/local-support";
import { behaviourFile, exampleSpec, fakeHost, readRecord, runRollout, useFakeHost } from "./fake-rollouts.js";

useFakeHost();

describe("rollout orchestration with fake activities", () => {
  test("24 regions: every region provisioned, deployed, verified; status Succeeded", async () => {
    const { status } = await runRollout(exampleSpec("chain138-24-regions.yaml", "all24"), {});
    assert.equal(
      status.state,
      "Succeeded",
      JSON.stringify(status.regions.filter((region) => region.state !== "Succeeded")),
    );
    assert.equal(status.counts.succeeded, 24);
    assert.equal(status.verification?.ok, true, JSON.stringify(status.verification?.network));
    assert.deepEqual(
      status.phases.map((phase) => phase.phase),
      ["preflight", "provisioning", "genesis", "deploying", "verifying", "report"],
    );
    assert.ok(status.regions.every((region) => region.attempts === 1 && region.finishedAt !== undefined));
  });

  test("two regions without quota fail at preflight with the reason; the other 22 succeed", async () => {
    const { status } = await runRollout(exampleSpec("chain138-24-regions.yaml", "quota"), {
      quotaExceeded: ["koreasouth", "japanwest"],
    });
    assert.equal(status.state, "PartiallySucceeded");
    assert.equal(status.counts.succeeded, 22);
    for (const name of ["koreasouth", "japanwest"]) {
      const region = status.regions.find((entry) => entry.region === name);
      assert.equal(region?.state, "Failed");
      assert.equal(region?.lastError?.step, "preflight");
      assert.equal(region?.lastError?.kind, "permanent");
      assert.match(
        region?.lastError?.cause ?? "",
        new RegExp(`QuotaExceeded: ${name}: family standardDSv5Family limit 0`),
      );
    }
  });

  test("phases run on their own: preflight alone drops the regions without quota; provisioning then genesis over the rest", async () => {
    const spec = exampleSpec("chain138-24-regions.yaml", "phases");
    const rolloutId = `rollout-${spec.network.name}-1`;
    fs.writeFileSync(behaviourFile(), JSON.stringify({ quotaExceeded: ["koreasouth"], run: rolloutId }));
    const rollout: RolloutInput = { rolloutId, spec, regions: spec.regions.map((region) => region.name) };
    const run = async (phases: string[], instanceId: string): Promise<z.output<typeof phasesUnderTest.result>> =>
      phasesUnderTest.result.parse(await fakeHost.runToEnd(phasesUnderTest.name, instanceId, { rollout, phases }));
    const alone = await run(["preflight"], "phases-preflight");
    assert.equal(alone.regions.length, 23);
    assert.ok(!alone.regions.includes("koreasouth"));
    assert.equal(alone.status.regions.find((region) => region.region === "koreasouth")?.lastError?.step, "preflight");
    assert.equal(alone.identities, 0, "preflight provisions nothing");
    const composed = await run(["preflight", "provisioning", "genesis"], "phases-genesis");
    assert.equal(composed.stopped, false, composed.stopReason);
    assert.equal(composed.regions.length, 23);
    assert.equal(composed.identities, 23 * 2, "one validator and one sentry per region");
    assert.match(composed.genesisHash ?? "", /^0x[0-9a-f]{64}$/);
    assert.deepEqual(
      composed.status.phases.map((phase) => phase.phase),
      ["preflight", "provisioning", "genesis"],
    );
  });

  test("a retry of regions that failed joins the formed network: its genesis reused, their validators voted in, the set verified", async () => {
    const spec = exampleSpec("chain138-24-regions.yaml", "joining");
    const failing = ["koreasouth", "japanwest"];
    const first = await runRollout(spec, { quotaExceeded: failing });
    assert.equal(first.status.state, "PartiallySucceeded");
    const formed = readRecord("joining");
    assert.equal(formed.validators.length, 22);
    assert.equal(formed.formedBy, "rollout-joining-1");

    const { status } = await runRollout(spec, {}, undefined, { ordinal: 2, regions: failing });
    assert.equal(status.state, "Succeeded", JSON.stringify(status.regions));
    assert.deepEqual(
      status.phases.map((phase) => phase.phase),
      ["preflight", "provisioning", "key-check", "genesis", "deploying", "admitting", "verifying", "report"],
    );
    assert.equal(status.verification?.ok, true, JSON.stringify(status.verification));
    const joined = readRecord("joining");
    assert.equal(joined.genesisHash, formed.genesisHash, "the chain keeps its genesis");
    assert.deepEqual(joined.genesisValidators, formed.genesisValidators);
    assert.equal(joined.validators.length, 24, "both joining validators are in the set");
    assert.equal(joined.updatedBy, "rollout-joining-2");
    const joiningAddresses = joined.members
      .filter((member) => failing.includes(member.region) && member.role === "validator")
      .map((member) => member.address);
    assert.equal(joiningAddresses.length, 2);
    assert.ok(
      joiningAddresses.every((address) => joined.validators.includes(address) && !formed.validators.includes(address)),
    );

    // Running the same rollout again converges: nothing joins, nothing changes.
    const again = await runRollout(spec, {}, undefined, {
      ordinal: 3,
      regions: spec.regions.map((region) => region.name),
    });
    assert.equal(again.status.state, "Succeeded");
    assert.ok(!again.status.phases.some((phase) => phase.phase === "admitting"), "no validator had to join");
    assert.deepEqual(readRecord("joining").validators, joined.validators);
  });

  test("a region that comes back with a copy of a live validator's key fails at key-check; the others go on", async () => {
    const spec = exampleSpec("chain138-small.yaml", "copied");
    const first = await runRollout(spec, {});
    assert.equal(first.status.state, "Succeeded", JSON.stringify(first.status.regions));
    const formed = readRecord("copied");

    const copies = { "swedencentral/validator-1": "uksouth/validator-1" };
    const { status } = await runRollout(spec, { keyCopies: copies }, undefined, {
      ordinal: 2,
      regions: spec.regions.map((region) => region.name),
    });
    const sweden = status.regions.find((region) => region.region === "swedencentral");
    assert.equal(sweden?.state, "Failed", JSON.stringify(status.regions));
    assert.equal(sweden?.lastError?.step, "key-check");
    assert.match(sweden?.lastError?.cause ?? "", /is live at uksouth\/validator-1/);
    assert.ok(
      status.regions
        .filter((region) => region.region !== "swedencentral")
        .every((region) => region.state === "Succeeded"),
      JSON.stringify(status.regions),
    );
    assert.deepEqual(readRecord("copied").members, formed.members, "the copy was never recorded");
  });

  test("a joining validator the chain never adds: its region fails at validator-vote with why, and every vote is discarded", async () => {
    const spec = exampleSpec("chain138-24-regions.yaml", "stuck");
    const first = await runRollout(spec, { quotaExceeded: ["koreasouth"] });
    assert.equal(first.status.counts.succeeded, 23);
    const patient = { ...spec, rollout: { ...spec.rollout, admissionTimeoutMinutes: 1 } };
    const { status } = await runRollout(patient, { votesNeverPass: true }, undefined, {
      ordinal: 2,
      regions: ["koreasouth"],
    });
    assert.equal(status.state, "Failed");
    const region = status.regions[0];
    assert.equal(region?.lastError?.step, "validator-vote", JSON.stringify(region));
    assert.match(
      region?.lastError?.cause ?? "",
      /koreasouth\/validator-1: after 1 minutes 0x[0-9a-f]{40} still not in the validator set: 23 validators proposed it, but the chain has not added it/,
    );
    assert.equal(status.verification, undefined, "with no region left, nothing was verified");
    const pendingVotes = JSON.parse(fs.readFileSync(`${behaviourFile()}.votes.json`, "utf8")) as Record<
      string,
      string[]
    >;
    assert.ok(
      Object.values(pendingVotes).every((voters) => voters.length === 0),
      `votes left behind: ${JSON.stringify(pendingVotes)}`,
    );
    assert.equal(readRecord("stuck").validators.length, 23, "the record keeps the chain's set");
  });

  test("transient faults are retried where they happened, on durable timers, and counted in the region's status", async () => {
    const { status } = await runRollout(exampleSpec("chain138-small.yaml", "flaky"), {
      transient: { ensureResourceGroup: 1, configureCluster: 2 },
      thrown: { deployBesu: 1 },
    });
    assert.equal(status.state, "Succeeded", JSON.stringify(status.regions));
    for (const region of status.regions) {
      // 1 resource group + 2 configuration faults (returned) + 1 failed deployment call (thrown).
      assert.equal(region.retries?.count, 4, `${region.region}: ${JSON.stringify(region.retries)}`);
      assert.ok((region.retries?.waitedSeconds ?? 0) >= 4, "each retry waited at least a second");
      assert.equal(region.retries?.last?.activity, "deployBesu");
      assert.match(region.retries?.last?.cause ?? "", /the worker failed/);
    }
    const child = await request(
      `${fakeHost.host.baseUrl}/runtime/webhooks/durabletask/instances/rollout-flaky-1:rollout-flaky-1:provision:uksouth?code=${fakeHost.systemKey}&showHistory=true`,
    );
    const events = (child.body as { historyEvents: { EventType: string }[] }).historyEvents;
    const timers = events.filter((event) => event.EventType === "TimerFired").length;
    assert.ok(timers >= 3, `a durable timer per retry of the three faults in provisioning (and the polls): ${timers}`);
  });

  test("throttling with a Retry-After is waited out as asked and spends no attempt: more refusals than maxAttempts still pass", async () => {
    const spec = exampleSpec("chain138-small.yaml", "throttled");
    assert.equal(spec.rollout.retry.maxAttempts, 3);
    const { status } = await runRollout(spec, { transient: { getClusterState: 4 }, retryAfterSeconds: 2 });
    assert.equal(status.state, "Succeeded", JSON.stringify(status.regions));
    for (const region of status.regions) {
      assert.equal(region.retries?.count, 4, `${region.region}: ${JSON.stringify(region.retries)}`);
      assert.ok((region.retries?.waitedSeconds ?? 0) >= 8, "each wait at least the 2 s asked for");
      assert.ok((region.retries?.last?.waitSeconds ?? 0) >= 2);
      assert.match(region.retries?.last?.cause ?? "", /^TooManyRequests: getClusterState/);
    }
  });

  test("verification asks a silent node again: one that answers later passes, one silent for the whole window fails as unreachable", async () => {
    const spec = exampleSpec("chain138-small.yaml", "silent");
    const windowed = { ...spec, rollout: { ...spec.rollout, verificationWindowSeconds: 6 } };
    // uksouth's validator misses both first samples; northeurope's sentry never answers.
    const [late, gone] = ["uksouth/validator-1", "northeurope/sentry-1"];
    const { status } = await runRollout(windowed, { silentNodes: { [late]: 2, [gone]: 1000 } });
    const lateRegion = status.regions.find((region) => region.region === "uksouth");
    const goneRegion = status.regions.find((region) => region.region === "northeurope");
    assert.equal(lateRegion?.state, "Succeeded", JSON.stringify(lateRegion));
    assert.equal(goneRegion?.state, "Failed", JSON.stringify(goneRegion));
    assert.equal(goneRegion?.lastError?.step, "verification");
    assert.match(
      goneRegion?.lastError?.cause ?? "",
      new RegExp(
        `reachable: no answer from: ${gone} \\(no answer throughout the 6 s verification window \\(\\d+ tries`,
      ),
    );
    assert.doesNotMatch(
      goneRegion?.lastError?.cause ?? "",
      /heads-advancing|genesis-hash/,
      "a silent node is not reported as wrong",
    );
  });

  test("faults beyond the retry budget fail only that step's regions, with step and cause", async () => {
    const { status } = await runRollout(exampleSpec("chain138-small.yaml", "exhausted"), {
      transient: { beginCluster: 5 },
    });
    assert.equal(status.state, "Failed", "with every region failed, no validators: the rollout failed");
    for (const region of status.regions) {
      assert.equal(region.lastError?.step, "aks-cluster");
      assert.equal(region.lastError?.kind, "transient");
      assert.match(region.lastError?.cause ?? "", /ServiceUnavailable: beginCluster.*gave up after 3 attempts/);
      assert.equal(region.retries?.count, 2, "three attempts: two retries");
    }
  });

  test("fewer validators than the policy minimum: the rollout stops at genesis and says why", async () => {
    const { status } = await runRollout(exampleSpec("chain138-small.yaml", "too-few"), { quotaExceeded: ["uksouth"] });
    assert.equal(status.state, "Failed");
    assert.equal(status.failure?.phase, "genesis");
    assert.match(status.failure?.reason ?? "", /3 validators.*minValidators|fewer than/i);
  });

  // NOTE: how soon the cancel shows is a latency figure for the chaos benchmark, not a timed assertion
  // here (it failed on a loaded machine); this test holds the behaviour: it shows while regions are in flight.
  test("cancel with every region in flight: shown in the status, regions stop at their next step, final state Canceled", async () => {
    const spec = exampleSpec("chain138-24-regions.yaml", "cancel");
    assert.equal(spec.rollout.maxParallelRegions, 24, "the default window: every region starts at once");
    const api = (route: string): string =>
      `${fakeHost.host.baseUrl}/runtime/webhooks/durabletask/${route}?code=${fakeHost.systemKey}`;
    const { status } = await runRollout(spec, {}, async (rolloutId) => {
      await waitFor("provisioning to start", async () => {
        const response = await request(api(`instances/${rolloutId}`));
        const custom = rolloutStatusSchema.safeParse((response.body as { customStatus?: unknown }).customStatus);
        return custom.success && custom.data.phase === "provisioning" ? true : undefined;
      });
      // As the HTTP API does: the rollout and each of its regions hear the cancel.
      const targets = [
        rolloutId,
        ...spec.regions.flatMap((region) =>
          REGION_WORK.map((work) => regionInstanceId(rolloutId, rolloutId, work, region.name)),
        ),
      ];
      await Promise.all(
        targets.map((target) => request(api(`instances/${target}/raiseEvent/Cancel`), { method: "POST", body: "{}" })),
      );
      await waitFor(
        "the status to show the cancel",
        async () => {
          const response = await request(api(`instances/${rolloutId}`));
          const custom = rolloutStatusSchema.safeParse((response.body as { customStatus?: unknown }).customStatus);
          return custom.success && custom.data.cancelRequested ? true : undefined;
        },
        10_000,
        50,
      );
    });
    assert.equal(status.state, "Canceled");
    assert.equal(status.counts.succeeded, 0, "the rollout stopped before Besu was deployed anywhere");
    assert.equal(status.counts.canceled, 24, JSON.stringify(status.counts));
    assert.ok(!status.phases.some((phase) => phase.phase === "deploying"), "no region reached phase B");
  });
});
