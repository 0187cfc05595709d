import type { AlertRule } from './alertRule';

/** A stored rule that failed validation: skipped, logged with its id and the field at fault. */
export interface RuleProblem {
  ruleId: string;
  message: string;
}

/** Where alert rules live. `list` validates every row and reports bad ones instead of throwing. */
export interface RuleStore {
  list(tenantId: string): Promise<{ rules: AlertRule[]; problems: RuleProblem[] }>;
  upsert(tenantId: string, rule: AlertRule): Promise<void>;
  /** Writes the pack when the tenant has no rules at all; returns how many were written. */
  seedIfEmpty(tenantId: string, pack: readonly AlertRule[]): Promise<number>;
}
