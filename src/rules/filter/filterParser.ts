import {
  type ComparisonOperator,
  type FilterNode,
  FilterSyntaxError,
  type Lambda,
  type Operand,
  type ParsedFilter,
  type Scope,
  type StringFunction,
} from './filterAst';
import { actorFields, eventFields, fieldHints, propertyFields, resourceFields } from './filterFields';
import { describeToken, FilterLexer, type Token } from './filterLexer';
import { checkComparison, operandType } from './filterTypeCheck';

export { operandType } from './filterTypeCheck';

/*
 * Why a hand-written recursive-descent parser and not a library (evaluated for this project):
 * - @odata/parser 0.2.14 and odata-v4-parser 0.1.29 (same code base, ~11 MB installed with dependencies):
 *   they fail on nested lambdas (`r/modifiedProperties/any(p: …)`, a case the rules need), and report only
 *   "Unexpected character at N" at the last good position, never what was expected.
 * - chevrotain 13 requires Node >= 22 (this app supports Node 20) and is ESM-only.
 * - peggy 5 gives good errors but adds a grammar build step and generated code, with no depth limit.
 * The grammar here is small (about 15 productions), so a direct parser gives exact positions, "expected X
 * but found Y" messages, a nesting bound, and type / property checks at parse time, in ~250 lines.
 *
 * Grammar (OData $filter subset; keywords lower-case as in OData; property names case-insensitive):
 *   filter     = or EOF
 *   or         = and ("or" and)*
 *   and        = unary ("and" unary)*
 *   unary      = "not" unary | "(" or ")" | operand [cmpOp operand]     (a lone operand must be boolean)
 *   operand    = string | number | datetime | true | false | null | fn "(" operand "," operand ")" | path
 *   path       = name | actor/name | resources/lambda | var/name | var/modifiedProperties/lambda
 *   lambda     = ("any" | "all") "(" [var ":" or] ")"
 */

export const filterLimits = { maxLength: 2000, maxDepth: 32 } as const;

const comparisonOperators = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const functions = new Set<string>(['startswith', 'endswith', 'contains']);
const keywords = new Set<string>([
  'and',
  'or',
  'not',
  'eq',
  'ne',
  'gt',
  'ge',
  'lt',
  'le',
  'true',
  'false',
  'null',
  'any',
  'all',
]);

interface Variable {
  name: string;
  kind: 'resource' | 'property';
  slot: number;
}

/** Parses a filter expression into an AST, or throws a FilterSyntaxError naming the 1-based position. */
export function parseFilter(text: string): ParsedFilter {
  if (text.length > filterLimits.maxLength)
    throw new FilterSyntaxError(
      filterLimits.maxLength + 1,
      `expected at most ${filterLimits.maxLength} characters but found ${text.length}`,
    );
  return new Parser(text).parse();
}

class Parser {
  private readonly lexer: FilterLexer;
  private current: Token;
  private depth = 0;
  private slots = 0;
  private readonly vars: Variable[] = [];

  constructor(text: string) {
    this.lexer = new FilterLexer(text);
    this.current = this.lexer.next();
  }

  parse(): ParsedFilter {
    if (this.current.kind === 'eof') this.fail('a condition');
    const root = this.or();
    if (this.peek().kind !== 'eof') this.fail("'and', 'or' or end of input");
    return { root, slots: this.slots };
  }

  private fail(expected: string, token: Token = this.current): never {
    throw new FilterSyntaxError(token.pos + 1, `expected ${expected} but found ${describeToken(token)}`);
  }

  /** The current token, read through a call so TypeScript does not keep a narrowing across parse steps. */
  private peek(): Token {
    return this.current;
  }

  private advance(): Token {
    const t = this.current;
    this.current = this.lexer.next();
    return t;
  }

  private isWord(word: string): boolean {
    return this.current.kind === 'ident' && this.current.text === word;
  }

  private expect(kind: Token['kind'], expected = `'${kind}'`): Token {
    if (this.current.kind !== kind) this.fail(expected);
    return this.advance();
  }

  private enter(): void {
    if (++this.depth > filterLimits.maxDepth)
      throw new FilterSyntaxError(
        this.current.pos + 1,
        `expected at most ${filterLimits.maxDepth} levels of nesting but found more`,
      );
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.isWord('or')) {
      this.advance();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.isWord('and')) {
      this.advance();
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    if (this.isWord('not')) {
      this.advance();
      this.enter();
      const operand = this.unary();
      this.depth--;
      return { kind: 'not', operand };
    }
    if (this.current.kind === '(') {
      this.advance();
      this.enter();
      const inner = this.or();
      this.depth--;
      this.expect(')', "')'");
      return inner;
    }
    return this.comparison();
  }

  private comparison(): FilterNode {
    const leftToken = this.current;
    const left = this.operand();
    const opToken = this.current;
    if (opToken.kind === 'ident' && comparisonOperators.has(opToken.text)) {
      this.advance();
      const rightToken = this.current;
      const right = this.operand();
      return checkComparison(opToken.text as ComparisonOperator, left, right, leftToken, rightToken);
    }
    if (left.kind === 'function' || left.kind === 'lambda') return left;
    if (left.kind === 'boolean') return { kind: 'boolean', value: left.value };
    return this.fail('a comparison operator (eq, ne, gt, ge, lt, le)', opToken);
  }

  private operand(): Operand {
    const t = this.current;
    switch (t.kind) {
      case 'string':
      case 'number':
      case 'datetime':
        this.advance();
        return t.kind === 'datetime'
          ? { kind: 'datetime', value: t.value, text: t.text }
          : ({ kind: t.kind, value: t.value } as Operand);
      case 'ident':
        break;
      default:
        return this.fail('a property, literal or function');
    }
    if (keywords.has(t.text) && t.text !== 'true' && t.text !== 'false' && t.text !== 'null')
      this.fail('a property, literal or function');
    this.advance();
    if (t.text === 'true' || t.text === 'false') return { kind: 'boolean', value: t.text === 'true' };
    if (t.text === 'null') return { kind: 'null' };
    if (this.current.kind === '(') return this.call(t);
    return this.path(t);
  }

  private call(name: Token): Operand {
    const fn = name.text.toLowerCase();
    if (!functions.has(fn))
      throw new FilterSyntaxError(
        name.pos + 1,
        `expected a function startswith, endswith or contains but found '${name.text}'`,
      );
    this.advance();
    this.enter();
    const args: Operand[] = [];
    for (let i = 0; i < 2; i++) {
      if (i > 0) this.expect(',', "','");
      const argToken = this.current;
      const arg = this.operand();
      const type = operandType(arg);
      if (type !== 'string' && type !== 'null')
        throw new FilterSyntaxError(
          argToken.pos + 1,
          `expected a string property or string literal as argument ${i + 1} of ${fn} but found a ${type}`,
        );
      args.push(arg);
    }
    this.depth--;
    this.expect(')', "')'");
    return { kind: 'function', name: fn as StringFunction, args: args as [Operand, Operand] };
  }

  private segment(of: string): Token {
    this.expect('/', `'/' and a property of ${of}`);
    return this.expect('ident', `a property of ${of}`);
  }

  private path(first: Token): Operand {
    const variable = [...this.vars].reverse().find((v) => v.name === first.text);
    const name = first.text.toLowerCase();
    let operand: Operand;
    if (variable) {
      const scope: Scope = { kind: variable.kind, slot: variable.slot };
      const seg = this.segment(`'${first.text}'`);
      const lower = seg.text.toLowerCase();
      if (variable.kind === 'resource' && lower === 'modifiedproperties') {
        this.expect('/', "'/any(' or '/all(' after modifiedProperties");
        return this.lambda('modifiedProperties', scope, `${first.text}/${seg.text}`);
      }
      const fields = variable.kind === 'resource' ? resourceFields : propertyFields;
      const field = fields[lower];
      if (!field)
        throw new FilterSyntaxError(
          seg.pos + 1,
          `expected a property of ${variable.kind === 'resource' ? 'a resource' : 'a modified property'} (${variable.kind === 'resource' ? fieldHints.resource : fieldHints.property}) but found '${seg.text}'`,
        );
      operand = { kind: 'property', scope, field, type: 'string', path: `${first.text}/${seg.text}` };
    } else if (name === 'actor') {
      const seg = this.segment('actor');
      const field = actorFields[seg.text.toLowerCase()];
      if (!field)
        throw new FilterSyntaxError(
          seg.pos + 1,
          `expected a property of actor (${fieldHints.actor}) but found '${seg.text}'`,
        );
      operand = {
        kind: 'property',
        scope: { kind: 'event' },
        field: `actor.${field}`,
        type: 'string',
        path: `actor/${seg.text}`,
      };
    } else if (name === 'resources') {
      this.expect('/', "'/any(' or '/all(' after resources");
      return this.lambda('resources', { kind: 'event' }, 'resources');
    } else {
      const field = eventFields[name];
      if (!field)
        throw new FilterSyntaxError(
          first.pos + 1,
          `expected a property (${fieldHints.event}) but found '${first.text}'`,
        );
      operand = {
        kind: 'property',
        scope: { kind: 'event' },
        field,
        type: field === 'activityDateTime' ? 'datetime' : 'string',
        path: first.text,
      };
    }
    if (this.current.kind === '/')
      throw new FilterSyntaxError(
        this.current.pos + 1,
        `expected an operator after ${operand.path} (it has no sub-properties) but found '/'`,
      );
    return operand;
  }

  private lambda(collection: Lambda['collection'], source: Scope, path: string): Lambda {
    const q = this.current;
    if (q.kind !== 'ident' || (q.text !== 'any' && q.text !== 'all')) this.fail(`any( or all( after ${path}/`);
    this.advance();
    this.expect('(', "'('");
    const quantifier = q.text;
    if (this.current.kind === ')') {
      if (quantifier === 'all') this.fail('a variable and a condition, e.g. all(x: …), since all() has none');
      this.advance();
      return { kind: 'lambda', quantifier, collection, source, slot: -1 };
    }
    const v = this.expect('ident', 'a variable name, e.g. r');
    if (keywords.has(v.text) || this.vars.some((x) => x.name === v.text))
      throw new FilterSyntaxError(
        v.pos + 1,
        `expected a new variable name but found '${v.text}', which is ${keywords.has(v.text) ? 'a keyword' : 'already in use'}`,
      );
    this.expect(':', "':' after the variable name");
    const slot = this.slots++;
    this.vars.push({ name: v.text, kind: collection === 'resources' ? 'resource' : 'property', slot });
    this.enter();
    const body = this.or();
    this.depth--;
    this.vars.pop();
    this.expect(')', "')'");
    return { kind: 'lambda', quantifier, collection, source, slot, body };
  }
}
