import type { RuleAdminDeps } from '../admin/ruleAdmin';
import type { RuleChannelScope, TenantRef } from '../admin/ruleChannels';
import { tenantParam } from '../admin/tenantParam';
import { NotFoundError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { Services } from './services';

/** Registered tenants' channel partitions read at once when a global rule names a channel that is not global. */
const parallelReads = 8;

/** Whose rules a rule admin request addresses: `global` (the home tenant's partition) or a tenant id. */
export interface RuleAdminScope {
  deps: RuleAdminDeps;
  /** `global`, or the tenant id. */
  tenant: string;
}

/**
 * The rule use cases' dependencies for `?tenant=` (API) / `--tenant` (CLI), from the home services. Default
 * (and `home`, or the home tenant's id): the global rules. A registered tenant: its own rules, written through
 * its services (history, tamper alerts and their channels in its partition). `write`: the tenant must be
 * registered (404 otherwise), so no rule lands in a partition nobody polls; reads of any tenant id are allowed
 * (a removed tenant's rows stay readable). Every write checks the rule's channels against the scope.
 */
export async function ruleAdminScope(
  services: Services,
  tenant: string | null | undefined,
  log: Logger,
  options: { write?: boolean } = {},
): Promise<RuleAdminScope> {
  const home = services.config.tenancy.homeTenantId;
  const id = tenantParam(tenant, home) ?? home;
  if (id === home)
    return { tenant: 'global', deps: { ...services.admin.deps(log), channelScope: () => globalScope(services) } };
  const row = await services.tenants.store.get(id);
  if (!row) {
    if (options.write)
      throw new NotFoundError(`tenant ${id} is not registered: add it first (PUT /api/tenants/${id}), then its rules`);
    // Read-only: the home services' deps pointed at the tenant's partition (no services built for an unknown id).
    return { tenant: id, deps: { ...services.admin.deps(log), tenantId: id } };
  }
  const ref: TenantRef = { id, name: row.displayName };
  const own = services.tenants.forTenant(id, row.displayName);
  return {
    tenant: id,
    deps: {
      ...own.admin.deps(log),
      tenantId: id,
      channelScope: async () => {
        const set = await own.channels.load(log);
        return {
          tenant: ref,
          globalIds: new Set(set.definitions.filter((d) => !set.tenantOwned.has(d.id)).map((d) => d.id)),
          tenantIds: set.tenantOwned,
          ownerOf: async () => undefined,
        };
      },
    },
  };
}

/** What a global rule may name: the home services' channels; a non-global id is looked up in each tenant's partition. */
async function globalScope(services: Services): Promise<RuleChannelScope> {
  const set = await services.channels.load();
  let owners: Promise<Map<string, TenantRef>> | undefined;
  const tenantChannels = async () => {
    const map = new Map<string, TenantRef>();
    const home = services.config.tenancy.homeTenantId;
    const tenants = (await services.tenants.store.list()).filter((t) => t.id !== home);
    for (let i = 0; i < tenants.length; i += parallelReads) {
      const part = tenants.slice(i, i + parallelReads);
      const lists = await Promise.all(part.map((t) => services.channelStore.list(t.id)));
      lists.forEach((list, k) => {
        for (const c of list.channels)
          if (!map.has(c.channel.id)) map.set(c.channel.id, { id: part[k].id, name: part[k].displayName });
      });
    }
    return map;
  };
  return {
    globalIds: new Set(set.definitions.map((d) => d.id)),
    tenantIds: new Set(),
    ownerOf: async (channelId) => (await (owners ??= tenantChannels())).get(channelId),
  };
}
