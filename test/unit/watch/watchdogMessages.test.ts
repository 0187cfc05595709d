import { describe, expect, it } from 'vitest';
import { isWatchdogAlert, watchdogAlertParts } from '../../../src/dispatch/watchdogAlert';
import { buildTeamsMessage } from '../../../src/notifiers/teams/teamsCard';
import { summarizeLedger } from '../../../src/watch/coverage';
import { heartbeatAlert } from '../../../src/watch/heartbeat';
import type { Transition } from '../../../src/watch/incidents';
import type { Incident } from '../../../src/watch/runLedger';
import { watchdogAlert } from '../../../src/watch/watchdogMessages';

const opened = '2026-11-25T10:01:00.000Z';
const later = '2026-11-25T10:31:00.000Z';
const inc = (over: Partial<Incident>): Incident => ({
  key: 'graph-auth',
  condition: 'graph-auth',
  seq: 1,
  openedAt: opened,
  detail: 'Graph answered HTTP 403: Forbidden',
  ...over,
});
const open = (i: Incident): Transition => ({ change: 'opened', incident: i, at: opened });
const resolved = (i: Incident): Transition => ({ change: 'resolved', incident: i, at: later });
const card = (t: Transition) =>
  JSON.stringify(
    buildTeamsMessage(watchdogAlert('t1', t), {
      deliveryId: 'd1',
      possibleDuplicate: false,
      intunePortalUrl: 'https://intune.microsoft.com',
    }),
  );

describe('watchdog messages', () => {
  it.each<[string, Incident, RegExp[]]>([
    [
      'Graph 403',
      inc({ reason: 'forbidden' }),
      [/403/, /DeviceManagementApps\.Read\.All/, /grant-graph-permissions\.sh/],
    ],
    ['Graph 401', inc({ reason: 'unauthorized' }), [/401/, /expired or was revoked/, /managed identity/]],
    ['sign-in failed', inc({ reason: 'sign-in' }), [/cannot sign in/, /client secret or certificate/]],
    [
      'failing polls',
      inc({
        key: 'poll-failures',
        condition: 'poll-failures',
        detail: '3 polls failed in a row; last error: Error: x',
      }),
      [/polling keeps failing/, /3 polls failed in a row/, /checkpoint is kept/],
    ],
    [
      'stalled timer',
      inc({
        key: 'lag',
        condition: 'lag',
        reason: 'stalled',
        detail: 'no poll ran for 45 min (last run 2026-11-25 09:16 UTC)',
      }),
      [/polling stopped/, /No poll ran for 45 min/, /GET \/api\/health/],
    ],
    [
      'backlog',
      inc({ key: 'lag', condition: 'lag', reason: 'behind', detail: 'the checkpoint is 25 min behind' }),
      [/falling behind/, /GRAPH_MAX_PAGES_PER_RUN/],
    ],
    [
      'coverage gap',
      inc({
        key: 'coverage-gap',
        condition: 'coverage-gap',
        detail: 'never scanned: 2026-11-25 07:00 UTC – 2026-11-25 09:00 UTC (2 h)',
      }),
      [/coverage gap/, /07:00 UTC – 2026-11-25 09:00 UTC/, /replay/, /complete = false/],
    ],
    [
      'admin API closed',
      inc({
        key: 'admin-api-closed',
        condition: 'admin-api-closed',
        detail:
          'Admin API closed: ADMIN_AUTH_MODE is entra but App Service Authentication is not on (the platform variable WEBSITE_AUTH_ENABLED is not set)',
      }),
      [/admin API is closed/, /answers 503: ADMIN_AUTH_MODE is entra/, /WEBSITE_AUTH_ENABLED/, /ADMIN_AUTH_MODE=key/],
    ],
    [
      'failing channel',
      inc({
        key: 'channel-failing:teams',
        condition: 'channel-failing',
        subject: 'teams',
        detail: '3 failed attempts in a row; last: server-error 500: x',
      }),
      [/channel 'teams' is failing/, /server-error 500/, /Workflows flow/],
    ],
  ])('%s: the card says what happened and what to do, without event fields', (_name, i, patterns) => {
    const alert = watchdogAlert('t1', open(i));
    expect(alert).toMatchObject({ ruleId: `watchdog:${i.condition}`, severity: 'high', eventCount: 0, events: [] });
    expect(isWatchdogAlert(alert)).toBe(true);
    expect(watchdogAlertParts(alert).whatToDo).toBeTruthy();
    const text = card(open(i));
    for (const p of patterns) expect(text).toMatch(p);
    expect(text).not.toMatch(/0 events|PKI owner|First event|…"/);
  });

  it('resolved messages say what cleared and for how long', () => {
    const text = card(resolved(inc({ reason: 'forbidden' })));
    expect(text).toMatch(/Resolved: Microsoft Graph denies access/);
    expect(text).toMatch(/after 30 min \(since 2026-11-25 10:01 UTC\)/);
    expect(watchdogAlert('t1', resolved(inc({}))).severity).toBe('low');
    const gap = card(
      resolved(
        inc({
          key: 'coverage-gap',
          condition: 'coverage-gap',
          gaps: [{ from: '2026-11-25T07:00:00.000Z', to: '2026-11-25T09:00:00.000Z' }],
        }),
      ),
    );
    expect(gap).toMatch(/stays unscanned/);
  });

  it('ids are deterministic per incident and change, so a concurrent run writes the same alert', () => {
    const i = inc({});
    expect(watchdogAlert('t1', open(i)).id).toBe(watchdogAlert('t1', open(i)).id);
    expect(watchdogAlert('t1', open(i)).id).not.toBe(watchdogAlert('t1', resolved(i)).id);
    expect(watchdogAlert('t1', open(i)).id).not.toBe(watchdogAlert('t1', open({ ...i, seq: 2 })).id);
  });

  it('the heartbeat summarises the last 24 h from the ledger', () => {
    const summary = { ...summarizeLedger([]), polls: 1440, alerts: 3, events: 57, sent: 3 };
    const a = heartbeatAlert(
      't1',
      new Date('2026-11-25T08:00:02Z'),
      new Date('2026-11-25T08:00:03Z'),
      summary,
      undefined,
    );
    expect(a).toMatchObject({
      ruleId: 'watchdog:heartbeat',
      severity: 'low',
      ruleName: 'Heartbeat: Cloud PKI alerts are watching',
    });
    expect(a.ruleDescription).toContain(
      'Last 24 h: 1,440 polls (0 failed, 0 past due), 0 gaps, 3 alerts from 57 events read, 3 sent, 0 failed delivery attempts. No open incident.',
    );
    expect(a.id).toBe(heartbeatAlert('t1', new Date('2026-11-25T08:00:40Z'), new Date(), summary, undefined).id);
    expect(heartbeatAlert('t1', new Date(), new Date(), summarizeLedger([]), undefined).ruleName).toMatch(
      /need attention/,
    );
  });
});
