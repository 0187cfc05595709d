import { afterEach, describe, expect, inject, it } from 'vitest';
import { runDoctor } from '../../src/admin/doctor';
import { formatDoctor } from '../../src/admin/doctorChecks';
import { createServices } from '../../src/composition/services';
import { doctorCommand } from '../../src/cli/doctor';
import { cloudPkiActivityTypes } from '../../src/rules/defaultRulePack';
import { type GraphStandIn, standInEvents, startGraphStandIn } from '../helpers/graphStandIn';
import { type Receiver, startReceiver } from '../helpers/httpReceiver';

const sig = 'sig-DOCTOR-SECRET-0123456789';
let standIn: GraphStandIn | undefined;
let teams: Receiver | undefined;
afterEach(async () => {
  await standIn?.close();
  await teams?.close();
});

async function doctor(auditStatus?: 403, args: string[] = []): Promise<{ code: number; lines: string[] }> {
  standIn = await startGraphStandIn({
    events: standInEvents(new Date()).events,
    auditStatus,
    activityTypes: [
      ...Object.values(cloudPkiActivityTypes),
      'RenewCloudCertificationAuthorityAsync CloudCertificationAuthority',
    ],
  });
  teams = await startReceiver();
  const env = {
    AzureWebJobsStorage: inject('tablesConnectionString'),
    GRAPH_BASE_URL: standIn.url,
    AZURE_TENANT_ID: `doctor${Date.now()}`,
    TEAMS_WEBHOOK_URL: `${teams.url}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sig=${sig}`,
    ALLOW_LOOPBACK_WEBHOOKS: 'true',
    GRAPH_RETRY_DELAY_SECONDS: '0',
    GRAPH_PAGE_SIZE: '100',
  };
  const lines: string[] = [];
  const code = await doctorCommand(args, (l) => lines.push(l), env);
  for (const line of lines) expect(line).not.toContain(sig);
  if (process.env.SHOW_DOCTOR) console.log(lines.join('\n'));
  return { code, lines };
}

describe('pki-alerts doctor against an independent Graph stand-in (refuses asc, 429 first, capped and repeating pages)', () => {
  it('passes every required check and exits 0', async () => {
    const { code, lines } = await doctor();
    const text = lines.join('\n');
    expect(code, text).toBe(0);
    expect(text).toMatch(/^✔ Settings parse/m);
    expect(text).toMatch(/^✔ Table Storage reachable: wrote, read and deleted a probe row/m);
    expect(text).toMatch(/^– Graph token: skipped/m);
    // 11 distinct events (repeats folded), pages of 2 whatever $top says, asc refused.
    expect(text).toMatch(
      /^✔ auditEvents answers the production query \(last hour\): 11 event\(s\) in \d+ page\(s\), .*largest page 2 \(\$top=100\); order options: desc: accepted, no \$orderby: accepted, asc: refused \(400\)/m,
    );
    expect(text).toMatch(
      /^! Cloud PKI activity types Graph reports: 11 reported; unknown to the docs: RenewCloudCertificationAuthorityAsync CloudCertificationAuthority/m,
    );
    expect(text).toMatch(/^✔ Channel teams \(teams\): http:\/\/127\.0\.0\.1:\d+ passes the URL policy and resolves/m);
    expect(standIn!.requests[0].status).toBe(429);
    expect(standIn!.requests.filter((r) => r.path.includes('asc')).every((r) => r.status === 400)).toBe(true);
  });

  it('--json: one document with every check; --send-test posts a test card', async () => {
    const { code, lines } = await doctor(undefined, ['--json', '--send-test']);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]) as {
      ok: boolean;
      checks: { id: string; status: string; data?: Record<string, unknown> }[];
    };
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.id === 'audit-events')?.data).toMatchObject({
      events: 11,
      largestPage: 2,
      orders: { desc: true, none: true, asc: false },
    });
    expect(report.checks.find((c) => c.id === 'channel:teams')?.status).toBe('pass');
    expect(teams!.requests).toHaveLength(1);
  });

  it('auditEvents answering 403: exits non-zero and names DeviceManagementApps.Read.All and the consent step', async () => {
    const { code, lines } = await doctor(403);
    const text = lines.join('\n');
    expect(code).toBe(1);
    expect(text).toMatch(
      /^✖ auditEvents answers the production query \(last hour\): GraphReadError: Graph answered 403 Forbidden reading page 1/m,
    );
    expect(text).toMatch(
      /fix: Access denied\. The identity needs the application permission DeviceManagementApps\.Read\.All with admin consent: infra\/scripts\/grant-graph-permissions\.sh/,
    );
    expect(text).toContain('Grant admin consent');
    expect(text).toMatch(/^– Cloud PKI activity types: skipped/m);
    expect(text).toMatch(/1 required check\(s\) failed/);
  });

  it('a setting that does not parse: exits 1 naming it', async () => {
    const lines: string[] = [];
    const code = await doctorCommand([], (l) => lines.push(l), {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GRAPH_PAGE_SIZE: 'lots',
      TEAMS_WEBHOOK_URL: 'x',
    });
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^✖ Settings parse: .*GRAPH_PAGE_SIZE/);
  });
});

describe('pki-alerts doctor: the Graph token and its roles (a fake credential; the token is decoded, never shown)', () => {
  const jwt = (claims: Record<string, unknown>) =>
    `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;

  async function withToken(roles: string[]) {
    standIn = await startGraphStandIn({ events: standInEvents(new Date()).events });
    teams = await startReceiver();
    const token = jwt({ tid: 'contoso-tenant-id', appid: 'app-client-id', roles, exp: 2_000_000_000 });
    const credential = { getToken: async () => ({ token, expiresOnTimestamp: 2_000_000_000_000 }) };
    const env = {
      AzureWebJobsStorage: inject('tablesConnectionString'),
      AZURE_TENANT_ID: `doctor${Date.now()}`,
      AZURE_CLIENT_ID: 'app-client-id',
      AZURE_CLIENT_SECRET: 'client-SECRET-value',
      TEAMS_WEBHOOK_URL: `${teams.url}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sig=${sig}`,
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
      GRAPH_RETRY_DELAY_SECONDS: '0',
    };
    // Real-Graph settings (so a token is asked for), with the reads sent to the stand-in.
    const report = await runDoctor({
      env,
      services: (config) => ({
        ...createServices(
          { ...config, graph: { ...config.graph, isSimulator: true, baseUrl: standIn!.url } },
          { credential },
        ),
        credential,
      }),
    });
    const text = formatDoctor(report).join('\n');
    expect(text).not.toContain(token);
    expect(text).not.toContain('client-SECRET-value');
    return { report, text };
  }

  it('names the missing DeviceManagementApps.Read.All and its grant command; exit would be 1', async () => {
    const { report, text } = await withToken([]);
    expect(report.ok).toBe(false);
    expect(text).toMatch(/^✔ Credential: client secret of app app-client-id/m);
    expect(text).toMatch(
      /^✔ Graph token: tenant contoso-tenant-id, client id app-client-id, expires 2033-05-18T03:33:20\.000Z$/m,
    );
    expect(text).toMatch(
      /^✖ Token role DeviceManagementApps\.Read\.All: missing \(reads the audit events\); roles in the token: none\n {4}fix: Grant DeviceManagementApps\.Read\.All: infra\/scripts\/grant-graph-permissions\.sh --principal-id/m,
    );
    expect(text).toMatch(/^! Token role DeviceManagementCloudCA\.Read\.All: missing .*\n {4}fix: .*--cloud-ca/m);
  });

  it('with the role granted, every required check passes', async () => {
    const { report, text } = await withToken(['DeviceManagementApps.Read.All', 'DeviceManagementCloudCA.Read.All']);
    expect(report.ok, text).toBe(true);
    expect(text).toMatch(/^✔ Token role DeviceManagementApps\.Read\.All: present/m);
    expect(text).toMatch(/^✔ Token role DeviceManagementCloudCA\.Read\.All: present/m);
  });
});
