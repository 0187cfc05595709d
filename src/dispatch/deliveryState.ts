/**
 * Delivery state beside the outbox: per (channel, alert group) windows for digests and realert
 * suppression, and per channel status (last outcomes, open failure incident). Kept in Table Storage so
 * every run and every instance sees the same windows and incidents.
 */

/** The window of one alert group on one channel, opened by each post. */
export interface GroupWindow {
  /** Until then further alerts of the group are held and folded into one follow-up digest. */
  windowEndsAt: string;
  /** When the group was last posted to this channel (realert suppression counts from here). */
  lastSentAt: string;
}

/** One send attempt's outcome as the channel list shows it (never a URL). */
export interface ChannelOutcome {
  at: string;
  ok: boolean;
  status: number;
  /** `accepted`, `ok`, or `<reason>: <redacted message>`. */
  detail: string;
}

export interface ChannelStatus {
  channelId: string;
  /** Newest first, at most {@link maxOutcomes}. */
  lastOutcomes: ChannelOutcome[];
  lastSuccessAt?: string;
  lastFailureAt?: string;
  consecutiveFailures: number;
  /** Set while a failure incident is open (a notice was raised); cleared by the next success. */
  incidentSince?: string;
  incidentNoticeId?: string;
}

export const maxOutcomes = 5;

export interface DeliveryStateStore {
  getGroup(tenantId: string, channelId: string, groupId: string): Promise<GroupWindow | undefined>;
  saveGroup(tenantId: string, channelId: string, groupId: string, window: GroupWindow): Promise<void>;
  getChannelStatus(tenantId: string, channelId: string): Promise<ChannelStatus | undefined>;
  listChannelStatus(tenantId: string): Promise<ChannelStatus[]>;
  /** Records an outcome; a success closes any open incident. */
  recordOutcome(tenantId: string, channelId: string, outcome: ChannelOutcome): Promise<void>;
  /**
   * Opens a failure incident unless one is open: true for the one caller that opened it (ETag-guarded, so
   * two runs cannot both raise a notice for the same incident).
   */
  openIncident(tenantId: string, channelId: string, since: string, noticeId: string): Promise<boolean>;
}
