/**
 * The 24-region example end to end on the full local stack (bench/stack.ts: Azurite, the
 * simulated cloud with Besu nodes, the app on the local host), one stack for two issues' checks:
 * the network forms; a drift check of all 24 regions with no drift reports InSync (issue 11); then
 * an image upgrade restarts every node in waves while the simulator is sampled every 200 ms —
 * never more validators down than the plan's limit — and its blocks are read: never a gap
 * between blocks longer than three block periods and one restart (issue 10; bench/upgrade.ts measures the same run).
 * The tests run in order on the one network: each needs the one before.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BenchStack, exampleSpec } from "../../bench/stack.js";
import { changePlanSchema } from "../../lib/domain/changes/plan.js";
import { blockGapBoundSeconds, observeNetwork, sampled } from "../support/chain-sampling.js";

/**
 * The example's own 2 s blocks are 10 a wall second at 20×, as test/e2e/stack.ts's 5 s blocks at
 * 50×: verification compares heads read at slightly different moments. AKS creates take 15–30 s.
 */
const TIME_SCALE = 20;
const UPGRADED_IMAGE = "hyperledger/besu:24.12.0";
/** Generous: on an idle machine the first rollout takes about 40 s at 20×, the upgrade about 90 s. */
const ROLLOUT_TIMEOUT_MS = 15 * 60_000;
const DRIFT_TIMEOUT_MS = 5 * 60_000;

const spec = exampleSpec();
const network = spec.network.name;
let stack: BenchStack;

before(async () => {
  stack = await BenchStack.start(TIME_SCALE);
});

after(async () => {
  await stack?.close();
});

const control = (method: "GET", route: string) => stack.control(method, route);

test("the 24-region example forms", async () => {
  const formed = await stack.waitForEnd(await stack.startRollout(spec), ROLLOUT_TIMEOUT_MS, 1000);
  assert.equal(formed.state, "Succeeded", JSON.stringify(formed.regions.map((region) => region.lastError)));
  const { nodes } = await observeNetwork(control, network);
  assert.equal(nodes.filter((node) => node.up).length, 48, "24 validators and 24 sentries run");
});

test("a drift check of the 24 regions with no drift reports InSync", async () => {
  const report = await stack.driftCheck(network, DRIFT_TIMEOUT_MS, 500);
  assert.equal(report.state, "InSync", JSON.stringify({ findings: report.findings, unknown: report.unknown }));
  assert.deepEqual(report.findings, []);
});

test("an image upgrade of the 24 regions keeps the chain producing blocks throughout", async (t) => {
  const upgrade = { ...spec, network: { ...spec.network, besuImage: UPGRADED_IMAGE } };
  const planned = await stack.api("POST", "rollouts?dryRun=true", upgrade);
  assert.equal(planned.status, 200, planned.text);
  const plan = changePlanSchema.parse(planned.body);
  assert.equal(plan.waves.length, 25, "one wave per validator, then one of the sentries");
  assert.ok(
    plan.waves.every((wave) => wave.quorumKept),
    "every wave keeps quorum",
  );

  const run = await sampled(control, network, async () =>
    stack.waitForEnd(await stack.startRollout(upgrade), ROLLOUT_TIMEOUT_MS, 1000),
  );
  assert.equal(run.result.state, "Succeeded", JSON.stringify(run.result.regions.map((region) => region.lastError)));
  assert.ok(
    run.maxDown <= plan.maxValidatorsDown,
    `at most ${plan.maxValidatorsDown} validator(s) down at a time, saw ${run.maxDown}`,
  );
  assert.ok(run.maxDown >= 1, "the sampling saw the waves' restarts");
  const bound = blockGapBoundSeconds(spec.network.qbft.blockperiodseconds, TIME_SCALE, run);
  assert.ok(
    run.longestBlockGapSeconds <= bound,
    `longest gap between blocks ${run.longestBlockGapSeconds} s > ${bound} s (simulated; event loop held up ${run.maxEventLoopDelayMs} ms at most)`,
  );
  assert.ok(run.height > run.heightBefore, "the chain advanced");
  t.diagnostic(
    `upgrade: blocks ${run.heightBefore} → ${run.height}, at most ${run.maxDown} validator(s) down, longest gap between blocks ${run.longestBlockGapSeconds} s simulated (bound ${bound} s, with this process held up ${run.maxEventLoopDelayMs} ms at most)${run.unanswered.length === 0 ? "" : `; nodes that did not answer for the blocks: ${run.unanswered.join("; ")}`}`,
  );

  const { nodes } = await observeNetwork(control, network);
  assert.equal(nodes.filter((node) => node.up).length, 48, "every node is back");
  const again = changePlanSchema.parse((await stack.api("POST", "rollouts?dryRun=true", upgrade)).body);
  assert.deepEqual(again.waves, [], "the record knows every node runs the upgrade");
});
