import { describe, expect, it } from 'vitest';
import { invertedTicks, ledgerRowKey } from '../../../src/state/tableWatchStore';
import { coverageStep, formatDuration, summarizeLedger } from '../../../src/watch/coverage';
import type { LedgerEntry } from '../../../src/watch/runLedger';

const t = (hhmm: string) => `2026-11-25T${hhmm}:00.000Z`;

describe('coverageStep: gaps behind the coverage frontier', () => {
  it.each<
    [
      string,
      string | undefined,
      string | undefined,
      string | undefined,
      { gap?: { from: string; to: string }; frontier?: string },
    ]
  >([
    [
      'first run ever: the frontier starts at what it covered',
      undefined,
      t('09:00'),
      t('10:00'),
      { frontier: t('10:00') },
    ],
    [
      'lookback overlap (window starts before the frontier): no gap',
      t('10:00'),
      t('09:45'),
      t('10:01'),
      { frontier: t('10:01') },
    ],
    ['resume exactly at the frontier: no gap', t('10:00'), t('10:00'), t('10:05'), { frontier: t('10:05') }],
    [
      'window starts after the frontier: the range between is a gap',
      t('10:00'),
      t('12:00'),
      t('13:00'),
      { gap: { from: t('10:00'), to: t('12:00') }, frontier: t('13:00') },
    ],
    ['a run that covered nothing proves nothing', t('10:00'), t('12:00'), undefined, { frontier: t('10:00') }],
    [
      'a run with no window (failed before it) moves nothing',
      t('10:00'),
      undefined,
      undefined,
      { frontier: t('10:00') },
    ],
    [
      'a partial run behind the frontier keeps the frontier',
      t('10:00'),
      t('09:45'),
      t('09:50'),
      { frontier: t('10:00') },
    ],
  ])('%s', (_name, frontier, from, covered, expected) => {
    expect(coverageStep(frontier, from, covered)).toEqual(expected);
  });
});

const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({
  runId: 'r',
  startedAt: t('10:00'),
  finishedAt: t('10:00'),
  durationInMs: 10,
  trigger: 'timer',
  pastDue: false,
  windowFrom: t('09:45'),
  windowTo: t('10:00'),
  basis: 'lookback',
  coveredTo: t('10:00'),
  frontier: t('10:00'),
  gapFrom: '',
  gapTo: '',
  pages: 1,
  events: 0,
  malformed: 0,
  rulesEvaluated: 0,
  ruleProblems: 0,
  matches: 0,
  duplicates: 0,
  alerts: 0,
  budgetExhausted: false,
  deliveriesDue: 0,
  sent: 0,
  retrying: 0,
  failed: 0,
  dead: 0,
  lagInSeconds: 0,
  graphRequests: 1,
  tableRequests: 4,
  pollFailed: false,
  error: '',
  graphStatus: 0,
  watchdogAlerts: 0,
  ...over,
});

describe('summarizeLedger', () => {
  it('adds up polls, failures, missed occurrences, events, alerts, deliveries and gaps', () => {
    const s = summarizeLedger([
      entry({ startedAt: t('10:02'), events: 3, matches: 2, alerts: 1, sent: 1, lagInSeconds: 30 }),
      entry({ startedAt: t('10:01'), pollFailed: true, error: 'x', coveredTo: '', retrying: 1, lagInSeconds: 90 }),
      entry({
        startedAt: t('10:00'),
        pastDue: true,
        gapFrom: t('08:00'),
        gapTo: t('09:45'),
        dead: 1,
        watchdogAlerts: 1,
      }),
    ]);
    expect(s).toEqual({
      polls: 3,
      failedPolls: 1,
      pastDue: 1,
      events: 3,
      matches: 2,
      alerts: 1,
      sent: 1,
      deliveryFailures: 2,
      watchdogAlerts: 1,
      gaps: [{ from: t('08:00'), to: t('09:45') }],
      maxLagInSeconds: 90,
      firstRunAt: t('10:00'),
      lastRunAt: t('10:02'),
    });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 min'],
    [59_000, '1 min'],
    [45 * 60_000, '45 min'],
    [125 * 60_000, '2 h 5 min'],
    [3 * 3_600_000, '3 h'],
    [50 * 3_600_000, '2 d 2 h'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('ledger row keys', () => {
  it('sort newest first and stay fixed-width', () => {
    const keys = [t('10:00'), t('10:01'), '2027-01-01T00:00:00.000Z', '2026-01-01T00:00:00.001Z'].map((iso) =>
      ledgerRowKey(new Date(iso), 'abcd'),
    );
    expect([...keys].sort()).toEqual([keys[2], keys[1], keys[0], keys[3]]);
    expect(new Set(keys.map((k) => k.length)).size).toBe(1);
    expect(invertedTicks(new Date(0))).toBe('2534023007999999999');
  });
});
