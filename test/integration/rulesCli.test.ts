import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { getServices } from '../../src/composition/appServices';
import { main } from '../../src/cli/main';
import { createLogger } from '../../src/shared/logger';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent } from '../helpers/graphEvents';
import { acceptedCards, type Pipeline, usePipelineEnvironment } from '../helpers/pipeline';

const dir = mkdtempSync(path.join(tmpdir(), 'pki-rules-cli-'));
const file = (name: string, content: unknown) => {
  const f = path.join(dir, `${name}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return f;
};

const rules = [
  {
    id: 'ca-revoked',
    name: 'CA revoked',
    enabled: true,
    severity: 'critical',
    activityTypes: [T.caCertificateRevoked],
    channels: ['default'],
  },
  {
    id: 'ca-deleted',
    name: 'CA deleted',
    enabled: true,
    severity: 'high',
    activityTypes: [T.caDeleted],
    channels: ['default'],
  },
  {
    id: 'ca-created',
    name: 'CA created',
    enabled: true,
    severity: 'medium',
    activityTypes: [T.caCreated],
    channels: ['default'],
    description: 'New CA',
  },
];

/** Runs the CLI, capturing stdout lines and stderr text. */
async function run(args: string[]) {
  const lines: string[] = [];
  const errors: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = (chunk: string) => errors.push(String(chunk)) > 0;
  try {
    const code = await main(args, (l) => lines.push(l));
    return { code, out: lines.join('\n'), err: errors.join('') };
  } finally {
    process.stderr.write = write;
  }
}

describe('pki-alerts rules (rules as code)', () => {
  const pipeline = usePipelineEnvironment();
  let p: Pipeline;
  beforeEach(() => {
    p = pipeline();
  });

  it('diff, import (dry run and real), export, and diff again round-trip a rules file', async () => {
    const source = file('rules', { rules });
    const diff = await run(['rules', 'diff', source]);
    expect(diff.code).toBe(0);
    expect(diff.out).toContain('+ add     ca-revoked (critical): CA revoked');
    expect(diff.out).toContain('3 to add, 0 to change, 0 to delete, 0 unchanged');

    expect((await run(['rules', 'import', source, '--dry-run'])).code).toBe(0);
    expect((await getServices().rules.list(p.tenantId)).rules).toHaveLength(0);

    const imported = await run(['rules', 'import', source]);
    expect(imported.code).toBe(0);
    expect(imported.out).toContain(`imported as cli:${userInfo().username}: 3 change(s) applied, 0 failed`);
    const h = await getServices().admin.history.list(p.tenantId, 'rule', 'ca-created');
    expect(h[0]).toMatchObject({ action: 'create', who: `cli:${userInfo().username}`, after: rules[2] });

    const exported = path.join(dir, 'exported.json');
    expect((await run(['rules', 'export', exported])).code).toBe(0);
    const doc = JSON.parse(readFileSync(exported, 'utf8'));
    expect(doc.rules.map(({ schemaVersion, ...r }: { schemaVersion: number }) => ({ schemaVersion, ...r }))).toEqual(
      [...rules].sort((a, b) => a.id.localeCompare(b.id)).map((r) => ({ schemaVersion: 1, ...r })),
    );
    const again = await run(['rules', 'diff', exported]);
    expect(again.out).toContain('0 to add, 0 to change, 0 to delete, 3 unchanged');

    const list = await run(['rules', 'list']);
    expect(list.out).toMatch(/ca-revoked\s+enabled\s+critical\s+CA revoked/);
    const one = await run(['rules', 'get', 'ca-deleted']);
    expect(JSON.parse(one.out)).toEqual({ schemaVersion: 1, ...rules[1] });
  });

  it('shows field-level changes and deletions, and an import applies them through the same history and tamper checks', async () => {
    await run(['rules', 'import', file('rules', { rules })]);
    const edited = [{ ...rules[1], severity: 'medium', description: 'now medium' }, rules[2]]; // ca-revoked (critical) removed
    const target = file('edited', edited);
    const diff = await run(['rules', 'diff', target]);
    expect(diff.out).toContain('~ change  ca-deleted');
    expect(diff.out).toContain('      description: (none) → "now medium"');
    expect(diff.out).toContain('      severity: "high" → "medium"');
    expect(diff.out).toContain('- delete  ca-revoked');
    expect(diff.out).toContain('0 to add, 1 to change, 1 to delete, 1 unchanged');

    expect((await run(['rules', 'import', target])).code).toBe(0);
    expect((await getServices().rules.list(p.tenantId)).rules.map((r) => `${r.id}:${r.severity}`).sort()).toEqual([
      'ca-created:medium',
      'ca-deleted:medium',
    ]);
    // Deleting the critical rule and lowering the high one are tampering: two cards on the next delivery.
    await getServices().deliver(createLogger(() => undefined));
    const cards = acceptedCards(p)
      .map((c) => /Tamper: [a-z]+ rule/.exec(c.text)?.[0])
      .sort();
    expect(cards).toEqual(['Tamper: critical rule', 'Tamper: high rule']);
  });

  it('refuses a file with an invalid rule (exit 2, nothing changed) and validate lists every problem (exit 1)', async () => {
    const bad = file('bad', [rules[0], { ...rules[1], severity: 'urgent' }, { ...rules[2], id: 'ca-revoked' }]);
    const imported = await run(['rules', 'import', bad]);
    expect(imported.code).toBe(2);
    expect(imported.err).toContain('nothing was changed');
    expect((await getServices().rules.list(p.tenantId)).rules).toHaveLength(0);
    const validated = await run(['rules', 'validate', bad]);
    expect(validated.code).toBe(1);
    expect(validated.out).toMatch(/invalid: rules\[1\].*severity/);
    expect(validated.out).toContain('rule id "ca-revoked" appears more than once');
    expect((await run(['rules', 'validate', file('good', rules)])).out).toBe('3 valid rule(s), 0 problem(s)');
    expect((await run(['rules', 'import', file('empty', { rules: [] })])).code).toBe(2);
  });

  it('backtests a rule file against Graph with progress on stderr and the result on stdout', async () => {
    p.sim.addEvents(
      Array.from({ length: 3 }, (_, i) =>
        graphEvent({ type: T.caDeleted, at: new Date(Date.now() - (i + 1) * 3_600_000) }),
      ),
    );
    const r = await run([
      'rules',
      'backtest',
      '--rule',
      file('one', rules[1]),
      '--from',
      new Date(Date.now() - 86_400_000).toISOString(),
      '--to',
      new Date().toISOString(),
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('backtest: 1 page(s) read, 3 event(s) scanned, 3 match(es)');
    expect(JSON.parse(r.out)).toMatchObject({ source: 'graph', matches: 3, windowsIgnored: true });
    expect((await run(['rules', 'backtest', '--id', 'x'])).code).toBe(2);
  });
});
