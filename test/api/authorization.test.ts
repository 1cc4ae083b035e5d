/**
 * Who may call which route (functions/authorization.ts): the principal App Service Authentication
 * passes on, read as Azure writes it; reads need Fleet.Reader, changes Fleet.Operator; health is
 * anonymous. Unit tests of the checks, then the app on the local host in `entra` mode, where
 * requests carry the principal header as App Service would set it after validating a token.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { z } from "zod";
import { request } from "@besu-fleet/local-support";
import {
  API_ROLES,
  callerOf,
  PRINCIPAL_HEADER,
  refusal,
  requiredRole,
  secured,
} from "../../functions/authorization.js";
import { principalHeader } from "../support/principal.js";
import { startAppStack, type AppStack } from "./app-stack.js";

const withHeader = (value: string | undefined) => ({
  headers: new Headers(value === undefined ? {} : { [PRINCIPAL_HEADER]: value }),
});

describe("the checks", () => {
  test("the caller's name and app roles come from the principal's claims", () => {
    const caller = callerOf(withHeader(principalHeader("ops@contoso.example", [API_ROLES.operator])));
    assert.equal(caller?.name, "ops@contoso.example");
    assert.deepEqual([...(caller?.roles ?? [])], [API_ROLES.operator]);
  });

  test("no header, or one that is not a principal, is no caller", () => {
    assert.equal(callerOf(withHeader(undefined)), undefined);
    assert.equal(callerOf(withHeader("not base64 json")), undefined);
    assert.equal(callerOf(withHeader(Buffer.from('{"claims": 3}').toString("base64"))), undefined);
  });

  test("reads need Fleet.Reader, everything else Fleet.Operator", () => {
    assert.equal(requiredRole(["GET"]), API_ROLES.reader);
    assert.equal(requiredRole(["POST"]), API_ROLES.operator);
    assert.equal(requiredRole(["GET", "POST"]), API_ROLES.operator);
    assert.equal(requiredRole(undefined), API_ROLES.operator);
  });

  test("an operator may read, a reader may not change anything, nobody without a token gets in", () => {
    const reader = { name: "r", roles: new Set<string>([API_ROLES.reader]) };
    const operator = { name: "o", roles: new Set<string>([API_ROLES.operator]) };
    assert.equal(refusal(operator, API_ROLES.reader), undefined);
    assert.equal(refusal(reader, API_ROLES.reader), undefined);
    assert.equal(refusal(reader, API_ROLES.operator)?.status, 403);
    assert.equal(refusal(undefined, API_ROLES.reader)?.status, 401);
  });

  test("keys mode and anonymous routes keep their registration as it is", () => {
    const route = { methods: ["GET"], authLevel: "function" as const, handler: () => "ok" };
    assert.equal(secured(route, "keys"), route);
    const health = { ...route, authLevel: "anonymous" as const };
    assert.equal(secured(health, "entra"), health);
    assert.equal(secured(route, "entra").authLevel, "anonymous");
  });
});

describe("the app in entra mode", () => {
  let stack: AppStack;
  before(async () => {
    stack = await startAppStack({ BESU_FLEET_API_AUTH: "entra" });
  });
  after(() => stack?.stop());

  const call = (method: "GET" | "POST", route: string, roles?: string[]) =>
    request(`${stack.host.baseUrl}/api/${route}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(roles === undefined ? {} : { [PRINCIPAL_HEADER]: principalHeader("someone@contoso.example", roles) }),
      },
      ...(method === "POST" ? { body: "{}" } : {}),
    });

  test("health answers anyone, and says nothing but that the app is alive", async () => {
    const response = await call("GET", "health");
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body as object).sort(), ["service", "status"]);
  });

  test("without a principal every other route answers 401", async () => {
    for (const [method, route] of [
      ["GET", "rollouts"],
      ["GET", "openapi.json"],
      ["GET", "metrics"],
      ["POST", "rollouts"],
    ] as const) {
      const response = await call(method, route);
      assert.equal(response.status, 401, `${method} ${route}: ${response.text}`);
    }
  });

  test("a reader reads and cannot start a rollout", async () => {
    assert.equal((await call("GET", "rollouts", [API_ROLES.reader])).status, 200);
    const metrics = await call("GET", "metrics", [API_ROLES.reader]);
    assert.equal(metrics.status, 200, metrics.text);
    assert.match(metrics.text, /^# HELP /m, "the Prometheus text format");
    const start = await call("POST", "rollouts", [API_ROLES.reader]);
    assert.equal(start.status, 403, start.text);
    assert.match(start.text, /Fleet\.Operator/);
  });

  test("an operator reads and gets past authorization to the spec's validation", async () => {
    assert.equal((await call("GET", "rollouts", [API_ROLES.operator])).status, 200);
    const start = await call("POST", "rollouts", [API_ROLES.operator]);
    assert.equal(start.status, 400, start.text);
  });

  test("every change asked for is in the audit trail, newest first, refusals included, with who asked", async () => {
    const response = await call("GET", "audit?top=50", [API_ROLES.reader]);
    assert.equal(response.status, 200, response.text);
    const entries = z
      .array(z.object({ at: z.string(), who: z.string(), action: z.string(), status: z.number(), outcome: z.string() }))
      .parse(response.body);
    assert.ok(
      entries.every((entry) => entry.action === "POST /api/rollouts"),
      "reads are not recorded",
    );
    assert.deepEqual(
      entries.map((entry) => [entry.who, entry.status, entry.outcome]),
      [
        ["someone@contoso.example", 400, "InvalidSpec"],
        ["someone@contoso.example", 403, "Forbidden"],
        ["anonymous", 401, "Unauthenticated"],
      ],
    );
    assert.ok(entries.every((entry, index) => index === 0 || entries[index - 1].at >= entry.at));
    const bad = await call("GET", "audit?top=0", [API_ROLES.reader]);
    assert.equal(bad.status, 400);
  });
});
