/**
 * Invokes a registered function through the programming model the app itself registered, so
 * that contexts, requests and responses are the app's own classes and conversions, as under the
 * real worker.
 */
import { randomUUID } from "node:crypto";
import type { LoadedApp, ServableFunction } from "./app-loader.js";
import type { ProgrammingModel, RpcInvocationResponse, RpcTypedData } from "./core-api.js";
import { withFunctionTimeout, type FunctionTimeout } from "./function-timeout.js";

export interface Invocation {
  invocationId: string;
  /** The handler's raw return value (for orchestrators: the SDK's orchestrator state object). */
  result: unknown;
  /** Builds the worker's response (output bindings converted), e.g. for HTTP. */
  response(): Promise<RpcInvocationResponse>;
}

export interface InvokeOptions {
  /** Inputs besides the trigger, by binding name (e.g. the durable client). */
  extraInputs?: Record<string, RpcTypedData>;
  triggerMetadata?: Record<string, RpcTypedData>;
  invocationId?: string;
  /** host.json functionTimeout: past it the invocation fails (see function-timeout.ts). */
  timeout?: FunctionTimeout;
  /** Where the function's `context.log` lines go; the host's log by default. */
  log?: (line: string) => void;
}

export async function invokeFunction(
  model: ProgrammingModel,
  fn: ServableFunction,
  trigger: RpcTypedData,
  options: InvokeOptions = {},
): Promise<Invocation> {
  const invocationId = options.invocationId ?? randomUUID();
  const inputData = [{ name: fn.triggerName, data: trigger }];
  for (const [name, data] of Object.entries(options.extraInputs ?? {})) inputData.push({ name, data });
  const invocationModel = model.getInvocationModel({
    invocationId,
    metadata: fn.metadata,
    request: { invocationId, functionId: fn.metadata.name, inputData, triggerMetadata: options.triggerMetadata ?? {} },
    log: (level, category, message) => {
      // The library's own diagnostics (category "system") are the worker's business, not the app's.
      if (category === "user") (options.log ?? console.log)(`[${fn.metadata.name} ${level}] ${message}`);
    },
  });
  const { context, inputs } = await invocationModel.getArguments();
  const result = await withFunctionTimeout(
    options.timeout,
    fn.metadata.name,
    invocationModel.invokeFunction(context, inputs, fn.callback),
  );
  return { invocationId, result, response: () => invocationModel.getResponse(context, result) };
}

/** The programming model the app registered; throws (into the caller's invocation) when there is none. */
export function registeredModel(app: LoadedApp): ProgrammingModel {
  const model = app.registry.programmingModel;
  if (!model) throw new Error("The app registered no programming model.");
  return model;
}

export const jsonData = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value ?? null) });
export const stringData = (value: string): RpcTypedData => ({ string: value });
