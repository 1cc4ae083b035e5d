/**
 * Hooks as the Azure Functions Node.js worker runs them (azure-functions-nodejs-worker 3.9:
 * src/hooks/*, src/startApp.ts, src/eventHandlers/InvocationHandler.ts, terminateWorker.ts).
 * `@azure/functions` registers `app.hook.appStart/preInvocation/postInvocation/appTerminate`
 * through `coreApi.registerHook`; the worker keeps one list per hook, awaits the callbacks in
 * registration order and hands each a plain context object whose data properties are read-only.
 * A host that accepted hooks without running them would let an app's telemetry, auth or
 * per-invocation setup silently vanish, so they run here exactly where the worker runs them.
 */

export type HookName = "appStart" | "appTerminate" | "preInvocation" | "postInvocation";
export type HookCallback = (context: Record<string, unknown>) => unknown;
type HookData = Record<string, unknown>;

/** The worker's AzFuncRangeError: the library maps it (for "log") to "requires host v4.34". */
class UnrecognizedHookError extends RangeError {
  readonly isAzureFunctionsSystemError = true;
  constructor(name: string) {
    super(`Unrecognized hook "${name}"`);
  }
}

/** A read-only property, as the worker defines hookData/appHookData/invocationContext. */
function readOnly(target: object, name: string, get: () => unknown): void {
  Object.defineProperty(target, name, {
    enumerable: true,
    get,
    set: () => {
      throw new TypeError(`Cannot assign to read only property '${name}'.`);
    },
  });
}

/** What pre-invocation hooks may change: the inputs and the function callback the worker then calls. */
export interface InvocationHookState {
  inputs: unknown[];
  functionCallback: (...args: unknown[]) => unknown;
}

export class WorkerHooks {
  private readonly hooks: Record<HookName, HookCallback[]> = {
    appStart: [],
    appTerminate: [],
    preInvocation: [],
    postInvocation: [],
  };
  /** Shared by every hook of the app (the worker's appHookData). */
  private readonly appHookData: HookData = {};
  /** Shared by appStart and appTerminate only (the worker's appLevelOnlyHookData). */
  private readonly appLevelOnlyHookData: HookData = {};

  /** `coreApi.registerHook`: unknown names throw as in the worker; the Disposable removes it. */
  register(name: string, callback: HookCallback): () => void {
    if (!Object.hasOwn(this.hooks, name)) throw new UnrecognizedHookError(name);
    const list = this.hooks[name as HookName];
    list.push(callback);
    return () => {
      const at = list.indexOf(callback);
      if (at > -1) list.splice(at, 1);
    };
  }

  /** After every entry file loaded (the worker's startApp); a throwing hook stops the start. */
  async appStart(functionAppDirectory: string): Promise<void> {
    const context = this.appContext();
    context.functionAppDirectory = functionAppDirectory;
    try {
      await this.run("appStart", context);
    } catch (error) {
      throw new Error(`An appStart hook failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** When the host stops gracefully (the worker's terminateWorker). */
  async appTerminate(): Promise<void> {
    await this.run("appTerminate", this.appContext());
  }

  /**
   * Runs one invocation between its pre- and post-invocation hooks, as InvocationHandler does:
   * pre hooks may replace inputs and callback; post hooks see the result or error and may replace
   * them; the error left at the end is thrown.
   */
  async aroundInvocation(
    invocationContext: unknown,
    state: InvocationHookState,
    setPhase: (phase: "preInvocationHooks" | "invocation" | "postInvocationHooks" | undefined) => void,
    invoke: (inputs: unknown[], callback: InvocationHookState["functionCallback"]) => Promise<unknown>,
  ): Promise<unknown> {
    const hookData: HookData = {};
    const pre: Record<string, unknown> = { inputs: state.inputs, functionCallback: state.functionCallback };
    this.invocationData(pre, hookData, invocationContext);
    await this.inPhase(setPhase, "preInvocationHooks", () => this.run("preInvocation", pre));
    const inputs = pre.inputs as unknown[];
    const post: Record<string, unknown> = { inputs, result: null, error: null };
    this.invocationData(post, hookData, invocationContext);
    await this.inPhase(setPhase, "invocation", async () => {
      try {
        post.result = await invoke(inputs, pre.functionCallback as InvocationHookState["functionCallback"]);
      } catch (error) {
        post.error = error;
      }
    });
    await this.inPhase(setPhase, "postInvocationHooks", () => this.run("postInvocation", post));
    // The worker throws whatever is left, Error or not (its isError is "not null or undefined").
    if (post.error !== null && post.error !== undefined) throw post.error;
    return post.result;
  }

  private async inPhase(
    setPhase: (phase: "preInvocationHooks" | "invocation" | "postInvocationHooks" | undefined) => void,
    phase: "preInvocationHooks" | "invocation" | "postInvocationHooks",
    body: () => Promise<unknown>,
  ): Promise<void> {
    setPhase(phase);
    try {
      await body();
    } finally {
      setPhase(undefined);
    }
  }

  private appContext(): Record<string, unknown> {
    const context: Record<string, unknown> = {};
    readOnly(context, "hookData", () => this.appLevelOnlyHookData);
    readOnly(context, "appHookData", () => this.appHookData);
    return context;
  }

  private invocationData(target: Record<string, unknown>, hookData: HookData, invocationContext: unknown): void {
    readOnly(target, "hookData", () => hookData);
    readOnly(target, "appHookData", () => this.appHookData);
    readOnly(target, "invocationContext", () => invocationContext);
  }

  private async run(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const callback of [...this.hooks[name]]) await callback(context);
  }
}
