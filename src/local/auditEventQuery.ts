/** Query handling of the Graph simulator: the stored event shape, `$filter` / `$orderby` / `$top` / `$skiptoken` parsing and Graph-shaped errors. */
export const FILTER_PROPERTIES = {
  activitydatetime: 'activityDateTime',
  activitytype: 'activityType',
  category: 'category',
  activityresult: 'activityResult',
  activityoperationtype: 'activityOperationType',
  componentname: 'componentName',
  displayname: 'displayName',
} as const;
export type FilterProperty = (typeof FILTER_PROPERTIES)[keyof typeof FILTER_PROPERTIES];
/** String properties as given; `activityDateTime` normalised to a fixed 7-digit UTC form. */
export type FilterFields = Record<FilterProperty, string | null>;

export interface StoredEvent {
  json: string;
  fields: FilterFields;
  /** Sort key: normalised time ('' when unreadable), id ('' when not a string), insertion sequence. */
  time: string;
  id: string;
  seq: number;
}

export const KNOWN_CATEGORIES = [
  'Other',
  'Enrollment',
  'Compliance',
  'DeviceConfiguration',
  'Device',
  'Application',
  'EBookManagement',
  'ConditionalAccess',
  'OnPremiseAccess',
  'Role',
  'SoftwareUpdates',
  'DeviceSetupConfiguration',
  'DeviceIntent',
  'DeviceIntentSetting',
  'DeviceSecurity',
  'GroupPolicyAnalytics',
  'AssignmentFilter',
];

export function storeEvent(raw: unknown, seq: number): StoredEvent {
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (key: string): string | null => (typeof record[key] === 'string' ? record[key] : null);
  const fields = {} as FilterFields;
  for (const name of Object.values(FILTER_PROPERTIES)) fields[name] = text(name);
  const rawTime = fields.activityDateTime;
  fields.activityDateTime = rawTime === null ? null : normalizeDateTime(rawTime, false);
  return {
    json: JSON.stringify(raw) ?? 'null',
    fields,
    time: fields.activityDateTime ?? '',
    id: text('id') ?? '',
    seq,
  };
}

export function compareStored(
  a: Pick<StoredEvent, 'time' | 'id' | 'seq'>,
  b: Pick<StoredEvent, 'time' | 'id' | 'seq'>,
): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return a.seq - b.seq;
}

export function firstAfter(
  ordered: StoredEvent[],
  cursor: Pick<StoredEvent, 'time' | 'id' | 'seq'>,
  descending: boolean,
): number {
  const index = ordered.findIndex((e) => (descending ? compareStored(e, cursor) < 0 : compareStored(e, cursor) > 0));
  return index === -1 ? ordered.length : index;
}

export function decodeSkipToken(token: string, descending: boolean): Pick<StoredEvent, 'time' | 'id' | 'seq'> {
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
export class QueryError extends Error {}

export interface ParsedQuery {
  params: [string, string][];
  filter?: string;
  orderBy?: string;
  top?: string;
  skipToken?: string;
}

export function parseQuery(raw: string): ParsedQuery {
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
export function graphEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/%20/g, '+')
    .replace(/'/g, '%27')
    .replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}

/** The direction asked for: `undefined` when no `$orderby` was sent (OData's default direction is asc). */
export function parseOrderBy(orderBy: string | undefined): 'asc' | 'desc' | undefined {
  if (orderBy === undefined) return undefined;
  const match = /^\s*activityDateTime(?:\s+(asc|desc))?\s*$/i.exec(orderBy);
  if (match === null)
    throw new QueryError(`Invalid $orderby '${orderBy}': only 'activityDateTime asc|desc' is supported.`);
  return match[1]?.toLowerCase() === 'desc' ? 'desc' : 'asc';
}

export function parseTop(top: string | undefined, defaultPageSize: number, maxPageSize: number): number {
  if (top === undefined) return defaultPageSize;
  if (!/^\d+$/.test(top.trim()))
    throw new QueryError(`Invalid value '${top}' for $top: expected a non-negative integer.`);
  return Math.min(Number(top), maxPageSize);
}

/**
 * Normalises an ISO 8601 instant to `YYYY-MM-DDTHH:MM:SS.fffffffZ` so plain string comparison orders
 * instants at Graph's 100 ns precision (a JS Date would keep milliseconds only). Returns null when unreadable.
 */
export function normalizeDateTime(text: string, requireZone: boolean): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?$/i.exec(text);
  if (m === null || (requireZone && m[4] !== undefined && m[8] === undefined)) return null;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((part) => Number(part ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const valid =
    date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  if (!valid) return null;
  const zone = m[8]?.toUpperCase() ?? 'Z';
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    date.setTime(date.getTime() - sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000);
  }
  return `${date.toISOString().slice(0, 19)}.${(m[7] ?? '').padEnd(7, '0').slice(0, 7)}Z`;
}

export type Predicate = (fields: FilterFields) => boolean;
export type Token = { kind: 'open' | 'close' | 'string' | 'word'; text: string; position: number };
export const OPERATORS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** Compiles the supported `$filter` subset (and, or, not, parentheses, comparisons) to a predicate. */
export function compileFilter(filter: string | undefined): Predicate {
  if (filter === undefined || filter.trim() === '') return () => true;
  const fail = (detail: string): never => {
    throw new QueryError(`Invalid filter clause: ${detail} in '${filter}'.`);
  };
  const tokens = tokenize(filter, fail);
  let index = 0;
  const keyword = (word: string): boolean =>
    tokens[index]?.kind === 'word' && tokens[index].text.toLowerCase() === word;
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
export function compareValues(operator: string, actual: string | null, expected: string | null): boolean {
  if (operator === 'eq') return actual === expected;
  if (operator === 'ne') return actual !== expected;
  if (actual === null || expected === null) return false;
  if (operator === 'gt') return actual > expected;
  if (operator === 'ge') return actual >= expected;
  if (operator === 'lt') return actual < expected;
  return actual <= expected;
}

export function tokenize(filter: string, fail: (detail: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i];
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
      while (j < filter.length && !/[\s()']/.test(filter[j])) j++;
      tokens.push({ kind: 'word', text: filter.slice(i, j), position: i });
      i = j;
    }
  }
  return tokens;
}

export function graphError(code: string, message: string, headers: Record<string, string>): string {
  const innerError = {
    date: new Date().toISOString().slice(0, 19),
    'request-id': headers['request-id'],
    'client-request-id': headers['client-request-id'],
  };
  return JSON.stringify({ error: { code, message, innerError } });
}

export function errorCodeFor(status: number): string {
  const codes: Record<number, string> = {
    400: 'BadRequest',
    401: 'InvalidAuthenticationToken',
    403: 'Forbidden',
    404: 'ResourceNotFound',
    429: 'TooManyRequests',
    500: 'InternalServerError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
  };
  return codes[status] ?? 'UnknownError';
}

export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
