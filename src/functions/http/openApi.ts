import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { changeWindowInputSchema } from '../../dispatch/changeWindow';
import { channelDocumentSchema } from '../../notifiers/channel';
import { alertRuleSchema } from '../../rules/ruleSchema';
import { tenantInputSchema } from '../../tenants/tenant';
import { maxBacktestDays, maxInlineEvents } from '../../app/backtest';
import type { Operation } from './apiOperation';
import { statusAndRuleOperations } from './statusAndRuleOperations';
import { tenantOperations } from './tenantOperations';
import { windowAndPageOperations } from './windowAndPageOperations';

/**
 * The OpenAPI 3.1 document of the admin API (served at GET /api/openapi.json, committed as
 * schemas/openapi.json). Request bodies come from the zod schemas the handlers validate with (rules,
 * change windows, channels) through zod's own JSON Schema output; the backtest and preview bodies are
 * described here around the rule schema, their combination rules being checked by their use cases.
 * `test/integration/openApi.test.ts` fails when a route registered with app.http has no operation here (or
 * the other way round) and when the committed file is stale.
 */

/** Where the published document lives, relative to the repository root. */
export const openApiDocumentPath = 'schemas/openapi.json';

export type { ApiRole } from './apiOperation';

/** Every HTTP function of src/functions, in the order of the docs (docs/admin-api.md). */
export const apiOperations: readonly Operation[] = [
  ...statusAndRuleOperations,
  ...windowAndPageOperations,
  ...tenantOperations,
];

/** The error body every apiHandler route answers with (src/functions/http/httpApi.ts). */
const errorSchema = z
  .object({
    error: z.object({
      code: z
        .string()
        .describe(
          'ValidationFailed, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, AdminApiClosed, InternalError',
        ),
      message: z.string(),
      problems: z
        .array(z.object({ field: z.string(), message: z.string() }))
        .optional()
        .describe('400: every field problem, with its path'),
    }),
  })
  .describe('An error. A 500 names the invocation id; the details are only in the log.');

const channelBodySchema = z
  .discriminatedUnion(
    'type',
    channelDocumentSchema.options.map((o) => o.omit({ id: true })) as unknown as [z.ZodObject, ...z.ZodObject[]],
  )
  .describe(
    'A table channel; its id is the one in the URL. Secrets are never in the body: settings name the app settings that hold them.',
  );

const backtestRequestSchema = z
  .object({
    rule: alertRuleSchema.optional().describe('A draft rule (give rule or ruleId).'),
    ruleId: z.string().optional().describe('A saved rule (give rule or ruleId).'),
    from: z.iso
      .datetime({ offset: true })
      .optional()
      .describe(`Start of the range read from Graph (within the last ${maxBacktestDays} days).`),
    to: z.iso
      .datetime({ offset: true })
      .optional()
      .describe(`End of the range: after from, at most ${maxBacktestDays} days later, not in the future.`),
    events: z
      .array(z.record(z.string(), z.unknown()))
      .max(maxInlineEvents)
      .optional()
      .describe('Graph audit events to run the rule over instead of a range.'),
  })
  .strict()
  .describe(
    '`{ rule | ruleId, from, to }` or `{ rule | ruleId, events }`; checked by the backtest use case, the rule by parseRule.',
  );

const previewRequestSchema = z
  .object({
    rule: alertRuleSchema,
    event: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('A Graph audit event (give event or eventRef, or neither for a sample).'),
    eventRef: z
      .object({ id: z.string().min(1).max(200), activityDateTime: z.iso.datetime({ offset: true }) })
      .optional()
      .describe('An event read back from Graph.'),
  })
  .strict()
  .describe('Checked by the card preview use case, the rule by parseRule.');

/** Component schemas, from zod through its JSON Schema (draft 2020-12) output, the dialect of OpenAPI 3.1. */
function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  registry.add(alertRuleSchema, { id: 'AlertRule' });
  registry.add(alertRuleSchema.partial({ id: true }), { id: 'AlertRuleBody' });
  registry.add(changeWindowInputSchema, { id: 'ChangeWindowInput' });
  registry.add(channelBodySchema, { id: 'ChannelBody' });
  registry.add(tenantInputSchema, { id: 'TenantInput' });
  registry.add(backtestRequestSchema, { id: 'BacktestRequest' });
  registry.add(previewRequestSchema, { id: 'PreviewRequest' });
  registry.add(errorSchema, { id: 'Error' });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> };
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...rest }]) => [id, rest]));
}

const anyJson = { type: 'object', description: 'JSON; see docs/admin-api.md for the fields.' };
const errorRef = { $ref: '#/components/schemas/Error' };
/** What apiHandler answers on every non-anonymous route, whatever the operation: shared response objects. */
const commonErrors: Record<string, string> = {
  401: 'no caller (key mode: no or a wrong function key; entra mode: not signed in)',
  403: 'the caller lacks the role, or a cross-site write was refused',
  500: 'unexpected failure; the message names the invocation id',
  503: 'AdminApiClosed: entra mode without App Service Authentication verified',
};
const commonErrorName: Record<string, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  500: 'InternalError',
  503: 'AdminApiClosed',
};
const errorResponses = () =>
  Object.fromEntries(
    Object.entries(commonErrors).map(([status, description]) => [
      commonErrorName[status],
      { description, content: { 'application/json': { schema: errorRef } } },
    ]),
  );

function operationObject(op: Operation): Record<string, unknown> {
  const pathParams = [...op.route.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const responses: Record<string, unknown> = {};
  const statuses: Record<string, string> = { ...op.responses, ...(op.role === 'anonymous' ? {} : commonErrors) };
  for (const status of Object.keys(statuses).sort()) {
    const description = statuses[status];
    const shared = op.role !== 'anonymous' && !(status in op.responses) ? commonErrorName[status] : undefined;
    const success = status.startsWith('2') && status !== '204';
    if (shared) responses[status] = { $ref: `#/components/responses/${shared}` };
    else if (status === '204' || status === '304') responses[status] = { description };
    else if (success && op.produces) responses[status] = { description, content: { [op.produces]: {} } };
    else if (success || op.role === 'anonymous')
      responses[status] = { description, content: { 'application/json': { schema: anyJson } } };
    else responses[status] = { description, content: { 'application/json': { schema: errorRef } } };
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    'x-role': op.role,
    security:
      op.role === 'anonymous' ? [] : [{ functionKey: [] }, { functionKeyQuery: [] }, { appServiceAuthentication: [] }],
    ...(pathParams.length || op.params ? { parameters: [...pathParams, ...(op.params ?? [])] } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.body}` } } },
          },
        }
      : {}),
    responses,
  };
}

/** The whole document: deterministic (same input, same text), so the committed copy can be compared. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of apiOperations) (paths[`/${op.route}`] ??= {})[op.method] = operationObject(op);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'cloud-pki-alerts admin API',
      version: '1',
      description:
        'Rules, change windows, channels, tenants, alerts, health and the admin page data of cloud-pki-alerts. `x-role` names the role an operation needs: ' +
        '`reader` may read, `admin` may also write (key mode: every function key holder is an admin; entra mode: the Entra app roles). ' +
        'Request bodies are generated from the zod schemas the handlers validate with; checks JSON Schema cannot express (filter syntax, IP ranges, ' +
        'times relative to now) are made by the handlers, which list every problem in a 400.',
    },
    servers: [{ url: '/api' }],
    tags: ['health', 'meta', 'alerts', 'channels', 'rules', 'windows', 'quarantine', 'admin page', 'tenants'].map(
      (name) => ({
        name,
      }),
    ),
    paths,
    components: {
      schemas: componentSchemas(),
      responses: errorResponses(),
      securitySchemes: {
        functionKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-functions-key',
          description: 'ADMIN_AUTH_MODE=key: a function key (locally, the key npm start prints).',
        },
        functionKeyQuery: {
          type: 'apiKey',
          in: 'query',
          name: 'code',
          description: 'The same function key as a query parameter.',
        },
        appServiceAuthentication: {
          type: 'apiKey',
          in: 'cookie',
          name: 'AppServiceAuthSession',
          description:
            'ADMIN_AUTH_MODE=entra: the App Service Authentication session; the app roles of the signed-in principal decide.',
        },
      },
    },
  };
}

/** The file's exact text (2-space JSON, trailing newline): what `npm run schema` writes and the test compares. */
export const openApiDocumentText = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (require.main === module) {
  const file = path.join(process.cwd(), openApiDocumentPath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, openApiDocumentText());
  process.stdout.write(`wrote ${openApiDocumentPath}\n`);
}
