import { describe, expect, it } from 'vitest';
import { evaluateHealth, type HealthInput, publicHealth } from '../../../src/watch/health';
import { emptyWatchState, type Incident, type WatchState } from '../../../src/watch/runLedger';

const now = new Date('2026-11-25T12:00:00Z');
const ago = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
const incident = (key: string, condition: Incident['condition'], subject?: string): Incident => ({
  key,
  condition,
  subject,
  seq: 1,
  openedAt: ago(5),
  detail: 'd',
});
const watch = (over: Partial<WatchState>): WatchState => ({
  ...emptyWatchState(),
  lastRunAt: ago(1),
  lastSuccessAt: ago(1),
  ...over,
});
const input = (over: Partial<HealthInput>): HealthInput => ({
  now,
  checkpoint: { scannedTo: ago(1), complete: true },
  watch: watch({}),
  ruleProblems: [],
  settings: { maxLagInMinutes: 10, failedPolls: 3 },
  ...over,
});

describe('evaluateHealth', () => {
  it.each<[string, Partial<HealthInput>, string, Record<string, string>]>([
    ['all well', {}, 'healthy', {}],
    ['never polled', { checkpoint: undefined, watch: undefined }, 'unhealthy', { polling: 'fail' }],
    [
      'checkpoint 45 min old (timer stopped)',
      { checkpoint: { scannedTo: ago(45), complete: true } },
      'unhealthy',
      { polling: 'fail' },
    ],
    ['checkpoint 9 min old', { checkpoint: { scannedTo: ago(9), complete: true } }, 'healthy', {}],
    [
      'Graph access denied',
      { watch: watch({ consecutiveFailures: 1, incidents: { 'graph-auth': incident('graph-auth', 'graph-auth') } }) },
      'unhealthy',
      { graph: 'fail' },
    ],
    ['3 failed polls in a row', { watch: watch({ consecutiveFailures: 3 }) }, 'unhealthy', { graph: 'fail' }],
    ['1 failed poll', { watch: watch({ consecutiveFailures: 1 }) }, 'degraded', { graph: 'warn' }],
    [
      'a failing channel',
      {
        watch: watch({
          channels: { teams: { consecutiveFailures: 3 } },
          incidents: { 'channel-failing:teams': incident('channel-failing:teams', 'channel-failing', 'teams') },
        }),
      },
      'unhealthy',
      { delivery: 'fail' },
    ],
    [
      'a flaky channel',
      { watch: watch({ channels: { teams: { consecutiveFailures: 1 } } }) },
      'degraded',
      { delivery: 'warn' },
    ],
    [
      'a gap found 2 h ago',
      { watch: watch({ recentGaps: [{ from: ago(300), to: ago(200), detectedAt: ago(120) }] }) },
      'degraded',
      { coverage: 'warn' },
    ],
    [
      'a gap found 2 days ago',
      { watch: watch({ recentGaps: [{ from: ago(3000), to: ago(2900), detectedAt: ago(2880) }] }) },
      'healthy',
      {},
    ],
    [
      'a rule that does not parse',
      { ruleProblems: [{ ruleId: 'bad-rule', message: 'severity: invalid' }] },
      'degraded',
      { rules: 'warn' },
    ],
  ])('%s → %s', (_name, over, status, failing) => {
    const report = evaluateHealth(input(over));
    expect(report.status).toBe(status);
    const notOk = Object.fromEntries(
      Object.entries(report.checks)
        .filter(([, c]) => c.status !== 'ok')
        .map(([n, c]) => [n, c.status]),
    );
    expect(notOk).toEqual(failing);
  });

  it('reports the lag, last success and failures in the detail', () => {
    const r = evaluateHealth(
      input({
        checkpoint: { scannedTo: ago(45), complete: true },
        watch: watch({ consecutiveFailures: 2, lastError: 'Error: x' }),
      }),
    );
    expect(r.polling).toMatchObject({
      lagMinutes: 45,
      maxLagMinutes: 10,
      consecutiveFailures: 2,
      lastError: 'Error: x',
      lastSuccessfulPollAt: ago(1),
    });
    expect(r.checks.polling.message).toBe('the checkpoint is 45 min behind (max 10 min)');
  });

  it('the public form carries only the verdict and check statuses', () => {
    const r = evaluateHealth(
      input({
        ruleProblems: [{ ruleId: 'secret-looking-rule', message: 'x' }],
        watch: watch({
          lastError: 'Error: https://h/x?sig=abc',
          channels: { teams: { consecutiveFailures: 1, lastError: 'e' } },
        }),
      }),
    );
    const body = publicHealth(r);
    expect(body).toEqual({
      status: 'degraded',
      checkedAt: now.toISOString(),
      checks: { polling: 'ok', graph: 'ok', delivery: 'warn', coverage: 'ok', rules: 'warn', tenants: 'ok' },
    });
    expect(JSON.stringify(body)).not.toMatch(/secret-looking-rule|teams|sig|Error/);
  });
});
