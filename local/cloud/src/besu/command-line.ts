/**
 * Finds Besu's own arguments in what the kubelet execs. Besu's Kubernetes examples run the image
 * entrypoint with args, `/opt/besu/bin/besu …`, or a `/bin/sh -c` script that ends in
 * `exec /opt/besu/bin/besu …` after waiting for something; this reads the last besu invocation of
 * such a script with the shell's quoting, line continuations and `$VAR`/`${VAR}` expansion.
 */
import { shellWords } from "../kube/shell.js";

function isBesuExecutable(word: string): boolean {
  return word === "besu" || word.endsWith("/besu");
}

/**
 * Besu's arguments from the container's argv, or undefined when the container does not run Besu
 * (a shell script that never invokes it).
 */
export function besuArguments(argv: readonly string[], env: Readonly<Record<string, string>>): string[] | undefined {
  if (argv.length === 0) return [];
  if (isBesuExecutable(argv[0])) return argv.slice(1);
  if (/(^|\/)(ba)?sh$/.test(argv[0])) {
    const scriptIndex = argv.indexOf("-c");
    if (scriptIndex === -1 || argv[scriptIndex + 1] === undefined) return undefined;
    const invocations = shellWords(argv[scriptIndex + 1], env)
      .map((command) => (command[0] === "exec" ? command.slice(1) : command))
      .filter((command) => command.length > 0 && isBesuExecutable(command[0]));
    const last = invocations.at(-1);
    return last === undefined ? undefined : last.slice(1);
  }
  // No command: the image entrypoint (/opt/besu/bin/besu) receives the args.
  return [...argv];
}
