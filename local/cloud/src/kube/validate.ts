/**
 * Validation (422 Invalid) and defaulting of the objects the simulated API server stores: the
 * checks a real API server makes that a manifest writer is most likely to trip over, not all of them.
 */
import { isRecord } from "../http.js";
import type { ResourceType } from "./catalog.js";
import { deepEqual, type KubeObject } from "./objects.js";

export interface Cause {
  reason:
    | "FieldValueRequired"
    | "FieldValueInvalid"
    | "FieldValueNotSupported"
    | "FieldValueForbidden"
    | "FieldValueNotFound"
    | "FieldValueDuplicate";
  message: string;
  field: string;
}

const reasonText: Record<Cause["reason"], string> = {
  FieldValueRequired: "Required value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueForbidden: "Forbidden",
  FieldValueNotFound: "Not found",
  FieldValueDuplicate: "Duplicate value",
};

function required(field: string): Cause {
  return { reason: "FieldValueRequired", message: reasonText.FieldValueRequired, field };
}

function invalid(field: string, value: unknown, detail: string): Cause {
  return { reason: "FieldValueInvalid", message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field };
}

function forbidden(field: string, detail: string): Cause {
  return { reason: "FieldValueForbidden", message: `Forbidden: ${detail}`, field };
}

function notSupported(field: string, value: unknown, supported: string[]): Cause {
  return {
    reason: "FieldValueNotSupported",
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((entry) => `"${entry}"`).join(", ")}`,
    field,
  };
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const configKey = /^[-._a-zA-Z0-9]+$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Renders causes as the API server's message: `Kind.group "name" is invalid: field: Reason`. */
export function invalidMessage(resourceType: ResourceType, name: string, causes: Cause[]): string {
  const kind = resourceType.group === "" ? resourceType.kind : `${resourceType.kind}.${resourceType.group}`;
  const rendered = causes.map((cause) => `${cause.field}: ${cause.message}`);
  return `${kind} "${name}" is invalid: ${rendered.length === 1 ? rendered[0] : `[${rendered.join(", ")}]`}`;
}

function validName(resourceType: ResourceType, name: string): string | undefined {
  if (resourceType.group === "rbac.authorization.k8s.io")
    return name.includes("/") || name.includes("%") ? "may not contain '/' or '%'" : undefined;
  if (resourceType.plural === "namespaces")
    return name.length <= 63 && dns1123Label.test(name)
      ? undefined
      : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
  if (resourceType.plural === "services")
    return name.length <= 63 && dns1035Label.test(name)
      ? undefined
      : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
  return name.length <= 253 && dns1123Subdomain.test(name)
    ? undefined
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
}

function validateLabels(labels: unknown, field: string, causes: Cause[]): void {
  if (labels === undefined) return;
  if (!isRecord(labels)) {
    causes.push(invalid(field, labels, "must be a map of strings"));
    return;
  }
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== "string" || value.length > 63 || !labelValue.test(value))
      causes.push(
        invalid(
          `${field}`,
          value,
          `label value of '${key}' must be 63 characters or less, alphanumeric, '-', '_' or '.'`,
        ),
      );
  }
}

function validPort(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** `claimTemplateNames`: a StatefulSet's volumeClaimTemplates, which its containers may mount as volumes. */
function validatePodSpec(
  spec: unknown,
  field: string,
  causes: Cause[],
  claimTemplateNames: readonly unknown[] = [],
): void {
  if (!isRecord(spec)) {
    causes.push(required(field));
    return;
  }
  const volumes = Array.isArray(spec.volumes) ? spec.volumes.filter(isRecord) : [];
  const volumeNames = new Set([...volumes.map((volume) => volume.name), ...claimTemplateNames]);
  volumes.forEach((volume, index) => {
    if (typeof volume.name !== "string" || !dns1123Label.test(volume.name))
      causes.push(required(`${field}.volumes[${index}].name`));
  });
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push(required(`${field}.containers`));
    return;
  }
  const names = new Set<string>();
  containers.forEach((container, index) => {
    const where = `${field}.containers[${index}]`;
    if (!isRecord(container)) {
      causes.push(invalid(where, container, "must be an object"));
      return;
    }
    if (typeof container.name !== "string" || container.name === "") causes.push(required(`${where}.name`));
    else if (!dns1123Label.test(container.name))
      causes.push(invalid(`${where}.name`, container.name, "a lowercase RFC 1123 label is required"));
    else if (names.has(container.name))
      causes.push({
        reason: "FieldValueDuplicate",
        message: `Duplicate value: "${container.name}"`,
        field: `${where}.name`,
      });
    else names.add(container.name);
    if (typeof container.image !== "string" || container.image.trim() === "") causes.push(required(`${where}.image`));
    if (container.ports !== undefined) {
      if (!Array.isArray(container.ports)) causes.push(invalid(`${where}.ports`, container.ports, "must be a list"));
      else
        container.ports.forEach((port, portIndex) => {
          if (!isRecord(port) || !validPort(port.containerPort))
            causes.push(
              invalid(
                `${where}.ports[${portIndex}].containerPort`,
                isRecord(port) ? port.containerPort : port,
                "must be between 1 and 65535, inclusive",
              ),
            );
          else if (port.protocol === undefined) port.protocol = "TCP";
        });
    }
    if (Array.isArray(container.volumeMounts)) {
      container.volumeMounts.forEach((mount, mountIndex) => {
        if (!isRecord(mount) || typeof mount.mountPath !== "string" || mount.mountPath === "")
          causes.push(required(`${where}.volumeMounts[${mountIndex}].mountPath`));
        else if (!volumeNames.has(mount.name))
          causes.push({
            reason: "FieldValueNotFound",
            message: `Not found: ${JSON.stringify(mount.name)}`,
            field: `${where}.volumeMounts[${mountIndex}].name`,
          });
      });
    }
    if (Array.isArray(container.env)) {
      container.env.forEach((variable, envIndex) => {
        if (!isRecord(variable) || typeof variable.name !== "string" || variable.name === "")
          causes.push(required(`${where}.env[${envIndex}].name`));
      });
    }
    if (container.imagePullPolicy === undefined)
      container.imagePullPolicy =
        String(container.image).endsWith(":latest") || !String(container.image).includes(":")
          ? "Always"
          : "IfNotPresent";
    if (container.terminationMessagePath === undefined) container.terminationMessagePath = "/dev/termination-log";
    if (container.terminationMessagePolicy === undefined) container.terminationMessagePolicy = "File";
  });
  if (spec.restartPolicy === undefined) spec.restartPolicy = "Always";
  if (spec.dnsPolicy === undefined) spec.dnsPolicy = "ClusterFirst";
  if (spec.schedulerName === undefined) spec.schedulerName = "default-scheduler";
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  if (spec.securityContext === undefined) spec.securityContext = {};
}

function selectorMatches(selector: KubeObject, labels: unknown): boolean {
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  return isRecord(labels) && Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
}

function validateWorkload(object: KubeObject, existing: KubeObject | undefined, causes: Cause[]): void {
  const spec = isRecord(object.spec) ? object.spec : undefined;
  if (spec === undefined) {
    causes.push(required("spec"));
    return;
  }
  if (spec.replicas === undefined) spec.replicas = 1;
  else if (typeof spec.replicas !== "number" || !Number.isInteger(spec.replicas) || spec.replicas < 0)
    causes.push(invalid("spec.replicas", spec.replicas, "must be greater than or equal to 0"));
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  const template = isRecord(spec.template) ? spec.template : undefined;
  if (!isRecord(spec.selector)) causes.push(required("spec.selector"));
  if (template === undefined) {
    causes.push(required("spec.template"));
    return;
  }
  const templateMetadata = isRecord(template.metadata) ? template.metadata : {};
  validateLabels(templateMetadata.labels, "spec.template.metadata.labels", causes);
  if (isRecord(spec.selector)) {
    const matchLabels = spec.selector.matchLabels;
    if (!isRecord(matchLabels) || Object.keys(matchLabels).length === 0) {
      if (!Array.isArray(spec.selector.matchExpressions))
        causes.push(invalid("spec.selector", spec.selector, "empty selector is invalid for deployment"));
    } else if (!selectorMatches(spec.selector, templateMetadata.labels)) {
      causes.push(
        invalid(
          "spec.template.metadata.labels",
          templateMetadata.labels ?? {},
          "`selector` does not match template `labels`",
        ),
      );
    }
    const existingSpec = isRecord(existing?.spec) ? existing.spec : undefined;
    if (existingSpec !== undefined && !deepEqual(existingSpec.selector, spec.selector))
      causes.push(invalid("spec.selector", spec.selector, "field is immutable"));
  }
  const claimTemplates =
    object.kind === "StatefulSet" && Array.isArray(spec.volumeClaimTemplates)
      ? spec.volumeClaimTemplates.filter(isRecord)
      : [];
  validatePodSpec(
    template.spec,
    "spec.template.spec",
    causes,
    claimTemplates.map((claim) => (isRecord(claim.metadata) ? claim.metadata.name : undefined)),
  );
}

/** A Job: a pod template that runs to completion, immutable once the Job exists. */
function validateJob(object: KubeObject, existing: KubeObject | undefined, causes: Cause[]): void {
  const spec = isRecord(object.spec) ? object.spec : undefined;
  const template = isRecord(spec?.template) ? spec.template : undefined;
  if (spec === undefined || template === undefined) {
    causes.push(required("spec.template"));
    return;
  }
  validatePodSpec(template.spec, "spec.template.spec", causes);
  const restartPolicy = isRecord(template.spec) ? template.spec.restartPolicy : undefined;
  if (restartPolicy !== "Never" && restartPolicy !== "OnFailure")
    causes.push(notSupported("spec.template.spec.restartPolicy", restartPolicy, ["OnFailure", "Never"]));
  if (spec.backoffLimit === undefined) spec.backoffLimit = 6;
  if (spec.completions === undefined) spec.completions = 1;
  if (spec.parallelism === undefined) spec.parallelism = 1;
  const existingSpec = isRecord(existing?.spec) ? existing.spec : undefined;
  if (existingSpec !== undefined && !deepEqual(existingSpec.template, spec.template))
    causes.push(invalid("spec.template", "<template>", "field is immutable"));
}

function validateService(object: KubeObject, existing: KubeObject | undefined, causes: Cause[]): void {
  const spec = isRecord(object.spec) ? object.spec : {};
  object.spec = spec;
  const types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
  if (spec.type === undefined) spec.type = "ClusterIP";
  if (typeof spec.type !== "string" || !types.includes(spec.type))
    causes.push(notSupported("spec.type", spec.type, types));
  if (spec.sessionAffinity === undefined) spec.sessionAffinity = "None";
  const existingSpec = isRecord(existing?.spec) ? existing.spec : undefined;
  if (spec.clusterIP === undefined && typeof existingSpec?.clusterIP === "string")
    spec.clusterIP = existingSpec.clusterIP;
  if (
    existingSpec !== undefined &&
    typeof existingSpec.clusterIP === "string" &&
    spec.clusterIP !== existingSpec.clusterIP
  )
    causes.push(invalid("spec.clusterIP", spec.clusterIP, "field is immutable"));
  if (spec.type === "ExternalName") return;
  const ports = spec.ports;
  if (!Array.isArray(ports) || ports.length === 0) {
    if (spec.clusterIP !== "None") causes.push(required("spec.ports"));
    return;
  }
  const names = new Set<string>();
  ports.forEach((port, index) => {
    const where = `spec.ports[${index}]`;
    if (!isRecord(port)) {
      causes.push(invalid(where, port, "must be an object"));
      return;
    }
    if (!validPort(port.port))
      causes.push(invalid(`${where}.port`, port.port, "must be between 1 and 65535, inclusive"));
    if (ports.length > 1 && (typeof port.name !== "string" || port.name === "")) causes.push(required(`${where}.name`));
    if (typeof port.name === "string") {
      if (names.has(port.name))
        causes.push({
          reason: "FieldValueDuplicate",
          message: `Duplicate value: "${port.name}"`,
          field: `${where}.name`,
        });
      names.add(port.name);
    }
    if (port.protocol === undefined) port.protocol = "TCP";
    if (!["TCP", "UDP", "SCTP"].includes(String(port.protocol)))
      causes.push(notSupported(`${where}.protocol`, port.protocol, ["SCTP", "TCP", "UDP"]));
    if (port.targetPort === undefined) port.targetPort = port.port;
    if (typeof port.targetPort === "number" && !validPort(port.targetPort))
      causes.push(invalid(`${where}.targetPort`, port.targetPort, "must be between 1 and 65535, inclusive"));
  });
}

/**
 * A Secret's `stringData` folded into base64 `data`, as the API server does on every write (it
 * never stores stringData). Returns false when stringData is not a map.
 */
export function foldStringData(secret: KubeObject): boolean {
  if (secret.stringData === undefined) return true;
  if (!isRecord(secret.stringData)) return false;
  const data = isRecord(secret.data) ? secret.data : {};
  for (const [key, value] of Object.entries(secret.stringData))
    data[key] = Buffer.from(String(value)).toString("base64");
  secret.data = data;
  delete secret.stringData;
  return true;
}

function validateConfigData(object: KubeObject, causes: Cause[], secret: boolean): void {
  if (secret && !foldStringData(object)) {
    causes.push(invalid("stringData", "<stringData>", "must be a map of strings"));
    delete object.stringData;
  }
  if (secret && object.type === undefined) object.type = "Opaque";
  for (const section of secret ? ["data"] : ["data", "binaryData"]) {
    const data = object[section];
    if (data === undefined) continue;
    if (!isRecord(data)) {
      causes.push(invalid(section, data, "must be a map"));
      continue;
    }
    for (const [key, value] of Object.entries(data)) {
      if (!configKey.test(key))
        causes.push(
          invalid(
            `${section}[${key}]`,
            key,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
          ),
        );
      if (typeof value !== "string") causes.push(invalid(`${section}[${key}]`, value, "must be a string"));
      else if ((secret || section === "binaryData") && !base64.test(value.replace(/\s/g, "")))
        causes.push(invalid(`${section}[${key}]`, "<value>", "must be base64 encoded"));
    }
  }
}

/**
 * Validates an object about to be stored (after a create, update or patch) and fills in defaults
 * in place. Returns the causes of a 422, empty when valid.
 */
export function validateAndDefault(
  resourceType: ResourceType,
  object: KubeObject,
  existing: KubeObject | undefined,
): Cause[] {
  const causes: Cause[] = [];
  const metadata = isRecord(object.metadata) ? object.metadata : undefined;
  const name = metadata?.name;
  if (typeof name !== "string" || name === "") causes.push(required("metadata.name"));
  else {
    const problem = validName(resourceType, name);
    if (problem !== undefined) causes.push(invalid("metadata.name", name, problem));
  }
  validateLabels(metadata?.labels, "metadata.labels", causes);
  if (
    metadata?.annotations !== undefined &&
    (!isRecord(metadata.annotations) || Object.values(metadata.annotations).some((value) => typeof value !== "string"))
  ) {
    causes.push(invalid("metadata.annotations", "<annotations>", "must be a map of strings"));
  }
  switch (resourceType.plural) {
    case "deployments": {
      validateWorkload(object, existing, causes);
      const spec = isRecord(object.spec) ? object.spec : {};
      if (spec.strategy === undefined)
        spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } };
      if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
      break;
    }
    case "statefulsets": {
      validateWorkload(object, existing, causes);
      const spec = isRecord(object.spec) ? object.spec : {};
      if (spec.podManagementPolicy === undefined) spec.podManagementPolicy = "OrderedReady";
      if (spec.updateStrategy === undefined)
        spec.updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 0 } };
      if (spec.persistentVolumeClaimRetentionPolicy === undefined)
        spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: "Retain", whenScaled: "Retain" };
      const existingSpec = isRecord(existing?.spec) ? existing.spec : undefined;
      if (existingSpec !== undefined) {
        const mutable = new Set([
          "replicas",
          "ordinals",
          "template",
          "updateStrategy",
          "persistentVolumeClaimRetentionPolicy",
          "minReadySeconds",
          "revisionHistoryLimit",
        ]);
        const changed = [...new Set([...Object.keys(spec), ...Object.keys(existingSpec)])].filter(
          (key) => !mutable.has(key) && !deepEqual(spec[key], existingSpec[key]),
        );
        if (changed.length > 0) {
          causes.push(
            forbidden(
              "spec",
              "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            ),
          );
        }
      }
      break;
    }
    case "pods":
      validatePodSpec(object.spec, "spec", causes);
      break;
    case "jobs":
      validateJob(object, existing, causes);
      break;
    case "services":
      validateService(object, existing, causes);
      break;
    case "configmaps":
      validateConfigData(object, causes, false);
      break;
    case "secrets":
      validateConfigData(object, causes, true);
      break;
    case "persistentvolumeclaims": {
      const spec = isRecord(object.spec) ? object.spec : undefined;
      if (spec === undefined) causes.push(required("spec"));
      else {
        if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0)
          causes.push(required("spec.accessModes"));
        const requests =
          isRecord(spec.resources) && isRecord(spec.resources.requests) ? spec.resources.requests : undefined;
        if (requests?.storage === undefined) causes.push(required("spec.resources[storage]"));
        if (spec.storageClassName === undefined) spec.storageClassName = "default";
        if (spec.volumeMode === undefined) spec.volumeMode = "Filesystem";
      }
      break;
    }
    case "poddisruptionbudgets": {
      const spec = isRecord(object.spec) ? object.spec : {};
      if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
        causes.push(
          invalid("spec", "minAvailable and maxUnavailable", "minAvailable and maxUnavailable cannot be both set"),
        );
      break;
    }
    case "networkpolicies": {
      const spec = isRecord(object.spec) ? object.spec : undefined;
      if (spec === undefined || !isRecord(spec.podSelector)) causes.push(required("spec.podSelector"));
      break;
    }
    case "rolebindings":
    case "clusterrolebindings": {
      const roleRef = object.roleRef;
      if (!isRecord(roleRef) || typeof roleRef.name !== "string" || typeof roleRef.kind !== "string")
        causes.push(required("roleRef"));
      else if (existing !== undefined && !deepEqual(existing.roleRef, roleRef))
        causes.push(invalid("roleRef", roleRef, "cannot change roleRef"));
      break;
    }
    case "namespaces": {
      const spec = isRecord(object.spec) ? object.spec : {};
      if (spec.finalizers === undefined) spec.finalizers = ["kubernetes"];
      object.spec = spec;
      break;
    }
    default:
      break;
  }
  return causes;
}
