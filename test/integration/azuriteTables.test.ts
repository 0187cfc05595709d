import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAzuriteTables, type AzuriteTables } from '../../src/local/azuriteTables';

let azurite: AzuriteTables;

beforeAll(async () => {
  azurite = await startAzuriteTables({ port: 0 });
});

afterAll(() => azurite?.close());

it('listens on the free port it was given and advertises it in the connection string', () => {
  const port = Number(new URL(azurite.url).port);
  expect(port).toBeGreaterThan(0);
  expect(azurite.url).toBe(`http://127.0.0.1:${port}`);
  expect(azurite.connectionString).toContain(`TableEndpoint=${azurite.url}/devstoreaccount1;`);
});

it('creates a table and round-trips an entity through @azure/data-tables', async () => {
  const name = `roundtrip${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const client = TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
  await client.createTable();
  const at = new Date('2026-11-25T10:00:03.000Z');
  await client.createEntity({
    partitionKey: 'tenant-1',
    rowKey: 'rule-1',
    enabled: true,
    count: 3,
    at,
    text: 'Cloud PKI · CA revoked',
  });
  const entity = await client.getEntity<{ enabled: boolean; count: number; at: Date; text: string }>(
    'tenant-1',
    'rule-1',
  );
  expect(entity).toMatchObject({
    partitionKey: 'tenant-1',
    rowKey: 'rule-1',
    enabled: true,
    count: 3,
    text: 'Cloud PKI · CA revoked',
  });
  expect(entity.at).toEqual(at);
  expect(entity.etag).toMatch(/^W\/"datetime'/);
  const listed = [];
  for await (const e of client.listEntities()) listed.push(e.rowKey);
  expect(listed).toEqual(['rule-1']);
});
