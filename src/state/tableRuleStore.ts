import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { ChangeMeta, PackState, RuleRepository, StoredRule } from '../rules/ruleRepository';
import { type AlertRule, ruleSchemaVersion } from '../rules/alertRule';
import { parseRule } from '../rules/parseRule';
import type { RuleProblem } from '../rules/ruleStore';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../shared/errors';
import { chunk, statusOf, type TableClients, tableNames } from './tableClients';

/**
 * Rule row: the whole rule as a JSON document (`ruleJson`) plus a few columns for listing in a table
 * browser. Rows written before documents existed (one column per field, lists as JSON text) are still read.
 */
type RuleEntity = Record<string, unknown> & { ruleJson?: string };

/** Metadata row (not a rule): rule ids cannot start with `~`. */
const packRowKey = '~pack';
const isMetaRow = (rowKey: string) => rowKey.startsWith('~');
/** Characters a RowKey may not hold: such an id cannot name a stored rule. */
const notAKey = (id: string) => id === '' || isMetaRow(id) || /[/\\#?\u0000-\u001f\u007f-\u009f]/.test(id);
const legacyListFields = ['activityTypes', 'channels'];
const systemColumns = [
  'partitionKey',
  'rowKey',
  'etag',
  'timestamp',
  'odata.etag',
  'updatedAt',
  'updatedBy',
  'ruleJson',
  'schemaVersion',
];
/** A Table string property holds 32K UTF-16 characters. */
const maxRuleJsonChars = 30_000;

/** The document of a row: `ruleJson` parsed, or the legacy columns gathered into one object. */
function documentOf(rowKey: string, e: RuleEntity): unknown {
  if (typeof e.ruleJson === 'string' && e.ruleJson !== '') {
    try {
      return { ...(JSON.parse(e.ruleJson) as object), id: rowKey };
    } catch {
      throw new ValidationError(`rule "${rowKey}"`, [{ field: 'ruleJson', message: 'is not valid JSON' }]);
    }
  }
  const input: Record<string, unknown> = { id: rowKey };
  for (const [k, v] of Object.entries(e)) {
    if (systemColumns.includes(k) || v === null || v === undefined || v === '') continue;
    if (legacyListFields.includes(k) && typeof v === 'string') {
      try {
        input[k] = JSON.parse(v);
      } catch {
        throw new ValidationError(`rule "${rowKey}"`, [{ field: k, message: 'is not a JSON array' }]);
      }
    } else input[k] = v;
  }
  return input;
}

function toStored(e: TableEntityResult<RuleEntity>): StoredRule {
  const id = e.rowKey!;
  const base = {
    id,
    etag: e.etag,
    updatedAt: e.updatedAt as string | undefined,
    updatedBy: e.updatedBy as string | undefined,
  };
  let doc: unknown;
  try {
    doc = documentOf(id, e);
    return { ...base, rule: parseRule(doc, 'stored rule') };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { ...base, problems: err.problems, raw: doc ?? e.ruleJson };
  }
}

function toEntity(tenantId: string, rule: AlertRule, meta: ChangeMeta) {
  // The stored document names its format version (parseRule accepts it and returns the rule without it).
  const ruleJson = JSON.stringify({ schemaVersion: ruleSchemaVersion, ...rule });
  if (ruleJson.length > maxRuleJsonChars)
    throw new ValidationError(`rule "${rule.id}"`, [
      { field: 'rule', message: `is too large (${ruleJson.length} characters; at most ${maxRuleJsonChars})` },
    ]);
  return {
    partitionKey: tenantId,
    rowKey: rule.id,
    ruleJson,
    name: rule.name,
    enabled: rule.enabled,
    severity: rule.severity,
    origin: rule.origin ?? '',
    updatedAt: meta.at,
    updatedBy: meta.by,
  };
}

const problemText = (s: StoredRule) => `${(s.problems ?? []).map((p) => `${p.field}: ${p.message}`).join('; ')}`;

/** Rules in the `AlertRules` table, one partition per tenant; each row validated on read by parseRule. */
export class TableRuleStore implements RuleRepository {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.rules);
  }

  async listStored(tenantId: string): Promise<{ rules: StoredRule[]; pack: PackState }> {
    const client = await this.client();
    const rules: StoredRule[] = [];
    let pack: PackState = { version: 0 };
    for await (const e of client.listEntities<RuleEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${tenantId}` },
    })) {
      if (e.rowKey === packRowKey) pack = { version: Number(e.version) || 0, etag: e.etag };
      else if (!isMetaRow(e.rowKey!)) rules.push(toStored(e));
    }
    return { rules: rules.sort((a, b) => a.id.localeCompare(b.id)), pack };
  }

  async list(tenantId: string): Promise<{ rules: AlertRule[]; problems: RuleProblem[] }> {
    const { rules } = await this.listStored(tenantId);
    return {
      rules: rules.flatMap((s) => (s.rule ? [s.rule] : [])),
      problems: rules
        .filter((s) => !s.rule)
        .map((s) => ({ ruleId: s.id, message: `stored rule "${s.id}": ${problemText(s)}` })),
    };
  }

  async get(tenantId: string, ruleId: string): Promise<StoredRule | undefined> {
    if (notAKey(ruleId)) return undefined;
    const client = await this.client();
    try {
      return toStored(await client.getEntity<RuleEntity>(tenantId, ruleId));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async create(tenantId: string, rule: AlertRule, meta: ChangeMeta): Promise<string> {
    const client = await this.client();
    try {
      return (await client.createEntity(toEntity(tenantId, parseRule(rule), meta))).etag ?? '';
    } catch (err) {
      if (statusOf(err) === 409) throw new ConflictError(`rule "${rule.id}" already exists`);
      throw err;
    }
  }

  async replace(tenantId: string, rule: AlertRule, etag: string, meta: ChangeMeta): Promise<string> {
    const client = await this.client();
    try {
      return (await client.updateEntity(toEntity(tenantId, parseRule(rule), meta), 'Replace', { etag })).etag ?? '';
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404)
        throw new PreconditionFailedError(
          `rule "${rule.id}" was changed or deleted since ETag ${etag} was read; get it again and re-apply your change`,
        );
      throw err;
    }
  }

  async delete(tenantId: string, ruleId: string, etag: string): Promise<void> {
    const client = await this.client();
    try {
      await client.deleteEntity(tenantId, ruleId, { etag });
    } catch (err) {
      if (statusOf(err) === 412)
        throw new PreconditionFailedError(`rule "${ruleId}" was changed since ETag ${etag} was read`);
      if (statusOf(err) === 404) throw new NotFoundError(`rule "${ruleId}" does not exist`);
      throw err;
    }
  }

  /** Runtime compatibility (RuleStore): unconditional write, used by tests and tooling only. */
  async upsert(tenantId: string, rule: AlertRule): Promise<void> {
    const client = await this.client();
    await client.upsertEntity(
      toEntity(tenantId, parseRule(rule), { by: 'system', at: new Date().toISOString() }),
      'Replace',
    );
  }

  /** Writes the pack (and its version row) when the tenant has no rules; never overwrites an existing row. */
  async seedIfEmpty(tenantId: string, pack: readonly AlertRule[], packVersion?: number): Promise<number> {
    const client = await this.client();
    const meta = { by: 'system:pack-seed', at: new Date().toISOString() };
    let written = 0;
    for (const part of chunk(pack.map((r) => toEntity(tenantId, parseRule(r), meta)))) {
      try {
        // create (not upsert): a concurrent seeder or an admin's row wins; never overwrite.
        await client.submitTransaction(part.map((r) => ['create', r]));
        written += part.length;
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
    }
    // The version row may exist already (every rule was deleted since the last seed).
    if (written > 0 && packVersion !== undefined)
      await client.upsertEntity(
        { partitionKey: tenantId, rowKey: packRowKey, version: packVersion, updatedAt: meta.at },
        'Replace',
      );
    return written;
  }

  async savePackVersion(tenantId: string, version: number, etag: string | undefined): Promise<void> {
    const client = await this.client();
    const entity = { partitionKey: tenantId, rowKey: packRowKey, version, updatedAt: new Date().toISOString() };
    try {
      if (etag) await client.updateEntity(entity, 'Replace', { etag });
      else await client.createEntity(entity);
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 409)
        throw new PreconditionFailedError('the rule pack version was changed by a concurrent run');
      throw err;
    }
  }
}
