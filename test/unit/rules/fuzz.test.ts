import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/auditEvent';
import type { AlertRule } from '../../../src/rules/alertRule';
import { compileFilter } from '../../../src/rules/filter/compileFilter';
import { FilterSyntaxError } from '../../../src/rules/filter/filterAst';
import { parseFilter } from '../../../src/rules/filter/filterParser';
import { compileRules, matchRules } from '../../../src/rules/matchRules';
import { parseRule } from '../../../src/rules/parseRule';
import { evaluateThreshold } from '../../../src/rules/threshold';
import { ValidationError } from '../../../src/shared/errors';
import { sampleEvent, sampleResource } from '../../helpers/alertFixtures';

/** Runs per property: 1,000 in `npm test`; FUZZ_RUNS=10000 for a longer fault run. */
const runs = Number(process.env.FUZZ_RUNS ?? 1000);
const params = { numRuns: runs };

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof(arb, fc.anything()), { nil: undefined, freq: 3 });
const word = fc.constantFrom(
  'Delete CloudCertificationAuthority',
  '* CloudCertificationAuthority',
  '*',
  '',
  ' ',
  'a*b*c',
  '*@contoso.com',
  '10.0.0.0/8',
  '::1',
  '2001:db8::/129',
  'pack@2',
  'https://x.example',
  'http://x',
  'default',
  'Bad Id',
);
const strings = fc.oneof(word, fc.string({ maxLength: 40 }));
const list = fc.array(strings, { maxLength: 4 });
const tokens = [
  'activityType',
  'category',
  'actor/userPrincipalName',
  'actor/ipAddress',
  'actor/type',
  'activityDateTime',
  'resources',
  'r',
  'p',
  '/any(',
  '/all(',
  'r:',
  'p:',
  'r/displayName',
  'r/modifiedProperties/any(p:',
  'p/newValue',
  'p/oldValue',
  'p/displayName',
  'eq',
  'ne',
  'gt',
  'ge',
  'lt',
  'le',
  'and',
  'or',
  'not',
  '(',
  ')',
  ',',
  "'x'",
  "'it''s'",
  "'",
  '5',
  '-1.5e3',
  'true',
  'false',
  'null',
  '2025-01-10T08:00:00Z',
  '2025-01-10',
  '2025-02-30',
  'startswith(',
  'endswith(',
  'contains(',
  'foo',
  '/',
  ':',
  '11111111-2222-3333-4444-555555555555',
  '#',
];
/** Token soup: reaches deep parser states far more often than random characters do. */
const tokenFilter = fc.array(fc.constantFrom(...tokens), { maxLength: 30 }).map((t) => t.join(' '));

const literal = fc.oneof(
  fc.string({ maxLength: 8 }).map((v) => `'${v.replace(/'/g, "''")}'`),
  fc.constantFrom('5', '-1.5', 'null', 'true', 'false'),
);
const cmp = fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le');
const fn = fc.constantFrom('startswith', 'endswith', 'contains');
/** Well-formed filters (some still type errors, e.g. gt null), built from the grammar. */
const grammarFilter: fc.Arbitrary<string> = fc.letrec<{ top: string; res: string; prop: string }>((tie) => ({
  top: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(
        fc.constantFrom('activityType', 'category', 'actor/userPrincipalName', 'actor/ipAddress', 'actor/type'),
        cmp,
        literal,
      )
      .map((t) => t.join(' ')),
    fc
      .tuple(cmp, fc.constantFrom('2025-01-10T08:03:12.1234567Z', '2025-01-10', 'null'))
      .map(([op, v]) => `activityDateTime ${op} ${v}`),
    fc
      .tuple(fn, fc.constantFrom('activityType', 'actor/userPrincipalName'), literal)
      .map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc.tuple(fc.constantFrom('any', 'all'), tie('res')).map(([q, body]) => `resources/${q}(r: ${body})`),
    fc.tuple(tie('top'), fc.constantFrom('and', 'or'), tie('top')).map((t) => t.join(' ')),
    tie('top').map((e) => `not (${e})`),
  ),
  res: fc.oneof(
    { depthSize: 'small' },
    fc
      .tuple(fc.constantFrom('r/displayName', 'r/resourceId', 'r/type', 'category'), cmp, literal)
      .map((t) => t.join(' ')),
    fc.tuple(fc.constantFrom('any', 'all'), tie('prop')).map(([q, body]) => `r/modifiedProperties/${q}(p: ${body})`),
    fc.tuple(tie('res'), fc.constantFrom('and', 'or'), tie('res')).map((t) => t.join(' ')),
  ),
  prop: fc.oneof(
    { depthSize: 'small' },
    fc
      .tuple(fc.constantFrom('p/displayName', 'p/oldValue', 'p/newValue', 'r/displayName'), cmp, literal)
      .map((t) => t.join(' ')),
    fc.tuple(fn, fc.constantFrom('p/newValue', 'p/displayName'), literal).map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc.tuple(tie('prop'), fc.constantFrom('and', 'or'), tie('prop')).map((t) => t.join(' ')),
  ),
})).top;

const filterText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  tokenFilter,
  grammarFilter,
);

const pattern = fc.constantFrom(
  'Delete CloudCertificationAuthority',
  '* CloudCertificationAuthority',
  '*CloudCertificationAuthority*',
  'a*b*c',
  '*@contoso.com',
  'x',
);
const someOf = <T>(arb: fc.Arbitrary<T>) =>
  fc.option(fc.array(arb, { minLength: 1, maxLength: 3 }), { nil: undefined });
/** Valid rule documents (by construction), to reach matching with every condition. */
const validRule = fc.record(
  {
    id: fc.constant('r'),
    name: fc.constant('n'),
    enabled: fc.constant(true),
    severity: fc.constantFrom('critical', 'high', 'medium', 'low'),
    activityTypes: fc.array(pattern, { minLength: 1, maxLength: 3 }),
    categories: someOf(fc.constantFrom('CloudPki', 'Role', 'x')),
    operationTypes: someOf(fc.constantFrom('Delete', 'Action')),
    result: fc.option(fc.constantFrom('Success', 'Failure'), { nil: undefined }),
    actor: fc.option(
      fc.record({
        include: fc.option(
          fc.record({
            userPrincipalNames: fc.array(pattern, { minLength: 1, maxLength: 2 }),
            ipAddresses: someOf(fc.constantFrom('10.0.0.0/8', '::/0', '2001:db8::1')),
          }),
          { nil: undefined },
        ),
        exclude: fc.record({
          userPrincipalNames: fc.array(fc.constantFrom('breakglass@contoso.com', '*@fabrikam.com'), {
            minLength: 1,
            maxLength: 2,
          }),
        }),
      }),
      { nil: undefined },
    ),
    resource: fc.option(fc.record({ namePatterns: fc.array(pattern, { minLength: 1, maxLength: 2 }) }), {
      nil: undefined,
    }),
    modifiedProperties: someOf(fc.record({ name: pattern, newValue: fc.option(pattern, { nil: undefined }) })),
    filter: fc.option(
      grammarFilter.filter((f) => f.length <= 2000),
      { nil: undefined },
    ),
    threshold: fc.option(
      fc.record({
        count: fc.integer({ min: 2, max: 50 }),
        windowInMinutes: fc.integer({ min: 1, max: 1440 }),
        groupBy: fc.constantFrom('actor', 'resource', 'none'),
      }),
      { nil: undefined },
    ),
    channels: fc.constant(['default']),
  },
  { requiredKeys: ['id', 'name', 'enabled', 'severity', 'activityTypes', 'channels'] },
);

/** Near-valid rule documents: every field either plausible, absent or anything at all. */
const noisyRule = fc.record(
  {
    id: maybe(fc.constantFrom('r', 'rule-1', 'Bad Id')),
    name: maybe(strings),
    enabled: maybe(fc.boolean()),
    severity: maybe(fc.constantFrom('critical', 'high', 'medium', 'low', 'urgent')),
    activityTypes: maybe(list),
    categories: maybe(list),
    operationTypes: maybe(fc.array(fc.constantFrom('Delete', 'Action', 'x y'), { maxLength: 3 })),
    result: maybe(fc.constantFrom('Success', 'Failure', 'x')),
    actor: maybe(
      fc.record(
        {
          include: maybe(
            fc.record(
              {
                userPrincipalNames: maybe(list),
                ipAddresses: maybe(list),
                applicationIds: maybe(list),
                actorTypes: maybe(list),
              },
              { requiredKeys: [] },
            ),
          ),
          exclude: maybe(
            fc.record({ userPrincipalNames: maybe(list), ipAddresses: maybe(list) }, { requiredKeys: [] }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    resource: maybe(fc.record({ ids: maybe(list), namePatterns: maybe(list) }, { requiredKeys: [] })),
    modifiedProperties: maybe(
      fc.array(
        fc.record({ name: maybe(strings), oldValue: maybe(strings), newValue: maybe(strings) }, { requiredKeys: [] }),
        { maxLength: 3 },
      ),
    ),
    filter: maybe(filterText),
    threshold: maybe(
      fc.record(
        {
          count: maybe(fc.integer({ min: -5, max: 50 })),
          windowInMinutes: maybe(fc.integer({ min: -5, max: 2000 })),
          groupBy: maybe(fc.constantFrom('actor', 'resource', 'none', 'x')),
        },
        { requiredKeys: [] },
      ),
    ),
    channels: maybe(list),
    runbookUrl: maybe(strings),
    tags: maybe(list),
    realertInMinutes: maybe(fc.integer({ min: -1, max: 20_000 })),
    origin: maybe(strings),
    schemaVersion: maybe(fc.constantFrom(1, 2)),
  },
  { requiredKeys: [] },
);
/** A valid rule with one field replaced by anything, or noise. */
const ruleInput = fc.oneof(
  validRule,
  fc
    .tuple(
      validRule,
      fc.constantFrom(
        'activityTypes',
        'actor',
        'filter',
        'threshold',
        'resource',
        'modifiedProperties',
        'channels',
        'colour',
      ),
      fc.anything(),
    )
    .map(([r, k, v]) => ({ ...r, [k]: v })),
  noisyRule,
);

const event: fc.Arbitrary<AuditEvent> = fc
  .record({
    activityType: fc.option(strings, { nil: null }),
    activityResult: fc.option(fc.constantFrom('Success', 'Failure'), { nil: null }),
    category: fc.option(strings, { nil: null }),
    upn: fc.option(strings, { nil: null }),
    ip: fc.option(fc.constantFrom('10.1.2.3', '::ffff:10.0.0.1', 'fe80::1%eth0', 'nope', '2001:db8::1'), { nil: null }),
    resources: fc.array(
      fc.record({
        name: fc.option(strings, { nil: null }),
        props: fc.array(
          fc.record({ name: fc.option(strings, { nil: null }), value: fc.option(strings, { nil: null }) }),
          { maxLength: 3 },
        ),
      }),
      { maxLength: 3 },
    ),
  })
  .map((e) =>
    sampleEvent({
      activityType: e.activityType,
      activityResult: e.activityResult,
      category: e.category,
      actor: { userPrincipalName: e.upn, ipAddress: e.ip },
      resources: e.resources.map((r) =>
        sampleResource({
          displayName: r.name,
          modifiedProperties: r.props.map((p) => ({ name: p.name, oldValue: p.value, newValue: p.value })),
        }),
      ),
    }),
  );

describe(`property-based fuzzing (${runs} runs per property; FUZZ_RUNS overrides)`, () => {
  it(`parseRule on anything yields a valid rule or a ValidationError, never another exception (${runs} runs × 2 generators)`, () => {
    const check = (input: unknown) => {
      let rule: AlertRule;
      try {
        rule = parseRule(input);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        expect(err.problems.length).toBeGreaterThan(0);
        for (const p of err.problems) expect(p.field.length).toBeGreaterThan(0);
        return;
      }
      // What parseRule accepts is stable and compiles.
      expect(parseRule(rule)).toEqual(rule);
      compileRules([rule]);
    };
    fc.assert(fc.property(fc.anything(), check), params);
    fc.assert(fc.property(ruleInput, check), params);
  });

  it(`parseFilter on any string yields an AST or a FilterSyntaxError with a position inside the text (${runs} runs)`, () => {
    fc.assert(
      fc.property(filterText, (text) => {
        try {
          expect(parseFilter(text).root).toBeDefined();
        } catch (err) {
          if (!(err instanceof FilterSyntaxError)) throw err;
          expect(err.position).toBeGreaterThanOrEqual(1);
          expect(err.position).toBeLessThanOrEqual(Math.max(text.length + 1, 2001));
          expect(err.message).toMatch(/^at \d+: /);
        }
      }),
      params,
    );
  });

  it(`a rule that parses never throws while matching any event (${runs} runs)`, () => {
    let parsed = 0;
    fc.assert(
      fc.property(ruleInput, fc.array(event, { minLength: 1, maxLength: 5 }), (input, events) => {
        let rule: AlertRule;
        try {
          rule = parseRule(input);
        } catch {
          return;
        }
        parsed++;
        const compiled = compileRules([rule]);
        for (const e of events) expect(Array.isArray(matchRules(compiled, e))).toBe(true);
      }),
      params,
    );
    // The generator must reach matching often enough for the property to mean something.
    console.log(`fuzz: ${parsed} of ${runs} generated rules were valid and matched against events`);
    expect(parsed).toBeGreaterThan(runs / 20);
  });

  it(`a filter that parses evaluates to a boolean on any event (${runs} runs)`, () => {
    let parsed = 0;
    fc.assert(
      fc.property(fc.oneof(tokenFilter, grammarFilter), event, (text, e) => {
        let predicate: (e: AuditEvent) => boolean;
        try {
          predicate = compileFilter(parseFilter(text));
        } catch {
          return;
        }
        parsed++;
        expect(typeof predicate(e)).toBe('boolean');
      }),
      params,
    );
    console.log(`fuzz: ${parsed} of ${runs} generated filters parsed and were evaluated`);
    expect(parsed).toBeGreaterThan(runs / 4);
  });

  it(`structured conditions and the equivalent filter agree on every event (${runs} runs)`, () => {
    const pool = ['Delete CA', 'delete ca', 'Create CA', 'Role', 'CloudPki', 'x'];
    const value = fc.option(fc.constantFrom(...pool), { nil: null });
    const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
    /** A `*` pattern and the filter that means the same. */
    const typePattern = fc
      .tuple(fc.constantFrom('', '*'), fc.constantFrom('Delete', 'CA', 'Create CA', 'e'), fc.constantFrom('', '*'))
      .map(([pre, core, post]) => ({
        pattern: `${pre}${core}${post}`,
        filter:
          pre && post
            ? `contains(activityType, ${q(core)})`
            : pre
              ? `endswith(activityType, ${q(core)})`
              : post
                ? `startswith(activityType, ${q(core)})`
                : `activityType eq ${q(core)}`,
      }));
    fc.assert(
      fc.property(
        fc.array(typePattern, { minLength: 1, maxLength: 3 }),
        fc.option(fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 2 }), { nil: undefined }),
        fc.option(fc.constantFrom('Success', 'Failure'), { nil: undefined }),
        fc.array(
          fc.record({
            type: value,
            category: value,
            result: fc.option(fc.constantFrom('Success', 'Failure', 'success'), { nil: null }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (types, categories, result, events) => {
          const base = { id: 'r', name: 'n', enabled: true, severity: 'low' as const, channels: ['default'] };
          const clauses = [`(${types.map((t) => t.filter).join(' or ')})`];
          if (categories) clauses.push(`(${categories.map((c) => `category eq ${q(c)}`).join(' or ')})`);
          if (result === 'Success') clauses.push("activityResult eq 'Success'");
          if (result === 'Failure') clauses.push("activityResult ne null and activityResult ne 'Success'");
          const structured = compileRules([
            parseRule({ ...base, activityTypes: types.map((t) => t.pattern), categories, result }),
          ]);
          const filtered = compileRules([parseRule({ ...base, filter: clauses.join(' and ') })]);
          for (const e of events) {
            const ev = sampleEvent({ activityType: e.type, category: e.category, activityResult: e.result });
            expect(matchRules(structured, ev).length, JSON.stringify({ types, categories, result, e })).toBe(
              matchRules(filtered, ev).length,
            );
          }
        },
      ),
      params,
    );
  });

  it(`evaluateThreshold counts the densest window like a brute-force count (${runs} runs)`, () => {
    const minutes = fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 30 });
    fc.assert(
      fc.property(
        minutes,
        minutes,
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 2, max: 10 }),
        (old, fresh, windowInMinutes, count) => {
          const spec = { count, windowInMinutes, groupBy: 'actor' as const };
          const state = evaluateThreshold(
            spec,
            undefined,
            old.map((m) => m * 60_000),
            { retainLateInMinutes: 1000 },
          ).state;
          const d = evaluateThreshold(
            spec,
            state,
            fresh.map((m) => m * 60_000 + 59_999),
            { retainLateInMinutes: 1000 },
          );
          const all = [...old, ...fresh];
          let best = 0;
          for (const f of fresh)
            for (let s = f - windowInMinutes; s <= f; s++)
              best = Math.max(best, all.filter((m) => m >= s && m <= s + windowInMinutes).length);
          expect(d.count).toBe(best);
          expect(d.fire).toBe(best >= count);
        },
      ),
      params,
    );
  });
});
