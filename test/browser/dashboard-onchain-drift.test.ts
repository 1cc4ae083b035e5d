/**
 * The dashboard's contracts and drift views in a real browser (Debian's Chromium) against the
 * local stack with both simulated chains: the CCIP example on four small regions is rolled out
 * through the API, then the page must show every deployment with its address, code hash and
 * transaction, each CCIP step and top-up with its state; on the drift view, a check run from the
 * page reports the network in sync, and after a ConfigMap is edited behind the control plane's
 * back, the next check run from the page lists that one finding. The network health view then
 * charts what those checks observed, and shows a validator the simulator stopped as down at the
 * next check, against the simulator's own list of running nodes. Screenshots go to
 * .local/screenshots/dashboard.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { z } from "zod";
import { BenchStack, smallCcipSpec } from "../../bench/stack.js";
import { dashboardUrl } from "../../cli/local.js";
import { launchBrowser, openPage, screenshot, type WatchedPage } from "./browser.js";

/** Simulated time ×50, as in test/e2e. */
const TIME_SCALE = 50;
const NETWORK = "dashccip";
const ROLLOUT_TIMEOUT_MS = 240_000;
const CHECK_TIMEOUT_MS = 120_000;

let stack: BenchStack;
let browser: Browser;
let watched: WatchedPage;
let rolloutId: string;

before(async () => {
  stack = await BenchStack.start(TIME_SCALE, { onChain: true });
  rolloutId = await stack.startRollout(smallCcipSpec(NETWORK));
  const status = await stack.waitForEnd(rolloutId, ROLLOUT_TIMEOUT_MS, 1000);
  assert.equal(status.state, "Succeeded", JSON.stringify(status.failure ?? status.regions.map((r) => r.lastError)));
  browser = await launchBrowser();
  watched = await openPage(browser);
  await watched.page.goto(dashboardUrl(stack.baseUrl, stack.functionKey));
  await watched.page.getByRole("heading", { name: "Rollouts" }).waitFor();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

const cellTexts = async (page: Page, table: string, column: number): Promise<string[]> =>
  page.getByTestId(table).locator(`tbody tr td:nth-child(${column})`).allTextContents();

test("a rollout's page lists every deployment with address, code hash and transaction, and the CCIP steps and top-ups", async () => {
  const { page, problems } = watched;
  const status = await stack.rolloutStatus(rolloutId);
  const expected = (status?.contracts ?? []).map((contract) => `${contract.chain}/${contract.name}`).sort();
  assert.ok(expected.length > 0, "the example deploys contracts");

  await page.goto(`${dashboardUrl(stack.baseUrl, stack.functionKey).split("#")[0]}#/rollouts/${rolloutId}`);
  await page.getByTestId("deployments").waitFor();
  const rows = page.getByTestId("deployments").locator("tbody tr");
  const shown = (await rows.evaluateAll((items) =>
    items.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent ?? "")),
  )) as string[][];
  assert.deepEqual(shown.map((cells) => `${cells[0]}/${cells[1]}`).sort(), expected);
  for (const cells of shown) {
    assert.match(cells[2] ?? "", /^(deployed|present)$/, cells.join(" | "));
    assert.match(cells[3] ?? "", /^0x[0-9a-fA-F]{40}$/, "the address");
    assert.match(cells[4] ?? "", /^0x[0-9a-f]{64}$/, "the code hash");
  }
  const codeHashes = new Map((status?.contracts ?? []).map((c) => [`${c.chain}/${c.name}`, c.codeHash]));
  assert.ok(
    shown.every((cells) => codeHashes.get(`${cells[0]}/${cells[1]}`) === cells[4]),
    "the status's code hashes",
  );

  const steps = await cellTexts(page, "ccip-steps", 3);
  assert.ok(steps.length > 0 && steps.every((state) => state === "made" || state === "held"), steps.join(","));
  const topUps = await cellTexts(page, "top-ups", 3);
  assert.ok(topUps.length > 0 && topUps.every((state) => state === "funded" || state === "atTarget"), topUps.join(","));
  assert.match(
    (await page.getByTestId("onchain-verification").textContent()) ?? "",
    /every address, step and balance holds/,
  );
  await screenshot(page, "7-contracts-ccip-funding");
  assert.deepEqual(problems, []);
});

/** Clicks "Run drift check now" and waits for a report newer than the one shown before. */
async function runCheckFromPage(page: Page): Promise<string> {
  const state = page.getByTestId("drift-state");
  const before = (await state.textContent()) ?? "";
  await page.getByRole("button", { name: "Run drift check now" }).click();
  await page
    .getByText("a check is running")
    .waitFor({ timeout: 30_000 })
    .catch(() => undefined);
  await state.filter({ hasNotText: "a check is running" }).filter({ hasNotText: before }).waitFor({
    timeout: CHECK_TIMEOUT_MS,
  });
  return (await state.locator(".state").textContent()) ?? "";
}

test("a drift check run from the page shows the network in sync, then the one finding of an edited ConfigMap", async () => {
  const { page, problems } = watched;
  await page.getByRole("link", { name: "Drift", exact: true }).click();
  await page.getByRole("link", { name: NETWORK }).click();
  await page.getByText("Not checked yet.").waitFor();
  assert.equal(await runCheckFromPage(page), "InSync");
  await screenshot(page, "8-drift-in-sync");

  const edited = await stack.control("POST", "drift", {
    type: "editObject",
    resourceGroup: `rg-${NETWORK}-uksouth`,
    cluster: `aks-${NETWORK}-uksouth`,
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: `besu-${NETWORK}`,
    name: "besu-static-nodes",
    mergePatch: { data: { "static-nodes.json": "[]" } },
  });
  assert.equal(edited.status, 200, edited.text);
  assert.equal(await runCheckFromPage(page), "Drifted");
  const findings = page.getByTestId("drift-findings").locator("tbody tr");
  assert.equal(await findings.count(), 1);
  const cells = await findings.first().locator("td").allTextContents();
  assert.deepEqual(cells.slice(1, 5), [
    "kubernetes",
    "uksouth",
    "ConfigMap/besu-static-nodes",
    ".data.static-nodes.json",
  ]);
  await screenshot(page, "9-drift-finding");

  await page.getByRole("link", { name: "← All networks" }).click();
  const row = page.getByTestId("drift-networks").locator("tbody tr", { hasText: NETWORK });
  await row.locator(".state", { hasText: "Drifted" }).waitFor();
  assert.deepEqual(problems, []);
});

/** The simulator's running Besu nodes of the network (the oracle: it knows which are up). */
async function simulatedNodes() {
  const response = await stack.control("GET", "besu/nodes");
  return z
    .array(
      z
        .object({
          resourceGroup: z.string(),
          cluster: z.string(),
          namespace: z.string(),
          pod: z.string(),
          region: z.string(),
          validator: z.boolean(),
          up: z.boolean(),
          head: z.number(),
        })
        .loose(),
    )
    .parse(response.body)
    .filter((node) => node.resourceGroup === `rg-${NETWORK}-${node.region}`);
}

/** The region table's cells, row by row. */
const regionRows = async (page: Page): Promise<string[][]> =>
  (await page
    .getByTestId("health-regions")
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent ?? "")),
    )) as string[][];

test("the network health view charts the checks' observations, and shows a stopped validator as down after the next check", async () => {
  const { page, problems } = watched;
  await page.getByRole("link", { name: "Network health", exact: true }).click();
  await page.getByTestId("health-networks").getByRole("link", { name: NETWORK }).click();
  const summary = page.getByTestId("health-summary");
  await summary.waitFor();
  const nodes = await simulatedNodes();
  const validators = nodes.filter((node) => node.validator);
  const regions = [...new Set(nodes.map((node) => node.region))].sort();
  assert.ok(validators.length >= 4 && validators.every((node) => node.up), "every validator runs");
  // QBFT's quorum of n validators is ceil(2n/3).
  const quorum = Math.ceil((2 * validators.length) / 3);
  assert.match(
    (await summary.textContent()) ?? "",
    new RegExp(`${validators.length} of ${validators.length} — quorum met`),
  );
  assert.match((await summary.textContent()) ?? "", new RegExp(`Quorum${quorum}`));
  const rows = await regionRows(page);
  assert.deepEqual(rows.map((cells) => cells[0]).sort(), regions);
  const simulatedHeight = Math.max(...nodes.map((node) => node.head));
  for (const cells of rows) {
    const height = Number(cells[1]);
    assert.ok(height > 0 && height <= simulatedHeight, `${cells.join(" | ")}: at most the chain's ${simulatedHeight}`);
  }
  // The drift test's two checks are two points on each chart.
  const heightChart = (await page.getByTestId("health-height").getAttribute("aria-label")) ?? "";
  assert.equal(heightChart.split(";").length, 2, heightChart);
  await screenshot(page, "10-network-health");

  const stopped = validators.find((node) => node.region === "uksouth") ?? validators[0];
  assert.ok(stopped !== undefined);
  const { resourceGroup, cluster, namespace, pod } = stopped;
  await stack.control("POST", "besu/actions", { type: "stopNode", resourceGroup, cluster, namespace, pod });
  const started = await stack.api("POST", `drift/${NETWORK}`);
  assert.equal(started.status, 202, started.text);
  const down = `${validators.length - 1} of ${validators.length}`;
  await summary.getByText(down).waitFor({ timeout: CHECK_TIMEOUT_MS });
  const row = (await regionRows(page)).find((cells) => cells[0] === stopped.region);
  const inRegion = validators.filter((node) => node.region === stopped.region).length;
  assert.equal(row?.[3], `${inRegion - 1} of ${inRegion}`, row?.join(" | "));
  // The history (polled on its own) gains the third check: three points, the last one down.
  const validatorsChart = page.getByTestId("health-validators");
  await validatorsChart
    .and(page.locator(`[aria-label$="${validators.length - 1} up, quorum ${quorum}"]`))
    .waitFor({ timeout: CHECK_TIMEOUT_MS });
  assert.equal(((await validatorsChart.getAttribute("aria-label")) ?? "").split(";").length, 3);
  await screenshot(page, "11-network-health-validator-down");
  assert.deepEqual(problems, []);
});
