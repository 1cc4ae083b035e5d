/**
 * Kubernetes objects as the simulated cluster stores them, plain JSON, and the small helpers every
 * part of it needs: deep equality and copies, an object's metadata, its key in the store, its type
 * fields as the API answers them, its owners, a Service's LoadBalancer IPs, and the short hashes
 * controllers name revisions and nodes by.
 */
import { createHash } from "node:crypto";
import { isRecord } from "../http.js";
import { groupVersion, type ResourceType } from "./catalog.js";

/** A Kubernetes object as stored and sent: plain JSON. */
export type KubeObject = Record<string, unknown>;

/** Structural equality of JSON values; the order of an object's keys does not matter. */
export function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left) && Array.isArray(right))
    return left.length === right.length && left.every((value, index) => deepEqual(value, right[index]));
  if (isRecord(left) && isRecord(right)) {
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length && keys.every((key) => key in right && deepEqual(left[key], right[key]))
    );
  }
  return false;
}

/** A deep copy, so that what the store keeps and what callers change never alias. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** An object's metadata, created empty when missing (writes fill it in place). */
export function metadataOf(object: KubeObject): KubeObject {
  if (!isRecord(object.metadata)) object.metadata = {};
  return object.metadata as KubeObject;
}

/** The records of a list field; anything else reads as an empty list. */
export function asList(value: unknown): KubeObject[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Where an object is kept: `namespace/name`, or `/name` for a cluster-scoped object. */
export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

/** The object as the API answers it: `apiVersion` and `kind` first. */
export function withTypeMeta(resourceType: ResourceType, object: KubeObject): KubeObject {
  return { apiVersion: groupVersion(resourceType), kind: resourceType.kind, ...object };
}

/** True when one of the object's ownerReferences points at the owner with that uid. */
export function isOwnedBy(object: KubeObject, ownerUid: unknown): boolean {
  const owners = metadataOf(object).ownerReferences;
  return Array.isArray(owners) && owners.some((owner) => isRecord(owner) && owner.uid === ownerUid);
}

/** The external IPs a Service's status holds (a LoadBalancer's ingress). */
export function loadBalancerIPs(service: KubeObject): string[] {
  const status = isRecord(service.status) ? service.status : {};
  const loadBalancer = isRecord(status.loadBalancer) ? status.loadBalancer : {};
  return asList(loadBalancer.ingress).map((entry) => String(entry.ip));
}

/** A short, stable hash of a value: a pod template's revision, a node pool's name suffix. */
export function shortHash(value: unknown, length = 10): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, length);
}
