import { InvocationContext, type Timer } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';
import { getServices, resetServices } from '../../src/composition/appServices';
import { pollAuditEvents } from '../../src/functions/pollAuditEvents';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent } from '../helpers/graphEvents';
import { acceptedCards, type Pipeline, usePipelineEnvironment, webhookSecret } from '../helpers/pipeline';

const timer = (isPastDue = false): Timer => ({
  isPastDue,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
});

// Real time here: the handler builds its services from the environment with the real clock.
const pipeline = usePipelineEnvironment();
let p: Pipeline;
beforeEach(() => {
  p = pipeline();
});

function context() {
  const lines: string[] = [];
  const ctx = new InvocationContext({
    invocationId: 'inv-1',
    functionName: 'pollAuditEvents',
    logHandler: (level, ...args) => lines.push(`${level} ${args.join(' ')}`),
  });
  return { ctx, lines };
}

describe('pollAuditEvents timer function', () => {
  it('runs one cycle from app settings: a CA certificate revocation becomes one Teams card', async () => {
    p.sim.addEvents([graphEvent({ type: T.caCertificateRevoked, at: new Date(Date.now() - 120_000) })]);
    const { ctx, lines } = context();
    await pollAuditEvents(timer(), ctx);
    expect(acceptedCards(p)).toHaveLength(1);
    expect(acceptedCards(p)[0].text).toContain('CRITICAL');
    expect(lines.some((l) => l.startsWith('information Delivered alert'))).toBe(true);
    expect(lines.join('\n')).not.toContain(webhookSecret);
  });

  it('logs a missed occurrence (isPastDue), counts it in the run ledger and still polls', async () => {
    const { ctx, lines } = context();
    await pollAuditEvents(timer(true), ctx);
    expect(lines.some((l) => l.startsWith('warning Timer is past due'))).toBe(true);
    expect(p.sim.requests.length).toBe(1);
    const [run] = await getServices().watch.store.list(p.tenantId, new Date(0)); // the function's own services (no table prefix)
    expect(run).toMatchObject({ pastDue: true, trigger: 'timer', pollFailed: false });
    expect(lines.some((l) => l.includes('metric pki.run') && l.includes('"pastDue":true'))).toBe(true);
  });

  it('fails the invocation when Graph fails, after delivering what was already detected', async () => {
    process.env.DELIVERY_RETRY_BASE_SECONDS = '0';
    resetServices();
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: new Date(Date.now() - 120_000) })]);
    p.teams.respondWith({ status: 503 }, 1);
    await pollAuditEvents(timer(), context().ctx); // detected; delivery failed and is pending
    expect(acceptedCards(p)).toHaveLength(0);
    p.sim.injectFault({ kind: 'status', status: 403 }, { times: 1 });
    const { ctx } = context();
    await expect(pollAuditEvents(timer(), ctx)).rejects.toThrow(/Poll failed: .*403/);
    expect(acceptedCards(p)).toHaveLength(1);
  });

  it('a bad setting fails the invocation naming every bad setting, without leaking secrets', async () => {
    process.env.LOOKBACK_MINUTES = 'fifteen';
    process.env.GRAPH_PAGE_SIZE = '5000';
    process.env.TEAMS_WEBHOOK_URL = 'https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/0123/owner';
    resetServices();
    const err = await pollAuditEvents(timer(), context().ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain('LOOKBACK_MINUTES');
    expect(message).toContain('GRAPH_PAGE_SIZE');
    expect(message).not.toContain('IncomingWebhook/0123');
  });
});
