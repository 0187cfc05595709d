import { randomBytes } from 'node:crypto';
import type { PendingAlert } from '../dispatch/alertAccumulator';
import { type TamperNotice, tamperAlert } from '../dispatch/tamper';
import type { Logger } from '../shared/logger';
import type { HistoryEntry, RuleHistory } from '../rules/ruleHistory';

/** What every administration use case needs to record a change. */
export interface ChangeRecorderDeps {
  tenantId: string;
  history: RuleHistory;
  clock: () => Date;
  log: Logger;
  /** Writes an alert to the outbox with the same channel resolution as detected alerts (runPoll's writeAlert). */
  writeAlert: (pending: PendingAlert) => Promise<number>;
}

/** A history entry id: time-ordered, unique. */
export const newHistoryId = (at: Date): string => `${at.getTime().toString(36)}-${randomBytes(5).toString('hex')}`;

export type TamperSpec = Omit<TamperNotice, 'tenantId' | 'historyId' | 'at'>;

/**
 * Records a change that has just been applied: one history entry, and when the change weakens a critical /
 * high rule a tamper alert in the outbox (delivered by the next cycle, like any alert). The history entry
 * names the alert, so the two can be matched.
 */
export async function recordChange(
  deps: ChangeRecorderDeps,
  entry: Omit<HistoryEntry, 'id' | 'at' | 'tamperAlertId'>,
  tamper?: TamperSpec,
): Promise<HistoryEntry> {
  const at = deps.clock();
  const id = newHistoryId(at);
  const pending = tamper ? tamperAlert({ ...tamper, tenantId: deps.tenantId, historyId: id, at }) : undefined;
  const full: HistoryEntry = {
    ...entry,
    id,
    at: at.toISOString(),
    ...(pending ? { tamperAlertId: pending.alert.id } : {}),
  };
  await deps.history.append(deps.tenantId, [full]);
  if (pending) {
    await deps.writeAlert(pending);
    deps.log.warn(`Tamper alert ${pending.alert.id}: ${pending.alert.ruleName} (by ${entry.who})`);
  }
  return full;
}
