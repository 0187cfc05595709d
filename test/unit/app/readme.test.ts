import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appSettings } from '../../../src/app/settings';

const readme = readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');

describe('README', () => {
  it.each(appSettings.map((s) => [s.name, s] as const))('documents %s with its default', (name, spec) => {
    const shown = spec.default === undefined ? '(none)' : spec.default === '' ? '(empty)' : `\`${spec.default}\``;
    expect(readme).toContain(`| \`${name}\` | ${shown} |`);
  });

  it('shows the two quick-start commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
