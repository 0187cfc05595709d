import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appSettings } from '../../../src/config/settings';

const readme = readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
// The settings table lives on the configuration page; the README links to it.
const configuration = readFileSync(path.join(__dirname, '../../../docs/configuration.md'), 'utf8');

describe('docs/configuration.md settings table', () => {
  it.each(appSettings.map((s) => [s.name, s] as const))('documents %s with its default', (name, spec) => {
    const shown = spec.default === undefined ? '(none)' : spec.default === '' ? '(empty)' : `\`${spec.default}\``;
    expect(configuration).toContain(`| \`${name}\` | ${shown} |`);
  });
});

describe('README', () => {
  it('shows the two quick-start commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });

  it('stays at most 12 KB: topics live under docs/', () => {
    expect(Buffer.byteLength(readme, 'utf8')).toBeLessThanOrEqual(12 * 1024);
  });
});
