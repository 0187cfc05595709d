import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, findUiDir, loadUiAssets, pageHtml } from '../../../src/functions/http/adminPage';
import { previewCard, sampleEvent as ruleSample } from '../../../src/admin/cardPreview';
import { checkCsrf } from '../../../src/functions/http/csrf';
import { ruleStats, summarize } from '../../../src/admin/ruleStats';
import type { AuditPage, AuditSource } from '../../../src/audit/auditSource';
import type { PollWindow } from '../../../src/audit/pollWindow';
import type { Alert } from '../../../src/dispatch/alert';
import type { AlertRule } from '../../../src/rules/alertRule';
import { AuthError, NotFoundError, ValidationError } from '../../../src/shared/errors';
import { asDisplayed } from '../../../src/ui/views/cardText';
import { fieldOf, filterPosition } from '../../../src/ui/views/ruleForm';
import { expectValidAdaptiveCards } from '../../helpers/adaptiveCards';
import { sampleAlert } from '../../helpers/alertFixtures';
import { graphEvent } from '../../helpers/graphEvents';

const now = new Date('2026-11-25T10:00:00.000Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();

describe('rule stats (alerts per rule in the last 7 days, last fired)', () => {
  const alert = (ruleId: string, createdAt: string, eventCount: number, extra: Partial<Alert> = {}) =>
    sampleAlert({ id: `${ruleId}-${createdAt}`, ruleId, createdAt, eventCount, ...extra });
  const since = new Date(daysAgo(7));

  it.each<[string, Alert[], ReturnType<typeof summarize>]>([
    ['nothing in the outbox', [], []],
    [
      'counts alerts and their exact events in the period, last fired over the whole outbox',
      [alert('r1', daysAgo(1), 3), alert('r1', daysAgo(2), 10), alert('r1', daysAgo(20), 1)],
      [{ ruleId: 'r1', alerts: 2, events: 13, suppressed: 0, lastFiredAt: daysAgo(1) }],
    ],
    [
      'an older alert only: fired, but nothing this week',
      [alert('r2', daysAgo(9), 4)],
      [{ ruleId: 'r2', alerts: 0, events: 0, suppressed: 0, lastFiredAt: daysAgo(9) }],
    ],
    [
      'suppressed matches are counted apart and are not "fired"',
      [alert('r3', daysAgo(1), 2, { suppressedBy: 'cw-1' }), alert('r3', daysAgo(3), 1)],
      [{ ruleId: 'r3', alerts: 1, events: 1, suppressed: 1, lastFiredAt: daysAgo(3) }],
    ],
    [
      "notices, tests, tamper and watchdog messages are no rule's matches",
      [
        alert('r4', daysAgo(1), 1, { kind: 'notice' }),
        alert('tamper:r4', daysAgo(1), 1),
        alert('watchdog:lag', daysAgo(1), 1),
        alert('r4', daysAgo(1), 1, { kind: 'test' }),
      ],
      [],
    ],
  ])('%s', (_name, alerts, expected) => {
    expect(summarize(alerts, since)).toEqual(expected);
  });

  it('reads every alert in the outbox once, whatever the API list limit', async () => {
    const calls: unknown[] = [];
    const outbox = {
      listAlerts: async (tenantId: string, options?: { limit?: number }) => (
        calls.push([tenantId, options]),
        [{ alert: alert('r1', daysAgo(1), 2), deliveries: [] }]
      ),
    };
    expect(await ruleStats(outbox, 'tenant-1', now)).toEqual({
      since: daysAgo(7),
      days: 7,
      value: [{ ruleId: 'r1', alerts: 1, events: 2, suppressed: 0, lastFiredAt: daysAgo(1) }],
    });
    expect(calls).toEqual([['tenant-1', { limit: Number.MAX_SAFE_INTEGER }]]);
  });
});

describe('CSRF check on browser writes', () => {
  const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });
  const marked = { 'x-requested-with': 'pki-alerts-admin' };

  it.each<[string, 'key' | 'entra', string, Record<string, string>, boolean]>([
    [
      'key mode: the key header cannot be forged cross-site',
      'key',
      'POST',
      { cookie: 'a=b', 'sec-fetch-site': 'cross-site' },
      true,
    ],
    [
      'entra, reads are never refused',
      'entra',
      'GET',
      { cookie: 'AppServiceAuthSession=x', 'sec-fetch-site': 'cross-site' },
      true,
    ],
    [
      'entra, the page (cookie + header, same origin)',
      'entra',
      'PUT',
      { cookie: 'AppServiceAuthSession=x', 'sec-fetch-site': 'same-origin', ...marked },
      true,
    ],
    ['entra, a token client (no cookie, no browser header)', 'entra', 'POST', { authorization: 'Bearer eyJ' }, true],
    [
      'entra, a cookie write without the header (a forged form post)',
      'entra',
      'POST',
      { cookie: 'AppServiceAuthSession=x' },
      false,
    ],
    [
      'entra, a wrong header value',
      'entra',
      'DELETE',
      { cookie: 'AppServiceAuthSession=x', 'x-requested-with': 'XMLHttpRequest' },
      false,
    ],
    [
      'entra, cross-site even with the header',
      'entra',
      'POST',
      { cookie: 'AppServiceAuthSession=x', 'sec-fetch-site': 'cross-site', ...marked },
      false,
    ],
    [
      'entra, same-site (another app on the same registrable domain)',
      'entra',
      'POST',
      { 'sec-fetch-site': 'same-site', ...marked },
      false,
    ],
    ['entra, typed into the address bar / bookmark (none)', 'entra', 'POST', { 'sec-fetch-site': 'none' }, true],
  ])('%s', (_name, mode, method, h, allowed) => {
    const run = () => checkCsrf(method, headers(h), { mode });
    if (allowed) expect(run).not.toThrow();
    else expect(run).toThrow(AuthError);
  });

  it('answers 403 with a message that says how to comply', () => {
    try {
      checkCsrf('POST', headers({ cookie: 'x=y' }), { mode: 'entra' });
    } catch (err) {
      expect((err as AuthError).status).toBe(403);
      expect((err as AuthError).message).toContain('"x-requested-with: pki-alerts-admin"');
    }
  });
});

describe('card preview (POST /api/ui/preview)', () => {
  const rule: AlertRule = {
    id: 'ca-deleted',
    name: 'CA deleted',
    enabled: false,
    severity: 'high',
    activityTypes: ['Delete CloudCertificationAuthority'],
    channels: ['default'],
    runbookUrl: 'https://wiki.contoso.com/pki',
  };
  const raw = graphEvent({
    at: new Date('2026-11-25T09:30:00Z'),
    id: 'e-1',
    caName: 'Contoso [Root](https://evil.example) CA',
    upn: 'helpdesk@contoso.com',
  });
  const source = (pages: unknown[][]): AuditSource & { windows: PollWindow[] } => ({
    windows: [],
    async *listPages(window: PollWindow): AsyncIterable<AuditPage> {
      this.windows.push(window);
      for (const [i, events] of pages.entries()) yield { events, pageNumber: i + 1, hasMore: i < pages.length - 1 };
    },
  });
  const deps = (s: AuditSource = source([])) => ({
    tenantId: 't1',
    source: s,
    clock: () => now,
    intunePortalUrl: 'https://intune.microsoft.com',
  });
  const cardText = (p: Awaited<ReturnType<typeof previewCard>>) => JSON.stringify(p.message);

  it('builds the Teams message for a given Graph event, valid for the Adaptive Cards SDK', async () => {
    const p = await previewCard(deps(), { rule, event: raw });
    expectValidAdaptiveCards(p.message);
    expect([p.eventSource, p.eventId, p.matches]).toEqual(['given', 'e-1', true]);
    expect(cardText(p)).toContain('HIGH · CA deleted');
    expect(cardText(p)).toContain('Open runbook');
    expect(p.bytes).toBe(Buffer.byteLength(JSON.stringify(p.message)));
  });

  it('reads a backtested event back from Graph by id, in a window around its time', async () => {
    const s = source([[graphEvent({ at: new Date('2026-11-25T09:30:00Z'), id: 'other' })], [raw]]);
    const p = await previewCard(deps(s), {
      rule,
      eventRef: { id: 'e-1', activityDateTime: '2026-11-25T09:30:00.0001234Z' },
    });
    expect([p.eventSource, p.eventId]).toEqual(['graph', 'e-1']);
    expect(s.windows).toEqual([
      { from: new Date('2026-11-25T09:29:59Z'), to: new Date('2026-11-25T09:30:02Z'), basis: 'first-run' },
    ]);
    await expect(
      previewCard(deps(source([[]])), { rule, eventRef: { id: 'gone', activityDateTime: '2026-11-25T09:30:00Z' } }),
    ).rejects.toThrow(NotFoundError);
  });

  it("makes up a sample event of the rule's first activity type when none is given", async () => {
    const p = await previewCard(deps(), { rule: { ...rule, activityTypes: ['* CloudCertificationAuthority'] } });
    expectValidAdaptiveCards(p.message);
    expect([p.eventSource, p.matches]).toEqual(['sample', true]);
    expect(ruleSample({ ...rule, result: 'Failure' }, now).activityResult).toBe('Failure');
    const other = await previewCard(deps(), {
      rule,
      event: graphEvent({ at: now, type: 'Patch CloudCertificationAuthority' }),
    });
    expect(other.matches).toBe(false);
  });

  it("lists every problem of the request, the rule's under rule.", async () => {
    const err = await previewCard(deps(), {
      rule: { ...rule, filter: "activityResult eq 'x' and (" },
      eventRef: { id: '' },
      extra: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.field)).toEqual(['extra', 'rule.filter', 'eventRef.id']);
    expect((err as ValidationError).problems[1].message).toMatch(/^at 28: /);
  });
});

describe('admin page shell and assets', () => {
  it('has no inline script, style or handler, and carries the auth mode for the script', () => {
    const html = pageHtml({ authMode: 'entra', version: 'abc' });
    expect(html).toContain('<meta name="pki-auth-mode" content="entra">');
    expect(html).toContain('<script src="/api/ui/static/app.js?v=abc" defer></script>');
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i);
    expect(contentSecurityPolicy).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
  });

  it('finds the built assets beside the code, serves only what the manifest lists, and rereads a new build', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ui-'));
    const code = path.join(dir, 'dist', 'bundle');
    fs.mkdirSync(code, { recursive: true });
    expect(findUiDir(code)).toBeUndefined();
    expect(loadUiAssets(code)).toBeUndefined();
    const ui = path.join(dir, 'dist', 'ui');
    fs.mkdirSync(ui);
    fs.writeFileSync(path.join(ui, 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(ui, 'app.css'), 'body{}');
    fs.writeFileSync(
      path.join(ui, 'manifest.json'),
      JSON.stringify({ files: ['app.js', 'app.css', '../secret.js', 'notes.txt'] }),
    );
    const first = loadUiAssets(code)!;
    expect(first.dir).toBe(ui);
    expect([...first.files.keys()]).toEqual(['app.js', 'app.css']);
    expect(first.files.get('app.js')!.contentType).toBe('text/javascript; charset=utf-8');
    fs.writeFileSync(path.join(ui, 'app.js'), 'console.log(2)');
    fs.writeFileSync(path.join(ui, 'manifest.json'), JSON.stringify({ files: ['app.js'] }));
    const future = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(ui, 'manifest.json'), future, future);
    const second = loadUiAssets(code)!;
    expect(second.version).not.toBe(first.version);
    expect(second.files.get('app.js')!.body.toString()).toBe('console.log(2)');
  });
});

describe('page helpers', () => {
  it.each([
    ['name', 'name'],
    ['rule.name', 'name'],
    ['activityTypes[2]', 'activityTypes'],
    ['actor.exclude.userPrincipalNames[0]', 'actorExclude'],
    ['actor.exclude', 'actorExclude'],
    ['rule.filter', 'filter'],
    ['channels[1]', 'channels'],
    ['runbookUrl', 'runbookUrl'],
    ['actor.include.ipAddresses[0]', undefined],
    ['threshold.count', undefined],
    ['rule', undefined],
    ['activityTypesX', undefined],
  ])('maps the problem %s to the form field %s', (problem, expected) => {
    expect(fieldOf(problem)).toBe(expected);
  });

  it('reads the 1-based position out of a filter problem', () => {
    expect(filterPosition("at 34: expected ')' but found end of input")).toEqual({
      position: 34,
      detail: "expected ')' but found end of input",
    });
    expect(filterPosition('must be at most 2000 characters')).toBeUndefined();
  });

  it('resolves Markdown escapes of app-made TextBlocks only, never of TextRuns (event data)', () => {
    const card = {
      type: 'AdaptiveCard',
      body: [
        { type: 'TextBlock', text: 'HIGH · ca\\_deleted \\[x\\]' },
        { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'a\\_b [c](d)' }] },
      ],
    };
    expect(asDisplayed(card)).toEqual({
      type: 'AdaptiveCard',
      body: [
        { type: 'TextBlock', text: 'HIGH · ca_deleted [x]' },
        { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'a\\_b [c](d)' }] },
      ],
    });
  });
});
