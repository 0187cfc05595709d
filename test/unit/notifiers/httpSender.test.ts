import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  classifyResponse,
  createFetchSender,
  maxResponseBodyBytes,
  parseRetryAfter,
  toDeliveryError,
  type HttpResult,
} from '../../../src/notifiers/httpSender';
import { DeliveryError } from '../../../src/shared/errors';
import { startReceiver, type Receiver } from '../../helpers/httpReceiver';

const now = Date.parse('2025-01-10T08:00:00Z');
const result = (status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({
  status,
  body,
  headers: new Headers(headers),
});

describe('classifyResponse: success', () => {
  it.each([
    ['Workflows 202', result(202), 'accepted'],
    ['legacy 200 "1"', result(200, '1'), 'ok'],
    ['200 empty', result(200, ''), 'ok'],
    ['200 JSON', result(200, '{"status":"queued"}'), 'ok'],
    ['201', result(201, 'created'), 'ok'],
    ['204', result(204), 'ok'],
  ])('%s', (_name, input, detail) => {
    expect(classifyResponse(input, 'teams', { now })).toEqual({ status: input.status, detail });
  });

  it('accepts any 200 body for generic webhooks when asked', () => {
    expect(classifyResponse(result(200, 'OK'), 'hook', { acceptAnyBody: true })).toEqual({ status: 200, detail: 'ok' });
  });
});

describe('classifyResponse: failures', () => {
  it.each([
    [
      'legacy 200 with embedded 429',
      result(200, 'Microsoft Teams endpoint returned HTTP error 429'),
      'error-in-body',
      true,
      undefined,
    ],
    [
      'legacy 200 with embedded 502',
      result(200, 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 502'),
      'error-in-body',
      true,
      undefined,
    ],
    [
      'legacy 200 with embedded 413',
      result(200, 'Microsoft Teams endpoint returned HTTP error 413'),
      'error-in-body',
      false,
      undefined,
    ],
    [
      'legacy 200 with plain error text',
      result(200, 'Summary or Text is required.'),
      'error-in-body',
      false,
      undefined,
    ],
    ['200 JSON error', result(200, '{"error":{"code":"BadThing"}}'), 'error-in-body', false, undefined],
    ['200 JSON success false', result(200, '{"success":false}'), 'error-in-body', false, undefined],
    ['301', result(301, '', { location: 'https://elsewhere.example/p?sig=x' }), 'redirect', false, undefined],
    ['302', result(302), 'redirect', false, undefined],
    ['307', result(307), 'redirect', false, undefined],
    ['308', result(308), 'redirect', false, undefined],
    ['400', result(400, '{"error":{"code":"TriggerInputSchemaMismatch","message":"x"}}'), 'rejected', false, undefined],
    ['401', result(401), 'rejected', false, undefined],
    ['403', result(403), 'rejected', false, undefined],
    ['404', result(404), 'rejected', false, undefined],
    ['405', result(405), 'rejected', false, undefined],
    ['410', result(410), 'rejected', false, undefined],
    ['413', result(413), 'rejected', false, undefined],
    ['422', result(422), 'rejected', false, undefined],
    ['408', result(408), 'timeout', true, undefined],
    ['425', result(425), 'throttled', true, undefined],
    ['429 without Retry-After', result(429), 'throttled', true, undefined],
    ['429 Retry-After seconds', result(429, '', { 'retry-after': '7' }), 'throttled', true, 7000],
    [
      '429 Retry-After HTTP-date',
      result(429, '', { 'retry-after': 'Fri, 10 Jan 2025 08:00:30 GMT' }),
      'throttled',
      true,
      30_000,
    ],
    ['503 Retry-After above cap', result(503, '', { 'retry-after': '86400' }), 'server-error', true, 3_600_000],
    ['500', result(500), 'server-error', true, undefined],
    ['502', result(502), 'server-error', true, undefined],
    ['503', result(503), 'server-error', true, undefined],
    ['504', result(504), 'server-error', true, undefined],
    ['507 (other 5xx)', result(507), 'server-error', true, undefined],
    ['501', result(501), 'server-error', false, undefined],
    ['404 ignores Retry-After', result(404, '', { 'retry-after': '7' }), 'rejected', false, undefined],
  ])('%s', (_name, input, reason, retryable, retryAfterInMs) => {
    const outcome = classifyResponse(input, 'teams', { now });
    expect(outcome).toBeInstanceOf(DeliveryError);
    expect(outcome).toMatchObject({ reason, retryable, status: input.status, retryAfterInMs });
    expect((outcome as DeliveryError).message).toMatch(/^channel 'teams': HTTP \d{3}/);
  });

  it('names the target host of a redirect but never its path or query', () => {
    const outcome = classifyResponse(
      result(302, '', { location: 'https://elsewhere.example/p/secret?sig=x' }),
      'teams',
    ) as DeliveryError;
    expect(outcome.message).toContain('https://elsewhere.example');
    expect(outcome.message).not.toMatch(/secret|sig=/);
  });

  it('adds a token-like error code from a JSON body, never the body text', () => {
    const outcome = classifyResponse(
      result(400, '{"error":{"code":"TriggerInputSchemaMismatch","message":"The input body for trigger …"}}'),
      'teams',
    ) as DeliveryError;
    expect(outcome.message).toContain('[TriggerInputSchemaMismatch]');
    expect(outcome.message).not.toContain('input body');
  });

  it('never echoes a legacy error body', () => {
    const outcome = classifyResponse(result(200, 'error at https://x.example/?sig=abc'), 'teams') as DeliveryError;
    expect(outcome.message).not.toContain('x.example');
  });
});

describe('parseRetryAfter', () => {
  it.each([
    [null, undefined],
    ['', undefined],
    ['0', 0],
    ['7', 7000],
    [' 120 ', 120_000],
    ['1.5', 1500],
    ['3601', 3_600_000],
    ['Fri, 10 Jan 2025 08:01:00 GMT', 60_000],
    ['Fri, 10 Jan 2025 07:59:00 GMT', 0],
    ['Sat, 11 Jan 2025 08:00:00 GMT', 3_600_000],
    ['-5', undefined],
    ['soon', undefined],
  ])('%s → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

const secretUrl =
  'https://prod-1.westeurope.logic.azure.com/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sp=x&sig=TopSecretSig';

describe('toDeliveryError', () => {
  const withCause = (message: string, cause: object) => Object.assign(new TypeError(message), { cause });
  it.each([
    ['fetch timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'timeout', true],
    ['abort', new DOMException('This operation was aborted', 'AbortError'), 'timeout', true],
    [
      'ECONNREFUSED',
      withCause('fetch failed', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
      'network',
      true,
    ],
    [
      'ECONNRESET',
      withCause('fetch failed', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
      'network',
      true,
    ],
    [
      'ENOTFOUND',
      withCause('fetch failed', Object.assign(new Error(`getaddrinfo ENOTFOUND x`), { code: 'ENOTFOUND' })),
      'network',
      true,
    ],
    [
      'connect timeout',
      withCause('fetch failed', Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' })),
      'timeout',
      true,
    ],
    ['fetch failed, no cause', new TypeError('fetch failed'), 'network', true],
    [
      'socket closed mid-body',
      withCause('terminated', Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })),
      'network',
      true,
    ],
    [
      'invalid URL',
      withCause(
        `Failed to parse URL from ${secretUrl}`,
        Object.assign(new TypeError(`Invalid URL ${secretUrl}`), { code: 'ERR_INVALID_URL' }),
      ),
      'misconfigured',
      false,
    ],
    ['unknown error embedding the URL', new Error(`boom while posting to ${secretUrl}`), 'network', true],
    ['non-error value', 'a string', 'network', true],
  ])('%s', (_name, err, reason, retryable) => {
    const mapped = toDeliveryError(err, 'oncall', secretUrl);
    expect(mapped).toMatchObject({ reason, retryable });
    expect(mapped.message).toMatch(/^channel 'oncall': /);
    expect(mapped.message).not.toContain('TopSecretSig');
    expect(mapped.message).not.toContain('/workflows/');
    expect(mapped.cause).toBeUndefined();
  });

  it('scrubs a DeliveryError thrown by someone else, keeping its fields', () => {
    const original = new DeliveryError('throttled', `429 from ${secretUrl}`, true, 429, 5000);
    const mapped = toDeliveryError(original, 'oncall', secretUrl);
    expect(mapped).toMatchObject({ reason: 'throttled', retryable: true, status: 429, retryAfterInMs: 5000 });
    expect(mapped.message).toBe('429 from https://prod-1.westeurope.logic.azure.com');
  });

  it('scrubs a loopback URL that no redaction pattern would catch', () => {
    const url = 'http://127.0.0.1:9/private/path-token';
    expect(toDeliveryError(new Error(`failed: ${url}`), 'x', url).message).toBe(
      "channel 'x': unexpected error (Error: failed: http://127.0.0.1:9)",
    );
  });
});

describe('createFetchSender (real local receiver)', () => {
  let receiver: Receiver;
  const sender = createFetchSender();
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('POSTs JSON with the content type and extra headers, and returns status, body and headers', async () => {
    receiver.respondWith({ status: 200, body: { ok: true }, headers: { 'x-ms-workflow-run-id': 'run-1' } });
    const res = await sender.postJson(
      `${receiver.url}/hook?sig=abc`,
      { hello: 'wörld' },
      { timeoutInMs: 2000, label: 't', headers: { 'webhook-id': 'd1' } },
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    expect(res.headers.get('x-ms-workflow-run-id')).toBe('run-1');
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/hook?sig=abc', body: { hello: 'wörld' } });
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request?.headers['webhook-id']).toBe('d1');
    expect(request?.headers.authorization).toBeUndefined();
  });

  it('sends a string body as-is (pre-serialised bytes)', async () => {
    await sender.postJson(`${receiver.url}/`, '{"a":1}', { timeoutInMs: 2000, label: 't' });
    expect(receiver.requests[0]?.rawBody).toBe('{"a":1}');
  });

  it('does not follow redirects', async () => {
    receiver.respondWith({ status: 302, headers: { location: `${receiver.url}/elsewhere` } });
    const res = await sender.postJson(`${receiver.url}/hook`, {}, { timeoutInMs: 2000, label: 't' });
    expect(res.status).toBe(302);
    expect(receiver.requests).toHaveLength(1);
  });

  it(`reads at most ${maxResponseBodyBytes} bytes of the body`, async () => {
    receiver.respondWith({ status: 400, body: 'x'.repeat(1024 * 1024) });
    const res = await sender.postJson(`${receiver.url}/`, {}, { timeoutInMs: 5000, label: 't' });
    expect(res.body).toHaveLength(maxResponseBodyBytes);
  });

  it('times out a hanging receiver', async () => {
    receiver.respondWith({ status: 202, hang: true });
    const started = Date.now();
    const err = await sender
      .postJson(`${receiver.url}/x?sig=abc`, {}, { timeoutInMs: 200, label: 't' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      reason: 'timeout',
      retryable: true,
      message: "channel 't': no complete response within 200 ms",
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops when the caller aborts', async () => {
    receiver.respondWith({ status: 202, hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await sender
      .postJson(`${receiver.url}/`, {}, { timeoutInMs: 5000, label: 't', abortSignal: controller.signal })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      reason: 'timeout',
      retryable: true,
      message: "channel 't': request aborted by the caller",
    });
  });

  it('maps connection refused to a retryable network error without the URL', async () => {
    const url = `${receiver.url}/secret-path?sig=TopSecretSig`;
    await receiver.close();
    const err = await sender.postJson(url, {}, { timeoutInMs: 2000, label: 't' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({
      reason: 'network',
      retryable: true,
      message: "channel 't': network error (ECONNREFUSED)",
    });
  });
});
