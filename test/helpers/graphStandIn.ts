import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An independent stand-in for Graph's auditEvents, written for the tests from the field reports
 * (docs/reference/graph-audit-events.md §4a), sharing NO code with the project's simulator: it refuses
 * `$orderby=… asc` (400), answers the very first auditEvents request with a 429 without Retry-After,
 * serves at most `pageCap` items per page whatever `$top` says, repeats the last item of a page at the
 * start of the next, ignores every filter clause but the time range, and hands out opaque nextLinks.
 * `auditStatus: 403` makes every auditEvents request a bare 403 instead.
 */
export interface GraphStandIn {
  url: string;
  requests: { path: string; status: number }[];
  close(): Promise<void>;
}

export async function startGraphStandIn(options: {
  events: Record<string, unknown>[];
  pageCap?: number;
  auditStatus?: 403;
  activityTypes?: string[];
}): Promise<GraphStandIn> {
  const pageCap = options.pageCap ?? 2;
  const cursors = new Map<string, { from: number; to: number; offset: number }>();
  const requests: GraphStandIn['requests'] = [];
  let auditRequests = 0;
  let origin = '';
  const json = (res: ServerResponse, status: number, body: unknown, record: { status: number }) => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const record = { path: decodeURIComponent(url.pathname + url.search), status: 0 };
    requests.push(record);
    const path = decodeURIComponent(url.pathname);
    if (/\/getAuditCategories(\(\))?$/i.test(path))
      return json(res, 200, { value: ['Other', 'Enrollment', 'CloudPki'] }, record);
    const types = /\/getAuditActivityTypes\(category='(.*)'\)$/i.exec(path);
    if (types)
      return json(
        res,
        200,
        { value: types[1] === 'CloudPki' ? (options.activityTypes ?? []) : ['Create DeviceEnrollmentConfiguration'] },
        record,
      );
    if (!/^\/beta\/deviceManagement\/auditEvents$/i.test(path))
      return json(res, 404, { error: { code: 'ResourceNotFound', message: 'not here' } }, record);
    if (options.auditStatus === 403) return json(res, 403, { error: { code: 'Forbidden', message: '' } }, record);
    if (++auditRequests === 1)
      return json(res, 429, { error: { code: 'TooManyRequests', message: 'Too many requests' } }, record);
    let cursor: { from: number; to: number; offset: number } | undefined;
    const token = url.searchParams.get('$skiptoken');
    if (token !== null) {
      cursor = cursors.get(token);
      if (!cursor) return json(res, 400, { error: { code: 'BadRequest', message: 'unknown skiptoken' } }, record);
    } else {
      if (/\basc\b/i.test(url.searchParams.get('$orderby') ?? ''))
        return json(res, 400, { error: { code: 'BadRequest', message: 'Invalid $orderby' } }, record);
      const filter = url.searchParams.get('$filter') ?? '';
      const from = /activityDateTime\s+ge\s+(\S+)/i.exec(filter)?.[1];
      const to = /activityDateTime\s+le\s+(\S+)/i.exec(filter)?.[1];
      cursor = { from: from ? Date.parse(from) : -Infinity, to: to ? Date.parse(to) : Infinity, offset: 0 };
    }
    const matching = options.events
      .filter((e) => {
        const t = Date.parse(String(e.activityDateTime));
        return t >= cursor.from && t <= cursor.to + 1;
      })
      .sort((a, b) => (String(a.activityDateTime) < String(b.activityDateTime) ? 1 : -1)); // newest first
    const start = Math.max(0, cursor.offset - (cursor.offset > 0 ? 1 : 0)); // repeat the previous page's last item
    const page = matching.slice(start, start + pageCap);
    const body: Record<string, unknown> = {
      '@odata.context': `${origin}/beta/$metadata#deviceManagement/auditEvents`,
      value: page,
    };
    if (start + pageCap < matching.length) {
      const next = randomUUID();
      cursors.set(next, { ...cursor, offset: start + pageCap });
      body['@odata.nextLink'] = `https://graph.microsoft.com/beta/deviceManagement/auditEvents?$skiptoken=${next}`;
    }
    return json(res, 200, body, record);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** Graph-shaped Cloud PKI events at `minutesAgo` before now: the high-risk ones the default pack alerts on, and noise. */
export function standInEvents(now: Date): { events: Record<string, unknown>[]; highRiskIds: string[] } {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString().replace('Z', '1234Z');
  const event = (
    id: string,
    minutesAgo: number,
    activityType: string,
    operation: string,
    extra: Record<string, unknown> = {},
  ) => ({
    id,
    displayName: '<null>',
    activityDateTime: at(minutesAgo),
    activityType,
    activityOperationType: operation,
    activityResult: 'Success',
    category: '<null>',
    componentName: '<null>',
    correlationId: randomUUID(),
    activity: null,
    actor: {
      auditActorType: 'ItPro',
      userPrincipalName: 'pkiadmin@contoso.com',
      applicationDisplayName: 'Microsoft Intune portal extension',
      ipAddress: '<null>',
    },
    resources: [
      {
        displayName: 'Contoso Root CA',
        auditResourceType: 'CloudCertificationAuthority',
        resourceId: 'root-ca-id',
        modifiedProperties: [],
      },
      {
        displayName: 'Contoso Issuing CA',
        auditResourceType: 'CloudCertificationAuthority',
        resourceId: 'issuing-ca-id',
        modifiedProperties: [{ displayName: 'Status', oldValue: 'active', newValue: '<null>' }],
      },
    ],
    ...extra,
  });
  const highRisk = [
    event(
      'hr-revoke-ca',
      40,
      'RevokeCloudCertificationAuthorityCertificateAsync CloudCertificationAuthority',
      'Action',
    ),
    event('hr-delete-1', 35, 'Delete CloudCertificationAuthority', 'Delete'),
    event('hr-delete-2', 20, 'Delete CloudCertificationAuthority', 'Delete'),
    event('hr-pause', 30, 'ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority', 'Action'),
    event(
      'hr-upload',
      25,
      'UploadExternallySignedCertificationAuthorityCertificateAsync CloudCertificationAuthority',
      'Action',
    ),
    event('hr-pause-2', 10, 'ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority', 'Action'),
  ];
  const noise = [
    event('n-get', 38, 'Get CloudCertificationAuthority', 'Get'),
    event('n-search', 33, 'Search CloudCertificationAuthority', 'Search'),
    event('n-enroll', 28, 'Create DeviceEnrollmentConfiguration', 'Create', { displayName: 'Create enrollment.' }),
    event('n-get-2', 15, 'Get CloudCertificationAuthority', 'Get'),
    event('n-display', 12, '<null>', 'Delete', { displayName: 'Delete CloudCertificationAuthority' }),
  ];
  return { events: [...highRisk, ...noise], highRiskIds: highRisk.map((e) => e.id).sort() };
}
