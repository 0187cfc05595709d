import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../composition/appServices';
import { loadConfig } from '../config/config';
import { createLogger } from '../shared/logger';

/** Timer: one poll cycle (detect, record in the outbox, deliver), or with registered tenants their dispatch. Schedule from TIMER_SCHEDULE. */
export async function pollAuditEvents(timer: Timer, context: InvocationContext): Promise<void> {
  const log = createLogger((level, line) => context[level](line));
  if (timer.isPastDue)
    log.warn('Timer is past due: a scheduled run was missed; this run covers the gap from the checkpoint');
  const services = getServices();
  // Registered tenants: only dispatch, one queue message per due tenant (pollTenant.ts runs each poll).
  // None: the home tenant's cycle runs here, as a single-tenant app.
  const registered = await services.tenants.registered();
  if (registered.length > 0) {
    const dispatched = await services.tenants.dispatch(log, registered);
    if (dispatched.failed > 0) throw new Error(`${dispatched.failed} tenant poll(s) could not be enqueued`);
    return;
  }
  const result = await services.cycle(log, { trigger: 'timer', pastDue: timer.isPastDue });
  // Fail the invocation so the host records it; what was detected is already safe in the outbox.
  if (result.pollError) throw new Error(`Poll failed: ${result.pollError}`);
}

app.timer('pollAuditEvents', { schedule: '%TIMER_SCHEDULE%', handler: pollAuditEvents });

// Under a Functions worker (the only place `@azure/functions-core` exists) a missing or invalid setting fails
// start-up here, with one message naming every bad setting, instead of failing every run a minute later.
if (runsUnderFunctionsWorker()) loadConfig();

function runsUnderFunctionsWorker(): boolean {
  try {
    // A plain require, as @azure/functions does: the worker may provide the module by intercepting loads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const core = require('@azure/functions-core') as { localHost?: boolean };
    // The local host's stand-in checks settings itself, after tests and `npm start` have set them.
    return core.localHost !== true;
  } catch {
    return false;
  }
}
