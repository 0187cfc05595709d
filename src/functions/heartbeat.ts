import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../composition/appServices';
import { createLogger } from '../shared/logger';

/** Timer: the heartbeat (coverage summary of the last 24 h) to every Teams channel, through the outbox. */
export async function heartbeat(timer: Timer, context: InvocationContext): Promise<void> {
  const log = createLogger((level, line) => context[level](line));
  if (timer.isPastDue) log.warn('Heartbeat timer is past due: a scheduled heartbeat was missed; sending it now');
  const services = getServices();
  await services.watch.heartbeat(new Date(), log);
  await services.deliver(log);
}

/**
 * The schedule to register with, or undefined (off). A timer cannot be registered with an empty
 * `%HEARTBEAT_SCHEDULE%`, so the function exists only when the setting is set (a change of app settings
 * restarts the app, which registers again).
 */
export const heartbeatSchedule = (env: Record<string, string | undefined>): string | undefined =>
  env.HEARTBEAT_SCHEDULE?.trim() ? '%HEARTBEAT_SCHEDULE%' : undefined;

const schedule = heartbeatSchedule(process.env);
if (schedule) app.timer('heartbeat', { schedule, handler: heartbeat });
