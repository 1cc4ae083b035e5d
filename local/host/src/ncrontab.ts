/**
 * NCRONTAB schedules as Azure Functions timer triggers use them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}` (a five-field expression is accepted as
 * having second 0), with `*`, lists, ranges, steps and month/day names; or a TimeSpan `hh:mm:ss`
 * meaning "every interval". Evaluated in UTC (WEBSITE_TIME_ZONE is not modelled).
 */
import { parseTimeSpanMs } from "./time-span.js";

export interface Schedule {
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
  readonly expression: string;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

function parseField(text: string, min: number, max: number, names: string[] | undefined, field: string): Set<number> {
  const values = new Set<number>();
  const valueOf = (token: string): number => {
    const lower = token.toLowerCase();
    const named = names ? names.indexOf(lower.slice(0, 3)) : -1;
    if (names && named !== -1 && /^[a-z]+$/.test(lower)) return named + (min === 1 ? 1 : 0);
    if (!/^\d+$/.test(token)) throw new Error(`Invalid ${field} value '${token}'.`);
    return Number(token);
  };
  for (const item of text.split(",")) {
    const [range, stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0) throw new Error(`Invalid step in ${field}: '${item}'.`);
    let low: number;
    let high: number;
    if (range === "*") {
      low = min;
      high = max;
    } else if (range !== undefined && range.includes("-")) {
      const [a, b] = range.split("-");
      low = valueOf(a ?? "");
      high = valueOf(b ?? "");
    } else {
      low = valueOf(range ?? "");
      high = stepText === undefined ? low : max;
    }
    if (field === "day-of-week" && high === 7) high = 6;
    if (field === "day-of-week" && low === 7) low = 0;
    if (low < min || high > max || low > high) throw new Error(`${field} '${item}' is out of range ${min}-${max}.`);
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

export function parseSchedule(expression: string): Schedule {
  const trimmed = expression.trim();
  const periodMs = parseTimeSpanMs(trimmed);
  if (periodMs !== undefined) {
    if (periodMs <= 0) throw new Error(`Timer interval '${expression}' must be positive.`);
    return { expression, next: (after) => new Date(after.getTime() + periodMs) };
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length === 5) fields.unshift("0");
  if (fields.length !== 6)
    throw new Error(`NCRONTAB '${expression}' must have six fields: second minute hour day month day-of-week.`);
  const [sec, min, hour, day, month, dow] = fields as [string, string, string, string, string, string];
  const seconds = parseField(sec, 0, 59, undefined, "second");
  const minutes = parseField(min, 0, 59, undefined, "minute");
  const hours = parseField(hour, 0, 23, undefined, "hour");
  const days = parseField(day, 1, 31, undefined, "day");
  const months = parseField(month, 1, 12, MONTHS, "month");
  const weekdays = parseField(dow.replace(/\b7\b/g, "0"), 0, 6, DAYS, "day-of-week");
  const anyDay = day === "*";
  const anyWeekday = dow === "*";
  const dayMatches = (date: Date): boolean => {
    const inMonth = days.has(date.getUTCDate());
    const inWeek = weekdays.has(date.getUTCDay());
    // As in cron: when both day fields are restricted, either may match.
    if (!anyDay && !anyWeekday) return inMonth || inWeek;
    return inMonth && inWeek;
  };
  return {
    expression,
    next(after: Date): Date {
      const candidate = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
      while (candidate.getTime() <= limit) {
        if (!months.has(candidate.getUTCMonth() + 1)) {
          candidate.setUTCMonth(candidate.getUTCMonth() + 1, 1);
          candidate.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(candidate)) {
          candidate.setUTCDate(candidate.getUTCDate() + 1);
          candidate.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!hours.has(candidate.getUTCHours())) {
          candidate.setUTCHours(candidate.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (!minutes.has(candidate.getUTCMinutes())) {
          candidate.setUTCMinutes(candidate.getUTCMinutes() + 1, 0, 0);
          continue;
        }
        if (!seconds.has(candidate.getUTCSeconds())) {
          candidate.setUTCSeconds(candidate.getUTCSeconds() + 1, 0);
          continue;
        }
        return candidate;
      }
      throw new Error(`NCRONTAB '${expression}' has no occurrence in the next five years.`);
    },
  };
}
