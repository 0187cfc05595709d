import type { AuditSource } from '../audit/auditSource';
import type { CheckpointStore } from '../audit/checkpointStore';
import type { Checkpoint, PollWindow } from '../audit/pollWindow';
import type { Outbox } from '../dispatch/outbox';
import type { RuleStore } from '../rules/ruleStore';
import type { Logger } from '../shared/logger';
import type { PollExtras } from './pollExtras';

// What runPoll (runPoll.ts, where the cycle is listed) is given, and what one run reports.

/** The crash-injection seams, between stages (and between the transactions of the outbox stage). */
export type PollStep =
  'page-read' | 'group-written' | 'outbox-written' | 'checkpoint-advanced' | 'window-summary-written';

export interface PollDeps {
  tenantId: string;
  /** The tenant's display name (a registered tenant's, from the Tenants table): put on every alert the run writes. */
  tenantName?: string;
  source: AuditSource;
  checkpoints: CheckpointStore;
  rules: RuleStore;
  outbox: Outbox;
  clock: () => Date;
  log: Logger;
  settings: {
    lookbackInMinutes: number;
    initialLookbackInMinutes: number;
    maxPagesPerRun: number;
    alertSampleEvents: number;
    ownClientId?: string;
    /** Channel ids that a rule's `default` channel stands for. */
    defaultChannels: readonly string[];
    knownChannels: readonly string[];
    seenRetentionInHours: number;
    deliveredRetentionInDays: number;
    /** No Graph request is started after this long, so a run ends before the next timer fires. */
    runTimeBudgetInMs?: number;
  };
  /** Test seam for crash injection: called after each step; throwing simulates a crash there. */
  afterStep?: (step: PollStep) => void | Promise<void>;
  /** Rule administration features: default-pack upgrade, change windows, threshold rules (pollExtras.ts). */
  extras?: PollExtras;
  /** Receives the summary of the run, also when Graph failed (then before the error is rethrown): the run ledger. */
  onSummary?: (summary: PollSummary) => void;
  /** Adds table channels to `knownChannels` / `defaultChannels`; called only when an alert is written. */
  channelIds?: () => Promise<{ known: readonly string[]; defaults: readonly string[] }>;
}

/** What one run did: the run ledger entry (also logged). */
export interface PollSummary {
  window: { from: string; to: string; basis: PollWindow['basis'] };
  pages: number;
  events: number;
  malformed: number;
  ignoredOwn: number;
  matches: number;
  duplicates: number;
  alerts: number;
  budgetExhausted: boolean;
  /** Ids seen twice in this run (same page, across pages, overlapping slices): folded before matching. */
  repeated: number;
  /** Slices of the window read to their end / split because they were too big for the page budget. */
  slices: { completedTo: string; splits: number; unsplittable: number; lookbackComplete: boolean };
  /** Alerts set aside because they could not be stored (see the quarantine). */
  quarantined: number;
  checkpoint: Checkpoint | 'unchanged';
  graphError?: string;
  ruleProblems: number;
  /** Matches recorded inside a change window, not sent. */
  suppressed?: number;
  /** Matches counted by threshold rules (alerts only when a threshold is reached). */
  thresholdCounted?: number;
  /** Enabled rules the events were matched against (0 when no event arrived and rules were not loaded). */
  rulesEvaluated: number;
}

/** The summary of a run that has read nothing yet. */
export function emptySummary(window: PollWindow): PollSummary {
  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), basis: window.basis },
    pages: 0,
    events: 0,
    malformed: 0,
    ignoredOwn: 0,
    matches: 0,
    duplicates: 0,
    alerts: 0,
    repeated: 0,
    quarantined: 0,
    budgetExhausted: false,
    checkpoint: 'unchanged',
    ruleProblems: 0,
    rulesEvaluated: 0,
    slices: { completedTo: window.from.toISOString(), splits: 0, unsplittable: 0, lookbackComplete: false },
  };
}
