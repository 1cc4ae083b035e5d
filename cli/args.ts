/**
 * The command line's strict parsing, over node:util's parseArgs: `--name value` (or
 * `--name=value`), `--flag`, positionals; an unknown option or a missing value is a UsageError
 * with a message that names the option.
 */
import { parseArgs as parseCommandLine } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

/** The option an error of node:util's parser is about (it quotes it as '--name …'). */
function optionNamed(error: Error): string {
  return /'--?([A-Za-z0-9-]+)/.exec(error.message)?.[1] ?? "?";
}

export function parseArgs(argv: string[], valueOptions: readonly string[], flagOptions: readonly string[]): ParsedArgs {
  const options = Object.fromEntries([
    ...valueOptions.map((name) => [name, { type: "string" as const }]),
    ...flagOptions.map((name) => [name, { type: "boolean" as const }]),
  ]);
  try {
    const { values, positionals } = parseCommandLine({ args: argv, options, allowPositionals: true, strict: true });
    const parsed = new Map<string, string | true>();
    for (const [name, value] of Object.entries(values)) {
      if (typeof value === "string") parsed.set(name, value);
      else if (value === true) parsed.set(name, true);
    }
    return { positionals, options: parsed };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!(error instanceof Error) || typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) throw error;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`Unknown option --${optionNamed(error)}.`);
    throw new UsageError(`--${optionNamed(error)} needs a value.`);
  }
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === "string" ? value : undefined;
}

export function portOption(args: ParsedArgs, name: string, fallback: number): number {
  const text = stringOption(args, name);
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--${name} must be a port number (0-65535), not '${text}'.`);
  return port;
}
