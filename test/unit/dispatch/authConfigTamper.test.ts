import { describe, expect, it } from 'vitest';
import {
  authConfigChange,
  authConfigRecord,
  authConfigTamperAlert,
  type AuthConfigRecord,
} from '../../../src/dispatch/authConfigTamper';

const roles = { adminRole: 'PkiAlerts.Admin', readerRole: 'PkiAlerts.Reader' };
const key: AuthConfigRecord = { mode: 'key' };
const entra = (over: Partial<{ clientId: string; adminRole: string; readerRole: string }> = {}): AuthConfigRecord => ({
  mode: 'entra',
  clientId: 'app-1',
  ...roles,
  ...over,
});

describe('authConfigRecord', () => {
  it('records what decides who is an admin: only the mode with function keys; client id and roles with Entra', () => {
    expect(authConfigRecord({ mode: 'key', clientId: 'x', ...roles })).toEqual({ mode: 'key' });
    expect(authConfigRecord({ mode: 'entra', clientId: ' app-1 ', ...roles })).toEqual(entra());
  });
});

describe('authConfigChange: a change between runs is tampering evidence', () => {
  it.each<[string, AuthConfigRecord | undefined, AuthConfigRecord, string | undefined, RegExp[]]>([
    ['first run: recorded, no alert', undefined, entra(), undefined, []],
    ['unchanged', entra(), entra(), undefined, []],
    ['unchanged key mode', key, key, undefined, []],
    [
      'Entra → function keys: every key holder becomes an admin',
      entra(),
      key,
      'critical',
      [/ADMIN_AUTH_MODE entra → key/],
    ],
    [
      'another app registration',
      entra(),
      entra({ clientId: 'app-2' }),
      'critical',
      [/ADMIN_AUTH_CLIENT_ID app-1 → app-2/],
    ],
    [
      'another admin role',
      entra(),
      entra({ adminRole: 'Everyone' }),
      'critical',
      [/ADMIN_APP_ROLE PkiAlerts\.Admin → Everyone/],
    ],
    ['another reader role', entra(), entra({ readerRole: 'R' }), 'high', [/READER_APP_ROLE PkiAlerts\.Reader → R/]],
    ['function keys → Entra', key, entra(), 'high', [/ADMIN_AUTH_MODE key → entra/]],
  ])('%s', (_name, before, after, severity, patterns) => {
    const change = authConfigChange(before, after);
    expect(change?.severity).toBe(severity);
    for (const p of patterns) expect(change?.description).toMatch(p);
  });

  it('the alert is a tamper alert with a deterministic id per change sequence', () => {
    const change = authConfigChange(entra(), key)!;
    const at = new Date('2026-11-25T10:00:00Z');
    const a = authConfigTamperAlert('t1', change, 1, ['teams'], at);
    expect(a.alert).toMatchObject({ ruleId: 'tamper:admin-auth', severity: 'critical', eventCount: 0 });
    expect(a.alert.ruleName).toMatch(/^Tamper: admin API authorization changed/);
    expect(a.channels).toEqual(['teams']);
    expect(authConfigTamperAlert('t1', change, 1, ['teams'], at).alert.id).toBe(a.alert.id);
    expect(authConfigTamperAlert('t1', change, 2, ['teams'], at).alert.id).not.toBe(a.alert.id);
    expect(
      authConfigTamperAlert('t1', authConfigChange(entra(), entra({ clientId: 'app-2' }))!, 1, ['teams'], at).alert.id,
    ).not.toBe(a.alert.id);
  });
});
