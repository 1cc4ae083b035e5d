/** The store thread's side (store-thread.ts): opens the task hub's store and runs each call it is sent. */
import { parentPort, workerData } from "node:worker_threads";
import { DurableStore } from "./store.js";
import {
  runCall,
  toThreadError,
  type StoreCall,
  type StoreOpened,
  type StoreReply,
  type StoreThreadData,
} from "./store-thread.js";

const port = parentPort;
if (port === null) throw new Error("store-worker.js runs only as the store thread (store-thread.ts)");
const { connectionString, hubName } = workerData as StoreThreadData;

DurableStore.open(connectionString, hubName).then(
  (store) => {
    port.on("message", (call: StoreCall) => {
      // Calls run concurrently, as the engine's awaits of them did on one thread.
      runCall(store, call).then(
        (value) => port.postMessage({ id: call.id, value } satisfies StoreReply),
        (error: unknown) => port.postMessage({ id: call.id, error: toThreadError(error) } satisfies StoreReply),
      );
    });
    port.postMessage({ opened: true } satisfies StoreOpened);
  },
  (error: unknown) => port.postMessage({ opened: false, error: toThreadError(error) } satisfies StoreOpened),
);
