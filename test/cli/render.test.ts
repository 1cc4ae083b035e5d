import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatDuration,
  LIVE_ERROR_WIDTH,
  renderChanges,
  renderFinalReport,
  renderProgress,
  renderSummaries,
  truncate,
} from "../../cli/rollout-render.js";
import { LONG_CAUSE, mixedStatus, NOW, partiallySucceededStatus, ROLLOUT_ID, succeededStatus } from "./statuses.js";

/** The line of a region in a table (the row that starts with its name). */
function rowOf(lines: readonly string[], region: string): string {
  const row = lines.find((line) => line.startsWith(`${region} `));
  assert.ok(row, `no row for ${region} in:\n${lines.join("\n")}`);
  return row;
}

describe("formatDuration and truncate", () => {
  it("formats seconds, minutes and hours", () => {
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(42_900), "42s");
    assert.equal(formatDuration(187_000), "3m07s");
    assert.equal(formatDuration(3_720_000), "1h02m");
    assert.equal(formatDuration(-5), "0s");
  });

  it("cuts long text with an ellipsis and keeps short text", () => {
    assert.equal(truncate("short", 10), "short");
    assert.equal(truncate("0123456789abc", 10), "012345678…");
    assert.equal(truncate("two\nlines", 20), "two lines");
  });
});

describe("renderProgress (live view)", () => {
  const lines = renderProgress(mixedStatus(), NOW);

  it("heads with the rollout, its state, phase, elapsed time and counts", () => {
    assert.equal(lines[0], `Rollout ${ROLLOUT_ID} · network chain138 · Running · phase provisioning · elapsed 5m00s`);
    assert.equal(lines[1], "Regions: 4 total · 1 succeeded · 1 running · 1 pending · 1 failed · 0 canceled");
  });

  it("shows one line per region with state, phase, attempts, transient retries, elapsed and last error", () => {
    assert.match(rowOf(lines, "japaneast"), /^japaneast\s+Succeeded\s+verifying\s+1\s+0\s+4m05s$/);
    assert.match(rowOf(lines, "northeurope"), /^northeurope\s+Running\s+provisioning\s+1\s+2\s+5m00s$/);
    assert.match(rowOf(lines, "uksouth"), /^uksouth\s+Pending\s+preflight\s+0\s+0\s+-$/);
    const failed = rowOf(lines, "swedencentral");
    assert.match(failed, /^swedencentral\s+Failed\s+provisioning\s+1\s+0\s+1m00s\s+aks-cluster: QuotaExceeded/);
    assert.ok(failed.endsWith("…"), "a long cause is cut in the live view");
    assert.equal(failed.slice(failed.indexOf("aks-cluster:")).length, LIVE_ERROR_WIDTH);
  });

  it("has a header row and columns that line up", () => {
    const header = lines.find((line) => line.startsWith("REGION"));
    assert.ok(header);
    const phaseColumn = header.indexOf("PHASE");
    for (const region of ["japaneast", "swedencentral", "northeurope", "uksouth"]) {
      assert.match(rowOf(lines, region).slice(phaseColumn), /^(verifying|provisioning|preflight)/);
    }
  });

  it("says when a cancel was requested", () => {
    assert.match(renderProgress({ ...mixedStatus(), cancelRequested: true }, NOW)[0] ?? "", /cancel requested$/);
  });
});

describe("renderFinalReport", () => {
  it("lists every region with state, duration and the whole error, then the verification matrix", () => {
    const lines = renderFinalReport(partiallySucceededStatus(), NOW);
    assert.match(lines[0] ?? "", /PartiallySucceeded · phase verifying · elapsed 4m05s$/);
    assert.match(rowOf(lines, "japaneast"), /^japaneast\s+Succeeded\s+4m05s$/);
    assert.ok(
      rowOf(lines, "swedencentral").endsWith(`aks-cluster: ${LONG_CAUSE}`),
      "the final table shows the whole cause",
    );
    assert.ok(lines.includes("Verification FAILED (at 2026-11-29T10:04:05.000Z)"));
    assert.match(
      lines.find((line) => line.trim().startsWith("heads-advancing")) ?? "",
      /heads-advancing\s+ok\s+heads 41\.\.43 within 2 blocks/,
    );
    const matrixHeader = lines.find((line) => line.trim().startsWith("REGION") && line.includes("genesis-hash"));
    assert.ok(matrixHeader, "a region × check matrix");
    assert.match(lines.find((line) => line.startsWith("  uksouth ")) ?? "", /^  uksouth\s+ok\s+FAIL$/);
    assert.ok(lines.includes("  uksouth validator-peering: validator-0 peers with 2 of 3 validators; quorum needs 3"));
  });

  it("reports a passed verification without a failure section", () => {
    const lines = renderFinalReport(succeededStatus(), NOW);
    assert.ok(lines.some((line) => line.startsWith("Verification passed")));
    assert.ok(!lines.some((line) => line.startsWith("Failed region checks")));
  });

  it("says when no verification ran and shows a rollout-level failure", () => {
    const status = {
      ...mixedStatus(),
      state: "Failed" as const,
      failure: { phase: "genesis" as const, reason: "too few validators" },
    };
    const lines = renderFinalReport(status, NOW);
    assert.ok(lines.includes("Verification: not run"));
    assert.ok(lines.includes("Rollout failed in genesis: too few validators"));
  });

  it("shows each cluster of a dropped region the rollout deletes, with its state and why one failed", () => {
    const at = "2026-11-29T10:05:00.000Z";
    const status = {
      ...succeededStatus(),
      clusterDeletions: [
        { region: "koreasouth", clusterName: "aks-chain138-koreasouth", state: "Deleted" as const, at },
        {
          region: "canadacentral",
          clusterName: "aks-chain138-canadacentral",
          state: "Failed" as const,
          reason: "canadacentral: deleting cluster aks-chain138-canadacentral failed: denied",
          at,
        },
      ],
    };
    for (const lines of [renderFinalReport(status, NOW), renderProgress(status, NOW)]) {
      const start = lines.indexOf("Clusters of dropped regions:");
      assert.ok(start > 0, lines.join("\n"));
      assert.deepEqual(lines.slice(start + 1, start + 3), [
        "  aks-chain138-koreasouth (koreasouth): Deleted",
        "  aks-chain138-canadacentral (canadacentral): Failed — canadacentral: deleting cluster aks-chain138-canadacentral failed: denied",
      ]);
    }
    assert.ok(!renderFinalReport(succeededStatus(), NOW).includes("Clusters of dropped regions:"));
  });
});

describe("renderChanges (line by line output)", () => {
  it("prints the rollout and every region the first time", () => {
    const lines = renderChanges(undefined, mixedStatus());
    assert.equal(lines.length, 5);
    assert.match(
      lines[0] ?? "",
      /rollout rollout-chain138-7 \(chain138\): Running, phase provisioning — 1\/4 regions succeeded, 1 failed$/,
    );
    assert.ok(
      lines.some((line) =>
        line.includes(`swedencentral: Failed in provisioning (attempt 1) — aks-cluster: ${LONG_CAUSE}`),
      ),
    );
  });

  it("prints only what changed, and nothing when nothing did", () => {
    const before = mixedStatus();
    assert.deepEqual(renderChanges(before, before), []);
    const after = {
      ...before,
      updatedAt: "2026-11-29T10:03:00.000Z",
      regions: before.regions.map((region) =>
        region.region === "northeurope" ? { ...region, phase: "deploying" as const } : region,
      ),
    };
    assert.deepEqual(renderChanges(before, after), [
      "10:03:00   northeurope: Running, deploying (attempt 1), 2 transient faults retried",
    ]);
  });
});

describe("renderSummaries", () => {
  it("lists rollouts in the order given, or says there are none", () => {
    const { rolloutId, network, state, phase, createdAt, updatedAt, counts } = partiallySucceededStatus();
    const lines = renderSummaries([
      { rolloutId, network, state, phase, createdAt, updatedAt, counts },
      { ...mixedStatus(), rolloutId: "rollout-chain138-6" },
    ]);
    assert.match(lines[0] ?? "", /^ROLLOUT\s+NETWORK\s+STATE/);
    assert.match(lines[1] ?? "", /^rollout-chain138-7\s+chain138\s+PartiallySucceeded\s+verifying\s+3\/4\s+1\s/);
    assert.match(lines[2] ?? "", /^rollout-chain138-6\s/);
    assert.deepEqual(renderSummaries([]), ["No rollouts yet."]);
  });
});
