import type { Severity } from '../rules/alertRule';
import type { PendingAlert } from './alertAccumulator';
import { tamperAlert } from './tamper';

/**
 * The admin API's effective authorization setup, as recorded in state by every poll run: who may change rules,
 * windows and channels. In `key` mode that is any function-key holder (roles and client id play no part, so
 * they are not recorded); in `entra` mode the app registration and the two app roles.
 */
export type AuthConfigRecord =
  { mode: 'key' } | { mode: 'entra'; clientId: string; adminRole: string; readerRole: string };

/** The record of some auth settings (ADMIN_AUTH_MODE, ADMIN_AUTH_CLIENT_ID, ADMIN_APP_ROLE, READER_APP_ROLE). Pure. */
export function authConfigRecord(auth: {
  mode: 'key' | 'entra';
  clientId?: string;
  adminRole: string;
  readerRole: string;
}): AuthConfigRecord {
  return auth.mode === 'key'
    ? { mode: 'key' }
    : { mode: 'entra', clientId: auth.clientId?.trim() ?? '', adminRole: auth.adminRole, readerRole: auth.readerRole };
}

const describe = (r: AuthConfigRecord): string =>
  r.mode === 'key'
    ? 'function keys (any key holder is an admin)'
    : `Entra ID, app registration ${r.clientId || '(none)'}, admin role ${r.adminRole}, reader role ${r.readerRole}`;

export interface AuthConfigChange {
  severity: Severity;
  title: string;
  /** What changed, field by field. */
  changes: string[];
  description: string;
}

/**
 * Decides whether the recorded auth setup changed between two runs, and how badly: a move to function keys
 * (every key holder becomes an admin), another app registration or another admin role hands the admin API to
 * other people, so `critical`; anything else (a reader role, a move to Entra) `high`. Undefined when nothing
 * changed or there is no earlier record (first run). Pure.
 */
export function authConfigChange(
  before: AuthConfigRecord | undefined,
  after: AuthConfigRecord,
): AuthConfigChange | undefined {
  if (!before) return undefined;
  const changes: string[] = [];
  if (before.mode !== after.mode) changes.push(`ADMIN_AUTH_MODE ${before.mode} → ${after.mode}`);
  if (before.mode === 'entra' && after.mode === 'entra') {
    if (before.clientId !== after.clientId)
      changes.push(`ADMIN_AUTH_CLIENT_ID ${before.clientId || '(none)'} → ${after.clientId || '(none)'}`);
    if (before.adminRole !== after.adminRole) changes.push(`ADMIN_APP_ROLE ${before.adminRole} → ${after.adminRole}`);
    if (before.readerRole !== after.readerRole)
      changes.push(`READER_APP_ROLE ${before.readerRole} → ${after.readerRole}`);
  }
  if (changes.length === 0) return undefined;
  const widened =
    after.mode === 'key'
      ? before.mode !== 'key'
      : before.mode === 'entra' && (before.clientId !== after.clientId || before.adminRole !== after.adminRole);
  return {
    severity: widened ? 'critical' : 'high',
    title: `Tamper: admin API authorization changed (${changes.map((c) => c.split(' ')[0]).join(', ')})`,
    changes,
    description:
      `The admin API's authorization setup changed since the last poll run: ${changes.join('; ')}. Before: ${describe(before)}. Now: ${describe(after)}. ` +
      'Whoever may now change rules, change windows and channels could silence alerts. If this was not planned, restore the app settings ' +
      "(Function App → Environment variables) and App Service Authentication, and review the app's activity log for who changed them.",
  };
}

/**
 * The tamper alert of an auth setup change. Its id comes from `seq` (per tenant, increasing, kept in the watchdog
 * state) and the change itself: deterministic, so concurrent runs that see the same change write one alert, and
 * distinct from earlier changes even if the state row was lost and the sequence restarted. Pure.
 */
export function authConfigTamperAlert(
  tenantId: string,
  change: AuthConfigChange,
  seq: number,
  channels: readonly string[],
  at: Date,
): PendingAlert {
  return tamperAlert({
    tenantId,
    ruleId: 'tamper:admin-auth',
    historyId: `admin-auth#${seq}:${change.changes.join(';')}`,
    severity: change.severity,
    title: change.title,
    description: change.description,
    channels: [...channels],
    at,
  });
}
