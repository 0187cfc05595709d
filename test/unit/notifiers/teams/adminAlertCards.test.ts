import { describe, expect, it } from 'vitest';
import { buildTeamsMessage } from '../../../../src/notifiers/teams/teamsCard';
import { sampleAlert } from '../../../helpers/alertFixtures';

const text = (alert: ReturnType<typeof sampleAlert>) =>
  JSON.stringify(
    buildTeamsMessage(alert, {
      deliveryId: 'd1',
      possibleDuplicate: false,
      intunePortalUrl: 'https://intune.microsoft.com',
    }),
  );

describe('cards about the alerting itself', () => {
  it.each([
    ['tamper:cloudpki-ca-deleted', 'The alerting itself was changed', /"0 events/],
    ['window:w1', 'recorded, not sent', /Confirm with the PKI owner/],
  ])('%s gets its own guidance, not the Cloud PKI one', (ruleId, guidance, absent) => {
    const card = text(
      sampleAlert({ ruleId, ruleName: 'Rule changed', events: [], eventCount: ruleId.startsWith('window:') ? 7 : 0 }),
    );
    expect(card).toContain(guidance);
    expect(card).not.toMatch(absent);
    if (ruleId.startsWith('window:')) expect(card).toContain('7 suppressed events');
  });
});
