import { InvocationContext, type Timer } from '@azure/functions';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { getServices, resetServices } from '../../src/composition/appServices';
import { putChannel } from '../../src/admin/channelAdmin';
import { getAlert } from '../../src/functions/alerts';
import { listChannelsHandler } from '../../src/functions/channels';
import { pollAuditEvents } from '../../src/functions/pollAuditEvents';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { callApi } from '../helpers/apiCalls';
import {
  type DeliveryPipeline,
  mailWebhookSecret,
  newWebhookSecret,
  startDeliveryPipeline,
} from '../helpers/deliveryPipeline';
import { graphEvent } from '../helpers/graphEvents';
import { type Receiver, startReceiver } from '../helpers/httpReceiver';
import { usePipelineEnvironment, webhookSecret } from '../helpers/pipeline';

let p: DeliveryPipeline;
let siem: Receiver | undefined;
afterEach(async () => {
  await p?.close();
  await siem?.close();
  siem = undefined;
});

const caRevoked = [T.caCertificateRevoked];
const mailOf = (s: DeliveryPipeline) => s.sim.pki.sentMail;

describe('email through Graph sendMail (the simulator, reached through the app Graph client)', () => {
  it('sends subject, escaped HTML, recipients and the delivery id header; no copy in Sent Items', async () => {
    p = await startDeliveryPipeline();
    await putChannel(
      p.services(),
      'pki-mail',
      {
        type: 'email-graph',
        isDefault: true,
        settings: { mailbox: 'pki-alerts@contoso.com', to: ['oncall@contoso.com', 'pki@contoso.com'] },
      },
      { caller: 'test' },
    );
    p.sim.addEvents([
      graphEvent({
        type: T.caCertificateRevoked,
        at: new Date(p.clock.now.getTime() - 60_000),
        caName: '<b>Evil</b> [x](https://evil.example)',
      }),
    ]);
    await p.services().cycle(p.log);
    expect(mailOf(p)).toHaveLength(1);
    const [mail] = mailOf(p);
    expect(mail).toMatchObject({
      mailbox: 'pki-alerts@contoso.com',
      subject: 'CRITICAL: Cloud PKI CA certificate revoked',
      contentType: 'HTML',
      to: ['oncall@contoso.com', 'pki@contoso.com'],
      saveToSentItems: false,
    });
    const [row] = (await p.outbox()).filter((a) => a.deliveries.some((d) => d.channelId === 'pki-mail'));
    expect(mail.headers['x-alert-id']).toBe(`${row.alert.id}.pki-mail`);
    expect(mail.content).toContain('&lt;b&gt;Evil&lt;/b&gt;');
    expect(mail.content).not.toMatch(/<b>Evil|https:\/\/evil/);
    expect(p.cards()).toHaveLength(1); // and Teams, the other default channel
  });

  it('Graph 429 with Retry-After is retried after it; 403 (no Mail.Send) fails for good and raises one notice', async () => {
    p = await startDeliveryPipeline();
    await putChannel(
      p.services(),
      'pki-mail',
      {
        type: 'email-graph',
        isDefault: true,
        settings: { mailbox: 'pki-alerts@contoso.com', to: ['oncall@contoso.com'] },
      },
      { caller: 'test' },
    );
    p.sim.pki.failSendMail(429, { retryAfterSeconds: 180 });
    p.addEvents(caRevoked);
    const s = p.services();
    await s.cycle(p.log);
    expect(mailOf(p)).toHaveLength(0);
    p.advance(2);
    await s.cycle(p.log);
    expect(mailOf(p)).toHaveLength(0); // 2 min < Retry-After
    p.advance(2);
    await s.cycle(p.log);
    expect(mailOf(p)).toHaveLength(1);
    p.sim.pki.failSendMail(403);
    p.addEvents([T.caDeleted], 0);
    p.advance(1);
    await s.cycle(p.log);
    const failed = (await p.outbox())
      .flatMap((a) => a.deliveries)
      .filter((d) => d.channelId === 'pki-mail' && d.state === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].lastError).toMatch(/HTTP 403 \(the app may not send as this mailbox/);
    expect(p.mails().filter((m) => m.subject.includes('failing on channel pki-mail'))).toHaveLength(1);
  });
});

describe('email webhook (Logic App / Power Automate HTTP trigger)', () => {
  it('posts { alertId, deliveryId, severity, subject, to, html, text }', async () => {
    p = await startDeliveryPipeline();
    await putChannel(
      p.services(),
      'oncall-mail',
      {
        type: 'email-webhook',
        isDefault: true,
        settings: { urlSetting: 'ONCALL_MAIL_URL', to: ['pki-oncall@contoso.com'] },
      },
      { caller: 'test', ifMatch: '*' },
    );
    p.addEvents(caRevoked);
    await p.services().cycle(p.log);
    expect(p.mails()).toHaveLength(1);
    const [body] = p.mails();
    expect(Object.keys(body).sort()).toEqual(['alertId', 'deliveryId', 'html', 'severity', 'subject', 'text', 'to']);
    expect(body).toMatchObject({
      severity: 'critical',
      subject: 'CRITICAL: Cloud PKI CA certificate revoked',
      to: ['pki-oncall@contoso.com'],
      deliveryId: `${body.alertId}.oncall-mail`,
    });
    expect(body.html).toMatch(/^<!DOCTYPE html>/);
    expect(body.text).toContain('What to do');
    expect(p.mail.requests[0].path).toContain(`sig=${mailWebhookSecret}`);
  });
});

describe('generic webhook (Standard Webhooks) end to end', () => {
  it('signs every attempt with the same webhook-id; the independent verifier accepts each', async () => {
    siem = await startReceiver();
    const secret = newWebhookSecret();
    p = await startDeliveryPipeline({
      env: { SIEM_URL: `http://127.0.0.1:${new URL(siem.url).port}/hook?token=T0KEN`, SIEM_SECRET: secret },
    });
    await putChannel(
      p.services(),
      'siem',
      { type: 'webhook', isDefault: true, settings: { urlSetting: 'SIEM_URL', secretSetting: 'SIEM_SECRET' } },
      { caller: 'test' },
    );
    siem.respondWith({ status: 503 }, 1);
    p.addEvents(caRevoked);
    const s = p.services();
    await s.cycle(p.log);
    p.advance(2);
    await s.cycle(p.log);
    expect(siem.requests).toHaveLength(2);
    const ids = siem.requests.map((r) => r.headers['webhook-id']);
    expect(ids[0]).toBe(ids[1]);
    for (const r of siem.requests) {
      const payload = new Webhook(secret).verify(r.rawBody, r.headers as Record<string, string>) as {
        type: string;
        data: { deliveryId: string; eventCount: number };
      };
      expect(payload).toMatchObject({ type: 'pkica.ca.revoked', data: { deliveryId: ids[0], eventCount: 1 } });
      expect(Buffer.byteLength(r.rawBody)).toBeLessThanOrEqual(20 * 1024);
    }
  });

  it('SSRF: a host on WEBHOOK_ALLOWED_HOSTS that resolves to the metadata address is never called; the channel fails and a notice goes out', async () => {
    const secret = newWebhookSecret();
    p = await startDeliveryPipeline({
      env: {
        WEBHOOK_ALLOWED_HOSTS: 'siem.example.com',
        SIEM_URL: 'https://siem.example.com/hook?token=T0KEN',
        SIEM_SECRET: secret,
      },
    });
    const lookups: string[] = [];
    const s = p.services({
      resolveHost: async (host) => (lookups.push(host), [{ address: '169.254.169.254', family: 4 }]),
    });
    await putChannel(
      s,
      'siem',
      { type: 'webhook', isDefault: true, settings: { urlSetting: 'SIEM_URL', secretSetting: 'SIEM_SECRET' } },
      { caller: 'test' },
    );
    p.addEvents(caRevoked);
    await s.cycle(p.log);
    expect(lookups).toEqual(['siem.example.com']);
    const d = (await p.outbox(s)).flatMap((a) => a.deliveries).find((x) => x.channelId === 'siem')!;
    expect(d).toMatchObject({ state: 'failed' });
    expect(d.lastError).toMatch(/blocked-url: .*resolves to a link-local \(instance metadata\) address/);
    expect(p.mails().filter((m) => m.subject.includes('failing on channel siem'))).toHaveLength(1);
  });
});

describe('a channel whose secret stops resolving (unresolved Key Vault reference)', () => {
  it('is reported naming the setting, raises a notice, and delivers once the setting is fixed: nothing lost', async () => {
    siem = await startReceiver();
    const secret = newWebhookSecret();
    p = await startDeliveryPipeline({ env: { SIEM_URL: `${siem.url}/hook`, SIEM_SECRET: secret } });
    await putChannel(
      p.services(),
      'siem',
      { type: 'webhook', isDefault: true, settings: { urlSetting: 'SIEM_URL', secretSetting: 'SIEM_SECRET' } },
      { caller: 'test' },
    );
    p.env.SIEM_SECRET = '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/siem-secret/)';
    p.addEvents(caRevoked);
    await p.services().cycle(p.log);
    const d = (await p.outbox()).flatMap((a) => a.deliveries).find((x) => x.channelId === 'siem')!;
    expect(d).toMatchObject({ state: 'pending' });
    expect(d.lastError).toContain('app setting SIEM_SECRET is an unresolved Key Vault reference');
    expect(p.mails().filter((m) => m.subject.includes('failing on channel siem'))).toHaveLength(1);
    p.env.SIEM_SECRET = secret;
    p.advance(5);
    await p.services().cycle(p.log);
    expect(siem.requests).toHaveLength(1);
  });
});

describe('redaction: nothing secret in any log line, error, stored row or API answer of a failing run', () => {
  const env = usePipelineEnvironment();
  it('Teams 500 echoing its URL, a webhook 400 echoing its token, a misconfigured channel', async () => {
    const e = env();
    const hook = await startReceiver();
    siem = hook;
    const signing = newWebhookSecret();
    process.env.SIEM_URL = `${hook.url}/hook?token=HOOKTOKEN-42&api-key=APIKEY-42`;
    process.env.SIEM_SECRET = signing;
    process.env.MAIL_URL = `${hook.url}/workflows/abcdefabcdefabcdefabcdefabcdefab/triggers/manual/paths/invoke?sig=MAILSIG-42`;
    process.env.FAILOVER_CHANNEL = 'mail';
    resetServices();
    await putChannel(
      getServices(),
      'siem',
      { type: 'webhook', isDefault: true, settings: { urlSetting: 'SIEM_URL', secretSetting: 'SIEM_SECRET' } },
      { caller: 'test' },
    );
    await putChannel(
      getServices(),
      'mail',
      { type: 'email-webhook', isDefault: true, settings: { urlSetting: 'MAIL_URL', to: ['a@contoso.com'] } },
      { caller: 'test' },
    );
    process.env.MAIL_URL = '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/mail-url/)';
    resetServices();
    e.teams.respondWith({ status: 500, body: `failed: ${e.env.TEAMS_WEBHOOK_URL}` }, Infinity);
    hook.respondWith(
      { status: 400, body: { error: { code: 'Bad', message: `token HOOKTOKEN-42 rejected, secret ${signing}` } } },
      Infinity,
    );
    e.sim.addEvents([graphEvent({ type: T.caDeleted, at: new Date(Date.now() - 60_000) })]);
    const lines: string[] = [];
    const ctx = new InvocationContext({
      invocationId: 'inv-redact',
      functionName: 'pollAuditEvents',
      logHandler: (level, ...args) => lines.push(`${level} ${args.join(' ')}`),
    });
    const timer: Timer = {
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: '', next: '', lastUpdated: '' },
    };
    await pollAuditEvents(timer, ctx);
    expect(lines.filter((l) => l.includes('failed')).length).toBeGreaterThanOrEqual(3);
    const rows = await getServices().outbox.listAlerts(getServices().config.tenantId);
    const alertId = rows.find((r) => r.alert.kind !== 'notice')!.alert.id;
    const answers = [
      (await callApi(listChannelsHandler, { method: 'GET', path: 'channels' })).body,
      (await callApi(getAlert, { method: 'GET', path: `alerts/${alertId}`, params: { id: alertId } })).body,
    ];
    const everything = [...lines, JSON.stringify(rows), JSON.stringify(answers)].join('\n');
    for (const secret of [
      webhookSecret,
      '/workflows/0123456789abcdef',
      'HOOKTOKEN-42',
      'APIKEY-42',
      signing,
      signing.slice(6, 26),
      'MAILSIG-42',
      'abcdefabcdefabcdefabcdefabcdefab',
      'SecretUri=',
    ]) {
      expect(everything, secret).not.toContain(secret);
    }
    // ...while the failures themselves are reported.
    expect(everything).toContain('HTTP 500');
    expect(everything).toContain('HTTP 400');
    expect(everything).toContain('app setting MAIL_URL is an unresolved Key Vault reference');
  });
});
