import { redactSecrets } from '../shared/redact';

export type GraphReadFailure = 'http' | 'timeout' | 'deadline' | 'aborted' | 'network' | 'shape';

/** A failed Graph read, with a one-line message fit for logs and health: no token, no query string. */
export class GraphReadError extends Error {
  override name = 'GraphReadError';
  constructor(
    message: string,
    readonly kind: GraphReadFailure,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

const maxLength = 400;

/**
 * Makes a Graph error message readable on one line. Intune's back end answers with an `error.message`
 * that is itself JSON (`{"_version":3,"Message":"An error has occurred - Operation ID … - Url: https://…"}`,
 * docs/reference/graph-audit-events.md §4a): its `Message` is taken. URLs keep scheme, host and path (their query can
 * carry the filter or a token), bearer tokens and JWTs are removed, webhook secrets redacted. Pure.
 */
export function readableGraphMessage(message: string): string {
  let text = message.trim();
  for (let depth = 0; depth < 3 && text.startsWith('{'); depth++) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      break;
    }
    const o = parsed as { Message?: unknown; message?: unknown; error?: { message?: unknown } };
    const inner = o.Message ?? o.message ?? o.error?.message;
    if (typeof inner !== 'string') break;
    text = inner.trim();
  }
  text = redactSecrets(text)
    .replace(/\bBearer\s+[^\s"',;]+/gi, 'Bearer REDACTED')
    .replace(/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, 'REDACTED')
    .replace(/\bhttps?:\/\/[^\s"'<>]+/gi, (url) => url.replace(/[?#].*$/, ''))
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** Wraps anything the Graph SDK threw while reading `what` (e.g. "page 2") into a GraphReadError. */
export function toGraphReadError(err: unknown, what: string, note?: string): GraphReadError {
  if (err instanceof GraphReadError) return err;
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown; name?: unknown; cause?: unknown };
  const status = typeof e?.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  const code = typeof e?.code === 'string' && e.code !== '' ? e.code : undefined;
  const message = readableGraphMessage(typeof e?.message === 'string' ? e.message : String(err));
  const suffix = note ? ` (${note})` : '';
  if (status !== undefined)
    return new GraphReadError(
      `Graph answered ${status}${code ? ` ${code}` : ''} reading ${what}: ${message || '(no message)'}${suffix}`,
      'http',
      status,
      code,
    );
  const name = typeof e?.name === 'string' ? e.name : '';
  const causeName = (e?.cause as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || causeName === 'TimeoutError' || /timed out/i.test(message))
    return new GraphReadError(`Graph did not answer ${what} in time: ${message}${suffix}`, 'timeout');
  if (name === 'AbortError') return new GraphReadError(`Reading ${what} from Graph was cancelled${suffix}`, 'aborted');
  return new GraphReadError(`Reading ${what} from Graph failed: ${message}${suffix}`, 'network');
}
