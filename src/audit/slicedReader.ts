import type { Logger } from '../shared/logger';
import type { AuditPage, AuditSource } from './auditSource';
import { GraphReadError } from './graphReadError';
import type { PollWindow } from './pollWindow';

/**
 * A slice this short is not split further: in the forward range it is read to its end, whatever the budget.
 * Two milliseconds, because the time filter has millisecond literals and is inclusive at both ends: [t − 1, t + 1]
 * holds every event of millisecond t (Graph's 7-digit times included) and those of t − 1 after the previous slice.
 */
export const minSliceInMs = 2;

export interface SliceProgress {
  /** Everything in [forwardFrom, completedTo] has been read completely (every page of every slice). */
  completedTo: number;
  /** The lookback range [window.from, forwardFrom] was read completely this run. */
  lookbackComplete: boolean;
  /** Graph requests made. */
  pages: number;
  /** The page budget stopped the reading before the window's end. */
  budgetExhausted: boolean;
  /** The run's time budget stopped it. */
  outOfTime: boolean;
  /** Slices abandoned at their page cap and split (their events were still processed). */
  splits: number;
  /** Slices too short to split, read to their end past the page budget. */
  unsplittable: number;
  /** The slice length to start the next run with (undefined: the whole window). */
  nextSliceInMs: number | undefined;
  /** A dense part ahead, seen at a too-big slice's newest end: the next run reads up to it, then it in slices. */
  nextDense: DensePart | undefined;
}

/** Where a dense part starts (epoch ms) and the slice length that fits it. */
export interface DensePart {
  fromInMs: number;
  sliceInMs: number;
}

export interface SliceReaderOptions {
  maxPages: number;
  /** Where new ground starts (the checkpoint); before it is the lookback, re-read for late events. Default: window.from. */
  forwardFrom?: number;
  /** Slice length to start with (from the checkpoint); undefined = the whole window. */
  sliceInMs?: number;
  /** A dense part the last run saw ahead (from the checkpoint). */
  dense?: DensePart;
  /** Epoch ms after which no new request is started. */
  deadlineInMs?: number;
  now?: () => number;
  abortSignal?: AbortSignal;
  log?: Logger;
}

type SlicePage = AuditPage & { slice: { from: Date; to: Date } };
interface RangeResult {
  completedTo: number;
  length: number;
}

/**
 * Reads a window in time slices, oldest first, so that progress never depends on the order Graph returns
 * events in (ascending, descending or none), and no burst can livelock the checkpoint:
 *
 * - A slice counts as read only when every page of it was read; `completedTo` moves slice by slice.
 * - A slice that needs more pages than a whole budget is abandoned and cut (to a quarter or less, from the
 *   span of the events it showed); its events, already handed out, are de-duplicated when re-read. A slice cut
 *   short only by what earlier slices left of the budget is read whole by the next run (length kept).
 * - After a slice that took at most a quarter of the budget, the next one is twice as long.
 * - Without a slice length from the last run, the window is tried as one slice with the whole budget (an
 *   idle poll is one request). When that is too big, its events are processed all the same and the run ends
 *   with a slice length for the next. With one, the lookback range (before `forwardFrom`) gets half the
 *   budget (at least a page) and the forward range the rest (at least half): re-reading a dense lookback can
 *   slow progress but never stop it. A lookback denser than that is re-read only in part (logged).
 * - In the forward range a slice of `minSliceInMs` cannot be split: it is read to its end, past the budget.
 *
 * Pages are yielded as they arrive, with their slice; read `progress` when done.
 */
export class SlicedReader {
  readonly progress: SliceProgress;
  private readonly now: () => number;
  private readonly forwardFrom: number;

  constructor(
    private readonly source: AuditSource,
    private readonly window: PollWindow,
    private readonly options: SliceReaderOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.forwardFrom = Math.min(
      window.to.getTime(),
      Math.max(window.from.getTime(), options.forwardFrom ?? window.from.getTime()),
    );
    this.progress = {
      completedTo: this.forwardFrom,
      lookbackComplete: this.forwardFrom <= window.from.getTime(),
      pages: 0,
      budgetExhausted: false,
      outOfTime: false,
      splits: 0,
      unsplittable: 0,
      nextSliceInMs: options.sliceInMs,
      nextDense: options.dense,
    };
  }

  async *pages(): AsyncIterable<SlicePage> {
    const p = this.progress;
    const from = this.window.from.getTime();
    const to = this.window.to.getTime();
    const budget = this.options.maxPages;
    const half = Math.max(1, Math.ceil(budget / 2));
    if (this.options.sliceInMs === undefined) {
      // One try of the whole window with the whole budget: the common case (an idle poll is one request,
      // a window that fits the budget is read in the fewest requests). Too big: its events are processed all
      // the same (alerted now), and the next run reads in slices of the length it showed.
      const whole = yield* this.readRange(from, to, to - from, budget, { split: false, pastBudget: false });
      if (whole.completedTo >= to) {
        Object.assign(p, { completedTo: to, lookbackComplete: true, nextSliceInMs: undefined });
        return;
      }
      Object.assign(p, {
        budgetExhausted: !p.outOfTime,
        lookbackComplete: false,
        nextSliceInMs: Math.max(minSliceInMs, Math.min(whole.length, Math.floor((to - from) / 2))),
      });
      return;
    }
    if (this.forwardFrom > from && !p.outOfTime) {
      // Half of what the whole-window try left (at least a page): the lookback is re-read for late events.
      const lookbackBudget = Math.max(1, Math.floor((budget - p.pages) / 2));
      {
        // Whole first: it was read before, and is usually sparse (one request); a dense one is cut as it shows.
        const lookback = yield* this.readRange(from, this.forwardFrom, this.forwardFrom - from, lookbackBudget, {
          split: true,
          pastBudget: false,
        });
        p.lookbackComplete = lookback.completedTo >= this.forwardFrom;
      }
    }
    if (p.outOfTime) return;
    const forwardBudget = Math.max(half, budget - p.pages);
    const forward = yield* this.readRange(
      this.forwardFrom,
      to,
      this.options.sliceInMs ?? to - this.forwardFrom,
      forwardBudget,
      { split: true, pastBudget: true },
    );
    p.completedTo = forward.completedTo;
    p.budgetExhausted = forward.completedTo < to && !p.outOfTime;
    // Caught up with room to spare: the next run tries the whole window again. Else it goes on in slices.
    p.nextSliceInMs =
      forward.completedTo >= to && p.pages * 2 <= budget
        ? undefined
        : Math.min(forward.length, Math.max(minSliceInMs, to - from));
  }

  /** Reads [from, to] in slices within `budget` pages; returns how far it got completely, and the slice length. */
  private async *readRange(
    from: number,
    to: number,
    startLength: number,
    budget: number,
    o: { split: boolean; pastBudget: boolean },
  ): AsyncGenerator<SlicePage, RangeResult> {
    const p = this.progress;
    const whole = Math.max(minSliceInMs, to - from);
    let length = Math.min(whole, Math.max(minSliceInMs, startLength));
    let used = 0;
    let at = from;
    let burstAt: number | undefined;
    /** The length that fits half a budget, learned from the last dense slice: the next run starts with it. */
    let fit: number | undefined;
    /** A dense part a too-big slice showed at its newest end (Graph's default order). */
    let dense: { from: number; length: number } | undefined =
      o.pastBudget && this.options.dense && this.options.dense.fromInMs > from
        ? { from: this.options.dense.fromInMs, length: this.options.dense.sliceInMs }
        : undefined;
    while (at < to) {
      const left = budget - used;
      if (left <= 0) break;
      if (this.outOfTime()) break;
      if (burstAt !== undefined && at >= burstAt - 1) {
        length = minSliceInMs;
        burstAt = undefined;
      }
      // Up to a dense part seen newest-first, not into it; from there in slices of its span.
      if (dense && at >= dense.from) {
        length = dense.length;
        dense = undefined;
      } else if (dense) length = Math.max(minSliceInMs, Math.min(length, dense.from - at));
      const end = Math.min(to, at + length);
      const sliceLength = Math.max(1, end - at);
      const unsplittable = end - at <= minSliceInMs;
      const cap = unsplittable && o.pastBudget ? Number.POSITIVE_INFINITY : left;
      const slice = { from: new Date(at), to: new Date(end) };
      let pages = 0;
      let complete = true;
      const seen = { count: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
      const deadline = this.options.deadlineInMs !== undefined ? new Date(this.options.deadlineInMs) : undefined;
      try {
        for await (const page of this.source.listPages(
          { from: slice.from, to: slice.to, basis: this.window.basis },
          { abortSignal: this.options.abortSignal, deadline, log: this.options.log },
        )) {
          pages++;
          p.pages++;
          observe(page.events, seen);
          yield { ...page, slice };
          complete = !page.hasMore;
          if (complete || pages >= cap || this.outOfTime()) break;
        }
      } catch (err) {
        // The run's time is up (a retry wait would end past it): the slice stays unread, the run ends normally.
        if (!(err instanceof GraphReadError && err.kind === 'deadline')) throw err;
        p.outOfTime = true;
        complete = false;
      }
      used += pages;
      if (!complete) {
        // Cut short by what was left of the budget after other slices: the next run reads it whole.
        if (p.outOfTime || unsplittable || pages < budget) break;
        // Too big for a whole budget. The events seen tell the density when Graph pages newest (or oldest)
        // first: half their span holds half a budget. In any order, at most a quarter of the slice.
        p.splits++;
        // Every event seen in one millisecond: a burst there. Read up to it, then that millisecond alone.
        if (seen.count > 1 && seen.min === seen.max && seen.min >= at) {
          burstAt = Math.floor(seen.min);
          // Up to the millisecond before it; then [burst − 1, burst + 1] alone (unsplittable, read to its end).
          length = burstAt - 1 - at >= minSliceInMs ? Math.min(length - 1, burstAt - 1 - at) : minSliceInMs;
          if (!o.split) break;
          continue;
        }
        // The events seen tell the density: half their span holds about half a budget. When they are the
        // slice's newest part (Graph's documented and default order, newest first), read the older, unseen
        // part first, in slices of that length. With no span to go by, halve it (a binary search).
        const span = seen.count > 1 ? Math.max(length / 64, (seen.max - seen.min) / 2) : length / 2;
        if (seen.count > 1 && seen.min - at > length / 8) {
          // The older part's density is unknown: between "as dense" (the span) and "empty" (all of it), the
          // geometric mean; never past the dense part, which is then read in slices of its span.
          const older = seen.min - at - 1;
          dense = { from: seen.min - 1, length: Math.max(minSliceInMs, Math.floor(span)) };
          length = Math.max(minSliceInMs, Math.min(length - 1, older, Math.floor(Math.sqrt(older * span))));
        } else
          length = Math.max(
            minSliceInMs,
            Math.min(length - 1, Math.floor(seen.count > 1 ? Math.min(length / 4, span) : span)),
          );
        if (!o.split) break;
        continue;
      }
      if (unsplittable && pages > budget) p.unsplittable++;
      at = end;
      // After a burst's millisecond, try the rest at once; after an empty slice, eight times as long; with room
      // to spare (a quarter of the budget, or one page), twice as long. A dense rest is cut again from its span.
      if (unsplittable) length = whole;
      else if (seen.count === 0) length = Math.min(whole, length * 8);
      else if (pages * 4 <= budget || pages <= 1) length = Math.min(whole, length * 2);
      else {
        // Dense: its pages per millisecond size the next run's first slice to half a budget.
        fit = Math.max(minSliceInMs, Math.floor((sliceLength * budget) / 2 / pages));
        length = Math.min(length, fit);
      }
      // Within this run, to what is left of the budget, so the run's last slice is not cut short.
      const rest = budget - used;
      if (rest > 0 && pages > 1 && !unsplittable)
        length = Math.max(minSliceInMs, Math.min(length, Math.floor((sliceLength * rest * 0.9) / pages)));
    }
    if (o.pastBudget)
      this.progress.nextDense =
        dense && dense.from > at ? { fromInMs: dense.from, sliceInMs: dense.length } : undefined;
    return { completedTo: at, length: fit ?? length };
  }

  private outOfTime(): boolean {
    if (this.options.deadlineInMs !== undefined && this.now() >= this.options.deadlineInMs)
      this.progress.outOfTime = true;
    return this.progress.outOfTime;
  }
}

/** Counts a page's events and the span of their `activityDateTime` (raw Graph JSON; odd items ignored). */
function observe(events: readonly unknown[], seen: { count: number; min: number; max: number }): void {
  for (const e of events) {
    const text =
      typeof e === 'object' && e !== null ? (e as { activityDateTime?: unknown }).activityDateTime : undefined;
    const t = typeof text === 'string' ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(t)) continue;
    seen.count++;
    if (t < seen.min) seen.min = t;
    if (t > seen.max) seen.max = t;
  }
}
