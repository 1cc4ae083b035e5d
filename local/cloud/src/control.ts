/**
 * The control API: plain HTTP on loopback under `/_sim/`, JSON in and out. Core routes (state,
 * operation log, faults, drift) and plugin routes share one route table.
 */
import { createServer, type Server } from "node:http";
import { closeServer, listenOnLoopback, readBody, sendJson, BodyTooLargeError } from "./http.js";
import { ControlError, type ControlRoute } from "./plugin.js";

interface CompiledRoute {
  route: ControlRoute;
  pattern: RegExp;
  names: string[];
}

function compile(route: ControlRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .replace(/^\/+|\/+$/g, "")
    .split("/")
    .map((segment) => {
      if (segment.startsWith(":")) {
        names.push(segment.slice(1));
        return "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { route, pattern: new RegExp(`^/_sim/${source}/?$`), names };
}

export class ControlServer {
  private readonly server: Server;
  private readonly routes: CompiledRoute[] = [];

  constructor(private readonly log: (line: string) => void) {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  add(routes: readonly ControlRoute[]): void {
    for (const route of routes) {
      const compiled = compile(route);
      if (
        this.routes.some(
          (existing) => existing.route.method === route.method && existing.pattern.source === compiled.pattern.source,
        )
      ) {
        throw new Error(`control route ${route.method} /_sim/${route.path} is defined twice`);
      }
      this.routes.push(compiled);
    }
  }

  async start(): Promise<string> {
    const port = await listenOnLoopback(this.server);
    return `http://127.0.0.1:${port}/_sim`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(
    req: import("node:http").IncomingMessage,
    res: import("node:http").ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    try {
      let pathMatched = false;
      for (const { route, pattern, names } of this.routes) {
        const match = pattern.exec(url.pathname);
        if (match === null) continue;
        pathMatched = true;
        if (route.method !== method) continue;
        const params: Record<string, string> = {};
        names.forEach((name, index) => {
          params[name] = decodeURIComponent(match[index + 1] ?? "");
        });
        const raw = (await readBody(req)).toString("utf8");
        let body: unknown;
        if (raw.trim() !== "") {
          try {
            body = JSON.parse(raw) as unknown;
          } catch {
            throw new ControlError(400, "the body is not valid JSON");
          }
        }
        const answer = await route.handle({ params, query: url.searchParams, body });
        sendJson(res, answer.status ?? 200, answer.body);
        return;
      }
      throw new ControlError(
        pathMatched ? 405 : 404,
        pathMatched ? `${method} is not allowed on ${url.pathname}` : `no control route ${url.pathname}`,
      );
    } catch (error) {
      if (error instanceof ControlError) sendJson(res, error.status, { error: error.message });
      else if (error instanceof BodyTooLargeError) sendJson(res, 413, { error: error.message });
      else if (error instanceof URIError) sendJson(res, 400, { error: "malformed percent-encoding in the path" });
      else {
        this.log(
          `control API error on ${method} ${url.pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        sendJson(res, 500, { error: "internal error in the simulator" });
      }
    }
  }
}
