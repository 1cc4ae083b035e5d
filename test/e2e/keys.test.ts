/**
 * Keys end to end on the full local stack: node keys are born in their clusters and the control
 * plane never asks for a Secret (the simulator's audit log of Secret requests); and a region
 * restored with an old copy of a key that is live elsewhere is refused before its validator
 * starts, so the network never runs two copies (the simulator's equivocation report).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { z } from "zod";
import { waitFor } from "@besu-fleet/local-support";
import { smallSpec, startE2eStack, type E2eStack } from "./stack.js";

const NETWORK = "e2e-keys";
const NAMESPACE = `besu-${NETWORK}`;
/** Regions no other end-to-end scenario uses twice (the simulated quota is 10 vCPUs per region). */
const REGIONS = ["ukwest", "germanywestcentral", "norwayeast", "japanwest"] as const;
const RESTORED = "japanwest";

let stack: E2eStack;

before(async () => {
  stack = await startE2eStack();
});

after(async () => {
  await stack?.close();
});

const auditSchema = z.object({
  entries: z.array(z.object({ cluster: z.string(), user: z.string(), verb: z.string(), allowed: z.boolean() }).loose()),
});
const networksSchema = z.array(
  z.object({ equivocation: z.array(z.object({ address: z.string(), nodes: z.array(z.string()) })) }).loose(),
);
const nodesSchema = z.array(z.object({ region: z.string(), up: z.boolean(), address: z.string() }).loose());
const secretsSchema = z.object({
  items: z.array(
    z.object({ metadata: z.object({ name: z.string() }), data: z.record(z.string(), z.string()) }).loose(),
  ),
});

const clusterOf = (region: string) => ({
  resourceGroup: `rg-${NETWORK}-${region}`,
  cluster: `aks-${NETWORK}-${region}`,
});

async function equivocations(): Promise<unknown[]> {
  const response = await stack.control("GET", "besu/networks");
  return networksSchema.parse(response.body).flatMap((network) => network.equivocation);
}

async function validatorKeyOf(region: string): Promise<string> {
  const { resourceGroup, cluster } = clusterOf(region);
  const response = await stack.control(
    "GET",
    `clusters/${resourceGroup}/${cluster}/objects/secrets?namespace=${NAMESPACE}`,
  );
  const secret = secretsSchema.parse(response.body).items.find((item) => item.metadata.name === "besu-validator-1-key");
  assert.ok(secret?.data.nodekey, `${region} has its validator key Secret`);
  return Buffer.from(secret.data.nodekey, "base64").toString("utf8");
}

async function drift(region: string, apiVersion: string, kind: string, name: string): Promise<void> {
  const response = await stack.control("POST", "drift", {
    type: "deleteObject",
    ...clusterOf(region),
    apiVersion,
    kind,
    namespace: NAMESPACE,
    name,
  });
  assert.equal(response.status, 200, response.text);
}

test("keys are born in their clusters: one key Job create per node, no Secret request by the control plane", async () => {
  const final = await stack.rollout(smallSpec(NETWORK, REGIONS));
  assert.equal(final.state, "Succeeded", stack.summary(final));
  const audit = auditSchema.parse((await stack.control("GET", "kube/secret-access")).body);
  const ours = audit.entries.filter((entry) => entry.cluster.includes(`/rg-${NETWORK}-`));
  assert.deepEqual(
    ours.filter((entry) => entry.user === "clusterUser"),
    [],
    "the control plane's identity never asked for a Secret",
  );
  const creates = ours.filter((entry) => entry.verb === "create" && entry.allowed);
  assert.equal(creates.length, REGIONS.length + 1, "one key per validator and the sentry");
  assert.ok(creates.every((entry) => entry.user === `system:serviceaccount:${NAMESPACE}:besu-keygen`));
  assert.deepEqual(await equivocations(), []);
});

test("a region restored with an old copy of a key that is live elsewhere is refused; no second copy ever runs", async () => {
  // The restore: Japan West's validator is gone, and its Secret comes back holding UK West's key.
  const liveKey = await validatorKeyOf("ukwest");
  await drift(RESTORED, "apps/v1", "StatefulSet", "besu-validator-1");
  await drift(RESTORED, "v1", "ConfigMap", "besu-validator-1-identity");
  await drift(RESTORED, "batch/v1", "Job", "besu-validator-1-keygen");
  const replaced = await stack.control("POST", "besu/actions", {
    type: "replaceObjectKey",
    ...clusterOf(RESTORED),
    namespace: NAMESPACE,
    kind: "Secret",
    name: "besu-validator-1-key",
    key: "nodekey",
    value: liveKey,
    restartPods: false,
  });
  assert.equal(replaced.status, 200, replaced.text);
  await waitFor(
    `${RESTORED}'s validator to stop`,
    async () => {
      const nodes = nodesSchema.parse((await stack.control("GET", "besu/nodes")).body);
      return nodes.some((node) => node.region === RESTORED && node.up) ? undefined : true;
    },
    30_000,
    100,
  );

  const final = await stack.rollout(smallSpec(NETWORK, REGIONS));
  const restored = final.regions.find((region) => region.region === RESTORED);
  assert.equal(restored?.state, "Failed", stack.summary(final));
  assert.equal(restored?.lastError?.step, "key-check", stack.summary(final));
  assert.match(
    restored?.lastError?.cause ?? "",
    /is live at ukwest\/validator-1; starting a second copy would equivocate/,
  );
  assert.ok(
    final.phases.some((phase) => phase.phase === "key-check"),
    "the key check ran for the formed network",
  );

  const nodes = nodesSchema.parse((await stack.control("GET", "besu/nodes")).body);
  assert.deepEqual(
    nodes.filter((node) => node.region === RESTORED && node.up),
    [],
    `${RESTORED}'s validator was not started`,
  );
  assert.deepEqual(await equivocations(), [], "no validator key is live twice");
});
