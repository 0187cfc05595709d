import { readFileSync } from 'node:fs';
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import type { AppConfig } from '../config/config';

/** The audience a managed identity asks for when it signs in as a federated credential of an app registration. */
export const tokenExchangeScope = 'api://AzureADTokenExchange/.default';

/**
 * One credential per tenant for reading Graph, all from the one identity of the deployment:
 * - in Azure, the (user-assigned) managed identity, as a federated identity credential of the multi-tenant app
 *   MULTI_TENANT_APP_CLIENT_ID (`ClientAssertionCredential` whose assertion is a managed-identity token for
 *   `api://AzureADTokenExchange`), so no secret exists anywhere;
 * - locally, the client secret or certificate of a multi-tenant app (AZURE_CLIENT_ID), used against each tenant.
 * The home tenant keeps today's credential (the identity's own Graph permission; no app registration needed).
 * Credentials are cached per tenant, and each caches its own tokens (MSAL), so a poll asks Entra only when
 * the tenant's token is about to expire.
 */
export class TenantCredentials {
  private readonly byTenant = new Map<string, TokenCredential>();
  private identity?: TokenCredential;

  constructor(
    private readonly config: Pick<AppConfig, 'graph' | 'tenancy'>,
    private readonly home: TokenCredential | undefined,
    private readonly make: CredentialFactory = defaultFactory,
  ) {}

  /** The credential for reading Graph in `tenantId`; undefined for a simulator (its tokens name the tenant). */
  for(tenantId: string): TokenCredential | undefined {
    if (this.config.graph.isSimulator) return undefined;
    const isHome = tenantId === this.config.tenancy.homeTenantId;
    const auth = this.config.graph.auth;
    const appClientId = this.config.tenancy.appClientId;
    // The home tenant keeps the deployment's own credential (and its Graph permission), as with one tenant.
    if (isHome) return this.home;
    let credential = this.byTenant.get(tenantId);
    if (!credential) {
      switch (auth.kind) {
        case 'clientSecret':
          credential = this.make.secret(tenantId, appClientId ?? auth.clientId, auth.clientSecret);
          break;
        case 'certificate':
          credential = this.make.certificate(tenantId, appClientId ?? auth.clientId, auth.certificatePath);
          break;
        case 'managedIdentity': {
          if (!appClientId) throw new MultiTenantSetupError(tenantId);
          const identity = (this.identity ??= this.home ?? this.make.managedIdentity(auth.clientId));
          credential = this.make.assertion(tenantId, appClientId, async () => {
            const token = await identity.getToken(tokenExchangeScope);
            if (!token) throw new Error('the managed identity returned no token for api://AzureADTokenExchange');
            return token.token;
          });
          break;
        }
        default:
          return undefined;
      }
      this.byTenant.set(tenantId, credential);
    }
    return credential;
  }
}

/** Reading another tenant with a managed identity needs the multi-tenant app it signs in as. */
export class MultiTenantSetupError extends Error {
  constructor(tenantId: string) {
    super(
      `Cannot sign in to tenant ${tenantId}: MULTI_TENANT_APP_CLIENT_ID is not set. A managed identity reads other tenants as the federated credential of a multi-tenant app registration (docs/multi-tenant.md).`,
    );
    // Named like @azure/identity's errors so the watchdog treats it as a sign-in problem of that tenant.
    this.name = 'CredentialUnavailableError';
  }
}

export interface CredentialFactory {
  secret(tenantId: string, clientId: string, secret: string): TokenCredential;
  certificate(tenantId: string, clientId: string, path: string): TokenCredential;
  managedIdentity(clientId: string | undefined): TokenCredential;
  assertion(tenantId: string, clientId: string, assertion: () => Promise<string>): TokenCredential;
}

const defaultFactory: CredentialFactory = {
  secret: (tenantId, clientId, secret) => new ClientSecretCredential(tenantId, clientId, secret),
  certificate: (tenantId, clientId, path) =>
    new ClientCertificateCredential(tenantId, clientId, { certificate: readFileSync(path, 'utf8') }),
  managedIdentity: (clientId) =>
    clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential(),
  assertion: (tenantId, clientId, assertion) => new ClientAssertionCredential(tenantId, clientId, assertion),
};

/** The deployment's own credential: storage, the Logs ingestion, mail, and Graph in the home tenant. */
export function createCredential(config: AppConfig): TokenCredential | undefined {
  const auth = config.graph.auth;
  const needsIdentity = !config.graph.isSimulator || Boolean(config.storage.tableServiceUri);
  if (!needsIdentity) return undefined;
  switch (auth.kind) {
    case 'clientSecret':
      return new ClientSecretCredential(config.tenantId, auth.clientId, auth.clientSecret);
    case 'certificate':
      return new ClientCertificateCredential(config.tenantId, auth.clientId, {
        certificate: readFileSync(auth.certificatePath, 'utf8'),
      });
    default:
      return auth.kind === 'managedIdentity' && auth.clientId
        ? new ManagedIdentityCredential({ clientId: auth.clientId })
        : new ManagedIdentityCredential();
  }
}
