/** Entry point of the `besu-fleet` command. */
import { UsageError } from "./args.js";
import { LOCAL_USAGE, localCommand } from "./local.js";
import { ROLLOUT_USAGE, rolloutCommand } from "./rollout.js";

const USAGE = `besu-fleet — control plane for the Chain 138 Besu network

${ROLLOUT_USAGE}

${LOCAL_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "local") return await localCommand(rest);
    if (command === "rollout") return await rolloutCommand(rest);
    if (command === undefined || command === "help" || command === "--help") {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`Unknown command '${command}'.\n\n${USAGE}`);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}
