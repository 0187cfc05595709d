/** What a history entry is about (tenant changes are kept under the home tenant). */
export type HistorySubject = 'rule' | 'window' | 'tenant';

/** What was done: admin writes, the built-in pack's own changes, and the end of a change window. */
export type HistoryAction = 'create' | 'replace' | 'delete' | 'end' | 'pack-seed' | 'pack-upgrade';

/**
 * One versioned change of a rule or change window (the `RuleHistory` table): who, when, what, and the
 * document before and after. Written on every write path, so the history is the tamper record.
 */
export interface HistoryEntry {
  id: string;
  subject: HistorySubject;
  subjectId: string;
  action: HistoryAction;
  /** The caller's name (`api.caller.name`), `cli:<os user>`, or `system:<what>`. */
  who: string;
  at: string;
  before?: unknown;
  after?: unknown;
  /** Set when the change raised a tamper alert: its alert id. */
  tamperAlertId?: string;
}

/** Append-only change history, newest first per subject. */
export interface RuleHistory {
  /** Writes entries in batches (one partition: transactions of at most 100). */
  append(tenantId: string, entries: readonly HistoryEntry[]): Promise<void>;
  list(
    tenantId: string,
    subject: HistorySubject,
    subjectId: string,
    options?: { limit?: number },
  ): Promise<HistoryEntry[]>;
}
