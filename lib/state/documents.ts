/**
 * Application documents (specs, rollout reports) as JSON blobs in one container. Names come from
 * business keys, so saving again overwrites the same blob instead of adding another.
 */
import { BlobServiceClient, RestError as StorageRestError, type ContainerClient } from "@azure/storage-blob";
import { ClassifiedError, classifyHttpStatus, classifyNetworkError, type ErrorClassification } from "../errors";

/**
 * The one classifier for blob storage: its RestError status and code; network errors transient.
 * "ContainerAlreadyExists" is success for callers that create.
 */
export function classifyStorageError(error: unknown): ErrorClassification {
  if (error instanceof StorageRestError && error.statusCode !== undefined) {
    const code = error.code ?? `Http${error.statusCode}`;
    if (error.statusCode === 409 && /AlreadyExists$/.test(code)) return { retryable: false, kind: "alreadyExists", code, message: error.message };
    return classifyHttpStatus(error.statusCode, code, error.message);
  }
  return classifyNetworkError(error) ?? { retryable: false, kind: "unknown", code: error instanceof Error ? error.name : "Unknown", message: error instanceof Error ? error.message : String(error) };
}

/** A stored document's name and when it last changed. */
export interface DocumentEntry {
  name: string;
  lastModified?: string;
}

export class DocumentStore {
  private readonly container: ContainerClient;
  private ready: Promise<void> | undefined;

  /** `service`: a connection string, or a blob service client (e.g. with a token credential). */
  constructor(service: string | BlobServiceClient, containerName: string) {
    const client = typeof service === "string" ? BlobServiceClient.fromConnectionString(service) : service;
    this.container = client.getContainerClient(containerName);
  }

  private async step<T>(step: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new ClassifiedError(step, classifyStorageError(error));
    }
  }

  private ensureContainer(): Promise<void> {
    this.ready ??= this.step(`create container ${this.container.containerName}`, async () => {
      await this.container.createIfNotExists();
    }).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** Writes (or overwrites) a JSON document; returns its blob name. */
  async saveDocument(name: string, document: unknown): Promise<string> {
    await this.ensureContainer();
    const text = `${JSON.stringify(document, null, 2)}\n`;
    await this.step(`save document ${name}`, () =>
      this.container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: "application/json" } }));
    return name;
  }

  /** A document parsed as JSON, or undefined when it does not exist. */
  async readDocument(name: string): Promise<unknown> {
    await this.ensureContainer();
    return this.step(`read document ${name}`, async () => {
      try {
        const buffer = await this.container.getBlockBlobClient(name).downloadToBuffer();
        return JSON.parse(buffer.toString("utf8")) as unknown;
      } catch (error) {
        if (error instanceof StorageRestError && error.statusCode === 404) return undefined;
        throw error;
      }
    });
  }

  /** Documents whose name starts with `prefix`, in name order. */
  async listDocuments(prefix = ""): Promise<DocumentEntry[]> {
    await this.ensureContainer();
    return this.step(`list documents ${prefix}`, async () => {
      const entries: DocumentEntry[] = [];
      for await (const blob of this.container.listBlobsFlat({ prefix })) {
        entries.push({ name: blob.name, ...(blob.properties.lastModified === undefined ? {} : { lastModified: blob.properties.lastModified.toISOString() }) });
      }
      return entries;
    });
  }
}
