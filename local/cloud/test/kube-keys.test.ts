/**
 * Keys born in a cluster, through the real @kubernetes/client-node: a Job whose init container
 * runs Besu's `public-key export` (generating the key in an emptyDir) and whose kubectl container
 * stores the key in a Secret and the public key in a ConfigMap with the pod's service account —
 * and RBAC on Secrets: the user credential is refused a read and the audit log shows who asked.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { KubeConfig, V1Job } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import { nodeIdentityFromPrivateKey } from "@besu-fleet/qbft";
import { createBesuPlugin } from "../src/besu/plugin.js";
import {
  clusterKubeConfig,
  control,
  createCluster,
  createResourceGroup,
  eventually,
  grantServiceAccount,
  loadKubeClient,
  startTestCloud,
  type TestCloud,
} from "./helpers.js";

type KubeClient = Awaited<ReturnType<typeof loadKubeClient>>;

const NAMESPACE = "keys";
const SCRIPT_PUBLISH = [
  "set -e",
  'if [ ! -f /existing/nodekey ]; then kubectl create secret generic "$KEY_SECRET" --from-file=nodekey=/work/key; fi',
  'kubectl create configmap "$IDENTITY" --from-file=publicKey=/work/key.pub',
].join("\n");

/** A key Job in the shape the product applies: copy an existing key, let Besu make or read it, publish. */
function keyJob(name: string, secret: string, serviceAccount: string): V1Job {
  return {
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: "Never",
          serviceAccountName: serviceAccount,
          volumes: [
            { name: "work", emptyDir: {} },
            { name: "existing", secret: { secretName: secret, optional: true } },
          ],
          initContainers: [
            {
              name: "existing-key",
              image: "bitnami/kubectl:1.32",
              command: ["/bin/sh", "-c", "if [ -f /existing/nodekey ]; then cp /existing/nodekey /work/key; fi"],
              volumeMounts: [
                { name: "work", mountPath: "/work" },
                { name: "existing", mountPath: "/existing", readOnly: true },
              ],
            },
            {
              name: "besu",
              image: "hyperledger/besu:24.10.0",
              args: ["--data-path=/work", "public-key", "export", "--to=/work/key.pub"],
              volumeMounts: [{ name: "work", mountPath: "/work" }],
            },
          ],
          containers: [
            {
              name: "publish",
              image: "bitnami/kubectl:1.32",
              command: ["/bin/sh", "-c", SCRIPT_PUBLISH],
              env: [
                { name: "KEY_SECRET", value: secret },
                { name: "IDENTITY", value: `${name}-identity` },
              ],
              volumeMounts: [
                { name: "work", mountPath: "/work" },
                { name: "existing", mountPath: "/existing", readOnly: true },
              ],
            },
          ],
        },
      },
    },
  };
}

interface AuditEntry {
  user: string;
  verb: string;
  namespace: string;
  name: string | null;
  allowed: boolean;
}

describe("keys born in a cluster", () => {
  let test: TestCloud;
  let k8s: KubeClient;
  let user: KubeConfig;
  let admin: KubeConfig;

  const jobCondition = async (name: string): Promise<string | undefined> => {
    const job = await user.makeApiClient(k8s.BatchV1Api).readNamespacedJob({ namespace: NAMESPACE, name });
    return job.status?.conditions?.find(
      (condition) => (condition.type === "Complete" || condition.type === "Failed") && condition.status === "True",
    )?.type;
  };
  const secretKey = async (name: string): Promise<string | undefined> => {
    const secret = await admin.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace: NAMESPACE, name });
    const value = secret.data?.nodekey;
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
  };
  const publicKeyOf = async (job: string): Promise<string | undefined> =>
    (await user.makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ namespace: NAMESPACE, name: `${job}-identity` }))
      .data?.publicKey;

  before(async () => {
    k8s = await loadKubeClient();
    test = await startTestCloud({ plugins: [createBesuPlugin({ mainnet: false })] });
    await createResourceGroup(test, "rg-keys", "northeurope");
    user = await createCluster(test, "rg-keys", "aks-keys", "northeurope", 1);
    admin = await clusterKubeConfig(test, "rg-keys", "aks-keys", "admin");
    const core = user.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    for (const account of ["keygen", "nobody"])
      await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: account } } });
    await grantServiceAccount(user, NAMESPACE, "keygen", [
      { apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["create"] },
    ]);
  });

  after(async () => {
    await test.close();
  });

  it("generates a key with Besu, stores it in a Secret and publishes only its public key", async () => {
    const batch = user.makeApiClient(k8s.BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: keyJob("node-a", "node-a-key", "keygen") });
    assert.equal(await eventually("the key Job completes", async () => jobCondition("node-a")), "Complete");
    const key = await secretKey("node-a-key");
    assert.ok(key !== undefined);
    assert.equal(await publicKeyOf("node-a"), nodeIdentityFromPrivateKey(key).publicKey);
  });

  it("publishes the key a Secret already holds and never replaces it", async () => {
    const batch = user.makeApiClient(k8s.BatchV1Api);
    const before = await secretKey("node-a-key");
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: keyJob("node-a-again", "node-a-key", "keygen") });
    assert.equal(
      await eventually("the second key Job completes", async () => jobCondition("node-a-again")),
      "Complete",
    );
    assert.equal(await secretKey("node-a-key"), before);
    assert.equal(await publicKeyOf("node-a-again"), await publicKeyOf("node-a"));
  });

  it("refuses Secrets to callers RBAC does not allow, and records every Secret request", async () => {
    const core = user.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(core.readNamespacedSecret({ namespace: NAMESPACE, name: "node-a-key" }), (error: unknown) => {
      assert.equal((error as { code?: number }).code, 403);
      return true;
    });
    await assert.rejects(core.listNamespacedSecret({ namespace: NAMESPACE }), (error: unknown) => {
      assert.equal((error as { code?: number }).code, 403);
      return true;
    });
    const batch = user.makeApiClient(k8s.BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: keyJob("node-b", "node-b-key", "nobody") });
    assert.equal(await eventually("the unauthorized Job fails", async () => jobCondition("node-b")), "Failed");

    const audit = (await control(test, "GET", "kube/secret-access")).body as { entries: AuditEntry[] };
    const entries = audit.entries.filter((entry) => entry.namespace === NAMESPACE);
    const of = (who: string, verb: string) => entries.filter((entry) => entry.user === who && entry.verb === verb);
    assert.deepEqual(
      of("clusterUser", "get").map((entry) => [entry.name, entry.allowed]),
      [["node-a-key", false]],
    );
    assert.deepEqual(
      of("clusterUser", "list").map((entry) => entry.allowed),
      [false],
    );
    assert.deepEqual(
      of(`system:serviceaccount:${NAMESPACE}:keygen`, "create").map((entry) => entry.allowed),
      [true],
    );
    assert.deepEqual(
      of(`system:serviceaccount:${NAMESPACE}:nobody`, "create").map((entry) => entry.allowed),
      [false],
    );
  });
});
