/**
 * infra/scripts/grant-graph-permissions.sh run for real under /bin/sh against a stand-in for the Azure CLI:
 * an `az` on PATH that keeps a small directory (service principals, app role assignments, federated
 * credentials, declared permissions) in a JSON file and answers the exact calls the script makes. No network.
 * Checks the three modes: the home identity, a customer tenant (--tenant) and the federated credential.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '..', '..');
const script = join(repo, 'infra', 'scripts', 'grant-graph-permissions.sh');

const GRAPH_APP = '00000003-0000-0000-c000-000000000000';
const GRAPH_SP = '11111111-1111-4111-8111-111111111111';
const ROLE_APPS = '7a6ee1e7-141e-4cec-ae74-d9db155731ff';
const ROLE_CA = '22222222-2222-4222-8222-222222222222';
const HOME = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const CUSTOMER = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const APP = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
const MI = 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee';

interface AzState {
  tenant: string;
  servicePrincipals: { id: string; appId: string; displayName: string }[];
  assignments: { principalId: string; resourceId: string; appRoleId: string }[];
  federated: { name: string; issuer: string; subject: string; audiences: string[] }[];
  declared: string[];
  nextId: number;
}

/** The `az` stand-in: only the calls the script makes; anything else fails loudly (exit 3). */
const AZ_STUB = String.raw`#!/usr/bin/env node
const fs = require('node:fs');
const file = process.env.AZ_STUB_STATE;
const state = JSON.parse(fs.readFileSync(file, 'utf8'));
const args = process.argv.slice(2);
fs.appendFileSync(process.env.AZ_STUB_LOG, JSON.stringify(args) + '\n');
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const save = () => fs.writeFileSync(file, JSON.stringify(state));
const out = (v) => { if (v !== undefined && v !== null && v !== '') process.stdout.write(String(v) + '\n'); process.exit(0); };
const fail = (msg, code = 1) => { process.stderr.write(msg + '\n'); process.exit(code); };
const firstOption = args.findIndex((a) => a.startsWith('-'));
const cmd = args.slice(0, firstOption < 0 ? args.length : firstOption).join(' ');
const q = opt('--query') ?? '';
let m;
if (args[0] === 'account' && args[1] === 'show') out(q === 'tenantId' ? state.tenant : undefined);
if (args[0] === 'cloud' && args[1] === 'show') {
  if (q === 'endpoints.activeDirectory') out('https://login.microsoftonline.com');
  if (q === 'endpoints.microsoftGraphResourceId') out('https://graph.microsoft.com/');
}
if (args[0] === 'rest') {
  const method = opt('--method');
  const path = opt('--url').replace('https://graph.microsoft.com/v1.0/', '');
  if (method === 'GET' && (m = /^servicePrincipals\(appId='([^']+)'\)\?\$select=id$/.exec(path))) {
    const sp = state.servicePrincipals.find((s) => s.appId === m[1]);
    sp ? out(sp.id) : fail('Not Found({"error":{"code":"Request_ResourceNotFound"}})');
  }
  if (method === 'GET' && (m = /^servicePrincipals\/([^/?]+)\?\$select=displayName$/.exec(path))) {
    const sp = state.servicePrincipals.find((s) => s.id === m[1]);
    sp ? out(sp.displayName) : fail('Not Found({"error":{"code":"Request_ResourceNotFound"}})');
  }
  if (method === 'GET' && (m = /^servicePrincipals\/([^/?]+)\?\$select=appRoles$/.exec(path))) {
    const value = /value=='([^']+)'/.exec(q)[1];
    out({ 'DeviceManagementApps.Read.All': '${ROLE_APPS}', 'DeviceManagementCloudCA.Read.All': '${ROLE_CA}' }[value]);
  }
  if (method === 'GET' && (m = /^servicePrincipals\/([^/?]+)\/appRoleAssignments\?\$top=999$/.exec(path))) {
    const resource = /resourceId=='([^']+)'/.exec(q)[1];
    out(state.assignments.filter((a) => a.principalId === m[1] && a.resourceId === resource).map((a) => a.appRoleId).join('\n'));
  }
  if (method === 'POST' && (m = /^servicePrincipals\/([^/?]+)\/appRoleAssignments$/.exec(path))) {
    const body = JSON.parse(opt('--body'));
    if (body.principalId !== m[1]) fail('principalId does not match the path', 3);
    state.assignments.push(body); save(); out();
  }
}
if (cmd === 'ad sp create') {
  const id = 'ffffffff-ffff-4fff-8fff-' + String(state.nextId++).padStart(12, '0');
  state.servicePrincipals.push({ id, appId: opt('--id'), displayName: 'pki-alerts multi-tenant' }); save(); out(id);
}
if (cmd === 'ad app federated-credential list') {
  if (q === 'length(@)') out(state.federated.length);
  const [, issuer, subject] = /issuer=='([^']+)' && subject=='([^']+)'/.exec(q);
  out(state.federated.find((f) => f.issuer === issuer && f.subject === subject)?.name);
}
if (cmd === 'ad app federated-credential create') {
  const p = JSON.parse(opt('--parameters'));
  if (state.federated.some((f) => f.name === p.name)) fail('FederatedIdentityCredential with name already exists');
  state.federated.push(p); save(); out();
}
if (cmd === 'ad app show') out(state.declared.join('\n'));
if (cmd === 'ad app permission add') {
  if (opt('--api') !== '${GRAPH_APP}') fail('wrong api', 3);
  state.declared.push(opt('--api-permissions').replace(/=Role$/, '')); save(); out();
}
fail('az stand-in: unexpected call ' + JSON.stringify(args), 3);
`;

let dir = '';
const stateFile = () => join(dir, 'state.json');
const readState = () => JSON.parse(readFileSync(stateFile(), 'utf8')) as AzState;
const calls = () =>
  readFileSync(join(dir, 'calls.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[]);

function setState(patch: Partial<AzState>) {
  const base: AzState = {
    tenant: HOME,
    servicePrincipals: [
      { id: GRAPH_SP, appId: GRAPH_APP, displayName: 'Microsoft Graph' },
      { id: MI, appId: '99999999-9999-4999-8999-999999999999', displayName: 'id-pkialerts' },
    ],
    assignments: [],
    federated: [],
    declared: [],
    nextId: 1,
  };
  writeFileSync(stateFile(), JSON.stringify({ ...base, ...patch }));
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function grant(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      '/bin/sh',
      [script, ...args],
      {
        cwd: repo,
        timeout: 20_000,
        env: {
          PATH: `${dir}:${process.env.PATH ?? ''}`,
          HOME: dir,
          AZ_STUB_STATE: stateFile(),
          AZ_STUB_LOG: join(dir, 'calls.jsonl'),
          GRANT_RETRY_SECONDS: '0',
          ...env,
        },
      },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'grant-graph-'));
  writeFileSync(join(dir, 'az'), AZ_STUB);
  chmodSync(join(dir, 'az'), 0o755);
  writeFileSync(join(dir, 'calls.jsonl'), '');
  setState({});
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const consentLink = `https://login.microsoftonline.com/${CUSTOMER}/v2.0/adminconsent?client_id=${APP}&scope=https://graph.microsoft.com/.default`;

describe('grant-graph-permissions.sh: home identity (unchanged mode)', () => {
  it('assigns the role to the managed identity once; a second run skips it', async () => {
    const first = await grant(['--principal-id', MI]);
    expect(first.code, first.stderr).toBe(0);
    expect(readState().assignments).toEqual([{ principalId: MI, resourceId: GRAPH_SP, appRoleId: ROLE_APPS }]);
    const second = await grant(['--principal-id', MI]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/already assigned: DeviceManagementApps\.Read\.All/);
    expect(readState().assignments).toHaveLength(1);
  });
});

describe('grant-graph-permissions.sh --tenant', () => {
  it('prints only the admin-consent link on stdout with --link-only, without calling Graph', async () => {
    const r = await grant(['--tenant', CUSTOMER, '--app', APP, '--link-only']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${consentLink}\n`);
    expect(calls().filter((c) => c[0] === 'rest' || c[0] === 'ad')).toEqual([]);
  });

  it('takes the app from MULTI_TENANT_APP_CLIENT_ID and refuses a tenant it is not signed in to', async () => {
    const r = await grant(['--tenant', CUSTOMER], { MULTI_TENANT_APP_CLIENT_ID: APP });
    expect(r.stdout).toBe(`${consentLink}\n`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`az login --tenant ${CUSTOMER} --allow-no-subscriptions`);
    expect(readState().assignments).toEqual([]);
  });

  it('creates the app service principal in the customer tenant, grants the roles, and is idempotent', async () => {
    setState({ tenant: CUSTOMER });
    const first = await grant(['--tenant', CUSTOMER, '--app', APP, '--cloud-ca']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`${consentLink}\n`);
    const state = readState();
    const sp = state.servicePrincipals.find((s) => s.appId === APP);
    expect(sp, 'service principal created with az ad sp create --id').toBeDefined();
    expect(calls().filter((c) => c[0] === 'ad' && c[1] === 'sp' && c[2] === 'create')).toEqual([
      ['ad', 'sp', 'create', '--id', APP, '--query', 'id', '--output', 'tsv'],
    ]);
    expect(state.assignments).toEqual([
      { principalId: sp!.id, resourceId: GRAPH_SP, appRoleId: ROLE_APPS },
      { principalId: sp!.id, resourceId: GRAPH_SP, appRoleId: ROLE_CA },
    ]);

    const second = await grant(['--tenant', CUSTOMER, '--app', APP, '--cloud-ca']);
    expect(second.code, second.stderr).toBe(0);
    expect(readState().servicePrincipals.filter((s) => s.appId === APP)).toHaveLength(1);
    expect(readState().assignments).toHaveLength(2);
    expect(second.stderr).toMatch(/0 assigned, 2 already present/);
  });

  it('changes nothing with --dry-run', async () => {
    setState({ tenant: CUSTOMER });
    const r = await grant(['--tenant', CUSTOMER, '--app', APP, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/would create the service principal/);
    expect(readState().servicePrincipals.some((s) => s.appId === APP)).toBe(false);
  });

  it('rejects a tenant or app that is not a GUID', async () => {
    const badTenant = await grant(['--tenant', 'contoso.onmicrosoft.com', '--app', APP, '--link-only']);
    expect(badTenant.code).not.toBe(0);
    expect(badTenant.stdout).toBe('');
    const noApp = await grant(['--tenant', CUSTOMER, '--link-only']);
    expect(noApp.code).not.toBe(0);
    expect(noApp.stderr).toMatch(/--app/);
  });
});

describe('grant-graph-permissions.sh --federated-credential', () => {
  it('adds the identity as a federated credential of the app and declares the roles, once', async () => {
    const first = await grant(['--federated-credential', '--app', APP, '--principal-id', MI]);
    expect(first.code, first.stderr).toBe(0);
    expect(readState().federated).toEqual([
      {
        name: `pki-alerts-${MI}`,
        issuer: `https://login.microsoftonline.com/${HOME}/v2.0`,
        subject: MI,
        audiences: ['api://AzureADTokenExchange'],
        description: expect.any(String),
      },
    ]);
    expect(readState().declared).toEqual([ROLE_APPS]);

    const second = await grant(['--federated-credential', '--app', APP, '--principal-id', MI]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/federated credential already present/);
    expect(readState().federated).toHaveLength(1);
    expect(readState().declared).toEqual([ROLE_APPS]);
  });

  it('stops at the 20 federated credentials Entra allows per app', async () => {
    setState({
      federated: Array.from({ length: 20 }, (_, i) => ({
        name: `other-${i}`,
        issuer: 'https://token.actions.githubusercontent.com',
        subject: `repo:x/y:${i}`,
        audiences: ['api://AzureADTokenExchange'],
      })),
    });
    const r = await grant(['--federated-credential', '--app', APP, '--principal-id', MI]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/20 federated credentials/);
    expect(readState().federated).toHaveLength(20);
  });
});
