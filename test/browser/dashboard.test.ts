/**
 * The admin dashboard in a real browser (Debian's Chromium) against the local stack — Azurite,
 * the simulated cloud and the Functions app on the local host, in keys mode — driven only as a
 * person would: through the page. One rollout is started from the page with one region made to
 * fail by the simulator's fault rules; the page must show the regions change state live, the failed
 * region's error and the verification; Retry then finishes the network and Cancel stops a third
 * rollout; without a key the page asks for one and refuses a wrong one. Screenshots of each view
 * go to .local/screenshots/dashboard.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import YAML from "yaml";
import { createBesuPlugin, startCloud, type RunningCloud } from "@besu-fleet/local-cloud";
import { request } from "@besu-fleet/local-support";
import { dashboardUrl } from "../../cli/local.js";
import { startAppStack, type AppStack } from "../api/app-stack.js";
import { REPO_ROOT } from "../support/paths.js";
import { launchBrowser, openPage, screenshot, type WatchedPage } from "./browser.js";

/** Simulated time ×50, as in test/e2e (why not faster: see there); a rollout takes tens of seconds. */
const TIME_SCALE = 50;
const ROLLOUT_TIMEOUT_MS = 150_000;
const FAILING_REGION = "swedencentral";

let workDir: string;
let cloud: RunningCloud;
let stack: AppStack;
let browser: Browser;
let watched: WatchedPage;

/**
 * The small example as the page's user would paste it (YAML), polling every second, with a fifth
 * region so that four validators — QBFT's minimum — remain when the failing region fails.
 */
function specText(): string {
  const spec = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8")) as {
    regions: unknown[];
    rollout: Record<string, unknown>;
  };
  return YAML.stringify({
    ...spec,
    regions: [...spec.regions, { name: "norwayeast", validators: 1, sentries: 0 }],
    rollout: { ...spec.rollout, pollIntervalSeconds: 1, maxParallelRegions: 5 },
  });
}

async function setFaults(faults: unknown): Promise<void> {
  const answer = await request(`${cloud.connection.controlUrl}/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(faults),
  });
  assert.equal(answer.status, 200, answer.text);
}

/**
 * Waits until the page's address (its hash) satisfies `wanted`. NOTE: polled from here, since a
 * hash change is no navigation to wait for, and the page's CSP rightly refuses evaluated strings.
 */
async function waitForAddress(page: Page, wanted: (hash: string) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!wanted(new URL(page.url()).hash)) {
    if (Date.now() > deadline)
      throw new Error(`the page stayed at ${page.url()}, showing: ${await page.locator("main").innerText()}`);
    await page.waitForTimeout(100);
  }
}

/** The rollout the page shows, once its address names one. */
async function shownRolloutId(page: Page): Promise<string> {
  await waitForAddress(page, (hash) => hash.startsWith("#/rollouts/rollout-"));
  return decodeURIComponent(new URL(page.url()).hash.replace("#/rollouts/", ""));
}

/** Waits until the page shows the rollout ended, and returns the state it shows. */
async function finalState(page: Page): Promise<string> {
  const state = page.getByTestId("rollout-state").locator(".state");
  await state.filter({ hasNotText: "Running" }).waitFor({ timeout: ROLLOUT_TIMEOUT_MS });
  return (await state.textContent()) ?? "";
}

/** The tiles' states, sampled every 250 ms until the rollout ends: what a watcher saw change. */
async function watchTiles(page: Page): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  const deadline = Date.now() + ROLLOUT_TIMEOUT_MS;
  for (;;) {
    const tiles = await page
      .locator('[data-testid="region-grid"] li')
      .evaluateAll((items) => items.map((item) => [item.getAttribute("data-region"), item.getAttribute("data-state")]));
    for (const [region, state] of tiles) {
      if (region === null || state === null) continue;
      const states = seen.get(region) ?? [];
      if (states.at(-1) !== state) states.push(state);
      seen.set(region, states);
    }
    const overall = await page.getByTestId("rollout-state").locator(".state").textContent();
    if (overall !== "Running" || Date.now() > deadline) return seen;
    await page.waitForTimeout(250);
  }
}

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-browser-"));
  cloud = await startCloud({
    dataDir: path.join(workDir, "cloud"),
    timeScale: TIME_SCALE,
    plugins: [createBesuPlugin({ mainnet: false })],
    log: () => undefined,
  });
  stack = await startAppStack({ BESU_FLEET_CLOUD_FILE: path.join(workDir, "cloud", "cloud.json") });
  browser = await launchBrowser();
  watched = await openPage(browser);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await cloud?.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test("the dashboard loads with the key from its link, without console errors, and takes the key out of the address as it loads", async () => {
  const { page, problems } = watched;
  await page.goto(dashboardUrl(stack.host.baseUrl, stack.functionKey));
  // By the load event: a link followed (or a view opened) before the key was read would lose it.
  assert.equal(new URL(page.url()).hash, "#/rollouts", "the key is taken out of the address");
  await page.getByRole("heading", { name: "Rollouts" }).waitFor();
  await page.getByText("No rollouts yet.").waitFor();
  await screenshot(page, "1-rollouts-empty");
  assert.deepEqual(problems, []);
});

test("a rollout started from the page shows regions change live, the failed region's error and the verification", async () => {
  const { page, problems } = watched;
  await setFaults({
    regions: {
      [FAILING_REGION]: { provisioningFailure: { code: "VMExtensionProvisioningError", message: "the test's fault" } },
    },
  });
  await page.getByLabel("Desired-state spec (YAML or JSON)").fill(specText());
  await page.getByRole("button", { name: "Start rollout" }).click();
  const rolloutId = await shownRolloutId(page);
  await page.getByTestId("region-grid").waitFor();
  await screenshot(page, "2-rollout-running");
  const seen = await watchTiles(page);

  assert.equal(await finalState(page), "PartiallySucceeded");
  const live = [...seen].filter(([, states]) => states.length > 1 && states.at(-1) === "Succeeded");
  assert.ok(live.length >= 1, `some region turned Succeeded while the page watched: ${JSON.stringify([...seen])}`);
  assert.deepEqual(seen.get("westeurope"), ["Admin"], "the admin region is shown as the control plane");
  const failedRow = page.locator(`[data-testid="region-table"] tr[data-region="${FAILING_REGION}"]`);
  assert.match(
    (await failedRow.getByTestId("region-error").textContent()) ?? "",
    /^aks-cluster \(permanent\): .*provisioning Failed/,
  );
  const verification = page.getByTestId("verification");
  await verification.waitFor();
  assert.match((await page.getByRole("heading", { name: /Verification/ }).textContent()) ?? "", /passed/);
  assert.ok((await verification.locator("tbody tr").count()) >= 8, "network and regional checks are listed");
  await screenshot(page, "3-rollout-partially-succeeded");

  await page.getByRole("link", { name: "← All rollouts" }).click();
  await page.getByRole("link", { name: rolloutId }).waitFor();
  await screenshot(page, "4-rollouts-list");
  assert.deepEqual(problems, []);
});

test("Retry on the page starts a new rollout for the failed region, which the page follows to success", async () => {
  const { page, problems } = watched;
  await setFaults({});
  await page.getByRole("link", { name: "Rollouts", exact: true }).click();
  await page.getByTestId("rollouts").waitFor();
  const [first] = await page.getByTestId("rollouts").locator("tbody a").allTextContents();
  await page.getByRole("link", { name: first }).click();
  await page.getByRole("button", { name: "Retry regions that did not succeed" }).click();
  await waitForAddress(page, (hash) => hash.startsWith("#/rollouts/rollout-") && hash !== `#/rollouts/${first}`);
  assert.equal(await finalState(page), "Succeeded");
  const row = page.locator(`[data-testid="region-table"] tr[data-region="${FAILING_REGION}"]`);
  assert.equal(await row.locator(".state").textContent(), "Succeeded");
  assert.equal(await row.locator("td").nth(2).textContent(), "2", "its second attempt");
  await page.getByTestId("verification").waitFor();
  await screenshot(page, "5-retry-succeeded");
  assert.deepEqual(problems, []);
});

test("Cancel on the page stops a running rollout", async () => {
  const { page, problems } = watched;
  await page.getByRole("link", { name: "← All rollouts" }).click();
  await page.getByLabel("Desired-state spec (YAML or JSON)").fill(specText());
  await page.getByRole("button", { name: "Start rollout" }).click();
  await shownRolloutId(page);
  await page.getByRole("button", { name: "Cancel rollout" }).click();
  await page.getByText("cancel requested").waitFor({ timeout: 30_000 });
  assert.equal(await finalState(page), "Canceled");
  await screenshot(page, "6-canceled");
  assert.deepEqual(problems, []);
});

test("without a key the page asks for one, says when a typed key is refused, opens with the right one, and Forget key asks again", async () => {
  // A new page is a new tab with empty sessionStorage: no key from an earlier test.
  const { page, problems } = await openPage(browser);
  try {
    await page.goto(`${stack.host.baseUrl}/api/dashboard/#/rollouts`);
    const keyField = page.getByLabel("Function key");
    await keyField.fill("not-the-key");
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.getByText("That key was refused. Try again.").waitFor();

    await keyField.fill(stack.functionKey);
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.getByRole("heading", { name: "Rollouts" }).waitFor();
    await page.getByRole("button", { name: "Forget key" }).click();
    await keyField.waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, "the key is gone from the tab");
    // The refused key's 401 is the one console error expected.
    assert.ok(
      problems.every((problem) => /401/.test(problem)),
      problems.join("\n"),
    );
  } finally {
    await page.close();
  }
});
