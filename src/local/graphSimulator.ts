import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CloudPkiResources } from './cloudPkiResources';
import {
  behaviourOf,
  type GraphServerMode,
  intuneErrorBody,
  type ServerBehaviour,
  servedPageSize,
} from './graphServerModes';
import type {
  GraphFault,
  GraphFaultOptions,
  GraphSimulatorOptions,
  QueuedFault,
  SimulatedRequest,
} from './graphSimulatorTypes';

export type { GraphFault, GraphFaultOptions, GraphSimulatorOptions, SimulatedRequest } from './graphSimulatorTypes';
import {
  compareStored,
  compileFilter,
  decodeSkipToken,
  errorCodeFor,
  firstAfter,
  graphEncode,
  graphError,
  headerText,
  KNOWN_CATEGORIES,
  type ParsedQuery,
  parseOrderBy,
  parseQuery,
  parseTop,
  QueryError,
  type StoredEvent,
  storeEvent,
} from './auditEventQuery';

/**
 * A loopback stand-in for the part of Graph's `GET /beta/deviceManagement/auditEvents`
 * (https://learn.microsoft.com/graph/api/resources/intune-auditing-auditevent) that the app uses:
 * `$filter`, `$orderby`, `$top`, `@odata.nextLink` paging, plus fault injection for tests. Stricter than
 * the docs by default and switchable to the alternatives seen in the field (graphServerModes.ts).
 */
export class GraphSimulator {
  /** Every request received, in arrival order; `status` stays 0 while (or if never) answered. */
  readonly requests: SimulatedRequest[] = [];
  /** e.g. `http://127.0.0.1:41234`; the origin a client must rewrite `nextLinkOrigin` to. */
  readonly baseUrl: string;
  /** Cloud PKI CA resources and sendMail (delivery side), served on the same origin. */
  readonly pki = new CloudPkiResources();

  private events: StoredEvent[] = [];
  /** The last filter's result, reused while the events are unchanged (paging a big backlog re-runs one filter). */
  private filterCache?: { events: StoredEvent[]; length: number; filter: string | undefined; matching: StoredEvent[] };
  private nextSeq = 0;
  private faults: QueuedFault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly defaultPageSize: number;
  private readonly maxPageSize: number;
  private readonly nextLinkOrigin: string;
  private readonly requireAuthorization: boolean;
  private readonly behaviour: ServerBehaviour;
  private readonly capPagesBelowTop: boolean;
  private listRequests = 0;
  private hungNextLinks = 0;
  private closed = false;
  /** The server mode (graphServerModes.ts). */
  readonly mode: GraphServerMode;

  private constructor(
    private readonly server: Server,
    options: GraphSimulatorOptions,
  ) {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('Graph simulator: not listening on TCP');
    this.baseUrl = `http://127.0.0.1:${address.port}`;
    this.maxPageSize = options.maxPageSize ?? 1000;
    this.defaultPageSize = Math.min(options.defaultPageSize ?? 100, this.maxPageSize);
    this.nextLinkOrigin = (options.nextLinkOrigin ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
    this.requireAuthorization = options.requireAuthorization ?? false;
    this.mode = options.mode ?? 'strict';
    this.behaviour = behaviourOf(this.mode);
    this.capPagesBelowTop = options.capPagesBelowTop ?? true;
    // Tracked so close() can end keep-alive and deliberately hung connections instead of waiting on them.
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      try {
        if (this.pki.handle(req, res)) return;
        this.handle(req, res);
      } catch (error) {
        // A simulator bug must surface as a 500 in the test that hit it, not crash the test runner.
        if (!res.headersSent) res.writeHead(500).end(String(error));
      }
    });
    this.addEvents(options.events ?? []);
  }

  /** Starts a simulator on 127.0.0.1 (a random free port unless `port` is given). */
  static async start(options: GraphSimulatorOptions = {}): Promise<GraphSimulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new GraphSimulator(server, options);
  }

  /**
   * Reads events from a file in Graph's own response shape `{"value": [...]}` (a bare array works too),
   * so a page captured from a real tenant can be replayed as is.
   */
  static loadEventsFile(path: string): unknown[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`Graph events file ${path}: cannot read JSON (${(error as Error).message})`, { cause: error });
    }
    if (Array.isArray(parsed)) return parsed;
    const value = (parsed as { value?: unknown } | null)?.value;
    if (!Array.isArray(value)) {
      throw new Error(`Graph events file ${path}: expected {"value": [auditEvent, ...]} or an array of events`);
    }
    return value;
  }

  /** Number of stored events, malformed ones included. */
  get eventCount(): number {
    return this.events.length;
  }

  /** Adds events (raw Graph JSON, kept byte for byte as given); they are visible to the next request. */
  addEvents(events: unknown[]): void {
    for (const raw of events) this.events.push(storeEvent(raw, this.nextSeq++));
    // Timsort makes re-sorting an almost sorted array cheap.
    this.events.sort(compareStored);
  }

  /** Replaces all stored events. */
  setEvents(events: unknown[]): void {
    this.events = [];
    this.addEvents(events);
  }

  /** Removes all stored events. */
  clearEvents(): void {
    this.events = [];
  }

  /** Queues a fault for the next `times` list requests that match `on` (first page, next page or any). */
  injectFault(fault: GraphFault, options: GraphFaultOptions = {}): void {
    const times = options.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`Graph simulator: times must be a positive integer: ${times}`);
    this.faults.push({ fault, remaining: times, on: options.on ?? 'any' });
  }

  /** Drops every queued fault. */
  clearFaults(): void {
    this.faults = [];
  }

  /** Stops listening and destroys open connections, hung ones included, so nothing keeps Node alive. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const record: SimulatedRequest = {
      method: req.method ?? 'GET',
      path: q === -1 ? url : url.slice(0, q),
      query: q === -1 ? '' : url.slice(q + 1),
      status: 0,
      at: Date.now(),
    };
    if (req.headers.authorization !== undefined) record.authorization = req.headers.authorization;
    this.requests.push(record);
    const headers: Record<string, string> = {
      'content-type':
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      'request-id': randomUUID(),
      'client-request-id': headerText(req.headers['client-request-id']) ?? randomUUID(),
    };
    const send = (status: number, body: string, extra: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { ...headers, ...extra }).end(body);
    };
    const errorBody = (code: string, message: string): string =>
      this.behaviour.errorBody === 'intune' ? intuneErrorBody(code, headers) : graphError(code, message, headers);
    const fail = (status: number, code: string, message: string): void => send(status, errorBody(code, message));

    let path: string;
    try {
      path = decodeURIComponent(record.path);
    } catch {
      return fail(400, 'BadRequest', 'Invalid URL encoding in the path.');
    }
    const route = /^\/(beta|v1\.0)\/devicemanagement\/auditevents(?:\/([^/]+))?\/?$/i.exec(path);
    if (route === null) return fail(404, 'ResourceNotFound', `Resource not found for the segment in '${path}'.`);
    if (record.method !== 'GET') return fail(405, 'BadRequest', `The ${record.method} method is not supported.`);
    if (this.requireAuthorization && !/^Bearer\s+\S/i.test(record.authorization ?? '')) {
      return fail(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    }
    const version = route[1];
    const operation = route[2];
    if (operation !== undefined) return this.handleFunction(operation, send, fail);

    let query: ParsedQuery;
    try {
      query = parseQuery(record.query);
    } catch (error) {
      return fail(400, 'BadRequest', (error as Error).message);
    }
    const fault = this.takeFault(query.skipToken !== undefined);
    const listRequest = ++this.listRequests;
    const serve = (truncate = false): void => {
      try {
        const body = this.listPage(version, record.path, query);
        // Any proper prefix of a JSON object is invalid JSON, like a response cut off mid-stream.
        send(200, truncate ? body.slice(0, Math.max(1, Math.floor(body.length / 2))) : body);
      } catch (error) {
        if (error instanceof QueryError) fail(400, 'BadRequest', error.message);
        else fail(500, 'InternalServerError', String(error));
      }
    };
    if (fault === undefined) {
      const { throttleEvery, hangingNextLinks } = this.behaviour;
      if (throttleEvery > 0 && (listRequest - 1) % throttleEvery === 0)
        return send(429, errorBody('TooManyRequests', 'Too many requests.'));
      if (query.skipToken !== undefined && this.hungNextLinks < hangingNextLinks) {
        this.hungNextLinks++;
        return; // Never answered, like the nextLinks of microsoft-graph-docs#18143; close() destroys the socket.
      }
      return serve();
    }
    switch (fault.kind) {
      case 'status': {
        const extra: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        const body = fault.body ?? errorBody(errorCodeFor(fault.status), `Simulated ${fault.status} response.`);
        return send(fault.status, body, extra);
      }
      case 'delay': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          serve();
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      case 'hang':
        return; // Never answered; close() destroys the socket.
      case 'malformedJson':
        return serve(true);
    }
  }

  private handleFunction(
    operation: string,
    send: (status: number, body: string) => void,
    fail: (status: number, code: string, message: string) => void,
  ): void {
    if (/^getAuditCategories(\(\))?$/i.test(operation)) {
      const seen = new Map<string, string>();
      for (const name of [...KNOWN_CATEGORIES, ...this.events.map((e) => e.fields.category)]) {
        if (name !== null && !seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
      }
      return send(200, JSON.stringify({ value: [...seen.values()] }));
    }
    const types = /^getAuditActivityTypes\(category='((?:[^']|'')*)'\)$/i.exec(operation);
    if (types !== null) {
      const category = types[1].replace(/''/g, "'").toLowerCase();
      const matches = this.events.filter((e) => e.fields.category?.toLowerCase() === category);
      const names = new Set(matches.map((e) => e.fields.activityType).filter((t): t is string => t !== null));
      return send(200, JSON.stringify({ value: [...names] }));
    }
    fail(404, 'ResourceNotFound', `Resource not found for the segment '${operation}'.`);
  }

  private takeFault(isNextPage: boolean): GraphFault | undefined {
    const index = this.faults.findIndex((f) => f.on === 'any' || (f.on === 'nextPage') === isNextPage);
    if (index === -1) return undefined;
    const queued = this.faults[index];
    if (--queued.remaining === 0) this.faults.splice(index, 1);
    return queued.fault;
  }

  /** Builds one page; the skiptoken holds the last served sort key, so events added between pages never shift it. */
  private listPage(version: string, path: string, query: ParsedQuery): string {
    const predicate = compileFilter(query.filter);
    const direction = parseOrderBy(query.orderBy);
    if (direction === 'asc' && this.behaviour.ascending === 'refuse') {
      throw new QueryError(
        `Ordering by 'activityDateTime asc' is not supported; use 'activityDateTime desc' or no $orderby.`,
      );
    }
    // Newest first unless oldest first was asked for and is honoured.
    const descending = !(direction === 'asc' && this.behaviour.ascending === 'accept');
    const top = servedPageSize(parseTop(query.top, this.defaultPageSize, this.maxPageSize), this.capPagesBelowTop);
    const cursor = query.skipToken === undefined ? undefined : decodeSkipToken(query.skipToken, descending);
    const cache = this.filterCache;
    const reuse =
      cache !== undefined &&
      cache.events === this.events &&
      cache.length === this.events.length &&
      cache.filter === query.filter;
    const filtered = reuse ? cache.matching : this.events.filter((e) => predicate(e.fields));
    if (!reuse)
      this.filterCache = { events: this.events, length: this.events.length, filter: query.filter, matching: filtered };
    const matching = descending ? [...filtered].reverse() : filtered;
    const repeat = cursor === undefined ? 0 : Math.min(this.behaviour.repeatedItems, top - 1);
    const start =
      cursor === undefined ? 0 : Math.max(0, firstAfter(matching, cursor, descending) - Math.max(0, repeat));
    const page = matching.slice(start, start + top);
    const origin = this.nextLinkOrigin;
    let nextLink = '';
    if (page.length > 0 && start + top < matching.length) {
      const last = page[page.length - 1];
      const sortKey = [descending ? 'd' : 'a', last.time, last.id, last.seq];
      const token = Buffer.from(JSON.stringify(sortKey)).toString('base64url');
      const params = query.params.filter(([key]) => key.toLowerCase() !== '$skiptoken');
      const encoded = params.map(([key, value]) => `${graphEncode(key).replace(/%24/g, '$')}=${graphEncode(value)}`);
      const text = [...encoded, `$skiptoken=${token}`].join('&');
      nextLink = `,"@odata.nextLink":${JSON.stringify(`${origin}${path}?${text}`)}`;
    }
    const context = JSON.stringify(`${origin}/${version}/$metadata#deviceManagement/auditEvents`);
    return `{"@odata.context":${context}${nextLink},"value":[${page.map((e) => e.json).join(',')}]}`;
  }
}
