import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './markdown';

/**
 * Every comment in the code that cites a document (`docs/reference/graph-audit-events.md §4a`,
 * `docs/detection-model.md, "One write, all or nothing"`, `README "Quick start"`) must name a file in the
 * repository, and the sections it names must be headings of that file.
 */

const scanned = ['src', 'test', 'bench', 'scripts', 'infra', '.ci'];
const codeFile = /\.(ts|mts|cts|js|mjs|cjs)$/;
const hashCommentFile = /\.(sh|bicep|bicepparam|ya?ml)$|(^|\/)\.ci\/[^.]+$/;

function files(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (name === 'node_modules' || name === 'fixtures') return [];
    return statSync(path.join(root, rel)).isDirectory() ? files(rel) : [rel];
  });
}

/** The comment text of a JS / TS source, line by line (strings, template literals and regexes are skipped roughly). */
export function jsComments(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let line = 1;
  let i = 0;
  const push = (t: string) => t.split('\n').forEach((part, k) => out.push({ line: line + k, text: part }));
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      push(text.slice(i + 2, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end;
      const body = text.slice(i + 2, stop);
      push(body);
      line += body.split('\n').length - 1;
      i = stop + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\') j++;
        else if (text[j] === '\n') {
          line++;
          if (c !== '`') break;
        }
        j++;
      }
      i = j + 1;
    } else {
      if (c === '\n') line++;
      i++;
    }
  }
  return out;
}

const hashComments = (text: string) =>
  text.split('\n').flatMap((t, i) => {
    const m = /(?:^|\s)(?:#|\/\/)(?!!)(.*)$/.exec(t);
    return m ? [{ line: i + 1, text: m[1] }] : [];
  });

export interface Citation {
  file: string;
  line: number;
  document: string;
  sections: string[];
  titles: string[];
}

/** Documents cited in one comment line: a path ending in .md (not part of a URL), then optional §ids or a "title". */
export function citationsIn(file: string, line: number, text: string): Citation[] {
  const found: Citation[] = [];
  const noUrls = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, ' ');
  for (const m of noUrls.matchAll(/(?<![\w/.-])((?:\.{1,2}\/)*(?:[\w.-]+\/)*[\w.-]+\.md)\b(.*)$/g)) {
    const rest = m[2];
    const sections = [
      ...(/^\s*(?:,\s*)?(§\s*[\w.]+(?:\s*(?:,|and|;)\s*§\s*[\w.]+)*)/.exec(rest)?.[1] ?? '').matchAll(
        /§\s*([\w.]*\w)/g,
      ),
    ].map((s) => s[1]);
    const title = /^\s*,?\s*"([^"]+)"/.exec(rest)?.[1];
    found.push({ file, line, document: m[1], sections, titles: title ? [title] : [] });
  }
  for (const m of noUrls.matchAll(/\bREADME\s+"([^"]+)"/g))
    found.push({ file, line, document: 'README.md', sections: [], titles: [m[1]] });
  return found;
}

/** Headings of a Markdown file (outside code blocks), without the #s. */
function headings(text: string): string[] {
  let fenced = false;
  return text.split('\n').flatMap((t) => {
    if (/^\s*```/.test(t)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*)$/.exec(t);
    return m ? [m[1].replace(/`/g, '').trim()] : [];
  });
}

/** Why a citation does not resolve, or undefined. A bare name is looked up at the root and beside the citing file. */
export function problemOf(c: Citation, read: (rel: string) => string | undefined): string | undefined {
  const candidates = [
    path.posix.normalize(c.document),
    path.posix.normalize(path.posix.join(path.posix.dirname(c.file), c.document)),
  ];
  const resolved = candidates.find((p) => !p.startsWith('..') && read(p) !== undefined);
  if (!resolved) return `${c.document} does not exist`;
  const heads = headings(read(resolved)!);
  for (const s of c.sections)
    if (!heads.some((h) => new RegExp(`^${s.replace(/\./g, '\\.')}[.\\s]`).test(`${h} `)))
      return `${resolved} has no section §${s}`;
  const unnumbered = heads.map((h) => h.replace(/^\d+[a-z]?(\.\d+)*\.?\s+/i, '').toLowerCase());
  for (const t of c.titles)
    if (!unnumbered.some((h) => h.startsWith(t.toLowerCase()))) return `${resolved} has no heading "${t}"`;
  return undefined;
}

const readRepo = (rel: string): string | undefined => {
  try {
    return statSync(path.join(root, rel)).isFile() ? readFileSync(path.join(root, rel), 'utf8') : undefined;
  } catch {
    return undefined;
  }
};

describe('documents cited in code comments', () => {
  const all = scanned.flatMap(files).flatMap((file) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    const comments = codeFile.test(file) ? jsComments(text) : hashCommentFile.test(file) ? hashComments(text) : [];
    return comments.flatMap((c) => citationsIn(file, c.line, c.text));
  });

  it('finds the citations', () => {
    expect(all.length).toBeGreaterThan(30);
    expect(all.some((c) => c.document === 'docs/reference/graph-audit-events.md' && c.sections.includes('4a'))).toBe(
      true,
    );
  });

  it('every cited document exists, with the sections and headings named', () => {
    const broken = all.flatMap((c) => {
      const problem = problemOf(c, readRepo);
      return problem ? [`${c.file}:${c.line}: ${problem}`] : [];
    });
    expect(broken).toEqual([]);
  });
});

describe('citation finder', () => {
  it('reads paths, sections and titles; skips URLs and string literals', () => {
    const source = [
      '/** Audit events (docs/reference/graph-audit-events.md §4, §4a). */',
      "const s = 'docs/missing.md'; // see toolchain.md §5",
      '// the spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md',
      '/* docs/detection-model.md, "One write, all or nothing"; README "Quick start" */',
    ].join('\n');
    const found = jsComments(source).flatMap((c) => citationsIn('src/x.ts', c.line, c.text));
    expect(found.map((c) => [c.line, c.document, c.sections, c.titles])).toEqual([
      [1, 'docs/reference/graph-audit-events.md', ['4', '4a'], []],
      [2, 'toolchain.md', ['5'], []],
      [4, 'docs/detection-model.md', [], ['One write, all or nothing']],
      [4, 'README.md', [], ['Quick start']],
    ]);
  });

  it('reports a missing document, section or heading', () => {
    const docs: Record<string, string> = {
      'docs/a.md': '# A\n## 3. Three\n### 3.1 Sub\n## 4a. Four\n```\n## 9. not a heading\n```\n',
    };
    const check = (document: string, sections: string[] = [], titles: string[] = []) =>
      problemOf({ file: 'src/x.ts', line: 1, document, sections, titles }, (p) => docs[p]);
    expect(check('docs/a.md', ['3', '3.1', '4a'])).toBeUndefined();
    expect(check('docs/a.md', [], ['three'])).toBeUndefined();
    expect(check('docs/b.md')).toBe('docs/b.md does not exist');
    expect(check('docs/a.md', ['9'])).toBe('docs/a.md has no section §9');
    expect(check('docs/a.md', ['3.2'])).toBe('docs/a.md has no section §3.2');
    expect(check('docs/a.md', [], ['Five'])).toBe('docs/a.md has no heading "Five"');
  });
});
