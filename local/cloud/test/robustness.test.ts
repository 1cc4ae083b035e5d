import assert from "node:assert/strict";
import { Agent } from "node:https";
import { after, before, describe, it } from "node:test";
import { createCluster, createResourceGroup, httpsRequest, startTestCloud, type TestCloud } from "./helpers.js";

const oddBodies: (string | undefined)[] = [
  undefined,
  "",
  "null",
  "[]",
  "42",
  '"text"',
  "{",
  '{"location": 5}',
  '{"metadata": "x"}',
  '{"metadata": {"name": 7}}',
  '{"metadata": {"name": "Bad_Name"}, "spec": null}',
  '{"metadata": {"name": "a"}, "spec": {"replicas": "2", "template": []}}',
  '{"location": "northeurope", "properties": {"agentPoolProfiles": [{"name": "x", "count": -1}]}}',
  '{"location": "northeurope", "properties": {"agentPoolProfiles": "many"}}',
  '[{"op": "add"}]',
];

const methods = ["GET", "PUT", "POST", "PATCH", "DELETE"];

describe("malformed requests never crash the simulator", () => {
  let test: TestCloud;
  let apiServer: string;
  let token: string;
  // Hundreds of requests: reuse TLS connections.
  const agent = new Agent({ keepAlive: true });

  before(async () => {
    test = await startTestCloud();
    await createResourceGroup(test, "rg-fuzz", "northeurope");
    const kubeConfig = await createCluster(test, "rg-fuzz", "aks-fuzz", "northeurope", 1);
    apiServer = kubeConfig.getCurrentCluster()?.server ?? "";
    token = kubeConfig.getCurrentUser()?.token ?? "";
  });

  after(async () => {
    agent.destroy();
    await test.close();
  });

  it("answers ARM requests with ARM errors, never 500", async () => {
    const subscription = `/subscriptions/${test.connection.subscriptionId}`;
    const paths = [
      "/",
      subscription,
      `${subscription}/resourcegroups/rg-fuzz`,
      `${subscription}/resourceGroups/rg-fuzz/providers/Microsoft.ContainerService/managedClusters/aks-fuzz`,
      `${subscription}/resourceGroups/rg-fuzz/providers/Microsoft.ContainerService/managedClusters/aks-fuzz/agentPools/UPPER`,
      `${subscription}/resourceGroups/rg-fuzz/providers/Microsoft.ContainerService/managedClusters/aks-fuzz/listClusterUserCredential`,
      `${subscription}/providers/Microsoft.Compute/locations/nowhere/usages`,
      `${subscription}/providers/Microsoft.ContainerService/locations/northeurope/operations/unknown`,
    ];
    for (const path of paths) {
      for (const method of methods) {
        for (const body of oddBodies) {
          // Keep the group and its cluster for the Kubernetes half.
          if (method === "DELETE" && (path.endsWith("aks-fuzz") || path.endsWith("rg-fuzz"))) continue;
          const headers: Record<string, string> = {
            Authorization: "Bearer fuzz",
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          };
          const response = await httpsRequest(`${test.connection.armEndpoint}${path}?api-version=2025-01-01`, test.ca, {
            method,
            agent,
            ...(body === undefined ? {} : { body }),
            headers,
          });
          assert.ok(response.status < 500, `${method} ${path} ${String(body)} → ${response.status} ${response.text}`);
          if (response.status >= 400)
            assert.equal(
              typeof (response.body as { error?: { code?: unknown } } | undefined)?.error?.code,
              "string",
              `${method} ${path} ${String(body)} → ${response.status}: ARM error shape`,
            );
        }
      }
    }
  });

  it("answers Kubernetes requests with Status errors, never 500", async () => {
    const paths = [
      "/api/v1/namespaces/default/configmaps",
      "/api/v1/namespaces/default/configmaps/fuzz",
      "/api/v1/namespaces/default/configmaps/fuzz/status",
      "/apis/apps/v1/namespaces/default/deployments",
      "/apis/apps/v1/namespaces/default/statefulsets/fuzz",
      "/api/v1/namespaces/default/services",
      "/api/v1/namespaces/default/services/fuzz:80/proxy/x",
      "/api/v1/namespaces/default/pods",
      "/api/v1/namespaces/nowhere/secrets",
      "/api/v1/nodes/none",
      "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    ];
    const contentTypes = [
      "application/json",
      "application/merge-patch+json",
      "application/json-patch+json",
      "application/apply-patch+yaml",
      "text/plain",
    ];
    for (const path of paths) {
      for (const method of methods) {
        for (const body of oddBodies) {
          const contentType =
            contentTypes[(path.length + (body?.length ?? 0)) % contentTypes.length] ?? "application/json";
          const response = await httpsRequest(`${apiServer}${path}?fieldManager=fuzz`, test.ca, {
            method,
            agent,
            ...(body === undefined ? {} : { body }),
            headers: { Authorization: `Bearer ${token}`, "Content-Type": contentType },
          });
          assert.ok(
            response.status < 500 || response.status === 503,
            `${method} ${path} ${contentType} ${String(body)} → ${response.status} ${response.text}`,
          );
          if (response.status >= 400)
            assert.equal(
              (response.body as { kind?: string } | undefined)?.kind,
              "Status",
              `${method} ${path} ${String(body)} → ${response.status}: Status body`,
            );
        }
      }
    }
    const still = await httpsRequest(`${apiServer}/api/v1/namespaces`, test.ca, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(still.status, 200);
  });
});
