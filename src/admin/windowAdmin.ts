import { randomBytes } from 'node:crypto';
import { type ChangeWindow, type ChangeWindowStore, parseWindowInput } from '../dispatch/changeWindow';
import { mostSevere, protectedRulesCoveredBy } from '../dispatch/tamper';
import { defaultRulePack } from '../rules/defaultRulePack';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../shared/errors';
import { type ChangeRecorderDeps, recordChange, type TamperSpec } from './changeRecorder';
import type { HistoryEntry } from '../rules/ruleHistory';
import type { RuleRepository } from '../rules/ruleRepository';
import { canonicalJson } from '../shared/jsonDiff';

/** Tells the poll when a window ends, so the run after it checks windows (see windowSummaries.ts). */
export interface WindowSummaryHint {
  lower(tenantId: string, dueAt: string): Promise<void>;
}

export interface WindowAdminDeps extends ChangeRecorderDeps {
  windows: ChangeWindowStore;
  rules: RuleRepository;
  hint: WindowSummaryHint;
}

export type WindowStatus = 'scheduled' | 'active' | 'ended' | 'summarized';

export function windowStatus(w: ChangeWindow, now: Date): WindowStatus {
  if (w.summarizedAt) return 'summarized';
  if (Date.parse(w.end) <= now.getTime()) return 'ended';
  return Date.parse(w.start) <= now.getTime() ? 'active' : 'scheduled';
}

const view = (w: ChangeWindow, etag: string, now: Date) => ({ ...w, etag, status: windowStatus(w, now) });
export type WindowView = ReturnType<typeof view>;

export async function listWindows(deps: WindowAdminDeps, options: { current?: boolean } = {}): Promise<WindowView[]> {
  const now = deps.clock();
  const all = (await deps.windows.list(deps.tenantId)).map(({ window, etag }) => view(window, etag, now));
  return options.current ? all.filter((w) => w.status !== 'summarized') : all;
}

async function load(deps: WindowAdminDeps, id: string, ifMatch?: string) {
  const found = await deps.windows.get(deps.tenantId, id);
  if (!found) throw new NotFoundError(`change window "${id}" does not exist`);
  const given = ifMatch?.trim();
  if (given && given !== '*' && given !== found.etag)
    throw new PreconditionFailedError(`change window "${id}" was changed since ETag ${given} was read`);
  return found;
}

export async function getWindow(deps: WindowAdminDeps, id: string): Promise<WindowView> {
  const { window, etag } = await load(deps, id);
  return view(window, etag, deps.clock());
}

/** Opens a window. A window that could silence an enabled critical / high rule raises a tamper alert. */
export async function createWindow(deps: WindowAdminDeps, body: unknown, who: string): Promise<WindowView> {
  const now = deps.clock();
  const input = parseWindowInput(body, now);
  const window: ChangeWindow = {
    id: `cw-${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`,
    ...input,
    owner: input.owner ?? who,
    createdBy: who,
    createdAt: now.toISOString(),
  };
  const etag = await deps.windows.create(deps.tenantId, window);
  await deps.hint.lower(deps.tenantId, window.end);
  await recordChange(
    deps,
    { subject: 'window', subjectId: window.id, action: 'create', who, after: window },
    await tamperFor(deps, window, who, 'opened'),
  );
  return view(window, etag, now);
}

/** Changes a window that has not ended. Widening its scope or moving its end later counts as opening it again. */
export async function replaceWindow(
  deps: WindowAdminDeps,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
  who: string,
): Promise<WindowView> {
  const now = deps.clock();
  const { window: before, etag } = await load(deps, id, ifMatch);
  if (windowStatus(before, now) === 'ended' || before.summarizedAt)
    throw new ConflictError(`change window "${id}" has ended; open a new one`);
  const input = parseWindowInput(body, now, before);
  const after: ChangeWindow = {
    ...before,
    ...input,
    owner: input.owner ?? before.owner,
    updatedBy: who,
    updatedAt: now.toISOString(),
  };
  const newEtag = await deps.windows.replace(deps.tenantId, after, etag);
  await deps.hint.lower(deps.tenantId, after.end);
  const widened =
    canonicalJson(after.scope) !== canonicalJson(before.scope) || Date.parse(after.end) > Date.parse(before.end);
  await recordChange(
    deps,
    { subject: 'window', subjectId: id, action: 'replace', who, before, after },
    widened ? await tamperFor(deps, after, who, 'widened') : undefined,
  );
  return view(after, newEtag, now);
}

/** Ends an active window now; its summary goes out with the next poll. */
export async function endWindow(
  deps: WindowAdminDeps,
  id: string,
  ifMatch: string | undefined,
  who: string,
): Promise<WindowView> {
  const now = deps.clock();
  const { window: before, etag } = await load(deps, id, ifMatch);
  const status = windowStatus(before, now);
  if (status === 'scheduled') throw new ConflictError(`change window "${id}" has not started; delete it instead`);
  if (status !== 'active') throw new ConflictError(`change window "${id}" has already ended`);
  const after: ChangeWindow = { ...before, end: now.toISOString(), updatedBy: who, updatedAt: now.toISOString() };
  const newEtag = await deps.windows.replace(deps.tenantId, after, etag);
  await deps.hint.lower(deps.tenantId, after.end);
  await recordChange(deps, { subject: 'window', subjectId: id, action: 'end', who, before, after });
  return view(after, newEtag, now);
}

/**
 * Deletes a window that has not started, or one whose summary is done. An active window, or an ended one
 * whose summary is still due, cannot be deleted: its suppressed matches must still be reported.
 */
export async function deleteWindow(
  deps: WindowAdminDeps,
  id: string,
  ifMatch: string | undefined,
  who: string,
): Promise<void> {
  const { window, etag } = await load(deps, id, ifMatch);
  const status = windowStatus(window, deps.clock());
  if (status === 'active')
    throw new ConflictError(`change window "${id}" is active; end it first (POST /api/windows/${id}/end)`);
  if (status === 'ended')
    throw new ConflictError(
      `change window "${id}" has ended but its summary is not sent yet; delete it after the next poll`,
    );
  await deps.windows.delete(deps.tenantId, id, etag);
  await recordChange(deps, { subject: 'window', subjectId: id, action: 'delete', who, before: window });
}

export async function windowHistory(deps: WindowAdminDeps, id: string, limit = 100): Promise<HistoryEntry[]> {
  return deps.history.list(deps.tenantId, 'window', id, { limit });
}

async function tamperFor(
  deps: WindowAdminDeps,
  w: ChangeWindow,
  who: string,
  verb: 'opened' | 'widened',
): Promise<TamperSpec | undefined> {
  const { rules, problems } = await deps.rules.list(deps.tenantId);
  // An empty table gets the default pack on the next poll: judge the window against that.
  const covered = protectedRulesCoveredBy(w, rules.length === 0 && problems.length === 0 ? defaultRulePack : rules);
  if (covered.length === 0) return undefined;
  const names = covered.map((r) => r.id);
  return {
    ruleId: `tamper:window:${w.id}`,
    severity: mostSevere(covered.map((r) => r.severity)),
    title: `Tamper: change window ${verb} over ${covered.length} critical / high rule${covered.length === 1 ? '' : 's'}`,
    description: `${who} ${verb} change window ${w.id} (${w.start} to ${w.end}, reason: ${w.reason}) covering ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}. Matches are recorded, not sent, until it ends. If not planned, end it: POST /api/windows/${w.id}/end.`,
    channels: covered.flatMap((r) => r.channels),
  };
}
