import type { z } from 'zod';
import { type FieldProblem, ValidationError } from '../shared/errors';
import type { AlertRule } from './alertRule';
import { alertRuleSchema } from './ruleSchema';

/** The conditions that select events; a rule needs at least one (actor.exclude and result only narrow). */
export const matchConditionFields = [
  'activityTypes',
  'categories',
  'operationTypes',
  'actor.include',
  'resource',
  'modifiedProperties',
  'filter',
] as const;
const actorLists = ['userPrincipalNames', 'applicationIds', 'ipAddresses', 'actorTypes'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `actor.exclude.userPrincipalNames[2]` from zod's path. */
export const fieldPath = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('');

function toProblems(issue: z.core.$ZodIssue): FieldProblem[] {
  const at = fieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    // A key that is not a plain name (empty, spaces, quotes) is shown quoted so the field is never blank.
    const name = (k: string) =>
      /^[A-Za-z_$][\w$]*$/.test(k) ? (at ? `${at}.${k}` : k) : `${at}[${JSON.stringify(k)}]`;
    return issue.keys.map((k) => ({
      field: name(k),
      message: at ? 'is not a known field' : 'is not a known rule field',
    }));
  }
  const message =
    issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'is required' : issue.message;
  return [{ field: at || 'rule', message }];
}

/** Checks across fields, made on the raw input so they are reported together with every other problem. */
function crossFieldProblems(input: Obj): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const has = (v: unknown) => v !== undefined && v !== null;
  const actor = input.actor;
  if (!matchConditionFields.some((f) => (f === 'actor.include' ? isObj(actor) && has(actor.include) : has(input[f])))) {
    problems.push({ field: 'rule', message: `needs at least one match condition: ${matchConditionFields.join(', ')}` });
  }
  if (isObj(actor)) {
    if (!has(actor.include) && !has(actor.exclude))
      problems.push({ field: 'actor', message: 'must have include or exclude' });
    for (const side of ['include', 'exclude'] as const) {
      const c = actor[side];
      if (isObj(c) && !actorLists.some((k) => has(c[k])))
        problems.push({ field: `actor.${side}`, message: `must list at least one of ${actorLists.join(', ')}` });
    }
  }
  const resource = input.resource;
  if (isObj(resource) && !has(resource.ids) && !has(resource.namePatterns))
    problems.push({ field: 'resource', message: 'must have ids or namePatterns' });
  return problems;
}

/**
 * The one parse-and-validate function for rules: used by every write path (API, CLI import) and on every read
 * from storage. Returns the rule without `$schema` and `schemaVersion` (accepted on input; `schemaVersion` must
 * be the current `ruleSchemaVersion`; writers that persist or export a rule add it themselves). Throws a
 * ValidationError listing every problem with its path (e.g. `actor.exclude.userPrincipalNames[2]`,
 * `filter: at 23: expected ')' but found end of input`).
 */
export function parseRule(input: unknown, subject = 'rule'): AlertRule {
  const parsed = alertRuleSchema.safeParse(input);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap(toProblems)),
    ...(isObj(input) ? crossFieldProblems(input) : []),
  ];
  if (parsed.success && problems.length === 0) {
    const { $schema: _schema, schemaVersion: _version, ...rule } = parsed.data;
    return rule;
  }
  const ruleId = isObj(input) && typeof input.id === 'string' ? input.id.slice(0, 80) : undefined;
  throw new ValidationError(ruleId ? `${subject} "${ruleId}"` : subject, problems);
}
