import { describe, expect, it } from 'vitest';
import { alertTitle, statusTransition } from '../../../../src/notifiers/content/title';
import { cloudPkiActivityTypes as T, sampleAlert, sampleEvent, sampleResource } from '../../../helpers/alertFixtures';

const statusEvent = (oldValue: string | null, newValue: string | null, caId = 'ca-1', name = 'Status') =>
  sampleEvent({
    activityType: T.caStatusChanged,
    resources: [sampleResource({ resourceId: caId, modifiedProperties: [{ name, oldValue, newValue }] })],
  });
const statusAlert = (...events: ReturnType<typeof statusEvent>[]) =>
  sampleAlert({ ruleName: 'Cloud PKI CA paused or resumed', severity: 'high', events });

describe('card title names the status transition', () => {
  it.each([
    ['active → paused', statusAlert(statusEvent('active', 'paused')), 'Cloud PKI CA paused'],
    ['paused → active', statusAlert(statusEvent('paused', 'active')), 'Cloud PKI CA resumed'],
    ['→ revoked', statusAlert(statusEvent('active', 'revoked')), 'Cloud PKI CA revoked'],
    [
      'two CAs paused',
      statusAlert(statusEvent('active', 'paused', 'a'), statusEvent('active', 'paused', 'b')),
      'Cloud PKI CAs (2) paused',
    ],
    [
      'mixed transitions',
      statusAlert(statusEvent('active', 'paused', 'a'), statusEvent('paused', 'active', 'b')),
      'Cloud PKI CA paused or resumed',
    ],
    ['new status not recorded', statusAlert(statusEvent(null, null)), 'Cloud PKI CA paused or resumed'],
    [
      'an unverified property name, one candidate',
      statusAlert(statusEvent('Active', 'Paused', 'ca-1', 'caState')),
      'Cloud PKI CA paused',
    ],
  ])('%s → %s', (_n, alert, title) => {
    expect(alertTitle(alert)).toBe(title);
  });

  it('keeps an admin-written rule name and adds the transition', () => {
    expect(alertTitle({ ...statusAlert(statusEvent('active', 'paused')), ruleName: 'Partner touched our CA' })).toBe(
      'Partner touched our CA: CA paused',
    );
  });

  it('is unknown when some events are not in the sample, and for other activity types', () => {
    expect(statusTransition({ ...statusAlert(statusEvent('active', 'paused')), eventCount: 5 })).toBeUndefined();
    expect(alertTitle(sampleAlert())).toBe('Cloud PKI CA certificate revoked');
  });
});
