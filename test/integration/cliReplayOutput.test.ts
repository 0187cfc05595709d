import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent } from '../helpers/graphEvents';

const dir = mkdtempSync(path.join(tmpdir(), 'pki-replay-'));
const at = (m: number) => new Date(Date.parse('2026-11-18T10:00:00Z') + m * 60_000);
const events = path.join(dir, 'events.json');
writeFileSync(
  events,
  JSON.stringify({
    value: [
      graphEvent({ type: T.caDeleted, at: at(1), upn: 'alice@contoso.com', caName: 'Contoso Root CA' }),
      graphEvent({ type: T.caDeleted, at: at(2), upn: 'bob@contoso.com', caName: 'Contoso Issuing CA' }),
      graphEvent({
        type: T.caStatusChanged,
        at: at(3),
        upn: 'alice@contoso.com',
        caName: '<null>',
        caId: 'ca-without-name',
      }),
    ],
  }),
);

async function replay(args: string[], isTty: boolean) {
  const lines: string[] = [];
  const code = await main(['replay', '--events', events, ...args], (l) => lines.push(l), { isTty });
  return { code, lines };
}

describe('pki-alerts replay output', () => {
  it('piped: one JSON line per alert with the activity types, actors and CAs next to the rule', async () => {
    const { code, lines } = await replay([], false);
    expect(code).toBe(0);
    const alerts = lines.slice(0, -1).map((l) => JSON.parse(l));
    if (process.env.SHOW_REPLAY) console.log(lines.join('\n'));
    // How events are grouped into alerts is the detection core's business: compare per rule.
    const byRule = (ruleId: string, field: 'activityTypes' | 'actors' | 'cas') =>
      [...new Set(alerts.filter((a) => a.ruleId === ruleId).flatMap((a) => a[field]))].sort();
    expect([...new Set(alerts.map((a) => a.ruleId))].sort()).toEqual([
      'cloudpki-ca-deleted',
      'cloudpki-ca-status-changed',
    ]);
    expect(byRule('cloudpki-ca-deleted', 'activityTypes')).toEqual([T.caDeleted]);
    expect(byRule('cloudpki-ca-deleted', 'actors')).toEqual(['alice@contoso.com', 'bob@contoso.com']);
    expect(byRule('cloudpki-ca-deleted', 'cas')).toEqual(['Contoso Issuing CA', 'Contoso Root CA']);
    // A "<null>" CA name reads as null: the resource id stands in.
    expect(byRule('cloudpki-ca-status-changed', 'cas')).toEqual(['ca-without-name']);
    for (const a of alerts)
      expect(a).toMatchObject({
        severity: 'high',
        sampled: false,
        eventIds: expect.any(Array),
        ruleName: expect.any(String),
      });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ summary: { events: 3 } });
  });

  it('on a terminal: a table; --json forces JSON lines there too', async () => {
    const { lines } = await replay([], true);
    expect(lines[0]).toMatch(
      /^SEVERITY\s+RULE\s+EVENTS\s+ACTIVITY TYPE\(S\)\s+ACTOR\(S\)\s+CA\(S\)\s+FIRST – LAST \(UTC\)$/,
    );
    expect(lines[1]).toMatch(
      /^HIGH\s+Cloud PKI CA deleted\s+[12]\s+Delete CloudCertificationAuthority\s+alice@contoso\.com(, bob@contoso\.com)?\s+Contoso Root CA(, Contoso Issuing…)?\s+2026-11-18 10:01 – 10:0[12]$/,
    );
    expect(lines.at(-1)).toMatch(
      /^\d alert\(s\) from 3 event\(s\) \(3 match\(es\), 0 malformed, 0 by the app itself\) against 11 rule\(s\)\.$/,
    );
    const forced = await replay(['--json'], true);
    expect(() => forced.lines.map((l) => JSON.parse(l))).not.toThrow();
  });
});
