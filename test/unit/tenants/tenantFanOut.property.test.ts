import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatchTenantPolls, runTenantPoll, slotOf } from '../../../src/app/tenantFanOut';
import { createLogger } from '../../../src/shared/logger';
import type { Tenant } from '../../../src/tenants/tenant';

// The fan-out's model: per interval, one claim; per claimed interval, one message per due tenant (the home one,
// and every enabled tenant not waiting out a sign-in failure); a failed send loses only that tenant's message
// for that interval (its next interval polls from its checkpoint); a message that does not parse never polls
// anyone and is set aside; no input makes the worker throw unless the cycle itself throws.

const runs = Number(process.env.FUZZ_RUNS ?? 200);
const home = 'home.example';
const log = createLogger(() => undefined);

const tenantArb = fc.record({
  n: fc.integer({ min: 1, max: 999_999 }),
  enabled: fc.boolean(),
  authState: fc.constantFrom('unknown', 'ok', 'consent-missing', 'forbidden'),
  retryInMinutes: fc.option(fc.integer({ min: -120, max: 120 }), { nil: undefined }),
});

describe('fan-out model (fast-check)', () => {
  it('enqueues exactly the due tenants once per interval, whatever the tenants, send failures and repeated timer runs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(tenantArb, { selector: (t) => t.n, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 1, maxLength: 6 }), // timer runs, seconds from the start
        fc.func(fc.boolean()), // whether a given send fails
        async (specs, runAt, fails) => {
          const start = Date.parse('2026-12-03T10:00:00.000Z');
          const tenants: Tenant[] = specs.map((s) => ({
            id: `00000000-0000-4000-8000-${String(s.n).padStart(12, '0')}`,
            displayName: `T${s.n}`,
            enabled: s.enabled,
            authState: s.authState,
            nextAuthRetryAt:
              s.retryInMinutes === undefined ? undefined : new Date(start + s.retryInMinutes * 60_000).toISOString(),
            addedAt: '2026-12-01T00:00:00.000Z',
          }));
          const claimed = new Set<string>();
          const sent: { tenantId: string; slot: string }[] = [];
          const failed: { tenantId: string; slot: string }[] = [];
          let sendNo = 0;
          for (const offset of [...runAt].sort((a, b) => a - b)) {
            const now = new Date(start + offset * 1000);
            await dispatchTenantPolls({
              homeTenantId: home,
              tenants: { list: async () => tenants },
              queue: {
                send: async (text) => {
                  const m = JSON.parse(text) as { tenantId: string; slot: string };
                  if (fails(sendNo++)) {
                    failed.push(m);
                    throw new Error('refused');
                  }
                  sent.push(m);
                },
                setAside: async () => undefined,
              },
              slots: { claim: async (slot) => !claimed.has(slot) && Boolean(claimed.add(slot)) },
              clock: () => now,
              log,
              intervalInMs: 60_000,
            });
          }
          const slots = new Set(runAt.map((o) => slotOf(new Date(start + o * 1000), 60_000)));
          for (const slot of slots) {
            const inSlot = sent.filter((m) => m.slot === slot).map((m) => m.tenantId);
            const failedInSlot = failed.filter((m) => m.slot === slot).map((m) => m.tenantId);
            // Never twice, never a tenant that is not due, and every due one (decided at the slot's first run)
            // sent or counted as failed.
            expect(new Set(inSlot).size).toBe(inSlot.length);
            for (const id of inSlot) expect(id === home || tenants.find((t) => t.id === id)?.enabled).toBeTruthy();
            const firstRun =
              Math.min(...runAt.filter((o) => slotOf(new Date(start + o * 1000), 60_000) === slot)) * 1000 + start;
            const due = [
              home,
              ...tenants
                .filter(
                  (t) =>
                    t.enabled &&
                    !(
                      ['consent-missing', 'forbidden'].includes(t.authState) &&
                      t.nextAuthRetryAt &&
                      Date.parse(t.nextAuthRetryAt) > firstRun
                    ),
                )
                .map((t) => t.id),
            ];
            expect([...inSlot, ...failedInSlot].sort()).toEqual(due.sort());
          }
        },
      ),
      { numRuns: runs },
    );
  });

  it('the worker never throws on any message and polls only for a well-formed one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.string(),
          fc.record(
            {
              v: fc.constantFrom(1, 2, '1'),
              tenantId: fc.oneof(fc.uuid(), fc.string(), fc.constant(home)),
              slot: fc.oneof(
                fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
                fc.string(),
              ),
            },
            { requiredKeys: [] },
          ),
        ),
        async (input) => {
          const polled: string[] = [];
          const setAside: string[] = [];
          const outcome = await runTenantPoll(typeof input === 'string' ? input : JSON.stringify(input), {
            homeTenantId: home,
            tenants: { recordAuth: async () => undefined },
            queue: { setAside: async (t) => void setAside.push(t) },
            clock: () => new Date('2026-12-03T10:00:30.000Z'),
            log,
            intervalInMs: 60_000,
            authRetryMinutes: 30,
            cycle: async (id) => (polled.push(id), {}),
          });
          if (outcome.kind === 'set-aside') {
            expect(polled).toEqual([]);
            expect(setAside).toHaveLength(1);
          } else if (outcome.kind === 'polled') expect(polled).toEqual([outcome.tenantId]);
          else expect(polled).toEqual([]);
        },
      ),
      { numRuns: runs },
    );
  });
});
