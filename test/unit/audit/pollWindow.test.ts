import { describe, expect, it } from 'vitest';
import { computeWindow, nextCheckpoint } from '../../../src/audit/pollWindow';

const now = new Date('2026-11-25T12:00:00.000Z');
const settings = { lookbackInMinutes: 15, initialLookbackInMinutes: 60 };

describe('computeWindow', () => {
  it.each([
    ['first run looks back the initial lookback', undefined, '2026-11-25T11:00:00.000Z', 'first-run'],
    [
      'complete checkpoint: lookback before it',
      { scannedTo: '2026-11-25T11:59:00.000Z', complete: true },
      '2026-11-25T11:44:00.000Z',
      'lookback',
    ],
    [
      'a backlog re-reads the lookback too (late events)',
      { scannedTo: '2026-11-20T03:00:00.000Z', complete: false },
      '2026-11-20T02:45:00.000Z',
      'lookback',
    ],
    [
      'checkpoint in the future (clock skew) is clamped to now',
      { scannedTo: '2026-11-25T13:00:00.000Z', complete: true },
      '2026-11-25T11:45:00.000Z',
      'lookback',
    ],
    [
      'an unreadable checkpoint starts over',
      { scannedTo: 'garbage', complete: true },
      '2026-11-25T11:00:00.000Z',
      'first-run',
    ],
  ] as const)('%s', (_n, checkpoint, from, basis) => {
    const w = computeWindow(checkpoint, now, settings);
    expect(w.from.toISOString()).toBe(from);
    expect(w.to).toEqual(now);
    expect(w.basis).toBe(basis);
  });
});

describe('nextCheckpoint', () => {
  const window = { from: new Date('2026-11-25T11:45:00.000Z'), to: now, basis: 'lookback' as const };
  const at = (iso: string) => Date.parse(iso);
  it.each([
    [
      'caught up',
      { scannedTo: '2026-11-25T11:59:00.000Z', complete: true },
      at('2026-11-25T12:00:00.000Z'),
      undefined,
      { scannedTo: '2026-11-25T12:00:00.000Z', complete: true },
    ],
    [
      'part of the way, with the slice length learned',
      { scannedTo: '2026-11-25T11:59:00.000Z', complete: true },
      at('2026-11-25T11:59:30.000Z'),
      5000,
      { scannedTo: '2026-11-25T11:59:30.000Z', complete: false, sliceInMs: 5000 },
    ],
    [
      'never backwards (only the lookback was read)',
      { scannedTo: '2026-11-25T11:59:00.000Z', complete: true },
      at('2026-11-25T11:50:00.000Z'),
      undefined,
      undefined,
    ],
    [
      'no progress, a new slice length: kept',
      { scannedTo: '2026-11-25T11:59:00.000Z', complete: false },
      at('2026-11-25T11:59:00.000Z'),
      250,
      { scannedTo: '2026-11-25T11:59:00.000Z', complete: false, sliceInMs: 250 },
    ],
    [
      'a first run that got nowhere keeps what it learned',
      undefined,
      at('2026-11-25T11:45:00.000Z'),
      1000,
      { scannedTo: '2026-11-25T11:45:00.000Z', complete: false, sliceInMs: 1000 },
    ],
    [
      'a first run that got nowhere and learned nothing: no checkpoint',
      undefined,
      at('2026-11-25T11:45:00.000Z'),
      undefined,
      undefined,
    ],
  ] as const)('%s', (_n, previous, completedTo, slice, expected) => {
    expect(nextCheckpoint(previous, window, completedTo, slice)).toEqual(expected);
  });
});
