/**
 * Stands in for `@azure/functions-core`, the module that only the Functions worker provides.
 * `@azure/functions` requires it lazily on the first registration and, when the require fails,
 * silently drops every registration ("test mode"). Installing this stand-in before any app code
 * loads is what lets the host see the app's functions exactly as the worker would. Its members
 * follow the worker's setupCoreModule.ts (azure-functions-nodejs-worker 3.9): `version`,
 * `hostVersion`, `Disposable`, programming model, `registerFunction` (refused once the app has
 * started), `registerHook` (hooks that really run, see worker-hooks.ts) and `log`.
 */
import Module from "node:module";
import { WorkerHooks, type HookCallback } from "./worker-hooks.js";

/** One binding as `@azure/functions` describes it to the worker (RPC shape). */
export interface RpcBindingInfo {
  type: string;
  direction: "in" | "out" | "inout";
  [property: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  functionId?: string;
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
  /** The worker's phase of the invocation (the library reads it to tell late logs from hook logs). */
  state?: InvocationPhase;
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
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  /** Called once after startup with the worker's capabilities (locks `app.setup`, may add HttpUri). */
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export interface RegisteredFunction {
  metadata: CoreFunctionMetadata;
  callback: CoreFunctionCallback;
}

export type InvocationPhase = "preInvocationHooks" | "invocation" | "postInvocationHooks";

export type LogLevel = "information" | "debug" | "trace" | "warning" | "error" | "critical" | "none";

/** The worker version this stand-in answers to (`coreApi.version`): the one whose source it follows. */
export const WORKER_VERSION = "3.9.1";
/** The Functions host version apps read from `coreApi.hostVersion` (a v4 host). */
export const HOST_VERSION = "4.1037.0";

/** Everything the app registered through the stand-in. */
export class FunctionRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new WorkerHooks();
  programmingModel: ProgrammingModel | undefined;
  /** Set once the app has started: the worker refuses registrations after that. */
  private indexingLocked = false;
  constructor(private readonly log: (level: LogLevel, message: string) => void) {}

  lockIndexing(): void {
    this.indexingLocked = true;
  }

  coreApi(): Record<string, unknown> {
    class Disposable {
      #onDispose: (() => void) | undefined;
      constructor(onDispose: () => void) {
        this.#onDispose = onDispose;
      }
      dispose(): void {
        this.#onDispose?.();
        this.#onDispose = undefined;
      }
      static from(...items: { dispose(): void }[]): Disposable {
        return new Disposable(() => items.forEach((item) => item?.dispose?.()));
      }
    }
    const refuseAfterStart = (what: string): void => {
      if (this.indexingLocked) throw new Error(`A function can only be ${what} during app startup.`);
    };
    return {
      version: WORKER_VERSION,
      get hostVersion() {
        return HOST_VERSION;
      },
      Disposable,
      setProgrammingModel: (model: ProgrammingModel) => {
        this.programmingModel = model;
      },
      getProgrammingModel: () => this.programmingModel,
      registerFunction: (metadata: CoreFunctionMetadata, callback: CoreFunctionCallback) => {
        refuseAfterStart("registered");
        const functionId = metadata.functionId ?? metadata.name;
        if (this.functions.has(functionId)) {
          throw new Error(`A function with id "${functionId}" has already been registered.`);
        }
        this.functions.set(functionId, { metadata, callback });
        return new Disposable(() => {
          refuseAfterStart("disposed");
          this.functions.delete(functionId);
        });
      },
      registerHook: (name: string, callback: HookCallback) => new Disposable(this.hooks.register(name, callback)),
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
