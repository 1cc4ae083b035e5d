/**
 * The dashboard's file server (functions/dashboard.ts) on a folder of its own: it serves only the
 * files the build left there, puts the auth mode into index.html, answers a repeated request with
 * 304, and sends the page's Content Security Policy. Requests are the Functions library's own.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { HttpRequest } from "@azure/functions";
import { dashboardHandler } from "../../functions/dashboard.js";

let root: string;
/** The served folder, inside `root`, where a file outside it waits to be asked for. */
let dir: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-dashboard-"));
  dir = path.join(root, "web");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "index.html"), '<meta name="besu-fleet-auth" content="%BESU_FLEET_AUTH_MODE%">');
  fs.writeFileSync(path.join(dir, "app.js"), "console.log('page');");
  fs.writeFileSync(path.join(dir, "notes.txt"), "not a file of the page");
  fs.writeFileSync(path.join(root, "outside.js"), "not the page's");
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

const get = (file: string | undefined, headers: Record<string, string> = {}) =>
  new HttpRequest({
    method: "GET",
    url: `http://localhost/api/dashboard/${file ?? ""}`,
    headers,
    params: file === undefined ? {} : { path: file },
  });

test("the page's index names the auth mode, and every answer carries the security headers", () => {
  const answer = dashboardHandler("entra", dir)(get(undefined));
  assert.equal(answer.status, 200);
  assert.match(String(answer.body), /content="entra"/);
  const headers = answer.headers as Record<string, string>;
  assert.equal(headers["content-type"], "text/html; charset=utf-8");
  assert.match(headers["content-security-policy"] ?? "", /default-src 'self'.*frame-ancestors 'none'/);
  assert.equal(headers["x-content-type-options"], "nosniff");
});

test("a file asked for again with its ETag is answered 304 without a body", () => {
  const serve = dashboardHandler("keys", dir);
  const first = serve(get("app.js"));
  const etag = (first.headers as Record<string, string>).etag ?? "";
  assert.equal((first.headers as Record<string, string>)["content-type"], "text/javascript; charset=utf-8");
  const again = serve(get("app.js", { "if-none-match": etag }));
  assert.equal(again.status, 304);
  assert.equal(again.body, undefined);
});

test("nothing but the page's own files is served: no other kind, no path out of the folder", () => {
  const serve = dashboardHandler("keys", dir);
  for (const file of ["notes.txt", "../outside.js", "missing.js", "%2e%2e/outside.js"])
    assert.equal(serve(get(file)).status, 404, file);
});
