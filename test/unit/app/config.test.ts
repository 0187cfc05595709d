import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config';
import { appSettings } from '../../../src/config/settings';
import { ConfigError } from '../../../src/shared/errors';

const teams =
  'https://prod-01.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRETSIG';
const base = { AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47', TEAMS_WEBHOOK_URL: teams };

function problems(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return Object.fromEntries(err.problems.map((p) => [p.field, p.message]));
    throw err;
  }
  return {};
}

describe('loadConfig', () => {
  it('applies every documented default', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      timerSchedule: '0 */1 * * * *',
      lookbackInMinutes: 15,
      initialLookbackInMinutes: 60,
      graph: {
        baseUrl: 'https://graph.microsoft.com',
        isSimulator: false,
        pageSize: 100,
        maxPagesPerRun: 100,
        requestTimeoutInMs: 30000,
        maxRetries: 3,
        auth: { kind: 'managedIdentity' },
      },
      storage: { connectionString: 'UseDevelopmentStorage=true' },
      tenantId: base.AZURE_TENANT_ID,
      delivery: { timeoutInMs: 15000, retryBaseInSeconds: 30, maxAgeInMinutes: 1440 },
      intunePortalUrl: 'https://intune.microsoft.com',
      channels: [{ id: 'teams', type: 'teams', url: teams, isDefault: true }],
    });
    for (const spec of appSettings) expect(spec.description.length, spec.name).toBeGreaterThan(10);
  });

  it.each([
    ['client secret', { AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 's' }, 'clientSecret'],
    ['certificate', { AZURE_CLIENT_ID: 'c', AZURE_CLIENT_CERTIFICATE_PATH: '/x.pem' }, 'certificate'],
    ['user-assigned managed identity', { AZURE_CLIENT_ID: 'c' }, 'managedIdentity'],
    ['simulator', { GRAPH_BASE_URL: 'http://127.0.0.1:9999' }, 'none'],
  ])('chooses %s sign-in', (_n, env, kind) => {
    expect(loadConfig({ ...base, ...env }).graph.auth.kind).toBe(kind);
  });

  it('reports every bad setting at once, naming each', () => {
    const p = problems({
      ...base,
      LOOKBACK_MINUTES: 'fifteen',
      GRAPH_PAGE_SIZE: '0',
      TIMER_SCHEDULE: '*/5 * * * *',
      ALLOW_LOOPBACK_WEBHOOKS: 'maybe',
      INTUNE_PORTAL_URL: 'http://intune',
    });
    expect(Object.keys(p).sort()).toEqual([
      'ALLOW_LOOPBACK_WEBHOOKS',
      'GRAPH_PAGE_SIZE',
      'INTUNE_PORTAL_URL',
      'LOOKBACK_MINUTES',
      'TIMER_SCHEDULE',
    ]);
    expect(p.TIMER_SCHEDULE).toContain('6 fields');
    expect(p.LOOKBACK_MINUTES).toContain('"fifteen"');
  });

  it.each([
    ['no channel', { AZURE_TENANT_ID: 't1' }, 'TEAMS_WEBHOOK_URL', 'no alert channel'],
    ['real Graph without a tenant', { TEAMS_WEBHOOK_URL: teams }, 'AZURE_TENANT_ID', 'required'],
    [
      'secret without client id',
      { ...base, AZURE_CLIENT_SECRET: 'x' },
      'AZURE_CLIENT_ID',
      'required with AZURE_CLIENT_SECRET',
    ],
    [
      'unresolved Key Vault reference',
      { ...base, TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams/)' },
      'TEAMS_WEBHOOK_URL',
      'unresolved Key Vault reference',
    ],
    [
      'retention shorter than lookback',
      { ...base, SEEN_RETENTION_HOURS: '1', LOOKBACK_MINUTES: '90' },
      'SEEN_RETENTION_HOURS',
      'longer than LOOKBACK_MINUTES',
    ],
    [
      'delivered retention not longer than a change window',
      { ...base, DELIVERED_RETENTION_DAYS: '7' },
      'DELIVERED_RETENTION_DAYS',
      'longer than the longest change window',
    ],
  ])('%s', (_n, env, field, message) => {
    const p = problems(env);
    expect(p[field], JSON.stringify(p)).toContain(message);
  });

  it('never echoes a secret value in its messages', () => {
    try {
      loadConfig({ ...base, TEAMS_WEBHOOK_URL: '', AZURE_CLIENT_SECRET: 'TOPSECRET', GRAPH_PAGE_SIZE: 'x' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('TOPSECRET');
    }
  });
});
