import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config';
import { resolveWatchdogChannels } from '../../../src/composition/watchServices';
import { ConfigError } from '../../../src/shared/errors';
import { heartbeatSchedule } from '../../../src/functions/heartbeat';

describe('resolveWatchdogChannels', () => {
  const base = { defaultChannels: ['teams'], knownChannels: ['teams', 'ops', 'mail'] };
  it.each<[string, { watchdogChannel?: string; failoverChannel?: string }, string[], number]>([
    ['nothing set: the default channels', {}, ['teams'], 0],
    ['FAILOVER_CHANNEL set: the failover channel', { failoverChannel: 'ops' }, ['ops'], 0],
    [
      'WATCHDOG_CHANNEL wins over the failover channel',
      { watchdogChannel: 'mail', failoverChannel: 'ops' },
      ['mail'],
      0,
    ],
    ['a list of channels', { watchdogChannel: 'ops, mail' }, ['ops', 'mail'], 0],
    ['an unknown channel is reported and skipped', { watchdogChannel: 'ops,nope' }, ['ops'], 1],
    ['only unknown channels: the defaults', { watchdogChannel: 'nope' }, ['teams'], 1],
  ])('%s', (_name, input, channels, problems) => {
    const r = resolveWatchdogChannels({ ...base, ...input });
    expect(r.channels).toEqual(channels);
    expect(r.problems).toHaveLength(problems);
  });
});

describe('heartbeat registration', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['unset: not registered', undefined, undefined],
    ['empty: not registered', '  ', undefined],
    ['set: registered on the setting', '0 0 8 * * *', '%HEARTBEAT_SCHEDULE%'],
  ])('%s', (_name, value, expected) => {
    expect(heartbeatSchedule({ HEARTBEAT_SCHEDULE: value })).toBe(expected);
  });
});

describe('watch settings', () => {
  const base = {
    AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    TEAMS_WEBHOOK_URL: 'https://prod-01.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=S',
  };

  it('defaults: no watchdog channel, 3 failed polls, 3 channel failures, 10 min lag, heartbeat off, 30 days of ledger', () => {
    expect(loadConfig(base).watch).toEqual({
      channel: undefined,
      failedPolls: 3,
      channelFailures: 3,
      maxLagInMinutes: 10,
      heartbeatSchedule: undefined,
      ledgerRetentionInDays: 30,
    });
  });

  it('reads every watch setting', () => {
    const env = {
      ...base,
      WATCHDOG_CHANNEL: 'ops',
      WATCHDOG_FAILED_POLLS: '5',
      WATCHDOG_CHANNEL_FAILURES: '2',
      HEALTH_MAX_LAG_MINUTES: '30',
      HEARTBEAT_SCHEDULE: '0 0 8 * * 1',
      LEDGER_RETENTION_DAYS: '7',
    };
    expect(loadConfig(env).watch).toEqual({
      channel: 'ops',
      failedPolls: 5,
      channelFailures: 2,
      maxLagInMinutes: 30,
      heartbeatSchedule: '0 0 8 * * 1',
      ledgerRetentionInDays: 7,
    });
  });

  it.each([
    ['HEARTBEAT_SCHEDULE', 'daily'],
    ['HEARTBEAT_SCHEDULE', '0 8 * * *'],
    ['WATCHDOG_FAILED_POLLS', '0'],
    ['HEALTH_MAX_LAG_MINUTES', 'ten'],
    ['LEDGER_RETENTION_DAYS', '0'],
  ])('rejects %s=%s naming the setting', (name, value) => {
    const err = (() => {
      try {
        loadConfig({ ...base, [name]: value });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.field)).toContain(name);
  });
});
