import { createHash } from 'node:crypto';
import { severityRank } from '../rules/alertRule';
import type { Alert } from './alert';
import type { GroupWindow } from './deliveryState';

/** What to do with the due alerts of one group on one channel, with a named reason. */
export type GroupDecision =
  | { action: 'send' }
  | { action: 'hold'; until: Date; reason: string }
  | { action: 'suppress'; until: Date; reason: string };

/** Stable id of an alert group (rule + group key), safe in a Table RowKey. */
export function groupIdFor(alert: Pick<Alert, 'ruleId' | 'groupKey'>): string {
  return createHash('sha256')
    .update(`${alert.ruleId}|${alert.groupKey ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Minutes a post of this alert's group holds the group's later alerts (0 = never held). The rule's
 * `groupWindow` decides; `auto` (absent) never holds high or critical alerts, because each of those is rare
 * and on-call must hear of it when it is detected, and holds medium and low ones for the app default.
 */
export function groupWindowFor(alert: Pick<Alert, 'severity' | 'groupWindow'>, defaultInMinutes: number): number {
  if (alert.groupWindow === 'none') return 0;
  if (typeof alert.groupWindow === 'number' && Number.isFinite(alert.groupWindow))
    return Math.max(0, alert.groupWindow);
  return severityRank[alert.severity] <= severityRank.high ? 0 : Math.max(0, defaultInMinutes);
}

/**
 * Decides, at delivery time, whether a group's due alerts go out now. Pure.
 * - `suppress` (realert): the group was posted less than `realertInMinutes` ago; the alerts stay recorded.
 * - `hold` (group window): a post of the group is still within its window; the alerts wait and are folded
 *   into one follow-up digest when the window ends, so nothing is lost and there is one post per window.
 * - `send`: no open window, or the group is never held (`groupWindowInMinutes` 0, see {@link groupWindowFor}).
 */
export function decideGroup(
  window: GroupWindow | undefined,
  now: Date,
  realertInMinutes: number | undefined,
  groupWindowInMinutes?: number,
): GroupDecision {
  if (!window) return { action: 'send' };
  const lastSent = Date.parse(window.lastSentAt);
  if (realertInMinutes && realertInMinutes > 0 && Number.isFinite(lastSent)) {
    const until = new Date(lastSent + realertInMinutes * 60_000);
    if (until > now)
      return {
        action: 'suppress',
        until,
        reason: `realert suppression: this group was posted at ${window.lastSentAt}; matches until ${until.toISOString()} are recorded, not sent`,
      };
  }
  // An alert that is never held (groupWindowFor = 0) goes out even inside a window opened under another policy.
  if (groupWindowInMinutes === 0) return { action: 'send' };
  const windowEnd = new Date(window.windowEndsAt);
  if (windowEnd > now)
    return {
      action: 'hold',
      until: windowEnd,
      reason: `group window: held for the follow-up digest due at ${windowEnd.toISOString()}`,
    };
  return { action: 'send' };
}
