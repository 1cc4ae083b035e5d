/**
 * Which list fields of a Kubernetes object merge element by element, and by which key: a short,
 * hand-kept copy of the list-map keys that the API server's structured-merge-diff reads from the
 * OpenAPI schema (containers, env, volumes and the like by name, mounts by path, ports by port and
 * protocol). Every other list is atomic. Server-side apply, the FieldsV1 sets and strategic merge
 * patch all ask here, so that the three agree on what one list element is.
 */
import { isRecord } from "../http.js";
import { deepEqual } from "./objects.js";

/** List fields whose elements merge by a key, with that key's fields (as Kubernetes' list-map keys). */
const keyedLists: Readonly<Record<string, readonly string[]>> = {
  containers: ["name"],
  initContainers: ["name"],
  ephemeralContainers: ["name"],
  volumes: ["name"],
  env: ["name"],
  imagePullSecrets: ["name"],
  volumeMounts: ["mountPath"],
  volumeDevices: ["devicePath"],
  // Service ports and container ports are keyed by port AND protocol: TCP and UDP 30303 are two entries.
  ports: ["port", "protocol"],
};

/** A key field's value as the API server compares it: a port's protocol defaults to TCP. */
export function keyFieldValue(element: Record<string, unknown>, name: string): unknown {
  return element[name] ?? (name === "protocol" ? "TCP" : undefined);
}

/** The key of a keyed-list element (e.g. `{port: 30303, protocol: "UDP"}`), or undefined when the list is atomic. */
export function elementKey(field: string, element: unknown): Record<string, unknown> | undefined {
  if (!isRecord(element)) return undefined;
  let names = keyedLists[field];
  if (field === "ports" && "containerPort" in element) names = ["containerPort", "protocol"];
  if (names === undefined || !((names[0] as string) in element)) return undefined;
  // The API server defaults a port's protocol to TCP before merging.
  return Object.fromEntries(names.map((name) => [name, keyFieldValue(element, name)]));
}

export function sameElement(field: string, left: unknown, right: unknown): boolean {
  const leftKey = elementKey(field, left);
  return leftKey !== undefined && deepEqual(leftKey, elementKey(field, right));
}
