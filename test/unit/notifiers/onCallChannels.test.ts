import { describe, expect, it } from 'vitest';
import { parseChannel, resolveSecrets } from '../../../src/notifiers/channel';
import { checkLogsEndpoint } from '../../../src/notifiers/azureMonitorLogs/logsEndpoint';
import { classifyUploadError } from '../../../src/notifiers/azureMonitorLogs/logsIngestionNotifier';
import { fieldOf } from '../../../src/ui/views/ruleForm';

const key = 'e93facc04764012d7bfb002500d5d1a6';
const settings: Record<string, string> = {
  PD_KEY: key,
  SHORT: 'abc',
  KV: '@Microsoft.KeyVault(VaultName=kv;SecretName=pd)',
};
const policy = (allowLoopback = false) => ({
  readSetting: (n: string) => settings[n],
  extraAllowedHosts: [],
  allowLoopback,
});
const resolve = (doc: Record<string, unknown>, allowLoopback = false) =>
  resolveSecrets(parseChannel({ id: 'c', ...doc }), policy(allowLoopback));
const problemsOf = (r: ReturnType<typeof resolve>) => (r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`));

describe('pagerduty channel settings', () => {
  it.each([
    ['us by default', {}, 'https://events.pagerduty.com/v2/enqueue'],
    ['eu', { region: 'eu' }, 'https://events.eu.pagerduty.com/v2/enqueue'],
  ])('%s', (_n, extra, endpoint) => {
    const r = resolve({ type: 'pagerduty', settings: { routingKeySetting: 'PD_KEY', ...extra } });
    expect(r).toMatchObject({ ok: true, secrets: { routingKey: key, endpoint } });
  });

  it.each([
    [
      'a key that is not an integration key',
      { routingKeySetting: 'SHORT' },
      false,
      /settings\.routingKeySetting: app setting SHORT must hold a 32-character/,
    ],
    ['an unresolved Key Vault reference', { routingKeySetting: 'KV' }, false, /unresolved Key Vault reference/],
    [
      'a loopback endpoint without the development flag',
      { routingKeySetting: 'PD_KEY', endpoint: 'http://127.0.0.1:9/v2/enqueue' },
      false,
      /settings\.endpoint: .*ALLOW_LOOPBACK_WEBHOOKS/,
    ],
    [
      'any other host, even with the flag',
      { routingKeySetting: 'PD_KEY', endpoint: 'https://events.pagerduty.com.evil.example/v2/enqueue' },
      true,
      /settings\.endpoint: may only name a loopback/,
    ],
  ])('refuses %s', (_n, s, loopback, message) => {
    const problems = problemsOf(resolve({ type: 'pagerduty', settings: s }, loopback));
    expect(problems.join('\n')).toMatch(message);
    expect(problems.join('\n')).not.toContain(key);
  });

  it('refuses an invalid region when parsed', () => {
    expect(() =>
      parseChannel({ id: 'c', type: 'pagerduty', settings: { routingKeySetting: 'PD_KEY', region: 'apac' } }),
    ).toThrow(/settings\.region: must be one of us, eu/);
  });
});

describe('azure-monitor-logs channel settings', () => {
  it.each([
    ['https://dce-x.westeurope-1.ingest.monitor.azure.com', true, 'https://monitor.azure.com'],
    ['https://dcr-abc-westus2.logs.z1.ingest.monitor.azure.com/', true, 'https://monitor.azure.com'],
    ['https://dce-x.usgovvirginia-1.ingest.monitor.azure.us', true, 'https://monitor.azure.us'],
    ['http://dce-x.westeurope-1.ingest.monitor.azure.com', false, undefined],
    ['https://dce-x.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/x', false, undefined],
    ['https://ingest.monitor.azure.com.evil.example', false, undefined],
    ['https://127.0.0.1:8443', false, undefined],
  ])('%s → %s', (endpoint, ok, audience) => {
    const r = checkLogsEndpoint(endpoint, false);
    expect(r.ok).toBe(ok);
    if (r.ok) expect(r.audience).toBe(audience);
  });

  it.each([
    [{ dcrImmutableId: 'dcr-123' }, 'settings.dcrImmutableId'],
    [{ streamName: 'CloudPkiAlerts_CL' }, 'settings.streamName'],
  ])('refuses %j naming the field', (change, field) => {
    const doc = {
      id: 'c',
      type: 'azure-monitor-logs',
      settings: {
        ingestionEndpoint: 'https://dce-x.westeurope-1.ingest.monitor.azure.com',
        dcrImmutableId: 'dcr-0123456789abcdef0123456789abcdef',
        streamName: 'Custom-T_CL',
        ...change,
      },
    };
    expect(() => parseChannel(doc)).toThrow(new RegExp(`${field.replace('.', '\\.')}: must`));
  });
});

describe('Logs Ingestion failures', () => {
  const rest = (statusCode: number, headers: Record<string, string> = {}) => ({
    name: 'AggregateLogsUploadError',
    errors: [
      {
        cause: {
          name: 'RestError',
          statusCode,
          code: 'Code1',
          message: 'Bearer eySECRET',
          request: { headers: { authorization: 'Bearer eySECRET' } },
          response: { headers: { get: (n: string) => headers[n] } },
        },
      },
    ],
  });
  it.each([
    [413, false, 'rejected'],
    [400, false, 'rejected'],
    [403, false, 'misconfigured'],
    [429, true, 'throttled'],
    [500, true, 'server-error'],
    [503, true, 'server-error'],
  ])('HTTP %i: retryable %s (%s), never the SDK message or token', (status, retryable, reason) => {
    const e = classifyUploadError(rest(status, { 'retry-after': '30' }), 'sentinel');
    expect([e.retryable, e.reason, e.status]).toEqual([retryable, reason, status]);
    expect(e.message).not.toContain('eySECRET');
    if (status === 429) expect(e.retryAfterInMs).toBe(30_000);
  });

  it('a credential failure is misconfigured and retried; an unknown failure is a retried network error', () => {
    expect(
      classifyUploadError(
        {
          errors: [
            { cause: { name: 'CredentialUnavailableError', message: 'no MSI endpoint at http://169.254.169.254' } },
          ],
        },
        's',
      ),
    ).toMatchObject({ reason: 'misconfigured', retryable: true });
    expect(
      classifyUploadError(
        { errors: [{ cause: { name: 'RestError', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } }] },
        's',
      ),
    ).toMatchObject({ reason: 'network', retryable: true, message: "channel 's': network error (ECONNREFUSED)" });
  });
});

describe('rule form', () => {
  it('maps groupWindow problems onto its field', () => {
    expect(fieldOf('groupWindow')).toBe('groupWindow');
  });
});
