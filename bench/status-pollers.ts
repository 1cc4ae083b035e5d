/**
 * The pollers of the status-under-load benchmark, run in a worker thread so that the latency they
 * measure is the host's answer and not the wait for this process's own event loop, which also
 * runs the simulated cloud. Each poller asks `GET /api/rollouts/{id}` every `intervalMs` (the
 * CLI's `--watch` asks once a second); their starts are spread over one interval so that they do
 * not all ask at the same moment. The parent says `report` (answered with the figures so far,
 * counting anew from then on: the rollout ended, the idle host is measured next) and `stop`
 * (answered with the last figures once every poller has stopped).
 */
import { createHistogram } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";
import { z } from "zod";

export const pollerInputSchema = z.object({
  url: z.string(),
  functionKey: z.string(),
  pollers: z.int().min(1),
  intervalMs: z.number().min(0),
});
export type PollerInput = z.infer<typeof pollerInputSchema>;

export interface PollerFigures {
  requests: number;
  /** Answers other than 200, and requests that got no answer. */
  failures: number;
  /** Milliseconds from sending the request to having read the whole answer. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Every poller's answers, in one histogram (nanoseconds: it records integers). */
class Latencies {
  readonly histogram = createHistogram();
  failures = 0;

  figures(): PollerFigures {
    const ms = (nanoseconds: number): number => nanoseconds / 1e6;
    return {
      requests: this.histogram.count,
      failures: this.failures,
      p50: ms(this.histogram.percentile(50)),
      p95: ms(this.histogram.percentile(95)),
      p99: ms(this.histogram.percentile(99)),
      max: ms(this.histogram.max),
    };
  }
}

async function poll(
  input: PollerInput,
  index: number,
  latencies: () => Latencies,
  stopped: () => boolean,
): Promise<void> {
  await sleep((input.intervalMs * index) / input.pollers);
  while (!stopped()) {
    const sent = performance.now();
    let failed = false;
    try {
      const response = await fetch(input.url, { headers: { "x-functions-key": input.functionKey } });
      await response.text();
      failed = response.status !== 200;
    } catch {
      failed = true;
    }
    const elapsed = performance.now() - sent;
    latencies().histogram.record(Math.max(1, Math.round(elapsed * 1e6)));
    if (failed) latencies().failures += 1;
    await sleep(Math.max(0, input.intervalMs - elapsed));
  }
}

async function main(port: NonNullable<typeof parentPort>): Promise<void> {
  const input = pollerInputSchema.parse(workerData);
  let latencies = new Latencies();
  let stop = false;
  port.on("message", (message: unknown) => {
    if (message !== "report") {
      stop = true;
      return;
    }
    port.postMessage(latencies.figures());
    latencies = new Latencies();
  });
  await Promise.all(
    Array.from({ length: input.pollers }, (_, index) =>
      poll(
        input,
        index,
        () => latencies,
        () => stop,
      ),
    ),
  );
  port.postMessage(latencies.figures());
  port.removeAllListeners("message");
}

if (parentPort !== null) void main(parentPort);
