import type { GraphCapabilities, GraphCapabilityStore } from '../audit/graphCapabilities';
import { statusOf, type TableClients, tableNames } from './tableClients';

// One row per tenant in PollState, outside the checkpoint / watchdog key range and the `run|` ledger rows.
const rowKey = 'graph.capabilities';

/** Remembered Graph capabilities (graphCapabilities.ts) as JSON in one PollState row. Last writer wins: the content is idempotent. */
export class TableGraphCapabilityStore implements GraphCapabilityStore {
  constructor(private readonly tables: TableClients) {}

  async get(tenantId: string): Promise<GraphCapabilities | undefined> {
    const client = await this.tables.get(tableNames.pollState);
    try {
      const row = await client.getEntity<{ capabilitiesJson?: string }>(tenantId, rowKey);
      const parsed: unknown = JSON.parse(String(row.capabilitiesJson ?? '{}'));
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      if (err instanceof SyntaxError) return {}; // an unreadable row is re-learnt, not fatal
      throw err;
    }
  }

  async upsert(tenantId: string, capabilities: GraphCapabilities): Promise<void> {
    const client = await this.tables.get(tableNames.pollState);
    await client.upsertEntity(
      {
        partitionKey: tenantId,
        rowKey,
        capabilitiesJson: JSON.stringify(capabilities),
        updatedAt: new Date().toISOString(),
      },
      'Replace',
    );
  }
}
