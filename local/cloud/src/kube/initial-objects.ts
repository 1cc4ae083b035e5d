/**
 * What a new AKS cluster holds before anyone writes to it: the system namespaces, the
 * `kubernetes` and `kube-dns` Services, and Azure's disk storage classes.
 */
import type { KubeObject } from "./objects.js";

function storageClass(name: string, sku: string, isDefault: boolean): KubeObject {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name,
      ...(isDefault ? { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } : {}),
    },
    provisioner: "disk.csi.azure.com",
    parameters: { skuname: sku },
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  };
}

/** The objects to create, in order, as `[plural, object]`. */
export function initialObjects(): [string, KubeObject][] {
  return [
    ...["default", "kube-system", "kube-public", "kube-node-lease"].map((name): [string, KubeObject] => [
      "namespaces",
      { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "kubernetes.io/metadata.name": name } } },
    ]),
    [
      "services",
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: "kubernetes",
          namespace: "default",
          labels: { component: "apiserver", provider: "kubernetes" },
        },
        spec: {
          type: "ClusterIP",
          clusterIP: "10.0.0.1",
          ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 443 }],
        },
      },
    ],
    [
      "services",
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "kube-dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
        spec: {
          type: "ClusterIP",
          clusterIP: "10.0.0.10",
          ports: [{ name: "dns", port: 53, protocol: "UDP", targetPort: 53 }],
        },
      },
    ],
    ["storageclasses", storageClass("default", "StandardSSD_LRS", true)],
    ["storageclasses", storageClass("managed-csi", "StandardSSD_LRS", false)],
    ["storageclasses", storageClass("managed-csi-premium", "Premium_LRS", false)],
  ];
}
