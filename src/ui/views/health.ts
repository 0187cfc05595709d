import type { View } from '../context';
import { badge, h, put, replace, table } from '../dom';
import { errorBox } from '../errors';
import { ago, utc } from '../format';
import { connectionCheck } from './connectionCheck';

interface HealthDetail {
  status: 'healthy' | 'degraded' | 'unhealthy';
  checkedAt: string;
  checks: Record<string, { status: 'ok' | 'warn' | 'fail'; message: string }>;
  polling: {
    lastRunAt?: string;
    lastSuccessfulPollAt?: string;
    checkpoint?: { scannedTo: string };
    lagMinutes?: number;
    maxLagMinutes: number;
    consecutiveFailures: number;
    lastError?: string;
  };
  incidents: { key: string; condition: string; subject?: string; openedAt: string; detail: string }[];
  channels: {
    id: string;
    failing: boolean;
    consecutiveFailures: number;
    lastStatus?: number;
    lastError?: string;
    lastSuccessAt?: string;
  }[];
  coverage: { frontier?: string; recentGaps: { from: string; to: string; detectedAt: string }[] };
  rules: { problems: { ruleId: string; problems?: { field: string; message: string }[] }[] };
  graph?: { query: string[] };
  quarantine?: { count: number; oldest?: string };
  [more: string]: unknown;
}

interface QuarantineItem {
  id: string;
  ruleId: string;
  reason: string;
  createdAt: string;
  matchCount: number;
  retries: number;
  alert?: { eventCount: number; severity: string };
}

const kind = { ok: 'ok', warn: 'warn', fail: 'error', healthy: 'ok', degraded: 'warn', unhealthy: 'error' } as const;

/** #/health: the coverage and health summary (GET /api/health/detail; 503 = unhealthy, still a report). */
export const healthView: View = async (ctx, main) => {
  const { body: r } = await ctx.api.get<HealthDetail>('/health/detail', [503]);
  const p = r.polling;
  put(
    main,
    h('h1', { tabindex: '-1' }, 'Health and coverage'),
    h(
      'p',
      { class: 'lead' },
      'Status: ',
      h('span', { 'data-testid': 'health-status' }, badge(r.status, kind[r.status])),
      ` (checked ${utc(r.checkedAt)})`,
    ),
    table(
      'Checks',
      ['Check', 'Status', 'Detail'],
      Object.entries(r.checks).map(([name, c]) => [name, badge(c.status, kind[c.status]), c.message]),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'polling-title' },
      h('h2', { id: 'polling-title' }, 'Polling and coverage'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Last run'),
        h('dd', {}, p.lastRunAt ? `${ago(p.lastRunAt)} (${utc(p.lastRunAt)})` : 'none yet'),
        h('dt', {}, 'Last successful poll'),
        h(
          'dd',
          {},
          p.lastSuccessfulPollAt ? `${ago(p.lastSuccessfulPollAt)} (${utc(p.lastSuccessfulPollAt)})` : 'none yet',
        ),
        h('dt', {}, 'Scanned up to'),
        h('dd', {}, utc(p.checkpoint?.scannedTo)),
        h('dt', {}, 'Lag'),
        h('dd', {}, p.lagMinutes === undefined ? '—' : `${p.lagMinutes} min (max ${p.maxLagMinutes})`),
        h('dt', {}, 'Failed polls in a row'),
        h('dd', {}, String(p.consecutiveFailures)),
        p.lastError ? [h('dt', {}, 'Last error'), h('dd', {}, p.lastError)] : null,
        h('dt', {}, 'Covered without gaps up to'),
        h('dd', {}, utc(r.coverage.frontier)),
      ),
      r.coverage.recentGaps.length
        ? table(
            'Coverage gaps in the last 24 hours',
            ['From', 'To', 'Detected'],
            r.coverage.recentGaps.map((g) => [utc(g.from), utc(g.to), utc(g.detectedAt)]),
          )
        : h('p', {}, 'No coverage gap in the last 24 hours.'),
    ),
    r.incidents.length
      ? table(
          'Open incidents',
          ['Condition', 'Subject', 'Since', 'Detail'],
          r.incidents.map((i) => [i.condition, i.subject ?? '—', utc(i.openedAt), i.detail]),
        )
      : h('p', {}, 'No open incident.'),
    r.channels.length
      ? table(
          'Channel health',
          ['Channel', 'State', 'Failures in a row', 'Last success', 'Last error'],
          r.channels.map((c) => [
            h('span', { class: 'mono' }, c.id),
            c.failing ? badge('failing', 'error') : badge('ok', 'ok'),
            String(c.consecutiveFailures),
            c.lastSuccessAt ? ago(c.lastSuccessAt) : '—',
            c.lastError ?? '—',
          ]),
        )
      : null,
    r.rules.problems.length
      ? h(
          'div',
          { class: 'notice notice-warn' },
          h('strong', {}, 'Rules skipped because they do not parse: '),
          r.rules.problems.map((x) => x.ruleId).join(', '),
        )
      : null,
    r.graph?.query.length
      ? h(
          'div',
          { class: 'notice notice-warn', 'data-testid': 'graph-query' },
          h('strong', {}, 'Graph query options the server refused: '),
          r.graph.query.join('; '),
        )
      : null,
    r.quarantine?.count ? await quarantineSection(ctx) : null,
    connectionCheck(ctx),
  );
};

/** Alerts set aside because they could not be stored, with a retry for the admin (POST /api/quarantine/{id}/retry). */
async function quarantineSection(ctx: Parameters<View>[0]): Promise<HTMLElement> {
  const { body } = await ctx.api.get<{ value: QuarantineItem[] }>('/quarantine');
  const result = h('div', { 'aria-live': 'polite' });
  const retry = async (button: HTMLButtonElement, id: string) => {
    button.disabled = true;
    try {
      const { body: r } = await ctx.api.request<{ outcome: string }>(
        'POST',
        `/quarantine/${encodeURIComponent(id)}/retry`,
      );
      replace(result, h('p', { class: 'notice notice-ok' }, `${id}: ${r.outcome}; it is delivered with the next run.`));
    } catch (err) {
      replace(result, errorBox('The retry did not go through', err));
      button.disabled = false;
    }
  };
  return h(
    'section',
    { class: 'card', 'data-testid': 'quarantine' },
    table(
      'Quarantine: alerts set aside because they could not be stored',
      ['Item', 'Rule', 'Matches', 'Since', 'Retries', 'Reason', ''],
      body.value.map((q) => [
        h('span', { class: 'mono' }, q.id),
        q.ruleId,
        String(q.alert?.eventCount ?? q.matchCount),
        utc(q.createdAt),
        String(q.retries),
        q.reason,
        ctx.isAdmin
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: (e: Event) => void retry(e.currentTarget as HTMLButtonElement, q.id),
              },
              'Retry',
            )
          : '',
      ]),
    ),
    result,
  );
}
