import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backtestHandler } from '../../src/functions/backtest';
import { createWindowHandler } from '../../src/functions/windows';
import { putRuleHandler, validateRuleHandler } from '../../src/functions/rules';
import { callApi } from '../helpers/apiCalls';
import { usePipelineEnvironment } from '../helpers/pipeline';

/**
 * The admin API under property-based fuzzing: any body (JSON or not, rule-shaped or not) gets a 2xx or a 4xx
 * naming the problem, never a 5xx. Runs per route: 200 in `npm test`, FUZZ_API_RUNS for the fault run.
 */
const runs = Number(process.env.FUZZ_API_RUNS ?? 200);
usePipelineEnvironment();

const ruleish = fc.record(
  {
    id: fc.oneof(fc.constant('fuzz-rule'), fc.string()),
    name: fc.string(),
    enabled: fc.oneof(fc.boolean(), fc.string()),
    severity: fc.oneof(fc.constantFrom('critical', 'high', 'medium', 'low'), fc.string()),
    activityTypes: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.string()),
    filter: fc.oneof(
      fc.string(),
      fc.constantFrom(
        "activityType eq 'Delete CloudCertificationAuthority'",
        'resources/any(r: r/displayName eq',
        "not (actor/ipAddress eq '10.0.0.1'",
      ),
    ),
    channels: fc.array(fc.constantFrom('default', 'teams', 'NOPE', ''), { maxLength: 3 }),
    threshold: fc.record({ count: fc.integer(), windowInMinutes: fc.integer(), groupBy: fc.string() }),
  },
  { requiredKeys: [] },
);
const anyBody = fc.oneof(ruleish, fc.jsonValue(), fc.string());

describe(`admin API fuzzing (${runs} bodies per route; FUZZ_API_RUNS overrides)`, () => {
  it.each([
    ['POST /api/rules/validate', validateRuleHandler, 'POST', 'rules/validate', {}],
    ['PUT /api/rules/{id}', putRuleHandler, 'PUT', 'rules/fuzz-rule', { id: 'fuzz-rule' }],
    ['POST /api/windows', createWindowHandler, 'POST', 'windows', {}],
    ['POST /api/backtest', backtestHandler, 'POST', 'backtest', {}],
  ] as const)(
    '%s never answers 5xx',
    async (_name, handler, method, path, params) => {
      let tried = 0;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(anyBody, async (body) => {
          tried++;
          const logs: string[] = [];
          const res = await callApi(
            handler,
            { method, path, params, body: typeof body === 'string' ? body : body, headers: { 'if-none-match': '*' } },
            logs,
          );
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500)
            throw new Error(
              `${res.status} for ${JSON.stringify(body).slice(0, 300)}: ${logs.join(' | ').slice(0, 500)}`,
            );
          if (res.status >= 400) expect(res.body?.error?.message).toBeTruthy();
        }),
        { numRuns: runs },
      );
      process.stdout.write(`${_name}: ${tried} bodies, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
      expect(tried).toBe(runs);
    },
    300_000,
  );
});
