import { describe, expect, it } from 'vitest';
import type { AlertRule, ThresholdSpec } from '../../../src/rules/alertRule';
import { evaluateThreshold, type ThresholdState, thresholdGroupKey } from '../../../src/rules/threshold';
import { ThresholdTracker } from '../../../src/rules/thresholdTracker';
import { sampleEvent, sampleResource } from '../../helpers/alertFixtures';

const spec: ThresholdSpec = { count: 3, windowInMinutes: 10, groupBy: 'actor' };
const T0 = Date.parse('2025-01-10T08:00:00Z');
const minute = (m: number, s = 0) => T0 + m * 60_000 + s * 1000;
const M0 = T0 / 60_000;
const state = (...pairs: [number, number][]): ThresholdState => ({ buckets: pairs.map(([m, c]) => [M0 + m, c]) });

describe('evaluateThreshold', () => {
  it.each([
    ['two events: below', undefined, [minute(0), minute(1)], false, 2],
    ['three events in one minute', undefined, [minute(0), minute(0, 10), minute(0, 59)], true, 3],
    ['three events within the window', undefined, [minute(0), minute(4), minute(9, 59)], true, 3],
    [
      'a window spans N + 1 minute buckets (never misses a burst inside N minutes)',
      undefined,
      [minute(0, 59), minute(5), minute(10, 1)],
      true,
      3,
    ],
    [
      'events more than N + 1 minutes apart never count together',
      undefined,
      [minute(0), minute(5), minute(11)],
      false,
      2,
    ],
    ['input order does not matter', undefined, [minute(9), minute(0), minute(4)], true, 3],
    ['stored counts add to new events', state([0, 2]), [minute(9)], true, 3],
    ['stored counts outside the window do not', state([0, 2]), [minute(20)], false, 1],
    ['a late event completes a window with later buckets', state([50, 2]), [minute(45)], true, 3],
    ['an old burst in the state does not fire again for a far event', state([0, 5]), [minute(30)], false, 1],
    ['no new events: nothing to decide', state([0, 5]), [], false, 0],
    ['non-finite and negative times are ignored', undefined, [Number.NaN, Infinity, -5, minute(0)], false, 1],
    [
      'a damaged stored state is ignored, not thrown on',
      { buckets: [['x', 1], [M0, -1], null, [M0, 2.5], [M0, 2]] } as unknown as ThresholdState,
      [minute(0)],
      true,
      3,
    ],
    ['a state that is not an object is ignored', 'garbage' as unknown as ThresholdState, [minute(0)], false, 1],
  ])('%s', (_n, before, times, fire, count) => {
    const d = evaluateThreshold(spec, before, times);
    expect({ fire: d.fire, count: d.count }).toEqual({ fire, count });
  });

  it('returns the merged state, ascending, one pair per minute', () => {
    const d = evaluateThreshold(spec, state([5, 1], [0, 2]), [minute(5, 30), minute(7)]);
    expect(d.state).toEqual(state([0, 2], [5, 2], [7, 1]));
  });

  it.each([
    [
      'drops minutes older than newest − N − retainLateInMinutes (default 60)',
      undefined,
      state([0, 2]),
      [minute(100)],
      state([100, 1]),
    ],
    ['keeps minutes inside the retention', undefined, state([30, 2]), [minute(100)], state([30, 2], [100, 1])],
    ['a shorter retention', 5, state([84, 1], [85, 1]), [minute(100)], state([85, 1], [100, 1])],
    ['an event older than the retention is not counted', 0, state([200, 1]), [minute(100)], state([200, 1])],
  ])('%s', (_n, retainLateInMinutes, before, times, after) => {
    expect(evaluateThreshold(spec, before, times, { retainLateInMinutes }).state).toEqual(after);
  });

  it('keeps the state compact: at most N + 1 + retention pairs, however many events', () => {
    let s: ThresholdState | undefined;
    for (let m = 0; m < 2000; m++)
      s = evaluateThreshold({ ...spec, windowInMinutes: 1440 }, s, [minute(m), minute(m, 30)]).state;
    expect(s!.buckets.length).toBe(1440 + 60 + 1);
    expect(JSON.stringify(s).length).toBeLessThan(30_000);
  });

  it('fires while a burst goes on (nothing is consumed)', () => {
    let s: ThresholdState | undefined;
    const fired = [0, 0, 0, 1, 1].map((_, i) => {
      const d = evaluateThreshold(spec, s, [minute(i)]);
      s = d.state;
      return d.fire;
    });
    expect(fired).toEqual([false, false, true, true, true]);
  });
});

describe('thresholdGroupKey', () => {
  const rule = (groupBy?: ThresholdSpec['groupBy']): AlertRule => ({
    id: 'r',
    name: 'r',
    enabled: true,
    severity: 'high',
    activityTypes: ['x'],
    channels: ['default'],
    threshold: groupBy ? { count: 2, windowInMinutes: 5, groupBy } : undefined,
  });
  it.each([
    [
      'actor: the UPN, lower-cased',
      rule('actor'),
      sampleEvent({ actor: { userPrincipalName: 'PkiAdmin@Contoso.com' } }),
      'pkiadmin@contoso.com',
    ],
    [
      'actor: else the application id',
      rule('actor'),
      sampleEvent({ actor: { userPrincipalName: null, applicationId: 'AAAA-1' } }),
      'aaaa-1',
    ],
    [
      'actor: else unknown',
      rule('actor'),
      sampleEvent({ actor: { userPrincipalName: null, applicationId: null } }),
      'unknown',
    ],
    [
      'resource: the first resource id',
      rule('resource'),
      sampleEvent({ resources: [sampleResource({ resourceId: 'CA-1' }), sampleResource({ resourceId: 'ca-2' })] }),
      'ca-1',
    ],
    [
      'resource: skips resources without an id',
      rule('resource'),
      sampleEvent({ resources: [sampleResource({ resourceId: null }), sampleResource({ resourceId: 'ca-2' })] }),
      'ca-2',
    ],
    ['resource: else unknown', rule('resource'), sampleEvent({ resources: [] }), 'unknown'],
    ['none', rule('none'), sampleEvent(), '*'],
    ['no threshold', rule(), sampleEvent(), '*'],
  ])('%s', (_n, r, e, key) => {
    expect(thresholdGroupKey(r, e)).toBe(key);
  });
});

describe('ThresholdTracker', () => {
  const massRevocation: AlertRule = {
    id: 'mass',
    name: 'm',
    enabled: true,
    severity: 'high',
    activityTypes: ['x'],
    channels: ['default'],
    threshold: { count: 20, windowInMinutes: 10, groupBy: 'actor' },
  };
  const revoke = (i: number, upn = 'a@contoso.com', secondsApart = 10) =>
    sampleEvent({ id: `e${i}`, activityTimeInMs: T0 + i * secondsApart * 1000, actor: { userPrincipalName: upn } });

  it('passes events of a rule without threshold straight through', () => {
    const plain = { ...massRevocation, threshold: undefined };
    expect(new ThresholdTracker().offer(plain, revoke(0))).toEqual([revoke(0)]);
  });

  it('holds matches back until the 20th within 10 minutes, releases them all, then passes each further one', () => {
    const tracker = new ThresholdTracker();
    const out = Array.from({ length: 25 }, (_, i) => tracker.offer(massRevocation, revoke(i)).map((e) => e.id));
    expect(out.slice(0, 19).every((ids) => ids.length === 0)).toBe(true);
    expect(out[19]).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
    expect(out.slice(20)).toEqual([['e20'], ['e21'], ['e22'], ['e23'], ['e24']]);
  });

  it('counts each actor apart', () => {
    const tracker = new ThresholdTracker();
    const released = Array.from({ length: 38 }, (_, i) =>
      tracker.offer(massRevocation, revoke(i, i % 2 ? 'a@contoso.com' : 'b@contoso.com')),
    ).flat();
    expect(released).toEqual([]);
  });

  it('never fires for a slow trickle (one a minute)', () => {
    const tracker = new ThresholdTracker();
    const released = Array.from({ length: 100 }, (_, i) =>
      tracker.offer(massRevocation, revoke(i, 'a@contoso.com', 60)),
    ).flat();
    expect(released).toEqual([]);
  });
});
