import type { Alert } from '../dispatch/alert';
import { digestIdFor, foldAlerts } from '../dispatch/digest';
import { decideGroup, groupIdFor, groupWindowFor } from '../dispatch/groupDecision';
import type { Delivery, DeliveryUpdate } from '../dispatch/outbox';
import { nextRetryDelayInMs } from '../dispatch/retryPolicy';
import { type CaLookup, enrichAlert } from '../notifiers/enrichment';
import type { DeliveryReceipt, Notifier } from '../notifiers/notifier';
import { limiterFor } from '../notifiers/rateLimiter';
import { DeliveryError } from '../shared/errors';
import { errorText } from '../shared/logger';
import type { DeliverDeps, DeliverySummary } from './delivery/deliverDeps';
import { raiseFailoverNotice } from './delivery/failover';

export type { DeliverDeps, DeliverySummary } from './delivery/deliverDeps';

interface Member {
  delivery: Delivery;
  alert: Alert | undefined;
}

interface WorkItem {
  channelId: string;
  notifier: Notifier | undefined;
  groupId?: string;
  members: Member[];
}

/**
 * Sends every due delivery from the outbox. Per channel, a queue paced to the channel's rate; channels in
 * parallel. Deliveries of one alert group (rule + group key) on one channel go out as one post: alone,
 * or folded into a follow-up digest; a group posted within its window waits (high and critical groups
 * are never held unless their rule says so: groupWindowFor), one within its realert time is suppressed. Each delivery is claimed with an ETag-guarded update before sending (a concurrent
 * run gets 412 and skips it); one still "sending" after its lease was interrupted by a crash and is resent
 * labelled as a possible duplicate. Permanent failures and dead letters raise a failover notice.
 */
export async function deliverPending(deps: DeliverDeps): Promise<DeliverySummary> {
  const summary: DeliverySummary = {
    due: 0,
    sent: 0,
    retrying: 0,
    failed: 0,
    dead: 0,
    skipped: 0,
    held: 0,
    suppressed: 0,
    posts: 0,
    notices: 0,
  };
  const run = {
    notifiers: new Map(deps.notifiers),
    loaded: false,
    started: performance.now(),
    cache: new Map<string, Promise<CaLookup>>(),
    crashed: false,
  };
  const notices = await pass(deps, summary, run);
  // Notices raised in this run go out now rather than a run later (a second pass never raises more passes).
  if (notices > 0) await pass(deps, summary, run);
  return summary;
}

type RunState = {
  notifiers: Map<string, Notifier>;
  loaded: boolean;
  started: number;
  cache: Map<string, Promise<CaLookup>>;
  crashed: boolean;
};

async function pass(deps: DeliverDeps, summary: DeliverySummary, run: RunState): Promise<number> {
  const due = await deps.outbox.listDue(deps.tenantId, deps.clock());
  summary.due += due.length;
  if (due.length === 0) return 0;
  if (due.some((d) => !run.notifiers.has(d.channelId))) await loadTableChannels(deps, run);
  const alerts = new Map<string, Promise<Alert | undefined>>();
  const items = new Map<string, WorkItem>();
  for (const delivery of due) {
    if (!alerts.has(delivery.alertId))
      alerts.set(
        delivery.alertId,
        deps.outbox.getAlert(deps.tenantId, delivery.alertId).then((a) => named(deps, a)),
      );
    const alert = await alerts.get(delivery.alertId);
    const groupable = deps.state !== undefined && alert !== undefined && (alert.kind ?? 'alert') === 'alert';
    const groupId = groupable ? groupIdFor(alert) : undefined;
    const key = `${delivery.channelId}|${groupId ?? `single|${delivery.id}`}`;
    let item = items.get(key);
    if (!item)
      items.set(
        key,
        (item = {
          channelId: delivery.channelId,
          notifier: run.notifiers.get(delivery.channelId),
          groupId,
          members: [],
        }),
      );
    item.members.push({ delivery, alert });
  }
  const byChannel = new Map<string, WorkItem[]>();
  for (const item of items.values()) byChannel.set(item.channelId, [...(byChannel.get(item.channelId) ?? []), item]);
  let notices = 0;
  await Promise.all(
    [...byChannel.values()].map(async (queue) => {
      for (const item of queue) {
        if (run.crashed || performance.now() - run.started > (deps.settings.runBudgetInMs ?? 120_000)) return;
        try {
          // Not `notices += await …`: that reads `notices` before the await and loses other channels' counts.
          const raised = await processItem(deps, item, summary, run);
          notices += raised;
        } catch (err) {
          run.crashed = true; // stop the other channels' queues too, as a real crash would
          throw err;
        }
      }
    }),
  );
  summary.notices += notices;
  return notices;
}

/** Adds the table channels once per run (app-settings channels keep their ids). */
async function loadTableChannels(deps: DeliverDeps, run: RunState): Promise<void> {
  if (run.loaded || !deps.loadNotifiers) return;
  run.loaded = true;
  for (const [id, n] of await deps.loadNotifiers()) if (!run.notifiers.has(id)) run.notifiers.set(id, n);
}

async function processItem(
  deps: DeliverDeps,
  item: WorkItem,
  summary: DeliverySummary,
  run: RunState,
): Promise<number> {
  const { outbox, tenantId, log, state } = deps;
  const now = deps.clock();
  const first = item.members[0].alert;
  if (item.groupId && state && first) {
    const decision = decideGroup(
      await state.getGroup(tenantId, item.channelId, item.groupId),
      now,
      first.realertInMinutes,
      groupWindowFor(first, deps.settings.groupWindowInMinutes ?? 0),
    );
    if (decision.action === 'suppress') {
      for (const m of item.members)
        if (
          await outbox.updateDelivery(tenantId, m.delivery, {
            state: 'suppressed',
            note: decision.reason,
            lastError: '',
          })
        )
          summary.suppressed++;
      log.info(
        `Suppressed ${item.members.length} alert(s) of rule ${first.ruleId} on ${item.channelId}: ${decision.reason}`,
      );
      return 0;
    }
    if (decision.action === 'hold') {
      const until = decision.until.toISOString();
      for (const m of item.members)
        if (
          m.delivery.nextAttemptAt < until &&
          (await outbox.updateDelivery(tenantId, m.delivery, { nextAttemptAt: until, note: decision.reason }))
        )
          summary.held++;
      return 0;
    }
  }
  const claimed: (Member & { was: Delivery })[] = [];
  for (const m of item.members) {
    const c = await outbox.updateDelivery(tenantId, m.delivery, {
      state: 'sending',
      attempts: m.delivery.attempts + 1,
      leaseUntil: new Date(now.getTime() + deps.settings.timeoutInMs + 60_000).toISOString(),
      possibleDuplicate: m.delivery.possibleDuplicate || m.delivery.state === 'sending',
    });
    if (c) claimed.push({ delivery: c, alert: m.alert, was: m.delivery });
    else summary.skipped++;
  }
  if (claimed.length === 0) return 0;
  await deps.afterStep?.('delivery-claimed');
  const { notifier, channelId } = item;
  const missing = !notifier
    ? `channel "${channelId}" is not configured`
    : claimed.find((c) => !c.alert)
      ? `alert ${claimed.find((c) => !c.alert)!.delivery.alertId} is missing from the outbox`
      : undefined;
  if (missing) {
    log.error(`Delivery to ${channelId} cannot be sent: ${missing}`);
    for (const c of claimed) await outbox.updateDelivery(tenantId, c.delivery, { state: 'failed', lastError: missing });
    summary.failed += claimed.length;
    const alert = claimed.find((c) => c.alert)?.alert;
    return alert
      ? notice(deps, run, channelId, alert, 'failed', new DeliveryError('misconfigured', missing, false), now)
      : 0;
  }
  const members = claimed.map((c) => ({ delivery: c.delivery, alert: c.alert! }));
  const isDigest = members.length > 1;
  const deliveryId = isDigest ? digestIdFor(members.map((m) => m.delivery.id)) : members[0].delivery.id;
  const alert = isDigest
    ? foldAlerts(
        members.map((m) => m.alert),
        deliveryId,
      )
    : members[0].alert;
  const possibleDuplicate = members.some((m) => m.delivery.possibleDuplicate);
  const enrichment = await enrichAlert(alert, deps.caDetails, run.cache);
  let settle: void | (() => Promise<void>);
  try {
    settle = await (deps.limiter ?? limiterFor)(channelId, notifier!.maxPerSecond).acquire();
  } catch (err) {
    // Pacing unavailable (its storage failed): nothing was sent, so hand each claim back as it was (due again
    // at once, no "possible duplicate" label) and fail the run as any storage error does. Best effort: a claim
    // that cannot be handed back is resent after its lease, labelled.
    for (const c of claimed) {
      const { state, attempts, leaseUntil, possibleDuplicate } = c.was;
      const back = { state, attempts, leaseUntil: leaseUntil ?? '', possibleDuplicate };
      await outbox.updateDelivery(tenantId, c.delivery, back).catch(() => undefined);
    }
    throw err;
  }
  summary.posts++;
  let receipt: DeliveryReceipt;
  try {
    receipt = await notifier!.send(alert, {
      deliveryId,
      possibleDuplicate,
      attempt: Math.max(...members.map((m) => m.delivery.attempts)),
      enrichment,
    });
  } catch (err) {
    if (settle) await settle();
    return recordFailure(deps, run, channelId, members, err, now, summary);
  }
  if (settle) await settle();
  await deps.afterStep?.('delivery-sent');
  const sentAt = deps.clock().toISOString();
  for (const m of members)
    await outbox.updateDelivery(tenantId, m.delivery, {
      state: 'sent',
      sentAt,
      lastStatus: receipt.status,
      lastError: '',
      note: '',
      ...(isDigest ? { digestId: deliveryId } : {}),
    });
  await deps.afterStep?.('delivery-recorded');
  summary.sent += members.length;
  if (state) {
    if (item.groupId)
      await state.saveGroup(tenantId, channelId, item.groupId, {
        lastSentAt: now.toISOString(),
        windowEndsAt: new Date(
          now.getTime() + groupWindowFor(alert, deps.settings.groupWindowInMinutes ?? 0) * 60_000,
        ).toISOString(),
      });
    await state.recordOutcome(tenantId, channelId, {
      at: sentAt,
      ok: true,
      status: receipt.status,
      detail: receipt.detail,
    });
  }
  const what = isDigest ? `digest ${deliveryId} of ${members.length} alerts` : `alert ${alert.id}`;
  log.info(
    `Delivered ${what} (${alert.ruleId}, ${alert.eventCount} events) to ${channelId}: ${receipt.status} ${receipt.detail}${possibleDuplicate ? ' [possible duplicate]' : ''}`,
  );
  return 0;
}

/** Records a failed attempt per member: retry later (backoff, Retry-After), dead-letter when too old, or fail for good. */
async function recordFailure(
  deps: DeliverDeps,
  run: RunState,
  channelId: string,
  members: { delivery: Delivery; alert: Alert }[],
  err: unknown,
  now: Date,
  summary: DeliverySummary,
): Promise<number> {
  const failure = err instanceof DeliveryError ? err : new DeliveryError('network', errorText(err), true);
  let worst: 'failed' | 'dead' | undefined;
  for (const { delivery } of members) {
    const expired = now.getTime() - Date.parse(delivery.createdAt) > deps.settings.maxAgeInMinutes * 60_000;
    const state = !failure.retryable ? 'failed' : expired ? 'dead' : 'pending';
    const delay = nextRetryDelayInMs(
      delivery.attempts,
      deps.settings.retryBaseInSeconds * 1000,
      failure.retryAfterInMs,
      deps.random,
    );
    const update: DeliveryUpdate = {
      state,
      lastError: `${failure.reason}: ${failure.message}`.slice(0, 1000),
      lastStatus: failure.status ?? 0,
      nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
    };
    await deps.outbox.updateDelivery(deps.tenantId, delivery, update);
    const what =
      state === 'pending'
        ? `will retry in ${Math.round(delay / 1000)} s`
        : state === 'dead'
          ? 'dead-lettered (too old)'
          : 'permanent failure';
    deps.log.error(
      `Delivery ${delivery.id} to ${channelId} failed (${failure.reason}${failure.status ? ` ${failure.status}` : ''}): ${failure.message}; ${what}`,
    );
    summary[state === 'pending' ? 'retrying' : state]++;
    if (state !== 'pending') worst = worst === 'dead' ? 'dead' : state;
  }
  if (deps.state)
    await deps.state.recordOutcome(deps.tenantId, channelId, {
      at: now.toISOString(),
      ok: false,
      status: failure.status ?? 0,
      detail: `${failure.reason}: ${failure.message}`.slice(0, 300),
    });
  const problem = worst ?? (failure.reason === 'misconfigured' ? 'misconfigured' : undefined);
  return problem ? notice(deps, run, channelId, members[0].alert, problem, failure, now) : 0;
}

async function notice(
  deps: DeliverDeps,
  run: RunState,
  channelId: string,
  alert: Alert,
  problem: 'failed' | 'dead' | 'misconfigured',
  error: DeliveryError,
  now: Date,
): Promise<number> {
  if (!deps.state) return 0;
  const failover = deps.settings.failoverChannel;
  if (failover && !run.notifiers.has(failover)) await loadTableChannels(deps, run);
  const failoverDeps = {
    tenantId: deps.tenantId,
    outbox: deps.outbox,
    state: deps.state,
    log: deps.log,
    failoverChannel: failover,
    isKnownChannel: (id: string) => run.notifiers.has(id),
  };
  return (await raiseFailoverNotice(failoverDeps, { channelId, alert, problem, error }, now)) ? 1 : 0;
}

/** Messages not built by a poll (watchdog, heartbeat, notices) name the tenant too, with many tenants. */
const named = (deps: DeliverDeps, alert: Alert | undefined): Alert | undefined =>
  alert && deps.tenantName && !alert.tenantName ? { ...alert, tenantName: deps.tenantName } : alert;
