/**
 * A runtime for kubectl images (`bitnami/kubectl`, `registry.k8s.io/kubectl`): the container runs
 * kubectl, directly or from an `sh -c` script (kube/shell.ts), to completion. kubectl talks to the
 * API with the pod's mounted service account token, so RBAC decides what it may do, and it fails
 * with kubectl's own words when the pod has no token. Of kubectl's commands, the ones manifests
 * use to publish what a pod made are modelled: `create secret generic NAME --from-file=[KEY=]PATH`
 * and `create configmap NAME --from-file=[KEY=]PATH`, with `-n/--namespace`. `create` never
 * replaces: an object that exists is an AlreadyExists error.
 */
import type { ContainerEnvironment, ContainerRuntime, ContainerStart } from "./container-runtime.js";
import { runShellScript, shellScriptOf } from "./shell.js";

/** True for kubectl images, with or without a registry host, tag or digest. */
export function isKubectlImage(image: string): boolean {
  return /(^|\/)kubectl(:[^/@]*)?(@.*)?$/.test(image);
}

interface CreateCommand {
  kind: "secret" | "configmap";
  name: string;
  namespace: string | undefined;
  files: { key: string; path: string }[];
}

/** `create secret generic …` / `create configmap …`, or a message saying what is not modelled. */
function parseCreate(args: readonly string[]): CreateCommand | string {
  const words = [...args];
  const positional: string[] = [];
  const files: { key: string; path: string }[] = [];
  let namespace: string | undefined;
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index] as string;
    const valueOf = (flag: string): string | undefined =>
      word.startsWith(`${flag}=`) ? word.slice(flag.length + 1) : word === flag ? words[++index] : undefined;
    const fromFile = valueOf("--from-file");
    const namespaceFlag = valueOf("--namespace") ?? (word === "-n" ? words[++index] : undefined);
    if (fromFile !== undefined) {
      const equals = fromFile.indexOf("=");
      files.push(
        equals === -1
          ? { key: fromFile.slice(fromFile.lastIndexOf("/") + 1), path: fromFile }
          : { key: fromFile.slice(0, equals), path: fromFile.slice(equals + 1) },
      );
    } else if (namespaceFlag !== undefined) namespace = namespaceFlag;
    else if (word.startsWith("-")) return `error: unknown flag: ${word}`;
    else positional.push(word);
  }
  const [verb, kind, ...rest] = positional;
  if (verb !== "create") return `error: the simulator models only "kubectl create": ${positional.join(" ")}`;
  if (kind === "secret" && rest[0] === "generic" && rest[1] !== undefined)
    return { kind: "secret", name: rest[1], namespace, files };
  if (kind === "configmap" && rest[0] !== undefined) return { kind: "configmap", name: rest[0], namespace, files };
  return `error: the simulator models "create secret generic NAME" and "create configmap NAME": ${positional.join(" ")}`;
}

/** Runs one kubectl invocation in the container; returns its exit code. */
function kubectl(environment: ContainerEnvironment, args: readonly string[]): number {
  const command = parseCreate(args);
  if (typeof command === "string") {
    environment.log(command);
    return 1;
  }
  const api = environment.inClusterApi;
  if (api === undefined) {
    environment.log(
      "error: error loading config file: no configuration has been provided, try setting KUBERNETES_MASTER environment variable",
    );
    return 1;
  }
  const data: Record<string, string> = {};
  for (const file of command.files) {
    const content = environment.readFile(file.path);
    if (content === undefined) {
      environment.log(`error: error reading ${file.path}: no such file or directory`);
      return 1;
    }
    data[file.key] = command.kind === "secret" ? Buffer.from(content, "utf8").toString("base64") : content;
  }
  const namespace = command.namespace ?? api.namespace;
  const plural = command.kind === "secret" ? "secrets" : "configmaps";
  const answer = api.create(plural, namespace, {
    apiVersion: "v1",
    kind: command.kind === "secret" ? "Secret" : "ConfigMap",
    metadata: { name: command.name, namespace },
    ...(command.kind === "secret" ? { type: "Opaque" } : {}),
    data,
  });
  if (answer.status < 300) {
    environment.log(`${command.kind}/${command.name} created`);
    return 0;
  }
  environment.log(`Error from server (${String(answer.body.reason)}): ${String(answer.body.message)}`);
  return 1;
}

export class KubectlRuntime implements ContainerRuntime {
  claims(image: string): boolean {
    return isKubectlImage(image);
  }

  start(environment: ContainerEnvironment): ContainerStart {
    const { argv } = environment;
    const script = shellScriptOf(argv);
    let exitCode: number;
    if (script !== undefined)
      exitCode = runShellScript(script, environment.env, {
        readFile: (path) => environment.readFile(path),
        writeFile: (path, content) => environment.writeFile(path, content),
        log: (line) => environment.log(line),
        programs: { kubectl: (args) => kubectl(environment, args) },
      });
    else if (argv.length > 0 && /(^|\/)kubectl$/.test(argv[0] as string))
      exitCode = kubectl(environment, argv.slice(1));
    // The image's entrypoint is kubectl: the args alone are its arguments.
    else exitCode = kubectl(environment, argv);
    return exitCode === 0
      ? { started: false, exitCode, reason: "Completed", message: "" }
      : { started: false, exitCode, reason: "Error", message: `kubectl exited with code ${exitCode}` };
  }
}
