/** One line of `pki-alerts doctor`: ✔ pass, ✖ fail, ! warn (advice, never changes the exit code), – skip. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface DoctorCheck {
  id: string;
  title: string;
  status: CheckStatus;
  /** A failed required check makes the exit code 1. */
  required: boolean;
  detail: string;
  /** What to do about it (fail and warn). */
  fix?: string;
  /** Figures for scripts (`--json`): never a secret. */
  data?: Record<string, unknown>;
}

export interface DoctorReport {
  ok: boolean;
  checkedAt: string;
  checks: DoctorCheck[];
}

export const graphPermissions = {
  auditEvents: 'DeviceManagementApps.Read.All',
  caDetails: 'DeviceManagementCloudCA.Read.All',
  mail: 'Mail.Send',
} as const;

const grantScript = "infra/scripts/grant-graph-permissions.sh --principal-id <object id of the app's identity>";

/** The grant command that adds a missing role (docs/deploy.md §3). */
export function grantCommand(role: string): string {
  const flag =
    role === graphPermissions.caDetails ? ' --cloud-ca' : role === graphPermissions.mail ? ' --mail-send' : '';
  return `${grantScript}${flag} (run by an Entra Privileged Role Administrator; for an app registration: API permissions → Microsoft Graph → Application permissions → ${role} → Grant admin consent)`;
}

/** The claims doctor reads from a Graph access token (decoded, not verified: Graph verifies it). Never the token itself. Pure. */
export function tokenClaims(
  token: string,
): { tenantId?: string; clientId?: string; roles: string[]; expiresAt?: string } | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
    const exp = typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : undefined;
    return {
      tenantId: text(claims.tid),
      clientId: text(claims.appid) ?? text(claims.azp),
      roles,
      ...(exp ? { expiresAt: exp } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Every required check passed. Pure. */
export const doctorOk = (checks: readonly DoctorCheck[]): boolean =>
  checks.every((c) => !c.required || c.status === 'pass' || c.status === 'warn');

const mark: Record<CheckStatus, string> = { pass: '✔', fail: '✖', warn: '!', skip: '–' };

/** The report as text: one line per check, the fix indented under it, then the verdict. Pure. */
export function formatDoctor(report: DoctorReport): string[] {
  const lines: string[] = [];
  for (const c of report.checks) {
    lines.push(`${mark[c.status]} ${c.title}: ${c.detail}${c.required || c.status === 'skip' ? '' : ' (optional)'}`);
    if (c.fix && (c.status === 'fail' || c.status === 'warn')) lines.push(`    fix: ${c.fix}`);
  }
  const failed = report.checks.filter((c) => c.required && c.status === 'fail').length;
  lines.push(
    '',
    report.ok
      ? 'All required checks passed.'
      : `${failed} required check(s) failed: fix them in order (a later check often fails because of an earlier one).`,
  );
  return lines;
}

/** Runs `work`, timing it, and returns its value or its error (a check reports a failure, never throws). */
export const settled = async <T>(
  work: () => Promise<T>,
): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number }> => {
  const started = Date.now();
  try {
    return { ok: true, value: await work(), ms: Date.now() - started };
  } catch (error) {
    return { ok: false, error, ms: Date.now() - started };
  }
};
