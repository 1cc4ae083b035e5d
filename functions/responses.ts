/** The JSON answers of the app's HTTP API: a body, or a deliberate error `{error, message, ...}` (docs/api.md). */
import type { HttpResponseInit } from "@azure/functions";

export const jsonResponse = (status: number, body: unknown): HttpResponseInit => ({ status, jsonBody: body });

export const errorResponse = (
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): HttpResponseInit => jsonResponse(status, { error: code, message, ...extra });
