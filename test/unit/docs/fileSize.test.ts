import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './markdown';

/** No source file under src/ is longer than this (issue 15: past it, split by concern). */
const maxLines = 350;

/**
 * Files allowed past the limit, each with its reason: only a cohesive parser (one grammar) would belong here, and
 * none needs it today (the filter parser's type checks are in filterTypeCheck.ts). An entry a file no longer needs
 * fails too.
 */
const allowed: Record<string, string> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(root, rel)).isDirectory()) return sourceFiles(rel);
    return /\.(ts|mts|cts)$/.test(name) ? [rel] : [];
  });
}

const lineCount = (file: string) => readFileSync(path.join(root, file), 'utf8').replace(/\n$/, '').split('\n').length;
const sizes = sourceFiles('src').map((file) => ({ file, lines: lineCount(file) }));

describe(`source files stay under ${maxLines} lines`, () => {
  it('no file under src/ is longer, except the allow-listed ones', () => {
    const tooLong = sizes.filter((s) => s.lines > maxLines && !(s.file in allowed));
    expect(tooLong, `split these files by concern (or, for a cohesive parser, allow-list it with a reason)`).toEqual(
      [],
    );
  });

  it('every allow-listed file exists and is still over the limit (else drop its entry)', () => {
    const stale = Object.keys(allowed).filter((file) => !sizes.some((s) => s.file === file && s.lines > maxLines));
    expect(stale).toEqual([]);
  });
});
