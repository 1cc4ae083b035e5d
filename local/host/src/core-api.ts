/**
 * Stands in for `@azure/functions-core`, the module that only the Functions worker provides.
 * `@azure/functions` requires it lazily on the first registration and, when the require fails,
 * silently drops every registration ("test mode"). Installing this stand-in before any app code
 * loads is what lets the host see the app's functions exactly as the worker would.
 */
import Module from "node:module";

/** One binding as `@azure/functions` describes it to the worker (RPC shape). */
export interface RpcBindingInfo {
  type: string;
  direction: "in" | "out" | "inout";
  [property: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type CoreFunctionCallback = (...args: unknown[]) => unknown;

/** What an invocation model receives: the worker's view of one invocation. */
export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: CoreFunctionMetadata;
  /** Where `context.log` and friends go (the library formats the message). */
  log(level: LogLevel, category: "user" | "system", message: string): void;
  /** The worker's phase of the invocation; undefined while the function runs. */
  state?: string;
}

export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  http?: RpcHttpData;
}

export interface RpcHttpData {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  body?: RpcTypedData;
  statusCode?: string;
}

export interface RpcInvocationRequest {
  invocationId: string;
  functionId: string;
  inputData: { name: string; data: RpcTypedData }[];
  triggerMetadata: Record<string, RpcTypedData>;
}

export interface RpcInvocationResponse {
  invocationId: string;
  returnValue?: RpcTypedData | null;
  outputData?: { name: string; data: RpcTypedData }[];
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: CoreFunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel;
}

export interface RegisteredFunction {
  metadata: CoreFunctionMetadata;
  callback: CoreFunctionCallback;
}

type LogLevel = "information" | "debug" | "trace" | "warning" | "error" | "critical" | "none";

/** Everything the app registered through the stand-in. */
export class FunctionRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  programmingModel: ProgrammingModel | undefined;
  constructor(private readonly log: (level: LogLevel, message: string) => void) {}

  coreApi(hostVersion: string): Record<string, unknown> {
    class Disposable {
      constructor(private readonly onDispose: () => void) {}
      dispose(): void {
        this.onDispose();
      }
      static from(...items: { dispose(): void }[]): Disposable {
        return new Disposable(() => items.forEach((item) => item.dispose()));
      }
    }
    return {
      version: "1.0.0",
      hostVersion,
      Disposable,
      setProgrammingModel: (model: ProgrammingModel) => {
        this.programmingModel = model;
      },
      getProgrammingModel: () => this.programmingModel,
      registerFunction: (metadata: CoreFunctionMetadata, callback: CoreFunctionCallback) => {
        if (this.functions.has(metadata.name)) {
          throw new Error(`A function named "${metadata.name}" is already registered.`);
        }
        this.functions.set(metadata.name, { metadata, callback });
        return new Disposable(() => this.functions.delete(metadata.name));
      },
      // Hooks (pre/post invocation, app start) are not used by apps we serve; accepting them keeps
      // such apps loadable.
      registerHook: () => new Disposable(() => undefined),
      log: (level: LogLevel, _category: string, message: string) => this.log(level, message),
    };
  }
}

const CORE_MODULE = "@azure/functions-core";
let installedApi: Record<string, unknown> | undefined;

/**
 * Makes `require('@azure/functions-core')` resolve to `api` in this process, as the worker does.
 * Must run before the first `require('@azure/functions')` of the app. One app per process.
 */
export function installCoreApi(api: Record<string, unknown>): void {
  if (installedApi) throw new Error("The @azure/functions-core stand-in is already installed in this process.");
  installedApi = api;
  const moduleWithLoad = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const originalLoad = moduleWithLoad._load;
  moduleWithLoad._load = function load(request: string, parent: unknown, isMain: boolean): unknown {
    if (request === CORE_MODULE) return installedApi;
    return originalLoad.call(this, request, parent, isMain);
  };
}
