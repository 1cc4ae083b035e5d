/**
 * GET /api/dashboard/… — the admin dashboard (docs/dashboard.md), served by the Functions app itself
 * so it needs no server of its own and shares the API's origin and credentials. It serves only the
 * page that `npm run build` bundled into dist/web (tools/build-dashboard.ts): the files are listed
 * once, so no request path can reach anything else. The page carries no data; it reads everything
 * through the API with the caller's own credential. index.html learns the auth mode from a meta
 * tag, so the page knows whether to ask for a function key or use App Service Authentication.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { HttpFunctionOptions, HttpRequest, HttpResponseInit } from "@azure/functions";
import type { ApiAuthMode } from "./authorization.js";

/** Where the build puts the page: dist/web, beside this module's dist/functions. */
export const DASHBOARD_DIR = path.resolve(__dirname, "..", "web");
const AUTH_MODE_PLACEHOLDER = "%BESU_FLEET_AUTH_MODE%";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

/**
 * The page may load and call only its own origin, run no inline script and be framed by nobody:
 * a function key typed into it cannot be sent elsewhere by injected markup.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

function readAssets(dir: string, mode: ApiAuthMode): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of fs.readdirSync(dir)) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (contentType === undefined) continue;
    let body = fs.readFileSync(path.join(dir, name));
    if (name === "index.html") body = Buffer.from(body.toString("utf8").replace(AUTH_MODE_PLACEHOLDER, mode));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}

/** The handler over the bundled page in `dir`, for callers checked as `mode` says. */
export function dashboardHandler(mode: ApiAuthMode, dir = DASHBOARD_DIR): (request: HttpRequest) => HttpResponseInit {
  let assets: Map<string, Asset> | undefined;
  return (request) => {
    assets ??= fs.existsSync(dir) ? readAssets(dir, mode) : new Map();
    const name = request.params.path === undefined || request.params.path === "" ? "index.html" : request.params.path;
    const asset = assets.get(name);
    if (asset === undefined)
      return { status: 404, headers: { "content-type": "text/plain; charset=utf-8" }, body: "Not found" };
    // NOTE: no-cache, not immutable: the file names carry no hash, so the browser revalidates each
    // load with the ETag (a 304 costs no body) and a new deployment is seen at once.
    const headers = { ...SECURITY_HEADERS, "cache-control": "no-cache", etag: asset.etag };
    if (request.headers.get("if-none-match") === asset.etag) return { status: 304, headers };
    return { status: 200, headers: { ...headers, "content-type": asset.contentType }, body: asset.body };
  };
}

/**
 * NOTE: in keys mode the page itself is anonymous — a browser cannot send a key header when it
 * navigates, and the files hold no data — while every API call it makes carries the key. In
 * entra mode it is a read like any other (Fleet.Reader, functions/authorization.ts).
 */
export function dashboardFunctions(mode: ApiAuthMode): Record<string, HttpFunctionOptions> {
  return {
    dashboard: {
      route: "dashboard/{*path}",
      methods: ["GET"],
      authLevel: mode === "keys" ? "anonymous" : "function",
      handler: dashboardHandler(mode),
    },
  };
}
