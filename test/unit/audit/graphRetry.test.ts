import { describe, expect, it } from 'vitest';
import { readableGraphMessage, toGraphReadError } from '../../../src/audit/graphReadError';
import { retryDelayInSeconds } from '../../../src/audit/graphRetry';

const now = Date.parse('2026-01-10T08:00:00Z');
const policy = { maxRetries: 5, baseDelayInSeconds: 2, maxDelayInSeconds: 30 };

describe('retryDelayInSeconds', () => {
  it.each([
    ['seconds', '7', 1, 7],
    ['zero', '0', 1, 0],
    ['an HTTP date 5 s ahead', 'Sat, 10 Jan 2026 08:00:05 GMT', 1, 5],
    ['an HTTP date in the past', 'Sat, 10 Jan 2026 07:59:00 GMT', 1, 0],
  ])('honours Retry-After as %s', (_name, header, attempt, expected) => {
    expect(retryDelayInSeconds(header, attempt, { ...policy, random: () => 0 }, now)).toBe(expected);
  });

  it('stops retrying when Retry-After asks for more than the cap', () => {
    expect(retryDelayInSeconds('600', 1, policy, now)).toBeUndefined();
  });

  it.each([
    [1, 0, 1],
    [1, 0.999, 2],
    [2, 0, 2],
    [3, 0, 4],
    [3, 1, 8],
    [6, 1, 30],
    [10, 0, 15],
  ])(
    'without Retry-After, attempt %i with jitter %s waits %s s: exponential, equal jitter, capped',
    (attempt, jitter, expected) => {
      expect(retryDelayInSeconds(null, attempt, { ...policy, random: () => jitter }, now)).toBeCloseTo(expected, 2);
    },
  );

  it('an unreadable Retry-After falls back to the backoff', () => {
    expect(retryDelayInSeconds('soon', 1, { ...policy, random: () => 0 }, now)).toBe(1);
  });
});

describe('readableGraphMessage', () => {
  const intune = JSON.stringify({
    _version: 3,
    Message:
      'An error has occurred - Operation ID (for customer support): 1a2b - Activity ID: 3c4d - Url: https://fef.msua06.manage.microsoft.com/StatelessAuditingFEService/deviceManagement/auditEvents?api-version=5023&$filter=x - CustomApiErrorPhrase: ',
  });

  it('unwraps the Intune body whose error.message is JSON, keeping the URL without its query', () => {
    expect(readableGraphMessage(intune)).toBe(
      'An error has occurred - Operation ID (for customer support): 1a2b - Activity ID: 3c4d - Url: https://fef.msua06.manage.microsoft.com/StatelessAuditingFEService/deviceManagement/auditEvents - CustomApiErrorPhrase:',
    );
  });

  it.each([
    ['a bearer token', 'denied for Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdef', /Bearer REDACTED/],
    ['a bare JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdef expired', /token REDACTED expired/],
    ['a webhook sig', 'posting to https://x.example/path?sig=SECRET failed', /https:\/\/x\.example\/path failed/],
    ['line breaks', 'one\n  two\r\nthree', /^one two three$/],
  ])('removes %s', (_name, text, expected) => {
    const out = readableGraphMessage(text);
    expect(out).toMatch(expected);
    expect(out).not.toMatch(/SECRET|eyJzdWIi/);
  });

  it('keeps plain text and caps the length', () => {
    expect(readableGraphMessage('Access denied.')).toBe('Access denied.');
    expect(readableGraphMessage('x'.repeat(1000)).length).toBe(400);
  });

  it('toGraphReadError names status, code and what was read', () => {
    const err = toGraphReadError(
      Object.assign(new Error(intune), { statusCode: 429, code: 'TooManyRequests' }),
      'page 3',
    );
    expect(err.message).toMatch(/^Graph answered 429 TooManyRequests reading page 3: An error has occurred/);
    expect(
      toGraphReadError(new DOMException('Graph request timed out after 10 ms', 'TimeoutError'), 'page 2').kind,
    ).toBe('timeout');
  });
});
