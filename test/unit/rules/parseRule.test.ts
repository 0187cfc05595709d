import { describe, expect, it } from 'vitest';
import { defaultRulePack } from '../../../src/rules/defaultRulePack';
import { parseRule } from '../../../src/rules/parseRule';
import { ValidationError } from '../../../src/shared/errors';

const valid = { id: 'ca-deleted', name: 'CA deleted', enabled: true, severity: 'high', activityTypes: ['Delete CloudCertificationAuthority'], channels: ['default'] };

describe('parseRule', () => {
  it('accepts a valid rule and every rule of the default pack', () => {
    expect(parseRule(valid)).toEqual(valid);
    for (const r of defaultRulePack) expect(parseRule(r)).toEqual(r);
  });

  it.each([
    ['severity', { severity: 'urgent' }, 'severity', 'must be one of critical, high, medium, low'],
    ['id', { id: 'Bad Id!' }, 'id', 'lowercase'],
    ['empty types', { activityTypes: [] }, 'activityTypes', 'at least one'],
    ['blank type', { activityTypes: ['ok', ' '] }, 'activityTypes[1]', 'must not be empty'],
    ['enabled', { enabled: 'yes' }, 'enabled', ''],
    ['result', { result: 'Maybe' }, 'result', 'Success or Failure'],
    ['channels', { channels: [] }, 'channels', 'at least one'],
    ['unknown field', { colour: 'red' }, 'colour', 'not a known rule field'],
  ])('names the field for a bad %s', (_n, patch, field, message) => {
    try {
      parseRule({ ...valid, ...patch });
      expect.unreachable('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const problem = (err as ValidationError).problems.find((p) => p.field === field);
      expect(problem, JSON.stringify((err as ValidationError).problems)).toBeDefined();
      expect(problem!.message).toContain(message);
      expect((err as ValidationError).message).toContain(String((patch as { id?: string }).id ?? 'ca-deleted'));
    }
  });

  it('reports every problem at once', () => {
    try {
      parseRule({ id: 'x', name: '', enabled: true, severity: 'x', activityTypes: [], channels: ['default'] });
      expect.unreachable();
    } catch (err) {
      expect((err as ValidationError).problems.map((p) => p.field).sort()).toEqual(['activityTypes', 'name', 'severity']);
    }
  });
});
