import { parseGraphDate } from '../audit/toAuditEvent';

/**
 * Moves a Graph export in time so its newest event happened `lastAgeInMs` before `now` (SIMULATOR_EVENTS_FILE):
 * a real incident's audit log then falls inside the first poll's window. Every `activityDateTime` moves by
 * the same whole number of milliseconds, keeping Graph's sub-millisecond digits and the gaps between events;
 * everything else (ids, text, dates inside modifiedProperties) is left as exported. Pure.
 */
export function shiftEvents(
  events: readonly unknown[],
  now: Date,
  lastAgeInMs = 60_000,
): { events: unknown[]; shiftInMs: number } {
  const times = events.map((e) => timeOf(e)).filter((t) => !Number.isNaN(t));
  if (times.length === 0) return { events: [...events], shiftInMs: 0 };
  const shiftInMs = now.getTime() - lastAgeInMs - Math.max(...times);
  const shifted = events.map((e) => {
    const t = timeOf(e);
    if (Number.isNaN(t)) return e;
    const text = (e as { activityDateTime: string }).activityDateTime;
    const subMs = /\.\d{3}(\d*)(?:Z|[+-]\d{2}:\d{2})$/i.exec(text)?.[1] ?? '';
    const moved = new Date(t + shiftInMs).toISOString().replace(/Z$/, `${subMs}Z`);
    return { ...(e as object), activityDateTime: moved };
  });
  return { events: shifted, shiftInMs };
}

function timeOf(event: unknown): number {
  const text = (event as { activityDateTime?: unknown } | null)?.activityDateTime;
  return typeof text === 'string' ? parseGraphDate(text) : Number.NaN;
}
