import { describe, expect, it } from 'vitest';
import { CheckpointConflict, type CheckpointStore } from '../../src/audit/checkpointStore';

/** A fresh store and the tenant to use (a new tenant each call). */
export type CheckpointStoreFactory = () => { store: CheckpointStore; tenantId: string };

/**
 * The behaviours of a CheckpointStore the poll relies on: the first save creates, later saves are
 * ETag-guarded (two runs at once: one wins, the other gets CheckpointConflict and moves nothing), and what a
 * save does not mention is kept. src/state/tableCheckpointStore.ts and test/fakes/inMemoryCheckpointStore.ts.
 */
export function checkpointStoreContract(name: string, factory: CheckpointStoreFactory): void {
  describe(`CheckpointStore contract: ${name}`, () => {
    it('nothing before the first save; the first save creates; a second create is a conflict', async () => {
      const { store, tenantId } = factory();
      expect(await store.get(tenantId)).toBeUndefined();
      await store.save(tenantId, { scannedTo: '2026-11-20T10:00:00.000Z', complete: true }, {}, undefined);
      const got = await store.get(tenantId);
      expect(got).toMatchObject({ checkpoint: { scannedTo: '2026-11-20T10:00:00.000Z', complete: true } });
      expect(got!.etag).toBeTruthy();
      await expect(
        store.save(tenantId, { scannedTo: '2026-11-20T10:01:00.000Z', complete: true }, {}, undefined),
      ).rejects.toBeInstanceOf(CheckpointConflict);
      expect((await store.get(tenantId))!.checkpoint.scannedTo).toBe('2026-11-20T10:00:00.000Z');
    });

    it('of two saves from one read, only the first moves the checkpoint', async () => {
      const { store, tenantId } = factory();
      await store.save(tenantId, { scannedTo: '2026-11-20T10:00:00.000Z', complete: true }, {}, undefined);
      const read = (await store.get(tenantId))!;
      await store.save(
        tenantId,
        { scannedTo: '2026-11-20T10:05:00.000Z', complete: false, sliceInMs: 60_000 },
        {},
        read.etag,
      );
      await expect(
        store.save(tenantId, { scannedTo: '2026-11-20T10:09:00.000Z', complete: true }, {}, read.etag),
      ).rejects.toBeInstanceOf(CheckpointConflict);
      const now = (await store.get(tenantId))!;
      expect(now.checkpoint).toEqual({ scannedTo: '2026-11-20T10:05:00.000Z', complete: false, sliceInMs: 60_000 });
      expect(now.etag).not.toBe(read.etag);
      await store.save(
        tenantId,
        { scannedTo: '2026-11-20T10:09:00.000Z', complete: true, sliceInMs: 120_000 },
        {},
        now.etag,
      );
      expect((await store.get(tenantId))!.checkpoint).toEqual({
        scannedTo: '2026-11-20T10:09:00.000Z',
        complete: true,
        sliceInMs: 120_000,
      });
    });

    it('keeps the last cleanup time and the change-window hint until a save gives them; an empty hint clears it', async () => {
      const { store, tenantId } = factory();
      const cp = { scannedTo: '2026-11-20T10:00:00.000Z', complete: true };
      await store.save(
        tenantId,
        cp,
        { lastCleanupAt: '2026-11-20T09:00:00.000Z', windowSummaryDueAt: '2026-11-20T12:00:00.000Z' },
        undefined,
      );
      let got = (await store.get(tenantId))!;
      expect([got.lastCleanupAt, got.windowSummaryDueAt]).toEqual([
        '2026-11-20T09:00:00.000Z',
        '2026-11-20T12:00:00.000Z',
      ]);
      await store.save(tenantId, { ...cp, scannedTo: '2026-11-20T10:01:00.000Z' }, {}, got.etag);
      got = (await store.get(tenantId))!;
      expect([got.checkpoint.scannedTo, got.lastCleanupAt, got.windowSummaryDueAt]).toEqual([
        '2026-11-20T10:01:00.000Z',
        '2026-11-20T09:00:00.000Z',
        '2026-11-20T12:00:00.000Z',
      ]);
      await store.save(tenantId, cp, { lastCleanupAt: '2026-11-20T10:00:00.000Z', windowSummaryDueAt: '' }, got.etag);
      got = (await store.get(tenantId))!;
      expect(got.lastCleanupAt).toBe('2026-11-20T10:00:00.000Z');
      expect(got.windowSummaryDueAt).toBeUndefined();
    });

    it('tenants are independent', async () => {
      const { store, tenantId } = factory();
      await store.save(tenantId, { scannedTo: '2026-11-20T10:00:00.000Z', complete: true }, {}, undefined);
      expect(await store.get(`${tenantId}x`)).toBeUndefined();
    });
  });
}
