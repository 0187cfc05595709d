import type { Alert } from '../dispatch/alert';
import { alertIdFor } from '../dispatch/alertAccumulator';
import { watchdogRulePrefix, whatToDoMarker } from '../dispatch/watchdogAlert';
import type { Severity } from '../rules/alertRule';
import { formatDuration, formatInstant } from './coverage';
import type { Transition } from './incidents';
import type { Incident } from './runLedger';

interface Text {
  title: string;
  summary: string;
  whatToDo: string;
}

const grantHint =
  "Grant the Microsoft Graph application permission DeviceManagementApps.Read.All to the app's identity with admin consent: run infra/scripts/grant-graph-permissions.sh (needs an Entra Privileged Role Administrator), or Entra admin center → Enterprise applications → the identity → Permissions. Check that the tenant still has an Intune licence.";
const credentialHint =
  'In Azure: check that the user-assigned managed identity still exists, is assigned to the function app, and that AZURE_CLIENT_ID names it. With an app registration: renew the client secret or certificate (AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH) and check AZURE_TENANT_ID.';
const keptNote = 'The checkpoint is kept, so the time missed is read (and alerted) once polls succeed again.';

function openedText(i: Incident): Text {
  const channel = `'${i.subject ?? ''}'`;
  switch (i.condition) {
    case 'graph-auth':
      if (i.reason === 'forbidden') {
        return {
          title: 'Watchdog: Microsoft Graph denies access to audit events (403)',
          summary: `Graph answered 403 Forbidden to the audit-event query: the app's identity lacks DeviceManagementApps.Read.All (removed or never granted), or the tenant lost its Intune licence. No audit event is read, so no Cloud PKI alert can fire. ${keptNote} (${i.detail})`,
          whatToDo: grantHint,
        };
      }
      return {
        title:
          i.reason === 'sign-in'
            ? 'Watchdog: the app cannot sign in to Microsoft Graph'
            : "Watchdog: Microsoft Graph rejects the app's credential (401)",
        summary: `${i.reason === 'sign-in' ? 'Getting a token from Entra ID failed' : 'Graph answered 401 Unauthorized'}: the credential expired or was revoked, or the identity was removed. No audit event is read, so no Cloud PKI alert can fire. ${keptNote} (${i.detail})`,
        whatToDo: credentialHint,
      };
    case 'poll-failures':
      return {
        title: 'Watchdog: polling keeps failing',
        summary: `${i.detail}. Detection is stalled while this lasts. ${keptNote}`,
        whatToDo:
          'Look up the failures in Application Insights (traces "Reading Graph audit events failed", failed pollAuditEvents invocations). Check Microsoft Graph / Intune service health (Microsoft 365 admin center → Service health) and that the identity can reach Table Storage (role Storage Table Data Contributor).',
      };
    case 'lag':
      if (i.reason === 'stalled') {
        return {
          title: 'Watchdog: polling stopped for a while',
          summary: `${capital(i.detail)}: the timer did not fire (app stopped or restarting, host down, deployment). The events of that time are being read now from the checkpoint; nothing is skipped.`,
          whatToDo:
            'Check that the function app is running and the pollAuditEvents function is enabled; look for host restarts and "Timer is past due" in Application Insights. Point an uptime check at GET /api/health so a stop is noticed while it lasts.',
        };
      }
      return {
        title: 'Watchdog: detection is falling behind',
        summary: `${capital(i.detail)}: a backlog bigger than the page budget is being worked off, or Graph is slow. Alerts for recent events come late until it catches up.`,
        whatToDo:
          'It usually clears by itself. If the lag keeps growing, look for Graph throttling (429) in the log and raise GRAPH_MAX_PAGES_PER_RUN.',
      };
    case 'coverage-gap':
      return {
        title: 'Watchdog: coverage gap, audit events never scanned',
        summary: `A time range was never examined by any rule: ${i.detail}. The run ledger shows coverage up to its start, and the next window began after it: the checkpoint row (PollState) was deleted or reset, so polling started over from INITIAL_LOOKBACK_MINUTES.`,
        whatToDo:
          'Review the Intune audit log for that range (Intune admin center → Tenant administration → Audit logs), or export it and run "pki-alerts replay --events FILE". To have the app rescan it, set the PollState checkpoint row of this tenant to scannedTo = the gap start with complete = false (alerted events are de-duplicated).',
      };
    case 'admin-api-closed':
      return {
        title: 'Watchdog: the admin API is closed (App Service Authentication not verified)',
        summary: `Every admin route (rules, change windows, channels, alerts, health detail, the admin page's data) answers 503: ${i.detail.replace(/^Admin API closed: /, '')}. Detection and alerting go on as before; only administration is refused, so nobody can change rules until this is fixed.`,
        whatToDo:
          'Function App → Authentication: turn it on with the Microsoft provider and the app registration named in ADMIN_AUTH_CLIENT_ID (the template does this with enableAppServiceAuth=true). If it was switched off on purpose, set ADMIN_AUTH_MODE=key. If nobody here changed it, treat it as tampering: review the activity log of the function app.',
      };
    case 'tenant-stalled':
      return tenantStalledText(i);
    case 'channel-failing':
      return {
        title: `Watchdog: alert channel ${channel} is failing`,
        summary: `Deliveries to channel ${channel} keep failing: ${i.detail}. Alerts for it wait in the outbox and are retried; after DELIVERY_MAX_AGE_MINUTES they are dead-lettered.`,
        whatToDo:
          "Open the channel's Workflows flow in Teams: is it on, does its owner still exist, what does its run history say? 404 means the flow was deleted or its URL rotated: create a new one and update the webhook URL secret in Key Vault. 401 / 403 mean the trigger's auth mode changed. GET /api/alerts shows each delivery's last status.",
      };
  }
}

function resolvedText(i: Incident, at: string): Text {
  const lasted = `after ${formatDuration(Date.parse(at) - Date.parse(i.openedAt))} (since ${formatInstant(i.openedAt)})`;
  const title = openedText(i).title.replace(/^Watchdog: /, 'Resolved: ');
  switch (i.condition) {
    case 'coverage-gap': {
      const ranges = (i.gaps ?? []).map((g) => `${formatInstant(g.from)} – ${formatInstant(g.to)}`).join('; ');
      return {
        title,
        summary: `Coverage is continuous again ${lasted}.`,
        whatToDo: `Nothing for new events. The gap (${ranges || i.detail}) stays unscanned unless it was reviewed or rescanned as described in the first message.`,
      };
    }
    case 'channel-failing':
      return {
        title: `Resolved: alert channel '${i.subject ?? ''}' delivers again`,
        summary: `A delivery to channel '${i.subject ?? ''}' succeeded ${lasted}.`,
        whatToDo:
          'Nothing: alerts that waited for it are sent from the outbox (dead-lettered ones are listed by GET /api/alerts).',
      };
    case 'admin-api-closed':
      return {
        title: 'Resolved: the admin API is open again',
        summary: `App Service Authentication is verified again ${lasted}: admin routes serve requests, app roles decide.`,
        whatToDo:
          "Nothing. If the closure was not planned, check the function app's activity log for who changed Authentication or the app settings.",
      };
    case 'tenant-stalled':
      return tenantResolvedText(i, lasted);
    case 'lag':
      return {
        title: 'Resolved: polling is up to date',
        summary: `The checkpoint is within the lag threshold again ${lasted}.`,
        whatToDo: 'Nothing.',
      };
    default:
      return {
        title,
        summary: `Polls succeed again ${lasted}. The time missed is read from the checkpoint; any alerts for it follow.`,
        whatToDo: 'Nothing.',
      };
  }
}

/** The outbox alert for one watchdog transition. Its id is deterministic, so concurrent runs write it once. */
export function watchdogAlert(tenantId: string, t: Transition): Alert {
  const text = t.change === 'opened' ? openedText(t.incident) : resolvedText(t.incident, t.at);
  const severity: Severity = t.change === 'opened' ? 'high' : 'low';
  const ruleId = `${watchdogRulePrefix}${t.incident.condition}`;
  return message(
    tenantId,
    ruleId,
    `${t.incident.key}#${t.incident.seq}:${t.change}`,
    severity,
    text,
    t.incident.openedAt,
    t.at,
  );
}

/** An outbox alert carrying a watchdog / heartbeat text (no events). */
export function message(
  tenantId: string,
  ruleId: string,
  idSeed: string,
  severity: Severity,
  text: Text,
  from: string,
  at: string,
): Alert {
  return {
    id: alertIdFor(tenantId, ruleId, idSeed),
    tenantId,
    ruleId,
    ruleName: text.title,
    severity,
    ruleDescription: `${text.summary}${whatToDoMarker}${text.whatToDo}`,
    eventCount: 0,
    events: [],
    firstEventTime: from,
    lastEventTime: at,
    createdAt: at,
    // Not a rule alert: never grouped into a digest, enriched, or the subject of a failover notice.
    kind: 'watchdog',
  };
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const tenantLabel = (i: Incident) => `'${i.subjectName ?? i.subject ?? ''}' (${i.subject ?? ''})`;

// The home tenant's check that every registered tenant is polled (tenantStalls.ts).
function tenantStalledText(i: Incident): Text {
  const check =
    'Check that the pollTenant function runs and the queue tenant-polls drains: in Application Insights, the pollTenant invocations and their failures, and the timer\'s "Dispatched … tenant poll(s)" lines (a FAILED enqueue names the tenant). Look for its messages in the poison queue tenant-polls-poison.';
  if (!i.subject)
    return {
      title: 'Watchdog: more tenants are not being polled',
      summary: `Besides the tenants alerted one by one, ${i.detail}. When many tenants stall at once, the queue trigger or the dispatch is the likely cause, not the tenants. No audit event of them is read, so none of their Cloud PKI alerts can fire; their checkpoints are kept and the missed time is read once their polls run again.`,
      whatToDo: `${check} GET /api/health/detail lists every stalled tenant.`,
    };
  return {
    title: `Watchdog: tenant ${tenantLabel(i)} is not being polled`,
    summary: `Registered tenant ${tenantLabel(i)} is enabled, but it was ${i.detail}: its polls stopped happening (its tenant-polls messages expire unprocessed, the queue trigger is not running, or they are not dispatched). No audit event of this tenant is read, so none of its Cloud PKI alerts can fire. Its checkpoint is kept: the missed time is read once its polls run again.`,
    whatToDo: `${check} Then run "pki-alerts tenants check ${i.subject}" to test its sign-in and Graph access. Disabling or removing the tenant also resolves this message.`,
  };
}

function tenantResolvedText(i: Incident, lasted: string): Text {
  if (!i.subject)
    return {
      title: 'Resolved: no more tenants beyond those alerted one by one are stalled',
      summary: `At most the tenants alerted one by one are still not polled, ${lasted}.`,
      whatToDo: 'Nothing for this message; each remaining stalled tenant has its own.',
    };
  const label = tenantLabel(i);
  const why: Record<string, [string, string]> = {
    polled: [
      `tenant ${label} is polled again`,
      `Its polls run again ${lasted}${i.detail ? ` (${i.detail})` : ''}. The missed time is read from its checkpoint; any alerts for it follow.`,
    ],
    disabled: [
      `tenant ${label} was disabled`,
      `The tenant was disabled ${lasted}: it is no longer polled, so it is no longer watched either.`,
    ],
    removed: [
      `tenant ${label} was removed`,
      `The tenant is no longer registered ${lasted}: it is no longer polled or watched. Its checkpoint and history are kept.`,
    ],
    'sign-in-failing': [
      `tenant ${label} now fails to sign in`,
      `The tenant's sign-in or consent fails (consent-missing / forbidden) ${lasted}: such a tenant is polled only every TENANT_AUTH_RETRY_MINUTES, and its own watchdog message about Graph access covers it, so it is not reported as stalled.`,
    ],
  };
  const [title, summary] = why[i.resolution ?? 'polled'] ?? why.polled;
  return {
    title: `Resolved: ${title}`,
    summary,
    whatToDo:
      i.resolution === 'sign-in-failing'
        ? `Run "pki-alerts tenants check ${i.subject}" after granting consent.`
        : 'Nothing.',
  };
}
