import { afterEach, describe, expect, it } from 'vitest';
import { GraphSimulator } from '../../../src/local/graphSimulator';

let sim: GraphSimulator;
afterEach(async () => sim?.close());

const call = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${sim.baseUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};
const mail = (to: string[], extra: Record<string, unknown> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    message: {
      subject: 'S',
      body: { contentType: 'HTML', content: '<p>x</p>' },
      toRecipients: to.map((address) => ({ emailAddress: { address } })),
      ...extra,
    },
    saveToSentItems: false,
  }),
});

describe('Graph simulator: Cloud PKI CA resources', () => {
  it('serves a CA by id (case-insensitive), lists CAs, 404 for an unknown id, and a forced status', async () => {
    sim = await GraphSimulator.start();
    sim.pki.addCertificationAuthority({ id: 'AB-1', displayName: 'Root', certificationAuthorityStatus: 'active' });
    expect(await call('/beta/deviceManagement/cloudCertificationAuthority/ab-1')).toMatchObject({
      status: 200,
      body: { id: 'AB-1', displayName: 'Root' },
    });
    expect((await call('/beta/deviceManagement/cloudCertificationAuthority')).body.value).toHaveLength(1);
    expect((await call('/beta/deviceManagement/cloudCertificationAuthority/nope')).body.error.code).toBe(
      'ResourceNotFound',
    );
    sim.pki.setCaReadStatus(403);
    expect((await call('/beta/deviceManagement/cloudCertificationAuthority/ab-1')).status).toBe(403);
    expect(sim.pki.caReads).toBe(4);
  });
});

describe('Graph simulator: sendMail', () => {
  it.each([
    [
      'a valid message',
      mail(['a@contoso.com'], { internetMessageHeaders: [{ name: 'x-alert-id', value: 'd1' }] }),
      202,
    ],
    ['no recipient', mail([]), 400],
    [
      'a custom header without x-',
      mail(['a@contoso.com'], { internetMessageHeaders: [{ name: 'alert-id', value: 'd1' }] }),
      400,
    ],
    ['not JSON', { method: 'POST', body: '{' }, 400],
  ])('%s → %i', async (_name, init, status) => {
    sim = await GraphSimulator.start();
    expect((await call('/v1.0/users/alerts%40contoso.com/sendMail', init)).status).toBe(status);
    expect(sim.pki.sentMail).toHaveLength(status === 202 ? 1 : 0);
    if (status === 202)
      expect(sim.pki.sentMail[0]).toMatchObject({
        mailbox: 'alerts@contoso.com',
        subject: 'S',
        to: ['a@contoso.com'],
        headers: { 'x-alert-id': 'd1' },
      });
  });

  it('plays queued failures with Retry-After, then accepts', async () => {
    sim = await GraphSimulator.start();
    sim.pki.failSendMail(429, { times: 2, retryAfterSeconds: 7 });
    const first = await call('/beta/users/a@contoso.com/sendMail', mail(['b@contoso.com']));
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await call('/beta/users/a@contoso.com/sendMail', mail(['b@contoso.com']))).status).toBe(429);
    expect((await call('/beta/users/a@contoso.com/sendMail', mail(['b@contoso.com']))).status).toBe(202);
  });
});
