/**
 * `besu-fleet contracts list <rollout-id>`: the contracts a rollout deployed, per chain, with
 * their addresses and code hashes, from GET /api/rollouts/{id} (`contracts`).
 */
import { parseArgs, UsageError } from "./args.js";
import { renderContracts } from "./onchain-render.js";
import { EXIT, Invocation, processIo } from "./rollout.js";
import type { RolloutIo } from "./rollout-watch.js";

export const CONTRACTS_USAGE = `Usage:
  besu-fleet contracts list <rollout-id> [--json] [--url <api>] [--key <function key>]`;

export async function contractsCommand(argv: string[], io: RolloutIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name !== "list")
    throw new UsageError(
      name === undefined ? CONTRACTS_USAGE : `Unknown contracts command '${name}'.\n\n${CONTRACTS_USAGE}`,
    );
  const args = parseArgs(rest, ["url", "key"], ["json"]);
  const [rolloutId, ...extra] = args.positionals;
  if (rolloutId === undefined || extra.length > 0) throw new UsageError(CONTRACTS_USAGE);
  const run = new Invocation(io, args);
  const answer = await run.api.getRollout(rolloutId);
  if (!answer.ok) return run.refused(answer, `rollout ${rolloutId}`);
  if (run.json) run.printJson(answer.body.contracts ?? []);
  else run.out(renderContracts(answer.body));
  return EXIT.success;
}
