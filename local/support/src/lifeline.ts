/**
 * A child process that must not outlive its parent (Azurite, a test's host) is given a pipe on
 * stdin and calls `exitWhenStdinCloses`: when the parent dies, even by SIGKILL, the pipe closes
 * and the child stops, so no orphan keeps ports or data folders busy.
 */
export const LIFELINE_ENV = "BESU_FLEET_LIFELINE";

/** Returns a function that stops watching (so that stdin no longer keeps the process alive). */
export function exitWhenStdinCloses(onExit: () => void | Promise<void>): () => void {
  let exiting = false;
  const stop = (): void => {
    if (exiting) return;
    exiting = true;
    Promise.resolve(onExit()).finally(() => process.exit(0));
  };
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  return () => {
    process.stdin.off("end", stop);
    process.stdin.off("close", stop);
    process.stdin.off("error", stop);
    process.stdin.destroy();
  };
}

/** Resolves when the process is asked to stop: Ctrl-C, SIGTERM, or its parent's lifeline closing. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    let release = (): void => undefined;
    const stop = (): void => {
      release();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    if (process.env[LIFELINE_ENV] === "1") release = exitWhenStdinCloses(stop);
  });
}
