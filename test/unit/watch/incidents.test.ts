import { describe, expect, it } from 'vitest';
import {
  classifyPollError,
  evaluateWatchdog,
  type RunObservation,
  type WatchSettings,
} from '../../../src/watch/incidents';
import { emptyWatchState, type WatchState } from '../../../src/watch/runLedger';

const settings: WatchSettings = { failedPolls: 3, channelFailures: 3, maxLagInMinutes: 10 };
const at = (m: number) => new Date(Date.parse('2026-11-25T10:00:00Z') + m * 60_000).toISOString();

/** A run at minute m: succeeded, covered [m − 15, m], checkpoint at m. */
const ok = (m: number, over: Partial<RunObservation> = {}): RunObservation => ({
  startedAt: at(m),
  finishedAt: at(m),
  pollFailed: false,
  checkpointAt: at(m),
  windowFrom: at(m - 15),
  coveredTo: at(m),
  attempts: [],
  ...over,
});
const failed = (m: number, over: Partial<RunObservation> = {}): RunObservation => ({
  ...ok(m),
  pollFailed: true,
  pollError: 'Error: boom',
  coveredTo: undefined,
  checkpointAt: at(0),
  ...over,
});
const forbidden = (m: number) =>
  failed(m, { auth: 'forbidden', graphStatus: 403, pollError: 'Error: Simulated 403 response.' });
const teams = (ok: boolean, status?: number) => ({
  channelId: 'teams',
  ok,
  ...(ok ? {} : { status, error: `server-error ${status}: x` }),
});

/** Runs the observations in order; returns each run's transitions as `opened key` / `resolved key`. */
function play(runs: RunObservation[], start: WatchState = emptyWatchState()) {
  let state = start;
  return runs.map((obs) => {
    const r = evaluateWatchdog(state, obs, settings);
    state = r.state;
    return r.transitions.map((t) => `${t.change} ${t.incident.key}`);
  });
}

describe('evaluateWatchdog: one message when an incident opens, one when it clears', () => {
  it.each<[string, RunObservation[], string[][]]>([
    [
      'Graph 403: opens at once, stays open, resolves on the first successful poll',
      [ok(0), forbidden(1), forbidden(2), forbidden(3), forbidden(4), ok(5), ok(6)],
      [[], ['opened graph-auth'], [], [], [], ['resolved graph-auth'], []],
    ],
    [
      'failing polls: open at the 3rd in a row, resolve on success',
      [ok(0), failed(1), failed(2), failed(3), failed(4), ok(5)],
      [[], [], [], ['opened poll-failures'], [], ['resolved poll-failures']],
    ],
    [
      'two failures then a success: nothing',
      [ok(0), failed(1), failed(2), ok(3), failed(4), failed(5)],
      [[], [], [], [], [], []],
    ],
    [
      'a stopped timer: the first run after it opens lag, the next resolves it',
      [ok(0), ok(30, { windowFrom: at(-15) }), ok(31)],
      [[], ['opened lag'], ['resolved lag']],
    ],
    [
      'a backlog behind the checkpoint opens lag until it is worked off',
      [ok(0), ok(1, { checkpointAt: at(-20) }), ok(2, { checkpointAt: at(-5) })],
      [[], ['opened lag'], ['resolved lag']],
    ],
    [
      'failing polls do not also raise lag while they fail',
      [ok(0), ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => failed(m))],
      [[], [], [], ['opened poll-failures'], [], [], [], [], [], [], [], [], []],
    ],
    [
      'a run that crashed after moving the checkpoint (no ledger row) is not a gap',
      [ok(0), ok(40, { checkpointBefore: at(30), windowFrom: at(15) })],
      [[], ['opened lag']],
    ],
    [
      'a window starting after the frontier is a gap, resolved by the next contiguous run',
      [ok(0), ok(180, { windowFrom: at(120) }), ok(181)],
      [[], ['opened lag', 'opened coverage-gap'], ['resolved lag', 'resolved coverage-gap']],
    ],
    [
      'a channel failing 3 times in a row, then delivering',
      [
        ok(0, { attempts: [teams(false, 500)] }),
        ok(1, { attempts: [teams(false, 500), teams(false, 500)] }),
        ok(2, { attempts: [teams(false, 500)] }),
        ok(3, { attempts: [teams(true)] }),
      ],
      [[], ['opened channel-failing:teams'], [], ['resolved channel-failing:teams']],
    ],
    [
      'a channel answering 404 (flow deleted) fails at once',
      [ok(0, { attempts: [teams(false, 404)] }), ok(1, { attempts: [teams(true)] })],
      [['opened channel-failing:teams'], ['resolved channel-failing:teams']],
    ],
    [
      'one failure between successes: nothing',
      [ok(0, { attempts: [teams(false, 503), teams(true)] }), ok(1, { attempts: [teams(false, 503)] })],
      [[], []],
    ],
    [
      'the admin API closed: one message when it closes, none while it stays closed, one when it opens again',
      [
        ok(0),
        ok(1, { adminApiClosed: 'Admin API closed: off' }),
        ok(2, { adminApiClosed: 'Admin API closed: still off' }),
        ok(3),
        ok(4),
      ],
      [[], ['opened admin-api-closed'], [], ['resolved admin-api-closed'], []],
    ],
  ])('%s', (_name, runs, expected) => {
    expect(play(runs)).toEqual(expected);
  });

  it('does not re-open while open and numbers each new incident of a key', () => {
    let state = emptyWatchState();
    const seqs: number[] = [];
    for (const obs of [forbidden(1), forbidden(2), ok(3), forbidden(4)]) {
      const r = evaluateWatchdog(state, obs, settings);
      state = r.state;
      seqs.push(...r.transitions.filter((t) => t.change === 'opened').map((t) => t.incident.seq));
    }
    expect(seqs).toEqual([1, 2]);
    expect(state.incidents['graph-auth']).toMatchObject({ reason: 'forbidden', seq: 2 });
  });

  it('keeps the frontier, the last success and the recent gaps in the state', () => {
    const r = evaluateWatchdog(
      { ...emptyWatchState(), frontier: at(0), lastRunAt: at(0) },
      ok(200, { windowFrom: at(150) }),
      settings,
    );
    expect(r.gap).toEqual({ from: at(0), to: at(150) });
    expect(r.state).toMatchObject({
      frontier: at(200),
      lastSuccessAt: at(200),
      consecutiveFailures: 0,
      recentGaps: [{ from: at(0), to: at(150), detectedAt: at(200) }],
    });
    expect(r.state.incidents['coverage-gap'].detail).toContain(
      '2026-11-25 10:00 UTC – 2026-11-25 12:30 UTC (2 h 30 min)',
    );
  });
});

describe('classifyPollError', () => {
  it.each<[string, unknown, ReturnType<typeof classifyPollError>]>([
    ['Graph 403', Object.assign(new Error('Forbidden'), { statusCode: 403 }), { auth: 'forbidden', status: 403 }],
    ['Graph 401', Object.assign(new Error('Unauthorized'), { statusCode: 401 }), { auth: 'unauthorized', status: 401 }],
    ['Graph 500', Object.assign(new Error('x'), { statusCode: 500 }), { status: 500 }],
    [
      'token request failed',
      Object.assign(new Error('AADSTS7000222: expired secret'), { name: 'AuthenticationError', statusCode: 401 }),
      { auth: 'sign-in', status: 401 },
    ],
    [
      'no managed identity',
      Object.assign(new Error('no MI'), { name: 'CredentialUnavailableError' }),
      { auth: 'sign-in' },
    ],
    [
      'Table Storage 403 (storage role, not Graph)',
      Object.assign(new Error('x'), { name: 'RestError', statusCode: 403 }),
      { status: 403 },
    ],
    ['a plain error', new Error('boom'), {}],
  ])('%s', (_name, err, expected) => {
    expect(classifyPollError(err)).toEqual(expected);
  });
});
