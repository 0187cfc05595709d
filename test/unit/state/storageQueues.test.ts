import { describe, expect, it } from 'vitest';
import {
  accountFromConnectionString,
  decodeMessageText,
  encodeMessageText,
  poisonQueueName,
  prefixedQueueName,
  sanitizeQueuePrefix,
  tenantPollQueueName,
} from '../../../src/state/storageQueues';

describe('queue names', () => {
  it('sanitises a prefix to what a queue name allows: lowercase letters, digits, single dashes, no leading dash', () => {
    expect(sanitizeQueuePrefix('T_1a2B3c')).toBe('t1a2b3c');
    expect(sanitizeQueuePrefix('--Tenant..Test--')).toBe('tenanttest-');
    expect(sanitizeQueuePrefix('Ä ö/ß')).toBe('');
  });

  it('applies the prefix and accepts the names the app uses', () => {
    expect(prefixedQueueName(tenantPollQueueName)).toBe('tenant-polls');
    expect(prefixedQueueName(tenantPollQueueName, 'tAbc_123')).toBe('tabc123tenant-polls');
    expect(prefixedQueueName(poisonQueueName(tenantPollQueueName), 'Run-1-')).toBe('run-1-tenant-polls-poison');
    expect(prefixedQueueName('polls', 'a-')).toBe('a-polls');
  });

  it('rejects what the service would reject', () => {
    expect(() => prefixedQueueName('x-')).toThrow(/not a valid queue name/);
    expect(() => prefixedQueueName('ab')).toThrow(/not a valid queue name/);
    expect(() => prefixedQueueName('Upper')).toThrow(/not a valid queue name/);
    expect(() => prefixedQueueName('q'.repeat(60), 'long')).toThrow(/not a valid queue name/);
    expect(prefixedQueueName('q'.repeat(63))).toHaveLength(63);
  });
});

describe('message encoding', () => {
  it('is base64 of UTF-8, and only valid base64 decodes', () => {
    expect(encodeMessageText('ü€ {"a":1}')).toBe(Buffer.from('ü€ {"a":1}', 'utf8').toString('base64'));
    expect(decodeMessageText(encodeMessageText('ü€ {"a":1}'))).toBe('ü€ {"a":1}');
    expect(decodeMessageText('')).toBe('');
    expect(decodeMessageText('not base64!')).toBeUndefined();
    expect(decodeMessageText('abc')).toBeUndefined(); // length not a multiple of 4
  });
});

describe('connection strings', () => {
  it('maps UseDevelopmentStorage=true to Azurite on 127.0.0.1:10001 with the development account', () => {
    const account = accountFromConnectionString('UseDevelopmentStorage=true');
    expect(account.endpoint).toBe('http://127.0.0.1:10001/devstoreaccount1');
    expect((account.credential as { accountName?: string }).accountName).toBe('devstoreaccount1');
  });

  it('takes QueueEndpoint, or builds it from the account name and suffix; SAS strings keep their query', () => {
    const key = Buffer.from('key').toString('base64');
    expect(
      accountFromConnectionString(
        `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`,
      ).endpoint,
    ).toBe('https://acct.queue.core.windows.net');
    expect(
      accountFromConnectionString(`AccountName=acct;AccountKey=${key};QueueEndpoint=http://127.0.0.1:5/acct/`).endpoint,
    ).toBe('http://127.0.0.1:5/acct');
    expect(
      accountFromConnectionString(
        'QueueEndpoint=https://acct.queue.core.windows.net;SharedAccessSignature=?sv=1&sig=x',
      ),
    ).toMatchObject({ endpoint: 'https://acct.queue.core.windows.net', sas: 'sv=1&sig=x' });
    expect(() => accountFromConnectionString(`AccountName=acct;AccountKey=${key};TableEndpoint=http://x`)).toThrow(
      /no QueueEndpoint/,
    );
  });
});
