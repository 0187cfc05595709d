import type { AuditEvent } from '../audit/auditEvent';
import type { AuditSource } from '../audit/auditSource';
import { SlicedReader } from '../audit/slicedReader';
import type { Alert } from '../dispatch/alert';
import { Detector } from '../detection/detector';
import { OfflineAlerts } from '../detection/offlineAlerts';
import { actorOf, caOf } from '../dispatch/windowSummary';
import type { AlertRule } from '../rules/alertRule';
import { parseRule } from '../rules/parseRule';
import { type FieldProblem, NotFoundError, ValidationError } from '../shared/errors';
import type { RuleRepository } from '../rules/ruleRepository';

export interface BacktestDeps {
  tenantId: string;
  rules: RuleRepository;
  source: AuditSource;
  clock: () => Date;
  sampleSize: number;
  ownClientId?: string;
  /** Graph pages read at most; the response says when the range was cut short. */
  maxPages: number;
  onProgress?: (progress: BacktestProgress) => void;
}

export interface BacktestProgress {
  pages: number;
  events: number;
  matches: number;
}

/** Audit events are kept for a year (docs/reference/graph-audit-events.md §8). */
export const maxBacktestDays = 365;
export const maxInlineEvents = 10_000;
/** The response lists at most this many fired events and alerts; counts are always exact. */
export const backtestListCap = { events: 100, alerts: 50 } as const;

const notes = [
  'Change windows are ignored: every match counts as if no window were open.',
  'Alerts are grouped as poll runs would group them: per rule (and threshold group key) per minute of event time; threshold rules are counted over the whole range.',
  'Delivery-time decisions (realert suppression, group windows, digests) are not applied.',
];

type Input = { rule?: unknown; ruleId?: unknown; from?: unknown; to?: unknown; events?: unknown };

/** Resolves and checks a backtest request; a ValidationError lists every problem. */
async function prepare(
  deps: BacktestDeps,
  body: unknown,
): Promise<{ rule: AlertRule; from?: Date; to?: Date; events?: unknown[] }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError('backtest', [
      { field: 'body', message: 'must be an object: { rule | ruleId, from, to } or { rule | ruleId, events }' },
    ]);
  const input = body as Input;
  const problems: FieldProblem[] = [];
  const extra = Object.keys(input).filter((k) => !['rule', 'ruleId', 'from', 'to', 'events'].includes(k));
  if (extra.length) problems.push({ field: extra.join(', '), message: 'is not a backtest field' });
  if ((input.rule === undefined) === (input.ruleId === undefined))
    problems.push({ field: 'rule', message: 'give exactly one of rule (a draft) or ruleId (a saved rule)' });
  let rule: AlertRule | undefined;
  if (input.rule !== undefined) {
    try {
      rule = parseRule(input.rule);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      problems.push(...err.problems.map((p) => ({ field: `rule.${p.field}`, message: p.message })));
    }
  }
  let events: unknown[] | undefined;
  let from: Date | undefined;
  let to: Date | undefined;
  if (input.events !== undefined) {
    if (!Array.isArray(input.events))
      problems.push({ field: 'events', message: 'must be an array of Graph audit events' });
    else if (input.events.length > maxInlineEvents)
      problems.push({ field: 'events', message: `must hold at most ${maxInlineEvents} events` });
    else events = input.events;
    if (input.from !== undefined || input.to !== undefined)
      problems.push({ field: 'from', message: 'give either events or from / to, not both' });
  } else {
    const now = deps.clock().getTime();
    from = typeof input.from === 'string' ? new Date(input.from) : undefined;
    to = typeof input.to === 'string' ? new Date(input.to) : undefined;
    if (!from || Number.isNaN(from.getTime()))
      problems.push({ field: 'from', message: 'must be an ISO 8601 date-time' });
    if (!to || Number.isNaN(to.getTime())) problems.push({ field: 'to', message: 'must be an ISO 8601 date-time' });
    if (from && to && !Number.isNaN(from.getTime()) && !Number.isNaN(to.getTime())) {
      if (from >= to) problems.push({ field: 'to', message: 'must be after from' });
      if (to.getTime() - from.getTime() > maxBacktestDays * 86_400_000)
        problems.push({ field: 'to', message: `must be at most ${maxBacktestDays} days after from` });
      if (from.getTime() < now - maxBacktestDays * 86_400_000)
        problems.push({
          field: 'from',
          message: `must be within the audit retention (the last ${maxBacktestDays} days)`,
        });
      if (to.getTime() > now + 5 * 60_000) problems.push({ field: 'to', message: 'must not be in the future' });
    }
  }
  if (problems.length) throw new ValidationError('backtest', problems);
  if (!rule) {
    const stored = await deps.rules.get(deps.tenantId, String(input.ruleId));
    if (!stored) throw new NotFoundError(`rule "${String(input.ruleId)}" does not exist`);
    if (!stored.rule) throw new ValidationError(`stored rule "${stored.id}"`, stored.problems ?? []);
    rule = stored.rule;
  }
  return { rule, from, to, events };
}

const briefEvent = (e: AuditEvent) => ({
  id: e.id,
  activityDateTime: e.activityDateTime,
  activityType: e.activityType,
  activityResult: e.activityResult,
  actor: actorOf(e),
  ca: caOf(e),
});
const briefAlert = (a: Alert) => ({
  id: a.id,
  ruleId: a.ruleId,
  severity: a.severity,
  eventCount: a.eventCount,
  firstEventTime: a.firstEventTime,
  lastEventTime: a.lastEventTime,
  ...(a.groupKey ? { groupKey: a.groupKey } : {}),
  sampleEventIds: a.events.map((e) => e.id),
});

/**
 * What a rule would have done over a past range (read from Graph page by page, through the app's Graph
 * client) or over given events: the events that would have fired and the alerts that would have been
 * written, grouped as runs group them, thresholds counted over the range. Nothing is stored or sent.
 */
export async function backtest(deps: BacktestDeps, body: unknown) {
  const { rule: parsed, from, to, events } = await prepare(deps, body);
  const rule: AlertRule = { ...parsed, enabled: true }; // a disabled rule can still be tried
  // The poll's own detection stages and the replay's grouping (src/detection/): they cannot drift apart.
  const detector = new Detector([rule], { ownClientId: deps.ownClientId });
  const offline = new OfflineAlerts(deps.tenantId, deps.sampleSize);
  const firedEvents: ReturnType<typeof briefEvent>[] = [];
  const consider = (raw: unknown) => {
    const offered = detector.offerSync(raw);
    if (offered.kind !== 'event' || offered.rules.length === 0) return;
    for (const e of offline.add(rule, offered.event))
      if (firedEvents.length < backtestListCap.events) firedEvents.push(briefEvent(e));
  };
  let truncated = false;
  let scannedTo = to?.toISOString();
  let pages = 0;
  if (events) {
    for (const raw of events) consider(raw);
  } else {
    const reader = new SlicedReader(
      deps.source,
      { from: from!, to: to!, basis: 'first-run' },
      { maxPages: deps.maxPages },
    );
    for await (const page of reader.pages()) {
      pages = reader.progress.pages;
      for (const raw of page.events) consider(raw);
      deps.onProgress?.({ pages, events: detector.counts.events, matches: detector.counts.matches });
    }
    pages = reader.progress.pages;
    if (reader.progress.completedTo < to!.getTime()) {
      truncated = true;
      scannedTo = new Date(reader.progress.completedTo).toISOString();
    }
  }
  const all = offline.drain();
  const alerts = all.slice(0, backtestListCap.alerts).map((p) => briefAlert(p.alert));
  const alertCount = all.length;
  const { events: eventCount, malformed, ignoredOwn, matches } = detector.counts;
  const scanned = { pages, events: eventCount, malformed, ignoredOwn };
  const fired = offline.fired;
  return {
    rule: parsed,
    source: events ? 'inline' : 'graph',
    ...(from ? { range: { from: from.toISOString(), to: to!.toISOString(), scannedTo } } : {}),
    windowsIgnored: true,
    notes: truncated
      ? [
          ...notes,
          `The page budget (${deps.maxPages} pages) ran out: every event up to ${scannedTo} was read; backtest the rest with from = that time.`,
        ]
      : notes,
    truncated,
    scanned,
    matches,
    firedEvents: { count: fired, items: firedEvents, truncated: fired > firedEvents.length },
    alerts: { count: alertCount, items: alerts, truncated: alertCount > alerts.length },
  };
}

export type BacktestResult = Awaited<ReturnType<typeof backtest>>;
