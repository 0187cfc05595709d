import { classifyPollError } from '../watch/incidents';
import { errorText, type Logger } from '../shared/logger';
import {
  type DispatchSlots,
  parseTenantPollMessage,
  setAsideText,
  type Tenant,
  type TenantAuthState,
  type TenantPollMessage,
  type TenantStore,
} from '../tenants/tenant';

/*
 * Many tenants on Azure Functions' own machinery (docs/multi-tenant.md): the timer only dispatches, one
 * queue message per due tenant and interval; a queue-triggered worker runs the usual cycle for one tenant.
 */

export interface PollQueue {
  /** Enqueues a poll message that expires after `timeToLiveInSeconds` (shorter than the interval). */
  send(text: string, timeToLiveInSeconds: number): Promise<void>;
  /** Moves a message that cannot be processed to the poison queue, with the reason. */
  setAside(text: string): Promise<void>;
}

export interface DispatchDeps {
  homeTenantId: string;
  tenants: Pick<TenantStore, 'list'>;
  queue: PollQueue;
  slots: DispatchSlots;
  clock: () => Date;
  log: Logger;
  /** The timer's interval (from TIMER_SCHEDULE). */
  intervalInMs: number;
  /** Sends in flight at once (default 32). */
  concurrency?: number;
}

export interface DispatchSummary {
  slot: string;
  /** False when this interval was dispatched already (a repeated or concurrent timer run). */
  claimed: boolean;
  enqueued: number;
  disabled: number;
  /** Tenants whose sign-in failed recently: polled again after TENANT_AUTH_RETRY_MINUTES. */
  waitingForAuth: number;
  failed: number;
}

/** The start of the interval `now` falls in. */
export const slotOf = (now: Date, intervalInMs: number): string =>
  new Date(Math.floor(now.getTime() / intervalInMs) * intervalInMs).toISOString();

/**
 * The timer's work with many tenants: claims the interval, then enqueues one message per due tenant (the home
 * tenant always; registered ones unless disabled or waiting out a sign-in failure). A failed send is logged and
 * counted, and the other tenants are still enqueued; that tenant is polled again next interval from its checkpoint.
 */
export async function dispatchTenantPolls(deps: DispatchDeps): Promise<DispatchSummary> {
  const now = deps.clock();
  const slot = slotOf(now, deps.intervalInMs);
  const summary: DispatchSummary = { slot, claimed: false, enqueued: 0, disabled: 0, waitingForAuth: 0, failed: 0 };
  const registered = await deps.tenants.list();
  if (!(await deps.slots.claim(slot))) {
    deps.log.info(`Tenant polls for the interval ${slot} were dispatched already: nothing enqueued`);
    return summary;
  }
  summary.claimed = true;
  const due: TenantPollMessage[] = [];
  if (!registered.some((t) => t.id === deps.homeTenantId)) due.push({ v: 1, tenantId: deps.homeTenantId, slot });
  for (const t of registered) {
    if (!t.enabled) summary.disabled++;
    else if (waitingForAuth(t, now)) summary.waitingForAuth++;
    else due.push({ v: 1, tenantId: t.id, slot, name: t.displayName, auth: t.authState });
  }
  // Expires before the next interval's message is sent: a backlog of stale polls cannot build up.
  const ttl = Math.max(1, Math.floor((deps.intervalInMs * 0.9) / 1000));
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const message = due[next++];
      try {
        await deps.queue.send(JSON.stringify(message), ttl);
        summary.enqueued++;
      } catch (err) {
        summary.failed++;
        deps.log.error(`Enqueueing the poll of tenant ${message.tenantId} failed: ${errorText(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 32, due.length) }, worker));
  deps.log.info(
    `Dispatched ${summary.enqueued} tenant poll(s) for ${slot}` +
      (summary.disabled ? `, ${summary.disabled} disabled` : '') +
      (summary.waitingForAuth ? `, ${summary.waitingForAuth} waiting to retry sign-in` : '') +
      (summary.failed ? `, ${summary.failed} FAILED to enqueue` : ''),
  );
  return summary;
}

const waitingForAuth = (t: Tenant, now: Date): boolean =>
  (t.authState === 'consent-missing' || t.authState === 'forbidden') &&
  t.nextAuthRetryAt !== undefined &&
  Date.parse(t.nextAuthRetryAt) > now.getTime();

/** What the worker needs to poll one tenant. */
export interface TenantPollDeps {
  homeTenantId: string;
  tenants: Pick<TenantStore, 'recordAuth'>;
  queue: Pick<PollQueue, 'setAside'>;
  clock: () => Date;
  log: Logger;
  intervalInMs: number;
  authRetryMinutes: number;
  /** Runs one cycle (detect + deliver) for the tenant; resolves with the detection failure, if any. */
  cycle: (tenantId: string, tenantName: string | undefined, log: Logger) => Promise<{ pollFailure?: unknown }>;
}

export type TenantPollOutcome =
  | { kind: 'polled'; tenantId: string; authState: TenantAuthState; pollError?: string }
  | { kind: 'stale'; tenantId: string }
  | { kind: 'set-aside'; error: string };

/**
 * The queue-triggered worker: one poll message → one cycle of that tenant. A message that does not parse is
 * set aside on the poison queue (never retried: it would fail the same way); one older than two intervals is
 * dropped (a newer one exists). A Graph failure is the tenant's incident, not the message's: the cycle records
 * it and the next interval retries, so it does not throw. A sign-in or consent failure (401 / 403 / AADSTS)
 * marks the tenant so the dispatcher waits TENANT_AUTH_RETRY_MINUTES before polling it again. Anything else
 * that throws (Table Storage down) fails the invocation: the queue retries it, then poisons it.
 */
export async function runTenantPoll(input: unknown, deps: TenantPollDeps): Promise<TenantPollOutcome> {
  const parsed = parseTenantPollMessage(input, deps.homeTenantId);
  if (!parsed.ok) {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    deps.log.error(`Tenant poll message set aside: ${parsed.error}: ${text.slice(0, 200)}`);
    await deps.queue.setAside(setAsideText(parsed.error, text));
    return { kind: 'set-aside', error: parsed.error };
  }
  const m = parsed.message;
  const now = deps.clock();
  if (now.getTime() - Date.parse(m.slot) > 2 * deps.intervalInMs) {
    deps.log.warn(`Poll of tenant ${m.tenantId} for ${m.slot} is stale (a newer interval exists): skipped`);
    return { kind: 'stale', tenantId: m.tenantId };
  }
  const log = deps.log;
  const result = await deps.cycle(m.tenantId, m.name, log);
  const auth = result.pollFailure === undefined ? undefined : classifyPollError(result.pollFailure).auth;
  const state: TenantAuthState =
    result.pollFailure === undefined
      ? 'ok'
      : auth === 'sign-in'
        ? 'consent-missing'
        : auth
          ? 'forbidden'
          : (m.auth ?? 'unknown');
  const failed = state === 'consent-missing' || state === 'forbidden';
  // A failure is recorded every time (it moves the next retry on); a success only when it changes the state.
  if (m.tenantId !== deps.homeTenantId && (failed || (result.pollFailure === undefined && m.auth !== 'ok'))) {
    await deps.tenants.recordAuth(m.tenantId, {
      authState: state,
      authError: failed ? errorText(result.pollFailure).slice(0, 500) : undefined,
      authCheckedAt: now.toISOString(),
      nextAuthRetryAt: failed ? new Date(now.getTime() + deps.authRetryMinutes * 60_000).toISOString() : undefined,
    });
    if (failed)
      log.warn(
        `Tenant ${m.tenantId}: sign-in / consent failed (${state}); polled again after ${deps.authRetryMinutes} min`,
      );
  }
  return {
    kind: 'polled',
    tenantId: m.tenantId,
    authState: state,
    ...(result.pollFailure !== undefined ? { pollError: errorText(result.pollFailure) } : {}),
  };
}
