import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apiOperations,
  openApiDocument,
  openApiDocumentPath,
  openApiDocumentText,
} from '../../../src/functions/http/openApi';

const root = path.join(__dirname, '../../..');
type Schema = {
  type?: string;
  required?: string[];
  properties?: Record<string, unknown>;
  oneOf?: Schema[];
  anyOf?: Schema[];
  additionalProperties?: unknown;
};
const components = () => (openApiDocument() as { components: { schemas: Record<string, Schema> } }).components.schemas;

describe('OpenAPI document of the admin API', () => {
  it(`${openApiDocumentPath} is up to date (run npm run schema after changing a route, src/functions/http/openApi.ts or a zod schema it uses)`, () => {
    expect(readFileSync(path.join(root, openApiDocumentPath), 'utf8')).toBe(openApiDocumentText());
  });

  it('is OpenAPI 3.1 with the JSON Schema 2020-12 dialect, and deterministic', () => {
    expect(openApiDocument()).toMatchObject({
      openapi: '3.1.0',
      jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
      servers: [{ url: '/api' }],
    });
    expect(openApiDocumentText()).toBe(openApiDocumentText());
  });

  it("takes its request bodies from the validators' zod schemas", () => {
    const s = components();
    expect(s.AlertRule.required?.sort()).toEqual(['channels', 'enabled', 'id', 'name', 'severity']);
    expect(s.AlertRule.additionalProperties).toBe(false);
    // PUT /api/rules/{id}: the id may be left out (the URL names it).
    expect(s.AlertRuleBody.required?.sort()).toEqual(['channels', 'enabled', 'name', 'severity']);
    expect(s.ChangeWindowInput.required?.sort()).toEqual(['end', 'reason', 'scope']);
    const variants = s.ChannelBody.oneOf ?? s.ChannelBody.anyOf ?? [];
    expect(variants.map((v) => (v.properties?.type as { const: string }).const).sort()).toEqual([
      'azure-monitor-logs',
      'email-graph',
      'email-webhook',
      'pagerduty',
      'teams',
      'webhook',
    ]);
    for (const v of variants) expect(v.required).not.toContain('id');
    // The backtest and preview bodies refer to the rule schema instead of copying it.
    expect(JSON.stringify(s.BacktestRequest)).toContain('"$ref":"#/components/schemas/AlertRule"');
    expect(JSON.stringify(s.PreviewRequest)).toContain('"$ref":"#/components/schemas/AlertRule"');
  });

  it('every $ref resolves inside the document', () => {
    const text = openApiDocumentText();
    const { components: all } = openApiDocument() as { components: Record<string, Record<string, unknown>> };
    const refs = [...text.matchAll(/"\$ref": "([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      const [, kind, name] = /^#\/components\/(schemas|responses)\/(.+)$/.exec(ref) ?? [];
      expect(all[kind]?.[name], ref).toBeDefined();
    }
    expect(text).not.toContain('$defs');
  });

  it('docs/admin-api.md lists every operation', () => {
    const page = readFileSync(path.join(root, 'docs/admin-api.md'), 'utf8');
    const missing = apiOperations
      .filter((op) => !page.includes(`${op.method.toUpperCase()} /api/${op.route}`))
      .map((op) => `${op.method.toUpperCase()} /api/${op.route}`);
    expect(missing).toEqual([]);
  });
});
