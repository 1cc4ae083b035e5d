/**
 * Following a rollout until it ends: polls its status, and shows progress either as a frame
 * redrawn in place (a terminal) or as one line per change (a pipe or a log file).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { RolloutStatus } from "../lib/domain/rollout-status.js";
import { ApiFailure, type ApiAnswer, type RolloutApi } from "./rollout-api.js";
import { formatDuration, renderChanges, renderFinalReport, renderProgress, truncate } from "./rollout-render.js";

/** Where the CLI writes: process.stdout and process.stderr fit, and so does a test's capture. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** What a rollout command needs from its surroundings; tests pass their own. */
export interface RolloutIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Where `.local/keys.json` of the local stack lives. */
  projectRoot: string;
  /** Time between two status reads while watching. */
  pollIntervalMs: number;
  /** How long a watch keeps polling an API that does not answer (e.g. a restarting host) before giving up. */
  outageToleranceMs: number;
}

/** Moves the cursor to the start of the line `lines` lines up. */
const cursorUp = (lines: number): string => `\x1b[${lines}F`;
const CLEAR_LINE = "\x1b[2K";
const CLEAR_BELOW = "\x1b[J";

/** A block of lines on a terminal that each draw replaces. */
class TerminalFrame {
  private height = 0;

  constructor(private readonly out: OutputStream) {}

  draw(lines: readonly string[]): void {
    // A line wider than the terminal wraps and would throw the line count off.
    const width = this.out.columns;
    let fitted = width !== undefined && width > 1 ? lines.map((line) => truncate(line, width - 1)) : [...lines];
    // The cursor cannot move above the top of the screen, so a frame taller than it is cut.
    const height = this.out.rows;
    if (height !== undefined && height > 2 && fitted.length > height - 1) {
      fitted = [
        ...fitted.slice(0, height - 2),
        `… ${fitted.length - (height - 2)} more lines: enlarge the terminal to see them`,
      ];
    }
    let text = this.height > 0 ? cursorUp(this.height) : "";
    for (const line of fitted) text += `${CLEAR_LINE}${line}\n`;
    this.out.write(`${text}${CLEAR_BELOW}`);
    this.height = fitted.length;
  }

  /** Replaces the frame with text that stays: not cut to the terminal's width, since it is never redrawn. */
  close(lines: readonly string[]): void {
    this.out.write(`${this.height > 0 ? cursorUp(this.height) : ""}${CLEAR_BELOW}${lines.join("\n")}\n`);
    this.height = 0;
  }
}

/** The end of a watch: the rollout's final status, or the API's answer when it could not be read. */
export type WatchOutcome =
  | { kind: "finished"; status: RolloutStatus; json: unknown }
  | { kind: "refused"; answer: Extract<ApiAnswer<RolloutStatus>, { ok: false }> };

/**
 * Polls a rollout until it is no longer Running. `show: false` draws nothing (for --json).
 * An unreachable API or a server error is waited out for `io.outageToleranceMs`; a refused key is not.
 */
export async function watchRollout(
  api: RolloutApi,
  rolloutId: string,
  io: RolloutIo,
  show: boolean,
): Promise<WatchOutcome> {
  const frame = show && io.stdout.isTTY === true ? new TerminalFrame(io.stdout) : undefined;
  const print = (lines: readonly string[]): void => {
    if (show && lines.length > 0) io.stdout.write(`${lines.join("\n")}\n`);
  };
  let previous: RolloutStatus | undefined;
  let outage: { since: number; failure: ApiFailure } | undefined;
  for (;;) {
    let answer: ApiAnswer<RolloutStatus>;
    try {
      answer = await api.getRollout(rolloutId);
    } catch (error) {
      if (!(error instanceof ApiFailure) || !error.transient) throw error;
      const since = outage?.since ?? Date.now();
      if (Date.now() - since > io.outageToleranceMs) throw error;
      if (outage === undefined && frame === undefined)
        print([`${error.message} Retrying for up to ${formatDuration(io.outageToleranceMs)}.`]);
      outage = { since, failure: error };
      if (frame !== undefined && previous !== undefined) {
        frame.draw([
          ...renderProgress(previous, Date.now()),
          "",
          `No answer for ${formatDuration(Date.now() - since)}, retrying: ${error.message}`,
        ]);
      }
      await sleep(io.pollIntervalMs);
      continue;
    }
    if (outage !== undefined && frame === undefined) print([`The API at ${api.endpoint.baseUrl} answers again.`]);
    outage = undefined;
    if (!answer.ok) return { kind: "refused", answer };
    const status = answer.body;
    const finished = status.state !== "Running";
    if (frame !== undefined) {
      if (finished) frame.close(renderFinalReport(status, Date.now()));
      else frame.draw(renderProgress(status, Date.now()));
    } else {
      print(renderChanges(previous, status));
      if (finished) print(["", ...renderFinalReport(status, Date.now())]);
    }
    if (finished) return { kind: "finished", status, json: answer.json };
    previous = status;
    await sleep(io.pollIntervalMs);
  }
}
