import type { ChannelDefinition } from './channel';

/** A stored channel that failed validation: skipped (logged) instead of breaking every channel. */
export interface ChannelProblem {
  channelId: string;
  message: string;
}

export interface StoredChannel {
  channel: ChannelDefinition;
  etag: string;
  updatedAt?: string;
  updatedBy?: string;
}

/** Channels kept in Table Storage (the `Channels` table), validated by parseChannel on every read and write. */
export interface ChannelStore {
  list(tenantId: string): Promise<{ channels: StoredChannel[]; problems: ChannelProblem[] }>;
  get(tenantId: string, id: string): Promise<StoredChannel | undefined>;
  /**
   * Creates (`ifMatch` undefined: 409 when it exists) or replaces (`ifMatch` an ETag or `*`: 412 when stale).
   * Returns the new ETag.
   */
  upsert(
    tenantId: string,
    channel: ChannelDefinition,
    options: { ifMatch?: string; updatedBy: string },
  ): Promise<string>;
  /** Idempotent. */
  delete(tenantId: string, id: string): Promise<void>;
}
