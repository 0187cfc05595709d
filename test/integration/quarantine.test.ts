import { RestError } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { listQuarantine, retryQuarantined } from '../../src/admin/quarantine';
import { deliveryCommand } from '../../src/cli/deliveryCommands';
import type { PipelinePolicy } from '../../src/state/tableClients';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { acceptedCards, type Pipeline, startPipeline, watchdogCards } from '../helpers/pipeline';

let p: Pipeline;
afterEach(async () => p?.close());

/** Table Storage refusing the content of one rule's alert writes (as it answers 400 to an entity it cannot take). */
function refuseAlertsOf(ruleId: string, refusing: () => boolean): PipelinePolicy {
  return {
    name: 'refuse-alert-content',
    sendRequest: async (request, next) => {
      const body = typeof request.body === 'string' ? request.body : '';
      if (refusing() && body.includes(`"ruleId":"${ruleId}"`) && body.includes('"RowKey":"a|'))
        throw new RestError('PropertyValueTooLarge', { statusCode: 400, request });
      return next(request);
    },
  };
}

describe('quarantine: an alert that cannot be stored is set aside; the others and the run go on', () => {
  it('sets it aside with a watchdog notice, reports it in health, and a retry writes and delivers it', async () => {
    p = await startPipeline();
    p.sim.addEvents([
      graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 3) }),
      graphEvent({ type: T.caStatusChanged, at: minutesBefore(p.clock.now, 2) }),
    ]);
    let refusing = true;
    const faulty = () => p.services({ tablePolicies: [refuseAlertsOf('cloudpki-ca-deleted', () => refusing)] });
    const r1 = await faulty().cycle(p.log);
    expect(r1.pollError).toBeUndefined();
    expect(r1.poll).toMatchObject({ quarantined: 1, checkpoint: { complete: true } });
    expect(acceptedCards(p).map((c) => /rule ([a-z0-9-]+)/.exec(c.text)?.[1])).toEqual(['cloudpki-ca-status-changed']);
    expect(watchdogCards(p).some((c) => c.text.includes('quarantine'))).toBe(true);
    expect(p.logs.some((l) => l.includes('set aside in the quarantine'))).toBe(true);
    // Re-reads of the lookback do not set it aside again.
    p.advance(1);
    const r2 = await faulty().cycle(p.log);
    expect(r2.poll).toMatchObject({ quarantined: 0, alerts: 0 });
    const items = await listQuarantine(p.services());
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      ruleId: 'cloudpki-ca-deleted',
      matchCount: 1,
      retries: 0,
      alert: { eventCount: 1 },
    });
    expect(items[0].reason).toMatch(/400/);
    expect((await p.services().watch.healthDetail()).quarantine).toMatchObject({ count: 1 });
    // Still refused: the item stays, the attempt counted.
    await expect(retryQuarantined(faulty(), items[0].id)).rejects.toThrow(/still refused/);
    expect((await listQuarantine(p.services()))[0].retries).toBe(1);
    // The cause fixed: the CLI retries it, and the next cycle delivers it.
    refusing = false;
    const out: string[] = [];
    expect(await deliveryCommand('quarantine', ['retry', items[0].id], (l) => out.push(l), p.services())).toBe(0);
    expect(JSON.parse(out[0])).toEqual({ id: items[0].id, outcome: 'written' });
    await p.services().cycle(p.log);
    expect(
      acceptedCards(p)
        .filter((c) => !c.watchdog)
        .map((c) => /rule ([a-z0-9-]+)/.exec(c.text)?.[1])
        .sort(),
    ).toEqual(['cloudpki-ca-deleted', 'cloudpki-ca-status-changed']);
    expect(await listQuarantine(p.services())).toEqual([]);
  });
});
