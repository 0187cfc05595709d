import { afterEach, describe, expect, it } from 'vitest';
import { graphServerModes } from '../../src/local/graphServerModes';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { deliveredAlertIds, type Pipeline, startPipeline } from '../helpers/pipeline';

let p: Pipeline | undefined;
afterEach(async () => p?.close());

/**
 * The pipeline in each Graph server behaviour the simulator can play (src/local/graphServerModes.ts): asc
 * refused / honoured / ignored, repeated items, 429 without Retry-After, Intune error bodies, a hanging
 * nextLink. Reading must not depend on any of them: every match alerted once, the checkpoint caught up.
 */
describe.each(graphServerModes)('detection pipeline, Graph server mode %s', (mode) => {
  it('a backlog bigger than the page budget, a burst and a failed deletion: every match alerted exactly once, caught up', async () => {
    p = await startPipeline({
      graphMode: mode,
      env: { GRAPH_PAGE_SIZE: '8', GRAPH_MAX_PAGES_PER_RUN: '6', GRAPH_REQUEST_TIMEOUT_MS: '300' },
    });
    const at = (m: number, ms = 0) => new Date(minutesBefore(p!.clock.now, m).getTime() + ms);
    p.sim.addEvents([
      ...Array.from({ length: 30 }, (_, i) => graphEvent({ type: T.leafRevoked, at: at(50 - i) })),
      ...Array.from({ length: 15 }, () => graphEvent({ type: T.caPatched, at: at(9) })),
      graphEvent({ type: T.caDeleted, at: at(8), result: 'Failure' }),
      graphEvent({ type: T.caCertificateRevoked, at: at(7) }),
    ]);
    for (let i = 0; i < 25 && !(await p.services().checkpoints.get(p.tenantId))?.checkpoint.complete; i++) {
      await p.services().cycle(p.log);
      p.advance(1);
    }
    for (let i = 0; i < 3; i++) {
      await p.services().cycle(p.log);
      p.advance(3);
    }
    expect((await p.services().checkpoints.get(p.tenantId))?.checkpoint.complete).toBe(true);
    const alerts = await p.services().outbox.listAlerts(p.tenantId, { limit: 1000 });
    const byRule = new Map<string, number>();
    for (const { alert } of alerts)
      if (!alert.ruleId.startsWith('watchdog:'))
        byRule.set(alert.ruleId, (byRule.get(alert.ruleId) ?? 0) + alert.eventCount);
    expect(Object.fromEntries([...byRule].filter(([r]) => r !== 'cloudpki-leaf-mass-revocation'))).toEqual({
      'cloudpki-leaf-revoked': 30,
      'cloudpki-ca-updated': 15,
      'cloudpki-ca-deleted': 1,
      'cloudpki-action-failed': 1,
      'cloudpki-ca-certificate-revoked': 1,
    });
    expect(alerts.flatMap((a) => a.deliveries).filter((d) => d.state !== 'sent')).toEqual([]);
    deliveredAlertIds(p); // no unlabelled duplicate card
  });
});
