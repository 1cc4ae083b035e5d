/**
 * `besu-fleet drift …`: the networks' drift state, one network's latest report with its findings,
 * its history, and a check run now (optionally followed to its end). The exit code says the
 * state, so a script or a CI job can act on it: 0 InSync, 3 Drifted, 4 Unknown (docs/cli.md).
 */
import type { DriftState } from "../lib/domain/drift/report.js";
import { parseArgs, stringOption, UsageError, type ParsedArgs } from "./args.js";
import { DriftApi } from "./drift-api.js";
import { renderHistory, renderOverview, renderReport } from "./drift-render.js";
import { ApiFailure, resolveEndpoint, type ApiAnswer } from "./rollout-api.js";
import { EXIT as ROLLOUT_EXIT, processIo } from "./rollout.js";
import type { RolloutIo } from "./rollout-watch.js";

/** Exit codes of `besu-fleet drift`; those not about a state are the rollout command's. */
export const DRIFT_EXIT = {
  inSync: 0,
  usage: ROLLOUT_EXIT.usage,
  drifted: 3,
  /** Something could not be observed, or the network was never checked. */
  unknown: 4,
  /** A check of the network is already running (409). */
  conflict: ROLLOUT_EXIT.conflict,
  notFound: ROLLOUT_EXIT.notFound,
  unreachable: ROLLOUT_EXIT.unreachable,
  apiError: ROLLOUT_EXIT.apiError,
} as const;

export const DRIFT_USAGE = `Usage:
  besu-fleet drift status [<network>] [--json]
  besu-fleet drift run <network> [--watch] [--json]
  besu-fleet drift history <network> [--json]
      Also --url and --key, as for rollout commands. Exit codes: 0 InSync (and run or history
      done), 2 usage, 3 Drifted, 4 Unknown or never checked, 5 a check is running (409),
      6 no such network, 7 API unreachable or key refused, 8 API error. See docs/cli.md.`;

const CONNECTION_OPTIONS = ["url", "key"] as const;

const exitOf = (state: DriftState | undefined): number =>
  state === "InSync" ? DRIFT_EXIT.inSync : state === "Drifted" ? DRIFT_EXIT.drifted : DRIFT_EXIT.unknown;

/** The worst of several states: Drifted over Unknown over InSync. */
const worst = (states: readonly (DriftState | undefined)[]): DriftState | undefined =>
  states.includes("Drifted") ? "Drifted" : states.every((state) => state === "InSync") ? "InSync" : "Unknown";

class DriftInvocation {
  readonly api: DriftApi;
  readonly json: boolean;

  constructor(
    readonly io: RolloutIo,
    readonly args: ParsedArgs,
  ) {
    this.api = new DriftApi(
      resolveEndpoint({ url: stringOption(args, "url"), key: stringOption(args, "key") }, io.env, io.projectRoot),
    );
    this.json = args.options.get("json") === true;
  }

  /** The one network argument, or undefined when `optional` and absent. */
  network(command: string, optional = false): string | undefined {
    const [network, ...extra] = this.args.positionals;
    if (extra.length > 0) throw new UsageError(`drift ${command} takes one network; unexpected: ${extra.join(" ")}`);
    if (network === undefined && !optional)
      throw new UsageError(`drift ${command} needs a network: besu-fleet drift ${command} <network>`);
    return network;
  }

  print(lines: readonly string[], json: unknown): void {
    this.io.stdout.write(this.json ? `${JSON.stringify(json, null, 2)}\n` : `${lines.join("\n")}\n`);
  }

  refused(answer: Extract<ApiAnswer<unknown>, { ok: false }>, what: string): number {
    this.io.stderr.write(
      `${[`The API refused ${what} (${answer.error.error}).`, answer.error.message ?? ""].join("\n")}\n`,
    );
    if (answer.status === 404) return DRIFT_EXIT.notFound;
    if (answer.status === 409) return DRIFT_EXIT.conflict;
    return DRIFT_EXIT.usage;
  }
}

async function status(run: DriftInvocation): Promise<number> {
  const network = run.network("status", true);
  if (network === undefined) {
    const answer = await run.api.overview();
    if (!answer.ok) return run.refused(answer, "the drift overview");
    run.print(renderOverview(answer.body), answer.json);
    return exitOf(worst(answer.body.map((entry) => entry.latest?.state)));
  }
  const answer = await run.api.latest(network);
  if (!answer.ok) return run.refused(answer, `the drift report of ${network}`);
  const { report, running } = answer.body;
  run.print(
    [
      ...(report === null ? [`Network ${network} has not been checked yet.`] : renderReport(report, Date.now())),
      ...(running === null ? [] : ["", "A check is running now."]),
    ],
    answer.json,
  );
  return exitOf(report?.state);
}

async function runNow(run: DriftInvocation): Promise<number> {
  const network = run.network("run") as string;
  const requestedAt = new Date().toISOString();
  const started = await run.api.run(network);
  if (!started.ok) return run.refused(started, `a drift check of ${network}`);
  if (run.args.options.get("watch") !== true) {
    run.print([`Drift check of ${network} started.`, `Status: ${started.body.statusUrl}`], started.json);
    return DRIFT_EXIT.inSync;
  }
  if (!run.json) run.io.stdout.write(`Drift check of ${network} started; waiting for its report…\n`);
  const until = Date.now() + run.io.outageToleranceMs + 30 * 60_000;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, run.io.pollIntervalMs));
    const answer = await run.api.latest(network);
    if (!answer.ok) return run.refused(answer, `the drift report of ${network}`);
    const { report, running } = answer.body;
    if (running === null && report !== null && report.finishedAt >= requestedAt) {
      run.print(renderReport(report, Date.now()), answer.json);
      return exitOf(report.state);
    }
  }
  throw new ApiFailure("unexpected", `the drift check of ${network} did not finish within 30 minutes`);
}

async function history(run: DriftInvocation): Promise<number> {
  const network = run.network("history") as string;
  const answer = await run.api.history(network);
  if (!answer.ok) return run.refused(answer, `the drift history of ${network}`);
  run.print(renderHistory(network, answer.body.reports), answer.json);
  return DRIFT_EXIT.inSync;
}

const COMMANDS = new Map<string, { flags: string[]; run: (invocation: DriftInvocation) => Promise<number> }>([
  ["status", { flags: ["json"], run: status }],
  ["run", { flags: ["json", "watch"], run: runNow }],
  ["history", { flags: ["json"], run: history }],
]);

/** Runs `besu-fleet drift <command> ...` and returns its exit code; never throws for expected failures. */
export async function driftCommand(argv: string[], io: RolloutIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === "help" || name === "--help") {
      io.stdout.write(`${DRIFT_USAGE}\n`);
      return DRIFT_EXIT.inSync;
    }
    const command = name === undefined ? undefined : COMMANDS.get(name);
    if (command === undefined)
      throw new UsageError(name === undefined ? DRIFT_USAGE : `Unknown drift command '${name}'.\n\n${DRIFT_USAGE}`);
    return await command.run(new DriftInvocation(io, parseArgs(rest, [...CONNECTION_OPTIONS], command.flags)));
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return DRIFT_EXIT.usage;
    }
    if (error instanceof ApiFailure) {
      io.stderr.write(`${error.message}\n`);
      return error.kind === "unexpected" ? DRIFT_EXIT.apiError : DRIFT_EXIT.unreachable;
    }
    throw error;
  }
}
