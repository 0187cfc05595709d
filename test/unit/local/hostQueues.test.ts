import { describe, expect, it } from 'vitest';
import { parseTimeSpan, queueSettingsFrom } from '../../../src/local/hostQueues';

describe('host.json queue settings', () => {
  it('parses TimeSpans as host.json writes them', () => {
    expect(parseTimeSpan('00:00:30')).toBe(30_000);
    expect(parseTimeSpan('00:04:00')).toBe(240_000);
    expect(parseTimeSpan('1.02:00:00')).toBe(26 * 3_600_000);
    expect(parseTimeSpan('00:00:00.500')).toBe(500);
    expect(parseTimeSpan('30s')).toBeUndefined();
    expect(parseTimeSpan(30)).toBeUndefined();
  });

  it("takes the extension's defaults when host.json has no extensions.queues", () => {
    expect(queueSettingsFrom({ version: '2.0' })).toEqual({
      batchSize: 16,
      newBatchThreshold: 8,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 60_000,
      messageEncoding: 'base64',
      leaseMs: 300_000,
    });
    expect(queueSettingsFrom(undefined).batchSize).toBe(16);
  });

  it('reads extensions.queues and functionTimeout; newBatchThreshold defaults to half the batch size', () => {
    const settings = queueSettingsFrom({
      functionTimeout: '00:04:00',
      extensions: {
        queues: {
          batchSize: 5,
          maxDequeueCount: 3,
          visibilityTimeout: '00:00:10',
          maxPollingInterval: '00:00:02',
          messageEncoding: 'None',
        },
      },
    });
    expect(settings).toEqual({
      batchSize: 5,
      newBatchThreshold: 2,
      maxDequeueCount: 3,
      visibilityTimeoutMs: 10_000,
      maxPollingIntervalMs: 2_000,
      messageEncoding: 'none',
      leaseMs: 240_000,
    });
    expect(
      queueSettingsFrom({ extensions: { queues: { batchSize: 5 } } }, { newBatchThreshold: 0 }).newBatchThreshold,
    ).toBe(0);
  });

  it('rejects settings the extension rejects', () => {
    expect(() => queueSettingsFrom({ extensions: { queues: { batchSize: 33 } } })).toThrow(/batchSize/);
    expect(() => queueSettingsFrom({ extensions: { queues: { maxPollingInterval: '00:00:00.050' } } })).toThrow(
      /maxPollingInterval/,
    );
  });
});
