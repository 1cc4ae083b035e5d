/** The adapters' error classifiers: what is retried, what fails at once, what counts as success. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHttpHeaders, createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { RestError as StorageRestError } from "@azure/storage-blob";
import { classifyArmError } from "../../lib/azure/arm.js";
import { classifyJsonRpcError, isReadOnlyJsonRpc, JsonRpcError } from "../../lib/besu/rpc.js";
import { countsAsSuccess, parseRetryAfter } from "../../lib/errors.js";
import { classifyKubeError, KubeStatusError } from "../../lib/kube/cluster.js";
import { DeadlineExceededError } from "../../lib/retry.js";
import { classifyStorageError } from "../../lib/state/documents.js";

function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): RestError {
  const request = createPipelineRequest({ url: "https://127.0.0.1/subscriptions/s" });
  return new RestError(message, {
    code,
    statusCode: status,
    request,
    response: { status, headers: createHttpHeaders(headers), request },
  });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`socket: ${code}`), { code });
}

describe("classifyArmError", () => {
  it("retries 429 after the Retry-After the service asked for", () => {
    const classification = classifyArmError(armError(429, "TooManyRequests", "throttled", { "Retry-After": "7" }));
    assert.deepEqual(classification, {
      retryable: true,
      kind: "throttled",
      code: "TooManyRequests",
      message: "throttled",
      retryAfterMs: 7000,
    });
  });

  it("retries 503 and other 5xx", () => {
    assert.equal(classifyArmError(armError(503, "ServiceUnavailable", "down")).retryable, true);
    assert.equal(classifyArmError(armError(500, "InternalServerError", "oops")).kind, "unavailable");
  });

  it("retries connection resets and timeouts, whether raw or wrapped by the pipeline", () => {
    assert.deepEqual(classifyArmError(socketError("ECONNRESET")), {
      retryable: true,
      kind: "network",
      code: "ECONNRESET",
      message: "socket: ECONNRESET",
    });
    assert.equal(classifyArmError(new RestError("socket hang up", { code: "ECONNRESET" })).retryable, true);
    assert.equal(classifyArmError(socketError("ETIMEDOUT")).kind, "timeout");
  });

  it("fails quota at once, synchronous (400) or from a failed long-running operation", () => {
    const synchronous = classifyArmError(
      armError(
        400,
        "QuotaExceeded",
        "Operation could not be completed as it results in exceeding approved Total Regional Cores quota.",
      ),
    );
    assert.equal(synchronous.retryable, false);
    assert.equal(synchronous.kind, "quota");
    const family = classifyArmError(
      armError(400, "ErrCode_InsufficientVCPUQuota", "Insufficient vcpu quota requested 2"),
    );
    assert.equal(family.kind, "quota");
    const lro = classifyArmError(
      new Error("The long-running operation has failed. QuotaExceeded. Not enough cores in koreasouth."),
    );
    assert.deepEqual(lro, {
      retryable: false,
      kind: "quota",
      code: "QuotaExceeded",
      message: "Not enough cores in koreasouth.",
    });
  });

  it("fails validation and authorization at once", () => {
    assert.equal(classifyArmError(armError(400, "InvalidParameter", "bad VM size")).kind, "invalid");
    assert.equal(classifyArmError(armError(401, "AuthenticationFailed", "no token")).kind, "unauthorized");
    assert.equal(classifyArmError(armError(403, "AuthorizationFailed", "not allowed")).retryable, false);
  });

  it("waits out a 409 for an operation already running, but not other conflicts", () => {
    assert.equal(
      classifyArmError(
        armError(409, "OperationNotAllowed", "Operation is not allowed: another operation is in progress"),
      ).retryable,
      true,
    );
    const other = classifyArmError(armError(409, "Conflict", "The resource group is being deleted"));
    assert.equal(other.retryable, false);
    assert.equal(other.kind, "conflict");
  });

  it("treats 404 on delete and 'already exists' on create as success", () => {
    const notFound = classifyArmError(armError(404, "ResourceNotFound", "gone"));
    assert.equal(countsAsSuccess(notFound, "delete"), true);
    assert.equal(countsAsSuccess(notFound, "create"), false);
    const exists = classifyArmError(
      armError(409, "Conflict", "Resource group 'rg' already exists in a different location"),
    );
    assert.equal(countsAsSuccess(exists, "create"), true);
    const elsewhere = classifyArmError(
      armError(
        409,
        "InvalidResourceGroupLocation",
        "Invalid resource group location 'uksouth'. The Resource group already exists in location 'northeurope'.",
      ),
    );
    assert.equal(countsAsSuccess(elsewhere, "create"), false, "a group in another region is a conflict");
    assert.equal(elsewhere.retryable, false);
  });
});

describe("classifyKubeError", () => {
  it("honours Retry-After of a 429 Status", () => {
    assert.deepEqual(classifyKubeError(new KubeStatusError(429, "TooManyRequests", "slow down", 1000)), {
      retryable: true,
      kind: "throttled",
      code: "TooManyRequests",
      message: "slow down",
      retryAfterMs: 1000,
    });
  });

  it("counts AlreadyExists as success on create and NotFound as success on delete", () => {
    const exists = classifyKubeError(new KubeStatusError(409, "AlreadyExists", 'secrets "k" already exists'));
    assert.equal(exists.retryable, false);
    assert.equal(countsAsSuccess(exists, "create"), true);
    assert.equal(
      countsAsSuccess(classifyKubeError(new KubeStatusError(404, "NotFound", 'pods "p" not found')), "delete"),
      true,
    );
  });

  it("retries a resourceVersion or apply Conflict, 503 and resets; fails Invalid and Forbidden", () => {
    assert.equal(classifyKubeError(new KubeStatusError(409, "Conflict", "stale")).retryable, true);
    assert.equal(classifyKubeError(new KubeStatusError(503, "ServiceUnavailable", "no endpoints")).retryable, true);
    assert.equal(classifyKubeError(socketError("ECONNREFUSED")).retryable, true);
    assert.equal(classifyKubeError(new KubeStatusError(422, "Invalid", "bad")).retryable, false);
    assert.equal(classifyKubeError(new KubeStatusError(403, "Forbidden", "no")).kind, "forbidden");
  });

  it("takes a proxied service's own error answer as its answer, not as a fault to retry", () => {
    const down = classifyKubeError(
      new KubeStatusError(503, "Http503", "GET …/proxy/readiness answered 503", undefined, "proxiedService"),
    );
    assert.equal(down.retryable, false);
    assert.equal(down.kind, "unavailable");
    assert.equal(
      classifyKubeError(new KubeStatusError(503, "ServiceUnavailable", 'no endpoints available for service "rpc"'))
        .retryable,
      true,
      "the API server's own 503 is a fault",
    );
  });

  it("reads the typed client's ApiException (code + Status body)", () => {
    const apiException = Object.assign(new Error("HTTP-Code: 409"), {
      code: 409,
      body: JSON.stringify({ kind: "Status", reason: "AlreadyExists", message: "exists" }),
    });
    assert.equal(classifyKubeError(apiException).kind, "alreadyExists");
  });
});

describe("classifyJsonRpcError", () => {
  it("fails methods that are missing or not enabled, retries server errors", () => {
    assert.equal(classifyJsonRpcError(new JsonRpcError("admin_peers", -32604, "Method not enabled")).retryable, false);
    assert.equal(classifyJsonRpcError(new JsonRpcError("foo", -32601, "Method not found")).retryable, false);
    assert.equal(classifyJsonRpcError(new JsonRpcError("eth_call", -32000, "busy")).retryable, true);
    assert.equal(classifyJsonRpcError(socketError("ECONNRESET")).kind, "network");
  });
});

describe("isReadOnlyJsonRpc", () => {
  it("accepts calls and batches made only of reads, nothing that votes, nothing unknown", () => {
    const call = (method: string) => ({ jsonrpc: "2.0", id: 1, method, params: [] });
    assert.equal(isReadOnlyJsonRpc(call("eth_chainId")), true);
    assert.equal(
      isReadOnlyJsonRpc([call("eth_blockNumber"), call("admin_peers"), call("qbft_getValidatorsByBlockNumber")]),
      true,
    );
    assert.equal(isReadOnlyJsonRpc([call("eth_blockNumber"), call("qbft_proposeValidatorVote")]), false);
    assert.equal(isReadOnlyJsonRpc(call("qbft_discardValidatorVote")), false);
    assert.equal(isReadOnlyJsonRpc(call("eth_sendRawTransaction")), false);
    assert.equal(isReadOnlyJsonRpc([]), false);
    assert.equal(isReadOnlyJsonRpc(undefined), false);
  });
});

describe("a request that missed its deadline", () => {
  it("is a transient timeout to every adapter's classifier", () => {
    const late = new DeadlineExceededError("GET /x", 250);
    for (const classify of [classifyKubeError, classifyArmError, classifyStorageError, classifyJsonRpcError]) {
      assert.deepEqual(classify(late), {
        retryable: true,
        kind: "timeout",
        code: "ETIMEDOUT",
        message: "GET /x: no answer within 250 ms",
      });
    }
  });
});

describe("classifyStorageError", () => {
  it("retries 503, counts ContainerAlreadyExists as success on create", () => {
    assert.equal(
      classifyStorageError(new StorageRestError("busy", { statusCode: 503, code: "ServerBusy" })).retryable,
      true,
    );
    assert.equal(
      countsAsSuccess(
        classifyStorageError(new StorageRestError("exists", { statusCode: 409, code: "ContainerAlreadyExists" })),
        "create",
      ),
      true,
    );
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, ignores garbage", () => {
    assert.equal(parseRetryAfter("2"), 2000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter("soon"), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});
