/**
 * Neutralising of untrusted text (CA names, actor names, modified values) before it goes on a Teams
 * card, per docs/reference/alert-delivery.md §6. Cards put such text in `TextRun`s, which do not parse Markdown;
 * this module covers what a TextRun still shows: invisible or reordering characters, newlines, links
 * that a client might auto-link, mention markup and unbounded length.
 */

// C0/C1 controls (tab and newlines are turned into spaces first), soft hyphen, Arabic letter mark,
// zero-width and bidi controls (LRM/RLM, LRE..RLO, LRI..PDI), word joiner and invisible operators,
// BOM, interlinear annotation marks, and Unicode tag characters.
const invisible =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\uFFF9-\uFFFB]|[\u{E0000}-\u{E007F}]/gu;
const whitespace = /[\s\u2028\u2029]+/gu;
const schemeUrl = /\b(h)(tt)(ps?):\/\/([^\s/?#]*)/gi;
const wwwHost = /\bwww\.[^\s/?#]+/gi;
const mentionTag = /<(\/?at\b[^>]*)>/gi;

/**
 * Returns `value` as plain single-line text: controls and bidi/zero-width characters removed,
 * whitespace collapsed, URLs defanged (`hxxps://evil[.]example`), `<at>` markup neutralised, and at most
 * `maxLength` characters (code points), ending in '…' when cut. null/undefined give ''.
 */
export function safeText(value: string | null | undefined, maxLength = 256): string {
  if (value === null || value === undefined) return '';
  const text = String(value)
    .replace(/[\t\r\n\v\f]/g, ' ')
    .replace(invisible, '')
    .replace(whitespace, ' ')
    .trim()
    .replace(schemeUrl, (_m, h: string, _tt: string, p: string, host: string) => `${h}xx${p}://${defangHost(host)}`)
    .replace(wwwHost, (host) => defangHost(host))
    .replace(mentionTag, '‹$1›');
  const chars = Array.from(text);
  if (chars.length <= maxLength) return text;
  return `${chars.slice(0, Math.max(0, maxLength - 1)).join('')}…`;
}

function defangHost(host: string): string {
  return host.replace(/\./g, '[.]');
}

const markdownSpecials = /[\\*_[\]()`~<>#|]/g;

/**
 * Backslash-escapes Markdown specials (`` \ * _ [ ] ( ) ` ~ < > # | ``) for the rare case where text must
 * go in a `TextBlock`. Apply it after {@link safeText}. Clients differ in escape handling, so prefer
 * TextRuns for anything untrusted.
 */
export function escapeMarkdown(value: string): string {
  return value.replace(markdownSpecials, (ch) => `\\${ch}`);
}
