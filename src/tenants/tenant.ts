import { z } from 'zod';

/**
 * A registered tenant (the Tenants table): one Entra tenant whose Cloud PKI audit events this deployment polls.
 * The home tenant (AZURE_TENANT_ID) is always polled and needs no row; with no rows the app polls only it.
 */
export interface Tenant {
  /** Entra tenant id, a GUID in lower case. */
  id: string;
  displayName: string;
  enabled: boolean;
  /**
   * Sign-in and consent as last seen by a poll: `unknown` until the first one, `ok`, `consent-missing` (AADSTS
   * error: the multi-tenant app is not consented in the tenant), `forbidden` (Graph 401 / 403: consented without
   * the permission, or revoked).
   */
  authState: TenantAuthState;
  /** The last sign-in / consent problem, one line (no secret). */
  authError?: string;
  /** When authState last changed. */
  authCheckedAt?: string;
  /** A tenant whose sign-in failed is polled again only from this time on (TENANT_AUTH_RETRY_MINUTES). */
  nextAuthRetryAt?: string;
  addedAt: string;
  addedBy?: string;
  etag?: string;
}

export type TenantAuthState = 'unknown' | 'ok' | 'consent-missing' | 'forbidden';
export const tenantAuthStates: readonly TenantAuthState[] = ['unknown', 'ok', 'consent-missing', 'forbidden'];

export const tenantIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A tenant id as given (any case, surrounding space) → its stored form, or undefined when it is not a GUID. */
export function normaliseTenantId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const id = value.trim().toLowerCase();
  return tenantIdPattern.test(id) ? id : undefined;
}

/** What an operator gives to add or change a tenant (`PUT /api/tenants/{id}`, `pki-alerts tenants add`). */
export const tenantInputSchema = z
  .object({
    displayName: z
      .string({ error: 'must be a string' })
      .trim()
      .min(1, 'must not be empty')
      .max(256, 'must be at most 256 characters'),
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
  })
  .strict();
export type TenantInput = z.infer<typeof tenantInputSchema>;

/** Where registered tenants live. */
export interface TenantStore {
  list(): Promise<Tenant[]>;
  get(id: string): Promise<Tenant | undefined>;
  /** Adds (`etag` undefined and `mustBeNew`: 409 when it exists) or replaces (`etag`: 412 when it changed). */
  put(tenant: Tenant, options?: { etag?: string; mustBeNew?: boolean }): Promise<Tenant>;
  /** Records a poll's sign-in outcome (merge; no ETag: the newest poll wins). */
  recordAuth(
    id: string,
    auth: Pick<Tenant, 'authState' | 'authError' | 'authCheckedAt' | 'nextAuthRetryAt'>,
  ): Promise<void>;
  remove(id: string): Promise<boolean>;
}

/** The poll message one queue entry carries: which tenant, and which timer interval it belongs to. */
export interface TenantPollMessage {
  v: 1;
  tenantId: string;
  /** Start of the timer interval (ISO), so a repeated message for the same interval is recognised. */
  slot: string;
  /** The tenant's display name and sign-in state when it was dispatched (saves the worker a read). */
  name?: string;
  auth?: TenantAuthState;
}

/** Parses a queue message (the Functions host may hand over text or an already-parsed object). */
export function parseTenantPollMessage(
  input: unknown,
  homeTenantId?: string,
): { ok: true; message: TenantPollMessage } | { ok: false; error: string } {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return { ok: false, error: 'the message is not JSON' };
    }
  }
  if (typeof value !== 'object' || value === null) return { ok: false, error: 'the message is not a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.v !== 1) return { ok: false, error: `field "v": must be 1 (got ${JSON.stringify(v.v) ?? 'nothing'})` };
  // The home tenant may be a domain name or, with the simulator, `simulator`: it is known, not parsed.
  const tenantId = v.tenantId === homeTenantId && homeTenantId ? homeTenantId : normaliseTenantId(v.tenantId);
  if (!tenantId) return { ok: false, error: 'field "tenantId": must be a tenant id (GUID)' };
  if (typeof v.slot !== 'string' || Number.isNaN(Date.parse(v.slot)))
    return { ok: false, error: 'field "slot": must be an ISO date-time' };
  const name = typeof v.name === 'string' && v.name.trim() !== '' ? v.name.slice(0, 256) : undefined;
  const auth = tenantAuthStates.includes(v.auth as TenantAuthState) ? (v.auth as TenantAuthState) : undefined;
  return { ok: true, message: { v: 1, tenantId, slot: new Date(v.slot).toISOString(), name, auth } };
}

/** The admin-consent link an Entra admin of `tenantId` opens to consent to the multi-tenant app. */
export function adminConsentUrl(tenantId: string, appClientId: string, redirectUri?: string): string {
  const url = new URL(`https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/v2.0/adminconsent`);
  url.searchParams.set('client_id', appClientId);
  url.searchParams.set('scope', 'https://graph.microsoft.com/.default');
  if (redirectUri) url.searchParams.set('redirect_uri', redirectUri);
  return url.toString();
}

/** Which timer intervals were dispatched already: `claim` is true once per interval, for one caller. */
export interface DispatchSlots {
  claim(slot: string): Promise<boolean>;
}

/** What the worker puts on the poison queue for a message it cannot read: the reason and (the start of) the text. */
export const setAsideText = (reason: string, text: string): string =>
  JSON.stringify({ setAside: reason, message: text.slice(0, 8_000) });

/**
 * A poison-queue message: a poll message the host gave up on, or one the worker set aside (setAsideText).
 * The tenant is named when the poll message inside parses.
 */
export function readPoisonedPoll(
  input: unknown,
  homeTenantId: string,
): { message?: TenantPollMessage; unreadable?: string; text: string } {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      value = undefined;
    }
  }
  const envelope = value as { setAside?: unknown; message?: unknown } | null | undefined;
  const unreadable = typeof envelope?.setAside === 'string' ? envelope.setAside : undefined;
  const parsed = parseTenantPollMessage(unreadable !== undefined ? envelope!.message : input, homeTenantId);
  return {
    ...(parsed.ok ? { message: parsed.message } : {}),
    ...(unreadable !== undefined ? { unreadable } : {}),
    text,
  };
}
