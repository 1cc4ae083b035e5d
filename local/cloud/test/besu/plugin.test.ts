import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createBesuPlugin } from "../../src/besu/plugin.js";
import { startCloud } from "../../src/index.js";
import { control, eventually, startTestCloud } from "../helpers.js";

function scenarioFile(content: string): { file: string; cleanup(): void } {
  const directory = mkdtempSync(join(tmpdir(), "besu-fleet-scenario-"));
  const file = join(directory, "scenario.yaml");
  writeFileSync(file, content);
  return { file, cleanup: () => rmSync(directory, { recursive: true, force: true }) };
}

describe("Besu plug-in: control API and scenario", { timeout: 60_000 }, () => {
  it("applies the scenario's besu events and validates control actions", async () => {
    const scenario = scenarioFile(
      "besu:\n  events:\n    - afterSeconds: 0\n      action: { type: haltChain, chainId: 138 }\n    - afterSeconds: 0\n      action: { type: partitionRegion, region: japaneast }\n",
    );
    const test = await startTestCloud({ scenarioFile: scenario.file, plugins: [createBesuPlugin({ mainnet: false })] });
    try {
      const faults = await eventually("scenario applied", async () => {
        const answer = await control(test, "GET", "besu/faults");
        const body = answer.body as { haltedChains: string[]; partitionedRegions: string[] };
        return body.haltedChains.length > 0 && body.partitionedRegions.length > 0 ? body : undefined;
      });
      assert.deepEqual(faults, {
        stoppedPods: [],
        crashingImages: [],
        lags: {},
        partitionedRegions: ["japaneast"],
        haltedChains: ["138"],
      });
      assert.equal((await control(test, "POST", "besu/actions", { type: "resumeChain" })).status, 200);
      assert.deepEqual((await control(test, "GET", "besu/faults")).body, {
        stoppedPods: [],
        crashingImages: [],
        lags: {},
        partitionedRegions: ["japaneast"],
        haltedChains: [],
      });
      assert.equal((await control(test, "POST", "besu/actions", { type: "explode" })).status, 400);
      assert.equal(
        (
          await control(test, "POST", "besu/actions", {
            type: "stopNode",
            cluster: "nowhere",
            namespace: "besu",
            pod: "x",
          })
        ).status,
        404,
      );
      assert.deepEqual((await control(test, "GET", "besu/nodes")).body, []);
    } finally {
      await test.close();
      scenario.cleanup();
    }
  });

  it("refuses an invalid besu scenario section", async () => {
    const scenario = scenarioFile(
      "besu:\n  events:\n    - afterSeconds: 0\n      action: { type: haltChain, chainId: -1 }\n",
    );
    const dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-cloud-"));
    try {
      await assert.rejects(
        startCloud({ dataDir, scenarioFile: scenario.file, plugins: [createBesuPlugin({ mainnet: false })] }),
        /scenario section 'besu' is invalid/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      scenario.cleanup();
    }
  });
});
