/**
 * Service account tokens as the TokenRequest API issues them (`POST
 * …/serviceaccounts/{name}/token`, what `kubectl create token` calls), and their authentication:
 * a token authenticates as `system:serviceaccount:<namespace>:<name>` while the service account
 * it was issued for (the same uid) still exists, as a bound token does.
 *
 * NOTE: tokens are opaque random strings, not signed JWTs, and their expiration is reported but
 * not enforced (the simulated clock runs faster than the wall clock a client reads it with).
 */
import { randomBytes } from "node:crypto";
import { isRecord } from "../http.js";
import { KubeError } from "./errors.js";
import { metadataOf, type KubeObject } from "./objects.js";
import { serviceAccountUser, type UserInfo } from "./rbac.js";

/** What a TokenRequest gets when it asks for no lifetime: an hour, the API server's default. */
const defaultExpirationSeconds = 3600;
/** The shortest lifetime the API server issues. */
const minimumExpirationSeconds = 600;

interface IssuedToken {
  namespace: string;
  name: string;
  uid: unknown;
}

export class ServiceAccountTokens {
  private readonly issued = new Map<string, IssuedToken>();

  /** Issues a token for a stored service account; answers the TokenRequest as the API server does. */
  issue(serviceAccount: KubeObject, request: unknown): KubeObject {
    const metadata = metadataOf(serviceAccount);
    const spec = isRecord(request) && isRecord(request.spec) ? request.spec : {};
    const expirationSeconds = spec.expirationSeconds ?? defaultExpirationSeconds;
    if (
      typeof expirationSeconds !== "number" ||
      !Number.isInteger(expirationSeconds) ||
      expirationSeconds < minimumExpirationSeconds
    ) {
      const message = `Invalid value: ${JSON.stringify(expirationSeconds)}: may not specify a duration less than 10 minutes`;
      throw new KubeError(
        422,
        "Invalid",
        `TokenRequest.authentication.k8s.io "${String(metadata.name)}" is invalid: spec.expirationSeconds: ${message}`,
        {
          name: metadata.name,
          group: "authentication.k8s.io",
          kind: "TokenRequest",
          causes: [{ reason: "FieldValueInvalid", message, field: "spec.expirationSeconds" }],
        },
      );
    }
    const token = randomBytes(32).toString("base64url");
    this.issued.set(token, { namespace: String(metadata.namespace), name: String(metadata.name), uid: metadata.uid });
    return {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name: metadata.name, namespace: metadata.namespace, creationTimestamp: null },
      spec: { audiences: Array.isArray(spec.audiences) ? spec.audiences : [], expirationSeconds, boundObjectRef: null },
      status: {
        token,
        expirationTimestamp: new Date(Date.now() + expirationSeconds * 1000).toISOString(),
      },
    };
  }

  /** Whom a token authenticates, given the service accounts stored now; undefined for an unknown or orphaned token. */
  authenticate(
    token: string,
    readServiceAccount: (namespace: string, name: string) => KubeObject | undefined,
  ): UserInfo | undefined {
    const issued = this.issued.get(token);
    if (issued === undefined) return undefined;
    const account = readServiceAccount(issued.namespace, issued.name);
    if (account === undefined || metadataOf(account).uid !== issued.uid) {
      this.issued.delete(token);
      return undefined;
    }
    return serviceAccountUser(issued.namespace, issued.name);
  }
}
