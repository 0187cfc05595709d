import { app, type HttpRequest } from '@azure/functions';
import type { Services } from '../composition/services';
import { deleteChannel, getChannel, listChannels, putChannel, testChannel } from '../admin/channelAdmin';
import { scopedServices } from '../composition/tenantScope';
import { adminAuthLevel, apiHandler, ok, readJson } from './http/httpApi';

/** `?tenant=`: a registered tenant's own channels (beside the global ones); default the global channels. */
const scoped = async (request: HttpRequest, services: Services) =>
  (await scopedServices(services, request.query.get('tenant'))).services;
const tenantQuery = (request: HttpRequest) => {
  const tenant = request.query.get('tenant');
  return tenant ? `?tenant=${encodeURIComponent(tenant)}` : '';
};

/** GET /api/channels: every channel with setting names, host, configuration check and last outcomes; never a URL or secret. */
export const listChannelsHandler = apiHandler('reader', async (request, { services }) =>
  ok({ value: await listChannels(await scoped(request, services)) }),
);

/** GET /api/channels/{id} */
export const getChannelHandler = apiHandler('reader', async (request, { services }) => {
  const channel = await getChannel(await scoped(request, services), request.params.id);
  return ok(channel, 200, channel.etag ? { etag: channel.etag } : {});
});

/** PUT /api/channels/{id}: create (201; 409 if it exists) or replace (If-Match: the ETag, or *; 412 when stale). 400 lists every problem. */
export const putChannelHandler = apiHandler('admin', async (request, { services, caller }) => {
  const ifMatch = request.headers.get('if-match') ?? undefined;
  const channel = await putChannel(await scoped(request, services), request.params.id, await readJson(request), {
    ifMatch,
    caller: caller.name,
  });
  return ok(channel, ifMatch ? 200 : 201, {
    etag: channel.etag ?? '',
    ...(ifMatch ? {} : { location: `/api/channels/${channel.id}${tenantQuery(request)}` }),
  });
});

/** DELETE /api/channels/{id}: idempotent; app-settings channels answer 409. */
export const deleteChannelHandler = apiHandler('admin', async (request, { services }) => {
  await deleteChannel(await scoped(request, services), request.params.id);
  return { status: 204, headers: { 'cache-control': 'no-store' } };
});

/** POST /api/channels/{id}/test: sends a sample alert now; 200 with { ok, status, detail } either way (never the URL). */
export const testChannelHandler = apiHandler('admin', async (request, { services }) =>
  ok(await testChannel(await scoped(request, services), request.params.id)),
);

app.http('listChannels', {
  route: 'channels',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: listChannelsHandler,
});
app.http('getChannel', {
  route: 'channels/{id}',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: getChannelHandler,
});
app.http('putChannel', {
  route: 'channels/{id}',
  methods: ['PUT'],
  authLevel: adminAuthLevel(),
  handler: putChannelHandler,
});
app.http('deleteChannel', {
  route: 'channels/{id}',
  methods: ['DELETE'],
  authLevel: adminAuthLevel(),
  handler: deleteChannelHandler,
});
app.http('testChannel', {
  route: 'channels/{id}/test',
  methods: ['POST'],
  authLevel: adminAuthLevel(),
  handler: testChannelHandler,
});
