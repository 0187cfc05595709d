import { describe, expect, it } from 'vitest';
import { parseRule } from '../../../src/rules/parseRule';
import { ValidationError } from '../../../src/shared/errors';

const base = {
  id: 'r',
  name: 'R',
  enabled: true,
  severity: 'high',
  activityTypes: ['Delete CloudCertificationAuthority'],
  channels: ['default'],
};

describe('rule field groupWindow', () => {
  it.each([['auto'], ['none'], [1], [30], [1440]])('accepts %s', (groupWindow) => {
    expect(parseRule({ ...base, groupWindow }).groupWindow).toBe(groupWindow);
  });

  it('is optional (absent = auto)', () => {
    expect(parseRule(base).groupWindow).toBeUndefined();
  });

  it.each([['soon'], [0], [1441], [2.5], [''], [null]])('rejects %s, naming the field', (groupWindow) => {
    let error: unknown;
    try {
      parseRule({ ...base, groupWindow });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['groupWindow']);
  });
});
