/**
 * The page's client of the HTTP API (docs/api.md): same-origin requests with the session's
 * credential, every answer turned into data — `{ok: true, value}` or `{ok: false, status, error,
 * message}` from the API's error body — so views show a refusal instead of throwing. Types come
 * from the product's own status model, imported for types only (nothing of it is bundled).
 */
import type { RolloutStatus } from "../../lib/domain/rollout-status.js";
import type { Session } from "./session.js";

export type { RolloutStatus };
export type RegionStatus = RolloutStatus["regions"][number];
export type CheckResult = NonNullable<RolloutStatus["verification"]>["network"][number];

export interface RolloutSummary {
  rolloutId: string;
  network: string;
  state: string;
  phase: string;
  createdAt: string;
  updatedAt: string;
  counts?: RolloutStatus["counts"];
}

export interface RegionInfo {
  name: string;
  displayName: string;
  area: string;
  role: "deployment" | "admin";
}

export interface Accepted {
  rolloutId: string;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; status: number; error: string; message: string };

export interface Api {
  get<T>(route: string): Promise<ApiResult<T>>;
  post<T>(route: string, body?: string, contentType?: string): Promise<ApiResult<T>>;
}

interface ErrorBody {
  error?: string;
  message?: string;
  problems?: { path: string; message: string }[];
}

async function resultOf<T>(response: Response): Promise<ApiResult<T>> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return { ok: true, value: body as T };
  const error = (body ?? {}) as ErrorBody;
  const problems = (error.problems ?? []).map((problem) => `${problem.path}: ${problem.message}`);
  const fallback = response.status === 401 ? "Not signed in, or the key is not valid." : `HTTP ${response.status}`;
  return {
    ok: false,
    status: response.status,
    error: error.error ?? `HTTP ${response.status}`,
    message: [error.message ?? fallback, ...problems].join("\n"),
  };
}

/** The API as `session` may call it; `onUnauthorized` hears of a 401 (a wrong key, an expired sign-in). */
export function createApi(session: Session, onUnauthorized: () => void): Api {
  const headers = (contentType?: string): Record<string, string> => ({
    ...(session.key === undefined ? {} : { "x-functions-key": session.key }),
    ...(contentType === undefined ? {} : { "content-type": contentType }),
  });
  const send = async <T>(route: string, init: RequestInit): Promise<ApiResult<T>> => {
    try {
      const response = await fetch(`/api/${route}`, { credentials: "same-origin", ...init });
      if (response.status === 401) onUnauthorized();
      return await resultOf<T>(response);
    } catch (error) {
      return { ok: false, status: 0, error: "Unreachable", message: `The API did not answer: ${String(error)}` };
    }
  };
  return {
    get: (route) => send(route, { headers: headers() }),
    post: (route, body, contentType) =>
      send(route, { method: "POST", headers: headers(body === undefined ? undefined : contentType), body }),
  };
}
