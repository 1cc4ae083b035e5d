/**
 * Durable entity state on Azure Storage: one row per entity in table `<hub>Entities` (partition =
 * entity name, row = key), holding whether it exists and its state as JSON text. An entity's
 * operations run one at a time (engine/entities.ts), so a plain upsert per batch is enough.
 */
import { TableClient } from "@azure/data-tables";

export interface EntitySnapshot {
  exists: boolean;
  /** The state as JSON text, as the SDK's entity handler takes and returns it. */
  state?: string;
}

interface EntityRow {
  partitionKey: string;
  rowKey: string;
  exists: boolean;
  state?: string;
}

export class EntityStore {
  private constructor(private readonly table: TableClient) {}

  static async open(connectionString: string, hubName: string): Promise<EntityStore> {
    const table = TableClient.fromConnectionString(connectionString, `${hubName}Entities`, {
      allowInsecureConnection: true,
    });
    await table.createTable();
    return new EntityStore(table);
  }

  async get(name: string, key: string): Promise<EntitySnapshot> {
    try {
      const row = await this.table.getEntity<EntityRow>(name, encodeURIComponent(key));
      return { exists: row.exists, state: row.state ?? undefined };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return { exists: false };
      throw error;
    }
  }

  async put(name: string, key: string, snapshot: EntitySnapshot): Promise<void> {
    const row: EntityRow = { partitionKey: name, rowKey: encodeURIComponent(key), exists: snapshot.exists };
    if (snapshot.exists && snapshot.state !== undefined) row.state = snapshot.state;
    await this.table.upsertEntity(row, "Replace");
  }
}
