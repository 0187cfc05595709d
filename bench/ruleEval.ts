import { Engine, type RuleProperties } from 'json-rules-engine';
import type { AuditEvent } from '../src/audit/auditEvent';
import type { AlertRule } from '../src/rules/alertRule';
import { cloudPkiActivityTypes } from '../src/rules/defaultRulePack';
import { compileRules, matchRules } from '../src/rules/matchRules';
import { parseRule } from '../src/rules/parseRule';

/*
 * Rule evaluation throughput: our compiled matcher vs json-rules-engine 7.3.1 on equivalent rules (same
 * conditions, verified to give the same matches on the events both see). json-rules-engine evaluates a
 * subset of the events (it is far slower; BENCH_RULE_ENGINE_EVENTS) and its rate is per evaluation, so the
 * figures compare. It is given pre-lower-cased facts and values, which only helps it.
 */

const otherTypes = Array.from(
  { length: 30 },
  (_, i) =>
    `${['Create', 'Patch', 'Delete', 'Assign', 'Wipe'][i % 5]} ${['DeviceConfiguration', 'DeviceCompliancePolicy', 'MobileApp', 'RoleAssignment', 'EnrollmentProfile', 'ScopeTag'][i % 6]}${i}`,
);
const types = [...Object.values(cloudPkiActivityTypes), ...otherTypes, 'Rekey CloudCertificationAuthority'];
const upns = ['pkiadmin@contoso.com', 'breakglass@contoso.com', 'partner@fabrikam.com', 'helpdesk@contoso.com', null];
const caNames = ['Contoso Root CA', 'Contoso Issuing CA 01', 'Contoso Issuing CA 02', 'Lab CA'];

function benchEvents(n: number): AuditEvent[] {
  const t0 = Date.parse('2025-01-10T08:00:00Z');
  return Array.from({ length: n }, (_, i) => ({
    id: `e${i}`,
    activityDateTime: new Date(t0 + i * 1000).toISOString(),
    activityTimeInMs: t0 + i * 1000,
    activityType: types[(i * 7) % types.length],
    activityOperationType: 'Action',
    activityResult: i % 20 === 0 ? 'Failure' : 'Success',
    activity: null,
    category: i % 3 ? 'CloudPki' : 'DeviceConfiguration',
    componentName: null,
    correlationId: null,
    displayName: null,
    actor: {
      type: 'ItPro',
      userPrincipalName: upns[i % upns.length],
      userId: null,
      applicationId: '11111111-2222-3333-4444-555555555555',
      applicationDisplayName: null,
      servicePrincipalName: null,
      ipAddress: null,
      remoteTenantId: null,
      remoteUserId: null,
    },
    resources: [
      {
        displayName: caNames[i % caNames.length],
        type: 'CloudCertificationAuthority',
        resourceId: `ca-${i % 4}`,
        modifiedProperties: [{ name: 'Status', oldValue: 'active', newValue: i % 2 ? 'paused' : 'active' }],
      },
    ],
  }));
}

interface RulePair {
  ours: AlertRule;
  engine: RuleProperties;
}

const base = { enabled: true, severity: 'high' as const, channels: ['default'] };
const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());
const fact = (name: string, operator: string, value: unknown) => ({ fact: name, operator, value });

/** 100 rules in five shapes (20 each): exact types, patterns + result, exclusions, resource names, filters. */
function rulePairs(): RulePair[] {
  const pairs: RulePair[] = [];
  for (let i = 0; i < 20; i++) {
    const t = [types[i % types.length], types[(i + 11) % types.length]];
    pairs.push({
      ours: { ...base, id: `exact-${i}`, name: 'x', activityTypes: t },
      engine: {
        name: `exact-${i}`,
        conditions: { all: [fact('activityType', 'in', lower(t))] },
        event: { type: `exact-${i}` },
      },
    });
  }
  for (let i = 0; i < 20; i++) {
    const p = i % 2 ? '* CloudCertificationAuthority*' : `*${otherTypes[i].split(' ')[1].slice(0, 12)}*`;
    pairs.push({
      ours: { ...base, id: `pattern-${i}`, name: 'x', activityTypes: [p], result: 'Failure' },
      engine: {
        name: `pattern-${i}`,
        conditions: { all: [fact('activityType', 'wildcard', p.toLowerCase()), fact('failed', 'equal', true)] },
        event: { type: `pattern-${i}` },
      },
    });
  }
  for (let i = 0; i < 20; i++) {
    const t = [types[(i * 3) % types.length]];
    pairs.push({
      ours: {
        ...base,
        id: `exclude-${i}`,
        name: 'x',
        activityTypes: t,
        actor: { exclude: { userPrincipalNames: ['breakglass@contoso.com', '*@fabrikam.com'] } },
      },
      engine: {
        name: `exclude-${i}`,
        conditions: {
          all: [
            fact('activityType', 'in', lower(t)),
            { not: fact('upn', 'wildcardAny', ['breakglass@contoso.com', '*@fabrikam.com']) },
          ],
        },
        event: { type: `exclude-${i}` },
      },
    });
  }
  for (let i = 0; i < 20; i++) {
    const t = [types[(i * 5) % types.length]];
    pairs.push({
      ours: {
        ...base,
        id: `resource-${i}`,
        name: 'x',
        activityTypes: t,
        resource: { namePatterns: ['Contoso Root*', '*Issuing CA 02'] },
      },
      engine: {
        name: `resource-${i}`,
        conditions: {
          all: [
            fact('activityType', 'in', lower(t)),
            fact('resourceNames', 'anyWildcard', ['contoso root*', '*issuing ca 02']),
          ],
        },
        event: { type: `resource-${i}` },
      },
    });
  }
  for (let i = 0; i < 20; i++) {
    const t = types[(i * 13) % types.length];
    const filter = `activityType eq '${t}' and resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Status' and p/newValue eq 'paused'))`;
    pairs.push({
      ours: { ...base, id: `filter-${i}`, name: 'x', filter },
      engine: {
        name: `filter-${i}`,
        conditions: {
          all: [fact('activityType', 'equal', t.toLowerCase()), fact('statusChanges', 'contains', 'paused')],
        },
        event: { type: `filter-${i}` },
      },
    });
  }
  return pairs;
}

/** `*` wildcard for json-rules-engine, as a precompiled-once regex per pattern. */
const regexCache = new Map<string, RegExp>();
const wildcard = (value: string, pattern: string) => {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      's',
    );
    regexCache.set(pattern, re);
  }
  return re.test(value);
};

function engineFor(pairs: RulePair[]): Engine {
  const engine = new Engine(
    pairs.map((p) => p.engine),
    { allowUndefinedFacts: true },
  );
  engine.addOperator<string, string>('wildcard', (v, p) => typeof v === 'string' && wildcard(v, p));
  engine.addOperator<string, string[]>(
    'wildcardAny',
    (v, ps) => typeof v === 'string' && ps.some((p) => wildcard(v, p)),
  );
  engine.addOperator<string[], string[]>(
    'anyWildcard',
    (vs, ps) => Array.isArray(vs) && vs.some((v) => ps.some((p) => wildcard(v, p))),
  );
  return engine;
}

const factsOf = (e: AuditEvent) => ({
  activityType: e.activityType?.toLowerCase(),
  failed: e.activityResult !== null && e.activityResult.toLowerCase() !== 'success',
  upn: e.actor.userPrincipalName?.toLowerCase(),
  resourceNames: e.resources.map((r) => r.displayName?.toLowerCase() ?? ''),
  statusChanges: e.resources.flatMap((r) =>
    r.modifiedProperties.filter((p) => p.name?.toLowerCase() === 'status').map((p) => p.newValue?.toLowerCase()),
  ),
});

export interface RuleEvaluationFigures {
  /** Rule evaluations (rules × events) per second, one figure per repeat. */
  ours: number[];
  engine: number[];
  ratio: number[];
  rules: number;
  events: number;
  engineEvents: number;
}

/** Measures both matchers `repeats` times; throws if they disagree on any event both evaluated. */
export async function measureRuleEvaluation(
  options: { repeats?: number; events?: number; engineEvents?: number } = {},
): Promise<RuleEvaluationFigures> {
  const repeats = options.repeats ?? 3;
  const eventCount = options.events ?? 100_000;
  const engineEvents = options.engineEvents ?? Number(process.env.BENCH_RULE_ENGINE_EVENTS ?? 2_000);
  const pairs = rulePairs();
  const rules = pairs.map((p) => parseRule(p.ours));
  const events = benchEvents(eventCount);
  const engine = engineFor(pairs);
  const out: RuleEvaluationFigures = {
    ours: [],
    engine: [],
    ratio: [],
    rules: rules.length,
    events: eventCount,
    engineEvents,
  };
  for (let r = 0; r < repeats; r++) {
    let started = performance.now();
    const compiled = compileRules(rules);
    const byShape = new Map<string, number>();
    for (const e of events)
      for (const m of matchRules(compiled, e))
        byShape.set(m.id.split('-')[0], (byShape.get(m.id.split('-')[0]) ?? 0) + 1);
    const oursRate = (rules.length * events.length) / ((performance.now() - started) / 1000);
    if (byShape.size < 5)
      throw new Error(
        `every rule shape must match some events for a fair comparison; matched: ${JSON.stringify(Object.fromEntries(byShape))}`,
      );

    started = performance.now();
    const engineMatches: string[][] = [];
    for (const e of events.slice(0, engineEvents))
      engineMatches.push((await engine.run(factsOf(e))).events.map((x) => x.type).sort());
    const engineRate = (rules.length * engineEvents) / ((performance.now() - started) / 1000);
    events.slice(0, engineEvents).forEach((e, i) => {
      const ours = matchRules(compiled, e)
        .map((x) => x.id)
        .sort();
      if (ours.join() !== engineMatches[i].join())
        throw new Error(
          `rule sets disagree on event ${e.id}: ours [${ours.join(', ')}] vs json-rules-engine [${engineMatches[i].join(', ')}]`,
        );
    });
    out.ours.push(oursRate);
    out.engine.push(engineRate);
    out.ratio.push(oursRate / engineRate);
  }
  return out;
}
