/**
 * The `scale` subresource of StatefulSets and Deployments (what `kubectl scale` and autoscalers
 * use): an `autoscaling/v1 Scale` view of the workload (spec.replicas, status.replicas, the
 * selector as a string), read with GET and written with PUT or a (non-apply) PATCH. A write
 * changes only the workload's `spec.replicas`, goes through the workload's own write path (so a
 * stale resourceVersion is a 409 Conflict on the workload, as on a real API server) and answers
 * the Scale after the write. Negative replicas are refused with the Scale's own 422 Invalid.
 */
import { isRecord } from "../http.js";
import type { ResourceType } from "./catalog.js";
import type { KubeCluster } from "./cluster.js";
import { KubeError } from "./errors.js";
import { asList, metadataOf, type KubeObject } from "./objects.js";
import { patchDocument } from "./patches.js";
import type { WriteOptions } from "./writes.js";

/** A label selector as the API server prints it: requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`. */
function selectorString(selector: unknown): string {
  if (!isRecord(selector)) return "";
  const requirements: [string, string][] = [];
  if (isRecord(selector.matchLabels))
    for (const [key, value] of Object.entries(selector.matchLabels))
      requirements.push([key, `${key}=${String(value)}`]);
  for (const expression of asList(selector.matchExpressions)) {
    const key = String(expression.key);
    const values = (Array.isArray(expression.values) ? expression.values.map(String) : []).sort().join(",");
    const printed: Record<string, string> = {
      In: `${key} in (${values})`,
      NotIn: `${key} notin (${values})`,
      Exists: key,
      DoesNotExist: `!${key}`,
    };
    requirements.push([key, printed[String(expression.operator)] ?? key]);
  }
  return requirements
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([, text]) => text)
    .join(",");
}

function scaleOf(workload: KubeObject): KubeObject {
  const metadata = metadataOf(workload);
  const spec = isRecord(workload.spec) ? workload.spec : {};
  const status = isRecord(workload.status) ? workload.status : {};
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      resourceVersion: metadata.resourceVersion,
      creationTimestamp: metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector) },
  };
}

/** The replicas a Scale asks for, or 400/422 as the API server answers a bad Scale. */
function requestedReplicas(scale: unknown, name: string): number {
  if (!isRecord(scale))
    throw new KubeError(400, "BadRequest", "the body of the request was in an unknown format - expected a Scale");
  if (scale.kind !== undefined && scale.kind !== "Scale")
    throw new KubeError(400, "BadRequest", `kind ${String(scale.kind)} is not Scale`);
  const metadata = isRecord(scale.metadata) ? scale.metadata : {};
  if (metadata.name !== undefined && metadata.name !== name)
    throw new KubeError(400, "BadRequest", "the name of the object does not match the name on the URL");
  // A Scale without spec.replicas asks for 0, as the API server's typed decoding reads it.
  const replicas = isRecord(scale.spec) ? (scale.spec.replicas ?? 0) : 0;
  const message =
    typeof replicas === "number" && Number.isInteger(replicas)
      ? replicas < 0
        ? `Invalid value: ${replicas}: must be greater than or equal to 0`
        : undefined
      : `Invalid value: ${JSON.stringify(replicas)}: must be an integer`;
  if (message === undefined) return replicas as number;
  throw new KubeError(422, "Invalid", `Scale.autoscaling "${name}" is invalid: spec.replicas: ${message}`, {
    name,
    group: "autoscaling",
    kind: "Scale",
    causes: [{ reason: "FieldValueInvalid", message, field: "spec.replicas" }],
  });
}

export class ScaleSubresource {
  constructor(private readonly cluster: KubeCluster) {}

  get(resourceType: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return scaleOf(this.cluster.get(resourceType, namespace, name));
  }

  replace(
    resourceType: ResourceType,
    namespace: string | undefined,
    name: string,
    scale: unknown,
    options: WriteOptions,
  ): KubeObject {
    const replicas = requestedReplicas(scale, name);
    const workload = this.cluster.get(resourceType, namespace, name);
    const requestedVersion = isRecord(scale) && isRecord(scale.metadata) ? scale.metadata.resourceVersion : undefined;
    // The Scale's resourceVersion is the workload's: the workload's write refuses a stale one (409).
    metadataOf(workload).resourceVersion = requestedVersion;
    workload.spec = { ...(isRecord(workload.spec) ? workload.spec : {}), replicas };
    return scaleOf(this.cluster.replace(resourceType, namespace, name, workload, options));
  }

  patch(
    resourceType: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patchBody: unknown,
    options: WriteOptions,
  ): KubeObject {
    const patched = patchDocument(contentType, this.get(resourceType, namespace, name), patchBody);
    return this.replace(resourceType, namespace, name, patched, options);
  }
}
