import { z } from 'zod';
import { ValidationError } from '../shared/errors';
import { type AlertRule, severities } from './alertRule';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit');

const ruleSchema = z.object({
  id,
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  enabled: z.boolean(),
  severity: z.enum(severities, { error: `must be one of ${severities.join(', ')}` }),
  activityTypes: z.array(z.string().trim().min(1, 'must not be empty').max(300)).min(1, 'must list at least one activity type').max(100),
  result: z.enum(['Success', 'Failure'], { error: 'must be Success or Failure' }).optional(),
  channels: z.array(id).min(1, 'must list at least one channel id').max(20),
  description: z.string().max(2000).optional(),
});

/**
 * The one parse-and-validate function for rules: used on every write path and on every read from storage.
 * Throws a ValidationError naming each bad field (e.g. `activityTypes[1]: must not be empty`).
 */
export function parseRule(input: unknown, subject = 'rule'): AlertRule {
  const parsed = ruleSchema.strict().safeParse(input);
  if (parsed.success) return parsed.data;
  const ruleId = typeof input === 'object' && input !== null && typeof (input as { id?: unknown }).id === 'string' ? (input as { id: string }).id : undefined;
  throw new ValidationError(
    ruleId ? `${subject} "${ruleId}"` : subject,
    parsed.error.issues.map((issue) => ({
      field: issue.path.length ? issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('') : issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys.join(', ') : 'rule',
      message: issue.code === 'unrecognized_keys' ? 'is not a known rule field' : issue.message,
    })),
  );
}
