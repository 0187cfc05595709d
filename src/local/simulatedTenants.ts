import { createServices } from '../composition/services';
import { loadConfig } from '../config/config';
import { cloudPkiScenario } from './cloudPkiScenario';
import { guid, seededRandom } from './scenarioRandom';
import type { GraphServerMode } from './graphServerModes';
import { TenantGraph } from './tenantGraph';

/*
 * `SIMULATOR_TENANTS=N npm start`: N made-up customer tenants beside the home one, each with its own Cloud PKI
 * story (seed, domain, so its own CA names and admins), behind one Graph stand-in that routes by token.
 */

const names = [
  'Contoso',
  'Fabrikam',
  'Northwind Traders',
  'Adventure Works',
  'Tailspin Toys',
  'Woodgrove Bank',
  'Litware',
  'Proseware',
  'Wingtip Toys',
  'Alpine Ski House',
];

export interface SimulatedTenantInfo {
  id: string;
  displayName: string;
  domain: string;
}

/** The N tenants: the same ids, names and domains on every start (seeded), so a restart finds its rows again. */
export function simulatedTenants(count: number): SimulatedTenantInfo[] {
  return Array.from({ length: count }, (_, i) => {
    const base = names[i % names.length];
    const round = Math.floor(i / names.length);
    const displayName = round === 0 ? base : `${base} ${round + 1}`;
    const domain = `${displayName.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`;
    return { id: guid(seededRandom(9_000 + i)), displayName, domain };
  });
}

export function parseTenantCount(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 10_000)
    throw new Error(`SIMULATOR_TENANTS must be a whole number from 0 to 10000 (got "${text}")`);
  return n;
}

/** Starts the Graph stand-in for the home tenant and the simulated ones, all in one server mode. */
export function startTenantGraph(
  homeTenantId: string,
  tenants: readonly SimulatedTenantInfo[],
  now: Date,
  options: { ownApplicationId?: string; mode?: GraphServerMode; homeEvents?: unknown[] } = {},
) {
  const own = options.ownApplicationId ? { ownApplicationId: options.ownApplicationId } : {};
  return TenantGraph.start(
    [
      { id: homeTenantId, events: options.homeEvents ?? cloudPkiScenario({ now, seed: 1, ...own }) },
      ...tenants.map((t, i) => ({
        id: t.id,
        events: cloudPkiScenario({ now, seed: 100 + i, tenantDomain: t.domain }),
      })),
    ],
    { simulator: { mode: options.mode } },
  );
}

/** Registers the simulated tenants in the Tenants table, as `pki-alerts tenants add` would (kept if present). */
export async function registerTenants(tenants: readonly SimulatedTenantInfo[]): Promise<void> {
  const store = createServices(loadConfig(process.env)).tenants.store;
  const existing = new Set((await store.list()).map((t) => t.id));
  const addedAt = new Date().toISOString();
  for (const t of tenants)
    if (!existing.has(t.id))
      await store.put({
        id: t.id,
        displayName: t.displayName,
        enabled: true,
        authState: 'unknown',
        addedAt,
        addedBy: 'npm start (SIMULATOR_TENANTS)',
      });
  console.log(
    `[tenants] ${tenants.length} simulated tenant(s) registered: GET /api/tenants lists them; alerts carry their tenant ids`,
  );
}
