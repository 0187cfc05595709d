import type { AlertRule } from './alertRule';
import type { RuleStore } from './ruleStore';
import type { FieldProblem } from '../shared/errors';

/**
 * One stored rule row as the admin API sees it: the validated rule, or (for a row that no longer passes
 * `parseRule`) the problems and the raw document, so an admin can see and fix it.
 */
export interface StoredRule {
  id: string;
  etag: string;
  rule?: AlertRule;
  problems?: FieldProblem[];
  /** The stored document when it does not parse (JSON text or the legacy columns). */
  raw?: unknown;
  updatedAt?: string;
  updatedBy?: string;
}

/** Who changed a rule and when (also recorded in history). */
export interface ChangeMeta {
  by: string;
  at: string;
}

/** The built-in pack version last applied to a tenant's rules, with the version of its metadata row. */
export interface PackState {
  version: number;
  /** Undefined when no metadata row exists yet. */
  etag?: string;
}

/**
 * Versioned rule storage for administration: every write is conditional (ETag), so two admins editing the
 * same rule cannot silently overwrite each other. Every write validates with `parseRule`.
 */
export interface RuleRepository extends RuleStore {
  listStored(tenantId: string): Promise<{ rules: StoredRule[]; pack: PackState }>;
  get(tenantId: string, ruleId: string): Promise<StoredRule | undefined>;
  /** ConflictError when the rule exists. Returns the new ETag. */
  create(tenantId: string, rule: AlertRule, meta: ChangeMeta): Promise<string>;
  /** PreconditionFailedError when `etag` is stale or the rule is gone. Returns the new ETag. */
  replace(tenantId: string, rule: AlertRule, etag: string, meta: ChangeMeta): Promise<string>;
  /** PreconditionFailedError on a stale `etag`; NotFoundError when missing. */
  delete(tenantId: string, ruleId: string, etag: string): Promise<void>;
  /** Writes the pack and records its version when the tenant has no rules (never overwrites a row). */
  seedIfEmpty(tenantId: string, pack: readonly AlertRule[], packVersion?: number): Promise<number>;
  /** Records the applied pack version (ETag-guarded; PreconditionFailedError when a concurrent run moved it). */
  savePackVersion(tenantId: string, version: number, etag: string | undefined): Promise<void>;
}
