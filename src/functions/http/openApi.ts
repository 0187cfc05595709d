import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { changeWindowInputSchema } from '../../dispatch/changeWindow';
import { channelDocumentSchema } from '../../notifiers/channel';
import { alertRuleSchema } from '../../rules/ruleSchema';
import { maxBacktestDays, maxInlineEvents } from '../../app/backtest';

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

export type ApiRole = 'anonymous' | 'reader' | 'admin';
type Method = 'get' | 'put' | 'post' | 'delete';

interface Param {
  name: string;
  in: 'query' | 'header';
  description: string;
  schema: Record<string, unknown>;
}

interface Operation {
  /** The function name given to app.http: the operation id. */
  operationId: string;
  method: Method;
  /** The route as registered (without the `api/` prefix). */
  route: string;
  role: ApiRole;
  tag: string;
  summary: string;
  params?: Param[];
  /** A component schema name, and whether the body is required. */
  body?: string;
  /** Status → description. 2xx entries get the JSON (or stated) content; errors the Error schema. */
  responses: Record<string, string>;
  /** Content type of the success body when it is not JSON. */
  produces?: string;
}

const limit = (max: number, fallback: number): Param => ({
  name: 'limit',
  in: 'query',
  description: `How many to return (1–${max}; default ${fallback}).`,
  schema: { type: 'integer', minimum: 1, maximum: max, default: fallback },
});
const ifMatch = (what: string): Param => ({
  name: 'If-Match',
  in: 'header',
  description: `The ETag read (or *): ${what}; 412 when stale.`,
  schema: { type: 'string' },
});
const ifNoneMatch: Param = {
  name: 'If-None-Match',
  in: 'header',
  description: '`*` = create only (409 when the rule exists).',
  schema: { type: 'string', enum: ['*'] },
};

/** Every HTTP function of src/functions, in the order of the docs (docs/admin-api.md). */
export const apiOperations: readonly Operation[] = [
  {
    operationId: 'health',
    method: 'get',
    route: 'health',
    role: 'anonymous',
    tag: 'health',
    summary: 'Verdict for load balancers and uptime checks: only the status of each check.',
    responses: { 200: 'healthy or degraded', 503: 'unhealthy (or the app state could not be read)' },
  },
  {
    operationId: 'healthDetail',
    method: 'get',
    route: 'health/detail',
    role: 'reader',
    tag: 'health',
    summary:
      'The same verdict (same status code) with lag, incidents, gaps, channels, deliveries, rule problems, the last 24 h of the ledger and refused Graph query options.',
    responses: { 200: 'healthy or degraded', 503: 'unhealthy' },
  },
  {
    operationId: 'doctor',
    method: 'get',
    route: 'doctor',
    role: 'reader',
    tag: 'health',
    summary:
      'The onboarding checks of `pki-alerts doctor`, run by the app with its own identity and network. Sends nothing.',
    responses: { 200: 'the report; `ok` is the verdict' },
  },
  {
    operationId: 'openApi',
    method: 'get',
    route: 'openapi.json',
    role: 'anonymous',
    tag: 'meta',
    summary: 'This document (no data: the shape of the API only).',
    responses: { 200: 'the OpenAPI 3.1 document' },
  },
  {
    operationId: 'listAlerts',
    method: 'get',
    route: 'alerts',
    role: 'reader',
    tag: 'alerts',
    summary: "Recent alerts, newest first, with each channel's delivery status. Never a URL.",
    params: [limit(500, 50)],
    responses: { 200: '`{ value: [...] }`' },
  },
  {
    operationId: 'getAlert',
    method: 'get',
    route: 'alerts/{id}',
    role: 'reader',
    tag: 'alerts',
    summary:
      "One alert (or failover notice) with each channel's delivery: state, attempts, last status / error, sent time, digest id, note.",
    responses: { 200: 'the alert', 404: 'unknown alert' },
  },
  {
    operationId: 'listChannels',
    method: 'get',
    route: 'channels',
    role: 'reader',
    tag: 'channels',
    summary:
      'Every channel (app settings and table) with setting names, destination host, configuration check, last five outcomes and open incident. Never a URL or secret.',
    responses: { 200: '`{ value: [...] }`' },
  },
  {
    operationId: 'getChannel',
    method: 'get',
    route: 'channels/{id}',
    role: 'reader',
    tag: 'channels',
    summary: 'One channel (ETag header for table channels).',
    responses: { 200: 'the channel', 404: 'unknown channel' },
  },
  {
    operationId: 'putChannel',
    method: 'put',
    route: 'channels/{id}',
    role: 'admin',
    tag: 'channels',
    summary:
      'Create (201; 409 when it exists) or replace (If-Match) a table channel. 400 lists every problem; app-settings channels are 409.',
    params: [ifMatch('replace')],
    body: 'ChannelBody',
    responses: {
      200: 'replaced',
      201: 'created',
      400: 'field problems',
      409: 'exists, or an app-settings channel',
      412: 'stale ETag',
    },
  },
  {
    operationId: 'deleteChannel',
    method: 'delete',
    route: 'channels/{id}',
    role: 'admin',
    tag: 'channels',
    summary: 'Delete a table channel (idempotent).',
    responses: { 204: 'deleted', 409: 'an app-settings channel' },
  },
  {
    operationId: 'testChannel',
    method: 'post',
    route: 'channels/{id}/test',
    role: 'admin',
    tag: 'channels',
    summary:
      'Sends a sample alert (marked TEST) now, outside the outbox: `{ ok, status, detail, deliveryId }` either way; never the URL.',
    responses: { 200: 'the outcome', 404: 'unknown channel' },
  },
  {
    operationId: 'listRules',
    method: 'get',
    route: 'rules',
    role: 'reader',
    tag: 'rules',
    summary:
      'Every rule with its ETag; a row that no longer validates is listed with its `problems` (and `raw` document) instead of `rule`. Also `packVersion`.',
    responses: { 200: '`{ value: [...], packVersion, problems }`' },
  },
  {
    operationId: 'validateRule',
    method: 'post',
    route: 'rules/validate',
    role: 'reader',
    tag: 'rules',
    summary:
      'Runs parseRule on the body: the normalized rule, or the field problems (filter errors with their position). Stores nothing.',
    body: 'AlertRule',
    responses: { 200: '`{ valid: true, rule }`', 400: 'field problems' },
  },
  {
    operationId: 'getRule',
    method: 'get',
    route: 'rules/{id}',
    role: 'reader',
    tag: 'rules',
    summary: 'One rule; the ETag header is its version.',
    responses: { 200: 'the stored rule', 404: 'unknown rule' },
  },
  {
    operationId: 'putRule',
    method: 'put',
    route: 'rules/{id}',
    role: 'admin',
    tag: 'rules',
    summary:
      'Create (201, Location) or replace (200; If-Match required, 409 without it). A write that changes nothing is not recorded.',
    params: [ifMatch('replace'), ifNoneMatch],
    body: 'AlertRuleBody',
    responses: {
      200: 'replaced',
      201: 'created',
      400: 'field problems',
      409: 'exists (If-None-Match: *) or replace without If-Match',
      412: 'stale ETag',
    },
  },
  {
    operationId: 'deleteRule',
    method: 'delete',
    route: 'rules/{id}',
    role: 'admin',
    tag: 'rules',
    summary: 'Delete a rule (If-Match optional).',
    params: [ifMatch('optional')],
    responses: { 204: 'deleted', 404: 'unknown rule', 412: 'stale ETag' },
  },
  {
    operationId: 'ruleHistory',
    method: 'get',
    route: 'rules/{id}/history',
    role: 'reader',
    tag: 'rules',
    summary: 'Versions, newest first: action, who, at, before, after, tamperAlertId.',
    params: [limit(500, 100)],
    responses: { 200: '`{ value: [...] }`' },
  },
  {
    operationId: 'backtest',
    method: 'post',
    route: 'backtest',
    role: 'reader',
    tag: 'rules',
    summary:
      'What a draft or saved rule would have fired and alerted over a past range (read from Graph) or over given events. Change windows are ignored.',
    body: 'BacktestRequest',
    responses: {
      200: 'events that would fire and alerts that would be written',
      400: 'field problems',
      404: 'unknown ruleId',
    },
  },
  {
    operationId: 'listWindows',
    method: 'get',
    route: 'windows',
    role: 'reader',
    tag: 'windows',
    summary: 'Change windows with status (scheduled / active / ended / summarized) and ETag.',
    params: [
      {
        name: 'current',
        in: 'query',
        description: '`true` leaves out summarized windows.',
        schema: { type: 'string', enum: ['true', 'false'] },
      },
    ],
    responses: { 200: '`{ value: [...] }`' },
  },
  {
    operationId: 'createWindow',
    method: 'post',
    route: 'windows',
    role: 'admin',
    tag: 'windows',
    summary: 'Opens a change window. One that could silence an enabled critical / high rule raises a tamper alert.',
    body: 'ChangeWindowInput',
    responses: { 201: 'created (ETag, Location)', 400: 'field problems' },
  },
  {
    operationId: 'getWindow',
    method: 'get',
    route: 'windows/{id}',
    role: 'reader',
    tag: 'windows',
    summary: 'One window (ETag header).',
    responses: { 200: 'the window', 404: 'unknown window' },
  },
  {
    operationId: 'replaceWindow',
    method: 'put',
    route: 'windows/{id}',
    role: 'admin',
    tag: 'windows',
    summary: 'Changes a window that has not ended.',
    params: [ifMatch('optional')],
    body: 'ChangeWindowInput',
    responses: {
      200: 'replaced',
      400: 'field problems',
      404: 'unknown window',
      409: 'the window has ended',
      412: 'stale ETag',
    },
  },
  {
    operationId: 'deleteWindow',
    method: 'delete',
    route: 'windows/{id}',
    role: 'admin',
    tag: 'windows',
    summary: 'Deletes a window that has not started or is summarized.',
    params: [ifMatch('optional')],
    responses: { 204: 'deleted', 409: 'active (end it) or its summary is due', 412: 'stale ETag' },
  },
  {
    operationId: 'endWindow',
    method: 'post',
    route: 'windows/{id}/end',
    role: 'admin',
    tag: 'windows',
    summary: 'Ends an active window now; its summary goes out with the next poll.',
    params: [ifMatch('optional')],
    responses: { 200: 'the ended window', 404: 'unknown window', 409: 'not active', 412: 'stale ETag' },
  },
  {
    operationId: 'windowHistory',
    method: 'get',
    route: 'windows/{id}/history',
    role: 'reader',
    tag: 'windows',
    summary: 'Versions of the window, like rule history.',
    responses: { 200: '`{ value: [...] }`' },
  },
  {
    operationId: 'listQuarantine',
    method: 'get',
    route: 'quarantine',
    role: 'reader',
    tag: 'quarantine',
    summary: 'Alerts set aside because Table Storage refused them (never a secret; no sample events).',
    responses: { 200: '`{ value: [...] }`' },
  },
  {
    operationId: 'retryQuarantine',
    method: 'post',
    route: 'quarantine/{id}/retry',
    role: 'admin',
    tag: 'quarantine',
    summary: 'Writes the alert to the outbox again and removes the item.',
    responses: {
      200: '`{ id, outcome: written | already-written }`',
      404: 'unknown item',
      409: 'no alert to write, or still refused',
    },
  },
  {
    operationId: 'uiPage',
    method: 'get',
    route: 'ui',
    role: 'anonymous',
    tag: 'admin page',
    summary: 'The admin page shell (no data).',
    produces: 'text/html',
    responses: { 200: 'the page', 503: 'the page was not built (npm run build)' },
  },
  {
    operationId: 'uiAsset',
    method: 'get',
    route: 'ui/static/{name}',
    role: 'anonymous',
    tag: 'admin page',
    summary: "The page's script and stylesheet, revalidated by ETag.",
    produces: 'application/octet-stream',
    responses: { 200: 'the asset', 304: 'not modified', 404: 'unknown asset' },
  },
  {
    operationId: 'uiMe',
    method: 'get',
    route: 'ui/me',
    role: 'reader',
    tag: 'admin page',
    summary: '`{ name, roles, via, mode }` of the caller.',
    responses: { 200: 'the caller' },
  },
  {
    operationId: 'uiRuleStats',
    method: 'get',
    route: 'ui/rule-stats',
    role: 'reader',
    tag: 'admin page',
    summary: 'Per rule: alerts, events and suppressed matches in the last 7 days, and when it last fired.',
    responses: { 200: 'the statistics' },
  },
  {
    operationId: 'uiWindowSuppressed',
    method: 'get',
    route: 'ui/windows/{id}/suppressed',
    role: 'reader',
    tag: 'admin page',
    summary: 'The matches a change window recorded instead of sending.',
    responses: { 200: '`{ windowId, status, value: [...] }`', 404: 'unknown window' },
  },
  {
    operationId: 'uiPreview',
    method: 'post',
    route: 'ui/preview',
    role: 'reader',
    tag: 'admin page',
    summary:
      'The Teams message a rule would send for an event (a sample when none is given), whether the rule matches it, its size. Nothing is sent.',
    body: 'PreviewRequest',
    responses: { 200: 'the preview', 400: 'field problems', 404: 'the referenced event was not found' },
  },
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
        'Rules, change windows, channels, alerts, health and the admin page data of cloud-pki-alerts. `x-role` names the role an operation needs: ' +
        '`reader` may read, `admin` may also write (key mode: every function key holder is an admin; entra mode: the Entra app roles). ' +
        'Request bodies are generated from the zod schemas the handlers validate with; checks JSON Schema cannot express (filter syntax, IP ranges, ' +
        'times relative to now) are made by the handlers, which list every problem in a 400.',
    },
    servers: [{ url: '/api' }],
    tags: ['health', 'meta', 'alerts', 'channels', 'rules', 'windows', 'quarantine', 'admin page'].map((name) => ({
      name,
    })),
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
