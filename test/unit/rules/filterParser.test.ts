import { describe, expect, it } from 'vitest';
import { FilterSyntaxError } from '../../../src/rules/filter/filterAst';
import { filterLimits, parseFilter } from '../../../src/rules/filter/filterParser';

function syntaxError(text: string): FilterSyntaxError {
  try {
    parseFilter(text);
  } catch (err) {
    expect(err).toBeInstanceOf(FilterSyntaxError);
    return err as FilterSyntaxError;
  }
  return expect.unreachable(`"${text}" parsed`);
}

describe('parseFilter accepts the supported syntax', () => {
  it.each([
    "activityType eq 'Delete CloudCertificationAuthority'",
    "ActivityType EQ 'x'".replace('EQ', 'eq'),
    "category ne 'Role' and activityOperationType eq 'Delete' or activityResult eq null",
    "not (activityType eq 'a' or activityType eq 'b')",
    "not startswith(actor/userPrincipalName, 'breakglass')",
    "endswith(actor/userPrincipalName, '@contoso.com') eq false",
    "contains(actor/applicationDisplayName, 'Intune') eq true",
    "'Delete X' eq activityType",
    "actor/type eq 'ItPro' and actor/auditActorType eq 'ItPro'",
    "actor/ipAddress ne null and actor/applicationId eq '11111111-2222-3333-4444-555555555555'",
    'activityDateTime ge 2025-01-10T08:00:00Z and activityDateTime lt 2025-01-10T09:00:00.1234567+01:00',
    'activityDateTime gt 2025-01-10',
    'resources/any()',
    "resources/any(r: r/displayName eq 'CA' and r/resourceId ne null and r/type eq 'x' and r/auditResourceType eq 'x')",
    "resources/all(r: r/modifiedProperties/any(p: p/displayName eq 'Status' and p/oldValue eq 'active' and p/newValue eq 'paused'))",
    'resources/any(r: r/modifiedProperties/any())',
    'resources/any(r: r/modifiedProperties/any(p: p/newValue gt 5 and p/newValue le -1.5e3))',
    'resources/any(r: r/modifiedProperties/any(p: p/newValue eq true))',
    "resources/any(r: activityType eq 'x' and r/displayName eq activityType)",
    "componentName eq 'x' and correlationId eq 'y' and displayName eq 'z' and activity eq null and id ne 'e'",
    "actor/userId eq 'a' or actor/servicePrincipalName eq 'b' or actor/remoteTenantId eq 'c' or actor/remoteUserId eq 'd'",
    "activityType eq 'it''s'",
    'true',
    "(\n  activityType eq 'x'\n)",
  ])('%s', (text) => {
    expect(parseFilter(text).root).toBeDefined();
  });

  it("unescapes '' inside a string literal", () => {
    expect(parseFilter("activityType eq 'it''s'").root).toMatchObject({
      kind: 'compare',
      right: { kind: 'string', value: "it's" },
    });
  });

  it('puts a literal on the left side to the right, mirroring the operator', () => {
    expect(parseFilter("'b' lt activityType").root).toMatchObject({
      op: 'gt',
      left: { kind: 'property', field: 'activityType' },
      right: { value: 'b' },
    });
  });

  it('binds and tighter than or', () => {
    expect(parseFilter("activityType eq 'a' or activityType eq 'b' and category eq 'c'").root).toMatchObject({
      kind: 'or',
      right: { kind: 'and' },
    });
  });
});

describe('parseFilter names the position and what was expected', () => {
  it.each([
    ["activityType eq 'x' and (category eq 'y'", 41, "expected ')' but found end of input"],
    ['', 1, 'expected a condition but found end of input'],
    ["activityType eq 'x' )", 21, "expected 'and', 'or' or end of input but found ')'"],
    ['activityType', 13, 'expected a comparison operator (eq, ne, gt, ge, lt, le) but found end of input'],
    ["activityType is 'x'", 14, "expected a comparison operator (eq, ne, gt, ge, lt, le) but found 'is'"],
    ['activityType eq', 16, 'expected a property, literal or function but found end of input'],
    ["activityType eq 'x' and and", 25, "expected a property, literal or function but found 'and'"],
    ["activityType eq 'abc", 21, "expected a closing ' for the string starting at 17"],
    ["foo eq 'x'", 1, 'expected a property (activityType'],
    ["actor/bar eq 'x'", 7, 'expected a property of actor (userPrincipalName'],
    ["actor eq 'x'", 7, "expected '/' and a property of actor but found 'eq'"],
    ["activityType/x eq 'x'", 13, 'it has no sub-properties'],
    ["resources/any(r: r/name eq 'x')", 20, 'expected a property of a resource (displayName, resourceId'],
    [
      "resources/any(r: r/modifiedProperties/any(p: p/value eq 'x'))",
      48,
      'expected a property of a modified property (displayName, oldValue, newValue)',
    ],
    ["resources/some(r: r/displayName eq 'x')", 11, "expected any( or all( after resources/ but found 'some'"],
    ["resources eq 'x'", 11, "expected '/any(' or '/all(' after resources but found 'eq'"],
    ['resources/all()', 15, 'all() has none'],
    ["resources/any(r r/displayName eq 'x')", 17, "expected ':' after the variable name but found 'r'"],
    [
      "resources/any(r: r/modifiedProperties/any(r: r/displayName eq 'x'))",
      43,
      "expected a new variable name but found 'r', which is already in use",
    ],
    ["resources/any(eq: activityType eq 'x')", 15, 'which is a keyword'],
    ["r/displayName eq 'x'", 1, 'expected a property (activityType'],
    [
      "substringof(activityType, 'x')",
      1,
      "expected a function startswith, endswith or contains but found 'substringof'",
    ],
    ["startswith(activityType 'x')", 25, "expected ',' but found 'x'"],
    [
      'startswith(activityType, 5)',
      26,
      'expected a string property or string literal as argument 2 of startswith but found a number',
    ],
    [
      "startswith(activityType, 'x') eq 'y'",
      34,
      "expected eq / ne true or false after a function or lambda but found eq 'y'",
    ],
    ["startswith(activityType, 'x') gt true", 34, 'expected eq / ne true or false'],
    [
      "activityDateTime gt '2025-01-01'",
      21,
      'expected a datetime (e.g. 2025-01-10T08:00:00Z, unquoted) but found a string',
    ],
    ['activityType eq 2025-01-01T00:00:00Z', 17, 'but found a datetime'],
    ['activityType gt null', 17, 'expected eq or ne to compare with null but found gt'],
    ['activityType gt true', 17, 'expected a string or number for gt but found a boolean'],
    ["'a' eq 'b'", 1, 'expected a property or function on one side of eq but found two literals'],
    ['activityDateTime gt 2025-13-01T00:00:00Z', 21, "'2025-13-01T00:00:00Z' is not a valid date and time"],
    ['activityDateTime gt 2025-02-30', 21, 'is not a valid date and time'],
    ['activityDateTime gt 2025-01-01T10:00:00', 40, "expected 'Z' or a UTC offset"],
    ['activityDateTime gt 2025-01-01T10:00:00+15:00', 21, 'has an invalid UTC offset'],
    ['activityDateTime gt 2025-01-01T10', 31, "expected a space or operator after 2025-01-01 but found 'T'"],
    ['activityType eq 12ab', 19, "expected a space or operator after 12 but found 'a'"],
    ['actor/applicationId eq 11111111-2222-3333-4444-555555555555', 24, 'expected a quoted string for a GUID'],
    ["activityType eq 'x' # comment", 21, "unexpected character '#'"],
    ["activityType eq 'x' \u0000", 21, 'unexpected character U+0000'],
    ["activityType eq 'x' and not", 28, 'expected a property, literal or function but found end of input'],
    ['activityType eq 1e999', 17, 'is out of range'],
  ])('%s → at %i: %s', (text, position, message) => {
    const err = syntaxError(text);
    expect(err.message).toContain(message);
    expect(err.position).toBe(position);
    expect(err.message.startsWith(`at ${position}: `)).toBe(true);
  });

  it(`rejects an expression longer than ${filterLimits.maxLength} characters`, () => {
    const text = `activityType eq '${'x'.repeat(filterLimits.maxLength)}'`;
    expect(syntaxError(text).message).toBe(
      `at ${filterLimits.maxLength + 1}: expected at most ${filterLimits.maxLength} characters but found ${text.length}`,
    );
  });

  it.each([
    ['parentheses', (n: number) => `${'('.repeat(n)}activityType eq 'x'${')'.repeat(n)}`],
    ['not', (n: number) => `${'not '.repeat(n)}activityType eq 'x'`],
    [
      'lambdas',
      (n: number) =>
        `${'resources/any(r: '.repeat(1)}${'r/modifiedProperties/any(p: '.repeat(1)}${'('.repeat(n)}p/newValue eq 'x'${')'.repeat(n)}))`,
    ],
  ])(`bounds nesting (%s) at ${filterLimits.maxDepth} levels`, (_kind, nest) => {
    expect(() => parseFilter(nest(filterLimits.maxDepth - 3))).not.toThrow();
    expect(syntaxError(nest(filterLimits.maxDepth + 1)).message).toContain(
      `expected at most ${filterLimits.maxDepth} levels of nesting`,
    );
  });

  it('parses a long flat chain of or without deep recursion', () => {
    const text = Array.from({ length: 95 }, (_, i) => `category eq '${i}'`).join(' or ');
    expect(text.length).toBeLessThanOrEqual(filterLimits.maxLength);
    expect(parseFilter(text).root.kind).toBe('or');
  });
});
