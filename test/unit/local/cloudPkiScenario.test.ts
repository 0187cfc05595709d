import { afterEach, describe, expect, it } from 'vitest';
import { cloudPkiScenario, liveCloudPkiEvent } from '../../../src/local/cloudPkiScenario';
import { GraphSimulator } from '../../../src/local/graphSimulator';

/** The fields these tests read; the generator returns `unknown` like raw Graph JSON. */
interface RawEvent {
  id: string;
  displayName: string | null;
  activityDateTime: string;
  activityType: string;
  activityOperationType: string;
  activityResult: string;
  category: string;
  componentName: string;
  correlationId: string;
  actor: Record<string, unknown> & {
    type: null;
    auditActorType: string;
    userPrincipalName: string | null;
    applicationId: string;
  };
  resources: {
    displayName: string | null;
    type: null;
    auditResourceType: string;
    resourceId: string | null;
    modifiedProperties: { displayName: string; oldValue: unknown; newValue: unknown }[];
  }[];
}

const NOW = new Date('2025-01-10T10:00:00.000Z');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const GRAPH_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/;
const CA = 'CloudCertificationAuthority';
const scenario = (options: Partial<Parameters<typeof cloudPkiScenario>[0]> = {}): RawEvent[] =>
  cloudPkiScenario({
    now: NOW,
    seed: 7,
    ownApplicationId: 'aaaaaaaa-0000-4000-8000-000000000001',
    ...options,
  }) as RawEvent[];
const ms = (event: RawEvent): number => Date.parse(event.activityDateTime);

describe('cloudPkiScenario', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(scenario({ seed: 7 })).toEqual(scenario({ seed: 7 }));
    const other = scenario({ seed: 8 });
    expect(other.map((e) => e.id)).not.toEqual(scenario({ seed: 7 }).map((e) => e.id));
    expect(other.map((e) => e.activityType).sort()).toEqual(
      scenario({ seed: 7 })
        .map((e) => e.activityType)
        .sort(),
    );
  });

  it.each([
    `Create ${CA}`,
    `Search ${CA}`,
    `Get ${CA}`,
    `Patch ${CA}`,
    `Delete ${CA}`,
    `Search ${CA}LeafCertificate`,
    `RevokeLeafCertAsync ${CA}LeafCertificate`,
    `UploadExternallySignedCertificationAuthorityCertificateAsync ${CA}`,
    `ChangeCloudCertificationAuthorityStatusAsync ${CA}`,
    `RevokeCloudCertificationAuthorityCertificateAsync ${CA}`,
  ])('contains %s', (activityType) => {
    expect(scenario().filter((e) => e.activityType === activityType).length).toBeGreaterThan(0);
  });

  it('has the Graph shape of doc §2 on every event', () => {
    const events = scenario();
    expect(events.length).toBeGreaterThan(50);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const e of events) {
      expect(e.id).toMatch(GUID);
      expect(e.correlationId).toMatch(GUID);
      expect(e.activityDateTime).toMatch(GRAPH_TIME);
      expect(e.displayName).toBe(e.activityType);
      const verb = e.activityType.split(' ')[0];
      expect(e.activityOperationType).toBe(
        ['Create', 'Patch', 'Delete', 'Get', 'Search'].includes(verb) ? verb : 'Action',
      );
      expect(e.actor.type).toBeNull();
      expect(['ItPro', 'Partner', 'Application']).toContain(e.actor.auditActorType);
      expect(e.resources.length).toBeGreaterThan(0);
      for (const r of e.resources) {
        expect(r.type).toBeNull();
        expect(r.auditResourceType).toMatch(/^\w+$/);
        for (const p of r.modifiedProperties) {
          for (const value of [p.oldValue, p.newValue]) expect(value === null || typeof value === 'string').toBe(true);
        }
      }
    }
  });

  it('keeps events inside the window, sorted, and honours hours', () => {
    for (const hours of [2, 1]) {
      const events = scenario({ hours });
      const times = events.map(ms);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(NOW.getTime() - hours * 3_600_000);
      expect(Math.max(...times)).toBeLessThanOrEqual(NOW.getTime());
      expect(events.map((e) => e.activityDateTime)).toEqual(events.map((e) => e.activityDateTime).sort());
    }
    expect(() => scenario({ hours: 0 })).toThrow(/hours/);
  });

  it('pauses a CA (active → paused) and has a failed delete', () => {
    const events = scenario();
    const pauses = events.filter(
      (e) =>
        e.activityType === `ChangeCloudCertificationAuthorityStatusAsync ${CA}` &&
        e.resources[0].modifiedProperties.some((p) => p.oldValue === 'active' && p.newValue === 'paused'),
    );
    expect(pauses.length).toBeGreaterThan(0);
    const failed = events.filter((e) => e.activityType === `Delete ${CA}` && e.activityResult === 'Failure');
    expect(failed).toHaveLength(1);
    expect(events.filter((e) => e.activityType === `Delete ${CA}` && e.activityResult === 'Success')).toHaveLength(1);
  });

  it('has a burst of 25 leaf revocations by one admin within 5 minutes', () => {
    const revokes = scenario().filter((e) => e.activityType.startsWith('RevokeLeafCertAsync'));
    const byAdmin = new Map<string | null, RawEvent[]>();
    for (const e of revokes)
      byAdmin.set(e.actor.userPrincipalName, [...(byAdmin.get(e.actor.userPrincipalName) ?? []), e]);
    const largestBurst = Math.max(
      ...[...byAdmin.values()].map((list) => {
        const times = list.map(ms).sort((a, b) => a - b);
        return Math.max(...times.map((t) => times.filter((u) => u >= t && u - t <= 5 * 60_000).length));
      }),
    );
    expect(largestBurst).toBeGreaterThanOrEqual(25);
  });

  it('mixes in reads, unrelated Intune events, a partner admin and the app itself', () => {
    const events = scenario();
    expect(events.filter((e) => e.activityOperationType === 'Get').length).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.activityOperationType === 'Search').length).toBeGreaterThanOrEqual(3);
    const unrelated = new Set(events.filter((e) => !e.activityType.includes(CA)).map((e) => e.category));
    expect([...unrelated]).toEqual(expect.arrayContaining(['Enrollment', 'DeviceConfiguration', 'Compliance', 'Role']));
    const partner = events.filter((e) => e.actor.auditActorType === 'Partner');
    expect(partner.length).toBeGreaterThan(0);
    expect(partner[0].actor.remoteTenantId).toMatch(GUID);
    const own = events.filter((e) => e.actor.applicationId === 'aaaaaaaa-0000-4000-8000-000000000001');
    expect(own).toHaveLength(1);
    expect(own[0].actor.auditActorType).toBe('Application');
    expect(own[0].actor.userPrincipalName).toBeNull();
  });

  it('names one CA with a Markdown injection attempt', () => {
    const names = scenario().flatMap((e) => e.resources.map((r) => r.displayName));
    expect(names).toContain('Contoso CA [Open Intune](https://evil.example) **urgent**');
  });

  it('uses tenantDomain for admins and CA names', () => {
    const events = scenario({ tenantDomain: 'fabrikam.com' });
    const admins = events.filter((e) => e.actor.auditActorType === 'ItPro').map((e) => e.actor.userPrincipalName);
    expect(admins.length).toBeGreaterThan(0);
    for (const upn of admins) expect(upn).toMatch(/@fabrikam\.com$/);
    const caNames = events
      .filter((e) => e.resources[0].auditResourceType === CA && e.resources[0].displayName !== null)
      .map((e) => e.resources[0].displayName);
    for (const name of caNames) expect(name).toMatch(/^Fabrikam /);
  });

  describe('served by the simulator', () => {
    let sim: GraphSimulator | undefined;
    afterEach(async () => sim?.close());

    it("answers the app's polling query (doc §4) with exactly the matching events", async () => {
      const events = scenario();
      sim = await GraphSimulator.start({ events });
      const from = '2025-01-10T08:30:00Z';
      const to = '2025-01-10T09:45:00Z';
      const filter = `activityDateTime ge ${from} and activityDateTime lt ${to} and activityOperationType ne 'Get'`;
      let next: string | undefined =
        `/beta/deviceManagement/auditEvents?$filter=${filter}&$orderby=activityDateTime desc&$top=10`;
      const served: RawEvent[] = [];
      while (next !== undefined) {
        const page = (await (await fetch(sim.baseUrl + next)).json()) as {
          value: RawEvent[];
          '@odata.nextLink'?: string;
        };
        served.push(...page.value);
        next = page['@odata.nextLink']?.replace('https://graph.microsoft.com', '');
      }
      const expected = events
        .filter((e) => ms(e) >= Date.parse(from) && ms(e) < Date.parse(to) && e.activityOperationType !== 'Get')
        .reverse();
      expect(expected.length).toBeGreaterThan(10);
      expect(served.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    });
  });
});

describe('liveCloudPkiEvent', () => {
  const live = (seed: number): RawEvent => liveCloudPkiEvent({ now: NOW, seed }) as RawEvent;

  it('is deterministic per seed and stamped at about now', () => {
    expect(live(3)).toEqual(live(3));
    expect(live(3).id).not.toBe(live(4).id);
    const event = live(3);
    expect(event.activityDateTime).toMatch(GRAPH_TIME);
    expect(ms(event)).toBeLessThanOrEqual(NOW.getTime());
    expect(ms(event)).toBeGreaterThan(NOW.getTime() - 1_000);
  });

  it('produces varied Cloud PKI admin actions, never reads', () => {
    const events = Array.from({ length: 60 }, (_, i) => live(i + 1));
    for (const e of events) {
      expect(e.activityType).toContain(CA);
      expect(['Get', 'Search']).not.toContain(e.activityOperationType);
      expect(e.actor.type).toBeNull();
    }
    expect(new Set(events.map((e) => e.activityType)).size).toBeGreaterThanOrEqual(5);
  });

  it('refers to the same CAs as the scenario for the same tenant', () => {
    const scenarioCaIds = new Set(
      scenario().flatMap((e) => e.resources.filter((r) => r.auditResourceType === CA).map((r) => r.resourceId)),
    );
    const liveCa = Array.from({ length: 30 }, (_, i) => live(i + 1)).find(
      (e) => e.resources[0].auditResourceType === CA,
    )!;
    expect(scenarioCaIds.has(liveCa.resources[0].resourceId)).toBe(true);
  });
});
