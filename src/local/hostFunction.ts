import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type LogLevel } from '@azure/functions';
import type { CoreBinding, Registration } from './functionsCoreShim';
import { describeError } from './hostHttpIo';

/** One function the local host loaded: its registration and its trigger binding. */
export interface HostFunction {
  name: string;
  registration: Registration;
  trigger: CoreBinding;
}

/** Runs one invocation of a function with an InvocationContext, logging like the Functions host. */
export type Invoke = (
  fn: HostFunction,
  input: unknown,
  reason: string,
  invocationId?: string,
  /** `context.triggerMetadata` (queue triggers: id, dequeueCount, ...); the worker gives none for HTTP and timers. */
  triggerMetadata?: Record<string, unknown>,
) => Promise<unknown>;

/** The host's invoker, and the invocations still running (what `close` waits for). */
export function createInvoker(log: (message: string) => void): { invoke: Invoke; inFlight: Set<Promise<unknown>> } {
  const inFlight = new Set<Promise<unknown>>();

  async function invoke(
    fn: HostFunction,
    input: unknown,
    reason: string,
    invocationId: string = randomUUID(),
    triggerMetadata?: Record<string, unknown>,
  ): Promise<unknown> {
    const started = Date.now();
    log(`Executing 'Functions.${fn.name}' (Reason='${reason}', Id=${invocationId})`);
    const context = new InvocationContext({
      invocationId,
      functionName: fn.name,
      logHandler: (level: LogLevel, ...args: unknown[]) => {
        if (level === 'trace' || level === 'debug' || level === 'none') return;
        log(`${level === 'information' ? '' : `${level.toUpperCase()}: `}[${fn.name}] ${format(...args)}`);
      },
      options: { trigger: fn.trigger, extraInputs: [], extraOutputs: [] },
      triggerMetadata,
    });
    const run = (async () => fn.registration.callback(input, context))();
    inFlight.add(run);
    try {
      const result = await run;
      log(`Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      return result;
    } catch (error) {
      log(`Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      log(`ERROR: Functions.${fn.name} (Id=${invocationId}) threw ${describeError(error)}`);
      throw error;
    } finally {
      inFlight.delete(run);
    }
  }

  return { invoke, inFlight };
}
