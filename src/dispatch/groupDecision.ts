import { createHash } from 'node:crypto';
import type { Alert } from './alert';
import type { GroupWindow } from './deliveryState';

/** What to do with the due alerts of one group on one channel, with a named reason. */
export type GroupDecision =
  | { action: 'send' }
  | { action: 'hold'; until: Date; reason: string }
  | { action: 'suppress'; until: Date; reason: string };

/** Stable id of an alert group (rule + group key), safe in a Table RowKey. */
export function groupIdFor(alert: Pick<Alert, 'ruleId' | 'groupKey'>): string {
  return createHash('sha256').update(`${alert.ruleId}|${alert.groupKey ?? ''}`).digest('hex').slice(0, 32);
}

/**
 * Decides, at delivery time, whether a group's due alerts go out now. Pure.
 * - `suppress` (realert): the group was posted less than `realertInMinutes` ago; the alerts stay recorded.
 * - `hold` (group window): a post of the group is still within its window; the alerts wait and are folded
 *   into one follow-up digest when the window ends, so nothing is lost and there is one post per window.
 * - `send`: no open window.
 */
export function decideGroup(window: GroupWindow | undefined, now: Date, realertInMinutes: number | undefined): GroupDecision {
  if (!window) return { action: 'send' };
  const lastSent = Date.parse(window.lastSentAt);
  if (realertInMinutes && realertInMinutes > 0 && Number.isFinite(lastSent)) {
    const until = new Date(lastSent + realertInMinutes * 60_000);
    if (until > now) return { action: 'suppress', until, reason: `realert suppression: this group was posted at ${window.lastSentAt}; matches until ${until.toISOString()} are recorded, not sent` };
  }
  const windowEnd = new Date(window.windowEndsAt);
  if (windowEnd > now) return { action: 'hold', until: windowEnd, reason: `group window: held for the follow-up digest due at ${windowEnd.toISOString()}` };
  return { action: 'send' };
}
