import { describe, expect, it } from 'vitest';
import type { AlertRule } from '../../src/rules/alertRule';
import type { RuleRepository } from '../../src/rules/ruleRepository';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../../src/shared/errors';

/** A fresh repository, the tenant to use, and a way to store a document as-is (an old or hand-edited row). */
export type RuleRepositoryFactory = () => {
  repo: RuleRepository;
  tenantId: string;
  putDocument: (id: string, document: unknown) => Promise<void>;
};

const rule = (id: string, over: Partial<AlertRule> = {}): AlertRule => ({
  id,
  name: `Rule ${id}`,
  enabled: true,
  severity: 'high',
  activityTypes: ['Delete CloudCertificationAuthority'],
  channels: ['default'],
  ...over,
});
const meta = { by: 'alice@contoso.com', at: '2026-11-20T10:00:00.000Z' };

/**
 * The behaviours of a RuleRepository (and so of the poll's RuleStore) the admin API and the poll rely on:
 * parse-and-validate on every write and every read (a bad row is reported, never thrown), ETag-guarded
 * writes, a seed that never overwrites. src/state/tableRuleStore.ts and test/fakes/inMemoryRuleRepository.ts.
 */
export function ruleRepositoryContract(name: string, factory: RuleRepositoryFactory): void {
  describe(`RuleRepository contract: ${name}`, () => {
    it('create, get, replace and delete, each guarded: exists -> ConflictError, stale ETag -> PreconditionFailedError, missing -> NotFoundError', async () => {
      const { repo, tenantId } = factory();
      expect(await repo.get(tenantId, 'r1')).toBeUndefined();
      const etag1 = await repo.create(tenantId, rule('r1'), meta);
      expect(await repo.get(tenantId, 'r1')).toMatchObject({
        id: 'r1',
        etag: etag1,
        rule: rule('r1'),
        updatedBy: meta.by,
        updatedAt: meta.at,
      });
      await expect(repo.create(tenantId, rule('r1', { name: 'again' }), meta)).rejects.toBeInstanceOf(ConflictError);
      const etag2 = await repo.replace(tenantId, rule('r1', { severity: 'low' }), etag1, { ...meta, by: 'bob' });
      expect(etag2).not.toBe(etag1);
      await expect(repo.replace(tenantId, rule('r1', { severity: 'medium' }), etag1, meta)).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      await expect(repo.replace(tenantId, rule('nope'), etag1, meta)).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await repo.get(tenantId, 'r1')).toMatchObject({ rule: { severity: 'low' }, updatedBy: 'bob' });
      await expect(repo.delete(tenantId, 'r1', etag1)).rejects.toBeInstanceOf(PreconditionFailedError);
      await repo.delete(tenantId, 'r1', etag2);
      expect(await repo.get(tenantId, 'r1')).toBeUndefined();
      await expect(repo.delete(tenantId, 'r1', etag2)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('every write validates: an invalid rule is a ValidationError and nothing is stored', async () => {
      const { repo, tenantId } = factory();
      await expect(
        repo.create(tenantId, rule('bad', { severity: 'urgent' as AlertRule['severity'] }), meta),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(repo.upsert(tenantId, rule('bad', { activityTypes: [] }))).rejects.toBeInstanceOf(ValidationError);
      expect(await repo.get(tenantId, 'bad')).toBeUndefined();
    });

    it('list validates every row: a bad stored row is reported with its id, the others are returned', async () => {
      const { repo, tenantId, putDocument } = factory();
      await repo.upsert(tenantId, rule('good'));
      await putDocument('broken', {
        name: 'Broken',
        enabled: true,
        severity: 'urgent',
        activityTypes: ['x'],
        channels: ['default'],
      });
      const { rules, problems } = await repo.list(tenantId);
      expect(rules.map((r) => r.id)).toEqual(['good']);
      expect(problems.map((p) => p.ruleId)).toEqual(['broken']);
      expect(problems[0].message).toContain('severity');
      const stored = await repo.get(tenantId, 'broken');
      expect(stored?.rule).toBeUndefined();
      expect(stored?.problems?.map((p) => p.field)).toContain('severity');
      expect(stored?.raw).toMatchObject({ id: 'broken', severity: 'urgent' });
    });

    it('listStored: sorted by id, with the pack version (0 before any); ids that cannot be a key are not found', async () => {
      const { repo, tenantId } = factory();
      for (const id of ['b', 'a', 'c']) await repo.upsert(tenantId, rule(id));
      const { rules, pack } = await repo.listStored(tenantId);
      expect(rules.map((r) => r.id)).toEqual(['a', 'b', 'c']);
      expect(pack).toEqual({ version: 0 });
      for (const id of ['', '~pack', 'a/b', 'a#b']) expect(await repo.get(tenantId, id)).toBeUndefined();
    });

    it('seedIfEmpty writes the pack and its version once, and never overwrites a rule', async () => {
      const { repo, tenantId } = factory();
      expect(await repo.seedIfEmpty(tenantId, [rule('p1'), rule('p2')], 3)).toBe(2);
      expect((await repo.listStored(tenantId)).pack.version).toBe(3);
      const etag = (await repo.get(tenantId, 'p1'))!.etag;
      await repo.replace(tenantId, rule('p1', { enabled: false }), etag, meta);
      expect(await repo.seedIfEmpty(tenantId, [rule('p1'), rule('p2')], 4)).toBe(0);
      expect((await repo.get(tenantId, 'p1'))!.rule!.enabled).toBe(false);
      expect((await repo.listStored(tenantId)).pack.version).toBe(3);
    });

    it('the pack version is ETag-guarded: created once, then moved only from the version read', async () => {
      const { repo, tenantId } = factory();
      await repo.savePackVersion(tenantId, 1, undefined);
      await expect(repo.savePackVersion(tenantId, 1, undefined)).rejects.toBeInstanceOf(PreconditionFailedError);
      const read = (await repo.listStored(tenantId)).pack;
      expect(read.version).toBe(1);
      await repo.savePackVersion(tenantId, 2, read.etag);
      await expect(repo.savePackVersion(tenantId, 3, read.etag)).rejects.toBeInstanceOf(PreconditionFailedError);
      expect((await repo.listStored(tenantId)).pack.version).toBe(2);
    });
  });
}
