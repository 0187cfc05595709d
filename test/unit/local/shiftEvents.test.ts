import { describe, expect, it } from 'vitest';
import { shiftEvents } from '../../../src/local/shiftEvents';

describe('shiftEvents (SIMULATOR_EVENTS_FILE)', () => {
  const now = new Date('2026-12-03T12:00:00.000Z');

  it('moves the newest event to a minute ago, keeps gaps and sub-millisecond digits, leaves the rest alone', () => {
    const events = [
      {
        id: 'a',
        activityDateTime: '2024-08-09T18:29:00.7023255Z',
        resources: [{ modifiedProperties: [{ newValue: '8/9/2024 6:29:00 PM' }] }],
      },
      { id: 'b', activityDateTime: '2024-08-09T18:30:30Z' },
      { id: 'bad', activityDateTime: 'yesterday' },
      'not an object',
    ];
    const { events: out, shiftInMs } = shiftEvents(events, now);
    expect((out[1] as { activityDateTime: string }).activityDateTime).toBe('2026-12-03T11:59:00.000Z');
    expect((out[0] as { activityDateTime: string }).activityDateTime).toBe('2026-12-03T11:57:30.7023255Z');
    expect(out[0]).toMatchObject({
      id: 'a',
      resources: [{ modifiedProperties: [{ newValue: '8/9/2024 6:29:00 PM' }] }],
    });
    expect(out.slice(2)).toEqual(events.slice(2));
    expect(shiftInMs).toBe(now.getTime() - 60_000 - Date.parse('2024-08-09T18:30:30Z'));
    expect(events[0]).toMatchObject({ activityDateTime: '2024-08-09T18:29:00.7023255Z' }); // input untouched
  });

  it('an export with no readable date is served as is', () => {
    expect(shiftEvents([{ id: 'x' }], now)).toEqual({ events: [{ id: 'x' }], shiftInMs: 0 });
  });
});
