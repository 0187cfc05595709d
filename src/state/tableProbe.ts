import { randomUUID } from 'node:crypto';
import { type TableClients, tableNames } from './tableClients';

/**
 * Writes, reads back and deletes one probe row in PollState (its own row key, never a checkpoint): what
 * `pki-alerts doctor` calls "Table Storage reachable". Throws the SDK's error on any failure.
 */
export async function probeTableStorage(tables: TableClients, tenantId: string): Promise<{ table: string }> {
  const client = await tables.get(tableNames.pollState);
  const rowKey = `doctor.probe.${randomUUID()}`;
  const marker = randomUUID();
  await client.createEntity({ partitionKey: tenantId, rowKey, marker });
  try {
    const read = await client.getEntity<{ marker?: string }>(tenantId, rowKey);
    if (read.marker !== marker) throw new Error('the probe row read back differs from the one written');
  } finally {
    await client.deleteEntity(tenantId, rowKey);
  }
  return { table: client.tableName };
}
