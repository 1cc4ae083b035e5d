/** The key Job and its RBAC (pure): what makes a key in the cluster, and who may touch Secrets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  clusterConfigurationManifests,
  identityConfigMapName,
  keyJob,
  KEYGEN_SERVICE_ACCOUNT,
  type KubernetesManifest,
} from "../../lib/domain/manifests.js";
import { planRegion } from "../../lib/domain/plan.js";
import { validSpec } from "./helpers.js";

const spec = validSpec({
  network: { name: "chain138", besuImage: "hyperledger/besu:24.10.0" },
  regions: [
    { name: "uksouth", validators: 2, sentries: 1 },
    { name: "ukwest", validators: 2, sentries: 0 },
  ],
});
const plan = planRegion(spec, "uksouth");
const cluster = plan.clusters[0];
assert.ok(cluster);
const validator = cluster.nodes[0];
assert.ok(validator);
const configuration = clusterConfigurationManifests(plan, cluster, spec.cluster);

const ruleSchema = z.object({
  apiGroups: z.array(z.string()),
  resources: z.array(z.string()),
  verbs: z.array(z.string()),
  resourceNames: z.array(z.string()).optional(),
});
const roleSchema = z.object({ metadata: z.object({ name: z.string() }), rules: z.array(ruleSchema) });
const containerSchema = z.object({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
});
const jobSchema = z.object({
  spec: z.object({
    template: z.object({
      metadata: z.object({ labels: z.record(z.string(), z.string()) }),
      spec: z.object({
        restartPolicy: z.string(),
        serviceAccountName: z.string(),
        volumes: z.array(z.object({ name: z.string() }).loose()),
        initContainers: z.array(containerSchema),
        containers: z.array(containerSchema),
      }),
    }),
  }),
});
const serviceSelectorSchema = z.object({ spec: z.object({ selector: z.record(z.string(), z.string()) }) });
const budgetSelectorSchema = z.object({
  spec: z.object({ selector: z.object({ matchLabels: z.record(z.string(), z.string()) }) }),
});

const roles = (manifests: KubernetesManifest[]) =>
  manifests.filter((manifest) => manifest.kind === "Role").map((manifest) => roleSchema.parse(manifest));
const job = jobSchema.parse(keyJob(plan, cluster, validator, spec.network.besuImage));

describe("keys born in the cluster: the key Job and its RBAC", () => {
  it("lets no role read Secrets but the nodes' own, by name; the key Jobs may only create", () => {
    for (const role of roles(configuration))
      for (const rule of role.rules.filter((candidate) => candidate.resources.includes("secrets"))) {
        const reads = rule.verbs.filter((verb) => ["get", "list", "watch", "*"].includes(verb));
        if (role.metadata.name === KEYGEN_SERVICE_ACCOUNT) assert.deepEqual(rule.verbs, ["create"]);
        else {
          assert.deepEqual(reads, ["get"], `${role.metadata.name} reads Secrets only with get`);
          assert.deepEqual(
            rule.resourceNames,
            cluster.nodes.map((node) => node.keySecretName),
            `${role.metadata.name} reads only the node-key Secrets`,
          );
        }
      }
    assert.ok(roles(configuration).some((role) => role.metadata.name === KEYGEN_SERVICE_ACCOUNT));
  });

  it("runs Besu's public-key export with the network's image, once, as the keygen account", () => {
    const pod = job.spec.template.spec;
    assert.equal(pod.restartPolicy, "Never");
    assert.equal(pod.serviceAccountName, KEYGEN_SERVICE_ACCOUNT);
    const besu = pod.initContainers.find((container) => container.image === spec.network.besuImage);
    assert.deepEqual(besu?.args, ["--data-path=/work", "public-key", "export", "--to=/work/key.pub"]);
    const script = pod.containers[0]?.command?.at(-1) ?? "";
    assert.match(
      script,
      new RegExp(`if \\[ ! -f /existing/nodekey \\]; then kubectl create secret generic ${validator.keySecretName} `),
      "a Secret is created only when none exists",
    );
    assert.match(script, new RegExp(`kubectl create configmap ${identityConfigMapName(validator)} `));
    assert.ok(!/kubectl (apply|replace|patch)/.test(script), "never replaces a Secret");
  });

  it("gives the Job's pod labels no Service or disruption budget of the nodes selects", () => {
    const labels = job.spec.template.metadata.labels;
    for (const manifest of configuration.filter((candidate) =>
      ["Service", "PodDisruptionBudget"].includes(candidate.kind),
    )) {
      const matchLabels =
        manifest.kind === "Service"
          ? serviceSelectorSchema.parse(manifest).spec.selector
          : budgetSelectorSchema.parse(manifest).spec.selector.matchLabels;
      const selects = Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
      assert.ok(!selects, `${manifest.kind}/${manifest.metadata.name} would select the key Job's pod`);
    }
  });
});
