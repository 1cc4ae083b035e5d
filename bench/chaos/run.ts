/**
 * One run of the chaos suite: a fresh stack, the scenario's fault rules in force, the 24-region
 * example started through the HTTP API and followed to its final state (or a deadline), while
 * two helpers act on it as the scenario says: one ends the ARM 429 storm (in force from the start)
 * after its seconds, the other SIGKILLs the host at the seeded moments and restarts it at once on
 * the same storage. Then the figures, and the stack stops.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { RolloutStatus } from "../../lib/domain/rollout-status.js";
import { BenchStack, exampleSpec } from "../stack.js";
import { RunRecorder, type RunFigures } from "./figures.js";
import { ARM_STORM_RULE, killMoments, type ChaosScenario } from "./scenarios.js";

export interface RunOptions {
  timeScale: number;
  seed: number;
  /** The kill moments are spread over this many ms after the start (the baseline's wall time). */
  killSpanMs: number;
  /** A rollout still running after this long is recorded as such and the run ends. */
  deadlineMs: number;
}

export interface RunResult {
  scenario: ChaosScenario;
  /** The last status read: final unless `timedOut`. */
  status: RolloutStatus | undefined;
  timedOut: boolean;
  /** From the start request until a final state was read (or the deadline). */
  wallMs: number;
  figures: RunFigures;
  hostKills: number;
  /** How long the storm lasted (shorter than asked if the rollout ended first); undefined without one. */
  stormMs: number | undefined;
}

const STATUS_POLL_MS = 250;
const SAMPLE_MS = 1_000;
/** A kill waits until the restarted host has run this long: killing it while it starts would test only its start. */
const MIN_HOST_UPTIME_MS = 2_000;

export async function runScenario(scenario: ChaosScenario, options: RunOptions): Promise<RunResult> {
  const stack = await BenchStack.start(options.timeScale);
  try {
    return await new ChaosRun(stack, scenario, options).run();
  } finally {
    await stack.close();
  }
}

class ChaosRun {
  private readonly recorder: RunRecorder;
  private status: RolloutStatus | undefined;
  private finished = false;
  private hostKills = 0;
  private stormMs: number | undefined;

  constructor(
    private readonly stack: BenchStack,
    private readonly scenario: ChaosScenario,
    private readonly options: RunOptions,
  ) {
    this.recorder = new RunRecorder(stack);
  }

  async run(): Promise<RunResult> {
    const storm = this.scenario.armStormSeconds !== undefined;
    if (this.scenario.rules.length > 0 || storm) await this.setFaults(storm);
    const started = Date.now();
    const rolloutId = await this.stack.startRollout(exampleSpec());
    const helpers = Promise.allSettled(
      [this.endArmStorm(started), this.killHost(started), this.sampleLog()].map((helper) =>
        // A helper that fails (a host that does not come back) ends the run; the others stop with it.
        helper.catch((error: unknown) => {
          this.finished = true;
          throw error;
        }),
      ),
    );
    const timedOut = await this.follow(rolloutId, started);
    const wallMs = Date.now() - started;
    this.finished = true;
    for (const helper of await helpers) if (helper.status === "rejected") throw helper.reason;
    return {
      scenario: this.scenario,
      status: this.status,
      timedOut,
      wallMs,
      figures: await this.recorder.figures(),
      hostKills: this.hostKills,
      stormMs: this.stormMs,
    };
  }

  /** Polls the status until it is final; true when the deadline came first. */
  private async follow(rolloutId: string, started: number): Promise<boolean> {
    while (!this.finished) {
      // While the host is down (killed, restarting) there is no answer: keep the last status.
      this.status = (await this.stack.rolloutStatus(rolloutId).catch(() => undefined)) ?? this.status;
      if (this.status !== undefined && this.status.state !== "Running") return false;
      if (Date.now() - started > this.options.deadlineMs) return true;
      await sleep(STATUS_POLL_MS);
    }
    return false;
  }

  private async endArmStorm(started: number): Promise<void> {
    const seconds = this.scenario.armStormSeconds;
    if (seconds === undefined) return;
    while (!this.finished && Date.now() - started < seconds * 1000) await sleep(STATUS_POLL_MS);
    await this.setFaults(false);
    this.stormMs = Date.now() - started;
  }

  private async killHost(started: number): Promise<void> {
    for (const moment of killMoments(this.scenario.hostKills, this.options.killSpanMs, this.options.seed)) {
      while (
        !this.finished &&
        (Date.now() - started < moment || Date.now() - this.stack.hostUpSince < MIN_HOST_UPTIME_MS)
      )
        await sleep(50);
      if (this.finished) return;
      await this.stack.killHost();
      this.hostKills += 1;
      await this.stack.restartHost();
    }
  }

  private async sampleLog(): Promise<void> {
    while (!this.finished) {
      await this.recorder.sample();
      await sleep(SAMPLE_MS);
    }
  }

  private async setFaults(storm: boolean): Promise<void> {
    const rules = storm ? [ARM_STORM_RULE, ...this.scenario.rules] : this.scenario.rules;
    await this.stack.control("PUT", "faults", { transient: rules });
  }
}
