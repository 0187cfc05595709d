import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main';
import { tenantsCommand } from '../../src/cli/tenantsCommand';
import { TableClients } from '../../src/state/tableClients';
import { TableTenantStore } from '../../src/state/tableTenantStore';
import { adminConsentUrl } from '../../src/tenants/tenant';
import { type Pipeline, usePipelineEnvironment } from '../helpers/pipeline';

// `pki-alerts tenants …` against Azurite with the configured settings (process.env), as an operator runs it. The
// Tenants table is shared by the run's tests, one partition per home tenant: each test's pipeline has its own.
const appClientId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const tables = new TableClients({ connectionString: inject('tablesConnectionString') });
/** The Tenants rows of the current home tenant (each test's pipeline has its own). */
const tenantsOf = (home = process.env.AZURE_TENANT_ID!.toLowerCase()) => new TableTenantStore(tables, home);
const registered: { home: string; id: string }[] = [];
afterEach(async () => {
  for (const r of registered.splice(0)) await tenantsOf(r.home).remove(r.id);
});

async function run(args: string[]) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await tenantsCommand(args, (l) => lines.push(l), { err: (l) => errors.push(l) });
  return { code, lines, errors: errors.join('\n') };
}

describe('pki-alerts tenants', () => {
  const pipeline = usePipelineEnvironment({ env: { MULTI_TENANT_APP_CLIENT_ID: appClientId } });
  let p: Pipeline;
  beforeEach(() => {
    p = pipeline();
  });

  it('add registers the tenant and prints the admin-consent link and the next steps; list shows it in the table', async () => {
    const id = randomUUID();
    registered.push({ home: process.env.AZURE_TENANT_ID!.toLowerCase(), id });
    const added = await run(['add', id.toUpperCase(), '--name', 'Contoso EU', '--disabled']);
    expect(added.code).toBe(0);
    expect(added.lines[0]).toBe(`Registered tenant ${id} ("Contoso EU"), disabled.`);
    expect(added.lines).toContain(`  ${adminConsentUrl(id, appClientId)}`);
    expect(added.lines).toContain(`  1. After consent, check the sign-in: pki-alerts tenants check ${id}`);
    expect((await tenantsOf().get(id))?.addedBy).toMatch(/^cli:/);

    const list = await run(['list']);
    expect(list.code).toBe(0);
    expect(list.lines[0]).toMatch(/^TENANT\s+NAME\s+ENABLED\s+SIGN-IN\s+LAST SUCCESSFUL POLL\s+LAG\s+INCIDENTS$/);
    expect(list.lines[1]).toMatch(
      new RegExp(`^${p.tenantId}\\s+Home tenant \\(AZURE_TENANT_ID\\) \\(home\\)\\s+yes\\s`),
    );
    expect(list.lines.find((l) => l.startsWith(id))).toMatch(/^\S+\s+Contoso EU\s+no\s+unknown\s+never\s+-\s+0$/);
    const json = await run(['list', '--json']);
    expect(JSON.parse(json.lines[0]).value[0]).toMatchObject({ id: p.tenantId, home: true });
  });

  it('refuses bad input naming the field (exit 2) and a duplicate naming the tenant (exit 1)', async () => {
    const notGuid = await run(['add', 'contoso.onmicrosoft.com', '--name', 'Contoso']);
    expect(notGuid.code).toBe(2);
    expect(notGuid.errors).toContain('id: must be an Entra tenant id');
    const id = randomUUID();
    registered.push({ home: process.env.AZURE_TENANT_ID!.toLowerCase(), id });
    const empty = await run(['add', id, '--name', '  ']);
    expect(empty.code).toBe(2);
    expect(empty.errors).toContain('displayName: must not be empty');
    const noName = await run(['add', id]);
    expect(noName.code).toBe(2);
    expect(noName.errors).toContain('tenants add needs --name');
    expect((await run(['add', id, '--name', 'Fabrikam', '--disabled'])).code).toBe(0);
    const dup = await run(['add', id, '--name', 'Fabrikam again']);
    expect(dup.code).toBe(1);
    expect(dup.errors).toBe(`pki-alerts: tenant ${id} ("Fabrikam") is already registered`);
    expect((await run(['add', id, '--name', 'x', '--colour', 'red'])).code).toBe(2);
  });

  it('remove says the history is kept; check signs in (exit 0 when ok, 2 for a tenant that is not registered)', async () => {
    const id = randomUUID();
    registered.push({ home: process.env.AZURE_TENANT_ID!.toLowerCase(), id });
    await run(['add', id, '--name', 'Short-lived', '--disabled']);
    const removed = await run(['remove', id]);
    expect(removed.code).toBe(0);
    expect(removed.lines[0]).toContain(`Removed tenant ${id} ("Short-lived").`);
    expect(removed.lines[0]).toContain('change history are kept');
    const again = await run(['remove', id]);
    expect(again.code).toBe(2);
    expect(again.errors).toContain(`tenant ${id} is not registered`);
    const home = await run(['check', p.tenantId]);
    expect(home.lines[0]).toMatch(new RegExp(`^${p.tenantId}: ok \\(`));
    expect(home.code).toBe(0);
    expect((await run(['check', randomUUID()])).code).toBe(2);
  });

  it('is reached from the pki-alerts command and listed in its usage', async () => {
    const lines: string[] = [];
    expect(await main(['tenants', 'list', '--json'], (l) => lines.push(l))).toBe(0);
    expect(JSON.parse(lines[0]).value[0].home).toBe(true);
    const help: string[] = [];
    await main(['help'], (l) => help.push(l));
    expect(help.join('\n')).toContain('pki-alerts tenants add ID --name NAME [--disabled]');
  });
});
