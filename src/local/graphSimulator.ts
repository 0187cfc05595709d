import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CloudPkiResources } from './cloudPkiResources';

/**
 * A loopback stand-in for the part of Graph's `GET /beta/deviceManagement/auditEvents`
 * (https://learn.microsoft.com/graph/api/resources/intune-auditing-auditevent) that the app uses:
 * `$filter`, `$orderby`, `$top`, `@odata.nextLink` paging, plus fault injection for tests.
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
  private closed = false;

  private constructor(private readonly server: Server, options: GraphSimulatorOptions) {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('Graph simulator: not listening on TCP');
    this.baseUrl = `http://127.0.0.1:${address.port}`;
    this.maxPageSize = options.maxPageSize ?? 1000;
    this.defaultPageSize = Math.min(options.defaultPageSize ?? 100, this.maxPageSize);
    this.nextLinkOrigin = (options.nextLinkOrigin ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
    this.requireAuthorization = options.requireAuthorization ?? false;
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
      throw new Error(`Graph events file ${path}: cannot read JSON (${(error as Error).message})`);
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
    if (!Number.isInteger(times) || times < 1) throw new Error(`Graph simulator: times must be a positive integer: ${times}`);
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
      'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      'request-id': randomUUID(),
      'client-request-id': headerText(req.headers['client-request-id']) ?? randomUUID(),
    };
    const send = (status: number, body: string, extra: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { ...headers, ...extra }).end(body);
    };
    const fail = (status: number, code: string, message: string): void => send(status, graphError(code, message, headers));

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
    const version = route[1]!;
    const operation = route[2];
    if (operation !== undefined) return this.handleFunction(operation, send, fail);

    let query: ParsedQuery;
    try {
      query = parseQuery(record.query);
    } catch (error) {
      return fail(400, 'BadRequest', (error as Error).message);
    }
    const fault = this.takeFault(query.skipToken !== undefined);
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
    if (fault === undefined) return serve();
    switch (fault.kind) {
      case 'status': {
        const extra: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        const body = fault.body ?? graphError(errorCodeFor(fault.status), `Simulated ${fault.status} response.`, headers);
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
      const category = types[1]!.replace(/''/g, "'").toLowerCase();
      const matches = this.events.filter((e) => e.fields.category?.toLowerCase() === category);
      const names = new Set(matches.map((e) => e.fields.activityType).filter((t): t is string => t !== null));
      return send(200, JSON.stringify({ value: [...names] }));
    }
    fail(404, 'ResourceNotFound', `Resource not found for the segment '${operation}'.`);
  }

  private takeFault(isNextPage: boolean): GraphFault | undefined {
    const index = this.faults.findIndex((f) => f.on === 'any' || (f.on === 'nextPage') === isNextPage);
    if (index === -1) return undefined;
    const queued = this.faults[index]!;
    if (--queued.remaining === 0) this.faults.splice(index, 1);
    return queued.fault;
  }

  /** Builds one page; the skiptoken holds the last served sort key, so events added between pages never shift it. */
  private listPage(version: string, path: string, query: ParsedQuery): string {
    const predicate = compileFilter(query.filter);
    const descending = parseOrderBy(query.orderBy);
    const top = parseTop(query.top, this.defaultPageSize, this.maxPageSize);
    const cursor = query.skipToken === undefined ? undefined : decodeSkipToken(query.skipToken, descending);
    const cache = this.filterCache;
    const reuse = cache !== undefined && cache.events === this.events && cache.length === this.events.length && cache.filter === query.filter;
    const filtered = reuse ? cache.matching : this.events.filter((e) => predicate(e.fields));
    if (!reuse) this.filterCache = { events: this.events, length: this.events.length, filter: query.filter, matching: filtered };
    const matching = descending ? [...filtered].reverse() : filtered;
    const start = cursor === undefined ? 0 : firstAfter(matching, cursor, descending);
    const page = matching.slice(start, start + top);
    const origin = this.nextLinkOrigin;
    let nextLink = '';
    if (page.length > 0 && start + top < matching.length) {
      const last = page[page.length - 1]!;
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

/** Options for {@link GraphSimulator.start}. */
export interface GraphSimulatorOptions {
  events?: unknown[];
  port?: number;
  /** Page size when `$top` is absent (default 100). */
  defaultPageSize?: number;
  /** `$top` is capped here (default 1000). */
  maxPageSize?: number;
  /** Origin written into `@odata.nextLink` (default the real Graph one, which the app's client rewrites). */
  nextLinkOrigin?: string;
  /** When true, requests without `Authorization: Bearer …` get Graph's 401. */
  requireAuthorization?: boolean;
}

/** One request as the simulator saw it; `query` is the raw text after `?`. */
export interface SimulatedRequest {
  method: string;
  path: string;
  query: string;
  authorization?: string;
  status: number;
  at: number;
}

/**
 * A failure the simulator plays instead of (or before, for `delay`) a normal list response. `status` sends
 * `Retry-After` only when `retryAfterSeconds` is given, since some Intune endpoints reportedly omit it.
 */
export type GraphFault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'malformedJson' };

/** Which list requests a fault applies to, and how many times. */
export interface GraphFaultOptions {
  times?: number;
  on?: 'any' | 'firstPage' | 'nextPage';
}

interface QueuedFault {
  fault: GraphFault;
  remaining: number;
  on: 'any' | 'firstPage' | 'nextPage';
}

const FILTER_PROPERTIES = {
  activitydatetime: 'activityDateTime',
  activitytype: 'activityType',
  category: 'category',
  activityresult: 'activityResult',
  activityoperationtype: 'activityOperationType',
  componentname: 'componentName',
  displayname: 'displayName',
} as const;
type FilterProperty = (typeof FILTER_PROPERTIES)[keyof typeof FILTER_PROPERTIES];
/** String properties as given; `activityDateTime` normalised to a fixed 7-digit UTC form. */
type FilterFields = Record<FilterProperty, string | null>;

interface StoredEvent {
  json: string;
  fields: FilterFields;
  /** Sort key: normalised time ('' when unreadable), id ('' when not a string), insertion sequence. */
  time: string;
  id: string;
  seq: number;
}

const KNOWN_CATEGORIES = [
  'Other', 'Enrollment', 'Compliance', 'DeviceConfiguration', 'Device', 'Application', 'EBookManagement',
  'ConditionalAccess', 'OnPremiseAccess', 'Role', 'SoftwareUpdates', 'DeviceSetupConfiguration', 'DeviceIntent',
  'DeviceIntentSetting', 'DeviceSecurity', 'GroupPolicyAnalytics', 'AssignmentFilter',
];

function storeEvent(raw: unknown, seq: number): StoredEvent {
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (key: string): string | null => (typeof record[key] === 'string' ? (record[key] as string) : null);
  const fields = {} as FilterFields;
  for (const name of Object.values(FILTER_PROPERTIES)) fields[name] = text(name);
  const rawTime = fields.activityDateTime;
  fields.activityDateTime = rawTime === null ? null : normalizeDateTime(rawTime, false);
  return { json: JSON.stringify(raw) ?? 'null', fields, time: fields.activityDateTime ?? '', id: text('id') ?? '', seq };
}

function compareStored(a: Pick<StoredEvent, 'time' | 'id' | 'seq'>, b: Pick<StoredEvent, 'time' | 'id' | 'seq'>): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return a.seq - b.seq;
}

function firstAfter(ordered: StoredEvent[], cursor: Pick<StoredEvent, 'time' | 'id' | 'seq'>, descending: boolean): number {
  const index = ordered.findIndex((e) => (descending ? compareStored(e, cursor) < 0 : compareStored(e, cursor) > 0));
  return index === -1 ? ordered.length : index;
}

function decodeSkipToken(token: string, descending: boolean): Pick<StoredEvent, 'time' | 'id' | 'seq'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const key = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  const [direction, time, id, seq] = key;
  if (key.length !== 4 || typeof time !== 'string' || typeof id !== 'string' || typeof seq !== 'number') {
    throw new QueryError('The $skiptoken is not valid.');
  }
  if ((direction === 'd') !== descending) throw new QueryError('The $skiptoken was issued for a different $orderby.');
  return { time, id, seq };
}

/** A client error in the query string: the simulator answers 400 BadRequest. */
class QueryError extends Error {}

interface ParsedQuery {
  params: [string, string][];
  filter?: string;
  orderBy?: string;
  top?: string;
  skipToken?: string;
}

function parseQuery(raw: string): ParsedQuery {
  const query: ParsedQuery = { params: [] };
  const seen = new Set<string>();
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key: string;
    let value: string;
    try {
      // Graph, like .NET, reads '+' as a space; the SDK sends $filter unencoded, so both forms arrive.
      key = decodeURIComponent((eq === -1 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      value = eq === -1 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw new QueryError(`Invalid URL encoding in query option '${part}'.`);
    }
    const lower = key.toLowerCase();
    if (seen.has(lower)) throw new QueryError(`Query option '${key}' was specified more than once.`);
    seen.add(lower);
    query.params.push([key, value]);
    if (lower === '$filter') query.filter = value;
    else if (lower === '$orderby') query.orderBy = value;
    else if (lower === '$top') query.top = value;
    else if (lower === '$skiptoken') query.skipToken = value;
  }
  return query;
}

/** Encodes like .NET's HttpUtility.UrlEncode, which is what real nextLinks look like (`+`, `%3a`). */
function graphEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/%20/g, '+')
    .replace(/'/g, '%27')
    .replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}

function parseOrderBy(orderBy: string | undefined): boolean {
  if (orderBy === undefined) return true; // Graph documents newest first.
  const match = /^\s*activityDateTime(?:\s+(asc|desc))?\s*$/i.exec(orderBy);
  if (match === null) throw new QueryError(`Invalid $orderby '${orderBy}': only 'activityDateTime asc|desc' is supported.`);
  return match[1]?.toLowerCase() === 'desc';
}

function parseTop(top: string | undefined, defaultPageSize: number, maxPageSize: number): number {
  if (top === undefined) return defaultPageSize;
  if (!/^\d+$/.test(top.trim())) throw new QueryError(`Invalid value '${top}' for $top: expected a non-negative integer.`);
  return Math.min(Number(top), maxPageSize);
}

/**
 * Normalises an ISO 8601 instant to `YYYY-MM-DDTHH:MM:SS.fffffffZ` so plain string comparison orders
 * instants at Graph's 100 ns precision (a JS Date would keep milliseconds only). Returns null when unreadable.
 */
function normalizeDateTime(text: string, requireZone: boolean): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?$/i.exec(text);
  if (m === null || (requireZone && m[4] !== undefined && m[8] === undefined)) return null;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((part) => Number(part ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const valid = date.getUTCMonth() === month! - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  if (!valid) return null;
  const zone = m[8]?.toUpperCase() ?? 'Z';
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    date.setTime(date.getTime() - sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000);
  }
  return `${date.toISOString().slice(0, 19)}.${(m[7] ?? '').padEnd(7, '0').slice(0, 7)}Z`;
}

type Predicate = (fields: FilterFields) => boolean;
type Token = { kind: 'open' | 'close' | 'string' | 'word'; text: string; position: number };
const OPERATORS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** Compiles the supported `$filter` subset (and, or, not, parentheses, comparisons) to a predicate. */
function compileFilter(filter: string | undefined): Predicate {
  if (filter === undefined || filter.trim() === '') return () => true;
  const fail = (detail: string): never => {
    throw new QueryError(`Invalid filter clause: ${detail} in '${filter}'.`);
  };
  const tokens = tokenize(filter, fail);
  let index = 0;
  const keyword = (word: string): boolean => tokens[index]?.kind === 'word' && tokens[index]!.text.toLowerCase() === word;
  const describe = (token: Token | undefined): string =>
    token === undefined ? 'end of input' : `'${token.text}' at position ${token.position}`;

  const parseOr = (): Predicate => {
    let left = parseAnd();
    while (keyword('or')) {
      index++;
      const [a, b] = [left, parseAnd()];
      left = (fields) => a(fields) || b(fields);
    }
    return left;
  };
  const parseAnd = (): Predicate => {
    let left = parseUnary();
    while (keyword('and')) {
      index++;
      const [a, b] = [left, parseUnary()];
      left = (fields) => a(fields) && b(fields);
    }
    return left;
  };
  const parseUnary = (): Predicate => {
    if (!keyword('not')) return parsePrimary();
    index++;
    const inner = parseUnary();
    return (fields) => !inner(fields);
  };
  const parsePrimary = (): Predicate => {
    if (tokens[index]?.kind === 'open') {
      index++;
      const inner = parseOr();
      if (tokens[index]?.kind !== 'close') fail(`expected ')' but found ${describe(tokens[index])}`);
      index++;
      return inner;
    }
    const propertyToken = tokens[index++];
    if (propertyToken?.kind !== 'word') return fail(`expected a property name but found ${describe(propertyToken)}`);
    const property = FILTER_PROPERTIES[propertyToken.text.toLowerCase() as keyof typeof FILTER_PROPERTIES];
    if (property === undefined) {
      return fail(`could not find a property named '${propertyToken.text}' on type 'microsoft.graph.auditEvent'`);
    }
    const operatorToken = tokens[index++];
    const operator = operatorToken?.kind === 'word' ? operatorToken.text.toLowerCase() : '';
    if (!OPERATORS.has(operator)) return fail(`expected a comparison operator but found ${describe(operatorToken)}`);
    const literal = tokens[index++];
    let value: string | null;
    if (literal?.kind === 'word' && literal.text.toLowerCase() === 'null') value = null;
    else if (property === 'activityDateTime') {
      value = literal?.kind === 'word' ? normalizeDateTime(literal.text, true) : null;
      if (value === null) return fail(`expected a DateTimeOffset literal but found ${describe(literal)}`);
    } else if (literal?.kind === 'string') value = literal.text.toLowerCase();
    else return fail(`expected a string literal but found ${describe(literal)}`);
    const caseFold = property !== 'activityDateTime';
    return (fields) => {
      const actual = fields[property];
      return compareValues(operator, actual !== null && caseFold ? actual.toLowerCase() : actual, value);
    };
  };

  const predicate = parseOr();
  if (index < tokens.length) fail(`unexpected ${describe(tokens[index])}`);
  return predicate;
}

/** OData null semantics: null equals only null, and never orders against anything. */
function compareValues(operator: string, actual: string | null, expected: string | null): boolean {
  if (operator === 'eq') return actual === expected;
  if (operator === 'ne') return actual !== expected;
  if (actual === null || expected === null) return false;
  if (operator === 'gt') return actual > expected;
  if (operator === 'ge') return actual >= expected;
  if (operator === 'lt') return actual < expected;
  return actual <= expected;
}

function tokenize(filter: string, fail: (detail: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'open' : 'close', text: c, position: i });
      i++;
    } else if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= filter.length) fail(`unterminated string literal at position ${i}`);
        if (filter[j] === "'") {
          if (filter[j + 1] !== "'") break;
          j++; // '' is an escaped quote
        }
        value += filter[j++];
      }
      tokens.push({ kind: 'string', text: value, position: i });
      i = j + 1;
    } else {
      let j = i;
      while (j < filter.length && !/[\s()']/.test(filter[j]!)) j++;
      tokens.push({ kind: 'word', text: filter.slice(i, j), position: i });
      i = j;
    }
  }
  return tokens;
}

function graphError(code: string, message: string, headers: Record<string, string>): string {
  const innerError = {
    date: new Date().toISOString().slice(0, 19),
    'request-id': headers['request-id'],
    'client-request-id': headers['client-request-id'],
  };
  return JSON.stringify({ error: { code, message, innerError } });
}

function errorCodeFor(status: number): string {
  const codes: Record<number, string> = {
    400: 'BadRequest', 401: 'InvalidAuthenticationToken', 403: 'Forbidden', 404: 'ResourceNotFound',
    429: 'TooManyRequests', 500: 'InternalServerError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout',
  };
  return codes[status] ?? 'UnknownError';
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
