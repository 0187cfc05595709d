import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { TableClients, tableNames } from '../../src/state/tableClients';
import { TableRuleStore } from '../../src/state/tableRuleStore';
import { InMemoryRuleRepository } from '../fakes/inMemoryRuleRepository';
import { ruleRepositoryContract } from './ruleRepositoryContract';

const newTenant = () => `t${randomUUID().replace(/-/g, '').slice(0, 10)}`;

ruleRepositoryContract('InMemoryRuleRepository', () => {
  const repo = new InMemoryRuleRepository();
  const tenantId = newTenant();
  return { repo, tenantId, putDocument: async (id, document) => repo.putDocument(tenantId, id, document) };
});

ruleRepositoryContract('TableRuleStore on Azurite', () => {
  const tenantId = newTenant();
  const tables = new TableClients({ connectionString: inject('tablesConnectionString'), tablePrefix: tenantId });
  return {
    repo: new TableRuleStore(tables),
    tenantId,
    putDocument: async (id, document) => {
      await (
        await tables.get(tableNames.rules)
      ).createEntity({ partitionKey: tenantId, rowKey: id, ruleJson: JSON.stringify(document) });
    },
  };
});
