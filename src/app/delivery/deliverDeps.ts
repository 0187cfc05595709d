import type { DeliveryStateStore } from '../../dispatch/deliveryState';
import type { Outbox } from '../../dispatch/outbox';
import type { CaDetailsSource } from '../../notifiers/enrichment';
import type { Notifier } from '../../notifiers/notifier';
import type { Logger } from '../../shared/logger';

// What deliverPending (../deliverPending.ts) is given, and what it reports.

export interface DeliverDeps {
  tenantId: string;
  /** The tenant's display name (a registered tenant): put on messages that lack it. */
  tenantName?: string;
  outbox: Outbox;
  /** Channels from app settings (always known). */
  notifiers: ReadonlyMap<string, Notifier>;
  /** Table channels, loaded only when a due delivery names a channel not in `notifiers` (keeps idle runs cheap). */
  loadNotifiers?: () => Promise<ReadonlyMap<string, Notifier>>;
  /** Group windows, channel status and incidents; without it every alert is sent on its own and no notice is raised. */
  state?: DeliveryStateStore;
  caDetails?: CaDetailsSource;
  clock: () => Date;
  random: () => number;
  log: Logger;
  settings: {
    timeoutInMs: number;
    retryBaseInSeconds: number;
    maxAgeInMinutes: number;
    /** Group window of medium / low alerts whose rule says `auto` (high and critical are never held). */
    groupWindowInMinutes?: number;
    failoverChannel?: string;
    /** Stop starting new sends after this much wall time; the rest waits for the next run. Default 120 s. */
    runBudgetInMs?: number;
  };
  /**
   * Per-channel pacing; default: the process-wide limiter of each channel. An `acquire` that resolves to a
   * function is told, by calling it, when the post it allowed has finished (TableChannelPacer counts sends until then).
   */
  limiter?: (channelId: string, maxPerSecond: number) => { acquire(): Promise<void | (() => Promise<void>)> };
  /** Test seam for crash injection: called after each step; throwing simulates a crash there. */
  afterStep?: (step: 'delivery-claimed' | 'delivery-sent' | 'delivery-recorded') => void | Promise<void>;
}

export interface DeliverySummary {
  due: number;
  sent: number;
  retrying: number;
  failed: number;
  dead: number;
  skipped: number;
  /** Held for a group window (folded into the follow-up digest when it ends). */
  held: number;
  /** Not sent: realert suppression. */
  suppressed: number;
  /** HTTP / Graph sends: one per alert, or one per digest of several alerts. */
  posts: number;
  notices: number;
}
