/**
 * The dashboard in entra mode (BESU_FLEET_API_AUTH=entra), as Azure runs it: the browser's route
 * handler stands in for App Service Authentication — it adds the signed-in caller's
 * `x-ms-client-principal` to every request, as the platform does after validating the session
 * cookie, and answers `/.auth/me` with the caller's claims. An operator starts and cancels a
 * rollout from the page; a reader sees the same rollout with no button that changes anything; a
 * caller who is not signed in gets no page at all.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { createBesuPlugin, startCloud, type RunningCloud } from "@besu-fleet/local-cloud";
import { request } from "@besu-fleet/local-support";
import { API_ROLES, PRINCIPAL_HEADER } from "../../functions/authorization.js";
import { startAppStack, type AppStack } from "../api/app-stack.js";
import { REPO_ROOT } from "../support/paths.js";
import { launchBrowser, openPage, screenshot, type WatchedPage } from "./browser.js";

let workDir: string;
let cloud: RunningCloud;
let stack: AppStack;
let browser: Browser;

/** A page whose requests carry `name` with `roles`, as App Service Authentication would send them. */
async function signedIn(name: string, roles: string[]): Promise<WatchedPage> {
  const watched = await openPage(browser);
  const claims = [{ typ: "name", val: name }, ...roles.map((role) => ({ typ: "roles", val: role }))];
  const principal = Buffer.from(JSON.stringify({ auth_typ: "aad", name_typ: "name", claims })).toString("base64");
  await watched.page.route("**/*", async (route) => {
    if (new URL(route.request().url()).pathname === "/.auth/me")
      return route.fulfill({ json: [{ provider_name: "aad", user_id: name, user_claims: claims }] });
    return route.continue({ headers: { ...route.request().headers(), [PRINCIPAL_HEADER]: principal } });
  });
  return watched;
}

const dashboard = (page: Page, address = "#/rollouts") => page.goto(`${stack.host.baseUrl}/api/dashboard/${address}`);

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-browser-roles-"));
  cloud = await startCloud({
    dataDir: path.join(workDir, "cloud"),
    timeScale: 50,
    plugins: [createBesuPlugin({ mainnet: false })],
    log: () => undefined,
  });
  stack = await startAppStack({
    BESU_FLEET_API_AUTH: "entra",
    BESU_FLEET_CLOUD_FILE: path.join(workDir, "cloud", "cloud.json"),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await cloud?.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test("without a signed-in caller the dashboard is refused", async () => {
  const response = await request(`${stack.host.baseUrl}/api/dashboard/`);
  assert.equal(response.status, 401);
});

test("an operator starts a rollout from the page; a reader sees it without any button; the operator cancels it", async () => {
  const operator = await signedIn("ops@contoso.example", [API_ROLES.operator]);
  await dashboard(operator.page);
  await operator.page.getByText("ops@contoso.example · operator").waitFor();
  await operator.page
    .getByLabel("Desired-state spec (YAML or JSON)")
    .fill(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8"));
  await operator.page.getByRole("button", { name: "Start rollout" }).click();
  const cancel = operator.page.getByRole("button", { name: "Cancel rollout" });
  await cancel.waitFor({ timeout: 30_000 });
  const address = new URL(operator.page.url()).hash;

  const reader = await signedIn("auditor@contoso.example", [API_ROLES.reader]);
  await dashboard(reader.page);
  await reader.page.getByText("auditor@contoso.example · reader").waitFor();
  await reader.page.getByTestId("rollouts").waitFor();
  assert.equal(await reader.page.getByRole("heading", { name: "Start a rollout" }).count(), 0);
  await dashboard(reader.page, address);
  await reader.page.getByTestId("region-table").waitFor();
  assert.equal(await reader.page.getByRole("button").count(), 0, "a reader gets no button");
  await screenshot(reader.page, "7-reader");

  await cancel.click();
  await operator.page.getByTestId("rollout-state").getByText("Canceled").waitFor({ timeout: 60_000 });
  assert.deepEqual([...operator.problems, ...reader.problems], []);
});
