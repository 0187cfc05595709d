import { odata, type TableClient } from '@azure/data-tables';
import type { ChangeWindow, ChangeWindowStore } from '../dispatch/changeWindow';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../shared/errors';
import { statusOf, type TableClients, tableNames } from './tableClients';

/** Window row: scalar fields as columns, the scope as JSON text (Table Storage has no lists). */
const toEntity = (tenantId: string, w: ChangeWindow) => ({
  partitionKey: tenantId,
  rowKey: w.id,
  scopeJson: JSON.stringify(w.scope),
  start: w.start,
  end: w.end,
  reason: w.reason,
  owner: w.owner,
  createdBy: w.createdBy,
  createdAt: w.createdAt,
  updatedBy: w.updatedBy ?? '',
  updatedAt: w.updatedAt ?? '',
  summarizedAt: w.summarizedAt ?? '',
  summaryAlertId: w.summaryAlertId ?? '',
  suppressedCount: w.suppressedCount ?? 0,
});

const opt = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function toWindow(e: Record<string, unknown>): ChangeWindow {
  const w: ChangeWindow = {
    id: String(e.rowKey),
    scope: JSON.parse(String(e.scopeJson ?? '{}')) as ChangeWindow['scope'],
    start: String(e.start),
    end: String(e.end),
    reason: String(e.reason ?? ''),
    owner: String(e.owner ?? ''),
    createdBy: String(e.createdBy ?? ''),
    createdAt: String(e.createdAt ?? ''),
  };
  for (const k of ['updatedBy', 'updatedAt', 'summarizedAt', 'summaryAlertId'] as const)
    if (opt(e[k])) w[k] = opt(e[k]);
  if (typeof e.suppressedCount === 'number' && opt(e.summarizedAt)) w.suppressedCount = e.suppressedCount;
  return w;
}

/** Change windows in the `ChangeWindows` table, one partition per tenant. */
export class TableChangeWindowStore implements ChangeWindowStore {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.changeWindows);
  }

  async list(tenantId: string): Promise<{ window: ChangeWindow; etag: string }[]> {
    const client = await this.client();
    const out: { window: ChangeWindow; etag: string }[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${tenantId}` },
    }))
      out.push({ window: toWindow(e), etag: e.etag });
    return out.sort((a, b) => a.window.start.localeCompare(b.window.start) || a.window.id.localeCompare(b.window.id));
  }

  async get(tenantId: string, id: string): Promise<{ window: ChangeWindow; etag: string } | undefined> {
    // Characters a RowKey may not hold cannot name a stored window.
    if (id === '' || /[/\\#?\u0000-\u001f\u007f-\u009f]/.test(id)) return undefined;
    const client = await this.client();
    try {
      const e = await client.getEntity<Record<string, unknown>>(tenantId, id);
      return { window: toWindow(e), etag: e.etag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async create(tenantId: string, window: ChangeWindow): Promise<string> {
    const client = await this.client();
    try {
      return (await client.createEntity(toEntity(tenantId, window))).etag ?? '';
    } catch (err) {
      if (statusOf(err) === 409) throw new ConflictError(`change window "${window.id}" already exists`);
      throw err;
    }
  }

  async replace(tenantId: string, window: ChangeWindow, etag: string): Promise<string> {
    const client = await this.client();
    try {
      return (await client.updateEntity(toEntity(tenantId, window), 'Replace', { etag })).etag ?? '';
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404)
        throw new PreconditionFailedError(
          `change window "${window.id}" was changed or deleted since ETag ${etag} was read`,
        );
      throw err;
    }
  }

  async delete(tenantId: string, id: string, etag: string): Promise<void> {
    const client = await this.client();
    try {
      await client.deleteEntity(tenantId, id, { etag });
    } catch (err) {
      if (statusOf(err) === 412)
        throw new PreconditionFailedError(`change window "${id}" was changed since ETag ${etag} was read`);
      if (statusOf(err) === 404) throw new NotFoundError(`change window "${id}" does not exist`);
      throw err;
    }
  }
}
