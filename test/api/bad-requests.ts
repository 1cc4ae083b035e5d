/**
 * Generators (fast-check) of requests the rollout API must refuse, each with the answer it must
 * get: specs that are valid but for one mutation (a wrong type, a missing field, a number out of
 * range, an unknown region or key, the admin region, a cross-field rule broken), text that is not
 * a spec, media types that are not a spec, bodies over the size limit (with a Content-Length and
 * chunked), bad retry bodies and bad list queries. A mutated spec names the path its problem must
 * be reported at.
 */
import fc from "fast-check";
import YAML from "yaml";
import { MAX_BODY_BYTES } from "../../functions/request-body.js";
import { formatPath } from "../../lib/domain/spec-validation.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A spec as JSON data. */
export type Spec = { [key: string]: Json };

/** A request and what the API must answer. */
export interface BadRequest {
  what: string;
  method: "GET" | "POST";
  /** After `/api/`, with its query. */
  route: string;
  contentType?: string;
  body?: Buffer;
  /** Sent with Transfer-Encoding: chunked (no Content-Length). */
  chunked?: boolean;
  status: 400 | 413 | 415;
  /** A 400 must list a problem at this path (or under it). */
  problemAt?: string;
}

type Path = (string | number)[];

/** A copy of `spec` with `value` at `path` (objects on the way created), or without it when undefined. */
function withValue(spec: Spec, path: Path, value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy = structuredClone(spec);
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) {
    parent[key] ??= {};
    parent = parent[key] as Record<string | number, Json>;
  }
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}

/** Values of the wrong JSON type for a field of type `kind`. */
const wrongType = (kind: "number" | "string"): fc.Arbitrary<Json> =>
  fc.oneof(
    kind === "number" ? fc.string() : fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  );

/** Numbers a whole-number field in [min, max] refuses: below, above, huge, fractional. */
const badWholeNumber = (min: number, max?: number): fc.Arbitrary<Json> =>
  fc.oneof(
    fc.integer({ min: -1e9, max: min - 1 }),
    fc.constantFrom(1e21, -1e21, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
    fc.integer({ min, max: max ?? 1000 }).map((value) => value + 0.5),
    ...(max === undefined ? [] : [fc.integer({ min: max + 1, max: 1e9 })]),
  );

/** Whole-number fields of the spec with their ranges. */
const WHOLE_NUMBERS: [Path, number, number?][] = [
  [["network", "chainId"], 1],
  [["network", "qbft", "blockperiodseconds"], 1, 60],
  [["network", "qbft", "epochlength"], 1],
  [["network", "qbft", "requesttimeoutseconds"], 1, 600],
  [["regions", 0, "validators"], 0, 16],
  [["regions", 1, "sentries"], 0, 16],
  [["regions", 2, "clusters"], 1, 8],
  [["cluster", "nodePools", 0, "count"], 1, 100],
  [["cluster", "vcpuBudgetPerRegion"], 1],
  [["rollout", "maxParallelRegions"], 1, 100],
  [["rollout", "minValidators"], 4],
  [["rollout", "pollIntervalSeconds"], 1, 600],
  [["rollout", "clusterTimeoutMinutes"], 1, 240],
  [["rollout", "retry", "maxAttempts"], 1, 20],
  [["rollout", "retry", "firstRetryIntervalSeconds"], 1, 3600],
];

/** Text fields (patterns, enums, literals, catalogs): none accepts a space or `!`. */
const TEXTS: Path[] = [
  ["apiVersion"],
  ["adminRegion"],
  ["network", "name"],
  ["network", "besuImage"],
  ["network", "gasLimit"],
  ["network", "resources", "validator", "cpu"],
  ["network", "resources", "sentry", "memory"],
  ["cluster", "kubernetesVersion"],
  ["cluster", "storageSku"],
  ["cluster", "nodePools", 1, "name"],
  ["cluster", "nodePools", 1, "mode"],
  ["cluster", "nodePools", 0, "vmSize"],
];

const REQUIRED: Path[] = [
  ["network"],
  ["network", "name"],
  ["regions", 3, "name"],
  ["cluster", "nodePools", 0, "vmSize"],
  ["cluster", "nodePools", 1, "count"],
  ["cluster", "nodePools", 1, "name"],
];

/** Objects of the spec that accept no key they do not know. */
const STRICT_OBJECTS: Path[] = [
  [],
  ["network"],
  ["network", "qbft"],
  ["network", "resources"],
  ["regions", 0],
  ["cluster"],
  ["cluster", "nodePools", 1],
  ["rollout"],
  ["rollout", "retry"],
];

interface Mutation {
  what: string;
  spec: Json;
  problemAt: string;
}

/** A valid spec made invalid in one place. */
export function badSpecs(valid: Spec): fc.Arbitrary<Mutation> {
  const mutation = (what: string, path: Path, value: Json | undefined, problemAt = formatPath(path)): Mutation => ({
    what: `${what} at ${formatPath(path) || "(root)"}`,
    spec: withValue(valid, path, value),
    problemAt,
  });
  const regionCount = (valid.regions as Json[]).length;
  return fc.oneof(
    fc
      .constantFrom(...WHOLE_NUMBERS)
      .chain(([path, min, max]) =>
        fc
          .oneof(wrongType("number"), badWholeNumber(min, max))
          .map((value) => mutation(`bad number ${JSON.stringify(value)}`, path, value)),
      ),
    fc.constantFrom(...TEXTS).chain((path) =>
      fc
        .oneof(
          wrongType("string"),
          fc.string().map((text) => `${text} !`),
        )
        .map((value) => mutation(`bad text ${JSON.stringify(value)}`, path, value)),
    ),
    fc.constantFrom(...REQUIRED).map((path) => mutation("missing field", path, undefined)),
    fc
      .tuple(
        fc.constantFrom(...STRICT_OBJECTS),
        fc.string({ maxLength: 12 }).map((key) => `x-${key}`),
        fc.jsonValue(),
      )
      .map(([path, key, value]) =>
        mutation(`unknown key ${JSON.stringify(key)}`, [...path, key], value as Json, formatPath(path)),
      ),
    fc
      .tuple(
        fc.integer({ min: 0, max: regionCount - 1 }),
        fc.oneof(
          fc.constantFrom("westeurope", "WestEurope", "West Europe", "west-europe", "northeurope "),
          fc.string({ maxLength: 20 }).map((text) => `nowhere-${text}`),
        ),
      )
      .map(([index, name]) => mutation(`region ${JSON.stringify(name)}`, ["regions", index, "name"], name)),
    fc
      .constantFrom<[string, Path, Json, string?]>(
        ["a region twice", ["regions", regionCount], { name: "northeurope" }, `regions[${regionCount}].name`],
        ["no regions", ["regions"], []],
        ["regions not a list", ["regions"], { name: "northeurope" }],
        ["a region that is not an object", ["regions", 1], "uksouth"],
        ["a region without nodes", ["regions", 1], { name: "uksouth", validators: 0, sentries: 0 }],
        ["no System node pool", ["cluster", "nodePools", 0, "mode"], "User", "cluster.nodePools"],
        ["node pools not a list", ["cluster", "nodePools"], "system"],
        ["a spec that is a list", [], [valid]],
        ["a spec that is a string", [], "network: x"],
      )
      .map(([what, path, value, problemAt]) => mutation(what, path, value, problemAt ?? formatPath(path))),
    // Cross-field rules: each part valid on its own, the combination not.
    fc.constant(
      mutation("request timeout not above the block period", ["network", "qbft", "requesttimeoutseconds"], 1),
    ),
    fc.constant(mutation("max retry interval below the first", ["rollout", "retry", "maxRetryIntervalSeconds"], 1)),
    fc.constant({
      ...mutation("fewer validators than minValidators", ["rollout", "minValidators"], 5),
      problemAt: "regions",
    }),
    fc.constant(
      mutation("a vCPU budget below one cluster", ["cluster", "vcpuBudgetPerRegion"], 1, "cluster.nodePools"),
    ),
  );
}

/** How a spec is sent: its media type and encoding. */
const specEncodings = fc.constantFrom<[string | undefined, "json" | "yaml"]>(
  ["application/json", "json"],
  ["application/json; charset=utf-8", "json"],
  ["application/merge-patch+json", "json"],
  [undefined, "json"],
  ["text/plain", "json"],
  ["application/yaml", "yaml"],
  ["application/x-yaml", "yaml"],
  ["text/yaml; charset=utf-8", "yaml"],
  [undefined, "yaml"],
  ["text/plain", "yaml"],
);

function encode(spec: Json, encoding: "json" | "yaml"): Buffer {
  return Buffer.from(encoding === "json" ? JSON.stringify(spec) : YAML.stringify(spec));
}

/** Text and the media type it is sent as. */
type Text = [string, string | undefined];

/** Text that is not a spec: broken or truncated JSON and YAML, scalars, lists, an alias bomb, deep nesting. */
function notSpecTexts(valid: Spec): fc.Arbitrary<Text> {
  const json = JSON.stringify(valid);
  const yaml = YAML.stringify(valid);
  const yamlLines = yaml.split("\n");
  // "Billion laughs": each anchor repeats the one before four times, 9 × 4^8 values in all.
  const levels = "abcdefghi";
  const bomb = [...levels]
    .map((name, level) => {
      const previous = levels[level - 1] ?? "";
      return `${name}: &${name} [${level === 0 ? "x, x, x, x, x, x, x, x, x" : Array(4).fill(`*${previous}`).join(", ")}]`;
    })
    .join("\n");
  return fc.oneof(
    fc.integer({ min: 1, max: json.length - 1 }).map((end): Text => [json.slice(0, end), "application/json"]),
    // An unclosed quote on a line of its own is a YAML error wherever it stands.
    fc
      .integer({ min: 0, max: yamlLines.length })
      .map((line): Text => [
        [...yamlLines.slice(0, line), '  "unclosed', ...yamlLines.slice(line)].join("\n"),
        "application/yaml",
      ]),
    fc.tuple(fc.string(), fc.constantFrom("application/json", "application/yaml", undefined)),
    fc
      .tuple(
        fc.jsonValue().filter((value) => typeof value !== "object" || value === null || Array.isArray(value)),
        fc.constantFrom("application/json", "application/yaml"),
      )
      .map(([value, type]): Text => [JSON.stringify(value), type]),
    fc.constantFrom<Text>(
      ["", "application/json"],
      ["   \n", "application/yaml"],
      [yaml, "application/json"],
      [`${json}}`, "application/json"],
      ["network:\n\tname: tabs\n", "application/yaml"],
      ["network: {name: a}\nnetwork: {name: b}\n", "application/yaml"],
      ["!!binary aGVsbG8=", "application/yaml"],
      ["--- {}\n--- {}\n", "application/yaml"],
      [bomb, "application/yaml"],
      ["[".repeat(20_000) + "]".repeat(20_000), "application/json"],
      ["- ".repeat(5_000) + "x", "application/yaml"],
      [
        "a:\n" + Array.from({ length: 300 }, (_, depth) => `${"  ".repeat(depth + 1)}a${depth}:`).join("\n"),
        "application/yaml",
      ],
      ['{"__proto__": {"network": {"name": "proto"}}}', "application/json"],
      ["\uFEFF{}", "application/json"],
    ),
  );
}

const WRONG_MEDIA_TYPES = [
  "application/xml",
  "text/html",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "application/octet-stream",
  "image/png",
];

/** A body just over the limit or well over it. */
const oversize = fc.integer({ min: MAX_BODY_BYTES + 1, max: 4 * MAX_BODY_BYTES });

/** A failing request is printed by what it is, not byte by byte. */
const described = (bad: BadRequest): BadRequest =>
  Object.assign(bad, {
    [fc.toStringMethod]: () => `${bad.method} /api/${bad.route}: ${bad.what} (expects ${bad.status})`,
  });

/** Every kind of bad request to the API. */
export function badRequests(valid: Spec): fc.Arbitrary<BadRequest> {
  const post = (route: string, rest: Omit<BadRequest, "method" | "route">): BadRequest =>
    described({ method: "POST", route, ...rest });
  const retry = "rollouts/rollout-fuzz-1/retry";
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc.tuple(badSpecs(valid), specEncodings).map(([mutation, [contentType, encoding]]) =>
        post("rollouts", {
          what: `${mutation.what} (${encoding}, ${contentType ?? "no type"})`,
          contentType,
          body: encode(mutation.spec, encoding),
          status: 400,
          problemAt: mutation.problemAt,
        }),
      ),
    },
    {
      weight: 4,
      arbitrary: notSpecTexts(valid).map(([text, contentType]) =>
        post("rollouts", {
          what: `not a spec: ${JSON.stringify(text.slice(0, 60))}`,
          contentType,
          body: Buffer.from(text),
          status: 400,
          problemAt: "",
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...WRONG_MEDIA_TYPES)
        .map((contentType) =>
          post("rollouts", { what: `a spec as ${contentType}`, contentType, body: encode(valid, "json"), status: 415 }),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(oversize, fc.boolean(), fc.constantFrom("rollouts", retry)).map(([size, chunked, route]) =>
        post(route, {
          what: `${size} bytes${chunked ? ", chunked" : ""} to ${route}`,
          contentType: "application/json",
          body: Buffer.alloc(size, " "),
          chunked,
          status: 413,
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc
            .string()
            .filter((text) => text.trim() !== "")
            .map((text) => `${text}{`),
          fc.constantFrom(
            '{"regions": "uksouth"}',
            '{"regions": [1]}',
            '{"regions": [""]}',
            '{"region": ["uksouth"]}',
            "[]",
            "null",
            "5",
            '"uksouth"',
          ),
        )
        .map((text) =>
          post(retry, {
            what: `retry body ${JSON.stringify(text.slice(0, 60))}`,
            contentType: "application/json",
            body: Buffer.from(text),
            status: 400,
            problemAt: "",
          }),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...WRONG_MEDIA_TYPES)
        .map((contentType) =>
          post(retry, { what: `a retry body as ${contentType}`, contentType, body: Buffer.from("{}"), status: 415 }),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc
            .oneof(
              fc.integer({ max: 0 }),
              fc.integer({ min: 1001 }),
              fc.double({ min: 1.01, max: 999, noInteger: true }),
            )
            .map((top) => `top=${top}`),
          fc
            .string()
            .filter((text) => !/^\d+$/.test(text))
            .map((text) => `top=${encodeURIComponent(text)}`),
          fc.string({ minLength: 1 }).map((text) => `continuationToken=${encodeURIComponent(text)}`),
        )
        .map((query) =>
          described({
            what: `list ?${query}`,
            method: "GET",
            route: `rollouts?${query}`,
            status: 400,
            problemAt: query.split("=")[0],
          }),
        ),
    },
  );
}
