/**
 * One simulated AKS cluster as the rest of the simulator sees it: a thin facade that builds the
 * cluster's parts, wires them together and forwards to them. The parts: the object store
 * (store.ts) with its watches (watch.ts), the API verbs (reads.ts, writes.ts, with
 * server-fields.ts), the kubelets (kubelets.ts, pods.ts), the network inside the cluster
 * (network.ts), and the controllers (controllers/: service accounts, Deployments, StatefulSets, Jobs,
 * Services and Endpoints, nodes and scheduling, garbage collection).
 */
import type { ClusterInfo, NodePoolShape } from "../cluster-host.js";
import { AddressPool } from "./addresses.js";
import { findByPlural, type ResourceType } from "./catalog.js";
import type { InClusterApi, PodEndpoint } from "./container-runtime.js";
import { collectGarbage } from "./controllers/garbage-collector.js";
import { reconcileDeployment } from "./controllers/deployments.js";
import { NodeController } from "./controllers/nodes.js";
import { Reconciler } from "./controllers/reconciler.js";
import { reconcileServiceAccounts } from "./controllers/service-accounts.js";
import { ServiceController } from "./controllers/services.js";
import { reconcileJob } from "./controllers/jobs.js";
import { reconcileStatefulSet } from "./controllers/statefulsets.js";
import type { WorkloadControl } from "./controllers/workloads.js";
import type { ClusterHost } from "./host.js";
import { initialObjects } from "./initial-objects.js";
import { Kubelets, type PodWithLifecycle } from "./kubelets.js";
import { ClusterNetwork } from "./network.js";
import type { PodSource, TrafficSource } from "./network-policies.js";
import { asList, clone, metadataOf, type KubeObject } from "./objects.js";
import type { PodRun } from "./pods.js";
import { KubeError, notFound } from "./errors.js";
import {
  forbidden,
  isServiceAccount,
  rbacAllows,
  serviceAccountUser,
  type RequestAttributes,
  type UserInfo,
} from "./rbac.js";
import { ObjectReads } from "./reads.js";
import { ServiceAccountTokens } from "./service-account-tokens.js";
import { fillServerFields } from "./server-fields.js";
import { ObjectStore, type ChangeType } from "./store.js";
import { WatchHub, type WatchEvent } from "./watch.js";
import { ObjectWrites, type WriteOptions } from "./writes.js";

export class KubeCluster {
  private readonly store = new ObjectStore((plural, type, object) => this.changed(plural, type, object));
  private readonly watches = new WatchHub();
  private readonly reads = new ObjectReads(this.store, this.watches);
  private readonly serviceIPs = new AddressPool(10 << 24, 11);
  private readonly tokens = new ServiceAccountTokens();
  private readonly writes: ObjectWrites;
  private readonly kubelets: Kubelets;
  private readonly network: ClusterNetwork;
  private readonly nodes: NodeController;
  private readonly services: ServiceController;
  private readonly workloads: WorkloadControl;
  private readonly reconciler: Reconciler;

  constructor(
    readonly info: ClusterInfo,
    private readonly host: ClusterHost,
  ) {
    this.kubelets = new Kubelets(info, host, this.store, (namespace, serviceAccount) =>
      this.inClusterApi(namespace, serviceAccount),
    );
    this.writes = new ObjectWrites(this.store, {
      fillServerFields: (plural, object, before) =>
        fillServerFields(plural, object, before, {
          clusterIP: () => this.serviceIPs.take(),
          node: () => this.nodes.pickNode(),
        }),
      podCreated: (pod) => this.kubelets.start(pod),
    });
    this.network = new ClusterNetwork(info, this.store, this.kubelets);
    this.nodes = new NodeController(info, this.store, this.writes, this.kubelets);
    this.services = new ServiceController(info, host, this.store, this.writes, this.network);
    this.workloads = {
      store: this.store,
      writes: this.writes,
      kubelets: this.kubelets,
      log: (line) => host.log(`${info.key}: ${line}`),
    };
    this.reconciler = new Reconciler(host.clock, () => this.reconcile());
    for (const [plural, object] of initialObjects()) this.writes.systemCreate(plural, object);
  }

  // ---- the API ---------------------------------------------------------------------------------

  /**
   * RBAC (kube/rbac.ts) for every request of a service account token and for Secret requests of
   * anyone (each recorded in the audit log); throws 403 Forbidden for one RBAC denies. The
   * kubeconfig users' other requests pass (see rbac.ts).
   */
  authorize(user: UserInfo, request: RequestAttributes): void {
    const secret = request.group === "" && request.resource === "secrets";
    if (!secret && !isServiceAccount(user)) return;
    const allowed = rbacAllows(this.store, user, request);
    if (secret)
      this.host.auditSecretAccess({
        time: new Date().toISOString(),
        cluster: this.info.key,
        region: this.info.region,
        user: user.username,
        verb: request.verb,
        namespace: request.namespace ?? "",
        name: request.name ?? null,
        allowed,
      });
    if (!allowed) throw forbidden(user, request);
  }

  /** Whom a service account token this cluster issued authenticates, if anyone. */
  authenticate(token: string): UserInfo | undefined {
    return this.tokens.authenticate(token, (namespace, name) => this.store.stored("serviceaccounts", namespace, name));
  }

  /** A TokenRequest for a service account (`…/serviceaccounts/{name}/token`). */
  requestToken(namespace: string, name: string, request: unknown): KubeObject {
    const account = this.store.stored("serviceaccounts", namespace, name);
    if (account === undefined) throw notFound("serviceaccounts", name, "", "serviceaccounts");
    return this.tokens.issue(account, request);
  }

  /** A copy of a stored object. */
  read(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.read(plural, namespace, name);
  }

  get(resourceType: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return this.reads.get(resourceType, namespace, name);
  }

  list(
    resourceType: ResourceType,
    namespace: string | undefined,
    labelSelector: string | null,
    fieldSelector: string | null,
  ): KubeObject {
    return this.reads.list(resourceType, namespace, labelSelector, fieldSelector);
  }

  watch(
    resourceType: ResourceType,
    namespace: string | undefined,
    labelSelector: string | null,
    fieldSelector: string | null,
    resourceVersion: string | null,
    send: (event: WatchEvent) => void,
  ): () => void {
    return this.reads.watch(resourceType, namespace, labelSelector, fieldSelector, resourceVersion, send);
  }

  create(resourceType: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions): KubeObject {
    return this.writes.create(resourceType, namespace, body, options);
  }

  replace(
    resourceType: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
    subresource?: "status",
  ): KubeObject {
    return this.writes.replace(resourceType, namespace, name, body, options, subresource);
  }

  patch(
    resourceType: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patchBody: unknown,
    options: WriteOptions & { force?: boolean },
    subresource?: "status",
  ): { object: KubeObject; created: boolean } {
    return this.writes.patch(resourceType, namespace, name, contentType, patchBody, options, subresource);
  }

  delete(resourceType: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return this.writes.delete(resourceType, namespace, name);
  }

  /**
   * `deletecollection`: deletes every object a list with the same selectors returns and answers
   * that list. Namespaces do not serve it, and a namespaced type only within one namespace (405).
   */
  deleteCollection(
    resourceType: ResourceType,
    namespace: string | undefined,
    labelSelector: string | null,
    fieldSelector: string | null,
  ): KubeObject {
    if (resourceType.plural === "namespaces" || (resourceType.namespaced && namespace === undefined))
      throw new KubeError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    const deleted = this.reads.list(resourceType, namespace, labelSelector, fieldSelector);
    for (const item of asList(deleted.items)) {
      const metadata = metadataOf(item);
      this.writes.delete(resourceType, metadata.namespace as string | undefined, String(metadata.name));
    }
    return deleted;
  }

  /** A deletion behind the API's back (drift); false when there is no such object. */
  systemDelete(plural: string, namespace: string | undefined, name: string): boolean {
    return this.store.remove(plural, namespace, name) !== undefined;
  }

  /** The API as a pod's service account sees it: RBAC applies, and failures come back as Status answers. */
  private inClusterApi(namespace: string, serviceAccount: string): InClusterApi {
    const user = serviceAccountUser(namespace, serviceAccount);
    return {
      namespace,
      create: (plural, objectNamespace, body) => {
        const resourceType = findByPlural("", "v1", plural);
        try {
          if (resourceType === undefined)
            throw new KubeError(404, "NotFound", "the server could not find the requested resource");
          this.authorize(user, {
            verb: "create",
            group: "",
            resource: plural,
            namespace: objectNamespace,
            name: undefined,
          });
          return {
            status: 201,
            body: this.writes.create(resourceType, objectNamespace, body, {
              fieldManager: "kubectl-create",
              dryRun: false,
            }),
          };
        } catch (error) {
          if (error instanceof KubeError) return { status: error.code, body: error.status() };
          throw error;
        }
      },
    };
  }

  // ---- nodes, pods and the network ---------------------------------------------------------------

  setNodePools(pools: NodePoolShape[]): void {
    this.nodes.setNodePools(pools);
  }

  podLifecycle(namespace: string, name: string): PodRun | undefined {
    return this.kubelets.lifecycle(namespace, name);
  }

  /** Pods (copies of the stored objects) with their lifecycle. */
  allPods(): PodWithLifecycle[] {
    return this.kubelets.storedPods().map(({ pod, lifecycle }) => ({ pod: clone(pod), lifecycle }));
  }

  killPod(namespace: string, name: string): boolean {
    return this.kubelets.kill(namespace, name);
  }

  serviceEndpoints(service: KubeObject, servicePort: number): PodEndpoint[] {
    return this.network.serviceEndpoints(service, servicePort);
  }

  resolveLocal(from: PodSource, host: string, port: number): PodEndpoint[] | undefined {
    return this.network.resolveLocal(from, host, port);
  }

  /** Whether the NetworkPolicies let a TCP connection from `source` into a pod's port (an unknown pod takes none). */
  admitsConnection(namespace: string, podName: string, port: number, source: TrafficSource): boolean {
    const pod = this.store.stored("pods", namespace, podName);
    return pod !== undefined && this.network.admits(pod, { port, protocol: "TCP" }, source);
  }

  serviceByExternalIP(ip: string): KubeObject | undefined {
    return this.network.serviceByExternalIP(ip);
  }

  close(): void {
    this.reconciler.close();
    this.watches.close();
    this.services.close();
    this.kubelets.close();
  }

  // ---- wiring ------------------------------------------------------------------------------------

  /** Every stored change: watches hear of it, a removal cascades, the controllers run soon. */
  private changed(plural: string, type: ChangeType, object: KubeObject): void {
    this.watches.publish(plural, type, object);
    if (type === "DELETED") this.cascade(plural, object);
    this.reconciler.queue();
  }

  /** What goes with a removed object: a pod's containers, a Service's IP and Endpoints, a namespace's contents, an owner's dependents. */
  private cascade(plural: string, object: KubeObject): void {
    const metadata = metadataOf(object);
    if (plural === "pods") this.kubelets.stop(metadata.namespace as string, String(metadata.name));
    if (plural === "services") this.services.forget(object);
    collectGarbage(this.store, plural, object);
  }

  /** One pass of the controllers: service accounts, then the workloads (which make pods), then the Services (whose Endpoints follow those pods). */
  private reconcile(): void {
    reconcileServiceAccounts(this.store, this.writes);
    for (const deployment of this.store.all("deployments")) reconcileDeployment(this.workloads, deployment);
    for (const statefulSet of this.store.all("statefulsets")) reconcileStatefulSet(this.workloads, statefulSet);
    for (const job of this.store.all("jobs")) reconcileJob(this.workloads, job);
    for (const service of this.store.all("services")) this.services.reconcile(service);
  }
}
