import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adaptiveCardProblems, expectValidAdaptiveCards } from '../../../helpers/adaptiveCards';

const goldenDir = path.join(__dirname, '../../../fixtures/cards');

describe('golden cards parse with the official Adaptive Cards SDK', () => {
  it.each(readdirSync(goldenDir).filter((f) => f.endsWith('.json')))('%s', (file) => {
    expectValidAdaptiveCards(JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8')));
  });

  it('the checker itself reports what the SDK rejects', () => {
    const bad = {
      type: 'AdaptiveCard',
      version: '1.4',
      body: [{ type: 'Container', style: 'bogus', items: [] }, { type: 'Carousel' }],
      actions: [{ type: 'Action.OpenUrl', title: 'x' }],
    };
    expect(adaptiveCardProblems(bad).join('\n')).toMatch(
      /Invalid value "bogus"[\s\S]*Unknown element type "Carousel"[\s\S]*"url" must be set/,
    );
  });
});
