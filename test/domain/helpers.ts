/** Shared builders for the domain tests: a validated spec from a few overrides. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { nodePublicIdentitySchema, type NodePublicIdentity } from "../../lib/domain/genesis.js";
import { nodeIdentityFromPrivateKey } from "@besu-fleet/qbft";
import { type DesiredState } from "../../lib/domain/spec.js";
import { validateSpec, type SpecProblem } from "../../lib/domain/spec-validation.js";

/** A spec with the defaults (24 regions) and the given network name, validated. */
export function validSpec(overrides: Record<string, unknown> = {}): DesiredState {
  const result = validateSpec({ network: { name: "chain138" }, ...overrides });
  if (!result.ok) assert.fail(`expected a valid spec, got ${JSON.stringify(result.problems)}`);
  return result.spec;
}

/** The problems of a spec that must be rejected. */
export function problemsOf(input: unknown): SpecProblem[] {
  const result = validateSpec(input);
  if (result.ok) assert.fail("expected the spec to be rejected");
  return result.problems;
}

/** Path of the repository's examples/ folder, found from the compiled test's location. */
export function examplesDirectory(): string {
  let directory = __dirname;
  for (;;) {
    const candidate = path.join(directory, "examples");
    if (existsSync(path.join(directory, "package.json")) && existsSync(candidate)) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no examples/ folder above ${__dirname}`);
    directory = parent;
  }
}

export function readExample(name: string): string {
  return readFileSync(path.join(examplesDirectory(), name), "utf8");
}

/** Public identity of a node whose key is the 32-byte big-endian number `seed` (test keys only). */
export function identity(seed: number, region: string, role: "validator" | "sentry", host: string): NodePublicIdentity {
  const key = `0x${seed.toString(16).padStart(64, "0")}`;
  const { publicKey, address } = nodeIdentityFromPrivateKey(key);
  return nodePublicIdentitySchema.parse({
    nodeId: `${region}/${role}-1`,
    region,
    role,
    address,
    publicKey,
    p2pHost: host,
    p2pPort: 30303,
  });
}
