import type { TableClient } from '@azure/data-tables';
import type { AlertRule } from '../rules/alertRule';
import { parseRule } from '../rules/parseRule';
import type { RuleProblem, RuleStore } from '../rules/ruleStore';
import { ValidationError } from '../shared/errors';
import { chunk, statusOf, type TableClients, tableNames } from './tableClients';

/** Rule row: scalar fields as columns, lists as JSON text (Table Storage has no array type). */
interface RuleEntity {
  name?: unknown;
  enabled?: unknown;
  severity?: unknown;
  activityTypes?: unknown;
  result?: unknown;
  channels?: unknown;
  description?: unknown;
}

const listFields = ['activityTypes', 'channels'] as const;

function toRule(rowKey: string, e: RuleEntity): AlertRule {
  const input: Record<string, unknown> = { id: rowKey };
  for (const [k, v] of Object.entries(e)) {
    if (['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.etag', 'updatedAt'].includes(k) || v === null || v === undefined || v === '') continue;
    if ((listFields as readonly string[]).includes(k) && typeof v === 'string') {
      try {
        input[k] = JSON.parse(v);
      } catch {
        throw new ValidationError(`rule "${rowKey}"`, [{ field: k, message: 'is not a JSON array' }]);
      }
    } else input[k] = v;
  }
  return parseRule(input, 'stored rule');
}

const toEntity = (tenantId: string, rule: AlertRule) => ({
  partitionKey: tenantId,
  rowKey: rule.id,
  name: rule.name,
  enabled: rule.enabled,
  severity: rule.severity,
  activityTypes: JSON.stringify(rule.activityTypes),
  result: rule.result ?? '',
  channels: JSON.stringify(rule.channels),
  description: rule.description ?? '',
  updatedAt: new Date().toISOString(),
});

/** Rules in the `AlertRules` table, partitioned by tenant; each row validated on read by parseRule. */
export class TableRuleStore implements RuleStore {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.rules);
  }

  async list(tenantId: string): Promise<{ rules: AlertRule[]; problems: RuleProblem[] }> {
    const client = await this.client();
    const rules: AlertRule[] = [];
    const problems: RuleProblem[] = [];
    for await (const e of client.listEntities<RuleEntity>({ queryOptions: { filter: `PartitionKey eq '${tenantId.replace(/'/g, "''")}'` } })) {
      try {
        rules.push(toRule(e.rowKey!, e));
      } catch (err) {
        problems.push({ ruleId: e.rowKey!, message: err instanceof Error ? err.message : String(err) });
      }
    }
    return { rules, problems };
  }

  async upsert(tenantId: string, rule: AlertRule): Promise<void> {
    const client = await this.client();
    await client.upsertEntity(toEntity(tenantId, parseRule(rule)), 'Replace');
  }

  async seedIfEmpty(tenantId: string, pack: readonly AlertRule[]): Promise<number> {
    const client = await this.client();
    let written = 0;
    for (const part of chunk(pack)) {
      try {
        // create (not upsert): a concurrent seeder or an admin's row wins; never overwrite.
        await client.submitTransaction(part.map((r) => ['create', toEntity(tenantId, r)]));
        written += part.length;
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
    }
    return written;
  }
}
