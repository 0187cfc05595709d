import { type AlertRule, ruleSchemaVersion } from '../../src/rules/alertRule';
import { parseRule } from '../../src/rules/parseRule';
import type { ChangeMeta, PackState, RuleRepository, StoredRule } from '../../src/rules/ruleRepository';
import type { RuleProblem } from '../../src/rules/ruleStore';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../../src/shared/errors';

interface Row {
  /** The stored document, as the adapter keeps it (`ruleJson`). */
  json: string;
  etag: string;
  updatedAt?: string;
  updatedBy?: string;
}

/** Ids the Table adapter cannot hold as a RowKey (and the `~` metadata rows): `get` finds nothing. */
const notAKey = (id: string) => id === '' || id.startsWith('~') || /[/\\#?\u0000-\u001f\u007f-\u009f]/.test(id);

/**
 * The RuleRepository (and so the RuleStore) in memory, with the Table adapter's semantics
 * (test/contracts/ruleRepositoryContract.ts): documents validated with parseRule on every write and on every
 * read, ETag-guarded writes, a seed that never overwrites a row. `putDocument` stores any document as-is,
 * as an older version or a hand edit in a table browser would, so the read-side validation can be tested.
 */
export class InMemoryRuleRepository implements RuleRepository {
  private readonly tenants = new Map<string, { rules: Map<string, Row>; pack?: { version: number; etag: string } }>();
  private etags = 0;

  private tenant(tenantId: string) {
    let t = this.tenants.get(tenantId);
    if (!t) this.tenants.set(tenantId, (t = { rules: new Map() }));
    return t;
  }

  private etag(): string {
    return `W/"mem-${++this.etags}"`;
  }

  /** Stores a document without validating it (test set-up only). */
  putDocument(tenantId: string, id: string, document: unknown): void {
    this.tenant(tenantId).rules.set(id, { json: JSON.stringify(document), etag: this.etag() });
  }

  async listStored(tenantId: string): Promise<{ rules: StoredRule[]; pack: PackState }> {
    const t = this.tenant(tenantId);
    const rules = [...t.rules.entries()].map(([id, row]) => toStored(id, row)).sort((a, b) => a.id.localeCompare(b.id));
    return { rules, pack: t.pack ? { ...t.pack } : { version: 0 } };
  }

  async list(tenantId: string): Promise<{ rules: AlertRule[]; problems: RuleProblem[] }> {
    const { rules } = await this.listStored(tenantId);
    return {
      rules: rules.flatMap((s) => (s.rule ? [s.rule] : [])),
      problems: rules
        .filter((s) => !s.rule)
        .map((s) => ({
          ruleId: s.id,
          message: `stored rule "${s.id}": ${(s.problems ?? []).map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        })),
    };
  }

  async get(tenantId: string, ruleId: string): Promise<StoredRule | undefined> {
    const row = notAKey(ruleId) ? undefined : this.tenant(tenantId).rules.get(ruleId);
    return row && toStored(ruleId, row);
  }

  async create(tenantId: string, rule: AlertRule, meta: ChangeMeta): Promise<string> {
    const row = toRow(rule, meta, this.etag());
    const rules = this.tenant(tenantId).rules;
    if (rules.has(rule.id)) throw new ConflictError(`rule "${rule.id}" already exists`);
    rules.set(rule.id, row);
    return row.etag;
  }

  async replace(tenantId: string, rule: AlertRule, etag: string, meta: ChangeMeta): Promise<string> {
    const row = toRow(rule, meta, this.etag());
    const rules = this.tenant(tenantId).rules;
    if (rules.get(rule.id)?.etag !== etag)
      throw new PreconditionFailedError(
        `rule "${rule.id}" was changed or deleted since ETag ${etag} was read; get it again and re-apply your change`,
      );
    rules.set(rule.id, row);
    return row.etag;
  }

  async delete(tenantId: string, ruleId: string, etag: string): Promise<void> {
    const rules = this.tenant(tenantId).rules;
    const row = rules.get(ruleId);
    if (!row) throw new NotFoundError(`rule "${ruleId}" does not exist`);
    if (row.etag !== etag)
      throw new PreconditionFailedError(`rule "${ruleId}" was changed since ETag ${etag} was read`);
    rules.delete(ruleId);
  }

  async upsert(tenantId: string, rule: AlertRule): Promise<void> {
    this.tenant(tenantId).rules.set(rule.id, toRow(rule, { by: 'system', at: new Date().toISOString() }, this.etag()));
  }

  async seedIfEmpty(tenantId: string, pack: readonly AlertRule[], packVersion?: number): Promise<number> {
    const t = this.tenant(tenantId);
    const meta = { by: 'system:pack-seed', at: new Date().toISOString() };
    const rows = pack.map((r) => toRow(r, meta, ''));
    let written = 0;
    // Like the adapter's transactions of 100: a part holding any existing rule is skipped whole.
    for (let i = 0; i < pack.length; i += 100) {
      const part = pack.slice(i, i + 100);
      if (part.some((r) => t.rules.has(r.id))) continue;
      part.forEach((r, k) => t.rules.set(r.id, { ...rows[i + k], etag: this.etag() }));
      written += part.length;
    }
    if (written > 0 && packVersion !== undefined) t.pack = { version: packVersion, etag: this.etag() };
    return written;
  }

  async savePackVersion(tenantId: string, version: number, etag: string | undefined): Promise<void> {
    const t = this.tenant(tenantId);
    if (etag ? t.pack?.etag !== etag : t.pack !== undefined)
      throw new PreconditionFailedError('the rule pack version was changed by a concurrent run');
    t.pack = { version, etag: this.etag() };
  }
}

function toRow(rule: AlertRule, meta: ChangeMeta, etag: string): Row {
  return {
    json: JSON.stringify({ schemaVersion: ruleSchemaVersion, ...parseRule(rule) }),
    etag,
    updatedAt: meta.at,
    updatedBy: meta.by,
  };
}

function toStored(id: string, row: Row): StoredRule {
  const base = { id, etag: row.etag, updatedAt: row.updatedAt, updatedBy: row.updatedBy };
  let doc: unknown;
  try {
    doc = { ...(JSON.parse(row.json) as object), id };
  } catch {
    return { ...base, problems: [{ field: 'ruleJson', message: 'is not valid JSON' }], raw: row.json };
  }
  try {
    return { ...base, rule: parseRule(doc, 'stored rule') };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { ...base, problems: err.problems, raw: doc };
  }
}
