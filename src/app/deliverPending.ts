import type { Delivery, DeliveryUpdate, Outbox } from '../dispatch/outbox';
import { nextRetryDelayInMs } from '../dispatch/retryPolicy';
import type { DeliveryReceipt, Notifier } from '../notifiers/notifier';
import { DeliveryError } from '../shared/errors';
import { errorText, type Logger } from '../shared/logger';

export interface DeliverDeps {
  tenantId: string;
  outbox: Outbox;
  notifiers: ReadonlyMap<string, Notifier>;
  clock: () => Date;
  random: () => number;
  log: Logger;
  settings: { timeoutInMs: number; retryBaseInSeconds: number; maxAgeInMinutes: number };
  /** Test seam for crash injection: called after each step; throwing simulates a crash there. */
  afterStep?: (step: 'delivery-claimed' | 'delivery-sent' | 'delivery-recorded') => void | Promise<void>;
}

export interface DeliverySummary {
  due: number;
  sent: number;
  retrying: number;
  failed: number;
  dead: number;
  skipped: number;
}

/**
 * Sends every due delivery from the outbox. Each is first claimed with an ETag-guarded update (a concurrent
 * run gets a 412 and skips it), so two runs never send the same record. A record found still "sending"
 * after its lease means a crash between the POST and its recording: it is resent, labelled as a possible
 * duplicate.
 */
export async function deliverPending(deps: DeliverDeps): Promise<DeliverySummary> {
  const { outbox, tenantId, log } = deps;
  const summary: DeliverySummary = { due: 0, sent: 0, retrying: 0, failed: 0, dead: 0, skipped: 0 };
  const due = await outbox.listDue(tenantId, deps.clock());
  summary.due = due.length;
  for (const record of due) {
    const now = deps.clock();
    const possibleDuplicate = record.possibleDuplicate || record.state === 'sending';
    const claimed = await outbox.updateDelivery(tenantId, record, {
      state: 'sending',
      attempts: record.attempts + 1,
      leaseUntil: new Date(now.getTime() + deps.settings.timeoutInMs + 60_000).toISOString(),
      possibleDuplicate,
    });
    if (!claimed) {
      summary.skipped++;
      continue;
    }
    await deps.afterStep?.('delivery-claimed');
    const finish = (update: DeliveryUpdate) => outbox.updateDelivery(tenantId, claimed, update);
    const notifier = deps.notifiers.get(record.channelId);
    const alert = await outbox.getAlert(tenantId, record.alertId);
    if (!notifier || !alert) {
      const lastError = !notifier ? `channel "${record.channelId}" is not configured` : `alert ${record.alertId} is missing from the outbox`;
      log.error(`Delivery ${claimed.id} cannot be sent: ${lastError}`);
      await finish({ state: 'failed', lastError });
      summary.failed++;
      continue;
    }
    let receipt: DeliveryReceipt;
    try {
      receipt = await notifier.send(alert, { deliveryId: claimed.id, possibleDuplicate, attempt: claimed.attempts });
    } catch (err) {
      summary[await recordFailure(deps, claimed, err, now)]++;
      continue;
    }
    await deps.afterStep?.('delivery-sent');
    await finish({ state: 'sent', sentAt: deps.clock().toISOString(), lastStatus: receipt.status, lastError: '' });
    await deps.afterStep?.('delivery-recorded');
    log.info(`Delivered alert ${alert.id} (${alert.ruleId}, ${alert.eventCount} events) to ${record.channelId}: ${receipt.status} ${receipt.detail}${possibleDuplicate ? ' [possible duplicate]' : ''}`);
    summary.sent++;
  }
  return summary;
}

/** Records a failed attempt: retry later (backoff, Retry-After), dead-letter when too old, or fail for good. */
async function recordFailure(deps: DeliverDeps, claimed: Delivery, err: unknown, now: Date): Promise<'retrying' | 'dead' | 'failed'> {
  const failure = err instanceof DeliveryError ? err : new DeliveryError('network', errorText(err), true);
  const expired = now.getTime() - Date.parse(claimed.createdAt) > deps.settings.maxAgeInMinutes * 60_000;
  const state = !failure.retryable ? 'failed' : expired ? 'dead' : 'pending';
  const delay = nextRetryDelayInMs(claimed.attempts, deps.settings.retryBaseInSeconds * 1000, failure.retryAfterInMs, deps.random);
  await deps.outbox.updateDelivery(deps.tenantId, claimed, { state, lastError: `${failure.reason}: ${failure.message}`.slice(0, 1000), lastStatus: failure.status ?? 0, nextAttemptAt: new Date(now.getTime() + delay).toISOString() });
  const what = state === 'pending' ? `will retry in ${Math.round(delay / 1000)} s` : state === 'dead' ? 'dead-lettered (too old)' : 'permanent failure';
  deps.log.error(`Delivery ${claimed.id} to ${claimed.channelId} failed (${failure.reason}${failure.status ? ` ${failure.status}` : ''}): ${failure.message}; ${what}`);
  return state === 'pending' ? 'retrying' : state;
}
