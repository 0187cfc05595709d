import { describe, expect, it } from 'vitest';
import { getServices } from '../../src/composition/appServices';
import { doctor } from '../../src/functions/doctor';
import { healthDetail } from '../../src/functions/health';
import { callApi, entraBehindEasyAuth, principalHeader } from '../helpers/apiCalls';
import { usePipelineEnvironment, webhookSecret } from '../helpers/pipeline';

describe('GET /api/doctor (reader role) on the running app, against the Graph simulator', () => {
  const pipeline = usePipelineEnvironment({
    env: { ...entraBehindEasyAuth, READER_APP_ROLE: 'PkiAlerts.Reader', ADMIN_APP_ROLE: 'PkiAlerts.Admin' },
  });

  it('answers a reader with the report: every required check passed, no secret', async () => {
    const answer = await callApi(doctor, {
      method: 'GET',
      path: 'doctor',
      headers: principalHeader('rita@contoso.com', ['PkiAlerts.Reader']),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.ok).toBe(true);
    expect(answer.body.checks.map((c: { id: string }) => c.id)).toEqual(
      expect.arrayContaining(['settings', 'storage', 'audit-events', 'activity-types', 'channel:teams', 'admin-auth']),
    );
    expect(JSON.stringify(answer.body)).not.toContain(webhookSecret);
    // A GET sends nothing.
    expect(pipeline().teams.requests).toHaveLength(0);
  });

  it('refuses a caller without the reader role', async () => {
    expect((await callApi(doctor, { method: 'GET', path: 'doctor' })).status).toBe(401);
    expect(
      (await callApi(doctor, { method: 'GET', path: 'doctor', headers: principalHeader('eve@contoso.com', []) }))
        .status,
    ).toBe(403);
  });

  it('health detail lists the query options the server refused', async () => {
    const p = pipeline();
    p.sim.injectFault({ kind: 'status', status: 400 }, { on: 'firstPage' });
    const services = getServices(); // what the handlers use
    for await (const page of services.source.listPages({
      from: new Date(Date.now() - 60_000),
      to: new Date(),
      basis: 'lookback',
    }))
      void page;
    const detail = await callApi(healthDetail, {
      method: 'GET',
      path: 'health/detail',
      headers: principalHeader('rita@contoso.com', ['PkiAlerts.Reader']),
    });
    expect(detail.body.graph.query).toEqual([
      expect.stringMatching(/^\$orderby=activityDateTime desc: refused, not sent \(since .*Graph answered 400/),
    ]);
  });
});
