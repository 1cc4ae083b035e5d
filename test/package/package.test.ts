/**
 * The deployable package (`npm run package`, tools/package-app.ts), taken as Azure takes it: built
 * into a zip, extracted into an empty folder and run — by the local host, against the simulated
 * cloud — with nothing but what the zip holds. Also what it must never hold (the local stack, tests,
 * keys, development dependencies) and that `.funcignore` agrees with it.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import AdmZip from "adm-zip";
import ignore from "ignore";
import YAML from "yaml";
import { z } from "zod";
import { createBesuPlugin, defaultTimeScale, startCloud } from "@besu-fleet/local-cloud";
import { waitFor } from "@besu-fleet/local-support";
import { packageApp } from "../../tools/package-app.js";
import { startAppStack } from "../api/app-stack.js";
import { REPO_ROOT } from "../support/paths.js";

const manifestSchema = z.object({ dependencies: z.record(z.string(), z.string()) }).loose();

let workDir: string;
let appDir: string;
let files: string[];

before(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-package-test-"));
  const zipFile = path.join(workDir, "besu-fleet.zip");
  packageApp(zipFile);
  appDir = path.join(workDir, "app");
  fs.mkdirSync(appDir);
  const zip = new AdmZip(zipFile);
  zip.extractAllTo(appDir);
  files = zip
    .getEntries()
    .filter((entry) => !entry.isDirectory)
    .map((entry) => entry.entryName);
});

after(() => fs.rmSync(workDir, { recursive: true, force: true }));

test("the package holds the compiled app, host.json and production dependencies only", () => {
  const root = manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")));
  const shipped = JSON.parse(fs.readFileSync(path.join(appDir, "package.json"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(shipped.dependencies, root.dependencies);
  assert.equal(shipped.devDependencies, undefined);
  assert.equal(shipped.workspaces, undefined);
  assert.ok(files.includes("host.json") && files.includes("dist/app.js"));
  const topLevel = new Set(files.map((file) => file.split("/")[0]));
  assert.deepEqual([...topLevel].sort(), ["dist", "host.json", "node_modules", "package.json"]);
  const compiledFolders = new Set(files.filter((file) => file.startsWith("dist/")).map((file) => file.split("/")[1]));
  assert.deepEqual([...compiledFolders].sort(), ["activities", "app.js", "functions", "lib", "orchestrators", "web"]);
  // Development-only packages (the local stack, the EVM, the storage emulator, test tools) stay out.
  for (const devOnly of ["@besu-fleet/local-cloud", "@besu-fleet/local-host", "ganache", "azurite", "fast-check"])
    assert.ok(!files.some((file) => file.startsWith(`node_modules/${devOnly}/`)), `${devOnly} is in the package`);
  assert.ok(files.includes("node_modules/@besu-fleet/qbft/dist/src/index.js"), "the QBFT package's build is shipped");
  assert.ok(!files.some((file) => file.startsWith("node_modules/@besu-fleet/qbft/src/")), "and not its sources");
});

test("no key, certificate, local setting or source file is in the package", () => {
  const secretLike = files.filter((file) =>
    /(^|\/)(local\.settings\.json|dev-accounts\.json|keys\.json|cloud\.json)$|\.(pem|key|pfx)$/.test(file),
  );
  assert.deepEqual(secretLike, []);
  assert.deepEqual(
    files.filter((file) => file.startsWith("dist/") && /\.ts$/.test(file)),
    [],
  );
});

test(".funcignore leaves in what the package ships and leaves out what it must not", () => {
  const rules = ignore().add(fs.readFileSync(path.join(REPO_ROOT, ".funcignore"), "utf8"));
  assert.deepEqual(
    files.filter((file) => rules.ignores(file)),
    [],
  );
  const neverShipped = [
    "local/cloud/package.json",
    "test/e2e/rollout.test.ts",
    "bench/rollout.ts",
    ".local/cloud/ca.pem",
    "local.settings.json",
    "dist/test/e2e/rollout.test.js",
    "dist/cli/main.js",
    "packages/qbft/src/index.ts",
    "lib/config.ts",
    "infra/main.bicep",
    "web/src/main.tsx",
  ];
  assert.deepEqual(
    neverShipped.filter((file) => !rules.ignores(file)),
    [],
  );
});

test("the extracted package runs on its own: health answers and a small rollout succeeds", async (t) => {
  const cloudDir = path.join(workDir, "cloud");
  const cloud = await startCloud({
    dataDir: cloudDir,
    timeScale: defaultTimeScale,
    plugins: [createBesuPlugin({ mainnet: false })],
    log: () => undefined,
  });
  t.after(() => cloud.close());
  const stack = await startAppStack({ BESU_FLEET_CLOUD_FILE: path.join(cloudDir, "cloud.json") }, appDir);
  t.after(() => stack.stop());
  const health = await stack.send({ method: "GET", route: "health" });
  assert.equal(health.status, 200, health.text);

  const example = z
    .object({ rollout: z.record(z.string(), z.unknown()) })
    .loose()
    .parse(YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8")));
  const spec = { ...example, rollout: { ...example.rollout, pollIntervalSeconds: 1 } };
  const started = await stack.send({
    method: "POST",
    route: "rollouts",
    contentType: "application/json",
    body: Buffer.from(JSON.stringify(spec)),
  });
  assert.equal(started.status, 202, started.text);
  const { rolloutId } = z.object({ rolloutId: z.string() }).parse(started.body);
  const state = await waitFor(
    "the rollout to finish",
    async () => {
      const status = await stack.send({ method: "GET", route: `rollouts/${rolloutId}` });
      const { state } = z.object({ state: z.string() }).loose().parse(status.body);
      return state === "Running" ? undefined : state;
    },
    180_000,
    500,
  );
  assert.equal(state, "Succeeded");
});
