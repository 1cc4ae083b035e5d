/**
 * Application documents (specs, rollout reports) as JSON blobs in one container. Names come from
 * business keys, so saving again overwrites the same blob instead of adding another.
 */
import { BlobServiceClient, RestError as StorageRestError, type ContainerClient } from "@azure/storage-blob";
import { appIdentity } from "../azure/identity.js";
import type { StorageConfig } from "../config.js";
import { ClassifiedError, classifyHttpStatus, classifyNetworkError, type ErrorClassification } from "../errors.js";
import { checkMilliseconds, withDeadline } from "../retry.js";

/**
 * Per call, the storage SDK's own retries included (four tries, waits from 4 s doubling): a
 * document is a few kilobytes, so only an unreachable or stalled account takes this long.
 */
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/**
 * The one classifier for blob storage: its RestError status and code; network errors transient.
 * "ContainerAlreadyExists" is success for callers that create.
 */
export function classifyStorageError(error: unknown): ErrorClassification {
  if (error instanceof StorageRestError && error.statusCode !== undefined) {
    const code = error.code ?? `Http${error.statusCode}`;
    if (error.statusCode === 409 && /AlreadyExists$/.test(code))
      return { retryable: false, kind: "alreadyExists", code, message: error.message };
    return classifyHttpStatus(error.statusCode, code, error.message);
  }
  return (
    classifyNetworkError(error) ?? {
      retryable: false,
      kind: "unknown",
      code: error instanceof Error ? error.name : "Unknown",
      message: error instanceof Error ? error.message : String(error),
    }
  );
}

/** A stored document's name and when it last changed. */
export interface DocumentEntry {
  name: string;
  lastModified?: string;
  /** The blob's metadata, when the listing asked for it. */
  metadata?: Record<string, string>;
}

export interface DocumentStoreOptions {
  /** How long one call may take, the storage SDK's retries included; default 60 s. */
  callTimeoutMs?: number;
}

export class DocumentStore {
  private readonly container: ContainerClient;
  private readonly callTimeoutMs: number;
  private ready: Promise<void> | undefined;

  /** `service`: a connection string, or a blob service client (e.g. with a token credential). */
  constructor(service: string | BlobServiceClient, containerName: string, options: DocumentStoreOptions = {}) {
    this.callTimeoutMs = checkMilliseconds("callTimeoutMs", options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, 1);
    const client = typeof service === "string" ? BlobServiceClient.fromConnectionString(service) : service;
    this.container = client.getContainerClient(containerName);
  }

  /** One call within the call timeout, its failure classified. */
  private async step<T>(step: string, operation: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.callTimeoutMs, step, operation);
    } catch (error) {
      throw new ClassifiedError(step, classifyStorageError(error));
    }
  }

  private ensureContainer(): Promise<void> {
    this.ready ??= this.step(`create container ${this.container.containerName}`, async (abortSignal) => {
      await this.container.createIfNotExists({ abortSignal });
    }).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /**
   * Writes (or overwrites) a JSON document; returns its blob name. `metadata` (ASCII names and
   * values) comes back in a listing, so a caller can pick documents without reading them.
   */
  async saveDocument(name: string, document: unknown, metadata?: Record<string, string>): Promise<string> {
    await this.ensureContainer();
    const text = `${JSON.stringify(document, null, 2)}\n`;
    await this.step(`save document ${name}`, (abortSignal) =>
      this.container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: "application/json" },
        ...(metadata === undefined ? {} : { metadata }),
        abortSignal,
      }),
    );
    return name;
  }

  /** A document parsed as JSON, or undefined when it does not exist. */
  async readDocument(name: string): Promise<unknown> {
    const text = await this.readText(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ClassifiedError(`read document ${name}`, classifyStorageError(error));
    }
  }

  /**
   * Appends lines of text to an append blob, creating the blob on first use. Each call is one
   * block, which the service appends atomically, so concurrent writers never interleave a line.
   */
  async appendLines(name: string, lines: readonly string[]): Promise<void> {
    await this.ensureContainer();
    const blob = this.container.getAppendBlobClient(name);
    const text = lines.map((line) => `${line}\n`).join("");
    await this.step(`append to ${name}`, async (abortSignal) => {
      await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: "application/x-ndjson" }, abortSignal });
      await blob.appendBlock(text, Buffer.byteLength(text), { abortSignal });
    });
  }

  /** A text blob's content, or undefined when it does not exist. */
  async readText(name: string): Promise<string | undefined> {
    await this.ensureContainer();
    return this.step(`read ${name}`, async (abortSignal) => {
      try {
        return (await this.container.getBlobClient(name).downloadToBuffer(0, undefined, { abortSignal })).toString(
          "utf8",
        );
      } catch (error) {
        if (error instanceof StorageRestError && error.statusCode === 404) return undefined;
        throw error;
      }
    });
  }

  /** Deletes a document; one that does not exist is already deleted. */
  async deleteDocument(name: string): Promise<void> {
    await this.ensureContainer();
    await this.step(`delete document ${name}`, async (abortSignal) => {
      await this.container.getBlockBlobClient(name).deleteIfExists({ abortSignal });
    });
  }

  /** Documents whose name starts with `prefix`, in name order (with their metadata if asked). */
  async listDocuments(prefix = "", options: { metadata?: boolean } = {}): Promise<DocumentEntry[]> {
    await this.ensureContainer();
    return this.step(`list documents ${prefix}`, async (abortSignal) => {
      const entries: DocumentEntry[] = [];
      const includeMetadata = options.metadata === true;
      for await (const blob of this.container.listBlobsFlat({ prefix, includeMetadata, abortSignal })) {
        entries.push({
          name: blob.name,
          ...(blob.properties.lastModified === undefined
            ? {}
            : { lastModified: blob.properties.lastModified.toISOString() }),
          ...(includeMetadata ? { metadata: blob.metadata ?? {} } : {}),
        });
      }
      return entries;
    });
  }
}

/** The state container a configuration names: by connection string, or by URI with the app's identity. */
export function documentStoreFor(storage: StorageConfig): DocumentStore {
  return storage.kind === "connectionString"
    ? new DocumentStore(storage.connectionString, storage.container)
    : new DocumentStore(new BlobServiceClient(storage.blobServiceUri, appIdentity()), storage.container);
}
