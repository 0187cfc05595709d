import { describe, expect, it } from 'vitest';
import { type ChangeWindow, parseWindowInput, windowCovers } from '../../../src/dispatch/changeWindow';
import type { AlertRule } from '../../../src/rules/alertRule';
import { ValidationError } from '../../../src/shared/errors';
import { sampleEvent, sampleResource } from '../../helpers/alertFixtures';

const now = new Date('2026-11-25T10:00:00.000Z');
const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();
const valid = { scope: { ruleIds: ['r1'] }, end: at(60), reason: 'Planned change' };

describe('parseWindowInput', () => {
  it('accepts a window, defaults its start to now, and drops empty scope lists', () => {
    expect(parseWindowInput({ ...valid, scope: { ruleIds: ['r1'], caIds: [] } }, now)).toEqual({
      scope: { ruleIds: ['r1'] },
      start: now.toISOString(),
      end: at(60),
      reason: 'Planned change',
    });
    expect(parseWindowInput({ ...valid, start: at(-4), owner: 'pki-team' }, now)).toMatchObject({
      start: at(-4),
      owner: 'pki-team',
    });
  });

  it.each([
    ['no scope list', { scope: {} }, 'scope'],
    ['only empty lists', { scope: { actors: [], caIds: [] } }, 'scope'],
    ['an unknown scope key', { scope: { tenants: ['x'] } }, 'scope'],
    ['a blank entry', { scope: { ruleIds: [' '] } }, 'scope.ruleIds[0]'],
    ['an end that is not a date', { end: 'tomorrow' }, 'end'],
    ['an end before the start', { start: at(30), end: at(20) }, 'end'],
    ['an end already past', { start: at(-3), end: at(-1) }, 'end'],
    ['more than 7 days', { end: at(7 * 24 * 60 + 1) }, 'end'],
    ['a start more than 5 minutes ago', { start: at(-6) }, 'start'],
    ['an empty reason', { reason: ' ' }, 'reason'],
    ['an unknown field', { id: 'mine' }, 'id'],
  ])('rejects %s, naming %s', (_name, patch, field) => {
    try {
      parseWindowInput({ ...valid, ...patch }, now);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems.map((p) => p.field)).toContain(field);
    }
  });

  it('keeps the start of a started window but refuses to move it', () => {
    const existing = { start: at(-30) } as ChangeWindow;
    expect(parseWindowInput({ ...valid, end: at(10) }, now, existing).start).toBe(at(-30));
    expect(() => parseWindowInput({ ...valid, start: at(-20) }, now, existing)).toThrow(/start: cannot change/);
  });
});

describe('windowCovers', () => {
  const rule = { id: 'r1' } as AlertRule;
  const other = { id: 'r2' } as AlertRule;
  const base: ChangeWindow = {
    id: 'w',
    scope: {},
    start: at(0),
    end: at(60),
    reason: 'x',
    owner: 'o',
    createdBy: 'o',
    createdAt: at(0),
  };
  const event = sampleEvent({
    activityDateTime: at(10),
    resources: [sampleResource({ resourceId: 'CA-1' })],
    actor: { userPrincipalName: 'Alice@Contoso.com' },
  });

  it.each<[string, Partial<ChangeWindow>, AlertRule, ReturnType<typeof sampleEvent>, boolean]>([
    ['its rule', { scope: { ruleIds: ['r1'] } }, rule, event, true],
    ['another rule', { scope: { ruleIds: ['r1'] } }, other, event, false],
    ['its CA, any rule (case-insensitive)', { scope: { caIds: ['ca-1'] } }, other, event, true],
    ['another CA', { scope: { caIds: ['ca-2'] } }, rule, event, false],
    ['its actor (case-insensitive)', { scope: { actors: ['alice@contoso.com'] } }, rule, event, true],
    ['the app id as actor', { scope: { actors: ['11111111-2222-3333-4444-555555555555'] } }, rule, event, true],
    ['rule AND CA: both match', { scope: { ruleIds: ['r1'], caIds: ['ca-1'] } }, rule, event, true],
    ['rule AND CA: CA differs', { scope: { ruleIds: ['r1'], caIds: ['ca-9'] } }, rule, event, false],
    ['an event before the start', { scope: { ruleIds: ['r1'] }, start: at(11) }, rule, event, false],
    ['an event at the end (exclusive)', { scope: { ruleIds: ['r1'] }, end: at(10) }, rule, event, false],
    ['a summarized window', { scope: { ruleIds: ['r1'] }, summarizedAt: at(5) }, rule, event, false],
  ])('%s → %s', (_name, patch, r, e, expected) => {
    expect(windowCovers({ ...base, ...patch }, r, e)).toBe(expected);
  });
});
