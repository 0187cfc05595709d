import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { HistoryEntry, HistorySubject, RuleHistory } from '../rules/ruleHistory';
import { chunk, type TableClients, tableNames } from './tableClients';

const maxJsonChars = 30_000; // a Table string property holds 32K UTF-16 characters
const maxTimeInMs = 9_999_999_999_999;

/** Newest first within a subject: the RowKey carries the inverted time. */
const rowKeyOf = (e: HistoryEntry) =>
  `${e.subject}|${e.subjectId}|${String(maxTimeInMs - Date.parse(e.at)).padStart(13, '0')}|${e.id}`;

function json(value: unknown): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length <= maxJsonChars
    ? text
    : JSON.stringify({ truncated: true, text: text.slice(0, maxJsonChars - 100) });
}

const parse = (text: unknown): unknown => (typeof text === 'string' && text !== '' ? JSON.parse(text) : undefined);

/** Change history in the `RuleHistory` table, one partition per tenant. */
export class TableRuleHistory implements RuleHistory {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.ruleHistory);
  }

  async append(tenantId: string, entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const client = await this.client();
    const rows = entries.map((e) => ({
      partitionKey: tenantId,
      rowKey: rowKeyOf(e),
      id: e.id,
      subject: e.subject,
      subjectId: e.subjectId,
      action: e.action,
      who: e.who,
      at: e.at,
      beforeJson: json(e.before),
      afterJson: json(e.after),
      tamperAlertId: e.tamperAlertId ?? '',
    }));
    for (const part of chunk(rows)) await client.submitTransaction(part.map((r): TransactionAction => ['create', r]));
  }

  async list(
    tenantId: string,
    subject: HistorySubject,
    subjectId: string,
    options: { limit?: number } = {},
  ): Promise<HistoryEntry[]> {
    const client = await this.client();
    const limit = options.limit ?? 100;
    const prefix = `${subject}|${subjectId}|`;
    const filter = odata`PartitionKey eq ${tenantId} and RowKey gt ${prefix} and RowKey lt ${`${prefix}~`}`;
    const out: HistoryEntry[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push({
        id: String(e.id),
        subject: e.subject as HistorySubject,
        subjectId: String(e.subjectId),
        action: e.action as HistoryEntry['action'],
        who: String(e.who),
        at: String(e.at),
        before: parse(e.beforeJson),
        after: parse(e.afterJson),
        ...(e.tamperAlertId ? { tamperAlertId: String(e.tamperAlertId) } : {}),
      });
      if (out.length >= limit) break;
    }
    return out;
  }
}
