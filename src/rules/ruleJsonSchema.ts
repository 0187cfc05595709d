import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { alertRuleSchema } from './ruleSchema';

/** Where the published schema lives, relative to the repository root. */
export const ruleJsonSchemaPath = 'schemas/alert-rule.schema.json';

/**
 * The JSON Schema (draft 2020-12) of a rule document, generated from the zod schema that parseRule uses, so
 * editors see the same fields, enums and limits. Checks JSON Schema cannot express (filter syntax, IP ranges,
 * at least one match condition) are only done by parseRule.
 */
export function ruleJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(alertRuleSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  return { $schema, title: 'cloud-pki-alerts alert rule', ...rest };
}

/** The file's exact text (2-space JSON, trailing newline): what `npm run schema` writes and the test compares. */
export const ruleJsonSchemaText = (): string => `${JSON.stringify(ruleJsonSchema(), null, 2)}\n`;

if (require.main === module) {
  const file = path.join(process.cwd(), ruleJsonSchemaPath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, ruleJsonSchemaText());
  process.stdout.write(`wrote ${ruleJsonSchemaPath}\n`);
}
