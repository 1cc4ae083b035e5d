import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INVALID_SPAN_CONTEXT, TraceFlags } from "@opentelemetry/api";
import { logLine } from "../../lib/telemetry/log.js";

const TIME = new Date("2026-12-04T10:00:00.000Z");

describe("logLine", () => {
  it("writes one JSON object with the fixed fields, on one line", () => {
    const line = logLine(
      {
        time: TIME,
        level: "warn",
        message: "Throttled: ARM asked\nto wait",
        fields: { rollout: "r-1", region: "northeurope", activity: "getClusterState" },
      },
      undefined,
    );
    assert.ok(!line.includes("\n"), "one line, whatever the message holds");
    assert.deepEqual(JSON.parse(line), {
      time: "2026-12-04T10:00:00.000Z",
      level: "warn",
      rollout: "r-1",
      region: "northeurope",
      activity: "getClusterState",
      message: "Throttled: ARM asked\nto wait",
    });
  });

  it("carries the trace and span ids of an active span, and none of an invalid one", () => {
    const span = {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: TraceFlags.SAMPLED,
    };
    const withSpan = JSON.parse(logLine({ time: TIME, level: "info", message: "m" }, span));
    assert.equal(withSpan.traceId, span.traceId);
    assert.equal(withSpan.spanId, span.spanId);
    const invalid = JSON.parse(logLine({ time: TIME, level: "info", message: "m" }, INVALID_SPAN_CONTEXT));
    assert.equal(invalid.traceId, undefined);
  });
});
