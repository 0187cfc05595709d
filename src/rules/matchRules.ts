import type { AuditActor, AuditEvent } from '../audit/auditEvent';
import type { ActorCriteria, AlertRule, ModifiedPropertyCriteria } from './alertRule';
import { compileFilter } from './filter/compileFilter';
import { parseFilter } from './filter/filterParser';
import { compileIpRanges } from './ipRanges';
import { compileExact, compileWildcards } from './wildcard';

type Condition = (event: AuditEvent) => boolean;

/** A rule compiled once: its conditions as closures (Sets for exact values, precompiled patterns, parsed filter), cheapest first. */
export interface CompiledRule {
  rule: AlertRule;
  conditions: readonly Condition[];
}

function actorMatcher(c: ActorCriteria): (actor: AuditActor) => boolean {
  const parts: ((a: AuditActor) => boolean)[] = [];
  if (c.userPrincipalNames) {
    const m = compileWildcards(c.userPrincipalNames);
    parts.push((a) => m(a.userPrincipalName));
  }
  if (c.applicationIds) {
    const m = compileExact(c.applicationIds);
    parts.push((a) => m(a.applicationId));
  }
  if (c.ipAddresses) {
    const m = compileIpRanges(c.ipAddresses);
    parts.push((a) => m(a.ipAddress));
  }
  if (c.actorTypes) {
    const m = compileExact(c.actorTypes);
    parts.push((a) => m(a.type));
  }
  // Across lists every given list must match; an empty criteria object (rejected by parseRule) matches nothing.
  return (a) => parts.length > 0 && parts.every((p) => p(a));
}

function propertyMatcher(criteria: readonly ModifiedPropertyCriteria[]): Condition {
  const compiled = criteria.map((c) => {
    const name = compileWildcards([c.name]);
    const oldValue = c.oldValue === undefined ? undefined : compileWildcards([c.oldValue]);
    const newValue = c.newValue === undefined ? undefined : compileWildcards([c.newValue]);
    return (p: { name: string | null; oldValue: string | null; newValue: string | null }) =>
      name(p.name) && (!oldValue || oldValue(p.oldValue)) && (!newValue || newValue(p.newValue));
  });
  return (e) => e.resources.some((r) => r.modifiedProperties.some((p) => compiled.some((m) => m(p))));
}

function compileConditions(rule: AlertRule): Condition[] {
  const out: Condition[] = [];
  if (rule.activityTypes) {
    const m = compileWildcards(rule.activityTypes);
    out.push((e) => m(e.activityType));
  }
  if (rule.operationTypes) {
    const m = compileExact(rule.operationTypes);
    out.push((e) => m(e.activityOperationType));
  }
  if (rule.categories) {
    const m = compileExact(rule.categories);
    out.push((e) => m(e.category));
  }
  if (rule.result === 'Success') out.push((e) => e.activityResult?.toLowerCase() === 'success');
  // `Failure` = any other non-empty result; an unknown (null) result is neither.
  if (rule.result === 'Failure')
    out.push((e) => e.activityResult !== null && e.activityResult.toLowerCase() !== 'success');
  if (rule.actor?.include) {
    const m = actorMatcher(rule.actor.include);
    out.push((e) => m(e.actor));
  }
  if (rule.actor?.exclude) {
    const m = actorMatcher(rule.actor.exclude);
    out.push((e) => !m(e.actor));
  }
  if (rule.resource) {
    const ids = rule.resource.ids ? compileExact(rule.resource.ids) : undefined;
    const names = rule.resource.namePatterns ? compileWildcards(rule.resource.namePatterns) : undefined;
    out.push((e) => e.resources.some((r) => (!ids || ids(r.resourceId)) && (!names || names(r.displayName))));
  }
  if (rule.modifiedProperties) out.push(propertyMatcher(rule.modifiedProperties));
  if (rule.filter !== undefined) out.push(compileFilter(parseFilter(rule.filter)));
  return out;
}

/**
 * Compiles the enabled rules (validated by parseRule beforehand). A rule with no condition at all matches
 * nothing: parseRule rejects it, and matching everything by accident would flood the channel.
 */
export const compileRules = (rules: readonly AlertRule[]): CompiledRule[] =>
  rules.filter((r) => r.enabled).map((rule) => ({ rule, conditions: compileConditions(rule) }));

/**
 * True when `event` satisfies every condition of the rule (threshold aside: counting is the caller's, see
 * threshold.ts). Pure.
 */
export function ruleMatches(compiled: CompiledRule, event: AuditEvent): boolean {
  const { conditions } = compiled;
  if (conditions.length === 0) return false;
  for (let i = 0; i < conditions.length; i++) if (!conditions[i](event)) return false;
  return true;
}

/** The rules an event matches, in rule order. Pure. */
export function matchRules(rules: readonly CompiledRule[], event: AuditEvent): AlertRule[] {
  const out: AlertRule[] = [];
  for (const r of rules) if (ruleMatches(r, event)) out.push(r.rule);
  return out;
}
