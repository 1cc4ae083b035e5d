/**
 * The little of a POSIX shell that container scripts in Kubernetes manifests use: words with
 * quoting, escapes and `$VAR`/`${VAR:-default}` expansion, command lists, `if … then … else … fi`
 * with `[ -f|-s|-e FILE ]` tests (and `!`), `set -e`, `exec`, `exit`, and the builtins `cp`,
 * `echo`, `true`, `false`. Programs of the image (besu, kubectl) are given by the runtime that runs
 * the script. Pipes, redirections, `&&` and `||` are not modelled: a script that needs them fails
 * loudly rather than doing something else than a shell would.
 */

/** Splits one shell command list into words (quotes, escapes, variables; no globbing). */
export function shellWords(script: string, env: Readonly<Record<string, string>>): string[][] {
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

/** What a script can touch: the container's files, its log, and the programs of its image. */
export interface ShellHost {
  readFile(path: string): string | undefined;
  /** False when no writable volume holds that path (the file system is read-only there). */
  writeFile(path: string, content: string): boolean;
  log(line: string): void;
  /** Programs by name (`kubectl`, `besu`), called with their arguments; return the exit code. */
  programs: Readonly<Record<string, (args: string[]) => number>>;
}

type Statement =
  { kind: "simple"; words: string[] } | { kind: "if"; condition: string[]; then: Statement[]; otherwise: Statement[] };

const KEYWORDS = new Set(["if", "then", "else", "fi"]);

/** Commands as a token stream in which a leading keyword is a token of its own. */
function tokens(commands: string[][]): (string | string[])[] {
  const stream: (string | string[])[] = [];
  for (const command of commands) {
    let rest = command;
    while (rest.length > 0 && KEYWORDS.has(rest[0])) {
      stream.push(rest[0]);
      rest = rest.slice(1);
    }
    if (rest.length > 0) stream.push(rest);
  }
  return stream;
}

class ShellSyntaxError extends Error {}

function parse(stream: (string | string[])[], at: { index: number }, until: readonly string[]): Statement[] {
  const statements: Statement[] = [];
  while (at.index < stream.length) {
    const token = stream[at.index];
    if (typeof token === "string" && until.includes(token)) return statements;
    at.index += 1;
    if (Array.isArray(token)) {
      statements.push({ kind: "simple", words: token });
      continue;
    }
    if (token !== "if") throw new ShellSyntaxError(`syntax error: "${token}" unexpected`);
    const condition = stream[at.index];
    if (!Array.isArray(condition) || stream[at.index + 1] !== "then")
      throw new ShellSyntaxError('syntax error: "if" needs one command, then "then"');
    at.index += 2;
    const then = parse(stream, at, ["else", "fi"]);
    let otherwise: Statement[] = [];
    if (stream[at.index] === "else") {
      at.index += 1;
      otherwise = parse(stream, at, ["fi"]);
    }
    if (stream[at.index] !== "fi") throw new ShellSyntaxError('syntax error: end of file unexpected (expecting "fi")');
    at.index += 1;
    statements.push({ kind: "if", condition, then, otherwise });
  }
  if (until.length > 0)
    throw new ShellSyntaxError(`syntax error: end of file unexpected (expecting "${until.at(-1)}")`);
  return statements;
}

/** Ends the script with an exit code (`exit`, `exec`, or a failure under `set -e`). */
class ScriptExit {
  constructor(readonly code: number) {}
}

function fileTest(host: ShellHost, words: string[]): number {
  const closed = words[0] === "[" ? words.slice(1, words.at(-1) === "]" ? -1 : undefined) : words.slice(1);
  const negated = closed[0] === "!";
  const [operator, path] = negated ? closed.slice(1) : closed;
  const content = path === undefined ? undefined : host.readFile(path);
  let holds: boolean;
  if (operator === "-f" || operator === "-e") holds = content !== undefined;
  else if (operator === "-s") holds = content !== undefined && content.length > 0;
  else {
    host.log(`sh: 1: [: ${closed.join(" ")}: unexpected operator`);
    return 2;
  }
  return holds !== negated ? 0 : 1;
}

function copy(host: ShellHost, [source, target]: string[]): number {
  if (source === undefined || target === undefined) {
    host.log("cp: missing file operand");
    return 1;
  }
  const content = host.readFile(source);
  if (content === undefined) {
    host.log(`cp: cannot stat '${source}': No such file or directory`);
    return 1;
  }
  if (!host.writeFile(target, content)) {
    host.log(`cp: cannot create regular file '${target}': Read-only file system`);
    return 1;
  }
  return 0;
}

class Interpreter {
  private errexit = false;

  constructor(private readonly host: ShellHost) {}

  /** Runs statements in order; returns the last one's exit status, as a shell does. */
  run(statements: Statement[]): number {
    let status = 0;
    for (const statement of statements) {
      if (statement.kind === "if") {
        status = this.run(this.command(statement.condition) === 0 ? statement.then : statement.otherwise);
        continue;
      }
      status = this.command(statement.words);
      if (status !== 0 && this.errexit) throw new ScriptExit(status);
    }
    return status;
  }

  private command(words: string[]): number {
    const [name = "", ...args] = words;
    switch (name) {
      case "set":
        if (args.some((flag) => /^-[a-z]*e/.test(flag))) this.errexit = true;
        return 0;
      case "exec":
        throw new ScriptExit(args.length === 0 ? 0 : this.command(args));
      case "exit":
        throw new ScriptExit(Number(args[0] ?? 0) || 0);
      case "[":
      case "test":
        return fileTest(this.host, words);
      case "cp":
        return copy(this.host, args);
      case "echo":
        this.host.log(args.join(" "));
        return 0;
      case "true":
        return 0;
      case "false":
        return 1;
      default: {
        const program = this.host.programs[name.slice(name.lastIndexOf("/") + 1)];
        if (program !== undefined) return program(args);
        this.host.log(`sh: 1: ${name}: not found`);
        return 127;
      }
    }
  }
}

/** Runs `sh -c script` to its end; returns its exit status (2 for a script the parser refuses). */
export function runShellScript(script: string, env: Readonly<Record<string, string>>, host: ShellHost): number {
  if (/[|&<>]/.test(script.replace(/'[^']*'|"[^"]*"/g, ""))) {
    host.log("sh: the simulator runs no pipes, redirections, && or ||: write the script with if/then/fi");
    return 2;
  }
  let statements: Statement[];
  try {
    statements = parse(tokens(shellWords(script, env)), { index: 0 }, []);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    host.log(`sh: 1: ${error.message}`);
    return 2;
  }
  try {
    return new Interpreter(host).run(statements);
  } catch (exit) {
    if (exit instanceof ScriptExit) return exit.code;
    throw exit;
  }
}

/** The script of an argv that runs a shell (`sh -c …`, `/bin/bash -c …`), or undefined. */
export function shellScriptOf(argv: readonly string[]): string | undefined {
  if (argv.length === 0 || !/(^|\/)(ba)?sh$/.test(argv[0])) return undefined;
  const index = argv.indexOf("-c");
  return index === -1 ? undefined : argv[index + 1];
}
