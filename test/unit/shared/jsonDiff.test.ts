import { describe, expect, it } from 'vitest';
import { canonicalJson, diffFields } from '../../../src/shared/jsonDiff';

describe('diffFields', () => {
  it.each<[string, unknown, unknown, { field: string; before?: unknown; after?: unknown }[]]>([
    ['equal with other key order', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, []],
    ['a changed scalar', { a: 1 }, { a: 2 }, [{ field: 'a', before: 1, after: 2 }]],
    ['an added field', { a: 1 }, { a: 1, b: 'x' }, [{ field: 'b', after: 'x' }]],
    ['a removed field', { a: 1, b: 'x' }, { a: 1 }, [{ field: 'b', before: 'x' }]],
    [
      'a nested field',
      { t: { count: 5, windowInMinutes: 10 } },
      { t: { count: 9, windowInMinutes: 10 } },
      [{ field: 't.count', before: 5, after: 9 }],
    ],
    ['a list (compared whole)', { l: ['a', 'b'] }, { l: ['a'] }, [{ field: 'l', before: ['a', 'b'], after: ['a'] }]],
  ])('%s', (_name, before, after, expected) => {
    expect(diffFields(before, after)).toEqual(expected);
  });

  it('canonical JSON ignores key order and undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: 2 } })).toBe('{"a":{"c":2},"b":1}');
  });
});
