import { describe, expect, it } from 'vitest';
import { evaluateWatchdog, type RunObservation, type WatchSettings } from '../../../src/watch/incidents';
import { emptyWatchState, type WatchState } from '../../../src/watch/runLedger';
import { evaluateHealth, publicHealth } from '../../../src/watch/health';
import {
  maxTenantStallIncidents,
  readTenantPolls,
  type TenantPollStatus,
  tenantPollStatuses,
} from '../../../src/watch/tenantStalls';
import { watchdogAlert } from '../../../src/watch/watchdogMessages';
import type { Tenant } from '../../../src/tenants/tenant';

const settings: WatchSettings = { failedPolls: 3, channelFailures: 3, maxLagInMinutes: 10 };
const home = 'home-tenant';
const t0 = Date.parse('2026-11-25T10:00:00Z');
const at = (m: number) => new Date(t0 + m * 60_000).toISOString();
const now = new Date(at(0));
const id = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
const tenant = (n: number, over: Partial<Tenant> = {}): Tenant => ({
  id: id(n),
  displayName: `Tenant ${n}`,
  enabled: true,
  authState: 'ok',
  addedAt: at(-24 * 60),
  ...over,
});
const stateOf = (statuses: TenantPollStatus[]) => Object.fromEntries(statuses.map((s) => [s.id, s.state]));

describe('tenantPollStatuses: which registered tenants are stalled', () => {
  it('stalled: enabled, sign-in not failing, checkpoint older than the max lag, or none and added before it', () => {
    const tenants = [
      tenant(1), // fresh checkpoint
      tenant(2), // checkpoint 11 min old
      tenant(3), // no checkpoint, added a day ago
      tenant(4, { addedAt: at(-5) }), // no checkpoint, added 5 min ago: its first poll may not have run
      tenant(5, { enabled: false }), // disabled, old checkpoint
      tenant(6, { authState: 'consent-missing' }), // its own graph-auth incident; polled every 30 min
      tenant(7, { authState: 'forbidden' }),
      tenant(8, { authState: 'unknown' }), // never signed in yet: still expected to be polled
      tenant(9), // checkpoint exactly at the max lag: not yet
      tenant(10, { addedAt: '' }), // no checkpoint and no known addedAt
    ];
    const checkpoints = new Map([
      [id(1), at(-1)],
      [id(2), at(-11)],
      [id(5), at(-600)],
      [id(6), at(-600)],
      [id(7), at(-600)],
      [id(8), at(-60)],
      [id(9), at(-10)],
    ]);
    const statuses = tenantPollStatuses(tenants, checkpoints, now, 10, home);
    expect(stateOf(statuses)).toEqual({
      [id(1)]: 'polled',
      [id(2)]: 'stalled',
      [id(3)]: 'stalled',
      [id(4)]: 'polled',
      [id(5)]: 'disabled',
      [id(6)]: 'sign-in-failing',
      [id(7)]: 'sign-in-failing',
      [id(8)]: 'stalled',
      [id(9)]: 'polled',
      [id(10)]: 'stalled',
    });
    expect(statuses.find((s) => s.id === id(2))).toMatchObject({ scannedTo: at(-11), notPolledForMs: 11 * 60_000 });
    expect(statuses.find((s) => s.id === id(3))).toMatchObject({ notPolledForMs: 24 * 3_600_000 });
    expect(statuses.find((s) => s.id === id(3))?.scannedTo).toBeUndefined();
  });

  it('leaves the home tenant out (its own run watches its lag)', () => {
    const statuses = tenantPollStatuses([tenant(1, { id: home })], new Map(), now, 10, home);
    expect(statuses).toEqual([]);
  });

  it('reads the checkpoints only of the tenants it watches, in one call', async () => {
    const asked: (readonly string[])[] = [];
    const source = {
      list: async () => [tenant(1), tenant(2, { enabled: false }), tenant(3, { authState: 'forbidden' })],
      scannedTo: async (ids: readonly string[]) => {
        asked.push(ids);
        return new Map([[id(1), at(-30)]]);
      },
    };
    const statuses = await readTenantPolls(source, home, now, 10);
    expect(asked).toEqual([[id(1)]]);
    expect(stateOf(statuses)).toEqual({ [id(1)]: 'stalled', [id(2)]: 'disabled', [id(3)]: 'sign-in-failing' });
  });
});

/** A successful home run at minute m, with (optionally) the result of the tenant check. */
const run = (m: number, statuses?: TenantPollStatus[]): RunObservation => ({
  startedAt: at(m),
  finishedAt: at(m),
  pollFailed: false,
  checkpointAt: at(m),
  windowFrom: at(m - 15),
  coveredTo: at(m),
  attempts: [],
  ...(statuses ? { tenants: { checkedAt: at(m), statuses } } : {}),
});
const status = (n: number, state: TenantPollStatus['state'], minutes = 30): TenantPollStatus => ({
  id: id(n),
  name: `Tenant ${n}`,
  state,
  scannedTo: at(-minutes),
  notPolledForMs: minutes * 60_000,
});

function play(runs: RunObservation[], start: WatchState = emptyWatchState()) {
  let state = start;
  const out = runs.map((obs) => {
    const r = evaluateWatchdog(state, obs, settings);
    state = r.state;
    return r.transitions;
  });
  return { out, state };
}
const keys = (ts: { change: string; incident: { key: string } }[]) => ts.map((t) => `${t.change} ${t.incident.key}`);

describe('evaluateWatchdog: tenant-stalled incidents', () => {
  it('one per stalled tenant, opened once, resolved when it is polled again, disabled or removed', () => {
    const { out, state } = play([
      run(0, [status(1, 'stalled'), status(2, 'polled', 1), status(3, 'stalled'), status(4, 'stalled')]),
      run(1), // the check did not run: nothing changes
      run(5, [status(1, 'stalled', 35), status(2, 'polled', 1), status(3, 'stalled'), status(4, 'stalled')]),
      run(10, [status(1, 'polled', 1), status(2, 'polled', 1), status(3, 'disabled')]), // 4 removed
    ]);
    expect(out.map(keys)).toEqual([
      [`opened tenant-stalled:${id(1)}`, `opened tenant-stalled:${id(3)}`, `opened tenant-stalled:${id(4)}`],
      [],
      [],
      [`resolved tenant-stalled:${id(1)}`, `resolved tenant-stalled:${id(3)}`, `resolved tenant-stalled:${id(4)}`],
    ]);
    expect(out[3].map((t) => t.incident.resolution)).toEqual(['polled', 'disabled', 'removed']);
    expect(state.incidents).toEqual({});
    expect(state.tenantsCheckedAt).toBe(at(10));
    // One sequence for all tenants: the state does not keep a counter per tenant ever stalled.
    expect(Object.keys(state.sequences)).toEqual(['tenant-stalled']);
    expect(new Set(out[0].map((t) => watchdogAlert(home, t).id)).size).toBe(3);
  });

  it('a tenant whose sign-in starts failing leaves the stall to its own graph-auth incident', () => {
    const { out } = play([run(0, [status(1, 'stalled')]), run(5, [status(1, 'sign-in-failing')])]);
    expect(out[1].map((t) => [t.change, t.incident.resolution])).toEqual([['resolved', 'sign-in-failing']]);
  });

  it('the message names the tenant, how long it has not been polled and what to check; resolved is low', () => {
    const { out } = play([run(0, [status(1, 'stalled', 125)]), run(5, [status(1, 'polled', 1)])]);
    const opened = watchdogAlert(home, out[0][0]);
    expect(opened.severity).toBe('high');
    expect(opened.ruleName).toBe(`Watchdog: tenant 'Tenant 1' (${id(1)}) is not being polled`);
    expect(opened.ruleDescription).toContain('not polled for 2 h 5 min (checkpoint at 2026-11-25 07:55 UTC)');
    for (const hint of [
      'pollTenant',
      'tenant-polls-poison',
      `pki-alerts tenants check ${id(1)}`,
      'Application Insights',
    ])
      expect(opened.ruleDescription).toContain(hint);
    const resolved = watchdogAlert(home, out[1][0]);
    expect(resolved.severity).toBe('low');
    expect(resolved.ruleName).toBe(`Resolved: tenant 'Tenant 1' (${id(1)}) is polled again`);
    expect(resolved.id).not.toBe(opened.id);
  });

  it(`at most ${maxTenantStallIncidents} tenants get their own incident; one more counts the rest`, () => {
    const many = Array.from({ length: maxTenantStallIncidents + 5 }, (_, i) => status(i + 1, 'stalled', 30 + i));
    const { out, state } = play([run(0, many), run(5, many.slice(0, maxTenantStallIncidents))]);
    const own = out[0].filter((t) => t.incident.subject);
    expect(own).toHaveLength(maxTenantStallIncidents);
    // The longest stalled get their own (ids 25 … 6); the 5 shortest are counted.
    expect(own.map((t) => t.incident.subject)).not.toContain(id(1));
    const rest = out[0].find((t) => !t.incident.subject)!;
    expect(rest.incident.detail).toMatch(/^5 more tenant\(s\) not polled: Tenant 5 /);
    // Tenants 21–25 are gone: their slots go to the 5 still stalled, and the count resolves.
    const expected = [
      ...[1, 2, 3, 4, 5].map((n) => `opened tenant-stalled:${id(n)}`),
      ...[21, 22, 23, 24, 25].map((n) => `resolved tenant-stalled:${id(n)}`),
      'resolved tenant-stalled',
    ];
    expect(keys(out[1]).sort()).toEqual(expected.sort());
    expect(Object.keys(state.incidents)).toHaveLength(maxTenantStallIncidents);
    expect(JSON.stringify(state).length).toBeLessThan(15_000);
  });

  it('health: degraded (200) while a tenant-stalled incident is open, read from the home watch state only', () => {
    const { state } = play([run(0, [status(1, 'stalled')])]);
    const input = { now, checkpoint: { scannedTo: at(0), complete: true }, ruleProblems: [], settings };
    const report = evaluateHealth({ ...input, watch: state });
    expect(report.status).toBe('degraded');
    expect(report.checks.tenants).toEqual({
      status: 'warn',
      message: `registered tenant(s) not polled: Tenant 1 (${id(1)})`,
    });
    expect(publicHealth(report).checks.tenants).toBe('warn');
    expect(evaluateHealth({ ...input, watch: emptyWatchState() }).checks.tenants.status).toBe('ok');
  });
});
