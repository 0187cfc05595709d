import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFetchSender, type HttpSender } from '../../../../src/notifiers/httpSender';
import type { DeliveryContext } from '../../../../src/notifiers/notifier';
import { TeamsNotifier, type TeamsNotifierOptions } from '../../../../src/notifiers/teams/teamsNotifier';
import { DeliveryError } from '../../../../src/shared/errors';
import { sampleAlert } from '../../../helpers/alertFixtures';
import { startReceiver, type Receiver, type ReceiverResponse } from '../../../helpers/httpReceiver';

const flowId = '0123456789abcdef0123456789abcdef';
const sig = 'TopSecretSig_9f8e7d';
const secretPath = `/powerautomate/automations/direct/workflows/${flowId}/triggers/manual/paths/invoke`;
const context: DeliveryContext = { deliveryId: 'd-1', possibleDuplicate: false, attempt: 1 };

describe('TeamsNotifier against a real local receiver', () => {
  let receiver: Receiver;
  let url: string;

  const notifier = (overrides: Partial<TeamsNotifierOptions> = {}) =>
    new TeamsNotifier({
      channelId: 'pki-oncall',
      url,
      sender: createFetchSender(),
      timeoutInMs: 2000,
      intunePortalUrl: 'https://intune.microsoft.com',
      urlPolicy: { allowLoopback: true },
      ...overrides,
    });

  /** Fails the test if an error message leaks any part of the secret URL. */
  const expectNoSecret = (err: unknown) => {
    expect(err).toBeInstanceOf(DeliveryError);
    const text = `${(err as Error).message} ${JSON.stringify(err)} ${String((err as Error).stack)}`;
    expect(text).not.toContain(sig);
    expect(text).not.toContain(flowId);
    expect(text).not.toContain('/triggers/manual');
    expect(text).not.toContain(url);
  };

  beforeEach(async () => {
    receiver = await startReceiver();
    url = `${receiver.url}${secretPath}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('posts the Workflows message and returns "accepted" for 202', async () => {
    const receipt = await notifier().send(sampleAlert(), { ...context, possibleDuplicate: true });
    expect(receipt).toEqual({ status: 202, detail: 'accepted' });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`${secretPath}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`);
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toMatchObject({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }],
    });
    expect(request?.rawBody).toContain('Possible duplicate');
  });

  it.each<[string, ReceiverResponse, Partial<DeliveryError>]>([
    [
      '200 with a legacy error body',
      { status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429' },
      { reason: 'error-in-body', retryable: true, status: 200 },
    ],
    [
      '200 with a non-retryable error body',
      { status: 200, body: 'Summary or Text is required.' },
      { reason: 'error-in-body', retryable: false },
    ],
    [
      '429 with Retry-After: 7',
      { status: 429, headers: { 'retry-after': '7' } },
      { reason: 'throttled', retryable: true, status: 429, retryAfterInMs: 7000 },
    ],
    ['500', { status: 500, body: 'oops' }, { reason: 'server-error', retryable: true, status: 500 }],
    ['503', { status: 503 }, { reason: 'server-error', retryable: true, status: 503 }],
    [
      '400',
      { status: 400, body: { error: { code: 'TriggerInputSchemaMismatch', message: `bad ${secretPath}` } } },
      { reason: 'rejected', retryable: false, status: 400 },
    ],
    ['403', { status: 403 }, { reason: 'rejected', retryable: false, status: 403 }],
    ['404', { status: 404 }, { reason: 'rejected', retryable: false, status: 404 }],
    ['413', { status: 413 }, { reason: 'rejected', retryable: false, status: 413 }],
    ['410', { status: 410 }, { reason: 'rejected', retryable: false, status: 410 }],
    [
      '302 redirect (not followed)',
      { status: 302, headers: { location: `/moved${secretPath}?sig=${sig}` } },
      { reason: 'redirect', retryable: false, status: 302 },
    ],
  ])('%s', async (_name, response, expected) => {
    receiver.respondWith(response);
    const err = await notifier()
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject(expected);
    expect((err as Error).message).toMatch(/^channel 'pki-oncall': /);
    expectNoSecret(err);
    expect(receiver.requests).toHaveLength(1);
  });

  it('times out a receiver that never answers', async () => {
    receiver.respondWith({ status: 202, hang: true });
    const err = await notifier({ timeoutInMs: 300 })
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'timeout', retryable: true });
    expectNoSecret(err);
  });

  it('times out a receiver that answers too late', async () => {
    receiver.respondWith({ status: 202, delayMs: 1000 });
    const err = await notifier({ timeoutInMs: 300 })
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'timeout', retryable: true });
  });

  it('honours the caller abort signal', async () => {
    receiver.respondWith({ status: 202, hang: true });
    const err = await notifier({ timeoutInMs: 5000 })
      .send(sampleAlert(), { ...context, abortSignal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'timeout', retryable: true });
  });

  it('reports connection refused as a retryable network error', async () => {
    await receiver.close();
    const err = await notifier()
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'network', retryable: true });
    expectNoSecret(err);
  });

  it('refuses a loopback URL unless the policy allows it, without calling it', async () => {
    const err = await notifier({ urlPolicy: {} })
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'blocked-url', retryable: false });
    expectNoSecret(err);
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses a legacy connector URL with a migration message', async () => {
    const legacy = 'https://contoso.webhook.office.com/webhookb2/g@t/IncomingWebhook/abcdef/owner/V2SecretToken';
    const err = await notifier({ url: legacy })
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'blocked-url', retryable: false });
    expect((err as Error).message).toContain('Send webhook alerts to a channel');
    expect((err as Error).message).not.toMatch(/V2SecretToken|IncomingWebhook|webhookb2/);
  });

  it('turns anything a sender throws into a DeliveryError without the URL', async () => {
    const throwing: HttpSender = {
      postJson: async (target) => {
        throw new Error(`socket hang up while calling ${target}`);
      },
    };
    const err = await notifier({ sender: throwing })
      .send(sampleAlert(), context)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'network', retryable: true });
    expectNoSecret(err);
  });

  it('exposes its channel id and type', () => {
    expect(notifier()).toMatchObject({ channelId: 'pki-oncall', type: 'teams' });
  });
});
