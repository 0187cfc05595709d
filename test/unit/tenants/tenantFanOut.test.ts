import { describe, expect, it } from 'vitest';
import { dispatchTenantPolls, runTenantPoll, slotOf } from '../../../src/app/tenantFanOut';
import { createLogger } from '../../../src/shared/logger';
import {
  parseTenantPollMessage,
  readPoisonedPoll,
  setAsideText,
  type Tenant,
  type TenantStore,
} from '../../../src/tenants/tenant';

const home = 'home-tenant.example';
const t = (n: number, extra: Partial<Tenant> = {}): Tenant => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  displayName: `Tenant ${n}`,
  enabled: true,
  authState: 'ok',
  addedAt: '2026-12-01T00:00:00.000Z',
  ...extra,
});
const lines: string[] = [];
const log = createLogger((level, line) => lines.push(`${level} ${line}`));
const now = new Date('2026-12-03T10:00:30.000Z');

function fakeQueue(failFor: string[] = []) {
  const sent: { text: string; ttl: number }[] = [];
  const setAside: string[] = [];
  return {
    sent,
    setAside,
    queue: {
      send: async (text: string, ttl: number) => {
        if (failFor.some((id) => text.includes(id))) throw new Error('queue refused');
        sent.push({ text, ttl });
      },
      setAside: async (text: string) => void setAside.push(text),
    },
  };
}

function claimOnce() {
  const claimed = new Set<string>();
  return { claim: async (slot: string) => !claimed.has(slot) && Boolean(claimed.add(slot)) };
}

describe('dispatchTenantPolls', () => {
  it('enqueues the home tenant and every due registered tenant once per interval, with a TTL shorter than the interval', async () => {
    const tenants = [
      t(1),
      t(2, { enabled: false }),
      t(3, { authState: 'forbidden', nextAuthRetryAt: '2026-12-03T10:20:00.000Z' }),
      t(4, { authState: 'consent-missing', nextAuthRetryAt: '2026-12-03T09:00:00.000Z' }),
    ];
    const q = fakeQueue();
    const slots = claimOnce();
    const deps = {
      homeTenantId: home,
      tenants: { list: async () => tenants },
      queue: q.queue,
      slots,
      clock: () => now,
      log,
      intervalInMs: 60_000,
    };
    const first = await dispatchTenantPolls(deps);
    expect(first).toMatchObject({ claimed: true, enqueued: 3, disabled: 1, waitingForAuth: 1, failed: 0 });
    const messages = q.sent.map((s) => JSON.parse(s.text) as { tenantId: string; slot: string });
    expect(messages.map((m) => m.tenantId).sort()).toEqual([home, t(1).id, t(4).id].sort());
    expect(new Set(messages.map((m) => m.slot))).toEqual(new Set(['2026-12-03T10:00:00.000Z']));
    expect(q.sent.every((s) => s.ttl > 0 && s.ttl < 60)).toBe(true);
    // A repeated or concurrent run for the same interval enqueues nothing.
    const again = await dispatchTenantPolls(deps);
    expect(again).toMatchObject({ claimed: false, enqueued: 0 });
    expect(q.sent).toHaveLength(3);
  });

  it("goes on enqueueing the others when one tenant's send fails", async () => {
    const tenants = Array.from({ length: 40 }, (_, i) => t(i + 1));
    const q = fakeQueue([t(7).id]);
    const summary = await dispatchTenantPolls({
      homeTenantId: home,
      tenants: { list: async () => tenants },
      queue: q.queue,
      slots: claimOnce(),
      clock: () => now,
      log,
      intervalInMs: 60_000,
      concurrency: 4,
    });
    expect(summary).toMatchObject({ enqueued: 40, failed: 1 });
    expect(lines.some((l) => l.includes(`tenant ${t(7).id} failed`))).toBe(true);
  });

  it('slots are interval starts', () => {
    expect(slotOf(new Date('2026-12-03T10:04:59.999Z'), 300_000)).toBe('2026-12-03T10:00:00.000Z');
  });
});

describe('runTenantPoll', () => {
  function deps(pollFailure?: unknown) {
    const recorded: { id: string; state: string; next?: string }[] = [];
    const cycles: string[] = [];
    const q = fakeQueue();
    const store: Pick<TenantStore, 'recordAuth'> = {
      recordAuth: async (id, auth) => void recorded.push({ id, state: auth.authState, next: auth.nextAuthRetryAt }),
    };
    return {
      recorded,
      cycles,
      q,
      deps: {
        homeTenantId: home,
        tenants: store,
        queue: q.queue,
        clock: () => now,
        log,
        intervalInMs: 60_000,
        authRetryMinutes: 30,
        cycle: async (id: string) => {
          cycles.push(id);
          return { pollFailure };
        },
      },
    };
  }
  const message = (tenantId: string, extra: object = {}) =>
    JSON.stringify({ v: 1, tenantId, slot: '2026-12-03T10:00:00.000Z', ...extra });

  it('sets aside a message that does not parse, naming what is wrong, without polling anyone', async () => {
    for (const bad of [
      'not json',
      '[]',
      '{"v":2}',
      message('not-a-guid'),
      '{"v":1,"tenantId":"00000000-0000-4000-8000-000000000001","slot":"yesterday"}',
    ]) {
      const d = deps();
      const outcome = await runTenantPoll(bad, d.deps);
      expect(outcome.kind, bad).toBe('set-aside');
      expect(d.cycles).toEqual([]);
      expect(d.q.setAside).toHaveLength(1);
      expect(JSON.parse(d.q.setAside[0]).setAside).toMatch(/JSON|field "v"|field "tenantId"|field "slot"/);
    }
  });

  it('skips a message older than two intervals (a newer one exists)', async () => {
    const d = deps();
    const outcome = await runTenantPoll(message(t(1).id, { slot: '2026-12-03T09:50:00.000Z' }), d.deps);
    expect(outcome.kind).toBe('stale');
    expect(d.cycles).toEqual([]);
  });

  it('marks a tenant whose Graph answers 403 as forbidden, with a retry after TENANT_AUTH_RETRY_MINUTES, every time it fails', async () => {
    const forbidden = Object.assign(new Error('Forbidden'), { statusCode: 403 });
    for (const previous of ['ok', 'forbidden']) {
      const d = deps(forbidden);
      const outcome = await runTenantPoll(message(t(1).id, { auth: previous }), d.deps);
      expect(outcome).toMatchObject({ kind: 'polled', authState: 'forbidden' });
      expect(d.recorded).toEqual([{ id: t(1).id, state: 'forbidden', next: '2026-12-03T10:30:30.000Z' }]);
    }
  });

  it('marks a sign-in failure (AADSTS) as consent-missing, and a later success as ok once', async () => {
    const signIn = Object.assign(new Error('AADSTS7000229: the client application is missing service principal'), {
      name: 'AuthenticationError',
    });
    const d = deps(signIn);
    expect(await runTenantPoll(message(t(2).id, { auth: 'unknown' }), d.deps)).toMatchObject({
      authState: 'consent-missing',
    });
    const ok = deps();
    await runTenantPoll(message(t(2).id, { auth: 'consent-missing' }), ok.deps);
    expect(ok.recorded).toEqual([{ id: t(2).id, state: 'ok', next: undefined }]);
    const steady = deps();
    await runTenantPoll(message(t(2).id, { auth: 'ok' }), steady.deps);
    expect(steady.recorded).toEqual([]); // an idle healthy poll writes nothing to the Tenants table
  });

  it('a Graph outage is the tenant incident, not an auth state; the home tenant has no row to record', async () => {
    const d = deps(Object.assign(new Error('Service unavailable'), { statusCode: 503 }));
    expect(await runTenantPoll(message(t(3).id, { auth: 'ok' }), d.deps)).toMatchObject({
      authState: 'ok',
      pollError: expect.stringContaining('unavailable'),
    });
    expect(d.recorded).toEqual([]);
    const h = deps(Object.assign(new Error('Forbidden'), { statusCode: 403 }));
    await runTenantPoll(message(home), h.deps);
    expect(h.cycles).toEqual([home]);
    expect(h.recorded).toEqual([]);
  });

  it('parses the home tenant id even when it is not a GUID, and nothing else that is not', () => {
    expect(parseTenantPollMessage(message(home), home).ok).toBe(true);
    expect(parseTenantPollMessage(message('other.example'), home).ok).toBe(false);
    expect(
      parseTenantPollMessage({ v: 1, tenantId: t(1).id.toUpperCase(), slot: '2026-12-03T10:00:00Z' }),
    ).toMatchObject({ ok: true, message: { tenantId: t(1).id } });
  });
});

describe('readPoisonedPoll', () => {
  const poll = { v: 1, tenantId: t(5).id, slot: '2026-12-03T10:00:00.000Z', name: 'Tenant 5' };
  it('names the tenant of a poll message the host gave up on, as text or as the parsed object', () => {
    for (const input of [poll, JSON.stringify(poll)]) {
      const read = readPoisonedPoll(input, home);
      expect(read.message).toMatchObject({ tenantId: t(5).id, name: 'Tenant 5' });
      expect(read.unreadable).toBeUndefined();
    }
  });
  it('says why a set-aside message could not be read, and names no tenant for it', () => {
    const read = readPoisonedPoll(setAsideText('field "v": must be 1', '{"v":2}'), home);
    expect(read).toMatchObject({ unreadable: 'field "v": must be 1' });
    expect(read.message).toBeUndefined();
    expect(readPoisonedPoll('not json at all', home)).toMatchObject({ text: 'not json at all' });
    expect(readPoisonedPoll('not json at all', home).message).toBeUndefined();
  });
});
