import { FilterSyntaxError, type Instant } from './filterAst';

export type Token =
  | { kind: 'ident'; text: string; pos: number }
  | { kind: 'string'; value: string; text: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'datetime'; value: Instant; text: string; pos: number }
  | { kind: '(' | ')' | ',' | ':' | '/'; text: string; pos: number }
  | { kind: 'eof'; text: ''; pos: number };

const ws = /\s+/y;
const ident = /[A-Za-z_][A-Za-z0-9_]*/y;
const number = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const guid = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-/y;
const datetime = /(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?)?/y;
const identChar = /[A-Za-z0-9_]/;

/** How a token reads in an error message. */
export function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  const text = t.text.length > 24 ? `${t.text.slice(0, 21)}...` : t.text;
  return t.kind === 'string' ? text : `'${text}'`;
}

const at = (re: RegExp, text: string, pos: number): RegExpExecArray | null => {
  re.lastIndex = pos;
  return re.exec(text);
};

/** Validates and converts a datetime literal match; throws with the literal's position when it is not a real time. */
function toInstant(m: RegExpExecArray, pos: number): Instant {
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (h !== undefined && zone === undefined)
    throw new FilterSyntaxError(pos + 1 + m[0].length, "expected 'Z' or a UTC offset (+hh:mm) after the time");
  const n = (v: string | undefined) => Number(v ?? 0);
  let offsetInMinutes = 0;
  if (zone && zone !== 'Z') {
    const [oh, om] = zone.slice(1).split(':').map(Number);
    if (oh > 14 || om > 59) throw new FilterSyntaxError(pos + 1, `'${m[0]}' has an invalid UTC offset`);
    offsetInMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Date.UTC(n(y), n(mo) - 1, n(d), n(h), n(mi), n(s));
  const check = new Date(ms);
  if (
    n(mo) < 1 ||
    n(mo) > 12 ||
    check.getUTCDate() !== n(d) ||
    n(h) > 23 ||
    n(mi) > 59 ||
    n(s) > 59 ||
    check.getUTCFullYear() !== n(y)
  ) {
    throw new FilterSyntaxError(pos + 1, `'${m[0]}' is not a valid date and time`);
  }
  const digits = (frac ?? '').padEnd(7, '0');
  return { ms: ms - offsetInMinutes * 60_000 + Number(digits.slice(0, 3)), ticks: Number(digits.slice(3)) };
}

/**
 * Splits a filter into tokens. A lexical problem is raised when the parser reaches it, so the first problem
 * from the left is the one reported: tokens are produced on demand.
 */
export class FilterLexer {
  private pos = 0;
  constructor(private readonly text: string) {}

  next(): Token {
    const { text } = this;
    const ws0 = at(ws, text, this.pos);
    if (ws0) this.pos += ws0[0].length;
    const pos = this.pos;
    if (pos >= text.length) return { kind: 'eof', text: '', pos };
    const c = text[pos];
    if ('(),:/'.includes(c)) {
      this.pos++;
      return { kind: c as '(' | ')' | ',' | ':' | '/', text: c, pos };
    }
    if (c === "'") return this.string(pos);
    if (at(guid, text, pos))
      throw new FilterSyntaxError(
        pos + 1,
        "expected a quoted string for a GUID, e.g. '11111111-2222-3333-4444-555555555555'",
      );
    if (/[\d-]/.test(c)) {
      const dt = at(datetime, text, pos);
      if (dt) {
        this.pos += dt[0].length;
        this.assertBoundary(dt[0]);
        return { kind: 'datetime', value: toInstant(dt, pos), text: dt[0], pos };
      }
      const num = at(number, text, pos);
      if (num) {
        this.pos += num[0].length;
        this.assertBoundary(num[0]);
        const value = Number(num[0]);
        if (!Number.isFinite(value)) throw new FilterSyntaxError(pos + 1, `number ${num[0]} is out of range`);
        return { kind: 'number', value, text: num[0], pos };
      }
    }
    const id = at(ident, text, pos);
    if (id) {
      this.pos += id[0].length;
      return { kind: 'ident', text: id[0], pos };
    }
    const shown = /[\u0000-\u001f\u007f-\u009f]/.test(c)
      ? `U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`
      : `'${c}'`;
    throw new FilterSyntaxError(pos + 1, `unexpected character ${shown}`);
  }

  private assertBoundary(literal: string): void {
    if (this.pos < this.text.length && identChar.test(this.text[this.pos])) {
      throw new FilterSyntaxError(
        this.pos + 1,
        `expected a space or operator after ${literal} but found '${this.text[this.pos]}'`,
      );
    }
  }

  /** `'...'` with `''` standing for one quote, as in OData. */
  private string(start: number): Token {
    const { text } = this;
    let i = start + 1;
    let value = '';
    for (;;) {
      const q = text.indexOf("'", i);
      if (q < 0)
        throw new FilterSyntaxError(
          text.length + 1,
          `expected a closing ' for the string starting at ${start + 1} but found end of input`,
        );
      value += text.slice(i, q);
      if (text[q + 1] === "'") {
        value += "'";
        i = q + 2;
        continue;
      }
      this.pos = q + 1;
      return { kind: 'string', value, text: text.slice(start, q + 1), pos: start };
    }
  }
}
