/**
 * App Service Authentication in infra/app/api.bicep, checked against the code since the template
 * cannot be deployed here: a browser without a session is redirected to Entra ID's sign-in (the
 * dashboard is not anonymous in Azure), the paths let through without sign-in are exactly the
 * routes the app serves anonymously in Entra mode, and /.auth/me (the dashboard's roles) has its
 * token store.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import type { HttpFunctionOptions } from "@azure/functions";
import { dashboardFunctions } from "../../functions/dashboard.js";
import { healthFunctions } from "../../functions/health.js";
import { REPO_ROOT } from "../support/paths.js";

/** The `authsettingsV2` resource's body in api.bicep. */
function authSettings(): string {
  const bicep = fs.readFileSync(path.join(REPO_ROOT, "infra", "app", "api.bicep"), "utf8");
  const block = /name: 'authsettingsV2'\n([\s\S]*?)^ {2}\}/m.exec(bicep);
  assert.ok(block, "api.bicep configures authsettingsV2");
  return block[1] ?? "";
}

const setting = (body: string, name: string): string | undefined =>
  new RegExp(`^\\s+${name}: (.+)$`, "m").exec(body)?.[1]?.trim();

test("a browser without a session is sent to Entra ID's sign-in, and the dashboard needs one", () => {
  const body = authSettings();
  assert.equal(setting(body, "requireAuthentication"), "true");
  assert.equal(setting(body, "unauthenticatedClientAction"), "'RedirectToLoginPage'");
  assert.equal(setting(body, "redirectToProvider"), "'azureactivedirectory'");
  for (const options of Object.values(dashboardFunctions("entra")))
    assert.notEqual(options.authLevel, "anonymous", `${options.route} is not anonymous in Entra mode`);
});

test("the paths open without sign-in are the app's anonymous routes in Entra mode", () => {
  const excluded = [...(setting(authSettings(), "excludedPaths") ?? "").matchAll(/'([^']+)'/g)].map((m) => m[1]);
  const anonymous = Object.values<HttpFunctionOptions>({ ...healthFunctions, ...dashboardFunctions("entra") })
    .filter((options) => options.authLevel === "anonymous")
    .map((options) => `/api/${options.route}`);
  assert.deepEqual(excluded, anonymous);
});

test("the token store is on, so the dashboard can read the signed-in user's roles at /.auth/me", () => {
  assert.match(authSettings(), /login: \{ tokenStore: \{ enabled: true \} \}/);
});
