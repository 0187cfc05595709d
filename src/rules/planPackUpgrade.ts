import type { AlertRule } from './alertRule';
import { rulePackHistory } from './rulePackHistory';

/** Why a pack rule is in `add`, `update` or `keep`. */
export type PackUpgradeReason =
  | 'new' // not in the tenant's pack version: added
  | 'untouched' // equal to the pack version it came from: replaced by the new one
  | 'current' // already the new pack's rule, origin included
  | 'edited' // differs from every pack version it could come from (or its origin was cleared by an edit): left alone
  | 'deleted' // was in the tenant's pack version but is gone: an admin deleted it, so it is not re-added
  | 'newer'; // comes from a newer pack than this one (a downgrade): left alone

export interface PackUpgradePlan {
  /** The pack version the tenant's rules come from (0 = no rules at all). */
  fromVersion: number;
  add: AlertRule[];
  update: AlertRule[];
  /** Ids of pack rules left exactly as the tenant has them (edited, deleted, current, newer). */
  keep: string[];
  reasons: Record<string, PackUpgradeReason>;
}

const originVersion = (rule: AlertRule): number | undefined => {
  const m = /^pack@(\d+)$/.exec(rule.origin ?? '');
  return m ? Number(m[1]) : undefined;
};

/** Rule content as canonical JSON (sorted keys, no `origin`), so field order and the origin tag never count as edits. */
function content(rule: AlertRule): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  const { origin: _origin, ...rest } = rule;
  return JSON.stringify(canonical(rest));
}

/**
 * Plans moving a tenant's rules to pack `version`. Pure. An upgrade never overwrites an admin's edit:
 * - a stored rule is untouched when its content equals the rule of the pack version named by its `origin`
 *   (`pack@N`), or, with no origin (pack v1 rows predate the field), equals that rule in any earlier version;
 *   only untouched rules are updated. An edit clears `origin`, and a rule whose origin says pack@N but whose
 *   content differs from pack N was edited some other way: both are kept;
 * - a pack rule the tenant does not have is added when it is new since the tenant's pack version, and not
 *   re-added when that version had it (an admin deleted it);
 * - the tenant's pack version is the highest `pack@N` among its rules; a non-empty table with no origins was
 *   seeded with v1 (or never seeded, in which case the v1 rules stay absent, as if deleted).
 * Rules that left the pack are not in the plan: they stay, since removing an admin's alerting silently is worse.
 */
export function planPackUpgrade(
  existing: readonly AlertRule[],
  pack: readonly AlertRule[],
  version: number,
  history: ReadonlyMap<number, readonly AlertRule[]> = rulePackHistory,
): PackUpgradePlan {
  const origins = existing.map(originVersion).filter((v): v is number => v !== undefined);
  const fromVersion = existing.length === 0 ? 0 : Math.max(1, ...origins);
  const plan: PackUpgradePlan = { fromVersion, add: [], update: [], keep: [], reasons: {} };
  const byId = new Map(existing.map((r) => [r.id, r]));
  const hadInPack = (v: number, id: string) => history.get(v)?.some((r) => r.id === id) ?? false;
  const keep = (id: string, reason: PackUpgradeReason) => {
    plan.keep.push(id);
    plan.reasons[id] = reason;
  };

  for (const packRule of pack) {
    const target: AlertRule = { ...packRule, origin: `pack@${version}` };
    const stored = byId.get(packRule.id);
    if (!stored) {
      if (fromVersion > 0 && fromVersion <= version && hadInPack(fromVersion, packRule.id))
        keep(packRule.id, 'deleted');
      else {
        plan.add.push(target);
        plan.reasons[packRule.id] = 'new';
      }
      continue;
    }
    const from = originVersion(stored);
    if (from !== undefined && from > version) {
      keep(stored.id, 'newer');
      continue;
    }
    if (content(stored) === content(target) && stored.origin === target.origin) {
      keep(stored.id, 'current');
      continue;
    }
    // Equal content without the new origin counts as untouched too: rewriting it only stamps the origin.
    if (content(stored) === content(target)) {
      plan.update.push(target);
      plan.reasons[stored.id] = 'untouched';
      continue;
    }
    const candidates = from !== undefined ? [from] : [...history.keys()].filter((v) => v < version);
    const untouched = candidates.some((v) => {
      const old = history.get(v)?.find((r) => r.id === stored.id);
      return old !== undefined && content(old) === content(stored);
    });
    if (untouched) {
      plan.update.push(target);
      plan.reasons[stored.id] = 'untouched';
    } else keep(stored.id, 'edited');
  }
  return plan;
}
