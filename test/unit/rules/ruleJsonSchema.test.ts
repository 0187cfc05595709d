import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleJsonSchema, ruleJsonSchemaPath, ruleJsonSchemaText } from '../../../src/rules/ruleJsonSchema';

describe('published JSON Schema', () => {
  it(`${ruleJsonSchemaPath} is up to date with the zod schema (run npm run schema after changing src/rules/ruleSchema.ts)`, () => {
    const committed = readFileSync(path.join(__dirname, '../../..', ruleJsonSchemaPath), 'utf8');
    expect(committed).toBe(ruleJsonSchemaText());
  });

  it('describes the rule document: draft 2020-12, required fields, no unknown fields, enums and limits', () => {
    const schema = ruleJsonSchema() as {
      $schema: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required.sort()).toEqual(['channels', 'enabled', 'id', 'name', 'severity']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.severity.enum).toEqual(['critical', 'high', 'medium', 'low']);
    expect(schema.properties.$schema).toMatchObject({ type: 'string' });
    expect(schema.properties.threshold).toMatchObject({
      properties: {
        count: { minimum: 2 },
        windowInMinutes: { minimum: 1, maximum: 1440 },
        groupBy: { default: 'actor' },
      },
      additionalProperties: false,
    });
    expect(schema.properties.filter).toMatchObject({ type: 'string', maxLength: 2000 });
  });
});
