import { describe, expect, it } from 'vitest';
import { escapeMarkdown, safeText } from '../../../../src/notifiers/teams/safeText';

describe('safeText', () => {
  it.each([
    ['null', null, ''],
    ['undefined', undefined, ''],
    ['plain text', 'Contoso Issuing CA 01', 'Contoso Issuing CA 01'],
    ['Markdown link', '[Open Intune](https://evil.example)', '[Open Intune](hxxps://evil[.]example)'],
    ['http URL with path', 'see http://evil.example.com/login?x=1', 'see hxxp://evil[.]example[.]com/login?x=1'],
    ['upper-case scheme', 'HTTPS://EVIL.EXAMPLE', 'HxxPS://EVIL[.]EXAMPLE'],
    ['www host', 'visit www.evil.example now', 'visit www[.]evil[.]example now'],
    ['newlines collapsed', 'line1\r\nline2\n\n  line3', 'line1 line2 line3'],
    ['tabs and line separator', 'a\tb\u2028c\u2029d', 'a b c d'],
    ['C0 and C1 controls', 'a\u0000b\u0007c\u001bd\u0085e\u009fz', 'abcdez'],
    ['RLO bidi override', 'evil\u202Egpj.exe', 'evilgpj.exe'],
    ['bidi isolates and marks', '\u2066a\u2067b\u2068c\u2069\u200E\u200F\u061C', 'abc'],
    ['zero-width characters', 'ad\u200Bmin\u200C\u200D\u2060\uFEFF', 'admin'],
    ['soft hyphen', 'ad\u00ADmin', 'admin'],
    ['Unicode tag characters', 'ok\u{E0041}\u{E0042}', 'ok'],
    ['mention markup', '<at>Everyone</at> please', '‹at›Everyone‹/at› please'],
    ['emoji kept', 'CA 🔒 01', 'CA 🔒 01'],
  ])('%s', (_name, input, expected) => {
    expect(safeText(input)).toBe(expected);
  });

  it.each([
    ['under the cap', 'abc', 5, 'abc'],
    ['exactly the cap', 'abcde', 5, 'abcde'],
    ['over the cap', 'abcdef', 5, 'abcd…'],
    ['counts code points, not UTF-16 units', '🔒🔒🔒🔒🔒🔒', 3, '🔒🔒…'],
    ['default cap 256', 'x'.repeat(1000), undefined, `${'x'.repeat(255)}…`],
  ])('caps length: %s', (_name, input, max, expected) => {
    expect(safeText(input, max)).toBe(expected);
  });

  it('is idempotent', () => {
    const once = safeText('[x](https://a.b.c) \u202E www.d.e');
    expect(safeText(once)).toBe(once);
  });
});

describe('escapeMarkdown', () => {
  it.each([
    ['plain', 'Cloud PKI CA deleted', 'Cloud PKI CA deleted'],
    ['link', '[a](b)', '\\[a\\]\\(b\\)'],
    ['emphasis', '*bold* _it_ ~strike~', '\\*bold\\* \\_it\\_ \\~strike\\~'],
    ['code, heading, table, html', '`x` # h | <b>', '\\`x\\` \\# h \\| \\<b\\>'],
    ['backslash first', '\\*', '\\\\\\*'],
  ])('%s', (_name, input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });
});
