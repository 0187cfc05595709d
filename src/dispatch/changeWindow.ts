import { z } from 'zod';
import type { AuditEvent } from '../audit/auditEvent';
import type { AlertRule } from '../rules/alertRule';
import { type FieldProblem, ValidationError } from '../shared/errors';

/** What a change window silences: every given list must match (AND); inside a list any entry (OR). */
export interface ChangeWindowScope {
  ruleIds?: string[];
  /** CA ids (`resources[].resourceId`), case-insensitive. */
  caIds?: string[];
  /** Actor UPNs, service principal names or application ids, case-insensitive, exact. */
  actors?: string[];
}

/**
 * A change window (silence): matches inside it are recorded, not sent, and one summary goes out when it
 * ends. Stored in the `ChangeWindows` table; every change is versioned in the rule history.
 */
export interface ChangeWindow {
  id: string;
  scope: ChangeWindowScope;
  /** ISO times; the window covers events with start ≤ activityDateTime < end. */
  start: string;
  end: string;
  reason: string;
  owner: string;
  createdBy: string;
  createdAt: string;
  updatedBy?: string;
  updatedAt?: string;
  /** Set once the end-of-window summary is in the outbox (or there was nothing to summarize). */
  summarizedAt?: string;
  summaryAlertId?: string;
  suppressedCount?: number;
}

/** The fields an admin sets. */
export type ChangeWindowInput = Pick<ChangeWindow, 'scope' | 'end' | 'reason'> & { start?: string; owner?: string };

/** Longest window accepted: a silence longer than a week is not a change window. */
export const maxWindowInDays = 7;
/** How far before "now" a new window may start (clock skew), so a window cannot silence the past. */
export const maxBackdateInMinutes = 5;

// Bounded so the stored scope fits one Table property (32K characters).
const list = z
  .array(z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters'))
  .max(50, 'must list at most 50 entries');
/** What an admin sends for a window (POST /api/windows, PUT /api/windows/{id}); also the OpenAPI document's schema. */
export const changeWindowInputSchema = z
  .object({
    scope: z
      .object(
        { ruleIds: list.optional(), caIds: list.optional(), actors: list.optional() },
        { error: 'must be an object with ruleIds, caIds and / or actors' },
      )
      .strict(),
    start: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    end: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    reason: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
    owner: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

const fieldOf = (path: readonly PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('');

/**
 * Validates what an admin sends for a window (times checked against `now`; an `existing` window may keep a
 * start in the past). Throws a ValidationError naming each bad field. Pure.
 */
export function parseWindowInput(
  input: unknown,
  now: Date,
  existing?: ChangeWindow,
): ChangeWindowInput & { start: string } {
  const parsed = changeWindowInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(
      'change window',
      parsed.error.issues.map((i) => ({
        field: i.path.length
          ? fieldOf(i.path)
          : i.code === 'unrecognized_keys'
            ? (i as { keys: string[] }).keys.join(', ')
            : 'window',
        message: i.code === 'unrecognized_keys' ? 'is not a known change window field' : i.message,
      })),
    );
  }
  const w = parsed.data;
  const problems: FieldProblem[] = [];
  const scope = Object.fromEntries(Object.entries(w.scope).filter(([, v]) => v && v.length > 0)) as ChangeWindowScope;
  if (Object.keys(scope).length === 0)
    problems.push({
      field: 'scope',
      message: 'must list at least one of ruleIds, caIds, actors (a window never silences everything)',
    });
  const startMs = w.start ? Date.parse(w.start) : existing ? Date.parse(existing.start) : now.getTime();
  const endMs = Date.parse(w.end);
  const started = existing !== undefined && Date.parse(existing.start) <= now.getTime();
  if (started && w.start && Date.parse(w.start) !== Date.parse(existing.start))
    problems.push({ field: 'start', message: 'cannot change once the window has started' });
  else if (!started && startMs < now.getTime() - maxBackdateInMinutes * 60_000)
    problems.push({
      field: 'start',
      message: `must not be more than ${maxBackdateInMinutes} minutes in the past (a window cannot silence what already happened)`,
    });
  if (endMs <= startMs) problems.push({ field: 'end', message: 'must be after start' });
  else if (endMs - startMs > maxWindowInDays * 86_400_000)
    problems.push({ field: 'end', message: `must be at most ${maxWindowInDays} days after start` });
  if (endMs <= now.getTime())
    problems.push({ field: 'end', message: 'must be in the future (to end a window now, POST /api/windows/{id}/end)' });
  if (problems.length > 0) throw new ValidationError('change window', problems);
  return {
    scope,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    reason: w.reason,
    ...(w.owner ? { owner: w.owner } : {}),
  };
}

const lower = (values: readonly string[] | undefined) => (values ? values.map((v) => v.toLowerCase()) : undefined);

/** True when the window's scope could apply to this rule (ignoring time): for tamper checks. Pure. */
export const windowMayCoverRule = (window: ChangeWindow, ruleId: string): boolean =>
  !window.scope.ruleIds || window.scope.ruleIds.includes(ruleId);

/** True when the window is in force at `timeInMs`: started, not ended, and its summary not yet sent. Pure. */
export const windowSilencesAt = (window: ChangeWindow, timeInMs: number): boolean =>
  !window.summarizedAt && Date.parse(window.start) <= timeInMs && timeInMs < Date.parse(window.end);

/** True when the window silences this rule's match of this event (by the event's time). Pure. */
export function windowCovers(window: ChangeWindow, rule: AlertRule, event: AuditEvent): boolean {
  if (!windowSilencesAt(window, event.activityTimeInMs) || !windowMayCoverRule(window, rule.id)) return false;
  const caIds = lower(window.scope.caIds);
  if (caIds && !event.resources.some((r) => r.resourceId !== null && caIds.includes(r.resourceId.toLowerCase())))
    return false;
  const actors = lower(window.scope.actors);
  if (actors) {
    const a = event.actor;
    const who = [a.userPrincipalName, a.servicePrincipalName, a.applicationId]
      .filter((v): v is string => !!v)
      .map((v) => v.toLowerCase());
    if (!who.some((w) => actors.includes(w))) return false;
  }
  return true;
}

/** Windows store (the `ChangeWindows` table), ETag-guarded like rules. */
export interface ChangeWindowStore {
  list(tenantId: string): Promise<{ window: ChangeWindow; etag: string }[]>;
  get(tenantId: string, id: string): Promise<{ window: ChangeWindow; etag: string } | undefined>;
  /** ConflictError when the id exists. Returns the ETag. */
  create(tenantId: string, window: ChangeWindow): Promise<string>;
  /** PreconditionFailedError on a stale ETag or a missing window. Returns the new ETag. */
  replace(tenantId: string, window: ChangeWindow, etag: string): Promise<string>;
  delete(tenantId: string, id: string, etag: string): Promise<void>;
}
