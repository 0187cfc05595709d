import { describe, expect, it } from 'vitest';
import { adminAuthPosture } from '../../../src/config/adminAuthPosture';

const clientId = '11111111-2222-3333-4444-555555555555';
const entra = { mode: 'entra' as const, clientId };
const env = (vars: Record<string, string>) => (name: string) => vars[name];
const v2 = (over: { platform?: boolean; aad?: boolean; clientId?: string }) =>
  JSON.stringify({
    platform: { enabled: over.platform ?? true },
    identityProviders: {
      azureActiveDirectory: {
        enabled: over.aad ?? true,
        registration: over.clientId ? { clientId: over.clientId } : {},
      },
    },
  });

describe('adminAuthPosture: entra mode serves only while the platform shows App Service Authentication on with the expected client id', () => {
  it('key mode is always open (the Functions host checks the keys)', () => {
    expect(adminAuthPosture({ mode: 'key' }, env({}))).toMatchObject({ ok: true, mode: 'key' });
  });

  it.each<[string, Record<string, string>, string | undefined, RegExp | undefined]>([
    [
      'on, client id from WEBSITE_AUTH_CLIENT_ID',
      { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_CLIENT_ID: clientId },
      clientId,
      undefined,
    ],
    [
      'on, ids compared without case',
      { WEBSITE_AUTH_ENABLED: 'true', WEBSITE_AUTH_CLIENT_ID: clientId.toUpperCase() },
      clientId,
      undefined,
    ],
    [
      'on, client id from the V2 configuration',
      { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_V2_CONFIG_JSON: v2({ clientId }) },
      clientId,
      undefined,
    ],
    [
      'no indicator at all (Authentication off, or settings copied to another app)',
      {},
      clientId,
      /WEBSITE_AUTH_ENABLED is not set/,
    ],
    [
      'indicator False',
      { WEBSITE_AUTH_ENABLED: 'False', WEBSITE_AUTH_CLIENT_ID: clientId },
      clientId,
      /WEBSITE_AUTH_ENABLED is "False"/,
    ],
    [
      'ADMIN_AUTH_CLIENT_ID not set',
      { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_CLIENT_ID: clientId },
      undefined,
      /ADMIN_AUTH_CLIENT_ID is not set/,
    ],
    [
      'another app registration',
      { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_CLIENT_ID: 'aaaaaaaa-0000-0000-0000-000000000000' },
      clientId,
      /aaaaaaaa-0000-0000-0000-000000000000 \(WEBSITE_AUTH_CLIENT_ID\), not the expected 1111/,
    ],
    [
      'V2 configuration names another client id (it wins over WEBSITE_AUTH_CLIENT_ID)',
      {
        WEBSITE_AUTH_ENABLED: 'True',
        WEBSITE_AUTH_CLIENT_ID: clientId,
        WEBSITE_AUTH_V2_CONFIG_JSON: v2({ clientId: 'other' }),
      },
      clientId,
      /registration other \(WEBSITE_AUTH_V2_CONFIG_JSON\)/,
    ],
    [
      'V2 configuration: platform disabled',
      {
        WEBSITE_AUTH_ENABLED: 'True',
        WEBSITE_AUTH_CLIENT_ID: clientId,
        WEBSITE_AUTH_V2_CONFIG_JSON: v2({ platform: false, clientId }),
      },
      clientId,
      /platform\.enabled is false/,
    ],
    [
      'V2 configuration: Microsoft provider disabled',
      { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_V2_CONFIG_JSON: v2({ aad: false, clientId }) },
      clientId,
      /provider .* is disabled/,
    ],
    [
      'on but no client id anywhere',
      { WEBSITE_AUTH_ENABLED: 'True' },
      clientId,
      /reports no Microsoft Entra client id/,
    ],
    [
      'unreadable V2 configuration: falls back to WEBSITE_AUTH_CLIENT_ID',
      { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_V2_CONFIG_JSON: '{not json', WEBSITE_AUTH_CLIENT_ID: clientId },
      clientId,
      undefined,
    ],
  ])('%s', (_name, vars, expected, problem) => {
    const posture = adminAuthPosture({ ...entra, clientId: expected }, env(vars));
    if (!problem) {
      expect(posture).toMatchObject({ ok: true, mode: 'entra' });
    } else {
      expect(posture.ok).toBe(false);
      expect(posture.ok ? '' : posture.problem).toMatch(/^Admin API closed: /);
      expect(posture.ok ? '' : posture.problem).toMatch(problem);
    }
  });
});
