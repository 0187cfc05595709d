import { ruleTamperKind } from '../dispatch/tamper';
import type { AlertRule } from '../rules/alertRule';
import { parseRule } from '../rules/parseRule';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../shared/errors';
import { type ChangeRecorderDeps, recordChange } from './changeRecorder';
import type { HistoryEntry } from '../rules/ruleHistory';
import type { RuleRepository, StoredRule } from '../rules/ruleRepository';
import { canonicalJson } from '../shared/jsonDiff';
import { type RuleChannelScope, ruleScopeProblems } from './ruleChannels';

export interface RuleAdminDeps extends ChangeRecorderDeps {
  rules: RuleRepository;
  /**
   * Many tenants: the channels a rule of `tenantId`'s partition may name (global, or global + the tenant's),
   * read when a rule is written. Undefined: no scope check (one tenant only).
   */
  channelScope?: () => Promise<RuleChannelScope>;
}

/** HTTP-style preconditions: `If-Match` (an ETag or `*`) and `If-None-Match: *`. */
export interface WriteConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/**
 * Turns a request body into a rule for `id` with the one `parseRule`. `origin` is managed by the app (an
 * admin edit makes a pack rule the admin's), so it is dropped from what an admin sends.
 */
export function ruleFromBody(id: string, body: unknown): AlertRule {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError('rule', [{ field: 'body', message: 'must be a JSON object (one rule)' }]);
  const { origin: _origin, ...rest } = body as Record<string, unknown>;
  if (rest.id !== undefined && rest.id !== id)
    throw new ValidationError(`rule "${id}"`, [
      { field: 'id', message: `must equal the id in the URL ("${id}") or be left out` },
    ]);
  return parseRule({ ...rest, id });
}

/** Rules without the app-managed `origin`, compared field by field: is this write a change at all? */
const sameRule = (a: AlertRule | undefined, b: AlertRule) =>
  a !== undefined && canonicalJson({ ...a, origin: undefined }) === canonicalJson({ ...b, origin: undefined });

export async function listRules(deps: RuleAdminDeps) {
  const { rules, pack } = await deps.rules.listStored(deps.tenantId);
  return { value: rules, packVersion: pack.version, problems: rules.filter((r) => !r.rule).length };
}

export async function getRule(deps: RuleAdminDeps, id: string): Promise<StoredRule> {
  const stored = await deps.rules.get(deps.tenantId, id);
  if (!stored) throw new NotFoundError(`rule "${id}" does not exist`);
  return stored;
}

/**
 * Create-or-replace. Replace needs `If-Match` (412 when stale), `If-None-Match: *` makes it create-only
 * (409 when it exists). A write that changes nothing is not written and not recorded.
 */
export async function putRule(
  deps: RuleAdminDeps,
  id: string,
  body: unknown,
  conditions: WriteConditions,
  who: string,
): Promise<{ stored: StoredRule; created: boolean; changed: boolean }> {
  const rule = ruleFromBody(id, body);
  if (deps.channelScope) {
    const problems = await ruleScopeProblems(rule, await deps.channelScope());
    if (problems.length > 0) throw new ValidationError(`rule "${id}"`, problems);
  }
  const existing = await deps.rules.get(deps.tenantId, id);
  const meta = { by: who, at: deps.clock().toISOString() };
  let etag: string;
  let created = false;
  if (conditions.ifNoneMatch !== undefined) {
    if (conditions.ifNoneMatch.trim() !== '*')
      throw new ValidationError('request', [{ field: 'If-None-Match', message: 'only * is supported (create only)' }]);
    if (existing) throw new ConflictError(`rule "${id}" already exists`);
    etag = await deps.rules.create(deps.tenantId, rule, meta);
    created = true;
  } else if (conditions.ifMatch !== undefined) {
    if (!existing)
      throw new PreconditionFailedError(
        `rule "${id}" does not exist (If-Match needs an existing rule; send If-None-Match: * to create it)`,
      );
    const expected = conditions.ifMatch.trim() === '*' ? existing.etag : conditions.ifMatch.trim();
    if (expected !== existing.etag)
      throw new PreconditionFailedError(
        `rule "${id}" was changed since ETag ${expected} was read; get it again and re-apply your change`,
      );
    if (sameRule(existing.rule, rule)) return { stored: existing, created: false, changed: false };
    etag = await deps.rules.replace(deps.tenantId, rule, expected, meta);
  } else if (!existing) {
    etag = await deps.rules.create(deps.tenantId, rule, meta);
    created = true;
  } else {
    throw new ConflictError(
      `rule "${id}" already exists: send If-Match with its ETag (from GET /api/rules/${id}) to replace it`,
    );
  }
  const kind = ruleTamperKind(existing?.rule, rule);
  await recordChange(
    deps,
    {
      subject: 'rule',
      subjectId: id,
      action: created ? 'create' : 'replace',
      who,
      before: existing ? (existing.rule ?? existing.raw) : undefined,
      after: rule,
    },
    kind && existing?.rule ? tamperFor(existing.rule, kind, who) : undefined,
  );
  return { stored: { id, etag, rule, updatedAt: meta.at, updatedBy: who }, created, changed: true };
}

/** Deletes a rule (`If-Match` optional: without it, whatever version is there). */
export async function deleteRule(
  deps: RuleAdminDeps,
  id: string,
  conditions: WriteConditions,
  who: string,
): Promise<void> {
  const existing = await getRule(deps, id);
  const given = conditions.ifMatch?.trim();
  const expected = given && given !== '*' ? given : existing.etag;
  if (expected !== existing.etag)
    throw new PreconditionFailedError(`rule "${id}" was changed since ETag ${expected} was read`);
  await deps.rules.delete(deps.tenantId, id, expected);
  const kind = ruleTamperKind(existing.rule, undefined);
  await recordChange(
    deps,
    { subject: 'rule', subjectId: id, action: 'delete', who, before: existing.rule ?? existing.raw },
    kind && existing.rule ? tamperFor(existing.rule, kind, who) : undefined,
  );
}

export async function ruleHistory(deps: RuleAdminDeps, id: string, limit = 100): Promise<HistoryEntry[]> {
  return deps.history.list(deps.tenantId, 'rule', id, { limit });
}

const verbs = { disabled: 'disabled', deleted: 'deleted', downgraded: 'lowered below high severity' } as const;

function tamperFor(rule: AlertRule, kind: keyof typeof verbs, who: string) {
  return {
    ruleId: `tamper:${rule.id}`,
    severity: rule.severity,
    title: `Tamper: ${rule.severity} rule "${rule.name}" ${verbs[kind]}`,
    description: `${who} ${verbs[kind]} the ${rule.severity} rule ${rule.id}; its activity no longer raises ${kind === 'downgraded' ? 'a high-severity' : 'an'} alert. If this was not planned, restore it from GET /api/rules/${rule.id}/history and review who holds the admin role.`,
    channels: rule.channels,
  };
}
