import { describe, expect, it } from 'vitest';
import { computeWindow } from '../../../src/audit/pollWindow';

const now = new Date('2026-11-25T12:00:00.000Z');
const settings = { lookbackInMinutes: 15, initialLookbackInMinutes: 60 };

describe('computeWindow', () => {
  it.each([
    ['first run looks back the initial lookback', undefined, '2026-11-25T11:00:00.000Z', 'first-run'],
    ['complete checkpoint: lookback before it', { scannedTo: '2026-11-25T11:59:00.000Z', complete: true }, '2026-11-25T11:44:00.000Z', 'lookback'],
    ['resume after budget: no lookback', { scannedTo: '2026-11-20T03:00:00.000Z', complete: false }, '2026-11-20T03:00:00.000Z', 'resume'],
    ['checkpoint in the future (clock skew) is clamped to now', { scannedTo: '2026-11-25T13:00:00.000Z', complete: true }, '2026-11-25T11:45:00.000Z', 'lookback'],
  ] as const)('%s', (_n, checkpoint, from, basis) => {
    const w = computeWindow(checkpoint, now, settings);
    expect(w.from.toISOString()).toBe(from);
    expect(w.to).toEqual(now);
    expect(w.basis).toBe(basis);
  });
});
