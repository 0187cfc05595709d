import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signing, `v1` scheme (the spec in https://github.com/standard-webhooks/standard-webhooks;
 * docs/reference/alert-delivery.md §8): HMAC-SHA256 over `${id}.${timestamp}.${body}` with the base64-decoded part of
 * a `whsec_` secret, sent as `webhook-signature: v1,<base64>`; several secrets (rotation) give several
 * space-separated signatures.
 */

const secretPattern = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** The key bytes of a `whsec_<base64>` secret, or an error message (24–64 random bytes expected). */
export function parseWebhookSecret(secret: string): { ok: true; key: Buffer } | { ok: false; message: string } {
  const match = secretPattern.exec(secret.trim());
  if (!match) return { ok: false, message: 'must be a Standard Webhooks secret: whsec_ followed by base64' };
  const key = Buffer.from(match[1], 'base64');
  if (key.length < 24 || key.length > 64)
    return { ok: false, message: `must hold 24 to 64 random bytes (has ${key.length})` };
  return { ok: true, key };
}

/** Parses a setting value holding one secret, or several separated by spaces during a rotation. */
export function parseWebhookSecrets(value: string): { ok: true; keys: Buffer[] } | { ok: false; message: string } {
  const keys: Buffer[] = [];
  for (const part of value.trim().split(/\s+/).filter(Boolean)) {
    const parsed = parseWebhookSecret(part);
    if (!parsed.ok) return parsed;
    keys.push(parsed.key);
  }
  return keys.length > 0 ? { ok: true, keys } : { ok: false, message: 'is empty' };
}

/** The three Standard Webhooks headers for one attempt; `body` must be the exact bytes sent. */
export function signWebhook(
  keys: readonly Buffer[],
  id: string,
  timestampInSeconds: number,
  body: string,
): Record<string, string> {
  const content = `${id}.${timestampInSeconds}.${body}`;
  const signatures = keys.map((key) => `v1,${createHmac('sha256', key).update(content).digest('base64')}`);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampInSeconds),
    'webhook-signature': signatures.join(' '),
  };
}
