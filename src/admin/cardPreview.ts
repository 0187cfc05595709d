import type { AuditEvent } from '../audit/auditEvent';
import type { AuditSource } from '../audit/auditSource';
import { toAuditEvent } from '../audit/toAuditEvent';
import { AlertAccumulator } from '../dispatch/alertAccumulator';
import type { AlertRule } from '../rules/alertRule';
import { Detector } from '../detection/detector';
import { parseRule } from '../rules/parseRule';
import { buildTeamsMessage, type TeamsMessage } from '../notifiers/teams/teamsCard';
import { type FieldProblem, NotFoundError, ValidationError } from '../shared/errors';

export interface CardPreviewDeps {
  tenantId: string;
  source: AuditSource;
  clock: () => Date;
  intunePortalUrl: string;
}

/** What the admin page shows: the Teams message exactly as the notifier would post it for one event. */
export interface CardPreview {
  message: TeamsMessage;
  /** Where the event came from: the caller, Graph (a backtested event), or a made-up sample. */
  eventSource: 'given' | 'graph' | 'sample';
  eventId: string;
  /** Whether the rule (taken as enabled) matches the event; a sample may not. */
  matches: boolean;
  bytes: number;
}

type Input = { rule?: unknown; event?: unknown; eventRef?: unknown };
type EventRef = { id: string; activityDateTime: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Builds the card a rule would send for one event: `{ rule, event }` (a Graph-shaped audit event),
 * `{ rule, eventRef: { id, activityDateTime } }` (read back from Graph, e.g. an event a backtest listed),
 * or `{ rule }` alone (a made-up event of the rule's first activity type). Nothing is stored or sent; the
 * CA details lookup done before a real send is left out.
 */
export async function previewCard(deps: CardPreviewDeps, body: unknown): Promise<CardPreview> {
  if (!isObj(body))
    throw new ValidationError('preview', [
      { field: 'body', message: 'must be an object: { rule, event? | eventRef? }' },
    ]);
  const input = body as Input;
  const problems: FieldProblem[] = [];
  const extra = Object.keys(input).filter((k) => !['rule', 'event', 'eventRef'].includes(k));
  if (extra.length) problems.push({ field: extra.join(', '), message: 'is not a preview field' });
  let rule: AlertRule | undefined;
  try {
    rule = parseRule(input.rule);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    problems.push(...err.problems.map((p) => ({ field: `rule.${p.field}`, message: p.message })));
  }
  if (input.event !== undefined && input.eventRef !== undefined)
    problems.push({ field: 'event', message: 'give event or eventRef, not both' });
  let given: AuditEvent | undefined;
  if (input.event !== undefined) {
    const converted = toAuditEvent(input.event);
    if (converted.ok) given = converted.event;
    else problems.push({ field: 'event', message: `is not a Graph audit event (${converted.problem})` });
  }
  const ref = input.eventRef === undefined ? undefined : eventRefOf(input.eventRef, problems);
  if (problems.length || !rule) throw new ValidationError('preview', problems);

  const event = given ?? (ref ? await readEvent(deps.source, ref) : sampleEvent(rule, deps.clock()));
  const accumulator = new AlertAccumulator(1);
  accumulator.add(rule, event);
  const [pending] = accumulator.drain(deps.tenantId, deps.clock());
  const message = buildTeamsMessage(pending.alert, {
    deliveryId: `${pending.alert.id}.preview`,
    possibleDuplicate: false,
    intunePortalUrl: deps.intunePortalUrl,
  });
  // The poll's own detection stages (convert, own / read filter, match) decide whether the rule fires on it.
  const offered = new Detector([{ ...rule, enabled: true }]).offerEvent(event);
  const matches = offered.kind === 'event' && offered.rules.length > 0;
  return {
    message,
    eventSource: given ? 'given' : ref ? 'graph' : 'sample',
    eventId: event.id,
    matches,
    bytes: Buffer.byteLength(JSON.stringify(message)),
  };
}

function eventRefOf(value: unknown, problems: FieldProblem[]): EventRef | undefined {
  if (!isObj(value) || typeof value.id !== 'string' || value.id === '' || value.id.length > 200) {
    problems.push({ field: 'eventRef.id', message: 'must be the id of an audit event' });
    return undefined;
  }
  const at = typeof value.activityDateTime === 'string' ? Date.parse(value.activityDateTime) : Number.NaN;
  if (Number.isNaN(at)) {
    problems.push({ field: 'eventRef.activityDateTime', message: "must be the event's ISO 8601 activityDateTime" });
    return undefined;
  }
  return { id: value.id, activityDateTime: value.activityDateTime as string };
}

/** Reads one event back from Graph: the one-second window around its time, then by id. */
async function readEvent(source: AuditSource, ref: EventRef): Promise<AuditEvent> {
  const at = Date.parse(ref.activityDateTime);
  const window = {
    from: new Date(Math.floor(at / 1000) * 1000 - 1000),
    to: new Date(Math.floor(at / 1000) * 1000 + 2000),
    basis: 'first-run' as const,
  };
  for await (const page of source.listPages(window)) {
    for (const raw of page.events) {
      if (!isObj(raw) || raw.id !== ref.id) continue;
      const converted = toAuditEvent(raw);
      if (converted.ok) return converted.event;
    }
  }
  throw new NotFoundError(
    `audit event "${ref.id}" at ${ref.activityDateTime} was not found in Graph (it may be outside the audit retention)`,
  );
}

/** A plausible event for a rule with no real one at hand: marked as a sample in every name it carries. */
export function sampleEvent(rule: AlertRule, now: Date): AuditEvent {
  const activityType = (rule.activityTypes?.[0] ?? 'Patch CloudCertificationAuthority')
    .replace(/\*/g, 'CloudCertificationAuthority')
    .trim();
  const verb = activityType.split(' ')[0] ?? 'Action';
  const at = now.toISOString();
  return {
    id: '00000000-0000-4000-8000-000000000001',
    activityDateTime: at,
    activityTimeInMs: now.getTime(),
    activityType,
    activityOperationType: ['Create', 'Patch', 'Delete', 'Get', 'Search'].includes(verb) ? verb : 'Action',
    activityResult: rule.result === 'Failure' ? 'Failure' : 'Success',
    activity: null,
    category: 'Other',
    componentName: 'CloudPki',
    correlationId: '00000000-0000-4000-8000-0000000000c0',
    displayName: activityType,
    actor: {
      type: 'ItPro',
      userPrincipalName: 'sample.admin@contoso.example',
      userId: null,
      applicationId: null,
      applicationDisplayName: 'Microsoft Intune portal extension',
      servicePrincipalName: null,
      ipAddress: '203.0.113.7',
      remoteTenantId: null,
      remoteUserId: null,
    },
    resources: [
      {
        displayName: 'Sample Issuing CA',
        type: 'CloudCertificationAuthority',
        resourceId: '00000000-0000-4000-8000-0000000000ca',
        modifiedProperties: [{ name: 'Status', oldValue: 'active', newValue: 'paused' }],
      },
    ],
  };
}
