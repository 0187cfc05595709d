import { diffFields, type FieldChange, isPlainObject } from '../shared/jsonDiff';
import type { AlertRule } from './alertRule';
import type { StoredRule } from './ruleRepository';

/** What importing a rules file would do to the stored rules. */
export interface ImportPlan {
  add: AlertRule[];
  change: { id: string; etag: string; before: unknown; after: AlertRule; fields: FieldChange[] }[];
  delete: { id: string; etag: string; before: unknown }[];
  unchanged: string[];
}

/** `origin` is managed by the app (pack provenance), so it never makes a difference. */
const comparable = (doc: unknown): unknown => (isPlainObject(doc) ? { ...doc, origin: undefined } : doc);

/**
 * Plans an import of `desired` (the whole rule set, "rules as code") over `stored`: rules only in the file
 * are added, differing ones changed (with the fields that differ), rules not in the file deleted. Pure.
 */
export function planImport(stored: readonly StoredRule[], desired: readonly AlertRule[]): ImportPlan {
  const byId = new Map(stored.map((s) => [s.id, s]));
  const plan: ImportPlan = { add: [], change: [], delete: [], unchanged: [] };
  for (const rule of desired) {
    const current = byId.get(rule.id);
    if (!current) {
      plan.add.push(rule);
      continue;
    }
    const before = current.rule ?? current.raw;
    const fields = diffFields(comparable(before), comparable(rule));
    if (fields.length === 0) plan.unchanged.push(rule.id);
    else plan.change.push({ id: rule.id, etag: current.etag, before, after: rule, fields });
  }
  const wanted = new Set(desired.map((r) => r.id));
  for (const s of stored) if (!wanted.has(s.id)) plan.delete.push({ id: s.id, etag: s.etag, before: s.rule ?? s.raw });
  return plan;
}
