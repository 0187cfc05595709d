import { ifMatch, ifNoneMatch, limit, type Operation, type Param } from './apiOperation';

/** `?tenant=`: a tenant id (GUID), `home` or the home tenant's id; 400 naming `tenant` otherwise. */
const tenant = (description: string): Param => ({
  name: 'tenant',
  in: 'query',
  description: `${description} A tenant id (GUID), \`home\` or the home tenant's id; anything else is a 400 naming \`tenant\`.`,
  schema: { type: 'string' },
});
const channelTenant = tenant(
  "Whose channels: a registered tenant's own (listed beside the global ones, marked with `tenantId`; 404 when the tenant is not registered). Default: the global channels (app settings and the home tenant's partition).",
);
const ruleTenant = tenant(
  "Whose rules: a registered tenant's own rules (they replace global rules of the same id for that tenant). Default: the global rules (the home tenant's partition), which apply to every tenant.",
);

/** The status, alert, channel and rule routes (the first part of openApi.ts's apiOperations, in the docs' order). */
export const statusAndRuleOperations: readonly Operation[] = [
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
    summary:
      "Recent alerts, newest first, with each channel's delivery status. Never a URL. Each alert names its tenant (`tenantId`, `tenantName`).",
    params: [
      limit(500, 50),
      tenant("Only this tenant's alerts. Default: the home tenant and every registered tenant together."),
    ],
    responses: { 200: '`{ value: [...] }`', 400: '`tenant` is not a tenant id' },
  },
  {
    operationId: 'getAlert',
    method: 'get',
    route: 'alerts/{id}',
    role: 'reader',
    tag: 'alerts',
    summary:
      "One alert (or failover notice) with each channel's delivery: state, attempts, last status / error, sent time, digest id, note.",
    params: [tenant("The alert's tenant. Default: the home tenant's outbox, then each registered tenant's.")],
    responses: { 200: 'the alert', 400: '`tenant` is not a tenant id', 404: 'unknown alert' },
  },
  {
    operationId: 'listChannels',
    method: 'get',
    route: 'channels',
    role: 'reader',
    tag: 'channels',
    summary:
      'Every channel (app settings and table) with setting names, destination host, configuration check, last five outcomes and open incident. Never a URL or secret.',
    params: [channelTenant],
    responses: { 200: '`{ value: [...] }`', 404: 'the tenant is not registered' },
  },
  {
    operationId: 'getChannel',
    method: 'get',
    route: 'channels/{id}',
    role: 'reader',
    tag: 'channels',
    summary: 'One channel (ETag header for table channels).',
    params: [channelTenant],
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
    params: [ifMatch('replace'), channelTenant],
    body: 'ChannelBody',
    responses: {
      200: 'replaced',
      201: 'created',
      400: 'field problems',
      404: 'the tenant is not registered',
      409: "exists, an app-settings channel, or (a tenant's channel) the id of a global channel",
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
    params: [channelTenant],
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
    params: [channelTenant],
    responses: { 200: 'the outcome', 404: 'unknown channel' },
  },
  {
    operationId: 'listRules',
    method: 'get',
    route: 'rules',
    role: 'reader',
    tag: 'rules',
    summary:
      'Every rule with its ETag; a row that no longer validates is listed with its `problems` (and `raw` document) instead of `rule`. Also `packVersion` and `tenant` (whose rules: `global` or the tenant id).',
    params: [ruleTenant],
    responses: { 200: '`{ value: [...], packVersion, problems, tenant }`', 400: '`tenant` is not a tenant id' },
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
    params: [ruleTenant],
    responses: { 200: 'the stored rule', 404: 'unknown rule' },
  },
  {
    operationId: 'putRule',
    method: 'put',
    route: 'rules/{id}',
    role: 'admin',
    tag: 'rules',
    summary:
      'Create (201, Location) or replace (200; If-Match required, 409 without it). A write that changes nothing is not recorded. ' +
      "A global rule may name only global channels (and carry `excludeTenants`); a tenant's rule may name global channels and that tenant's own.",
    params: [ifMatch('replace'), ifNoneMatch, ruleTenant],
    body: 'AlertRuleBody',
    responses: {
      200: 'replaced',
      201: 'created',
      400: "field problems (also: a channel that is not global nor the tenant's, `excludeTenants` on a tenant's rule)",
      404: 'the tenant is not registered',
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
    params: [ifMatch('optional'), ruleTenant],
    responses: { 204: 'deleted', 404: 'unknown rule', 412: 'stale ETag' },
  },
  {
    operationId: 'ruleHistory',
    method: 'get',
    route: 'rules/{id}/history',
    role: 'reader',
    tag: 'rules',
    summary: 'Versions, newest first: action, who, at, before, after, tamperAlertId.',
    params: [limit(500, 100), ruleTenant],
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
];
