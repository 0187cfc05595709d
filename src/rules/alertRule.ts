/** Closed set of severities, most severe first. */
export const severities = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof severities)[number];
export const severityRank: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

/** `Success` matches `activityResult === "Success"`; `Failure` matches any other non-empty result. */
export type ResultFilter = 'Success' | 'Failure';

/** An alert rule as stored in the `AlertRules` table (one row per rule). */
export interface AlertRule {
  id: string;
  name: string;
  enabled: boolean;
  severity: Severity;
  /** Exact `activityType` values (case-insensitive compare). */
  activityTypes: string[];
  result?: ResultFilter;
  /** Channel ids; `default` means every channel configured as a default. */
  channels: string[];
  description?: string;
}
