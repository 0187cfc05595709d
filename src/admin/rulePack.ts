import type { AlertRule } from '../rules/alertRule';
import { defaultRulePack, defaultRulePackVersion } from '../rules/defaultRulePack';
import { planPackUpgrade } from '../rules/planPackUpgrade';
import type { RuleProblem } from '../rules/ruleStore';
import { ConflictError, PreconditionFailedError } from '../shared/errors';
import { errorText, type Logger } from '../shared/logger';
import { newHistoryId } from './changeRecorder';
import type { HistoryEntry, RuleHistory } from '../rules/ruleHistory';
import type { RuleRepository } from '../rules/ruleRepository';
import { mergeTenantRules, storedToList } from '../rules/tenantRules';

export interface RulePackDeps {
  tenantId: string;
  /**
   * The tenant whose partition holds the global rules (config.tenancy.homeTenantId). The pack is seeded and
   * upgraded only there; a registered tenant's run gets the global rules merged with its own (tenantRules.ts).
   * Undefined: `tenantId` is the only tenant.
   */
  homeTenantId?: string;
  rules: RuleRepository;
  history: RuleHistory;
  clock: () => Date;
  log: Logger;
}

const seedWho = 'system:pack-seed';
const upgradeWho = 'system:pack-upgrade';

/**
 * The rules a run uses: every valid stored rule (malformed rows skipped and reported). An empty table gets
 * the built-in pack; a table whose recorded pack version is older than `defaultRulePackVersion` is upgraded
 * with planPackUpgrade (new pack rules added, untouched ones updated, admin edits never overwritten), each
 * change recorded in the history as `system:pack-upgrade`. Conditional writes make concurrent runs safe.
 * Seeding and upgrades happen only in the home partition (the global rules): a registered tenant's run
 * loads (and if needed seeds or upgrades) the global rules the same way, then merges its own rules in.
 */
export async function loadRulesWithPack(deps: RulePackDeps): Promise<{ rules: AlertRule[]; problems: RuleProblem[] }> {
  const home = deps.homeTenantId;
  if (home === undefined) return loadPartition(deps);
  const global = await loadPartition({ ...deps, tenantId: home });
  if (deps.tenantId.toLowerCase() === home.toLowerCase()) return mergeTenantRules(deps.tenantId, global);
  const own = storedToList((await deps.rules.listStored(deps.tenantId)).rules);
  return mergeTenantRules(deps.tenantId, global, own);
}

/** One partition's rules, with the pack seeded into it when empty and upgraded when older. */
async function loadPartition(deps: RulePackDeps): Promise<{ rules: AlertRule[]; problems: RuleProblem[] }> {
  const { tenantId, log } = deps;
  const { rules: stored, pack } = await deps.rules.listStored(tenantId);
  const { problems } = storedToList(stored);
  let rules = stored.flatMap((s) => (s.rule ? [s.rule] : []));
  if (stored.length === 0) {
    const written = await deps.rules.seedIfEmpty(tenantId, defaultRulePack, defaultRulePackVersion);
    log.info(
      `AlertRules was empty: seeded ${written} rule(s) of the default Cloud PKI pack (version ${defaultRulePackVersion})`,
    );
    if (written > 0)
      await appendQuietly(
        deps,
        defaultRulePack.map((r) => entry(deps, 'pack-seed', seedWho, r.id, undefined, r)),
      );
    return { rules: [...defaultRulePack], problems };
  }
  // A table seeded before versions were recorded holds pack v1 (or was filled by hand).
  const recorded = pack.etag ? pack.version : 1;
  if (recorded < defaultRulePackVersion) {
    try {
      rules = await upgrade(
        deps,
        stored.flatMap((s) => (s.rule ? [{ rule: s.rule, etag: s.etag }] : [])),
        pack.etag,
      );
    } catch (err) {
      // The old rules still work: detection must not stop because an upgrade failed. Retried next run.
      log.error(`Rule pack upgrade to version ${defaultRulePackVersion} failed (retried next run): ${errorText(err)}`);
    }
  }
  return { rules, problems };
}

async function upgrade(
  deps: RulePackDeps,
  current: { rule: AlertRule; etag: string }[],
  packEtag: string | undefined,
): Promise<AlertRule[]> {
  const { tenantId, log } = deps;
  const plan = planPackUpgrade(
    current.map((c) => c.rule),
    defaultRulePack,
    defaultRulePackVersion,
  );
  const byId = new Map(current.map((c) => [c.rule.id, c]));
  const meta = { by: upgradeWho, at: deps.clock().toISOString() };
  const entries: HistoryEntry[] = [];
  for (const rule of plan.add) {
    try {
      const etag = await deps.rules.create(tenantId, rule, meta);
      byId.set(rule.id, { rule, etag });
      entries.push(entry(deps, 'pack-upgrade', upgradeWho, rule.id, undefined, rule));
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // an admin or a concurrent run created it first
    }
  }
  for (const rule of plan.update) {
    const before = byId.get(rule.id)!;
    try {
      const etag = await deps.rules.replace(tenantId, rule, before.etag, meta);
      byId.set(rule.id, { rule, etag });
      entries.push(entry(deps, 'pack-upgrade', upgradeWho, rule.id, before.rule, rule));
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err; // edited meanwhile: the admin's version wins
    }
  }
  await appendQuietly(deps, entries);
  try {
    await deps.rules.savePackVersion(tenantId, defaultRulePackVersion, packEtag);
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
  const kept = plan.keep.filter((id) => plan.reasons[id] === 'edited');
  log.info(
    `Rule pack upgraded from version ${plan.fromVersion} to ${defaultRulePackVersion}: ${plan.add.length} added, ${plan.update.length} updated${kept.length ? `, ${kept.length} edited by an admin and kept (${kept.join(', ')})` : ''}`,
  );
  return [...byId.values()].map((c) => c.rule);
}

function entry(
  deps: RulePackDeps,
  action: 'pack-seed' | 'pack-upgrade',
  who: string,
  id: string,
  before: AlertRule | undefined,
  after: AlertRule,
): HistoryEntry {
  const at = deps.clock();
  return {
    id: newHistoryId(at),
    subject: 'rule',
    subjectId: id,
    action,
    who,
    at: at.toISOString(),
    ...(before ? { before } : {}),
    after,
  };
}

/** History of the app's own changes must not stop detection; a failure is logged. */
async function appendQuietly(deps: RulePackDeps, entries: HistoryEntry[]): Promise<void> {
  try {
    await deps.history.append(deps.tenantId, entries);
  } catch (err) {
    deps.log.error(`Recording ${entries.length} rule pack change(s) in RuleHistory failed: ${errorText(err)}`);
  }
}
