import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Repository root. */
export const root = path.join(__dirname, '../../..');

/** README.md and every page under docs/ (recursively), as repository-relative paths. */
export function markdownPages(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(path.join(root, dir)).flatMap((name) => {
      const rel = `${dir}/${name}`;
      return statSync(path.join(root, rel)).isDirectory() ? walk(rel) : name.endsWith('.md') ? [rel] : [];
    });
  return ['README.md', ...walk('docs')];
}

/** The lines of a page outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): { line: number; text: string }[] {
  let fenced = false;
  return text.split('\n').flatMap((t, i) => {
    if (/^\s*(```|~~~)/.test(t)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [{ line: i + 1, text: t }];
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text: t } of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(t);
    if (!m) continue;
    const plain = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

export interface Link {
  page: string;
  line: number;
  target: string;
}

/** Every inline link and image `[text](target)` in the prose of a page (not in code spans or blocks). */
export function linksOf(page: string, text: string): Link[] {
  return proseLines(text).flatMap(({ line, text: t }) =>
    [...t.replace(/`[^`]*`/g, '``').matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
      (m) => ({ page, line, target: m[1] }),
    ),
  );
}

/** Why a relative link does not resolve, or undefined when it does. External links (a scheme) are not checked. */
export function brokenReason(link: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined;
  const [file, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const resolved =
    file === ''
      ? link.page
      : path.posix.normalize(path.posix.join(path.posix.dirname(link.page), decodeURIComponent(file)));
  if (resolved.startsWith('..')) return `points outside the repository (${resolved})`;
  if (!existsSync(path.join(root, resolved))) return `${resolved} does not exist`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md')) return `#${anchor} on a file that is not Markdown`;
  return anchorsOf(readFileSync(path.join(root, resolved), 'utf8')).has(anchor)
    ? undefined
    : `${resolved} has no heading #${anchor}`;
}
