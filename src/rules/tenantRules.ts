import type { AlertRule } from './alertRule';
import type { ChangeMeta, PackState, RuleRepository, StoredRule } from './ruleRepository';
import type { RuleProblem } from './ruleStore';

/*
 * Rules across tenants. The home tenant's partition of AlertRules holds the GLOBAL rules (the default pack is
 * seeded and upgraded there): they apply to every tenant, except the tenants a rule lists in `excludeTenants`.
 * A registered tenant's partition holds that tenant's own rules; one with the id of a global rule replaces it
 * for that tenant only.
 */

/** What `RuleStore.list` returns. */
export interface RuleList {
  rules: AlertRule[];
  problems: RuleProblem[];
}

/** Is `ruleId` excluded for `tenantId` by a global rule's `excludeTenants` (tenant ids are lower case)? */
export const excludes = (rule: AlertRule, tenantId: string): boolean =>
  rule.excludeTenants?.includes(tenantId.toLowerCase()) ?? false;

/** A partition's rules as `list` gives them: the valid ones, and a problem per row that does not parse. */
export function storedToList(stored: readonly StoredRule[]): RuleList {
  return {
    rules: stored.flatMap((s) => (s.rule ? [s.rule] : [])),
    problems: stored
      .filter((s) => !s.rule)
      .map((s) => ({
        ruleId: s.id,
        message: `stored rule "${s.id}": ${(s.problems ?? []).map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      })),
  };
}

/**
 * The rules that apply to `tenantId`: the global rules minus those excluding it, each replaced by the tenant's
 * own rule of the same id, plus the tenant's other rules (sorted by id). For the home tenant, `own` is
 * undefined: its partition IS the global one. Problems say which partition they come from. A tenant row that
 * does not parse does NOT take the global rule of its id away: detection keeps the global rule until it is fixed.
 * A tenant's own rule ignores `excludeTenants` (it is the tenant's choice to have it).
 */
export function mergeTenantRules(tenantId: string, global: RuleList, own?: RuleList): RuleList {
  const applying = global.rules.filter((r) => !excludes(r, tenantId));
  if (!own) return { rules: applying, problems: global.problems };
  const byId = new Map(applying.map((r) => [r.id, r]));
  for (const rule of own.rules) byId.set(rule.id, rule);
  return {
    rules: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    problems: [
      ...global.problems.map((p) => ({ ...p, message: `global rules (home tenant): ${p.message}` })),
      ...own.problems.map((p) => ({ ...p, message: `rules of tenant ${tenantId}: ${p.message}` })),
    ],
  };
}

/**
 * The RuleRepository a tenant's services use. `list` (what detection, backtests, the health report and the
 * window admin read) is the merged view of {@link mergeTenantRules}; every other method addresses the
 * partition it is given (the rule admin API writes a tenant's own rules there). `seedIfEmpty` for a
 * registered tenant seeds the HOME partition (when that is empty): the pack is global and never copied into
 * a tenant's partition.
 */
export class TenantScopedRules implements RuleRepository {
  constructor(
    private readonly inner: RuleRepository,
    private readonly homeTenantId: string,
  ) {}

  /** Whether `tenantId`'s partition is the one holding the global rules. */
  isHome(tenantId: string): boolean {
    return tenantId.toLowerCase() === this.homeTenantId.toLowerCase();
  }

  async list(tenantId: string): Promise<RuleList> {
    if (this.isHome(tenantId)) return mergeTenantRules(tenantId, await this.inner.list(tenantId));
    const [global, own] = await Promise.all([this.inner.list(this.homeTenantId), this.inner.list(tenantId)]);
    return mergeTenantRules(tenantId, global, own);
  }

  seedIfEmpty(tenantId: string, pack: readonly AlertRule[], packVersion?: number): Promise<number> {
    return this.inner.seedIfEmpty(this.isHome(tenantId) ? tenantId : this.homeTenantId, pack, packVersion);
  }

  listStored(tenantId: string): Promise<{ rules: StoredRule[]; pack: PackState }> {
    return this.inner.listStored(tenantId);
  }

  get(tenantId: string, ruleId: string): Promise<StoredRule | undefined> {
    return this.inner.get(tenantId, ruleId);
  }

  create(tenantId: string, rule: AlertRule, meta: ChangeMeta): Promise<string> {
    return this.inner.create(tenantId, rule, meta);
  }

  replace(tenantId: string, rule: AlertRule, etag: string, meta: ChangeMeta): Promise<string> {
    return this.inner.replace(tenantId, rule, etag, meta);
  }

  delete(tenantId: string, ruleId: string, etag: string): Promise<void> {
    return this.inner.delete(tenantId, ruleId, etag);
  }

  upsert(tenantId: string, rule: AlertRule): Promise<void> {
    return this.inner.upsert(tenantId, rule);
  }

  savePackVersion(tenantId: string, version: number, etag: string | undefined): Promise<void> {
    return this.inner.savePackVersion(tenantId, version, etag);
  }
}
