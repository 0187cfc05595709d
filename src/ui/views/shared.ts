import type { ApiError } from '../api';

/** A stored rule as GET /api/rules lists it. */
export interface StoredRule {
  id: string;
  etag: string;
  rule?: Rule;
  problems?: { field: string; message: string }[];
  raw?: unknown;
  updatedAt?: string;
  updatedBy?: string;
}

/** The rule document (src/rules/alertRule.ts); fields the editor does not show are kept as they are. */
export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  severity: 'critical' | 'high' | 'medium' | 'low';
  activityTypes?: string[];
  result?: 'Success' | 'Failure';
  actor?: { include?: Record<string, string[]>; exclude?: Record<string, string[]> };
  filter?: string;
  channels: string[];
  description?: string;
  runbookUrl?: string;
  [other: string]: unknown;
}

export interface RuleStat {
  ruleId: string;
  alerts: number;
  events: number;
  suppressed: number;
  lastFiredAt?: string;
}

export interface ChannelView {
  id: string;
  type: string;
  source: string;
  isDefault: boolean;
  description?: string;
  host?: string;
  /** Setting NAMES and plain options (region, DCR id, stream), never a secret. */
  settings?: Record<string, unknown>;
  configuration: 'ok' | 'misconfigured';
  problems?: string[];
  status?: {
    lastOutcomes: { at: string; ok: boolean; status: number; detail: string }[];
    consecutiveFailures: number;
    lastSuccessAt?: string;
    lastFailureAt?: string;
    incidentSince?: string;
  };
}

export const severityOrder = ['critical', 'high', 'medium', 'low'] as const;

/** Loads something optional: the value, or the error (the caller shows a notice and goes on). */
export async function optional<T>(load: () => Promise<T>): Promise<{ value?: T; error?: ApiError | Error }> {
  try {
    return { value: await load() };
  } catch (error) {
    return { error: error as Error };
  }
}
