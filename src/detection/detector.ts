import type { AuditEvent } from '../audit/auditEvent';
import { toAuditEvent } from '../audit/toAuditEvent';
import type { AlertRule } from '../rules/alertRule';
import { type CompiledRule, compileRules, matchRules } from '../rules/matchRules';

/** What the detector saw: every raw event lands in exactly one of these, but `events`, which counts the rest. */
export interface DetectionCounts {
  /** Well-formed events, first sight of their id. */
  events: number;
  malformed: number;
  /** Ids seen before in this pass (repeated on a page, across pages or overlapping slices): folded. */
  repeated: number;
  /** Written by the app's own identity (its CA lookups are audited too). */
  ignoredOwn: number;
  /** `Get` reads: the poll asks Graph to leave them out; dropped here too, whatever the server did. */
  ignoredReads: number;
  /** (rule, event) pairs. */
  matches: number;
}

export type Offered =
  | { kind: 'malformed'; id: string | null; problem: string }
  | { kind: 'repeated' | 'own'; event: AuditEvent }
  | { kind: 'event'; event: AuditEvent; rules: AlertRule[] };

/**
 * The first stages of detection, shared by the poll, backtest, replay and the card preview so they cannot
 * drift: convert (Graph JSON → AuditEvent), fold duplicates (an id is taken once per pass, whatever the
 * paging repeated), drop the app's own events and `Get` reads (client-side, whatever the server filter did),
 * match the rules. Pure; memory grows with the ids of one pass
 * (a poll run, bounded by its page budget; a replay file).
 */
export class Detector {
  readonly counts: DetectionCounts = {
    events: 0,
    malformed: 0,
    repeated: 0,
    ignoredOwn: 0,
    ignoredReads: 0,
    matches: 0,
  };
  private readonly seen = new Set<string>();
  private compiled: CompiledRule[] | undefined;

  constructor(
    private readonly rules: readonly AlertRule[] | (() => Promise<readonly AlertRule[]>),
    private readonly options: { ownClientId?: string } = {},
  ) {}

  /** The rules compiled (loaded on the first well-formed event when given as a loader). */
  private async compiledRules(): Promise<CompiledRule[]> {
    if (!this.compiled)
      this.compiled = compileRules(typeof this.rules === 'function' ? await this.rules() : this.rules);
    return this.compiled;
  }

  get rulesEvaluated(): number {
    return this.compiled?.length ?? 0;
  }

  async offer(raw: unknown): Promise<Offered> {
    const pre = this.fold(raw);
    return 'kind' in pre ? pre : this.match(pre, await this.compiledRules());
  }

  /** The same, for callers with the rules in hand (replay, backtest): no promise per event. */
  offerSync(raw: unknown): Offered {
    if (typeof this.rules === 'function') throw new Error('offerSync needs the rules given up front');
    const pre = this.fold(raw);
    return 'kind' in pre ? pre : this.match(pre, (this.compiled ??= compileRules(this.rules)));
  }

  /** The same for an event already converted (the card preview's sample or given event). */
  offerEvent(event: AuditEvent): Offered {
    if (typeof this.rules === 'function') throw new Error('offerEvent needs the rules given up front');
    const pre = this.foldEvent(event);
    return 'kind' in pre ? pre : this.match(pre, (this.compiled ??= compileRules(this.rules)));
  }

  /** Convert, fold repeats, drop own reads: the event to match, or what it was instead. */
  private fold(raw: unknown): Offered | AuditEvent {
    const converted = toAuditEvent(raw);
    if (!converted.ok) {
      this.counts.malformed++;
      return { kind: 'malformed', id: converted.id, problem: converted.problem };
    }
    return this.foldEvent(converted.event);
  }

  private foldEvent(event: AuditEvent): Offered | AuditEvent {
    if (this.seen.has(event.id)) {
      this.counts.repeated++;
      return { kind: 'repeated', event };
    }
    this.seen.add(event.id);
    this.counts.events++;
    const own = this.options.ownClientId?.toLowerCase();
    if (own && event.actor.applicationId?.toLowerCase() === own) {
      this.counts.ignoredOwn++;
      return { kind: 'own', event };
    }
    if (event.activityOperationType?.toLowerCase() === 'get') {
      this.counts.ignoredReads++;
      return { kind: 'own', event };
    }
    return event;
  }

  private match(event: AuditEvent, compiled: CompiledRule[]): Offered {
    const rules = matchRules(compiled, event);
    this.counts.matches += rules.length;
    return { kind: 'event', event, rules };
  }
}
