import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseChannel, resolveSecrets } from '../../../src/notifiers/channel';
import { ValidationError } from '../../../src/shared/errors';

const teamsUrl = `https://prod-12.westeurope.logic.azure.com/workflows/${'a'.repeat(32)}/triggers/manual/paths/invoke?sig=SECRETSIG`;
const settings: Record<string, string> = {
  TEAMS_URL: teamsUrl,
  SIEM_URL: 'https://siem.example.com/in?token=SECRETTOKEN',
  SIEM_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  KV: '@Microsoft.KeyVault(VaultName=kv;SecretName=x)',
  PLAIN: 'hello',
};
const policy = {
  readSetting: (n: string) => settings[n],
  extraAllowedHosts: ['siem.example.com'],
  allowLoopback: false,
};

describe('parseChannel', () => {
  it.each([
    ['teams', { id: 'pki-teams', type: 'teams', settings: { urlSetting: 'TEAMS_URL' } }],
    [
      'email-graph with an object id mailbox',
      {
        id: 'mail',
        type: 'email-graph',
        settings: { mailbox: '6f1d2c3b-1111-4222-8333-944445555666', to: ['a@contoso.com'] },
      },
    ],
    [
      'email-webhook',
      {
        id: 'mailhook',
        type: 'email-webhook',
        isDefault: true,
        settings: { urlSetting: 'TEAMS_URL', to: ['a@contoso.com'], maxPerSecond: 2 },
      },
    ],
    [
      'webhook',
      {
        id: 'siem',
        type: 'webhook',
        description: 'SIEM',
        settings: { urlSetting: 'SIEM_URL', secretSetting: 'SIEM_SECRET' },
      },
    ],
  ])('accepts %s', (_n, doc) => {
    expect(parseChannel(doc)).toMatchObject({ ...doc, source: 'table' });
  });

  it.each([
    ['bad id', { id: 'Bad_Id', type: 'teams', settings: { urlSetting: 'X' } }, 'id'],
    ['unknown type', { id: 'x', type: 'sms', settings: {} }, 'type'],
    [
      'a URL instead of a setting name',
      { id: 'x', type: 'teams', settings: { urlSetting: 'https://h/p?sig=1' } },
      'settings.urlSetting',
    ],
    [
      'webhook without its secret setting',
      { id: 'x', type: 'webhook', settings: { urlSetting: 'SIEM_URL' } },
      'settings.secretSetting',
    ],
    [
      'a bad recipient',
      { id: 'x', type: 'email-graph', settings: { mailbox: 'a@contoso.com', to: ['not an address'] } },
      'settings.to.0',
    ],
    [
      'an unknown settings field',
      { id: 'x', type: 'teams', settings: { urlSetting: 'X', url: 'https://h' } },
      'settings',
    ],
    [
      'a rate out of range',
      { id: 'x', type: 'teams', settings: { urlSetting: 'X', maxPerSecond: 500 } },
      'settings.maxPerSecond',
    ],
  ])('rejects %s', (_n, doc, field) => {
    const err = (() => {
      try {
        parseChannel(doc);
      } catch (e) {
        return e;
      }
    })() as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems.map((p) => p.field)).toContain(field);
  });
});

describe('resolveSecrets', () => {
  it.each([
    ['teams URL on the allow-list', { type: 'teams', settings: { urlSetting: 'TEAMS_URL' } }, undefined],
    [
      'webhook on WEBHOOK_ALLOWED_HOSTS with a whsec_ secret',
      { type: 'webhook', settings: { urlSetting: 'SIEM_URL', secretSetting: 'SIEM_SECRET' } },
      undefined,
    ],
    ['a missing setting', { type: 'teams', settings: { urlSetting: 'NOPE' } }, /app setting NOPE is not set/],
    [
      'an unresolved Key Vault reference',
      { type: 'webhook', settings: { urlSetting: 'SIEM_URL', secretSetting: 'KV' } },
      /app setting KV is an unresolved Key Vault reference/,
    ],
    [
      'a secret that is not whsec_',
      { type: 'webhook', settings: { urlSetting: 'SIEM_URL', secretSetting: 'PLAIN' } },
      /PLAIN must be a Standard Webhooks secret/,
    ],
    [
      'a Teams URL used for a webhook host off the list',
      { type: 'webhook', settings: { urlSetting: 'TEAMS_URL', secretSetting: 'SIEM_SECRET' } },
      /not on WEBHOOK_ALLOWED_HOSTS/,
    ],
    [
      'a SIEM URL used for Teams (an allowed front-door host, but no trigger path)',
      { type: 'teams', settings: { urlSetting: 'SIEM_URL' } },
      /not a Workflows trigger URL/,
    ],
  ])('%s', (_n, partial, problem) => {
    const def = parseChannel({ id: 'c', ...partial });
    const result = resolveSecrets(def, policy);
    if (!problem) return expect(result.ok).toBe(true);
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    expect(text).toMatch(problem);
    for (const secret of ['SECRETSIG', 'SECRETTOKEN', settings.SIEM_SECRET, 'hello', 'SecretName'])
      expect(text).not.toContain(secret);
  });
});
