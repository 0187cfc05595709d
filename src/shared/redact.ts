/**
 * Redaction of webhook secrets in free text (log lines, error messages, telemetry), following
 * docs/reference/alert-delivery.md §11. Every webhook URL is a credential: with "Anyone" auth the `sig` query
 * value is the key, and legacy connector URLs carried it in the path.
 */

/**
 * Query parameter names whose values are credentials. The separators also match their
 * percent-encoded forms (`%3F`, `%26`, `%3D`) because a URL nested in another URL or in an encoded
 * error text is still a secret.
 */
const secretQueryValue =
  /((?:[?&]|%3F|%26)(?:sig|code|key|token|signature|api[-_]?key|access_token)(?:=|%3D))(?:(?!%26)[^&#\s"'<>])+/gi;

const replacements: ReadonlyArray<readonly [RegExp, string]> = [
  [secretQueryValue, '$1REDACTED'],
  // Legacy Office 365 connector URLs carry their token in the path.
  [/(\/IncomingWebhook\/)[^\s?#"'<>]+/gi, '$1REDACTED'],
  [/(webhookb2\/)[^\s/?#"'<>]+/gi, '$1REDACTED'],
  // Standard Webhooks signing secrets (whsec_<base64>) and signatures (v1,<base64>).
  [/\b(whsec_)[A-Za-z0-9+/=]+/g, '$1REDACTED'],
  [/\b(v1,)[A-Za-z0-9+/]{20,}={0,2}/g, '$1REDACTED'],
  // Not a credential on its own, but it identifies the flow; keep logs free of it.
  [/(\/workflows\/)[0-9a-f]{32}/gi, '$1…'],
];

/** Replaces every webhook secret in `text` (query tokens, legacy path tokens, flow ids) with a placeholder. */
export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of replacements) result = result.replace(pattern, replacement);
  return result;
}

/**
 * Returns only `scheme://host[:port]` of a URL: the one form of a destination that is safe to log or to
 * put in an error message. Userinfo, path, query and fragment are dropped.
 */
export function describeUrl(url: string): string {
  if (!URL.canParse(url)) return '<invalid URL>';
  const parsed = new URL(url);
  if (parsed.host === '') return `${parsed.protocol}<no host>`;
  return `${parsed.protocol}//${parsed.host}`;
}
