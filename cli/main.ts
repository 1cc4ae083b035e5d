/** Entry point of the `besu-fleet` command. */
import { UsageError } from "./args.js";
import { CONTRACTS_USAGE, contractsCommand } from "./contracts.js";
import { DRIFT_USAGE, driftCommand } from "./drift.js";
import { LOCAL_USAGE, localCommand } from "./local.js";
import { ROLLOUT_USAGE, rolloutCommand } from "./rollout.js";

const USAGE = `besu-fleet — control plane for the Chain 138 Besu network

${ROLLOUT_USAGE}

${CONTRACTS_USAGE}
${DRIFT_USAGE}

${LOCAL_USAGE}`;

/** A command-line mistake, from our parser, the local host's or node:util's: no stack, exit code 2. */
function isUsageError(error: unknown): error is Error {
  if (error instanceof UsageError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error.name === "UsageError" || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_"));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "local") return await localCommand(rest);
    if (command === "rollout") return await rolloutCommand(rest);
    if (command === "contracts") return await contractsCommand(rest);
    if (command === "drift") return await driftCommand(rest);
    if (command === undefined || command === "help" || command === "--help") {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`Unknown command '${command}'.\n\n${USAGE}`);
  } catch (error) {
    if (isUsageError(error)) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}
