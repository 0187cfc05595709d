import { alertIdFor, type PendingAlert } from '../dispatch/alertAccumulator';
import {
  type MatchRef,
  type MatchWrite,
  type Outbox,
  type QuarantineItem,
  type RecordedMatches,
  UnstorableError,
} from '../dispatch/outbox';
import { watchdogRulePrefix, whatToDoMarker } from '../dispatch/watchdogAlert';
import { errorText, type Logger } from '../shared/logger';

export type RecordOutcome = 'written' | 'nothing' | 'quarantined' | 'gave-up';

/** Builds the write for the matches not yet recorded (undefined: nothing left to write). */
export type WriteBuilder = (
  isRecorded: (m: MatchRef) => boolean,
  attempt: number,
) => Promise<MatchWrite | undefined> | MatchWrite | undefined;

const maxAttempts = 5;

/**
 * Records matches in the outbox exactly once per match. It loads what is already recorded for the run's
 * window once (lazily, on the first match), writes each group of matches atomically with its alert, and on
 * a conflict (another run wrote first) reloads and rebuilds the write from what is still unrecorded. A write
 * that Table Storage refuses for its content is set aside in the quarantine with its matches recorded, so
 * one alert never stops the others and a re-read never retries it forever; the operator is told.
 */
export class MatchRecorder {
  private recorded?: RecordedMatches;
  private readonly local = new Set<string>();
  quarantined = 0;
  /** Writes that kept conflicting: their matches stay unrecorded and the checkpoint must not pass them. */
  gaveUp = 0;

  constructor(
    private readonly deps: {
      tenantId: string;
      /** Put on every alert written (cards and payloads name the tenant). */
      tenantName?: string;
      outbox: Outbox;
      log: Logger;
      now: Date;
      /** Matches are loaded from here on (the run's window start). */
      fromInMs: number;
      /** Where the operator message about a quarantined item goes. */
      noticeChannels: () => Promise<readonly string[]>;
    },
  ) {}

  private async load(): Promise<RecordedMatches> {
    if (!this.recorded) {
      this.recorded = await this.deps.outbox.loadMatches(this.deps.tenantId, this.deps.fromInMs);
      this.local.clear();
    }
    return this.recorded;
  }

  /** True when the match is already recorded (by an earlier run, or this one). */
  async isRecorded(m: MatchRef): Promise<boolean> {
    const recorded = await this.load();
    return this.local.has(key(m)) || recorded.has(m.ruleId, m.eventId);
  }

  async record(build: WriteBuilder): Promise<RecordOutcome> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const recorded = await this.load();
      const isRecorded = (m: MatchRef) => this.local.has(key(m)) || recorded.has(m.ruleId, m.eventId);
      const built = await build(isRecorded, attempt);
      const write = built?.alert ? { ...built, alert: withTenantName(built.alert, this.deps.tenantName) } : built;
      if (!write || (write.matches.length === 0 && !write.alert && !write.counter && !write.dropCounters?.length))
        return 'nothing';
      let result;
      try {
        result = await this.deps.outbox.recordMatches(this.deps.tenantId, write, recorded.version);
      } catch (err) {
        if (!(err instanceof UnstorableError)) throw err;
        return this.setAside(write, errorText(err));
      }
      if (result.outcome === 'written') {
        for (const m of write.matches) this.local.add(key(m));
        recorded.version = result.version;
        return 'written';
      }
      this.recorded = undefined; // another run wrote first: reload and rebuild from what is left
    }
    this.gaveUp++;
    this.deps.log.error(
      `A match write kept conflicting with concurrent runs (${maxAttempts} attempts); its matches are read again next run`,
    );
    return 'gave-up';
  }

  /** Quarantines a write that cannot be stored: the item, its matches recorded as quarantined, a notice. */
  private async setAside(write: MatchWrite, reason: string): Promise<RecordOutcome> {
    const { tenantId, now, log } = this.deps;
    const ruleId = write.alert?.alert.ruleId ?? write.counter?.ruleId ?? write.matches[0]?.ruleId ?? '(none)';
    const id =
      write.alert?.alert.id ??
      alertIdFor(tenantId, `quarantine|${ruleId}`, write.matches[0]?.eventId ?? now.toISOString());
    const item: QuarantineItem = {
      id,
      kind: 'alert',
      ruleId,
      reason,
      createdAt: now.toISOString(),
      matchCount: write.matches.length,
      ...(write.alert ? { alert: write.alert.alert } : {}),
      channels: [...(write.channels ?? [])],
      retries: 0,
    };
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const recorded = await this.load();
      const matches = write.matches.filter((m) => !this.local.has(key(m)) && !recorded.has(m.ruleId, m.eventId));
      let result;
      try {
        result = await this.deps.outbox.quarantine(tenantId, item, matches, recorded.version);
      } catch (err) {
        log.error(
          `Alert ${id} of rule ${ruleId} could not be stored, nor set aside (${errorText(err)}); its ${write.matches.length} match(es) are read again next run`,
        );
        this.gaveUp++;
        return 'gave-up';
      }
      if (result.outcome === 'written') {
        for (const m of matches) this.local.add(key(m));
        recorded.version = result.version;
        this.quarantined++;
        log.error(
          `Alert ${id} of rule ${ruleId} (${write.matches.length} match(es)) could not be stored and was set aside in the quarantine: ${reason}. List it with "pki-alerts quarantine list"; the run goes on.`,
        );
        await this.notify(item);
        return 'quarantined';
      }
      this.recorded = undefined;
    }
    this.gaveUp++;
    return 'gave-up';
  }

  private async notify(item: QuarantineItem): Promise<void> {
    try {
      const channels = await this.deps.noticeChannels();
      const notice = quarantineNotice(this.deps.tenantId, item, this.deps.now);
      await this.deps.outbox.writeAlert(withTenantName(notice, this.deps.tenantName), channels);
    } catch (err) {
      this.deps.log.error(`The notice about quarantined alert ${item.id} could not be written: ${errorText(err)}`);
    }
  }
}

/** The alert with the tenant's display name on it (unchanged when there is no name). */
export function withTenantName(pending: PendingAlert, tenantName: string | undefined): PendingAlert {
  return tenantName ? { ...pending, alert: { ...pending.alert, tenantName } } : pending;
}

const key = (m: MatchRef) => `${m.ruleId}\u0000${m.eventId}`;

/** The operator message about an item set aside: once per item (its id is derived from the item's). */
export function quarantineNotice(tenantId: string, item: QuarantineItem, now: Date): PendingAlert {
  const what = item.alert
    ? `${item.alert.eventCount} matching event(s) of rule "${item.alert.ruleName}" (${item.alert.severity})`
    : `${item.matchCount} match(es) of rule ${item.ruleId}`;
  return {
    alert: {
      id: alertIdFor(tenantId, `${watchdogRulePrefix}quarantine`, item.id),
      tenantId,
      kind: 'watchdog',
      ruleId: `${watchdogRulePrefix}quarantine`,
      ruleName: 'Watchdog: an alert was set aside (quarantine)',
      severity: item.alert?.severity ?? 'high',
      ruleDescription: `An alert for ${what} could not be stored and was set aside, so the other alerts and the polling go on. Reason: ${item.reason}. Quarantined item ${item.id}.${whatToDoMarker}List it with "pki-alerts quarantine list" (or GET /api/quarantine), review the events in the Intune audit log, and retry it with "pki-alerts quarantine retry ${item.id}" once the cause is fixed.`,
      eventCount: 0,
      events: [],
      firstEventTime: item.alert?.firstEventTime ?? now.toISOString(),
      lastEventTime: item.alert?.lastEventTime ?? now.toISOString(),
      createdAt: now.toISOString(),
    },
    channels: [],
    eventKeys: [],
  };
}
