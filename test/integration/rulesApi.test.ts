import { beforeEach, describe, expect, it } from 'vitest';
import { getServices } from '../../src/composition/appServices';
import {
  deleteRuleHandler,
  getRuleHandler,
  listRulesHandler,
  putRuleHandler,
  ruleHistoryHandler,
  validateRuleHandler,
} from '../../src/functions/rules';
import { createLogger } from '../../src/shared/logger';
import { tableNames } from '../../src/state/tableClients';
import { callApi, principalHeader, entraBehindEasyAuth } from '../helpers/apiCalls';
import { acceptedCards, type Pipeline, usePipelineEnvironment } from '../helpers/pipeline';

const rule = (over: Record<string, unknown> = {}) => ({
  id: 'ca-deleted-custom',
  name: 'CA deleted (custom)',
  enabled: true,
  severity: 'critical',
  activityTypes: ['Delete CloudCertificationAuthority'],
  channels: ['default'],
  ...over,
});
const alice = principalHeader('alice@contoso.com', []);
const put = (id: string, body: unknown, headers: Record<string, string> = {}) =>
  callApi(putRuleHandler, {
    method: 'PUT',
    path: `rules/${id}`,
    params: { id },
    body,
    headers: { ...alice, ...headers },
  });
const get = (id: string) => callApi(getRuleHandler, { method: 'GET', path: `rules/${id}`, params: { id } });
const del = (id: string, headers: Record<string, string> = {}) =>
  callApi(deleteRuleHandler, {
    method: 'DELETE',
    path: `rules/${id}`,
    params: { id },
    headers: { ...alice, ...headers },
  });
const history = (id: string) =>
  callApi(ruleHistoryHandler, { method: 'GET', path: `rules/${id}/history`, params: { id } });
const log = createLogger(() => undefined);

describe('rules API (function keys: a key holder is an admin)', () => {
  const pipeline = usePipelineEnvironment();
  let p: Pipeline;
  beforeEach(() => {
    p = pipeline();
  });

  it('creates (201), reads with an ETag, replaces only with a current If-Match (412 when stale), deletes (204), and versions every change', async () => {
    const created = await put('ca-deleted-custom', rule());
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBeTruthy();
    expect(created.headers.location).toBe('/api/rules/ca-deleted-custom');
    const read = await get('ca-deleted-custom');
    expect(read).toMatchObject({ status: 200, body: { id: 'ca-deleted-custom', rule: rule() } });
    expect(read.headers.etag).toBe(created.headers.etag);

    expect((await put('ca-deleted-custom', rule(), { 'if-none-match': '*' })).status).toBe(409);
    expect((await put('ca-deleted-custom', rule({ name: 'x' }))).status).toBe(409); // exists, no If-Match
    const replaced = await put('ca-deleted-custom', rule({ name: 'CA deleted (renamed)' }), {
      'if-match': created.headers.etag,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.etag).not.toBe(created.headers.etag);
    const stale = await put('ca-deleted-custom', rule({ name: 'lost update' }), { 'if-match': created.headers.etag });
    expect(stale).toMatchObject({ status: 412, body: { error: { code: 'PreconditionFailed' } } });
    expect((await put('no-such-rule', rule({ id: 'no-such-rule' }), { 'if-match': created.headers.etag })).status).toBe(
      412,
    );
    expect((await get('ca-deleted-custom')).body.rule.name).toBe('CA deleted (renamed)');

    expect((await del('ca-deleted-custom', { 'if-match': created.headers.etag })).status).toBe(412);
    expect((await del('ca-deleted-custom', { 'if-match': replaced.headers.etag })).status).toBe(204);
    expect((await get('ca-deleted-custom')).status).toBe(404);
    expect((await del('ca-deleted-custom')).status).toBe(404);

    const h = await history('ca-deleted-custom');
    expect(h.status).toBe(200);
    expect(h.body.value.map((e: { action: string; who: string }) => [e.action, e.who])).toEqual([
      ['delete', 'alice@contoso.com'],
      ['replace', 'alice@contoso.com'],
      ['create', 'alice@contoso.com'],
    ]);
    expect(h.body.value[1]).toMatchObject({
      before: { name: 'CA deleted (custom)' },
      after: { name: 'CA deleted (renamed)' },
    });
    expect(h.body.value[0].after).toBeUndefined();
    expect(h.body.value[2].before).toBeUndefined();
  });

  it('a write that changes nothing is not written and not versioned', async () => {
    const created = await put('ca-deleted-custom', rule());
    const again = await put('ca-deleted-custom', rule(), { 'if-match': created.headers.etag });
    expect(again.status).toBe(200);
    expect(again.headers.etag).toBe(created.headers.etag);
    expect((await history('ca-deleted-custom')).body.value).toHaveLength(1);
  });

  it.each([
    ['a bad severity', 'r1', rule({ id: 'r1', severity: 'urgent' }), 'severity'],
    ['an id that differs from the URL', 'r2', rule({ id: 'other' }), 'id'],
    ['an array body', 'r3', [rule()], 'body'],
    ['text that is not JSON', 'r4', '{"id": ', 'body'],
    ['a filter with a syntax error', 'r5', rule({ id: 'r5', filter: "activityType eq 'x' and (" }), 'filter'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_name, id, body, field) => {
    const res = await put(id, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ValidationFailed');
    expect(res.body.error.problems.map((x: { field: string }) => x.field)).toContain(field);
    expect((await get(id)).status).toBe(404);
  });

  it('validates without storing: 200 with the normalized rule, 400 with field problems (filter errors with their position)', async () => {
    const ok = await callApi(validateRuleHandler, {
      method: 'POST',
      path: 'rules/validate',
      body: { ...rule(), schemaVersion: 1 },
    });
    expect(ok).toMatchObject({ status: 200, body: { valid: true, rule: rule() } });
    const bad = await callApi(validateRuleHandler, {
      method: 'POST',
      path: 'rules/validate',
      body: rule({ filter: "activityType eq 'x' and (" }),
    });
    expect(bad.status).toBe(400);
    const filter = bad.body.error.problems.find((x: { field: string }) => x.field === 'filter');
    expect(filter.message).toMatch(/at \d+/);
    expect((await get('ca-deleted-custom')).status).toBe(404);
  });

  it('lists rules with the parse problems of a row that no longer validates', async () => {
    await put('ca-deleted-custom', rule());
    await put('second', rule({ id: 'second', severity: 'low' }));
    const s = getServices();
    const client = await s.tables.get(tableNames.rules);
    const row = await client.getEntity<{ ruleJson: string }>(p.tenantId, 'second');
    await client.updateEntity(
      {
        partitionKey: p.tenantId,
        rowKey: 'second',
        ruleJson: JSON.stringify({ ...JSON.parse(row.ruleJson), severity: 'urgent' }),
      },
      'Merge',
    );
    const list = await callApi(listRulesHandler, { method: 'GET', path: 'rules' });
    expect(list.status).toBe(200);
    expect(list.body.problems).toBe(1);
    const bad = list.body.value.find((r: { id: string }) => r.id === 'second');
    expect(bad.rule).toBeUndefined();
    expect(bad.problems.map((x: { field: string }) => x.field)).toContain('severity');
    expect(list.body.value.find((r: { id: string }) => r.id === 'ca-deleted-custom').rule).toEqual(rule());
    // The broken row can be fixed with a replace.
    const fixed = await put('second', rule({ id: 'second' }), { 'if-match': bad.etag });
    expect(fixed.status).toBe(200);
  });

  it('disabling or deleting a critical / high rule raises a tamper alert delivered on its channels; a medium rule does not', async () => {
    const critical = await put('ca-deleted-custom', rule());
    const high = await put(
      'ca-paused-custom',
      rule({ id: 'ca-paused-custom', name: 'CA paused (custom)', severity: 'high' }),
    );
    const medium = await put(
      'ca-created-custom',
      rule({ id: 'ca-created-custom', name: 'CA created (custom)', severity: 'medium' }),
    );
    expect(
      (await put('ca-deleted-custom', rule({ enabled: false }), { 'if-match': critical.headers.etag })).status,
    ).toBe(200);
    expect((await del('ca-paused-custom', { 'if-match': high.headers.etag })).status).toBe(204);
    expect(
      (
        await put(
          'ca-created-custom',
          rule({ id: 'ca-created-custom', name: 'CA created (custom)', severity: 'medium', enabled: false }),
          { 'if-match': medium.headers.etag },
        )
      ).status,
    ).toBe(200);

    await getServices().deliver(log);
    const cards = acceptedCards(p);
    expect(cards).toHaveLength(2);
    // Cards escape Markdown in titles: "(custom)" shows as \(custom\) in the JSON.
    const disabled = cards.find((c) => c.text.includes('rule tamper:ca-deleted-custom'))!;
    expect(disabled.text).toMatch(/CRITICAL · Tamper: critical rule .{1,4}CA deleted .{1,20} disabled/);
    expect(disabled.text).toContain('alice@contoso.com disabled the critical rule ca-deleted-custom');
    expect(cards.find((c) => c.text.includes('rule tamper:ca-paused-custom'))!.text).toMatch(
      /HIGH · Tamper: high rule .{1,4}CA paused .{1,20} deleted/,
    );
    // The history entry names the tamper alert, so the two can be matched.
    const entry = (await history('ca-deleted-custom')).body.value[0];
    expect(entry.tamperAlertId).toBe(disabled.alertId);
    expect((await history('ca-created-custom')).body.value[0].tamperAlertId).toBeUndefined();
  });

  it('lowering a critical rule below high counts as tampering too', async () => {
    const critical = await put('ca-deleted-custom', rule());
    await put('ca-deleted-custom', rule({ severity: 'low' }), { 'if-match': critical.headers.etag });
    await getServices().deliver(log);
    const cards = acceptedCards(p);
    expect(cards).toHaveLength(1);
    expect(cards[0].text).toMatch(
      /CRITICAL · Tamper: critical rule .{1,4}CA deleted .{1,20} lowered below high severity/,
    );
  });
});

describe('rules API with Entra app roles (ADMIN_AUTH_MODE=entra)', () => {
  usePipelineEnvironment({ env: { ...entraBehindEasyAuth } });
  const reader = principalHeader('rita@contoso.com', ['PkiAlerts.Reader']);
  const admin = principalHeader('adam@contoso.com', ['PkiAlerts.Admin']);

  it('a reader reads but cannot write (403); no principal is 401; an admin writes and is the recorded editor', async () => {
    expect((await callApi(listRulesHandler, { method: 'GET', path: 'rules' })).status).toBe(401);
    expect((await callApi(listRulesHandler, { method: 'GET', path: 'rules', headers: reader })).status).toBe(200);
    const denied = await callApi(putRuleHandler, {
      method: 'PUT',
      path: 'rules/ca-deleted-custom',
      params: { id: 'ca-deleted-custom' },
      body: rule(),
      headers: reader,
    });
    expect(denied).toMatchObject({ status: 403, body: { error: { code: 'Forbidden' } } });
    expect(
      (await callApi(deleteRuleHandler, { method: 'DELETE', path: 'rules/x', params: { id: 'x' }, headers: reader }))
        .status,
    ).toBe(403);
    const created = await callApi(putRuleHandler, {
      method: 'PUT',
      path: 'rules/ca-deleted-custom',
      params: { id: 'ca-deleted-custom' },
      body: rule(),
      headers: admin,
    });
    expect(created.status).toBe(201);
    const h = await callApi(ruleHistoryHandler, {
      method: 'GET',
      path: 'rules/ca-deleted-custom/history',
      params: { id: 'ca-deleted-custom' },
      headers: reader,
    });
    expect(h.body.value[0]).toMatchObject({ action: 'create', who: 'adam@contoso.com', after: rule() });
  });
});
