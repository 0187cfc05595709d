import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  parseWebhookSecret,
  parseWebhookSecrets,
  signWebhook,
} from '../../../../src/notifiers/webhook/standardWebhook';
import {
  buildWebhookPayload,
  maxWebhookPayloadBytes,
  webhookTypeFor,
} from '../../../../src/notifiers/webhook/webhookPayload';
import { cloudPkiActivityTypes as T, sampleAlert, sampleEvent, sampleResource } from '../../../helpers/alertFixtures';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const context = {
  deliveryId: 'alert1.siem',
  possibleDuplicate: false,
  intunePortalUrl: 'https://intune.microsoft.com',
};

describe('Standard Webhooks signing, verified by the independent standardwebhooks package', () => {
  it('signs id.timestamp.body so the reference verifier accepts it', () => {
    const body = buildWebhookPayload(sampleAlert(), context);
    const parsed = parseWebhookSecret(secret);
    if (!parsed.ok) throw new Error(parsed.message);
    const headers = signWebhook([parsed.key], 'alert1.siem', Math.floor(Date.now() / 1000), body);
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({
      type: 'pkica.ca.revoked',
      data: { alertId: 'alert-7f3c9a1e5b2d4c6f', deliveryId: 'alert1.siem' },
    });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('rejects a tampered body or a wrong secret', () => {
    const body = buildWebhookPayload(sampleAlert(), context);
    const parsed = parseWebhookSecrets(secret);
    if (!parsed.ok) throw new Error(parsed.message);
    const headers = signWebhook(parsed.keys, 'id-1', Math.floor(Date.now() / 1000), body);
    expect(() => new Webhook(secret).verify(body.replace('critical', 'low'), headers)).toThrow();
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(body, headers)).toThrow();
  });

  it('signs with every secret during a rotation (space-separated), each verifiable', () => {
    const next = `whsec_${randomBytes(24).toString('base64')}`;
    const parsed = parseWebhookSecrets(`${secret} ${next}`);
    if (!parsed.ok) throw new Error(parsed.message);
    const body = '{"type":"pkica.test","timestamp":"x","data":{}}';
    const headers = signWebhook(parsed.keys, 'id-2', Math.floor(Date.now() / 1000), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const s of [secret, next]) expect(() => new Webhook(s).verify(body, headers)).not.toThrow();
  });

  it.each([
    ['no prefix', randomBytes(32).toString('base64'), /whsec_/],
    ['not base64', 'whsec_***', /whsec_/],
    ['too short', `whsec_${randomBytes(8).toString('base64')}`, /24 to 64/],
    ['too long', `whsec_${randomBytes(80).toString('base64')}`, /24 to 64/],
  ])('refuses a secret that is %s, without echoing it', (_name, value, message) => {
    const parsed = parseWebhookSecret(value);
    expect(parsed).toMatchObject({ ok: false, message: expect.stringMatching(message) });
    if (!parsed.ok) expect(parsed.message).not.toContain(value.slice(6, 20));
  });
});

describe('webhook payload', () => {
  it.each([
    [T.caCertificateRevoked, 'pkica.ca.revoked'],
    [T.caDeleted, 'pkica.ca.deleted'],
    [T.caStatusChanged, 'pkica.ca.status_changed'],
    [T.leafRevoked, 'pkica.leaf.revoked'],
    [T.externalCaUploaded, 'pkica.ca.external_certificate_uploaded'],
    ['Something Else', 'pkica.alert'],
  ])('%s → type %s', (activityType, type) => {
    expect(webhookTypeFor(sampleAlert({ events: [sampleEvent({ activityType })] }))).toBe(type);
    expect(type).toMatch(/^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*$/);
  });

  it('stays ≤ 20 KB for a huge alert, with the exact count and how many events are omitted', () => {
    const big = 'x'.repeat(3000);
    const events = Array.from({ length: 10 }, (_, i) =>
      sampleEvent({
        id: `e${i}`,
        resources: [
          sampleResource({ displayName: big, modifiedProperties: [{ name: 'p', oldValue: big, newValue: big }] }),
        ],
      }),
    );
    const body = buildWebhookPayload(sampleAlert({ eventCount: 10_000, events }), context);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxWebhookPayloadBytes);
    const parsed = JSON.parse(body) as { data: { eventCount: number; events: unknown[]; eventsOmitted: number } };
    expect(parsed.data.eventCount).toBe(10_000);
    expect(parsed.data.eventsOmitted).toBe(10_000 - parsed.data.events.length);
  });
});
