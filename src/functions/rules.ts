import { app, type HttpRequest } from '@azure/functions';
import { deleteRule, getRule, listRules, putRule, ruleHistory, ruleFromBody } from '../admin/ruleAdmin';
import { ruleAdminScope } from '../composition/ruleScope';
import type { Services } from '../composition/services';
import type { Logger } from '../shared/logger';
import { adminAuthLevel, apiHandler, ok, readJson } from './http/httpApi';

const conditions = (request: HttpRequest) => ({
  ifMatch: request.headers.get('if-match') ?? undefined,
  ifNoneMatch: request.headers.get('if-none-match') ?? undefined,
});
const limitOf = (request: HttpRequest) => Math.min(500, Math.max(1, Number(request.query.get('limit') ?? 100) || 100));
/** `?tenant=`: a registered tenant's own rules; default the global rules (src/composition/ruleScope.ts). */
const scope = (request: HttpRequest, services: Services, log: Logger, write = false) =>
  ruleAdminScope(services, request.query.get('tenant'), log, { write });
const tenantQuery = (tenant: string) => (tenant === 'global' ? '' : `?tenant=${tenant}`);

/** GET /api/rules?tenant=: every rule of the partition, with the parse problems of rows that no longer validate. */
export const listRulesHandler = apiHandler('reader', async (request, { services, log }) => {
  const { deps, tenant } = await scope(request, services, log);
  return ok({ ...(await listRules(deps)), tenant });
});

/** GET /api/rules/{id}: one rule; its ETag is the version to send in If-Match. */
export const getRuleHandler = apiHandler('reader', async (request, { services, log }) => {
  const stored = await getRule((await scope(request, services, log)).deps, request.params.id);
  return ok(stored, 200, { etag: stored.etag });
});

/** PUT /api/rules/{id}: create (201) or replace (200, If-Match required; 412 when stale); If-None-Match: * = create only (409). */
export const putRuleHandler = apiHandler('admin', async (request, { services, log, caller }) => {
  const { deps, tenant } = await scope(request, services, log, true);
  const { stored, created } = await putRule(
    deps,
    request.params.id,
    await readJson(request),
    conditions(request),
    caller.name,
  );
  return ok(stored, created ? 201 : 200, {
    etag: stored.etag,
    ...(created ? { location: `/api/rules/${stored.id}${tenantQuery(tenant)}` } : {}),
  });
});

/** DELETE /api/rules/{id} (If-Match optional). */
export const deleteRuleHandler = apiHandler('admin', async (request, { services, log, caller }) => {
  const { deps } = await scope(request, services, log);
  await deleteRule(deps, request.params.id, conditions(request), caller.name);
  return { status: 204, headers: { 'cache-control': 'no-store' } };
});

/** POST /api/rules/validate: the normalized rule (200) or the field problems (400), nothing stored. */
export const validateRuleHandler = apiHandler('reader', async (request) => {
  const body = await readJson(request);
  const id =
    typeof body === 'object' && body !== null && typeof (body as { id?: unknown }).id === 'string'
      ? (body as { id: string }).id
      : '';
  return ok({ valid: true, rule: ruleFromBody(id, body) });
});

/** GET /api/rules/{id}/history?limit=N: versions, newest first, with who, when, before and after. */
export const ruleHistoryHandler = apiHandler('reader', async (request, { services, log }) =>
  ok({ value: await ruleHistory((await scope(request, services, log)).deps, request.params.id, limitOf(request)) }),
);

app.http('listRules', { route: 'rules', methods: ['GET'], authLevel: adminAuthLevel(), handler: listRulesHandler });
app.http('validateRule', {
  route: 'rules/validate',
  methods: ['POST'],
  authLevel: adminAuthLevel(),
  handler: validateRuleHandler,
});
app.http('getRule', { route: 'rules/{id}', methods: ['GET'], authLevel: adminAuthLevel(), handler: getRuleHandler });
app.http('putRule', { route: 'rules/{id}', methods: ['PUT'], authLevel: adminAuthLevel(), handler: putRuleHandler });
app.http('deleteRule', {
  route: 'rules/{id}',
  methods: ['DELETE'],
  authLevel: adminAuthLevel(),
  handler: deleteRuleHandler,
});
app.http('ruleHistory', {
  route: 'rules/{id}/history',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: ruleHistoryHandler,
});
