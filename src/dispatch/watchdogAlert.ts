import type { Alert } from './alert';

/** Rule id prefix of the app's own messages about itself (watchdog incidents, heartbeat): not audit events. */
export const watchdogRulePrefix = 'watchdog:';

/** Separates what happened from what to do in a watchdog alert's `ruleDescription`. */
export const whatToDoMarker = '\n\nWhat to do: ';

/** True for a watchdog or heartbeat message (no events; its text is in `ruleDescription`). */
export const isWatchdogAlert = (alert: Pick<Alert, 'ruleId'>): boolean => alert.ruleId.startsWith(watchdogRulePrefix);

/** The two parts of a watchdog alert's text, for channels that show them separately. */
export function watchdogAlertParts(alert: Pick<Alert, 'ruleDescription'>): { summary: string; whatToDo?: string } {
  const text = alert.ruleDescription ?? '';
  const at = text.indexOf(whatToDoMarker);
  return at < 0 ? { summary: text } : { summary: text.slice(0, at), whatToDo: text.slice(at + whatToDoMarker.length) };
}
