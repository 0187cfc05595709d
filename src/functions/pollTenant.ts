import { app, type InvocationContext } from '@azure/functions';
import { getServices } from '../composition/appServices';
import { createLogger } from '../shared/logger';
import { poisonQueueName, tenantPollQueueName } from '../state/storageQueues';

/**
 * Queue trigger: one message of the poll queue = one cycle (detect, record, deliver) of one tenant
 * (docs/multi-tenant.md). The Functions host runs up to batchSize + newBatchThreshold at once per instance,
 * retries a failed message maxDequeueCount times (host.json), then moves it to the poison queue.
 */
export async function pollTenant(message: unknown, context: InvocationContext): Promise<void> {
  const log = createLogger((level, line) => context[level](line));
  const outcome = await getServices().tenants.runMessage(message, log);
  if (outcome.kind === 'polled' && outcome.pollError)
    log.warn(`Tenant ${outcome.tenantId}: poll failed (${outcome.authState}): ${outcome.pollError}`);
}

/** Poison queue trigger: a poll message that failed every attempt, or could not be read: an operator alert. */
export async function tenantPollPoison(message: unknown, context: InvocationContext): Promise<void> {
  const log = createLogger((level, line) => context[level](line));
  const meta = context.triggerMetadata ?? {};
  await getServices().tenants.poisoned(
    message,
    {
      messageId: typeof meta.id === 'string' ? meta.id : context.invocationId,
      dequeueCount: typeof meta.dequeueCount === 'number' ? meta.dequeueCount : undefined,
    },
    log,
  );
}

app.storageQueue('pollTenant', {
  queueName: tenantPollQueueName,
  connection: 'AzureWebJobsStorage',
  handler: pollTenant,
});
app.storageQueue('tenantPollPoison', {
  queueName: poisonQueueName(tenantPollQueueName),
  connection: 'AzureWebJobsStorage',
  handler: tenantPollPoison,
});
