import { describe, expect, it } from 'vitest';
import { compileIpRanges, ipRangeProblem } from '../../../src/rules/ipRanges';
import { compileExact, compileWildcards, patternProblem } from '../../../src/rules/wildcard';

describe('compileWildcards', () => {
  it.each([
    ['Delete CA', 'delete ca', true],
    ['Delete CA', 'Delete CA2', false],
    ['Delete*', 'delete anything', true],
    ['Delete*', 'Delete', true],
    ['*CA', 'Root CA', true],
    ['*CA', 'CA ', false],
    ['*Cloud*', 'xCLOUDx', true],
    ['*Cloud*', 'Clou', false],
    ['a**b', 'ab', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['a*b*c', 'a-b-b-c', true],
    ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true],
    ['*@contoso.com', 'admin@contoso.com.evil.com', false],
    ['a.c', 'abc', false],
    ['(x)+[y]', '(X)+[Y]', true],
    ['ÄRGER*', 'ärger im büro', true],
  ])('%s vs %s → %s', (pattern, value, expected) => {
    expect(compileWildcards([pattern])(value)).toBe(expected);
  });

  it('matches any entry of a list, never null', () => {
    const m = compileWildcards(['exact', 'pre*', '*post']);
    expect(['EXACT', 'prefix', 'a-post', 'other'].map(m)).toEqual([true, true, true, false]);
    expect(m(null)).toBe(false);
    expect(compileExact(['A'])(null)).toBe(false);
    expect(compileExact(['A', 'b'])('B')).toBe(true);
    expect(compileExact(['A*'])('Ab')).toBe(false);
  });

  it.each([
    ['*', {}, 'matches everything'],
    ['***', {}, 'matches everything'],
    ['*', { allowMatchAll: true }, undefined],
    ['a\tb', {}, 'control characters'],
    ['ok*', {}, undefined],
  ])('patternProblem(%j, %j)', (pattern, options, problem) => {
    const result = patternProblem(pattern, options);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });
});

describe('IP addresses and ranges', () => {
  it.each([
    ['10.0.0.0/8', undefined],
    ['10.0.0.1', undefined],
    ['0.0.0.0/0', undefined],
    ['2001:db8::/32', undefined],
    ['::1', undefined],
    ['::ffff:10.0.0.1', undefined],
    ['10.0.0.0/33', 'prefix length must be 0-32'],
    ['2001:db8::/129', 'prefix length must be 0-128'],
    ['10.0.0.0/', 'prefix length'],
    ['10.0.0.0/8/8', 'prefix length'],
    ['10.0.0.0/-1', 'prefix length'],
    ['/8', 'IPv4 / IPv6'],
    ['010.0.0.1', 'IPv4 / IPv6'],
    ['10.0.0', 'IPv4 / IPv6'],
    ['fe80::1%eth0', 'IPv4 / IPv6'],
    ['contoso.com', 'IPv4 / IPv6'],
  ])('ipRangeProblem(%s)', (text, problem) => {
    const result = ipRangeProblem(text);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });

  it.each([
    [['10.0.0.0/8'], '10.255.255.255', true],
    [['10.0.0.0/8'], '11.0.0.0', false],
    [['10.0.0.0/8'], '::ffff:10.1.1.1', true],
    [['192.0.2.7'], '192.0.2.7', true],
    [['192.0.2.7'], '192.0.2.8', false],
    [['2001:db8::/32'], '2001:0db8:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['0.0.0.0/0', '::/0'], 'fe80::1%eth0', true],
    [['0.0.0.0/0'], 'not-an-ip', false],
    [['0.0.0.0/0'], null, false],
  ])('%j contains %s → %s', (ranges, address, expected) => {
    expect(compileIpRanges(ranges)(address)).toBe(expected);
  });
});
