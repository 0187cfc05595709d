import type { Timer } from '@azure/functions';
import { Cron } from 'croner';
import type { HostFunction, Invoke } from './hostFunction';

// The local functions host's timers: NCRONTAB schedules (UTC), a run never overlapping the previous one.

const MAX_TIMEOUT_MS = 30_000; // re-check the clock at least this often (sleep, clock changes)
const NEVER = '0001-01-01T00:00:00.000Z'; // what the Functions host reports as `last` before any run

export interface TimerFunction extends HostFunction {
  schedule: string;
  cron: Cron;
  running?: Promise<void>;
  lastDue?: Date;
  timeout?: NodeJS.Timeout;
}

export interface TimerRunner {
  /** One run of a timer; resolves when it ends. A tick while the previous run is still going is skipped. */
  runTimerOccurrence: (timer: TimerFunction, due: Date, reason: string) => Promise<void>;
  /** Schedules the timer's next occurrence after `after` (and each one after that) until the host closes. */
  arm: (timer: TimerFunction, after: Date) => void;
}

export function createTimerRunner(
  invoke: Invoke,
  log: (message: string) => void,
  isClosed: () => boolean,
): TimerRunner {
  function runTimerOccurrence(timer: TimerFunction, due: Date, reason: string): Promise<void> {
    if (timer.running) {
      log(
        `Timer '${timer.name}' skipped the occurrence due ${due.toISOString()}: its previous run is still in progress.`,
      );
      return timer.running.catch(() => undefined);
    }
    const startedAt = new Date();
    const next = timer.cron.nextRun(new Date(Math.max(startedAt.getTime(), due.getTime())));
    const input: Timer = {
      isPastDue: startedAt.getTime() - due.getTime() > 1000,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: timer.lastDue?.toISOString() ?? NEVER,
        next: next?.toISOString() ?? '',
        lastUpdated: startedAt.toISOString(),
      },
    };
    timer.lastDue = due;
    const run = (async () => {
      try {
        await invoke(timer, input, reason);
      } finally {
        timer.running = undefined; // before `run` settles, so an awaiting caller can start the next run at once
      }
    })();
    timer.running = run.catch(() => undefined);
    return run;
  }

  function arm(timer: TimerFunction, after: Date): void {
    const due = isClosed() ? null : timer.cron.nextRun(after);
    if (!due) return;
    const wait = (): void => {
      if (isClosed()) return;
      const remaining = due.getTime() - Date.now();
      if (remaining > 0) {
        timer.timeout = setTimeout(wait, Math.min(remaining, MAX_TIMEOUT_MS));
        return;
      }
      runTimerOccurrence(timer, due, `Timer fired at ${new Date().toISOString()}`).catch(() => undefined); // logged in invoke
      arm(timer, new Date(Math.max(Date.now(), due.getTime())));
    };
    wait();
  }

  return { runTimerOccurrence, arm };
}

export function createTimer(fn: HostFunction, env: NodeJS.ProcessEnv): TimerFunction {
  const raw = String(fn.trigger.schedule ?? '');
  const schedule = raw.replace(/%([^%]+)%/g, (_, setting: string) => {
    const value = env[setting]?.trim();
    if (!value)
      throw new Error(
        `Function '${fn.name}': the schedule '${raw}' needs the app setting ${setting}, which is not set`,
      );
    return value;
  });
  if (schedule.trim().split(/\s+/).length !== 6) {
    throw new Error(
      `Function '${fn.name}': schedule '${schedule}' must be an NCRONTAB expression with 6 fields ({second} {minute} {hour} {day} {month} {day-of-week})`,
    );
  }
  try {
    // NCRONTAB: six fields, UTC, and a day must match both day-of-month and day-of-week.
    const cron = new Cron(schedule, {
      timezone: 'UTC',
      mode: '6-part',
      domAndDow: true,
      sloppyRanges: true,
      paused: true,
    });
    return { ...fn, schedule, cron };
  } catch (error) {
    throw new Error(`Function '${fn.name}': invalid schedule '${schedule}': ${(error as Error).message}`, {
      cause: error,
    });
  }
}
