/**
 * `besu-fleet rollout ...`: start, follow, list, retry and cancel rollouts through the control
 * plane's HTTP API. Exit codes are part of the interface (docs/cli.md); scripts rely on them.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { RolloutState, RolloutStatus } from "../lib/domain/rollout-status.js";
import { parseArgs, stringOption, UsageError, type ParsedArgs } from "./args.js";
import {
  ApiFailure,
  KEY_ENV,
  API_CLIENT_ID_ENV,
  resolveEndpoint,
  RolloutApi,
  URL_ENV,
  type ApiAnswer,
} from "./rollout-api.js";
import { renderChangePlan } from "./rollout-plan-render.js";
import { renderFinalReport, renderProgress, renderSummaries } from "./rollout-render.js";
import { watchRollout, type RolloutIo } from "./rollout-watch.js";

/** Exit codes of `besu-fleet rollout`. */
export const EXIT = {
  /** The command did what was asked; with --watch, the rollout Succeeded. */
  success: 0,
  /** With --watch: the rollout ended Failed or Canceled. */
  rolloutFailed: 1,
  usage: 2,
  /** With --watch: the rollout ended PartiallySucceeded. */
  partiallySucceeded: 3,
  /** The API rejected the spec or request (400); every problem is printed. */
  invalid: 4,
  /** The API refused because of another rollout or the rollout's state (409). */
  conflict: 5,
  notFound: 6,
  /** The API could not be reached, or it refused the key. */
  unreachable: 7,
  /** The API answered outside its contract (a server error, an unexpected body). */
  apiError: 8,
} as const;

export const ROLLOUT_USAGE = `Usage:
  besu-fleet rollout start --file <spec.yaml|spec.json> [--watch] [--json]
  besu-fleet rollout plan --file <spec.yaml|spec.json> [--json]
  besu-fleet rollout status <rollout-id> [--watch] [--json]
  besu-fleet rollout list [--json]
  besu-fleet rollout retry <rollout-id> [--region <name>]... [--watch] [--json]
  besu-fleet rollout cancel <rollout-id> [--json]
      Every rollout command also takes --url <base URL> (else $${URL_ENV}, else the local stack
      http://127.0.0.1:7071) and --key <function key> (else $${KEY_ENV}, else the local stack's
      key; never sent over plain HTTP to another machine), or --api-client-id <Entra app id> (else
      $${API_CLIENT_ID_ENV}) to send an Entra token from az login instead (Azure). Exit codes: 0 ok / Succeeded, 1 Failed or Canceled, 2 usage, 3 PartiallySucceeded,
      4 rejected (400), 5 conflict (409), 6 not found, 7 API unreachable or key refused,
      8 API error. See docs/cli.md.`;

const CONNECTION_OPTIONS = ["url", "key", "api-client-id"] as const;

/** The I/O of a real run: this process's streams and environment, polling about once a second. */
export function processIo(): RolloutIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    projectRoot: path.resolve(__dirname, "..", ".."),
    pollIntervalMs: 1000,
    outageToleranceMs: 120_000,
  };
}

/** Takes every `--<name> <value>` (also `--<name>=a,b`) out of argv: the shared parser keeps only one value per option. */
function takeRepeated(argv: readonly string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let value: string | undefined;
    if (arg === `--${name}`) {
      value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value.`);
    } else if (arg.startsWith(`--${name}=`)) {
      value = arg.slice(name.length + 3);
    } else {
      rest.push(arg);
      continue;
    }
    const names = value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
    if (names.length === 0) throw new UsageError(`--${name} needs a value.`);
    values.push(...names);
  }
  return { values, rest };
}

function rolloutIdArgument(args: ParsedArgs, command: string): string {
  const [id, ...extra] = args.positionals;
  if (id === undefined)
    throw new UsageError(`rollout ${command} needs a rollout id: besu-fleet rollout ${command} <rollout-id>`);
  if (extra.length > 0) throw new UsageError(`rollout ${command} takes one rollout id; unexpected: ${extra.join(" ")}`);
  return id;
}

function noPositionals(args: ParsedArgs, command: string): void {
  if (args.positionals.length > 0)
    throw new UsageError(`rollout ${command} takes no arguments; unexpected: ${args.positionals.join(" ")}`);
}

/** The spec's media type: from the file name, else from its first character (as the API reads it). */
function specContentType(file: string, text: string): string {
  const extension = path.extname(file).toLowerCase();
  if (extension === ".json") return "application/json";
  if (extension === ".yaml" || extension === ".yml") return "application/yaml";
  return text.trimStart().startsWith("{") ? "application/json" : "application/yaml";
}

function readSpecFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `Cannot read the spec file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** One rollout command's run: its output, its connection to the API and its output mode. */
export class Invocation {
  readonly api: RolloutApi;
  readonly json: boolean;
  readonly watch: boolean;

  constructor(
    readonly io: RolloutIo,
    args: ParsedArgs,
  ) {
    this.api = new RolloutApi(
      resolveEndpoint(
        {
          url: stringOption(args, "url"),
          key: stringOption(args, "key"),
          apiClientId: stringOption(args, "api-client-id"),
        },
        io.env,
        io.projectRoot,
      ),
    );
    this.json = args.options.get("json") === true;
    this.watch = args.options.get("watch") === true;
  }

  out(lines: readonly string[]): void {
    if (lines.length > 0) this.io.stdout.write(`${lines.join("\n")}\n`);
  }

  err(lines: readonly string[]): void {
    if (lines.length > 0) this.io.stderr.write(`${lines.join("\n")}\n`);
  }

  printJson(body: unknown): void {
    this.io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }

  /** Prints a deliberate error answer of the API (its body too with --json) and returns its exit code. */
  refused(answer: Extract<ApiAnswer<unknown>, { ok: false }>, what: string): number {
    if (this.json) this.printJson(answer.json);
    const { error } = answer;
    const message = error.message !== undefined ? [error.message] : [];
    if (answer.status === 400) {
      const problems = error.problems ?? [];
      if (problems.length === 0) this.err([`The API rejected ${what} (${error.error}).`, ...message]);
      else
        this.err([
          `The API rejected ${what} (${error.error}, ${problems.length} problem${problems.length === 1 ? "" : "s"}):`,
          ...problems.map((problem) => `  ${problem.path || "(whole document)"}: ${problem.message}`),
        ]);
      return EXIT.invalid;
    }
    if (answer.status === 404) {
      this.err([`Not found at ${this.api.endpoint.baseUrl}: ${what}.`, ...message]);
      return EXIT.notFound;
    }
    const running = error.runningRolloutId !== undefined ? [`Running rollout: ${error.runningRolloutId}`] : [];
    this.err([`The API refused ${what} (${error.error}).`, ...message, ...running]);
    return EXIT.conflict;
  }

  /** Follows a rollout to its end and returns the exit code of its final state. */
  async follow(rolloutId: string): Promise<number> {
    const outcome = await watchRollout(this.api, rolloutId, this.io, !this.json);
    if (outcome.kind === "refused") return this.refused(outcome.answer, `rollout ${rolloutId}`);
    if (this.json) this.printJson(outcome.json);
    return exitCodeOf(outcome.status.state);
  }
}

/** The exit code a watch ends with for a rollout's final state. */
function exitCodeOf(state: RolloutState): number {
  if (state === "Succeeded") return EXIT.success;
  if (state === "PartiallySucceeded") return EXIT.partiallySucceeded;
  if (state === "Running") throw new Error("a running rollout has no exit code yet");
  return EXIT.rolloutFailed;
}

async function start(argv: string[], io: RolloutIo): Promise<number> {
  const args = parseArgs(argv, ["file", ...CONNECTION_OPTIONS], ["watch", "json"]);
  noPositionals(args, "start");
  const file = stringOption(args, "file");
  if (file === undefined) throw new UsageError("rollout start needs --file <spec.yaml|spec.json>.");
  const text = readSpecFile(file);
  const run = new Invocation(io, args);
  const answer = await run.api.startRollout(text, specContentType(file, text));
  if (!answer.ok) return run.refused(answer, `the spec ${file}`);
  if (run.watch) {
    if (!run.json) run.out([`Rollout ${answer.body.rolloutId} started.`, ""]);
    return run.follow(answer.body.rolloutId);
  }
  if (run.json) run.printJson(answer.json);
  else
    run.out([
      `Rollout ${answer.body.rolloutId} started.`,
      `Status: ${answer.body.statusUrl}`,
      `Follow it: besu-fleet rollout status ${answer.body.rolloutId} --watch`,
    ]);
  return EXIT.success;
}

/** `rollout plan`: the dry run — what a start of this spec would change, and in which waves. */
async function plan(argv: string[], io: RolloutIo): Promise<number> {
  const args = parseArgs(argv, ["file", ...CONNECTION_OPTIONS], ["json"]);
  noPositionals(args, "plan");
  const file = stringOption(args, "file");
  if (file === undefined) throw new UsageError("rollout plan needs --file <spec.yaml|spec.json>.");
  const text = readSpecFile(file);
  const run = new Invocation(io, args);
  const answer = await run.api.planRollout(text, specContentType(file, text));
  if (!answer.ok) return run.refused(answer, `the spec ${file}`);
  if (run.json) run.printJson(answer.json);
  else run.out(renderChangePlan(answer.body));
  return EXIT.success;
}

function describeStatus(status: RolloutStatus): string[] {
  return status.state === "Running" ? renderProgress(status, Date.now()) : renderFinalReport(status, Date.now());
}

async function status(argv: string[], io: RolloutIo): Promise<number> {
  const args = parseArgs(argv, [...CONNECTION_OPTIONS], ["watch", "json"]);
  const rolloutId = rolloutIdArgument(args, "status");
  const run = new Invocation(io, args);
  if (run.watch) return run.follow(rolloutId);
  const answer = await run.api.getRollout(rolloutId);
  if (!answer.ok) return run.refused(answer, `rollout ${rolloutId}`);
  if (run.json) run.printJson(answer.json);
  else run.out(describeStatus(answer.body));
  return EXIT.success;
}

async function list(argv: string[], io: RolloutIo): Promise<number> {
  const args = parseArgs(argv, [...CONNECTION_OPTIONS], ["json"]);
  noPositionals(args, "list");
  const run = new Invocation(io, args);
  const answer = await run.api.listRollouts();
  if (!answer.ok) return run.refused(answer, "the rollout list");
  if (run.json) run.printJson(answer.json);
  else run.out(renderSummaries(answer.body));
  return EXIT.success;
}

async function retry(argv: string[], io: RolloutIo): Promise<number> {
  const { values: regions, rest } = takeRepeated(argv, "region");
  const args = parseArgs(rest, [...CONNECTION_OPTIONS], ["watch", "json"]);
  const rolloutId = rolloutIdArgument(args, "retry");
  const run = new Invocation(io, args);
  const answer = await run.api.retryRollout(rolloutId, regions);
  if (!answer.ok) return run.refused(answer, `the retry of rollout ${rolloutId}`);
  const started = [
    `Retry of ${rolloutId} started as rollout ${answer.body.rolloutId} (${regions.length > 0 ? regions.join(", ") : "every region that did not succeed"}).`,
  ];
  if (run.watch) {
    if (!run.json) run.out([...started, ""]);
    return run.follow(answer.body.rolloutId);
  }
  if (run.json) run.printJson(answer.json);
  else run.out([...started, `Status: ${answer.body.statusUrl}`]);
  return EXIT.success;
}

async function cancel(argv: string[], io: RolloutIo): Promise<number> {
  const args = parseArgs(argv, [...CONNECTION_OPTIONS], ["json"]);
  const rolloutId = rolloutIdArgument(args, "cancel");
  const run = new Invocation(io, args);
  const answer = await run.api.cancelRollout(rolloutId);
  if (!answer.ok) return run.refused(answer, `the cancel of rollout ${rolloutId}`);
  if (run.json) run.printJson(answer.json);
  else
    run.out([
      `Cancel of rollout ${answer.body.rolloutId} requested (state now ${answer.body.state}).`,
      "No new region work starts; steps in flight finish, then the rollout ends Canceled.",
    ]);
  return EXIT.success;
}

const COMMANDS = new Map<string, (argv: string[], io: RolloutIo) => Promise<number>>([
  ["start", start],
  ["plan", plan],
  ["status", status],
  ["list", list],
  ["retry", retry],
  ["cancel", cancel],
]);

/** Runs `besu-fleet rollout <command> ...` and returns its exit code; never throws for expected failures. */
export async function rolloutCommand(argv: string[], io: RolloutIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  const write = (text: string): void => void io.stderr.write(`${text}\n`);
  try {
    if (name === "help" || name === "--help") {
      io.stdout.write(`${ROLLOUT_USAGE}\n`);
      return EXIT.success;
    }
    const command = name === undefined ? undefined : COMMANDS.get(name);
    if (command === undefined)
      throw new UsageError(
        name === undefined ? ROLLOUT_USAGE : `Unknown rollout command '${name}'.\n\n${ROLLOUT_USAGE}`,
      );
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      write(error.message);
      return EXIT.usage;
    }
    if (error instanceof ApiFailure) {
      write(error.message);
      return error.kind === "unexpected" ? EXIT.apiError : EXIT.unreachable;
    }
    throw error;
  }
}
