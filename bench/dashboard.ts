/**
 * The dashboard's costs (issue 16, item 5), in Debian's Chromium against the full local stack:
 * - first load: from asking for the page (a fresh browser context each time: empty cache) until
 *   it shows the rollouts from the API; then the same with a warm cache (answers 304). Target < 1 s.
 * - polling's CPU on the host: the small example rolled out twice, each on a fresh stack, first
 *   with nobody watching, then with the page open on the rollout's live view; the host process
 *   tree's CPU time (/proc, user + system) over each rollout, per wall second. Because two
 *   rollouts vary by more than the page costs, the page's requests are also replayed afterwards,
 *   as many as it made, against the idle host, whose CPU for them is the polling's cost itself.
 *   Target: the page adds < 5 % to the host's CPU during a rollout.
 * Not a test: figures go to docs/performance.md.
 *
 *   npm run build && node dist/bench/dashboard.js [--loads <n, default 5>] [--time-scale <n, default 10>] [--spec <file>]
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Browser } from "playwright-core";
import YAML from "yaml";
import { defaultTimeScale } from "@besu-fleet/local-cloud";
import { dashboardUrl } from "../cli/local.js";
import { launchBrowser, openPage } from "../test/browser/browser.js";
import { REPO_ROOT } from "../test/support/paths.js";
import { positiveNumber } from "./options.js";
import { loadAverage, machine, seconds, table, treeCpuSeconds } from "./report.js";
import { BenchStack, type BenchSpec } from "./stack.js";

const FIRST_LOAD_TARGET_MS = 1000;
const CPU_TARGET = 0.05;
const ROLLOUT_TIMEOUT_MS = 15 * 60_000;
/** How often this benchmark itself asks whether the rollout is done, in both runs alike. */
const END_POLL_MS = 1000;

function specOf(file: string): BenchSpec {
  const spec = YAML.parse(fs.readFileSync(path.resolve(REPO_ROOT, file), "utf8")) as BenchSpec;
  return { ...spec, rollout: { ...spec.rollout, pollIntervalSeconds: 1 } };
}

/** Milliseconds from asking for the page until it shows the rollouts list, `count` times. */
async function loadTimes(browser: Browser, url: string, count: number, warm: boolean): Promise<number[]> {
  const times: number[] = [];
  const context = warm ? await browser.newContext() : undefined;
  for (let i = 0; i < count; i++) {
    const page = await (context ?? (await browser.newContext())).newPage();
    const started = performance.now();
    await page.goto(url);
    await page.getByTestId("rollouts").waitFor();
    times.push(performance.now() - started);
    await page.close();
  }
  await context?.close();
  return times;
}

interface CpuRun {
  wallMs: number;
  cpuSeconds: number;
  state: string;
  pageRequests: number;
  /** The page's API requests, to replay. */
  routes: string[];
}

async function rolloutCpu(timeScale: number, spec: BenchSpec, browser?: Browser): Promise<CpuRun> {
  const stack = await BenchStack.start(timeScale);
  try {
    const pid = stack.hostPid as number;
    const routes: string[] = [];
    const cpuBefore = treeCpuSeconds(pid);
    const started = performance.now();
    const rolloutId = await stack.startRollout(spec);
    const watcher = browser === undefined ? undefined : await openPage(browser);
    watcher?.page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith("/api/") && !url.pathname.startsWith("/api/dashboard"))
        routes.push(`${url.pathname}${url.search}`);
    });
    await watcher?.page.goto(dashboardUrl(stack.baseUrl, stack.functionKey));
    await watcher?.page.getByTestId("rollouts").waitFor();
    await watcher?.page.getByRole("link", { name: rolloutId }).click();
    const status = await stack.waitForEnd(rolloutId, ROLLOUT_TIMEOUT_MS, END_POLL_MS);
    const run: CpuRun = {
      wallMs: performance.now() - started,
      cpuSeconds: treeCpuSeconds(pid) - cpuBefore,
      state: status.state,
      pageRequests: routes.length,
      routes,
    };
    await watcher?.page.close();
    return run;
  } finally {
    await stack.close();
  }
}

/** Host CPU seconds for the page's requests replayed against an idle host (a finished rollout). */
async function replayCpu(timeScale: number, spec: BenchSpec, routes: string[]): Promise<number> {
  const stack = await BenchStack.start(timeScale);
  try {
    const rolloutId = await stack.startRollout(spec);
    await stack.waitForEnd(rolloutId, ROLLOUT_TIMEOUT_MS, END_POLL_MS);
    const pid = stack.hostPid as number;
    const before = treeCpuSeconds(pid);
    for (const route of routes) {
      const answer = await stack.api("GET", route.replace(/^\/api\//, "").replace(/rollout-[^/?]+/, rolloutId));
      if (answer.status !== 200) throw new Error(`replay of ${route}: ${answer.status}`);
    }
    return treeCpuSeconds(pid) - before;
  } finally {
    await stack.close();
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const ms = (value: number): string => `${Math.round(value)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { loads: { type: "string" }, "time-scale": { type: "string" }, spec: { type: "string" } },
    strict: true,
  });
  const loads = positiveNumber(values.loads, "loads", 5);
  const timeScale = positiveNumber(values["time-scale"], "time-scale", defaultTimeScale);
  const specFile = values.spec ?? "examples/chain138-small.yaml";
  const spec = specOf(specFile);
  console.log(`Machine: ${machine()}; ${loadAverage()}; spec ${specFile}, time scale ${timeScale}`);
  const browser = await launchBrowser();
  try {
    const stack = await BenchStack.start(timeScale);
    let cold: number[];
    let warm: number[];
    try {
      const rolloutId = await stack.startRollout(spec);
      await stack.waitForEnd(rolloutId, ROLLOUT_TIMEOUT_MS, END_POLL_MS);
      const url = dashboardUrl(stack.baseUrl, stack.functionKey);
      await loadTimes(browser, url, 1, false); // the host's first answers load code; not what a person waits for twice
      cold = await loadTimes(browser, url, loads, false);
      warm = await loadTimes(browser, url, loads, true);
    } finally {
      await stack.close();
    }
    console.log(
      table(
        ["first load", "median", "max", "target"],
        [
          ["cold cache", ms(median(cold)), ms(Math.max(...cold)), `< ${FIRST_LOAD_TARGET_MS} ms`],
          ["warm cache", ms(median(warm)), ms(Math.max(...warm)), ""],
        ],
      ),
    );

    const alone = await rolloutCpu(timeScale, spec);
    const watched = await rolloutCpu(timeScale, spec, browser);
    const replayed = await replayCpu(timeScale, spec, watched.routes);
    const rate = (run: CpuRun): number => run.cpuSeconds / (run.wallMs / 1000);
    console.log(
      table(
        ["rollout", "state", "wall", "host CPU", "CPU per wall second", "page's API requests"],
        [alone, watched].map((run, index) => [
          index === 0 ? "nobody watching" : "dashboard open",
          run.state,
          seconds(run.wallMs),
          `${run.cpuSeconds.toFixed(2)} s`,
          `${(rate(run) * 100).toFixed(1)} %`,
          String(run.pageRequests),
        ]),
      ),
    );
    const share = replayed / watched.cpuSeconds;
    console.log(
      `The page's ${watched.routes.length} requests replayed on an idle host: ${replayed.toFixed(2)} s of host CPU = ` +
        `${(share * 100).toFixed(1)} % of the watched rollout's host CPU (target < ${CPU_TARGET * 100} %: ` +
        `${share < CPU_TARGET ? "met" : "MISSED"}); A/B ratio ${(rate(watched) / rate(alone)).toFixed(3)}. ${loadAverage()}`,
    );
    if (median(cold) >= FIRST_LOAD_TARGET_MS || share >= CPU_TARGET) process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
