/**
 * What the Graph `auditEvents` endpoint of a tenant was seen to accept, remembered between runs so a clause
 * the server answered 400 to is not sent (and the 400 not paid) again every minute. Only optional parts of
 * the query are listed: the time filter is never optional (docs/reference/graph-audit-events.md §4, §4a).
 */
export type OptionalClause = 'orderBy' | 'operationTypeFilter' | 'top';

export const optionalClauses: readonly OptionalClause[] = ['orderBy', 'operationTypeFilter', 'top'];

/** What each optional clause is, for logs, health and doctor. */
export const clauseText: Record<OptionalClause, string> = {
  orderBy: '$orderby=activityDateTime desc',
  operationTypeFilter: "$filter clause activityOperationType ne 'Get'",
  top: '$top',
};

export interface ClauseVerdict {
  accepted: boolean;
  /** When the server was last seen accepting or refusing it. */
  at: string;
  /** The server's (one-line, redacted) answer when it refused. */
  detail?: string;
}

export type GraphCapabilities = Partial<Record<OptionalClause, ClauseVerdict>>;

/** Where remembered capabilities live (a row of the PollState table in production). */
export interface GraphCapabilityStore {
  get(tenantId: string): Promise<GraphCapabilities | undefined>;
  upsert(tenantId: string, capabilities: GraphCapabilities): Promise<void>;
}

/** A refusal is tried again after this long: Graph changes, and one old 400 must not disable a clause forever. */
export const retryRefusedAfterInMs = 7 * 24 * 3_600_000;

/** True when the clause should be sent: never refused, or refused long enough ago to try again. Pure. */
export function shouldSend(capabilities: GraphCapabilities, clause: OptionalClause, now: Date): boolean {
  const verdict = capabilities[clause];
  if (!verdict || verdict.accepted) return true;
  const at = Date.parse(verdict.at);
  return !Number.isFinite(at) || now.getTime() - at >= retryRefusedAfterInMs;
}

/** One line per known clause, for health and doctor: "$orderby=activityDateTime desc: refused (HTTP 400 …) since …". Pure. */
export function describeCapabilities(capabilities: GraphCapabilities | undefined): string[] {
  if (!capabilities) return [];
  return optionalClauses.flatMap((clause) => {
    const v = capabilities[clause];
    if (!v) return [];
    return [
      `${clauseText[clause]}: ${v.accepted ? 'accepted' : `refused, not sent (since ${v.at}${v.detail ? `: ${v.detail}` : ''})`}`,
    ];
  });
}

/** In-memory store: backtests, tests, and a source built without Table Storage. */
export class MemoryGraphCapabilityStore implements GraphCapabilityStore {
  private readonly rows = new Map<string, GraphCapabilities>();
  async get(tenantId: string): Promise<GraphCapabilities | undefined> {
    const row = this.rows.get(tenantId);
    return row && structuredClone(row);
  }
  async upsert(tenantId: string, capabilities: GraphCapabilities): Promise<void> {
    this.rows.set(tenantId, structuredClone(capabilities));
  }
}
