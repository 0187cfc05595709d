import { beforeEach, describe, expect, it } from 'vitest';
import { getServices } from '../../src/composition/appServices';
import {
  createWindowHandler,
  deleteWindowHandler,
  endWindowHandler,
  getWindowHandler,
  listWindowsHandler,
  replaceWindowHandler,
  windowHistoryHandler,
} from '../../src/functions/windows';
import { createLogger } from '../../src/shared/logger';
import { callApi, principalHeader, entraBehindEasyAuth } from '../helpers/apiCalls';
import { acceptedCards, type Pipeline, usePipelineEnvironment } from '../helpers/pipeline';

const alice = principalHeader('alice@contoso.com', []);
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const window = (over: Record<string, unknown> = {}) => ({
  scope: { ruleIds: ['cloudpki-ca-created'] },
  end: inMinutes(60),
  reason: 'Planned CA creation',
  ...over,
});
const create = (body: unknown, headers = alice) =>
  callApi(createWindowHandler, { method: 'POST', path: 'windows', body, headers });
const get = (id: string) => callApi(getWindowHandler, { method: 'GET', path: `windows/${id}`, params: { id } });
const put = (id: string, body: unknown, headers: Record<string, string> = {}) =>
  callApi(replaceWindowHandler, {
    method: 'PUT',
    path: `windows/${id}`,
    params: { id },
    body,
    headers: { ...alice, ...headers },
  });
const end = (id: string) =>
  callApi(endWindowHandler, { method: 'POST', path: `windows/${id}/end`, params: { id }, headers: alice });
const del = (id: string) =>
  callApi(deleteWindowHandler, { method: 'DELETE', path: `windows/${id}`, params: { id }, headers: alice });
const log = createLogger(() => undefined);

describe('change windows API', () => {
  const pipeline = usePipelineEnvironment();
  let p: Pipeline;
  beforeEach(() => {
    p = pipeline();
  });

  it('opens (201), reads, changes with If-Match (412 when stale), ends (409 twice), and versions every change with its editor', async () => {
    const created = await create(window());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'active',
      owner: 'alice@contoso.com',
      createdBy: 'alice@contoso.com',
      scope: { ruleIds: ['cloudpki-ca-created'] },
    });
    const id = created.body.id as string;
    expect(created.headers.location).toBe(`/api/windows/${id}`);
    const read = await get(id);
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe(created.headers.etag);
    expect((await get('cw-nope')).status).toBe(404);

    const changed = await put(id, window({ end: inMinutes(30), reason: 'Shorter' }), {
      'if-match': created.headers.etag,
    });
    expect(changed).toMatchObject({ status: 200, body: { reason: 'Shorter' } });
    expect((await put(id, window(), { 'if-match': created.headers.etag })).status).toBe(412);
    expect((await put(id, window({ start: inMinutes(-30) }))).status).toBe(400); // start of a started window is fixed

    expect((await del(id)).status).toBe(409); // active: end it first
    const ended = await end(id);
    expect(ended).toMatchObject({ status: 200, body: { status: 'ended' } });
    expect((await end(id)).status).toBe(409);
    expect((await put(id, window())).status).toBe(409);

    const list = await callApi(listWindowsHandler, { method: 'GET', path: 'windows' });
    expect(list.body.value.map((w: { id: string }) => w.id)).toEqual([id]);
    const h = await callApi(windowHistoryHandler, { method: 'GET', path: `windows/${id}/history`, params: { id } });
    expect(h.body.value.map((e: { action: string; who: string }) => [e.action, e.who])).toEqual([
      ['end', 'alice@contoso.com'],
      ['replace', 'alice@contoso.com'],
      ['create', 'alice@contoso.com'],
    ]);
    expect(h.body.value[1]).toMatchObject({ before: { reason: 'Planned CA creation' }, after: { reason: 'Shorter' } });
  });

  it('deletes a window that has not started (204)', async () => {
    const w = await create(window({ start: inMinutes(30), end: inMinutes(90) }));
    expect(w.body.status).toBe('scheduled');
    expect((await end(w.body.id)).status).toBe(409);
    expect((await del(w.body.id)).status).toBe(204);
    expect((await get(w.body.id)).status).toBe(404);
  });

  it.each([
    ['no scope list', { scope: {} }, 'scope'],
    ['an empty scope list', { scope: { caIds: [] } }, 'scope'],
    ['an end before the start', { start: inMinutes(30), end: inMinutes(10) }, 'end'],
    ['a window longer than 7 days', { end: inMinutes(8 * 24 * 60) }, 'end'],
    ['a start in the past', { start: inMinutes(-60) }, 'start'],
    ['no reason', { reason: '' }, 'reason'],
    ['an unknown field', { silenceEverything: true }, 'silenceEverything'],
  ])('answers 400 for %s', async (_name, over, field) => {
    const res = await create(window(over));
    expect(res.status).toBe(400);
    expect(res.body.error.problems.map((x: { field: string }) => x.field)).toContain(field);
  });

  it('opening a window over a critical rule raises a tamper alert on its channels; over a medium rule only, none', async () => {
    expect((await create(window())).status).toBe(201); // cloudpki-ca-created: medium
    expect(
      (await create(window({ scope: { ruleIds: ['cloudpki-ca-certificate-revoked'] }, reason: 'Revoke test CA' })))
        .status,
    ).toBe(201);
    await getServices().deliver(log);
    const cards = acceptedCards(p);
    expect(cards).toHaveLength(1);
    expect(cards[0].text).toContain('CRITICAL · Tamper: change window opened over 1 critical / high rule');
    expect(cards[0].text).toContain('covering cloudpki-ca-certificate-revoked');
    expect(cards[0].text).toContain('reason: Revoke test CA');
  });
});

describe('change windows API with Entra app roles', () => {
  usePipelineEnvironment({ env: { ...entraBehindEasyAuth } });

  it('a reader lists windows but cannot open one', async () => {
    const reader = principalHeader('rita@contoso.com', ['PkiAlerts.Reader']);
    expect((await callApi(listWindowsHandler, { method: 'GET', path: 'windows', headers: reader })).status).toBe(200);
    expect((await create(window(), reader)).status).toBe(403);
    expect((await create(window(), {})).status).toBe(401);
    expect((await create(window(), principalHeader('adam@contoso.com', ['PkiAlerts.Admin']))).status).toBe(201);
  });
});
