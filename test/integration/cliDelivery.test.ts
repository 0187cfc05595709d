import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent } from '../helpers/graphEvents';
import { type Pipeline, usePipelineEnvironment, webhookSecret } from '../helpers/pipeline';

async function run(args: string[]) {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, lines };
}

describe('pki-alerts channels / alerts', () => {
  const pipeline = usePipelineEnvironment();
  let p: Pipeline;
  beforeEach(() => {
    p = pipeline();
  });

  it('channels list shows id, type, source, host and configuration, never the URL', async () => {
    const r = await run(['channels', 'list']);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^teams\s+teams\s+app-settings\s+127\.0\.0\.1:\d+\s+ok\s+never used$/);
    const json = await run(['channels', 'list', '--json']);
    expect(JSON.parse(json.lines[0]).value[0]).toMatchObject({
      id: 'teams',
      settings: { urlSetting: 'TEAMS_WEBHOOK_URL' },
    });
    expect(json.lines.join('')).not.toContain(webhookSecret);
  });

  it('channels test ID sends a test card and prints the outcome; exit 1 when it failed', async () => {
    const ok = await run(['channels', 'test', 'teams']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.lines[0])).toMatchObject({ channelId: 'teams', ok: true, status: 202, detail: 'accepted' });
    expect(p.cards()).toHaveLength(1);
    p.teams.respondWith({ status: 404 });
    const failed = await run(['channels', 'test', 'teams']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.lines[0])).toMatchObject({ ok: false, status: 404 });
    expect(failed.lines.join('')).not.toContain(webhookSecret);
    expect((await run(['channels', 'test', 'nope'])).code).toBe(2);
  });

  it('alerts list and alerts get ID show each channel delivery state', async () => {
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: new Date(Date.now() - 60_000) })]);
    expect((await run(['poll', '--once'])).code).toBe(0);
    const list = await run(['alerts', 'list']);
    expect(list.code).toBe(0);
    const line = list.lines.find((l) => l.includes('teams:sent(202)'))!;
    expect(line).toBeDefined();
    const id = line.split(/\s+/)[0];
    const got = await run(['alerts', 'get', id]);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.lines.join('\n'))).toMatchObject({ id, deliveries: [{ channelId: 'teams', state: 'sent' }] });
    expect((await run(['alerts', 'get', 'nope'])).code).toBe(2);
    expect((await run(['alerts'])).code).toBe(2);
  });
});
