import { createHash } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { StoredThreshold, ThresholdStore, ThresholdWrite } from '../app/thresholds';
import type { ThresholdState } from '../rules/threshold';
import { chunk, statusOf, type TableClients, tableNames } from './tableClients';

const maxStateChars = 30_000; // a Table string property holds 32K UTF-16 characters

/** RowKey `<ruleId>|<group key>`: the key is encoded (a resource id may hold `/` or `#`), long ones hashed. */
export function thresholdRowKey(ruleId: string, groupKey: string): string {
  const encoded = encodeURIComponent(groupKey).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${ruleId}|${encoded.length <= 400 ? encoded : `#${createHash('sha256').update(groupKey).digest('hex')}`}`;
}

function stateJson(state: ThresholdState): string {
  const buckets = [...state.buckets];
  let text = JSON.stringify({ buckets });
  // Oldest minutes go first: they matter least to a window that ends now.
  while (text.length > maxStateChars && buckets.length > 1) {
    buckets.splice(0, Math.ceil(buckets.length / 10));
    text = JSON.stringify({ buckets });
  }
  return text;
}

function parseState(text: unknown): ThresholdState | undefined {
  try {
    const parsed = JSON.parse(String(text)) as ThresholdState;
    return parsed && Array.isArray(parsed.buckets) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Threshold counters in the `ThresholdState` table: one row per (rule, group key), one partition per tenant,
 * so a run reads a rule's rows with one query and writes every changed row in transactions of up to 100.
 */
export class TableThresholdStore implements ThresholdStore {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.thresholdState);
  }

  async loadRule(tenantId: string, ruleId: string): Promise<StoredThreshold[]> {
    const client = await this.client();
    const from = `${ruleId}|`;
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${from} and RowKey lt ${`${ruleId}}`}`;
    const out: StoredThreshold[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push({ ruleId, groupKey: String(e.groupKey ?? ''), rowKey: e.rowKey!, etag: e.etag, state: parseState(e.stateJson), lastEventAt: String(e.lastEventAt ?? '') });
    }
    return out;
  }

  async save(tenantId: string, writes: readonly ThresholdWrite[]): Promise<{ saved: ThresholdWrite[]; conflicts: ThresholdWrite[] }> {
    const client = await this.client();
    const saved: ThresholdWrite[] = [];
    const conflicts: ThresholdWrite[] = [];
    for (const part of chunk(writes)) {
      const actions = part.map((w): TransactionAction => {
        const rowKey = thresholdRowKey(w.ruleId, w.groupKey);
        if (w.delete) return ['delete', { partitionKey: tenantId, rowKey }];
        const entity = { partitionKey: tenantId, rowKey, ruleId: w.ruleId, groupKey: w.groupKey, stateJson: stateJson(w.state!), lastEventAt: w.lastEventAt, updatedAt: w.updatedAt };
        return w.etag ? ['update', entity, 'Replace', { etag: w.etag }] : ['create', entity];
      });
      try {
        await client.submitTransaction(actions);
        saved.push(...part);
      } catch (err) {
        // A concurrent run changed one of these rows (the whole transaction rolled back).
        if (statusOf(err) !== 412 && statusOf(err) !== 409 && statusOf(err) !== 404) throw err;
        conflicts.push(...part);
      }
    }
    return { saved, conflicts };
  }
}
