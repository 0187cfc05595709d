import { app, type HttpRequest } from '@azure/functions';
import {
  createWindow,
  deleteWindow,
  endWindow,
  getWindow,
  listWindows,
  replaceWindow,
  windowHistory,
} from '../admin/windowAdmin';
import { adminAuthLevel, apiHandler, ok, readJson } from './http/httpApi';

const ifMatch = (request: HttpRequest) => request.headers.get('if-match') ?? undefined;

/** GET /api/windows?current=true: change windows (current = not yet summarized), with status and ETag. */
export const listWindowsHandler = apiHandler('reader', async (request, { services, log }) =>
  ok({ value: await listWindows(services.admin.deps(log), { current: request.query.get('current') === 'true' }) }),
);

/** POST /api/windows: opens a window (201). A window over an enabled critical / high rule raises a tamper alert. */
export const createWindowHandler = apiHandler('admin', async (request, { services, log, caller }) => {
  const w = await createWindow(services.admin.deps(log), await readJson(request), caller.name);
  return ok(w, 201, { etag: w.etag, location: `/api/windows/${w.id}` });
});

/** GET /api/windows/{id} */
export const getWindowHandler = apiHandler('reader', async (request, { services, log }) => {
  const w = await getWindow(services.admin.deps(log), request.params.id);
  return ok(w, 200, { etag: w.etag });
});

/** PUT /api/windows/{id}: changes a window that has not ended (If-Match optional; 412 when stale). */
export const replaceWindowHandler = apiHandler('admin', async (request, { services, log, caller }) => {
  const w = await replaceWindow(
    services.admin.deps(log),
    request.params.id,
    await readJson(request),
    ifMatch(request),
    caller.name,
  );
  return ok(w, 200, { etag: w.etag });
});

/** POST /api/windows/{id}/end: ends an active window now; its summary goes out with the next poll. */
export const endWindowHandler = apiHandler('admin', async (request, { services, log, caller }) => {
  const w = await endWindow(services.admin.deps(log), request.params.id, ifMatch(request), caller.name);
  return ok(w, 200, { etag: w.etag });
});

/** DELETE /api/windows/{id}: only a window that has not started, or one whose summary is done (409 otherwise). */
export const deleteWindowHandler = apiHandler('admin', async (request, { services, log, caller }) => {
  await deleteWindow(services.admin.deps(log), request.params.id, ifMatch(request), caller.name);
  return { status: 204, headers: { 'cache-control': 'no-store' } };
});

/** GET /api/windows/{id}/history */
export const windowHistoryHandler = apiHandler('reader', async (request, { services, log }) =>
  ok({ value: await windowHistory(services.admin.deps(log), request.params.id) }),
);

app.http('listWindows', {
  route: 'windows',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: listWindowsHandler,
});
app.http('createWindow', {
  route: 'windows',
  methods: ['POST'],
  authLevel: adminAuthLevel(),
  handler: createWindowHandler,
});
app.http('getWindow', {
  route: 'windows/{id}',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: getWindowHandler,
});
app.http('replaceWindow', {
  route: 'windows/{id}',
  methods: ['PUT'],
  authLevel: adminAuthLevel(),
  handler: replaceWindowHandler,
});
app.http('deleteWindow', {
  route: 'windows/{id}',
  methods: ['DELETE'],
  authLevel: adminAuthLevel(),
  handler: deleteWindowHandler,
});
app.http('endWindow', {
  route: 'windows/{id}/end',
  methods: ['POST'],
  authLevel: adminAuthLevel(),
  handler: endWindowHandler,
});
app.http('windowHistory', {
  route: 'windows/{id}/history',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: windowHistoryHandler,
});
