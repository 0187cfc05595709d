import type { DispatchSlots } from '../tenants/tenant';
import { statusOf, type TableClients, tableNames } from './tableClients';

const rowKey = 'tenant.dispatch';

/**
 * The last timer interval whose tenant polls were enqueued, one PollState row of the home tenant. Claiming
 * an interval is an ETag-guarded write, so a repeated or concurrent timer run for the same interval enqueues
 * nothing: polls are idempotent per tenant and interval. Two Table transactions per timer run, whatever the
 * number of tenants.
 */
export class TableDispatchSlots implements DispatchSlots {
  constructor(
    private readonly tables: TableClients,
    private readonly homeTenantId: string,
  ) {}

  async claim(slot: string): Promise<boolean> {
    const client = await this.tables.get(tableNames.pollState);
    let etag: string | undefined;
    try {
      const row = await client.getEntity<{ slot?: string }>(this.homeTenantId, rowKey);
      if (typeof row.slot === 'string' && Date.parse(row.slot) >= Date.parse(slot)) return false;
      etag = row.etag;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    const entity = { partitionKey: this.homeTenantId, rowKey, slot, claimedAt: new Date().toISOString() };
    try {
      if (etag) await client.updateEntity(entity, 'Replace', { etag });
      else await client.createEntity(entity);
      return true;
    } catch (err) {
      if (statusOf(err) === 409 || statusOf(err) === 412) return false; // another run claimed it first
      throw err;
    }
  }
}
