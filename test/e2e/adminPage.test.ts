import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { contentSecurityPolicy } from '../../src/functions/http/adminPage';
import { resetServices } from '../../src/composition/appServices';
import { createServices } from '../../src/composition/services';
import { loadConfig } from '../../src/config/config';
import { appSettings } from '../../src/config/settings';
import { cloudPkiScenario } from '../../src/local/cloudPkiScenario';
import { startFunctionsHost, type FunctionsHost } from '../../src/local/functionsHost';
import { GraphSimulator } from '../../src/local/graphSimulator';
import { adminConsentUrl } from '../../src/tenants/tenant';
import { sampleAlert } from '../helpers/alertFixtures';
import { entraBehindEasyAuth } from '../helpers/apiCalls';
import { type Receiver, startReceiver } from '../helpers/httpReceiver';
import { launchChromium, screenshots, seriousAxeViolations, watchPage } from './browser';

/*
 * The admin page end to end, in Chromium (see findChromium.ts) driven by playwright-core, against the real function
 * modules on the local host, Azurite (global setup), the Graph simulator with the Cloud PKI scenario, and a
 * local receiver standing in for Teams. The steps build on each other (one signed-in page).
 */

const root = path.join(__dirname, '..', '..');
const functionsDir = path.join(root, 'src', 'functions');
const functionModules = fs
  .readdirSync(functionsDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(functionsDir, f));
const adminKey = `e2e-${randomUUID()}`;
const webhookSecret = 'sig-E2E-SECRET-0123456789';
const ruleId = 'e2e-cloudpki-failures';
const ruleName = 'E2E: failed Cloud PKI CA actions';
const xssName = '<img src=x onerror="window.__xss=1">';
const multiTenantApp = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

let browser: Browser;
let sim: GraphSimulator;
let receiver: Receiver;
const savedEnv = { ...process.env };

function setEnv(values: Record<string, string>): void {
  for (const spec of appSettings) delete process.env[spec.name];
  Object.assign(process.env, values);
  resetServices();
}

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'bundleUi.mjs')], { cwd: root, stdio: 'pipe' });
  const now = new Date();
  const events = cloudPkiScenario({ now, seed: 1 }) as Record<string, unknown>[];
  // A failed CA patch whose CA name is markup: the page must show it as text.
  const patch = structuredClone(events.find((e) => e.activityType === 'Patch CloudCertificationAuthority')!) as {
    id: string;
    activityResult: string;
    activityDateTime: string;
    resources: { displayName: string }[];
  };
  Object.assign(patch, {
    id: randomUUID(),
    activityResult: 'Failure',
    activityDateTime: new Date(now.getTime() - 30 * 60_000).toISOString(),
  });
  patch.resources[0].displayName = xssName;
  sim = await GraphSimulator.start({ events: [...events, patch] });
  receiver = await startReceiver();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  process.env = { ...savedEnv };
  resetServices();
  await browser?.close();
  await sim?.close();
  await receiver?.close();
});

function baseEnv(tenant: string): Record<string, string> {
  return {
    AzureWebJobsStorage: inject('tablesConnectionString'),
    GRAPH_BASE_URL: sim.baseUrl,
    AZURE_TENANT_ID: tenant,
    TEAMS_WEBHOOK_URL: `${receiver.url}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sig=${webhookSecret}`,
    ALLOW_LOOPBACK_WEBHOOKS: 'true',
    TIMER_SCHEDULE: '0 0 0 1 1 *',
    INITIAL_LOOKBACK_MINUTES: '180',
    GRAPH_RETRY_DELAY_SECONDS: '0',
    DELIVERY_TIMEOUT_MS: '2000',
  };
}

describe('admin page, key mode (as npm start runs it)', () => {
  let host: FunctionsHost;
  let context: BrowserContext;
  let page: Page;
  let seen: ReturnType<typeof watchPage>;
  const requests: Request[] = [];
  const url = (p: string) => `${host.url}${p}`;

  beforeAll(async () => {
    setEnv({
      ...baseEnv(`t${randomUUID().replace(/-/g, '').slice(0, 12)}`),
      ADMIN_AUTH_MODE: 'key',
      MULTI_TENANT_APP_CLIENT_ID: multiTenantApp,
    });
    host = await startFunctionsHost({ port: 0, functionModules, functionKey: adminKey, log: () => {} });
    await host.runTimer('pollAuditEvents'); // seeds the rule pack, detects the scenario, delivers to the receiver
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000); // a missing element fails its step with a message, inside the test timeout
    // Every CSP violation the page meets (inline style attributes, injected <style>, eval ...), not only logged ones.
    await context.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) => {
        const w = window as unknown as { cspViolations?: string[] };
        (w.cspViolations ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
      }),
    );
    page = await context.newPage();
    seen = watchPage(page);
    page.on('request', (r) => requests.push(r));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await host?.close();
  });

  it('serves the page with a strict Content-Security-Policy and no inline script or style', async () => {
    const res = await fetch(url('/api/ui'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(contentSecurityPolicy).toContain("script-src 'self'; style-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const js = await fetch(url('/api/ui/static/app.js'));
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(
      (await fetch(url('/api/ui/static/app.js'), { headers: { 'if-none-match': js.headers.get('etag')! } })).status,
    ).toBe(304);
    expect((await fetch(url('/api/ui/static/..%2Fmanifest.json'))).status).toBe(404);
    expect((await fetch(url('/api/ui/me'))).status).toBe(401); // data routes need the key
  });

  it('asks for the admin key once, keeps it in sessionStorage and never puts it in a URL', async () => {
    await page.goto(url('/api/ui'));
    await page.getByLabel('Admin key').fill('wrong-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('not accepted');
    await screenshots(page, 'sign-in');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Admin key').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Rules' }).waitFor();
    expect(await page.getByTestId('signed-in').textContent()).toContain('admin');
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(adminKey);
    expect(requests.filter((r) => r.url().includes(adminKey))).toEqual([]);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Rules' }).waitFor(); // the tab remembers it
  });

  it('lists the rules with severity, state, channels, last fired and alerts in the last 7 days', async () => {
    const row = page.locator('tr', { has: page.locator('text=cloudpki-leaf-revoked') });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe('medium');
    expect(cells[2]).toBe('OnDisable');
    expect(cells[3]).toBe('default');
    expect(cells[4]).toMatch(/ago$/);
    expect(cells[5]).toBe('1 alert, 27 events');
    const reads = await page
      .locator('tr', { has: page.locator('text=cloudpki-reads') })
      .locator('td')
      .allTextContents();
    expect([reads[2], reads[4], reads[5]]).toEqual(['OffEnable', 'no alert kept', 'none']);
    await screenshots(page, 'rules');
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('degrades with a clear message when a route it uses is missing (an older or newer app)', async () => {
    const missing = (pathname: string) => ({
      status: 404,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { code: 'NotFound', message: `No function or local route matches GET ${pathname}` },
      }),
    });
    await page.route('**/api/ui/rule-stats', (route) => route.fulfill(missing('/api/ui/rule-stats')));
    await page.reload();
    const notice = page.locator('.notice', { hasText: 'Alert counts are not available' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain(
      'This part of the page needs GET /api/ui/rule-stats, which this version of the app does not serve.',
    );
    expect(
      await page
        .locator('tr', { has: page.locator('text=cloudpki-leaf-revoked') })
        .locator('td')
        .nth(5)
        .textContent(),
    ).toBe('—');
    await page.unroute('**/api/ui/rule-stats');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Rules' }).waitFor();
  });

  it('creates a rule: an invalid filter is rejected at its position, next to the field', async () => {
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('heading', { level: 1, name: 'New rule' }).waitFor();
    await page.getByLabel('Rule id').fill(ruleId);
    await page.getByLabel('Name').fill(ruleName);
    await page.getByLabel('Severity').selectOption('high');
    await page.getByLabel('Activity types').fill('* CloudCertificationAuthority');
    await page.getByLabel('Never alert for these accounts').fill('breakglass-*@contoso.com');
    await page.getByLabel('Runbook URL').fill('http://wiki.contoso.com/pki');
    await page.getByLabel('Advanced filter (optional)').fill("activityResult eq 'Failure' and (");
    await page.getByRole('button', { name: 'Validate' }).click();
    const filterError = page.locator('#filter-error');
    await filterError.waitFor();
    expect(await filterError.getAttribute('data-position')).toBe('34');
    expect(await filterError.locator('p').textContent()).toBe(
      'Filter, position 34: expected a property, literal or function but found end of input',
    );
    expect(await filterError.locator('pre.caret').textContent()).toBe(
      `activityResult eq 'Failure' and (\n${' '.repeat(33)}^`,
    );
    expect(await page.getByLabel('Advanced filter (optional)').getAttribute('aria-invalid')).toBe('true');
    // The other problem sits next to its own field.
    expect(
      await page.locator('#' + (await page.getByLabel('Runbook URL').getAttribute('id')) + '-error').textContent(),
    ).toBe('must be an https:// URL');
    expect(await page.locator('.error-summary li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^filter: at 34: /), 'runbookUrl: must be an https:// URL']),
    );
    await screenshots(page, 'rule-editor-errors');
    expect(await seriousAxeViolations(page)).toEqual([]);
    // Only the filter wrong: the cursor goes to the position.
    await page.getByLabel('Runbook URL').fill('https://wiki.contoso.com/pki');
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => page.locator('.error-summary li').count()).toBe(1);
    expect(
      await page.evaluate(() => {
        const t = document.activeElement as HTMLTextAreaElement;
        return [t.name, t.selectionStart];
      }),
    ).toEqual(['filter', 33]);
  });

  it('backtests the draft against the Graph simulator and shows which events would fire', async () => {
    await page.getByLabel('Advanced filter (optional)').fill("activityResult eq 'Failure'");
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('The rule is valid.');
    await page.getByLabel('Days back').fill('2');
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await page.getByTestId('draft-fired').waitFor();
    expect(await page.getByTestId('draft-fired').textContent()).toBe('2'); // the failed delete and the failed patch
    expect(await page.getByTestId('draft-alerts').textContent()).toBe('2');
    expect(await page.locator('table.compare tbody tr').nth(1).locator('td').nth(2).textContent()).toBe(
      'not saved yet',
    );
    const events = page.locator('table.events tbody tr');
    expect(await events.count()).toBe(2);
    expect(await events.locator('td[data-label="CA"]').allTextContents()).toEqual(
      expect.arrayContaining(['Contoso Root CA', xssName]),
    );
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('previews the card a backtested event would send, drawn by the Adaptive Cards renderer under the CSP', async () => {
    const row = page.locator('table.events tbody tr', { has: page.locator('text=Contoso Root CA') });
    await row.getByRole('button', { name: /^Preview card/ }).click();
    const card = page.getByTestId('card').locator('.ac-adaptiveCard');
    await card.waitFor();
    const text = await card.innerText();
    expect(text).toContain(`HIGH · ${ruleName}`);
    expect(text).toContain('Contoso Root CA');
    expect(text).toContain('helpdesk@contoso.com');
    expect(await card.locator('.ac-pushButton').allTextContents()).toEqual(['Open Intune audit log', 'Open runbook']);
    await card.getByRole('link', { name: 'Open runbook' }).click(); // the renderer gives Action.OpenUrl the link role
    await expect
      .poll(() => page.locator('#card-preview').textContent())
      .toContain('This button opens https://wiki.contoso.com/pki');
    await screenshots(page, 'rule-backtest-preview');
    expect(await seriousAxeViolations(page)).toEqual([]);
    // The markup-named CA stays text on the card too.
    await page
      .locator('table.events tbody tr', { has: page.locator(`text=${xssName}`) })
      .getByRole('button', { name: /^Preview card/ })
      .click();
    await expect.poll(() => page.getByTestId('card').innerText()).toContain(xssName);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('saves the rule, changes it, and shows the history with who changed what', async () => {
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { level: 1, name: `Rule: ${ruleName}` }).waitFor();
    await page.getByLabel('Severity').selectOption('critical');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('link', { name: 'See the history' }).click();
    await page.getByRole('heading', { level: 1, name: `History of ${ruleId}` }).waitFor();
    const entries = page.locator('ol.history > li');
    expect(await entries.count()).toBe(2);
    expect(await entries.nth(0).locator('h2').textContent()).toBe('function-key changed the rule');
    expect(await entries.nth(0).locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^severity\s+high\s+critical$/),
    ]);
    expect(await entries.nth(1).locator('h2').textContent()).toBe('function-key created the rule');
    expect(await entries.nth(1).locator('tbody td[data-label="Field"]').allTextContents()).toEqual(
      expect.arrayContaining(['name', 'filter', 'actor', 'activityTypes']),
    );
    await screenshots(page, 'rule-history');
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('backtests the saved rule next to a changed draft', async () => {
    await page.getByRole('link', { name: 'Open the rule' }).click();
    await page.getByLabel('Activity types').fill('Delete CloudCertificationAuthority');
    await page.getByLabel('Days back').fill('2');
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await page.getByTestId('draft-fired').waitFor();
    const compare = await page.locator('table.compare tbody tr').nth(1).locator('td').allTextContents();
    expect(compare).toEqual(['Events that would fire', '1', '2']);
    await expect
      .poll(() => page.locator('.backtest-output').textContent())
      .toContain('1 event the saved version fires on would no longer fire with the draft.');
  });

  it('disables and enables a rule from the list', async () => {
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    const toggle = page.getByRole('button', { name: `Disable ${ruleName}` });
    await toggle.click();
    await page.getByRole('button', { name: `Enable ${ruleName}` }).waitFor();
    const stored = await (
      await fetch(url(`/api/rules/${ruleId}`), { headers: { 'x-functions-key': adminKey } })
    ).json();
    expect(stored.rule.enabled).toBe(false);
    await page.getByRole('button', { name: `Enable ${ruleName}` }).click();
    await page.getByRole('button', { name: `Disable ${ruleName}` }).waitFor();
  });

  it('opens a change window, shows what it suppressed, and ends it early', async () => {
    await page.getByRole('link', { name: 'Change windows' }).click();
    await page.getByRole('heading', { level: 1, name: 'Change windows' }).waitFor();
    await page.getByRole('button', { name: 'Open window' }).click(); // no scope, no reason: field errors
    await expect.poll(() => page.locator('[aria-invalid="true"]').count()).toBeGreaterThanOrEqual(1);
    await page.getByLabel(new RegExp(`^${ruleName}`)).check();
    await page.getByLabel('Reason').fill('CHG0012345 renew the issuing CA');
    await page.getByRole('button', { name: 'Open window' }).click();
    const row = page.locator('tr', { has: page.locator('text=CHG0012345 renew the issuing CA') });
    await row.waitFor();
    expect(await row.locator('td').first().textContent()).toBe('active');
    await row.getByRole('button', { name: /^Suppressed matches/ }).click();
    await expect
      .poll(() => page.locator('.suppressed').textContent())
      .toContain('Nothing has been suppressed by this window.');
    await screenshots(page, 'windows');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await row.getByRole('button', { name: /^End now/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End window' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('The change window has ended.');
    await page.locator('details.past summary').click();
    const ended = page.locator('details.past tr', { has: page.locator('text=CHG0012345 renew the issuing CA') });
    expect(await ended.locator('td').first().textContent()).toBe('ended');
  });

  it('lists channels without URLs or secrets and sends a test alert to the local receiver', async () => {
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('heading', { level: 1, name: 'Channels' }).waitFor();
    const before = receiver.requests.length;
    await page.getByRole('button', { name: 'Send a test alert to teams' }).click();
    await expect.poll(() => page.getByTestId('test-result').textContent()).toBe('Delivered: HTTP 202, accepted');
    await receiver.waitForRequests(before + 1);
    expect(JSON.stringify(receiver.requests.at(-1)!.body)).toContain('TEST: sent by an administrator');
    const text = await page.locator('main').innerText();
    expect(text).toContain(new URL(receiver.url).host);
    expect(text).not.toContain(webhookSecret);
    expect(text).not.toContain('/workflows/');
    expect(await page.locator('table.outcomes tbody tr').first().innerText()).toMatch(/ok\s+202\s+test: accepted/);
    await screenshots(page, 'channels');
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it("shows recent alerts with each channel's delivery status", async () => {
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Recent alerts' }).waitFor();
    const revoked = page.locator('tr', { has: page.locator('text=cloudpki-ca-certificate-revoked') });
    expect(await revoked.locator('ul.deliveries').innerText()).toMatch(
      /^teams\s+sent\s+1 attempt, sent .* UTC, HTTP 202$/,
    );
    await screenshots(page, 'alerts');
    expect(await seriousAxeViolations(page)).toEqual([]);
    // Only the home tenant's alerts: no tenant column.
    expect(await page.locator('table.alerts th', { hasText: 'Tenant' }).count()).toBe(0);
  });

  it("names each alert's tenant once a registered tenant has alerts (its name shown as text)", async () => {
    const services = createServices(loadConfig(process.env));
    const tenantId = randomUUID();
    const alertId = `e2e-${randomUUID()}`;
    await services.tenants.store.put({
      id: tenantId,
      displayName: `Fabrikam ${xssName}`,
      enabled: false,
      authState: 'unknown',
      addedAt: new Date().toISOString(),
    });
    try {
      const alert = sampleAlert({
        id: alertId,
        tenantId,
        tenantName: `Fabrikam ${xssName}`,
        createdAt: new Date().toISOString(),
      });
      await services.outbox.writeAlert({ alert, channels: [], eventKeys: [] }, []);
      await page.getByRole('link', { name: 'Rules', exact: true }).click();
      await page.getByRole('link', { name: 'Alerts', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Recent alerts' }).waitFor();
      await page.locator('table.alerts th', { hasText: 'Tenant' }).waitFor();
      const row = page.locator('tr', { has: page.locator(`text=${tenantId}`) });
      expect(await row.innerText()).toContain(`Fabrikam ${xssName}`);
      expect(await page.locator('table.alerts img, table.alerts script').count()).toBe(0);
      const home = page.locator('tr', { has: page.locator('text=cloudpki-ca-certificate-revoked') });
      expect(await home.innerText()).toContain('Home tenant');
    } finally {
      await services.tenants.store.remove(tenantId);
    }
  });

  it('shows the health and coverage summary', async () => {
    await page.getByRole('link', { name: 'Health' }).click();
    await page.getByRole('heading', { level: 1, name: 'Health and coverage' }).waitFor();
    expect(await page.getByTestId('health-status').textContent()).toMatch(/^(healthy|degraded)$/);
    expect(await page.locator('table').first().locator('td[data-label="Check"]').allTextContents()).toEqual([
      'polling',
      'graph',
      'delivery',
      'coverage',
      'rules',
      'tenants',
    ]);
    await screenshots(page, 'health');
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('lists the tenants, adds one and shows the admin-consent link built by the server, checks and removes it', async () => {
    const tenantId = randomUUID();
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
    expect(await page.locator('tbody tr').first().innerText()).toMatch(/^Home tenant \(AZURE_TENANT_ID\)\s+home\s/);
    await page.getByLabel('Tenant id').fill('contoso.onmicrosoft.com');
    await page.getByLabel('Display name').fill(xssName);
    await page.getByRole('button', { name: 'Add tenant' }).click();
    const idError = page.locator('.field-error:not([hidden])');
    await expect.poll(() => idError.textContent()).toContain('must be an Entra tenant id');
    expect(await page.getByLabel('Tenant id').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Tenant id').fill(tenantId.toUpperCase());
    await page.getByRole('button', { name: 'Add tenant' }).click();
    const link = page.getByTestId('consent-link');
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(adminConsentUrl(tenantId, multiTenantApp));
    expect(await link.textContent()).toBe(adminConsentUrl(tenantId, multiTenantApp));
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    const row = page.locator('tbody tr', { has: page.locator(`[data-tenant="${tenantId}"]`) });
    await row.waitFor();
    // The name is markup: shown as text, never run.
    expect(await row.locator('.rule-name').textContent()).toBe(xssName);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await row.getByTestId('auth-state').textContent()).toBe('unknown');
    await screenshots(page, 'tenants');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await row.getByRole('button', { name: /^Check/ }).click();
    await expect.poll(() => page.getByTestId('check-result').textContent()).toMatch(/^<img .*>: ok$/);
    await expect.poll(() => row.getByTestId('auth-state').textContent()).toBe('ok');
    await row.getByRole('button', { name: /^Remove/ }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('checkpoint, run ledger, alerts and change history are kept');
    await dialog.getByRole('button', { name: 'Remove tenant' }).click();
    await expect.poll(() => page.locator(`[data-tenant="${tenantId}"]`).count()).toBe(0);
    expect(await page.locator('#status').textContent()).toContain('is removed; its history is kept');
  });

  it('deletes a rule only after confirmation', async () => {
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('button', { name: `Delete ${ruleName}` }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('critical / high rule: deleting it raises a tamper alert');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('button', { name: `Delete ${ruleName}` }).count()).toBe(1);
    await page.getByRole('button', { name: `Delete ${ruleName}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete rule' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe(`Deleted ${ruleName}.`);
    expect(await page.getByRole('link', { name: ruleName }).count()).toBe(0);
  });

  it('sent the CSRF header on every write, and hit no CSP violation or script error', async () => {
    const writes = requests.filter((r) => r.method() !== 'GET' && new URL(r.url()).pathname.startsWith('/api/'));
    expect(writes.length).toBeGreaterThanOrEqual(8);
    expect(writes.filter((r) => r.headers()['x-requested-with'] !== 'pki-alerts-admin').map((r) => r.url())).toEqual(
      [],
    );
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    const violations = () =>
      page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
    expect(await violations()).toEqual([]);
    // Control: the policy does block an inline style attribute, and the listener does see it.
    await page.evaluate(() => document.body.setAttribute('style', 'color: red'));
    await expect.poll(violations).toEqual([expect.stringMatching(/^style-src-attr /)]);
  });
});

describe('admin page, Entra mode (App Service Authentication in front)', () => {
  let host: FunctionsHost;
  let context: BrowserContext;
  let page: Page;
  const principal = (name: string, roles: string[]) =>
    Buffer.from(
      JSON.stringify({
        auth_typ: 'aad',
        name_typ: 'preferred_username',
        role_typ: 'roles',
        claims: [{ typ: 'preferred_username', val: name }, ...roles.map((val) => ({ typ: 'roles', val }))],
      }),
    ).toString('base64');

  beforeAll(async () => {
    // As the platform shows App Service Authentication on (else the admin API is closed: src/config/adminAuthPosture.ts).
    setEnv({ ...baseEnv(`t${randomUUID().replace(/-/g, '').slice(0, 12)}`), ...entraBehindEasyAuth });
    // No function key: in Azure, App Service Authentication in front decides who gets in.
    host = await startFunctionsHost({ port: 0, functionModules, log: () => {} });
    await host.runTimer('pollAuditEvents');
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      extraHTTPHeaders: { 'x-ms-client-principal': principal('reader@contoso.com', ['PkiAlerts.Reader']) },
    });
    await context.addCookies([{ name: 'AppServiceAuthSession', value: 'e2e-session', url: host.url }]);
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await host?.close();
  });

  it('shows the signed-in reader and no write controls', async () => {
    await page.goto(`${host.url}/api/ui`);
    await page.getByRole('heading', { level: 1, name: 'Rules' }).waitFor();
    expect(await page.getByTestId('signed-in').innerText()).toMatch(/reader@contoso\.com\s+reader/);
    expect(await page.getByRole('link', { name: 'New rule' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Disable|Enable|Delete) / }).count()).toBe(0);
    await screenshots(page, 'rules-reader');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page
      .getByRole('link', { name: 'View Revoked Cloud PKI CA certificate' })
      .or(page.getByRole('link', { name: /^View / }).first())
      .first()
      .click();
    const save = page.getByRole('button', { name: 'Save rule' });
    await save.waitFor();
    expect(await save.isDisabled()).toBe(true);
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('heading', { level: 1, name: 'Channels' }).waitFor();
    expect(await page.getByRole('button', { name: /^Send a test alert/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
    expect(await page.locator('tbody tr').first().innerText()).toContain('Home tenant (AZURE_TENANT_ID)');
    expect(await page.getByRole('button', { name: /^(Check|Remove|Add tenant)/ }).count()).toBe(0);
    expect(await page.getByLabel('Tenant id').count()).toBe(0);
  });

  it('is refused by the API when a reader writes anyway', async () => {
    const status = await page.evaluate(async () => {
      const headers = { 'content-type': 'application/json', 'x-requested-with': 'pki-alerts-admin' };
      const put = await fetch('/api/rules/reader-made', {
        method: 'PUT',
        headers,
        body: JSON.stringify({
          name: 'x',
          enabled: true,
          severity: 'low',
          activityTypes: ['Delete CloudCertificationAuthority'],
          channels: ['default'],
        }),
      });
      const window = await fetch('/api/windows', {
        method: 'POST',
        headers,
        body: JSON.stringify({
          scope: { ruleIds: ['cloudpki-ca-deleted'] },
          end: new Date(Date.now() + 3_600_000).toISOString(),
          reason: 'x',
        }),
      });
      return [put.status, window.status];
    });
    expect(status).toEqual([403, 403]);
  });

  it('refuses a cookie-authenticated write without the CSRF header, and a cross-site one', async () => {
    const status = await page.evaluate(async () => {
      const body = JSON.stringify({
        rule: {
          id: 'x',
          name: 'x',
          enabled: true,
          severity: 'low',
          activityTypes: ['Delete CloudCertificationAuthority'],
          channels: ['default'],
        },
      });
      const bare = await fetch('/api/ui/preview', { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      const marked = await fetch('/api/ui/preview', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'pki-alerts-admin' },
        body,
      });
      return [bare.status, marked.status];
    });
    expect(status).toEqual([403, 200]);
    const crossSite = await fetch(`${host.url}/api/ui/preview`, {
      method: 'POST',
      headers: {
        'x-ms-client-principal': principal('admin@contoso.com', ['PkiAlerts.Admin']),
        'sec-fetch-site': 'cross-site',
        'x-requested-with': 'pki-alerts-admin',
      },
      body: '{}',
    });
    expect(crossSite.status).toBe(403);
  });

  it('says the admin API is closed when App Service Authentication is no longer verifiable (503), and nothing else', async () => {
    delete process.env.WEBSITE_AUTH_ENABLED;
    try {
      await page.goto(`${host.url}/api/ui`);
      await page.getByRole('heading', { level: 1, name: 'Admin API closed' }).waitFor();
      expect(await page.getByRole('main').innerText()).toContain('WEBSITE_AUTH_ENABLED is not set');
      expect(await page.getByRole('link', { name: 'New rule' }).count()).toBe(0);
    } finally {
      process.env.WEBSITE_AUTH_ENABLED = 'True';
    }
  });
});
