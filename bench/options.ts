/**
 * The benchmarks' numeric command-line options, checked eagerly with a message that names the
 * option. The options themselves are parsed by Node's `parseArgs` in each benchmark, strictly
 * (an unknown option or a missing value is an error, not ignored).
 */

/** A positive number given as `--name`, or the fallback when the option is absent. */
export function positiveNumber(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, not '${text}'`);
  return value;
}
