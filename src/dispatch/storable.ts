import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit/auditEvent';
import type { Alert } from './alert';

/**
 * Making event data storable, whatever Graph sent. Audit events carry attacker- and admin-controlled text
 * (CA names, UPNs, certificate PEMs in modified properties) of any length and any code units. Azure Table
 * Storage (and Azurite) reject a string property over 32K UTF-16 characters, an entity over 1 MiB, keys with
 * some characters, and lone surrogates or U+2028 / U+2029 break Azurite's batch parser. So documents are sized
 * by structure (samples dropped, fields shortened with a visible marker, counts kept exact), never by slicing
 * serialised text, and text is normalised before it is stored. Pure.
 */

/** A string property holds at most 32K UTF-16 characters; stay well below (the entity holds other fields). */
export const maxPropertyChars = 30_000;

/** Lone surrogates become U+FFFD; line / paragraph separators and other C0/C1 controls (but \t \n \r) a space. */
export function normalizeText(s: string): string {
  // toWellFormed is Node 20+; fall back to a regex for older runtimes.
  const wellFormed =
    typeof (s as { toWellFormed?: () => string }).toWellFormed === 'function'
      ? (s as unknown as { toWellFormed: () => string }).toWellFormed()
      : s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return wellFormed.replace(/[\u2028\u2029\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, ' ');
}

/** Shortens text to at most `max` characters, ending with a marker that says how much was cut. */
export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.length - max;
  const marker = `… [${cut} more characters]`;
  let keep = Math.max(0, max - marker.length);
  // Never split a surrogate pair.
  if (keep > 0 && /[\ud800-\udbff]/.test(s[keep - 1])) keep--;
  return s.slice(0, keep) + marker;
}

/** Normalised and capped: what every stored string property of event origin goes through. */
export const storableText = (s: string, max = maxPropertyChars): string => capText(normalizeText(s), max);

/** JSON whose text is safe to store: U+2028 / U+2029 escaped (JSON.stringify escapes lone surrogates itself). */
export function storableJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A short, key-safe digest of any text (base64url, 96 bits): for event ids and group keys in row keys. */
export function keyDigest(s: string): string {
  return createHash('sha256').update(normalizeText(s)).digest('base64url').slice(0, 16);
}

function mapStrings<T>(value: T, f: (s: string) => string): T {
  if (typeof value === 'string') return f(value) as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => mapStrings(v, f)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)])) as T;
  return value;
}

/** One event with every string normalised and at most `maxField` characters long. */
export const reduceEvent = (e: AuditEvent, maxField: number): AuditEvent =>
  mapStrings(e, (s) => storableText(s, maxField));

/** The field caps tried in turn until the sample fits; the last step drops all but the first sample event. */
const fieldCaps = [4_000, 1_000, 200, 60];

/**
 * The alert's sample events made storable within `maxChars` of JSON: every string normalised; then fields
 * capped ever shorter and sample events dropped from the end, keeping at least the first event when it can
 * fit at all. The alert's counts and times are never changed. Returns the JSON and the events it holds, and
 * whether anything had to be reduced (said on the card).
 */
export function storableEvents(
  events: readonly AuditEvent[],
  maxChars = maxPropertyChars,
): { json: string; events: AuditEvent[]; reduced: boolean } {
  let sample = events.map((e) => mapStrings(e, normalizeText));
  let json = storableJson(sample);
  if (json.length <= maxChars) return { json, events: sample, reduced: false };
  for (const cap of fieldCaps) {
    sample = events.map((e) => reduceEvent(e, cap));
    while (sample.length > 1 && storableJson(sample).length > maxChars) sample.pop();
    json = storableJson(sample);
    if (json.length <= maxChars) return { json, events: sample, reduced: true };
  }
  return { json: '[]', events: [], reduced: true };
}

/** The alert's own text fields (rule name and description may quote event data) made storable. */
export function storableAlertText(
  alert: Alert,
): Pick<Alert, 'ruleName' | 'ruleDescription' | 'groupKey' | 'tenantName'> {
  return {
    ruleName: storableText(alert.ruleName, 500),
    ...(alert.tenantName !== undefined ? { tenantName: storableText(alert.tenantName, 256) } : {}),
    ...(alert.ruleDescription !== undefined ? { ruleDescription: storableText(alert.ruleDescription, 8_000) } : {}),
    ...(alert.groupKey !== undefined ? { groupKey: storableText(alert.groupKey, 1_000) } : {}),
  };
}
