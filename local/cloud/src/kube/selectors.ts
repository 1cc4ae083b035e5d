/** Label selectors (query strings and `LabelSelector` objects) and the field selectors we support. */
import { isRecord } from "../http.js";

export type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

export class SelectorError extends Error {}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
export function parseLabelSelector(text: string): Requirement[] {
  const requirements: Requirement[] = [];
  // Split on commas that are not inside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  for (const raw of parts) {
    const part = raw.trim();
    if (part === "") continue;
    const setMatch = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (setMatch !== null) {
      const [, key = "", op = "in", values = ""] = setMatch;
      requirements.push({
        key,
        op: op === "in" ? "in" : "notin",
        values: values
          .split(",")
          .map((value) => value.trim())
          .filter((value) => value !== ""),
      });
      continue;
    }
    const equality = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part);
    if (equality !== null) {
      const [, key = "", op = "=", value = ""] = equality;
      requirements.push({ key, op: op === "!=" ? "!=" : "=", value });
      continue;
    }
    const existence = /^(!?)([\w./-]+)$/.exec(part);
    if (existence !== null) {
      requirements.push({ key: existence[2] ?? "", op: existence[1] === "!" ? "!exists" : "exists" });
      continue;
    }
    throw new SelectorError(`unable to parse requirement: ${JSON.stringify(part)}`);
  }
  return requirements;
}

export function matchesRequirements(requirements: Requirement[], labels: Readonly<Record<string, unknown>>): boolean {
  return requirements.every((requirement) => {
    const value = labels[requirement.key];
    switch (requirement.op) {
      case "=":
        return value === requirement.value;
      case "!=":
        return value !== requirement.value;
      case "in":
        return typeof value === "string" && requirement.values.includes(value);
      case "notin":
        return typeof value !== "string" || !requirement.values.includes(value);
      case "exists":
        return value !== undefined;
      case "!exists":
        return value === undefined;
    }
  });
}

/** A map selector (a Service's `spec.selector`): every pair must match; an empty map matches nothing. */
export function matchesMapSelector(selector: unknown, labels: unknown): boolean {
  if (!isRecord(selector) || Object.keys(selector).length === 0) return false;
  const actual = isRecord(labels) ? labels : {};
  return Object.entries(selector).every(([key, value]) => actual[key] === value);
}

/** Field selectors: `metadata.name`, `metadata.namespace`, `status.phase`, `spec.nodeName` with =, ==, !=. */
export function parseFieldSelector(text: string): (object: Record<string, unknown>) => boolean {
  const checks = text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const match = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
      if (match === null) throw new SelectorError(`invalid field selector: ${JSON.stringify(part)}`);
      const [, path = "", op = "=", value = ""] = match;
      if (!["metadata.name", "metadata.namespace", "status.phase", "spec.nodeName"].includes(path)) {
        throw new SelectorError(`field label not supported: ${path}`);
      }
      return (object: Record<string, unknown>): boolean => {
        const [section = "", field = ""] = path.split(".");
        const container = object[section];
        const actual = isRecord(container) ? container[field] : undefined;
        const equal = String(actual ?? "") === value;
        return op === "!=" ? !equal : equal;
      };
    });
  return (object) => checks.every((check) => check(object));
}
