import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { TableClients } from '../../src/state/tableClients';
import { TableOutbox } from '../../src/state/tableOutbox';
import { InMemoryOutbox } from '../fakes/inMemoryOutbox';
import { outboxContract } from './outboxContract';

const newTenant = () => `t${randomUUID().replace(/-/g, '').slice(0, 10)}`;

outboxContract('InMemoryOutbox', () => ({ outbox: new InMemoryOutbox(), tenantId: newTenant() }));

outboxContract('TableOutbox on Azurite', () => {
  const tenantId = newTenant();
  return {
    outbox: new TableOutbox(
      new TableClients({ connectionString: inject('tablesConnectionString'), tablePrefix: tenantId }),
    ),
    tenantId,
  };
});
