import type { AuditEvent } from '../audit/auditEvent';
import type { CheckpointExtra, VersionedCheckpoint } from '../audit/checkpointStore';
import type { PendingAlert } from '../dispatch/alertAccumulator';
import { type ChangeWindow, type ChangeWindowStore, windowCovers } from '../dispatch/changeWindow';
import type { Outbox } from '../dispatch/outbox';
import { SuppressionAccumulator } from '../dispatch/windowSummary';
import type { AlertRule } from '../rules/alertRule';
import type { RuleProblem } from '../rules/ruleStore';
import type { Logger } from '../shared/logger';
import type { RuleHistory } from '../rules/ruleHistory';
import type { RuleRepository } from '../rules/ruleRepository';
import { loadRulesWithPack } from '../admin/rulePack';
import type { MatchRecorder } from './matchRecorder';
import { ThresholdRun } from './thresholds';
import { summarizeEndedWindows } from './windowSummaries';

export interface PollExtrasDeps {
  rules: RuleRepository;
  /** The tenant holding the global rules and the pack (config.tenancy.homeTenantId); see loadRulesWithPack. */
  homeTenantId?: string;
  history: RuleHistory;
  windows: ChangeWindowStore;
  outbox: Outbox;
}

export interface PollExtrasRunContext {
  tenantId: string;
  now: Date;
  log: Logger;
  stored: VersionedCheckpoint | undefined;
  sampleSize: number;
  lookbackInMinutes: number;
  /** The run's rules, once loaded (for the channels of a window summary). */
  rules: () => Promise<readonly AlertRule[]>;
  afterSummaryWritten?: () => void | Promise<void>;
}

/** What the stateful features did in one run (part of the run summary). */
export interface PollExtrasResult {
  suppressed: number;
  thresholdCounted: number;
  thresholdAlerts: number;
  windowSummaries: number;
  /** To save with the checkpoint. */
  checkpointExtra: CheckpointExtra;
}

/** How the run writes: `write` an alert that records no match (window summaries); `recordGroup` matches + alert. */
export interface RunWriters {
  write: (pending: PendingAlert) => Promise<number>;
  /** Records a group's matches with its alert (`channels: []` = recorded, not sent); 1 when written. */
  recordGroup: (pending: PendingAlert, channels?: string[]) => Promise<number>;
  recorder: MatchRecorder;
  channelsOf: (pending: PendingAlert) => Promise<string[]>;
}

/**
 * The rule administration features inside a poll run: the default-pack upgrade when rules are loaded, change
 * windows (matches inside one are recorded, not sent; one summary when it ends) and threshold rules (counted
 * across runs; one alert when reached). Matches of other rules go through the run as before.
 */
export class PollExtras {
  constructor(private readonly deps: PollExtrasDeps) {}

  loadRules(
    tenantId: string,
    clock: () => Date,
    log: Logger,
  ): Promise<{ rules: AlertRule[]; problems: RuleProblem[] }> {
    const { rules, history, homeTenantId } = this.deps;
    return loadRulesWithPack({ tenantId, homeTenantId, rules, history, clock, log });
  }

  startRun(ctx: PollExtrasRunContext): PollExtrasRun {
    return new PollExtrasRun(this.deps, ctx);
  }
}

export class PollExtrasRun {
  private windows?: Promise<ChangeWindow[]>;
  private readonly suppressed: SuppressionAccumulator;
  private readonly thresholds: ThresholdRun;
  private suppressedCount = 0;

  constructor(
    private readonly deps: PollExtrasDeps,
    private readonly ctx: PollExtrasRunContext,
  ) {
    this.suppressed = new SuppressionAccumulator(ctx.sampleSize);
    // Late events must still count with the ones around them: keep buckets at least a lookback longer.
    this.thresholds = new ThresholdRun({
      tenantId: ctx.tenantId,
      sampleSize: ctx.sampleSize,
      retainLateInMinutes: Math.max(60, ctx.lookbackInMinutes + 5),
      now: ctx.now,
      log: ctx.log,
    });
  }

  /**
   * Takes a new (de-duplicated) match when a change window covers it or its rule has a threshold; false
   * means the run handles it as a plain match. Windows are read at most once per run, and not at all while
   * the checkpoint's hint says no window is open or pending.
   */
  async route(rule: AlertRule, event: AuditEvent): Promise<boolean> {
    const windows = await this.openWindows();
    const window = windows.find((w) => windowCovers(w, rule, event));
    if (window) {
      this.suppressed.add(window, rule, event);
      this.suppressedCount++;
      return true;
    }
    if (rule.threshold) {
      this.thresholds.add(rule, event);
      return true;
    }
    return false;
  }

  private openWindows(): Promise<ChangeWindow[]> {
    const { stored, tenantId } = this.ctx;
    if (stored && !stored.windowSummaryDueAt) return Promise.resolve([]);
    this.windows ??= this.deps.windows
      .list(tenantId)
      .then((all) => all.map((w) => w.window).filter((w) => !w.summarizedAt));
    return this.windows;
  }

  /** Writes what the run took, then summarizes ended windows when the hint says one is due. */
  async finish(writers: RunWriters): Promise<PollExtrasResult> {
    const { tenantId, now, stored } = this.ctx;
    const result: PollExtrasResult = {
      suppressed: this.suppressedCount,
      thresholdCounted: 0,
      thresholdAlerts: 0,
      windowSummaries: 0,
      checkpointExtra: {},
    };
    for (const pending of this.suppressed.drain(tenantId, now)) await writers.recordGroup(pending, []);
    const t = await this.thresholds.finish(this.deps.outbox, writers.recorder, writers.channelsOf);
    result.thresholdCounted = t.counted;
    result.thresholdAlerts = t.alerts;
    const hint = stored?.windowSummaryDueAt;
    if (!stored || (hint && hint <= now.toISOString())) {
      const s = await summarizeEndedWindows({
        tenantId,
        windows: this.deps.windows,
        outbox: this.deps.outbox,
        rules: this.ctx.rules,
        write: writers.write,
        log: this.ctx.log,
        now,
        sampleSize: this.ctx.sampleSize,
        afterSummaryWritten: this.ctx.afterSummaryWritten,
      });
      result.windowSummaries = s.summaries;
      result.checkpointExtra = { windowSummaryDueAt: s.nextDueAt };
    }
    return result;
  }
}

/** For a checkpoint save that hit a concurrent change: the earlier of the two hints (never miss a window end). */
export function mergeCheckpointExtra(ours: CheckpointExtra, latest: VersionedCheckpoint | undefined): CheckpointExtra {
  if (ours.windowSummaryDueAt === undefined) return ours;
  const theirs = latest?.windowSummaryDueAt ?? '';
  const mine = ours.windowSummaryDueAt;
  const earlier = mine === '' ? theirs : theirs === '' ? mine : mine < theirs ? mine : theirs;
  return { ...ours, windowSummaryDueAt: earlier };
}
