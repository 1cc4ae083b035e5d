/**
 * Finds Besu's own arguments in what the kubelet execs. Besu's Kubernetes examples run the image
 * entrypoint with args, `/opt/besu/bin/besu …`, or a `/bin/sh -c` script that ends in
 * `exec /opt/besu/bin/besu …` after waiting for something; this reads the last besu invocation of
 * such a script with the shell's quoting, line continuations and `$VAR`/`${VAR}` expansion.
 */

/** Splits one shell command list into words (quotes, escapes, variables; no globbing). */
function shellWords(script: string, env: Readonly<Record<string, string>>): string[][] {
  const commands: string[][] = [[]];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  const flush = (): void => {
    if (inWord) commands[commands.length - 1].push(word);
    word = "";
    inWord = false;
  };
  const expand = (index: number): number => {
    const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/.exec(script.slice(index));
    const plain = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(script.slice(index));
    const match = braced ?? plain;
    if (match === null) {
      word += "$";
      inWord = true;
      return index + 1;
    }
    const value = env[match[1]];
    word += value === undefined || value === "" ? (braced?.[2] ?? "") : value;
    inWord = true;
    return index + match[0].length;
  };
  for (let index = 0; index < script.length;) {
    const char = script[index];
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
      index += 1;
      continue;
    }
    if (char === "\\") {
      const next = script[index + 1];
      if (next === "\n") index += 2;
      else {
        if (next !== undefined) word += next;
        inWord = true;
        index += 2;
      }
      continue;
    }
    if (char === "$") {
      index = expand(index);
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = undefined;
      else word += char;
      index += 1;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
      index += 1;
      continue;
    }
    if (char === "#" && !inWord) {
      while (index < script.length && script[index] !== "\n") index += 1;
      continue;
    }
    if (char === ";" || char === "\n" || char === "&" || char === "|") {
      flush();
      if (commands[commands.length - 1].length > 0) commands.push([]);
      index += 1;
      continue;
    }
    if (char === " " || char === "\t") {
      flush();
      index += 1;
      continue;
    }
    word += char;
    inWord = true;
    index += 1;
  }
  flush();
  return commands.filter((command) => command.length > 0);
}

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
