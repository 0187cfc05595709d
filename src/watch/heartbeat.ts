import type { Alert } from '../dispatch/alert';
import { watchdogRulePrefix } from '../dispatch/watchdogAlert';
import { formatInstant, type LedgerSummary } from './coverage';
import type { WatchState } from './runLedger';
import { message } from './watchdogMessages';

const n = (x: number) => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

/**
 * The heartbeat: a coverage summary of the last 24 h sent to every channel on HEARTBEAT_SCHEDULE, so a
 * rarely triggered Workflows flow is not turned off for inactivity and a broken flow shows early. Its id
 * is derived from the scheduled occurrence, so the occurrence is sent once. Pure.
 */
export function heartbeatAlert(
  tenantId: string,
  occurrence: Date,
  now: Date,
  last24h: LedgerSummary,
  watch: WatchState | undefined,
): Alert {
  const open = Object.values(watch?.incidents ?? {});
  const parts = [
    `Last 24 h: ${plural(last24h.polls, 'poll')} (${n(last24h.failedPolls)} failed, ${n(last24h.pastDue)} past due)`,
    plural(last24h.gaps.length, 'gap'),
    `${plural(last24h.alerts, 'alert')} from ${plural(last24h.events, 'event')} read`,
    `${n(last24h.sent)} sent, ${n(last24h.deliveryFailures)} failed delivery attempts`,
  ];
  const coverage = watch?.frontier ? ` Covered up to ${formatInstant(watch.frontier)}.` : '';
  const incidents = open.length ? ` Open incidents: ${open.map((i) => i.key).join(', ')}.` : ' No open incident.';
  const quiet = last24h.polls === 0 ? ' No poll ran in the last 24 h: check the app now.' : '';
  const minute = new Date(Math.floor(occurrence.getTime() / 60_000) * 60_000).toISOString();
  return message(
    tenantId,
    `${watchdogRulePrefix}heartbeat`,
    minute,
    'low',
    {
      title:
        open.length || quiet
          ? 'Heartbeat: Cloud PKI alerts need attention'
          : 'Heartbeat: Cloud PKI alerts are watching',
      summary: `${parts.join(', ')}.${coverage}${incidents}${quiet}`,
      whatToDo:
        "Nothing when the figures look normal. This message arrives on HEARTBEAT_SCHEDULE so the channel's Workflows flow stays active; if it stops arriving, check GET /api/health and the flow's run history.",
    },
    last24h.firstRunAt ?? now.toISOString(),
    now.toISOString(),
  );
}
