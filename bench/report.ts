/**
 * How the benchmarks print their figures: the machine they ran on (recorded with every figure in
 * docs/performance.md and docs/reliability.md), seconds, plain aligned tables (no table package
 * is installed, and a table of strings needs no more than padding), and a process tree's CPU time.
 */
import fs from "node:fs";
import os from "node:os";

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** nproc, CPU model, memory, Node version and today's date. */
export function machine(): string {
  const cpus = os.cpus();
  const memoryGiB = Math.round(os.totalmem() / 2 ** 30);
  const today = new Date().toISOString().slice(0, 10);
  return `${os.availableParallelism()} × ${cpus[0]?.model ?? "cpu"}, ${memoryGiB} GiB, Node ${process.version}, ${today}`;
}

/** The 1-minute load average: the machine is shared, and figures depend on what else ran. */
export const loadAverage = (): string => `load average ${os.loadavg()[0]?.toFixed(2)}`;

/** Columns padded to their widest cell; a column of numbers (every cell starts with a digit) is right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const columns = headers.map((header, column) => ({
    width: Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
    numeric: rows.every((row) => /^\d/.test(row[column] ?? "")),
  }));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const { width = 0, numeric = false } = columns[column] ?? {};
        return numeric ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(headers), line(columns.map(({ width }) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) used so far by process `pid` and all its descendants. */
export function treeCpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // the process ended meanwhile
    }
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
  }
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop() as number;
    total += ticks.get(next) ?? 0;
    pending.push(...(children.get(next) ?? []));
  }
  return total / CLOCK_TICKS_PER_SECOND;
}
