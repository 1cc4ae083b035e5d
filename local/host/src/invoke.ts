/**
 * Invokes a registered function through the programming model the app itself registered, so
 * that contexts, requests and responses are the app's own classes and conversions, as under the
 * real worker, between the app's pre- and post-invocation hooks, with the core invocation context
 * the worker hands the library (the contract every `@azure/functions` 4.x release relies on).
 */
import { randomUUID } from "node:crypto";
import type { ServableFunction } from "./app-loader.js";
import type {
  FunctionRegistry,
  InvocationPhase,
  LogLevel,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcTypedData,
} from "./core-api.js";
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

/**
 * The worker's core invocation context (InvocationHandler.ts `CoreInvocationContext`): the library
 * logs through `log`, and reads `state` to tell a hook's log from a log after the function ended.
 */
class CoreInvocationContext {
  state: InvocationPhase | undefined;
  constructor(
    readonly invocationId: string,
    readonly request: RpcInvocationRequest,
    readonly metadata: ServableFunction["metadata"],
    private readonly write: (line: string) => void,
  ) {}

  log(level: LogLevel, category: "user" | "system", message: string): void {
    // The library's own diagnostics (category "system") are the worker's business, not the app's.
    if (category === "user") this.write(`[${this.metadata.name} ${level}] ${message}`);
  }
}

export async function invokeFunction(
  registry: FunctionRegistry,
  fn: ServableFunction,
  trigger: RpcTypedData,
  options: InvokeOptions = {},
): Promise<Invocation> {
  const model = registry.programmingModel;
  if (!model) throw new Error("The app registered no programming model.");
  const invocationId = options.invocationId ?? randomUUID();
  const inputData = [{ name: fn.triggerName, data: trigger }];
  for (const [name, data] of Object.entries(options.extraInputs ?? {})) inputData.push({ name, data });
  const request = {
    invocationId,
    functionId: fn.metadata.name,
    inputData,
    triggerMetadata: options.triggerMetadata ?? {},
  };
  const coreContext = new CoreInvocationContext(invocationId, request, fn.metadata, options.log ?? console.log);
  const invocationModel = await model.getInvocationModel(coreContext);
  const { context, inputs } = await invocationModel.getArguments();
  const result = await withFunctionTimeout(
    options.timeout,
    fn.metadata.name,
    registry.hooks.aroundInvocation(
      context,
      { inputs, functionCallback: fn.callback },
      (phase) => (coreContext.state = phase),
      (finalInputs, callback) => invocationModel.invokeFunction(context, finalInputs, callback),
    ),
  );
  return { invocationId, result, response: () => invocationModel.getResponse(context, result) };
}

export const jsonData = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value ?? null) });
export const stringData = (value: string): RpcTypedData => ({ string: value });
