import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { TableCheckpointStore } from '../../src/state/tableCheckpointStore';
import { TableClients } from '../../src/state/tableClients';
import { InMemoryCheckpointStore } from '../fakes/inMemoryCheckpointStore';
import { checkpointStoreContract } from './checkpointStoreContract';

const newTenant = () => `t${randomUUID().replace(/-/g, '').slice(0, 10)}`;

checkpointStoreContract('InMemoryCheckpointStore', () => ({
  store: new InMemoryCheckpointStore(),
  tenantId: newTenant(),
}));

checkpointStoreContract('TableCheckpointStore on Azurite', () => {
  const tenantId = newTenant();
  return {
    store: new TableCheckpointStore(
      new TableClients({ connectionString: inject('tablesConnectionString'), tablePrefix: tenantId }),
    ),
    tenantId,
  };
});
