import type { AuditSource } from '../audit/auditSource';
import type { PendingAlert } from '../dispatch/alertAccumulator';
import type { Outbox } from '../dispatch/outbox';
import type { Logger } from '../shared/logger';
import type { TableCheckpointStore } from '../state/tableCheckpointStore';
import { TableChangeWindowStore } from '../state/tableChangeWindowStore';
import type { TableClients } from '../state/tableClients';
import { TableRuleHistory } from '../state/tableRuleHistory';
import { type BacktestProgress, backtest } from '../app/backtest';
import type { AppConfig } from '../config/config';
import { PollExtras } from '../app/pollExtras';
import type { RuleAdminDeps } from '../admin/ruleAdmin';
import type { WindowAdminDeps } from '../admin/windowAdmin';
import type { RuleRepository } from '../rules/ruleRepository';

export interface AdminServiceInputs {
  config: AppConfig;
  tables: TableClients;
  /** The tenant-scoped rules (TenantScopedRules over the Table store): `list` merges global and tenant rules. */
  rules: RuleRepository;
  outbox: Outbox;
  /** The PollState checkpoint store: also keeps the change-window hint. */
  checkpoints: TableCheckpointStore;
  source: AuditSource;
  clock: () => Date;
  /** runPoll's writeAlert with the poll's channel resolution. */
  writeAlert: (pending: PendingAlert, log: Logger) => Promise<number>;
}

/**
 * Wiring of rule administration (rules, history, change windows, tamper alerts, backtest) and of the
 * stateful poll features (pack upgrade, windows, thresholds). Called only by services.ts.
 */
export function createAdminServices(i: AdminServiceInputs) {
  const history = new TableRuleHistory(i.tables);
  const windows = new TableChangeWindowStore(i.tables);
  const extras = new PollExtras({
    rules: i.rules,
    homeTenantId: i.config.tenancy.homeTenantId,
    history,
    windows,
    outbox: i.outbox,
  });
  const deps = (log: Logger): RuleAdminDeps & WindowAdminDeps => ({
    tenantId: i.config.tenantId,
    rules: i.rules,
    history,
    windows,
    hint: i.checkpoints,
    clock: i.clock,
    log,
    writeAlert: (pending) => i.writeAlert(pending, log),
  });
  return {
    history,
    windows,
    extras,
    /** What the rule and window use cases (ruleAdmin.ts, windowAdmin.ts) take. */
    deps,
    backtest: (body: unknown, options: { onProgress?: (p: BacktestProgress) => void } = {}) =>
      backtest(
        {
          tenantId: i.config.tenantId,
          rules: i.rules,
          source: i.source,
          clock: i.clock,
          sampleSize: i.config.alertSampleEvents,
          ownClientId: i.config.ownClientId,
          maxPages: i.config.backtestMaxPages,
          onProgress: options.onProgress,
        },
        body,
      ),
  };
}

export type AdminServices = ReturnType<typeof createAdminServices>;
