import { describe, expect, it } from 'vitest';
import { describeUrl, redactSecrets } from '../../../src/shared/redact';

const flow = '0123456789abcdef0123456789abcdef';
const workflowsUrl =
  `https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/${flow}` +
  '/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbC-123_secret';

describe('redactSecrets', () => {
  it.each([
    [
      'sig query value',
      'POST https://x.logic.azure.com/a?api-version=1&sig=SeCrEt123 failed',
      'POST https://x.logic.azure.com/a?api-version=1&sig=REDACTED failed',
    ],
    ['first query parameter', 'https://h/p?sig=abc&x=1', 'https://h/p?sig=REDACTED&x=1'],
    ['upper-case name', 'https://h/p?SIG=abc', 'https://h/p?SIG=REDACTED'],
    ['code', 'https://f.azurewebsites.net/api/x?code=fnKey==', 'https://f.azurewebsites.net/api/x?code=REDACTED'],
    ['key', '?key=k1', '?key=REDACTED'],
    ['token', '&token=t1#frag', '&token=REDACTED#frag'],
    ['signature', '?signature=s1 next', '?signature=REDACTED next'],
    ['api-key', '?api-key=a1', '?api-key=REDACTED'],
    ['api_key', '?api_key=a1', '?api_key=REDACTED'],
    ['apikey', '?apikey=a1', '?apikey=REDACTED'],
    ['access_token', '?access_token=eyJhbGciOi', '?access_token=REDACTED'],
    [
      'percent-encoded nested URL',
      'next=https%3A%2F%2Fh%2Fp%3Fsig%3Dabc%26x%3D1',
      'next=https%3A%2F%2Fh%2Fp%3Fsig%3DREDACTED%26x%3D1',
    ],
    ['stops at quote', `url "https://h/p?sig=abc" bad`, `url "https://h/p?sig=REDACTED" bad`],
    [
      'not a parameter',
      'signature mismatch; key=value outside a query',
      'signature mismatch; key=value outside a query',
    ],
    [
      'legacy IncomingWebhook path token',
      'https://contoso.webhook.office.com/webhookb2/g@t/IncomingWebhook/abcdef0123/owner-id/V2tok?x',
      'https://contoso.webhook.office.com/webhookb2/REDACTED/IncomingWebhook/REDACTED?x',
    ],
    [
      'legacy webhookb2 segment',
      'https://outlook.office.com/webhookb2/group@tenant/x',
      'https://outlook.office.com/webhookb2/REDACTED/x',
    ],
    ['workflow id shortened', `/workflows/${flow}/triggers`, '/workflows/…/triggers'],
    ['nothing secret', 'connect ECONNREFUSED 127.0.0.1:443', 'connect ECONNREFUSED 127.0.0.1:443'],
  ])('%s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('leaves no secret of a full Workflows URL', () => {
    const redacted = redactSecrets(`fetch to ${workflowsUrl} failed`);
    expect(redacted).not.toContain('AbC-123_secret');
    expect(redacted).not.toContain(flow);
    expect(redacted).toContain('sig=REDACTED');
  });
});

describe('describeUrl', () => {
  it.each([
    [workflowsUrl, 'https://default1234.56.environment.api.powerplatform.com'],
    ['https://user:pw@example.com:8443/a?sig=1#f', 'https://example.com:8443'],
    ['http://127.0.0.1:7071/hook?sig=abc', 'http://127.0.0.1:7071'],
    ['https://[::1]:8080/x', 'https://[::1]:8080'],
    ['not a url?sig=abc', '<invalid URL>'],
    ['@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/teams/)', '<invalid URL>'],
  ])('%s → %s', (input, expected) => {
    expect(describeUrl(input)).toBe(expected);
  });
});

describe('redactSecrets: Standard Webhooks secrets and signatures', () => {
  it.each([
    ['signing secret', 'secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+/= in text', 'secret whsec_REDACTED in text'],
    [
      'signature header value',
      'webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= end',
      'webhook-signature: v1,REDACTED end',
    ],
  ])('%s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});
