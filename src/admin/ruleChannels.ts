import type { AlertRule } from '../rules/alertRule';
import type { FieldProblem } from '../shared/errors';

/** A tenant as a message names it. */
export interface TenantRef {
  id: string;
  name: string;
}

/**
 * Which channels the rules of one partition may name. Global rules (the home tenant's partition) apply to
 * every tenant, so they may name only global channels (app settings and the home partition's table
 * channels); a registered tenant's rule may name global channels and that tenant's own.
 */
export interface RuleChannelScope {
  /** Undefined: the global rules. */
  tenant?: TenantRef;
  /** App-settings channels and the home partition's table channels. */
  globalIds: ReadonlySet<string>;
  /** The tenant's own channels (empty for the global rules). */
  tenantIds: ReadonlySet<string>;
  /** For a global rule naming a channel that is not global: the registered tenant that has it, if any. */
  ownerOf(channelId: string): Promise<TenantRef | undefined>;
}

const label = (t: TenantRef) => (t.name && t.name !== t.id ? `${t.name} (${t.id})` : t.id);

/**
 * What is wrong with a rule's tenant-related fields for the partition it is written to: a channel of the
 * wrong scope (named, with the index of the entry), or `excludeTenants` on a tenant's own rule. A global rule
 * naming a channel that exists nowhere is accepted as before (a poll logs it and uses the default channels).
 */
export async function ruleScopeProblems(rule: AlertRule, scope: RuleChannelScope): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const { tenant } = scope;
  if (tenant && rule.excludeTenants)
    problems.push({
      field: 'excludeTenants',
      message: `is for global rules only; a rule of tenant ${label(tenant)} applies to that tenant alone`,
    });
  for (const [i, id] of rule.channels.entries()) {
    if (id === 'default' || scope.globalIds.has(id)) continue;
    if (tenant) {
      if (!scope.tenantIds.has(id))
        problems.push({
          field: `channels[${i}]`,
          message: `"${id}" is neither a global channel nor a channel of tenant ${label(tenant)}; a tenant's rule may name only those`,
        });
      continue;
    }
    const owner = await scope.ownerOf(id);
    if (owner)
      problems.push({
        field: `channels[${i}]`,
        message: `"${id}" is a channel of tenant ${label(owner)}; a global rule applies to every tenant and may name only global channels (write the rule with ?tenant=${owner.id} instead)`,
      });
  }
  return problems;
}
