import type { TableClient } from '@azure/data-tables';
import { type Tenant, type TenantAuthState, tenantAuthStates, type TenantStore } from '../tenants/tenant';
import { ConflictError, PreconditionFailedError } from '../shared/errors';
import { queryEntities, statusOf, type TableClients, tableNames } from './tableClients';

interface TenantEntity {
  displayName?: unknown;
  enabled?: unknown;
  authState?: unknown;
  authError?: unknown;
  authCheckedAt?: unknown;
  nextAuthRetryAt?: unknown;
  addedAt?: unknown;
  addedBy?: unknown;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function toTenant(id: string, e: TenantEntity, etag: string | undefined): Tenant {
  const state = tenantAuthStates.includes(e.authState as TenantAuthState)
    ? (e.authState as TenantAuthState)
    : 'unknown';
  return {
    id,
    displayName: text(e.displayName) ?? id,
    enabled: e.enabled !== false,
    authState: state,
    authError: text(e.authError),
    authCheckedAt: text(e.authCheckedAt),
    nextAuthRetryAt: text(e.nextAuthRetryAt),
    addedAt: text(e.addedAt) ?? '',
    addedBy: text(e.addedBy),
    etag,
  };
}

const toEntity = (partitionKey: string, t: Tenant) => ({
  partitionKey,
  rowKey: t.id,
  displayName: t.displayName,
  enabled: t.enabled,
  authState: t.authState,
  authError: t.authError ?? '',
  authCheckedAt: t.authCheckedAt ?? '',
  nextAuthRetryAt: t.nextAuthRetryAt ?? '',
  addedAt: t.addedAt,
  addedBy: t.addedBy ?? '',
});

/**
 * Registered tenants in the `Tenants` table: one row per tenant (RowKey = tenant id) in the partition of the
 * home tenant that polls them, so the list is one query and deployments sharing an account stay apart.
 */
export class TableTenantStore implements TenantStore {
  constructor(
    private readonly tables: TableClients,
    private readonly partitionKey: string,
  ) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.tenants);
  }

  async list(): Promise<Tenant[]> {
    const client = await this.client();
    const out: Tenant[] = [];
    for await (const e of queryEntities<TenantEntity & { etag?: string }>(
      client,
      `PartitionKey eq '${this.partitionKey.replace(/'/g, "''")}'`,
    ))
      out.push(toTenant(e.rowKey, e, e.etag));
    return out.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<Tenant | undefined> {
    const client = await this.client();
    try {
      const e = await client.getEntity<TenantEntity>(this.partitionKey, id);
      return toTenant(id, e, e.etag);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async put(tenant: Tenant, options: { etag?: string; mustBeNew?: boolean } = {}): Promise<Tenant> {
    const client = await this.client();
    try {
      const result = options.mustBeNew
        ? await client.createEntity(toEntity(this.partitionKey, tenant))
        : options.etag
          ? await client.updateEntity(toEntity(this.partitionKey, tenant), 'Replace', { etag: options.etag })
          : await client.upsertEntity(toEntity(this.partitionKey, tenant), 'Replace');
      return { ...tenant, etag: result.etag };
    } catch (err) {
      if (statusOf(err) === 409) throw new ConflictError(`tenant ${tenant.id} is already registered`);
      if (statusOf(err) === 412 || statusOf(err) === 404)
        throw new PreconditionFailedError(`tenant ${tenant.id} was changed or removed since it was read`);
      throw err;
    }
  }

  async recordAuth(
    id: string,
    auth: Pick<Tenant, 'authState' | 'authError' | 'authCheckedAt' | 'nextAuthRetryAt'>,
  ): Promise<void> {
    const client = await this.client();
    try {
      await client.updateEntity(
        {
          partitionKey: this.partitionKey,
          rowKey: id,
          authState: auth.authState,
          authError: auth.authError ?? '',
          authCheckedAt: auth.authCheckedAt ?? '',
          nextAuthRetryAt: auth.nextAuthRetryAt ?? '',
        },
        'Merge',
      );
    } catch (err) {
      if (statusOf(err) !== 404) throw err; // removed meanwhile: nothing to record
    }
  }

  async remove(id: string): Promise<boolean> {
    const client = await this.client();
    try {
      await client.deleteEntity(this.partitionKey, id);
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }
}
