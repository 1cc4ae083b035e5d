/** docs/monitoring.md's table of metrics is the instrument module's list, no more and no less. */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { INSTRUMENTS } from "../../lib/telemetry/metrics.js";
import { REPO_ROOT } from "../support/paths.js";

test("docs/monitoring.md documents every instrument with its kind, and no other", () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "monitoring.md"), "utf8");
  const rows = [...doc.matchAll(/^\| `(besu_fleet_[a-z0-9_]+)` \| (\w+) \|/gm)].map(
    (match) => `${match[1]} ${match[2]}`,
  );
  assert.deepEqual(
    rows.sort(),
    Object.values(INSTRUMENTS)
      .map(({ name, kind }) => `${name} ${kind}`)
      .sort(),
  );
});
