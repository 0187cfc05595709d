import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, inject } from 'vitest';
import { resetServices } from '../../src/composition/appServices';
import { appSettings } from '../../src/config/settings';
import { loadConfig } from '../../src/config/config';
import { createServices, type ServiceOverrides, type Services } from '../../src/composition/services';
import { GraphSimulator } from '../../src/local/graphSimulator';
import type { GraphServerMode } from '../../src/local/graphServerModes';
import { createLogger, type Logger } from '../../src/shared/logger';
import { expectValidAdaptiveCards } from './adaptiveCards';
import { startReceiver } from './httpReceiver';

export const webhookSecret = 'sig-SECRET-0123456789abcdef';

/** What a Teams receiver got: one entry per POST, with the alert id and labels read off the card. */
export interface ReceivedCard {
  alertId: string;
  /** Answered 2xx with nothing that reads as an error: the card counts as delivered. */
  accepted: boolean;
  possibleDuplicate: boolean;
  /** A watchdog or heartbeat message (rule id `watchdog:…`), not a rule alert. */
  watchdog: boolean;
  text: string;
}

/**
 * The whole pipeline on real local parts: in-process Azurite (global setup), the Graph simulator
 * reached through the real Graph SDK, and a real HTTP receiver in place of Teams. The clock is
 * controlled; `services()` builds a fresh set (a "new process") over the same storage.
 */
export async function startPipeline(
  options: { env?: Record<string, string>; now?: Date; graphMode?: GraphServerMode } = {},
) {
  // `graphMode`: run the same test against each Graph behaviour (describe.each(graphServerModes)).
  const sim = await GraphSimulator.start(options.graphMode ? { mode: options.graphMode } : {});
  const teams = await startReceiver();
  const tenantId = `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const env: Record<string, string> = {
    AzureWebJobsStorage: inject('tablesConnectionString'),
    GRAPH_BASE_URL: sim.baseUrl,
    AZURE_TENANT_ID: tenantId,
    TEAMS_WEBHOOK_URL: `${teams.url}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sig=${webhookSecret}`,
    ALLOW_LOOPBACK_WEBHOOKS: 'true',
    GRAPH_RETRY_DELAY_SECONDS: '0',
    GRAPH_MAX_RETRIES: '2',
    GRAPH_REQUEST_TIMEOUT_MS: '1500',
    DELIVERY_TIMEOUT_MS: '1000',
    DELIVERY_RETRY_BASE_SECONDS: '30',
    // Off unless a test is about group windows: most tests count one card per alert.
    ALERT_GROUP_WINDOW_MINUTES: '0',
    ...options.env,
  };
  const clock = { now: options.now ?? new Date('2026-11-25T10:00:00.000Z') };
  const logs: string[] = [];
  const log: Logger = createLogger((level, line) => logs.push(`${level} ${line}`));
  const services = (overrides: ServiceOverrides = {}): Services =>
    createServices(loadConfig(env), { clock: () => clock.now, random: () => 0.5, tablePrefix: tenantId, ...overrides });

  return {
    sim,
    teams,
    env,
    tenantId,
    clock,
    logs,
    log,
    services,
    /** Moves the clock forward. */
    advance(minutes: number) {
      clock.now = new Date(clock.now.getTime() + minutes * 60_000);
    },
    /** Every card the Teams receiver got, in order. */
    cards(): ReceivedCard[] {
      return teams.requests.map((r) => {
        // Every card a test produces must parse with the official Adaptive Cards SDK.
        expectValidAdaptiveCards(r.body);
        const text = JSON.stringify(r.body);
        const alertId = /Alert ([0-9a-f]{32})/.exec(text)?.[1] ?? '';
        const answer = r.answeredWith;
        const accepted =
          answer !== undefined &&
          answer.status >= 200 &&
          answer.status < 300 &&
          (answer.body === undefined || answer.body === '' || answer.body === '1');
        return {
          alertId,
          accepted,
          possibleDuplicate: text.includes('Possible duplicate'),
          watchdog: text.includes('rule watchdog:'),
          text,
        };
      });
    },
    async close() {
      await sim.close();
      await teams.close();
    },
  };
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** Rule-alert cards that were accepted by the receiver (watchdog / heartbeat messages: {@link watchdogCards}). */
export const acceptedCards = (p: Pipeline): ReceivedCard[] => p.cards().filter((c) => c.accepted && !c.watchdog);

/** Watchdog and heartbeat cards that were accepted by the receiver. */
export const watchdogCards = (p: Pipeline): ReceivedCard[] => p.cards().filter((c) => c.accepted && c.watchdog);

/** Alert ids of accepted cards, failing the test on an unlabelled duplicate. */
export function deliveredAlertIds(p: Pipeline): string[] {
  const seen = new Map<string, number>();
  for (const c of acceptedCards(p)) {
    if (seen.has(c.alertId) && !c.possibleDuplicate)
      throw new Error(`unlabelled duplicate card for alert ${c.alertId}`);
    seen.set(c.alertId, (seen.get(c.alertId) ?? 0) + 1);
  }
  return [...seen.keys()].sort();
}

/**
 * For tests of entry points that read `process.env` (functions, CLI): before each test, a pipeline on real
 * time whose settings replace every app setting in the environment; after it, the environment restored and
 * the cached services dropped. Returns a getter for the current pipeline.
 */
export function usePipelineEnvironment(
  options: { env?: Record<string, string>; graphMode?: GraphServerMode } = {},
): () => Pipeline {
  let current: Pipeline | undefined;
  const saved = { ...process.env };
  beforeEach(async () => {
    current = await startPipeline({ now: new Date(), env: options.env, graphMode: options.graphMode });
    for (const spec of appSettings) delete process.env[spec.name];
    Object.assign(process.env, current.env);
    resetServices();
  });
  afterEach(async () => {
    process.env = { ...saved };
    resetServices();
    await current?.close();
  });
  return () => current!;
}
