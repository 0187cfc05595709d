import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchSender } from '../../../../src/notifiers/httpSender';
import type { ResolveHost } from '../../../../src/notifiers/pinnedRequest';
import { parseWebhookSecrets } from '../../../../src/notifiers/webhook/standardWebhook';
import { WebhookNotifier } from '../../../../src/notifiers/webhook/webhookNotifier';
import { DeliveryError } from '../../../../src/shared/errors';
import { sampleAlert } from '../../../helpers/alertFixtures';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const keys = (parseWebhookSecrets(secret) as { keys: Buffer[] }).keys;
const context = { deliveryId: 'alert-1.siem', possibleDuplicate: false, attempt: 1 };

// A receiver on 127.0.0.3: system DNS would never send `hooks.localhost` there, so a request that arrives
// proves the connection went to the address the checked lookup returned.
let server: Server;
let port: number;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.3', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => new Promise<void>((r) => server.close(() => r())));

function notifier(
  url: string,
  resolve: ResolveHost,
  policy: { allowLoopback?: boolean; extraAllowedHosts?: string[] } = {},
) {
  return new WebhookNotifier({
    channelId: 'siem',
    url,
    keys,
    sender: createFetchSender({ resolveHost: resolve }),
    timeoutInMs: 2000,
    intunePortalUrl: 'https://intune.microsoft.com',
    urlPolicy: policy,
  });
}

describe('generic webhook: signed delivery to a pinned address', () => {
  it('connects to the checked address, resolving once, and the independent verifier accepts the signature', async () => {
    const calls: string[] = [];
    const resolve: ResolveHost = async (host) => {
      calls.push(host);
      // A rebinding resolver: first a permitted address, then a private one. Only the first is ever used.
      return calls.length === 1 ? [{ address: '127.0.0.3', family: 4 }] : [{ address: '10.0.0.1', family: 4 }];
    };
    const receipt = await notifier(`http://hooks.localhost:${port}/ingest?token=abc`, resolve, {
      allowLoopback: true,
    }).send(sampleAlert(), context);
    expect(receipt.status).toBe(204);
    expect(calls).toEqual(['hooks.localhost']);
    const last = received.at(-1)!;
    const payload = new Webhook(secret).verify(last.body, last.headers as Record<string, string>) as {
      type: string;
      data: { alertId: string };
    };
    expect(payload).toMatchObject({ type: 'pkica.ca.revoked', data: { alertId: 'alert-7f3c9a1e5b2d4c6f' } });
    expect(last.headers['webhook-id']).toBe('alert-1.siem');
    expect(last.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  const blocked: [string, string, number][] = [
    ['private 10/8', '10.1.2.3', 4],
    ['private 172.16/12', '172.16.0.9', 4],
    ['private 192.168/16', '192.168.1.1', 4],
    ['loopback (no development flag)', '127.0.0.1', 4],
    ['link-local', '169.254.10.10', 4],
    ['instance metadata', '169.254.169.254', 4],
    ['Azure WireServer', '168.63.129.16', 4],
    ['carrier-grade NAT', '100.64.1.1', 4],
    ['unspecified', '0.0.0.0', 4],
    ['IPv6 loopback', '::1', 6],
    ['IPv6 unique local (ULA)', 'fd12:3456::1', 6],
    ['IPv6 link-local', 'fe80::1', 6],
    ['IPv4-mapped private', '::ffff:10.0.0.1', 6],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254', 6],
    ['NAT64 of a private address', '64:ff9b::a00:1', 6],
  ];

  it.each(blocked)('refuses a host resolving to %s (%s) before connecting', async (name, address, family) => {
    const resolve: ResolveHost = async () => [{ address, family }];
    const err = await notifier('https://siem.example.com/ingest?token=SECRET-TOKEN', resolve, {
      extraAllowedHosts: ['siem.example.com'],
    })
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ reason: 'blocked-url', retryable: false });
    expect((err as Error).message).toMatch(/resolves to a .* address; blocked/);
    expect((err as Error).message).not.toMatch(/SECRET-TOKEN|\/ingest/);
    void name;
  });

  it('refuses a host when ANY of its addresses is blocked', async () => {
    const resolve: ResolveHost = async () => [
      { address: '127.0.0.3', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    const err = await notifier(`http://hooks.localhost:${port}/x`, resolve, { allowLoopback: true })
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'blocked-url' });
  });

  it('refuses a host that is not on WEBHOOK_ALLOWED_HOSTS without resolving it', async () => {
    let resolved = false;
    const err = await notifier(
      'https://elsewhere.example.com/x',
      async () => ((resolved = true), [{ address: '203.0.113.9', family: 4 }]),
      { extraAllowedHosts: ['siem.example.com'] },
    )
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'blocked-url', message: expect.stringContaining('WEBHOOK_ALLOWED_HOSTS') });
    expect(resolved).toBe(false);
  });

  it('reports a 410 as permanent (the endpoint is gone)', async () => {
    const gone = createServer((_req, res) => res.writeHead(410).end());
    await new Promise<void>((r) => gone.listen(0, '127.0.0.3', r));
    const p = (gone.address() as AddressInfo).port;
    const err = await notifier(`http://hooks.localhost:${p}/x`, async () => [{ address: '127.0.0.3', family: 4 }], {
      allowLoopback: true,
    })
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    await new Promise<void>((r) => gone.close(() => r()));
    expect(err).toMatchObject({ reason: 'rejected', retryable: false, status: 410 });
  });
});
