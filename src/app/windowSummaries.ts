import type { PendingAlert } from '../dispatch/alertAccumulator';
import type { ChangeWindowStore } from '../dispatch/changeWindow';
import type { Outbox } from '../dispatch/outbox';
import { windowSummaryAlert } from '../dispatch/windowSummary';
import type { AlertRule } from '../rules/alertRule';
import { PreconditionFailedError } from '../shared/errors';
import type { Logger } from '../shared/logger';

export interface WindowSummaryDeps {
  tenantId: string;
  windows: ChangeWindowStore;
  outbox: Outbox;
  /** The current rules, for the channels of the suppressed rules. */
  rules: () => Promise<readonly AlertRule[]>;
  write: (pending: PendingAlert) => Promise<number>;
  log: Logger;
  now: Date;
  sampleSize: number;
  /** Crash-injection seam: after the summary is in the outbox, before the window is marked summarized. */
  afterSummaryWritten?: () => void | Promise<void>;
}

/**
 * Sends one summary for each change window that has ended and is not yet summarized, then marks it
 * (ETag-guarded). Idempotent: the summary's id is fixed per window, so after a crash between the two
 * writes the next run finds the summary already in the outbox and only marks the window. Returns when the
 * next window ends (`''` when none is left), for the poll's hint.
 */
export async function summarizeEndedWindows(
  deps: WindowSummaryDeps,
): Promise<{ summaries: number; nextDueAt: string }> {
  const { tenantId, now, log } = deps;
  let summaries = 0;
  let nextDueAt = '';
  let rules: readonly AlertRule[] | undefined;
  for (const { window, etag } of await deps.windows.list(tenantId)) {
    if (window.summarizedAt) continue;
    if (Date.parse(window.end) > now.getTime()) {
      if (nextDueAt === '' || window.end < nextDueAt) nextDueAt = window.end;
      continue;
    }
    const suppressed = await deps.outbox.listSuppressed(tenantId, window.id);
    let summaryAlertId: string | undefined;
    if (suppressed.length > 0) {
      rules ??= await deps.rules();
      const byId = new Map(rules.map((r) => [r.id, r]));
      // A suppressed rule deleted since then still had its matches reported: on the default channels.
      const channels = [...new Set(suppressed.map((a) => a.ruleId))].flatMap(
        (id) => byId.get(id)?.channels ?? ['default'],
      );
      const pending = windowSummaryAlert(tenantId, window, suppressed, channels, now, deps.sampleSize);
      summaries += await deps.write(pending);
      summaryAlertId = pending.alert.id;
      await deps.afterSummaryWritten?.();
    }
    const count = suppressed.reduce((n, a) => n + a.eventCount, 0);
    try {
      await deps.windows.replace(
        tenantId,
        {
          ...window,
          summarizedAt: now.toISOString(),
          suppressedCount: count,
          ...(summaryAlertId ? { summaryAlertId } : {}),
        },
        etag,
      );
      log.info(
        `Change window ${window.id} ended: ${count} suppressed match(es)${summaryAlertId ? `, summary alert ${summaryAlertId}` : ''}`,
      );
    } catch (err) {
      // Changed meanwhile (a concurrent run marked it, or an admin edit): the next check looks again.
      if (!(err instanceof PreconditionFailedError)) throw err;
      nextDueAt = nextDueAt === '' || window.end < nextDueAt ? window.end : nextDueAt;
    }
  }
  return { summaries, nextDueAt };
}
