import type { TokenCredential } from '@azure/identity';
import { ClientAssertionCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import {
  type CredentialFactory,
  TenantCredentials,
  tokenExchangeScope,
} from '../../../src/composition/tenantCredentials';
import type { AppConfig } from '../../../src/config/config';

const home = '11111111-1111-4111-8111-111111111111';
const other = '22222222-2222-4222-8222-222222222222';
const app = '33333333-3333-4333-8333-333333333333';

function config(auth: AppConfig['graph']['auth'], appClientId?: string): Pick<AppConfig, 'graph' | 'tenancy'> {
  return {
    graph: { isSimulator: false, auth } as AppConfig['graph'],
    tenancy: { homeTenantId: home, appClientId, queue: {}, authRetryMinutes: 30 },
  };
}

function recordingFactory() {
  const made: string[] = [];
  const scopes: string[] = [];
  const cred = (label: string): TokenCredential => ({
    getToken: async () => ({ token: label, expiresOnTimestamp: Date.now() + 3600_000 }),
  });
  const assertions: (() => Promise<string>)[] = [];
  const factory: CredentialFactory = {
    secret: (t, c) => (made.push(`secret ${t} ${c}`), cred('s')),
    certificate: (t, c) => (made.push(`cert ${t} ${c}`), cred('c')),
    managedIdentity: (c) => (
      made.push(`mi ${c}`),
      { getToken: async (scope) => (scopes.push(String(scope)), { token: 'mi-token', expiresOnTimestamp: 0 }) }
    ),
    assertion: (t, c, a) => (made.push(`assertion ${t} ${c}`), assertions.push(a), cred('a')),
  };
  return { made, scopes, assertions, factory };
}

describe('TenantCredentials', () => {
  it('signs in to a registered tenant as the federated credential of the multi-tenant app, with the identity token for api://AzureADTokenExchange', async () => {
    const f = recordingFactory();
    const creds = new TenantCredentials(
      config({ kind: 'managedIdentity', clientId: 'mi-client' }, app),
      undefined,
      f.factory,
    );
    const first = creds.for(other);
    expect(creds.for(other)).toBe(first); // cached per tenant (and MSAL caches its tokens)
    expect(f.made).toEqual(['mi mi-client', `assertion ${other} ${app}`]);
    expect(await f.assertions[0]()).toBe('mi-token');
    expect(f.scopes).toEqual([tokenExchangeScope]);
    expect(tokenExchangeScope).toBe('api://AzureADTokenExchange/.default');
  });

  it('keeps the deployment credential for the home tenant', () => {
    const homeCred: TokenCredential = { getToken: async () => null };
    const f = recordingFactory();
    const creds = new TenantCredentials(config({ kind: 'managedIdentity' }, app), homeCred, f.factory);
    expect(creds.for(home)).toBe(homeCred);
    expect(f.made).toEqual([]);
  });

  it('uses the multi-tenant app secret or certificate against each tenant locally', () => {
    const f = recordingFactory();
    new TenantCredentials(config({ kind: 'clientSecret', clientId: app, clientSecret: 'x' }), undefined, f.factory).for(
      other,
    );
    new TenantCredentials(
      config({ kind: 'certificate', clientId: app, certificatePath: '/c.pem' }),
      undefined,
      f.factory,
    ).for(other);
    expect(f.made).toEqual([`secret ${other} ${app}`, `cert ${other} ${app}`]);
  });

  it('refuses a managed identity without MULTI_TENANT_APP_CLIENT_ID with a sign-in error naming the setting', () => {
    const creds = new TenantCredentials(config({ kind: 'managedIdentity' }), undefined, recordingFactory().factory);
    expect(() => creds.for(other)).toThrow(/MULTI_TENANT_APP_CLIENT_ID/);
    try {
      creds.for(other);
    } catch (err) {
      expect((err as Error).name).toBe('CredentialUnavailableError');
    }
  });

  it('builds a real ClientAssertionCredential by default', () => {
    const creds = new TenantCredentials(config({ kind: 'managedIdentity', clientId: 'mi' }, app), {
      getToken: async () => null,
    });
    expect(creds.for(other)).toBeInstanceOf(ClientAssertionCredential);
  });
});
