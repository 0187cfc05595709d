import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { BacktestProgress } from '../app/backtest';
import { loadConfig } from '../config/config';
import { deleteRule, getRule, listRules, putRule } from '../admin/ruleAdmin';
import { type ImportPlan, planImport } from '../rules/planImport';
import { ruleAdminScope } from '../composition/ruleScope';
import { createServices, type Services } from '../composition/services';
import { type AlertRule, ruleSchemaVersion } from '../rules/alertRule';
import { parseRule } from '../rules/parseRule';
import { ValidationError } from '../shared/errors';
import { createLogger, errorText, type Logger } from '../shared/logger';
import { readJsonFile, UsageError } from './cliInput';

export const rulesUsage = `  pki-alerts rules list                       the stored rules (id, state, severity, name; rows that do not parse)
  pki-alerts rules get ID                     one stored rule as JSON
    (list, get, export, diff, import: --tenant ID addresses a registered tenant's own rules, which replace
     global rules of the same id for it; default: the global rules, which apply to every tenant)
  pki-alerts rules validate FILE              checks a rules file (or one rule) with the app's parser
  pki-alerts rules export [FILE]              every rule as a rules file ({"rules": [...]}; stdout without FILE)
  pki-alerts rules diff FILE                  what importing FILE would add / change (field by field) / delete
  pki-alerts rules import FILE [--dry-run]    makes the stored rules equal to FILE (rules as code): validated,
                                              ETag-guarded, recorded in the history as cli:<os user>
  pki-alerts rules backtest (--rule FILE | --id ID) --from ISO --to ISO
                                              what a rule would have fired over a past range (read from
                                              Graph; progress on stderr; result JSON on stdout)`;

type Out = (line: string) => void;

/** `--tenant ID`: a registered tenant's own rules (src/composition/ruleScope.ts); default the global rules. */
const tenantOption = { tenant: { type: 'string' } } as const;
const depsOf = async (services: Services, tenant: string | undefined) =>
  (await ruleAdminScope(services, tenant, stderrLog)).deps;

const stderrLog: Logger = createLogger((level, line) => process.stderr.write(`${level.toUpperCase()} ${line}\n`));

/** A rules file: `{"rules": [...]}`, an array of rules, or one rule. Every rule goes through parseRule. */
export function readRulesDocument(file: string): { rules: AlertRule[]; problems: string[] } {
  const doc = readJsonFile(file, 'rules');
  const list: unknown[] = Array.isArray(doc)
    ? doc
    : Array.isArray((doc as { rules?: unknown })?.rules)
      ? (doc as { rules: unknown[] }).rules
      : [doc];
  const rules: AlertRule[] = [];
  const problems: string[] = [];
  list.forEach((r, i) => {
    try {
      rules.push(parseRule(r, `rules[${i}]`));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      problems.push(err.message);
    }
  });
  const ids = rules.map((r) => r.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i)))
    problems.push(`rule id "${id}" appears more than once`);
  return { rules, problems };
}

const exportDoc = (rules: readonly AlertRule[]) =>
  `${JSON.stringify({ rules: [...rules].sort((a, b) => a.id.localeCompare(b.id)).map((r) => ({ schemaVersion: ruleSchemaVersion, ...r })) }, null, 2)}\n`;
const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));

export function formatPlan(plan: ImportPlan): string[] {
  const lines: string[] = [];
  for (const r of plan.add) lines.push(`+ add     ${r.id} (${r.severity}${r.enabled ? '' : ', disabled'}): ${r.name}`);
  for (const c of plan.change) {
    lines.push(`~ change  ${c.id}`);
    for (const f of c.fields) lines.push(`      ${f.field}: ${show(f.before)} → ${show(f.after)}`);
  }
  for (const d of plan.delete) lines.push(`- delete  ${d.id}`);
  lines.push(
    `${plan.add.length} to add, ${plan.change.length} to change, ${plan.delete.length} to delete, ${plan.unchanged.length} unchanged`,
  );
  return lines;
}

function readDesired(file: string): AlertRule[] {
  const { rules, problems } = readRulesDocument(file);
  if (problems.length)
    throw new UsageError(`${file} has invalid rules (nothing was changed):\n  ${problems.join('\n  ')}`);
  // An empty file would delete every rule: almost certainly a mistake.
  if (rules.length === 0) throw new UsageError(`${file} holds no rules; importing it would delete every rule`);
  return rules;
}

async function importRules(
  services: Services,
  tenant: string | undefined,
  plan: ImportPlan,
  out: Out,
): Promise<number> {
  const { deps } = await ruleAdminScope(services, tenant, stderrLog, { write: true });
  const who = `cli:${userInfo().username}`;
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      out(`${what}: done`);
    } catch (err) {
      failures.push(`${what}: ${errorText(err)}`);
    }
  };
  for (const r of plan.add) await attempt(`add ${r.id}`, () => putRule(deps, r.id, r, { ifNoneMatch: '*' }, who));
  for (const c of plan.change)
    await attempt(`change ${c.id}`, () => putRule(deps, c.id, c.after, { ifMatch: c.etag }, who));
  for (const d of plan.delete) await attempt(`delete ${d.id}`, () => deleteRule(deps, d.id, { ifMatch: d.etag }, who));
  for (const f of failures) process.stderr.write(`pki-alerts: ${f}\n`);
  out(
    `imported as ${who}: ${plan.add.length + plan.change.length + plan.delete.length - failures.length} change(s) applied, ${failures.length} failed`,
  );
  return failures.length ? 1 : 0;
}

function progressWriter(): (p: BacktestProgress) => void {
  const tty = process.stderr.isTTY;
  return (p) => {
    const text = `backtest: ${p.pages} page(s) read, ${p.events} event(s) scanned, ${p.matches} match(es)`;
    if (tty) process.stderr.write(`\r${text}`);
    else if (p.pages === 1 || p.pages % 10 === 0) process.stderr.write(`${text}\n`);
  };
}

/** `pki-alerts rules …`: rules as code against the configured storage (like `poll --once`). Returns the exit code. */
export async function rulesCommand(
  argv: string[],
  out: Out,
  services: () => Services = () => createServices(loadConfig()),
): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'list': {
        const { values } = parseArgs({ args: rest, options: tenantOption, strict: true });
        const { value, packVersion } = await listRules(await depsOf(services(), values.tenant));
        for (const s of value)
          out(
            s.rule
              ? `${s.id.padEnd(36)} ${(s.rule.enabled ? 'enabled' : 'disabled').padEnd(9)} ${s.rule.severity.padEnd(9)} ${s.rule.name}`
              : `${s.id.padEnd(36)} INVALID   ${(s.problems ?? []).map((p) => `${p.field}: ${p.message}`).join('; ')}`,
          );
        out(`${value.length} rule(s); default pack version ${packVersion}`);
        return 0;
      }
      case 'get': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: tenantOption,
          allowPositionals: true,
          strict: true,
        });
        if (positionals.length !== 1) throw new UsageError('rules get needs one rule id');
        const stored = await getRule(await depsOf(services(), values.tenant), positionals[0]);
        out(
          JSON.stringify(
            stored.rule
              ? { schemaVersion: ruleSchemaVersion, ...stored.rule }
              : { id: stored.id, problems: stored.problems, raw: stored.raw },
            null,
            2,
          ),
        );
        return stored.rule ? 0 : 1;
      }
      case 'validate': {
        const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true, strict: true });
        if (positionals.length !== 1) throw new UsageError('rules validate needs a FILE');
        const { rules, problems } = readRulesDocument(positionals[0]);
        for (const p of problems) out(`invalid: ${p}`);
        out(`${rules.length} valid rule(s), ${problems.length} problem(s)`);
        return problems.length ? 1 : 0;
      }
      case 'export': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: tenantOption,
          allowPositionals: true,
          strict: true,
        });
        const { value } = await listRules(await depsOf(services(), values.tenant));
        for (const s of value.filter((v) => !v.rule))
          process.stderr.write(`pki-alerts: rule "${s.id}" does not parse and is not exported\n`);
        const text = exportDoc(value.flatMap((v) => (v.rule ? [v.rule] : [])));
        if (positionals[0]) {
          writeFileSync(positionals[0], text);
          out(`exported ${value.filter((v) => v.rule).length} rule(s) to ${positionals[0]}`);
        } else
          text
            .trimEnd()
            .split('\n')
            .forEach((l) => out(l));
        return 0;
      }
      case 'diff':
      case 'import': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { 'dry-run': { type: 'boolean' }, ...tenantOption },
          allowPositionals: true,
          strict: true,
        });
        if (positionals.length !== 1) throw new UsageError(`rules ${sub} needs a FILE`);
        if (sub === 'diff' && values['dry-run'])
          throw new UsageError('rules diff never changes anything; --dry-run is for import');
        const desired = readDesired(positionals[0]);
        const s = services();
        const deps = await depsOf(s, values.tenant);
        const plan = planImport((await deps.rules.listStored(deps.tenantId)).rules, desired);
        formatPlan(plan).forEach((l) => out(l));
        if (sub === 'diff' || values['dry-run']) return 0;
        return await importRules(s, values.tenant, plan, out);
      }
      case 'backtest': {
        const { values } = parseArgs({
          args: rest,
          options: {
            rule: { type: 'string' },
            id: { type: 'string' },
            from: { type: 'string' },
            to: { type: 'string' },
          },
          strict: true,
        });
        if (!values.rule === !values.id) throw new UsageError('rules backtest needs --rule FILE or --id ID');
        if (!values.from || !values.to) throw new UsageError('rules backtest needs --from ISO and --to ISO');
        const body = {
          ...(values.rule ? { rule: readJsonFile(values.rule) } : { ruleId: values.id }),
          from: values.from,
          to: values.to,
        };
        const result = await services().admin.backtest(body, { onProgress: progressWriter() });
        if (process.stderr.isTTY) process.stderr.write('\n');
        out(JSON.stringify(result, null, 2));
        return 0;
      }
      default:
        throw new UsageError(sub ? `unknown rules command "${sub}"` : 'rules needs a command');
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`pki-alerts: ${(err as Error).message}\n\nUsage:\n${rulesUsage}\n`);
      return 2;
    }
    if (err instanceof ValidationError) {
      process.stderr.write(`pki-alerts: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`pki-alerts rules ${sub ?? ''} failed: ${errorText(err)}\n`);
    return 1;
  }
}
