import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { expect } from 'vitest';

const fixturesRoot = resolve(__dirname, '../fixtures');

/**
 * Compares `actual` with the golden JSON file `test/fixtures/<relativePath>`. With `UPDATE_GOLDEN=1`
 * the file is (re)written instead; review the diff before committing it. A missing file fails the
 * test rather than being created silently.
 */
export function expectGolden(relativePath: string, actual: unknown): void {
  const file = resolve(fixturesRoot, relativePath);
  const normalized: unknown = JSON.parse(JSON.stringify(actual));
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(normalized, null, 2)}\n`, 'utf8');
    return;
  }
  if (!existsSync(file))
    throw new Error(`golden file ${relativePath} is missing: run with UPDATE_GOLDEN=1 to create it`);
  expect(normalized).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}
