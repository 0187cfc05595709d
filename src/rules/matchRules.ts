import type { AuditEvent } from '../audit/auditEvent';
import type { AlertRule } from './alertRule';

/** A compiled rule: lower-cased activity types in a Set so matching is one lookup per event. */
export interface CompiledRule {
  rule: AlertRule;
  activityTypes: ReadonlySet<string>;
}

export const compileRules = (rules: readonly AlertRule[]): CompiledRule[] =>
  rules.filter((r) => r.enabled).map((rule) => ({ rule, activityTypes: new Set((rule.activityTypes ?? []).map((t) => t.toLowerCase())) }));

/** True when `event` satisfies every condition of the rule. Pure. */
export function ruleMatches(compiled: CompiledRule, event: AuditEvent): boolean {
  if (!event.activityType || !compiled.activityTypes.has(event.activityType.toLowerCase())) return false;
  const { result } = compiled.rule;
  if (result === 'Success') return event.activityResult?.toLowerCase() === 'success';
  if (result === 'Failure') return event.activityResult !== null && event.activityResult.toLowerCase() !== 'success';
  return true;
}

/** The rules an event matches, in rule order. Pure. */
export const matchRules = (rules: readonly CompiledRule[], event: AuditEvent): AlertRule[] =>
  rules.filter((r) => ruleMatches(r, event)).map((r) => r.rule);
