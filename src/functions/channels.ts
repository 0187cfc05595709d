import { app } from '@azure/functions';
import { deleteChannel, getChannel, listChannels, putChannel, testChannel } from '../admin/channelAdmin';
import { adminAuthLevel, apiHandler, ok, readJson } from './http/httpApi';

/** GET /api/channels: every channel with setting names, host, configuration check and last outcomes; never a URL or secret. */
export const listChannelsHandler = apiHandler('reader', async (_request, { services }) =>
  ok({ value: await listChannels(services) }),
);

/** GET /api/channels/{id} */
export const getChannelHandler = apiHandler('reader', async (request, { services }) => {
  const channel = await getChannel(services, request.params.id);
  return ok(channel, 200, channel.etag ? { etag: channel.etag } : {});
});

/** PUT /api/channels/{id}: create (201; 409 if it exists) or replace (If-Match: the ETag, or *; 412 when stale). 400 lists every problem. */
export const putChannelHandler = apiHandler('admin', async (request, { services, caller }) => {
  const ifMatch = request.headers.get('if-match') ?? undefined;
  const channel = await putChannel(services, request.params.id, await readJson(request), {
    ifMatch,
    caller: caller.name,
  });
  return ok(channel, ifMatch ? 200 : 201, {
    etag: channel.etag ?? '',
    ...(ifMatch ? {} : { location: `/api/channels/${channel.id}` }),
  });
});

/** DELETE /api/channels/{id}: idempotent; app-settings channels answer 409. */
export const deleteChannelHandler = apiHandler('admin', async (request, { services }) => {
  await deleteChannel(services, request.params.id);
  return { status: 204, headers: { 'cache-control': 'no-store' } };
});

/** POST /api/channels/{id}/test: sends a sample alert now; 200 with { ok, status, detail } either way (never the URL). */
export const testChannelHandler = apiHandler('admin', async (request, { services }) =>
  ok(await testChannel(services, request.params.id)),
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
