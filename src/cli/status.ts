import type { HealthDetail } from '../admin/healthReport';
import { formatDuration, formatInstant } from '../watch/coverage';
import { checkNames } from '../watch/health';

const n = (x: number) => x.toLocaleString('en-US');
const at = (iso: string | undefined) => (iso ? formatInstant(iso) : 'never');

/** `pki-alerts status` in plain text: the health verdict, then what an operator looks at first. */
export function formatStatus(d: HealthDetail): string[] {
  const p = d.polling;
  const lines = [`Status: ${d.status.toUpperCase()} (GET /api/health answers ${d.status === 'unhealthy' ? 503 : 200})`];
  for (const name of checkNames)
    lines.push(`  ${name.padEnd(9)} ${d.checks[name].status.padEnd(5)} ${d.checks[name].message}`);
  lines.push(
    '',
    `Last successful poll: ${at(p.lastSuccessfulPollAt)} (last run ${at(p.lastRunAt)}, ${p.consecutiveFailures} failed in a row)`,
    `Checkpoint: ${at(p.checkpoint?.scannedTo)}${p.lagMinutes === undefined ? '' : `, lag ${formatDuration(p.lagMinutes * 60_000)} (max ${p.maxLagMinutes} min)`}`,
  );
  if (p.lastError) lines.push(`Last poll error: ${p.lastError}`);
  const h = d.last24h;
  lines.push(
    `Last 24 h: ${n(h.polls)} polls (${n(h.failedPolls)} failed, ${n(h.pastDue)} past due), ${n(h.events)} events, ${n(h.alerts)} alerts, ${n(h.sent)} sent, ${n(h.deliveryFailures)} failed delivery attempts`,
  );
  const gaps = [...new Map([...d.coverage.recentGaps, ...h.gaps].map((g) => [`${g.from}|${g.to}`, g])).values()];
  lines.push(
    `Coverage: continuous up to ${at(d.coverage.frontier)}; ${gaps.length ? `gaps: ${gaps.map((g) => `${formatInstant(g.from)} – ${formatInstant(g.to)}`).join('; ')}` : 'no gap recorded'}`,
  );
  lines.push(`Open incidents: ${d.incidents.length ? '' : 'none'}`);
  for (const i of d.incidents) lines.push(`  ${i.key} since ${formatInstant(i.openedAt)}: ${i.detail}`);
  lines.push(`Channels: ${d.channels.length ? '' : 'no attempt recorded yet'}`);
  for (const c of d.channels) {
    const state = c.failing ? 'FAILING' : c.consecutiveFailures ? 'flaky' : 'ok';
    lines.push(
      `  ${c.id}: ${state}, last success ${at(c.lastSuccessAt)}${c.consecutiveFailures ? `, ${c.consecutiveFailures} failed in a row, last: ${c.lastError ?? ''}` : ''}`,
    );
  }
  const states =
    Object.entries(d.deliveries.byState)
      .map(([s, count]) => `${n(count)} ${s}`)
      .join(', ') || 'none';
  const failed = Object.entries(d.deliveries.failedByChannel)
    .map(([c, count]) => `${c}: ${n(count)}`)
    .join(', ');
  lines.push(
    `Deliveries (recent alerts): ${states}${d.deliveries.oldestPendingSince ? `; oldest pending since ${formatInstant(d.deliveries.oldestPendingSince)}` : ''}${failed ? `; failed / dead by channel: ${failed}` : ''}`,
  );
  lines.push(
    `Rules: ${d.rules.problems.length ? `${d.rules.problems.length} skipped (do not parse)` : 'every rule parses'}`,
  );
  for (const r of d.rules.problems) lines.push(`  ${r.ruleId}: ${r.message}`);
  return lines;
}
