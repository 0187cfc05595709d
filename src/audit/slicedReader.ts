import type { AuditPage, AuditSource } from './auditSource';
import type { PollWindow } from './pollWindow';

/** A slice this short is not split further: in the forward range it is read to its end, whatever the budget. */
export const minSliceInMs = 1;

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
}

export interface SliceReaderOptions {
  maxPages: number;
  /** Where new ground starts (the checkpoint); before it is the lookback, re-read for late events. Default: window.from. */
  forwardFrom?: number;
  /** Slice length to start with (from the checkpoint); undefined = the whole window. */
  sliceInMs?: number;
  /** Epoch ms after which no new request is started. */
  deadlineInMs?: number;
  now?: () => number;
  abortSignal?: AbortSignal;
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
 * - A slice may use at most half of the pages left (at least one). When it needs more it is abandoned and
 *   the slice length cut to a quarter; its events, already handed out, are de-duplicated when re-read.
 * - After a slice that took at most a quarter of its cap, the next one is twice as long.
 * - The window is first tried as one slice (an idle poll is one request). When that is too big, the lookback
 *   range (before `forwardFrom`) gets at most half the budget, and the forward range the rest, at least half:
 *   re-reading a dense lookback can slow progress but never stop it.
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
    this.forwardFrom = Math.min(window.to.getTime(), Math.max(window.from.getTime(), options.forwardFrom ?? window.from.getTime()));
    this.progress = { completedTo: this.forwardFrom, lookbackComplete: this.forwardFrom <= window.from.getTime(), pages: 0, budgetExhausted: false, outOfTime: false, splits: 0, unsplittable: 0, nextSliceInMs: options.sliceInMs };
  }

  async *pages(): AsyncIterable<SlicePage> {
    const p = this.progress;
    const from = this.window.from.getTime();
    const to = this.window.to.getTime();
    const budget = this.options.maxPages;
    const half = Math.max(1, Math.ceil(budget / 2));
    if (this.options.sliceInMs === undefined) {
      // One try of the whole window: the common case, and an idle poll's one request.
      const whole = yield* this.readRange(from, to, to - from, half, { split: false, pastBudget: false });
      if (whole.completedTo >= to) {
        Object.assign(p, { completedTo: to, lookbackComplete: true, nextSliceInMs: undefined });
        return;
      }
    }
    if (this.forwardFrom > from && !p.outOfTime) {
      const lookbackBudget = Math.floor(budget / 2) - p.pages;
      if (lookbackBudget > 0) {
        const lookback = yield* this.readRange(from, this.forwardFrom, this.options.sliceInMs ?? this.forwardFrom - from, lookbackBudget, { split: true, pastBudget: false });
        p.lookbackComplete = lookback.completedTo >= this.forwardFrom;
      }
    }
    if (p.outOfTime) return;
    const forwardBudget = Math.max(half, budget - p.pages);
    const forward = yield* this.readRange(this.forwardFrom, to, this.options.sliceInMs ?? to - this.forwardFrom, forwardBudget, { split: true, pastBudget: true });
    p.completedTo = forward.completedTo;
    p.budgetExhausted = forward.completedTo < to && !p.outOfTime;
    p.nextSliceInMs = forward.length >= to - this.forwardFrom ? undefined : forward.length;
  }

  /** Reads [from, to] in slices within `budget` pages; returns how far it got completely, and the slice length. */
  private async *readRange(from: number, to: number, startLength: number, budget: number, o: { split: boolean; pastBudget: boolean }): AsyncGenerator<SlicePage, RangeResult> {
    const p = this.progress;
    const whole = Math.max(minSliceInMs, to - from);
    let length = Math.min(whole, Math.max(minSliceInMs, startLength));
    let used = 0;
    let at = from;
    while (at < to) {
      const left = budget - used;
      if (left <= 0) break;
      if (this.outOfTime()) break;
      const end = Math.min(to, at + length);
      const unsplittable = end - at <= minSliceInMs;
      const cap = unsplittable && o.pastBudget ? Number.POSITIVE_INFINITY : o.split ? Math.max(1, Math.ceil(left / 2)) : left;
      const slice = { from: new Date(at), to: new Date(end) };
      let pages = 0;
      let complete = true;
      for await (const page of this.source.listPages({ from: slice.from, to: slice.to, basis: this.window.basis }, { abortSignal: this.options.abortSignal })) {
        pages++;
        p.pages++;
        yield { ...page, slice };
        complete = !page.hasMore;
        if (complete || pages >= cap || this.outOfTime()) break;
      }
      used += pages;
      if (!complete) {
        if (!o.split || p.outOfTime || unsplittable) break;
        // Too big for what is left of the budget: a quarter as long, so a dense range converges fast.
        p.splits++;
        length = Math.max(minSliceInMs, Math.floor(length / 4));
        continue;
      }
      if (unsplittable && pages > budget) p.unsplittable++;
      at = end;
      if (pages * 4 <= cap || pages <= 1 || unsplittable) length = Math.min(whole, length * 2);
    }
    return { completedTo: at, length };
  }

  private outOfTime(): boolean {
    if (this.options.deadlineInMs !== undefined && this.now() >= this.options.deadlineInMs) this.progress.outOfTime = true;
    return this.progress.outOfTime;
  }
}
