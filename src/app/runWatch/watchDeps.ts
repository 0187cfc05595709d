import type { CheckpointStore } from '../../audit/checkpointStore';
import type { AuthConfigRecord } from '../../dispatch/authConfigTamper';
import type { Outbox } from '../../dispatch/outbox';
import type { Logger } from '../../shared/logger';
import type { Transition, WatchSettings } from '../../watch/incidents';
import type { LedgerEntry, WatchStore } from '../../watch/runLedger';
import type { TenantPollStatus } from '../../watch/tenantStalls';

export interface WatchDeps {
  tenantId: string;
  store: WatchStore;
  /** The plain checkpoint store: saves go there unchanged. */
  checkpoints: CheckpointStore;
  outbox: Outbox;
  clock: () => Date;
  log: Logger;
  counters: { graphRequests: () => number; tableRequests: () => number };
  settings: WatchSettings & { ledgerRetentionInDays: number };
  /**
   * Where watchdog messages go (WATCHDOG_CHANNEL, else FAILOVER_CHANNEL, else the default channels) and every
   * channel (fallback for a message about the watchdog channel itself). Called only when a message is written.
   */
  channels: () => Promise<{ watchdog: readonly string[]; all: readonly string[]; defaults?: readonly string[] }>;
  /**
   * The admin API's authorization setup and, when it cannot serve, why (adminAuthPosture). Read every run: the
   * setup is recorded in the watchdog state (a change raises a tamper alert) and a closed API is an incident.
   */
  adminAuth?: () => { record: AuthConfigRecord; problem?: string };
  /**
   * Home tenant only: reads whether each registered tenant is polled (tenantStalls.ts). Called at most every
   * 5 minutes (the last check is in the watch state); its Table requests count in the run's ledger row.
   */
  tenantPolls?: (now: Date) => Promise<readonly TenantPollStatus[]>;
}

/** How a cycle was started, for the ledger. */
export interface CycleOptions {
  trigger?: string;
  /** The timer occurrence was missed (`isPastDue`). */
  pastDue?: boolean;
}

export interface WatchResult {
  entry: LedgerEntry;
  transitions: Transition[];
  /** Watchdog messages newly written to the outbox (send them now). */
  alertsWritten: number;
}

/** Shortens text for a ledger column or a log line. */
export const short = (text: string, max = 500) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
