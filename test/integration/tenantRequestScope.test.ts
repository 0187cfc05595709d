import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startPipeline } from '../helpers/pipeline';

// Several tenants' polls run at once in one process over the same clients; each run's ledger row must count
// its own Graph and Table requests only (an AsyncLocalStorage scope per cycle).
let close: (() => Promise<void>) | undefined;
afterEach(async () => close?.());

describe("a run's request counts with concurrent tenant polls", () => {
  it('are the same whether the runs go one at a time or all at once', async () => {
    const p = await startPipeline();
    close = () => p.close();
    const home = p.services();
    const one = Array.from({ length: 4 }, () => randomUUID());
    const all = Array.from({ length: 4 }, () => randomUUID());
    const addedAt = p.clock.now.toISOString();
    for (const id of [...one, ...all])
      await home.tenants.store.put({ id, displayName: id, enabled: true, authState: 'ok', addedAt });
    const counts = async (id: string) => {
      const entries = await home.watch.store.list(id, new Date(p.clock.now.getTime() - 3_600_000));
      expect(entries).toHaveLength(1);
      return { graph: entries[0].graphRequests, tables: entries[0].tableRequests };
    };
    await home.cycle(p.log); // creates the tables (once per process), so no run below pays for that
    for (const id of one) await home.tenants.forTenant(id, id).cycle(p.log);
    await Promise.all(all.map((id) => home.tenants.forTenant(id, id).cycle(p.log)));
    const sequential = await Promise.all(one.map(counts));
    const concurrent = await Promise.all(all.map(counts));
    // A first run over an empty window: one Graph page, and the same Table work for every tenant.
    expect(new Set(sequential.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(sequential[0].graph).toBe(1);
    expect(concurrent).toEqual(sequential);
  }, 60_000);
});
